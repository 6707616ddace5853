//! Insights of one sign-in against the baselines of the days before its day. See
//! docs/ueba.md for the definitions; the code follows them line by line.

use crate::model::HashMap;
use crate::model::{DIMS, DORMANT_DAYS, NEW_ACCOUNT_DAYS, SPECS, USER_UNCOMMON_DAYS};
use crate::state::{State, UserState, count_in};

/// Insight bits: dimension `d`, insight `j` (0 first-time by user, 1 uncommon by user,
/// 2 uncommon among peers, 3 first time in tenant, 4 uncommon in tenant) is bit `d * 5 + j`.
pub type Flags = u32;

pub fn bit(dim: usize, j: usize) -> Flags {
    1 << (dim * 5 + j)
}

/// Per-day caches of the counts that do not depend on the event's user.
pub struct DayContext<'a> {
    pub day: i32,
    state: &'a State,
    /// Department id per user id (0: unknown).
    user_dept: &'a [u32],
    /// Users with a successful sign-in on [day-W, day-1], by W.
    tenant_active: HashMap<i32, usize>,
    /// (department, W) → active members.
    dept_active: HashMap<(u32, i32), usize>,
    /// (dim, value) → (newest day seen by anyone, users who used it in the uncommon window,
    /// per department users who used it in the peers window).
    value_stats: HashMap<(usize, u32), ValueStats>,
}

struct ValueStats {
    last: Option<i32>,
    tenant_users: usize,
    dept_users: HashMap<u32, usize>,
}

impl<'a> DayContext<'a> {
    pub fn new(state: &'a State, user_dept: &'a [u32], day: i32) -> Self {
        let mut windows: Vec<i32> = SPECS
            .iter()
            .flat_map(|s| [s.uncommon_tenant.1, s.uncommon_peers.1])
            .collect();
        windows.sort();
        windows.dedup();
        let mut tenant_active = HashMap::default();
        let mut dept_active = HashMap::default();
        for &w in &windows {
            let mut n = 0;
            for (ui, u) in state.users.iter().enumerate() {
                if u.last_active().is_some_and(|l| l >= day - w) {
                    n += 1;
                    let dept = user_dept.get(ui).copied().unwrap_or(0);
                    if dept != 0 {
                        *dept_active.entry((dept, w)).or_insert(0usize) += 1;
                    }
                }
            }
            tenant_active.insert(w, n);
        }
        DayContext {
            day,
            state,
            user_dept,
            tenant_active,
            dept_active,
            value_stats: HashMap::default(),
        }
    }

    fn stats(&mut self, dim: usize, v: u32) -> &ValueStats {
        let day = self.day;
        let state = self.state;
        let user_dept = self.user_dept;
        self.value_stats.entry((dim, v)).or_insert_with(|| {
            let spec = &SPECS[dim];
            let mut s = ValueStats {
                last: None,
                tenant_users: 0,
                dept_users: HashMap::default(),
            };
            if let Some(users) = state.tenant.get(dim).and_then(|m| m.get(&v)) {
                for (&u, &last) in users {
                    s.last = Some(s.last.map_or(last, |x| x.max(last)));
                    if last >= day - spec.uncommon_tenant.1 {
                        s.tenant_users += 1;
                    }
                    let dept = user_dept.get(u as usize).copied().unwrap_or(0);
                    if dept != 0 && last >= day - spec.uncommon_peers.1 {
                        *s.dept_users.entry(dept).or_insert(0) += 1;
                    }
                }
            }
            s
        })
    }

    /// ActivityInsights flags of a sign-in by `user` with dimension values `vals`.
    pub fn activity(&mut self, user: u32, vals: &[u32; DIMS]) -> Flags {
        let day = self.day;
        let state = self.state;
        let empty = UserState::default();
        let u = state.users.get(user as usize).unwrap_or(&empty);
        let dept = self.user_dept.get(user as usize).copied().unwrap_or(0);
        let user_baseline = u.first_day.is_some_and(|f| f < day);
        let tenant_baseline = state.tenant_first_day.is_some_and(|f| f < day);
        let mut flags = 0;
        for (dim, &v) in vals.iter().enumerate() {
            if v == 0 {
                continue;
            }
            let spec = &SPECS[dim];
            let days_v: &[i32] = u.dims[dim].get(&v).map(Vec::as_slice).unwrap_or(&[]);
            let used_in = |w: i32| count_in(days_v, day - w, day - 1);
            let active_in = |w: i32| count_in(&u.active_days, day - w, day - 1);
            // Habitual: the user used the value on at least a quarter of their active days
            // of the window.
            let habitual = |w: i32| {
                let a = active_in(w);
                a >= 1 && 4 * used_in(w) >= a
            };
            if user_baseline && used_in(spec.first_user.1) == 0 {
                flags |= bit(dim, 0);
            }
            let a = active_in(USER_UNCOMMON_DAYS);
            if a >= 1 && 4 * used_in(USER_UNCOMMON_DAYS) < a {
                flags |= bit(dim, 1);
            }
            let wp = spec.uncommon_peers.1;
            let wt = spec.uncommon_tenant.1;
            let peers_active = if dept != 0 {
                self.dept_active.get(&(dept, wp)).copied().unwrap_or(0)
            } else {
                0
            };
            let tenant_active = self.tenant_active.get(&wt).copied().unwrap_or(0);
            let own_active = u.last_active().is_some_and(|l| l >= day - wp);
            let own_used = days_v.last().is_some_and(|&l| l >= day - wp);
            let st = self.stats(dim, v);
            if dept != 0 {
                let p = peers_active.saturating_sub(usize::from(own_active));
                let k = st
                    .dept_users
                    .get(&dept)
                    .copied()
                    .unwrap_or(0)
                    .saturating_sub(usize::from(own_used));
                if p >= 1 && 10 * k < p && !habitual(wp) {
                    flags |= bit(dim, 2);
                }
            }
            let never_in_window = st.last.is_none_or(|l| l < day - spec.first_tenant.1);
            if tenant_baseline && never_in_window {
                flags |= bit(dim, 3);
            }
            let k = st.tenant_users;
            if tenant_active >= 1 && 10 * k < tenant_active && !habitual(wt) {
                flags |= bit(dim, 4);
            }
        }
        flags
    }
}

/// IsNewAccount: created on a UTC day at most 30 days before the event's day (and not after it).
pub fn is_new_account(day: i32, created_day: Option<i32>) -> bool {
    created_day.is_some_and(|c| c <= day && day - c <= NEW_ACCOUNT_DAYS)
}

/// IsDormantAccount: no successful sign-in on the 180 days before the event's day, and the
/// account provably existed before them (a successful sign-in before that window, or a
/// creation day at least 180 days before the event's day).
pub fn is_dormant(day: i32, u: Option<&UserState>, created_day: Option<i32>) -> bool {
    let active_in_window =
        u.is_some_and(|u| count_in(&u.active_days, day - DORMANT_DAYS, day - 1) > 0);
    if active_in_window {
        return false;
    }
    let seen_before = u
        .and_then(|u| u.first_day)
        .is_some_and(|f| f < day - DORMANT_DAYS);
    let created_before = created_day.is_some_and(|c| c <= day - DORMANT_DAYS);
    seen_before || created_before
}

/// The ActivityInsights JSON text of a set of flags (every key, "True"/"False").
pub fn activity_json(flags: Flags) -> String {
    let mut s = String::with_capacity(1600);
    s.push('{');
    let mut first = true;
    for (dim, spec) in SPECS.iter().enumerate() {
        let keys = [
            spec.first_user.0,
            spec.uncommon_user.0,
            spec.uncommon_peers.0,
            spec.first_tenant.0,
            spec.uncommon_tenant.0,
        ];
        for (j, k) in keys.iter().enumerate() {
            if !first {
                s.push(',');
            }
            first = false;
            s.push('"');
            s.push_str(k);
            s.push_str("\":\"");
            s.push_str(if flags & bit(dim, j) != 0 {
                "True"
            } else {
                "False"
            });
            s.push('"');
        }
    }
    s.push('}');
    s
}

/// InvestigationPriority (0–10): 3 for a dormant account, 2 for a new one, plus one per two
/// true activity insights (rounded up), at most 10.
pub fn priority(flags: Flags, dormant: bool, new: bool) -> i32 {
    let n = flags.count_ones() as i32;
    (3 * i32::from(dormant) + 2 * i32::from(new) + (n + 1) / 2).min(10)
}
