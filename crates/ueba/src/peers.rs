//! UserPeerAnalytics: each user's 20 nearest peers.
//!
//! Users with a department or group memberships in IdentityInfo are ranked against the users
//! sharing the department or a group, by `[same department] + Jaccard(groups)`; users without
//! either, against the users sharing an app or resource, by the Jaccard similarity of their
//! sets of apps and resources (from the state's windows). Ties: higher app/resource Jaccard,
//! then the peer's key (lower-cased UPN) ascending. Peers need a positive score.

use crate::identity::Identities;
use crate::model::HashMap;
use crate::model::{APP, RESOURCE};
use crate::state::State;
use std::collections::BTreeSet;

pub const TABLE: &str = "UserPeerAnalytics";
pub const MAX_PEERS: usize = 20;
/// Candidates taken from one app/resource's users (by key order) when ranking by behaviour.
const POSTING_CAP: usize = 200;

pub struct Peer {
    pub user: u32,
    pub peer: u32,
    pub rank: i32,
}

fn jaccard<T: Ord>(a: &BTreeSet<T>, b: &BTreeSet<T>) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 0.0;
    }
    let inter = a.intersection(b).count();
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

/// Jaccard similarity of two ascending, duplicate-free slices.
fn jaccard_sorted(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

pub fn compute(state: &State, ids: &Identities) -> Vec<Peer> {
    let n = state.users.len();
    // Behaviour features and directory facts per user.
    let features: Vec<Vec<u64>> = state
        .users
        .iter()
        .map(|u| {
            let mut f: Vec<u64> = [APP, RESOURCE]
                .iter()
                .flat_map(|&d| {
                    u.dims[d]
                        .keys()
                        .map(move |&v| ((d as u64) << 32) | u64::from(v))
                })
                .collect();
            f.sort_unstable();
            f
        })
        .collect();
    let dirs: Vec<(String, BTreeSet<String>)> = state
        .users
        .iter()
        .map(|u| match ids.lookup(&u.key) {
            Some(d) => (d.department.to_lowercase(), d.groups.clone()),
            None => (String::new(), BTreeSet::new()),
        })
        .collect();
    // Users in key order (the order every tie falls back to).
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by(|a, b| {
        state.users[*a as usize]
            .key
            .cmp(&state.users[*b as usize].key)
    });
    let mut by_dept: HashMap<&str, Vec<u32>> = HashMap::default();
    let mut by_group: HashMap<&str, Vec<u32>> = HashMap::default();
    let mut by_feature: HashMap<u64, Vec<u32>> = HashMap::default();
    for &u in &order {
        let (dept, groups) = &dirs[u as usize];
        if !dept.is_empty() {
            by_dept.entry(dept).or_default().push(u);
        }
        for g in groups {
            by_group.entry(g).or_default().push(u);
        }
        for &f in &features[u as usize] {
            by_feature.entry(f).or_default().push(u);
        }
    }
    // Rank of each user in key order: ties compare ranks instead of keys.
    let mut key_rank = vec![0u32; n];
    for (i, &u) in order.iter().enumerate() {
        key_rank[u as usize] = i as u32;
    }
    // Users are ranked independently: two halves of the key order on two threads, joined in
    // order (the result does not depend on the split).
    let rank_users = |users: &[u32]| -> Vec<Peer> {
        let mut out = Vec::new();
        let mut cands: Vec<u32> = Vec::new();
        for &u in users {
            let ui = u as usize;
            let (dept, groups) = &dirs[ui];
            let org = !dept.is_empty() || !groups.is_empty();
            cands.clear();
            if org {
                if let Some(v) = by_dept.get(dept.as_str()) {
                    cands.extend(v.iter().copied());
                }
                for g in groups {
                    if let Some(v) = by_group.get(g.as_str()) {
                        cands.extend(v.iter().copied());
                    }
                }
            } else {
                for f in &features[ui] {
                    if let Some(v) = by_feature.get(f) {
                        cands.extend(v.iter().take(POSTING_CAP).copied());
                    }
                }
            }
            cands.sort_unstable();
            cands.dedup();
            let mut scored: Vec<(f64, f64, u32)> = cands
                .iter()
                .copied()
                .filter(|&c| c != u)
                .filter_map(|c| {
                    let ci = c as usize;
                    let beh = jaccard_sorted(&features[ui], &features[ci]);
                    let score = if org {
                        let (cd, cg) = &dirs[ci];
                        f64::from(u8::from(!dept.is_empty() && cd == dept)) + jaccard(groups, cg)
                    } else {
                        beh
                    };
                    (score > 0.0).then_some((score, beh, c))
                })
                .collect();
            let by_rank = |a: &(f64, f64, u32), b: &(f64, f64, u32)| {
                b.0.total_cmp(&a.0)
                    .then(b.1.total_cmp(&a.1))
                    .then_with(|| key_rank[a.2 as usize].cmp(&key_rank[b.2 as usize]))
            };
            if scored.len() > MAX_PEERS {
                scored.select_nth_unstable_by(MAX_PEERS - 1, by_rank);
                scored.truncate(MAX_PEERS);
            }
            scored.sort_by(by_rank);
            for (i, (_, _, p)) in scored.into_iter().take(MAX_PEERS).enumerate() {
                out.push(Peer {
                    user: u,
                    peer: p,
                    rank: i as i32 + 1,
                });
            }
        }
        out
    };
    let (left, right) = order.split_at(order.len() / 2);
    let (mut out, rest) = std::thread::scope(|sc| {
        let r = sc.spawn(|| rank_users(right));
        let l = rank_users(left);
        (l, r.join())
    });
    match rest {
        Ok(r) => out.extend(r),
        // The helper panicked (a bug): rank its half here, which panics the same way.
        Err(_) => out.extend(rank_users(right)),
    }
    out
}
