//! Per-user baselines, kept between runs in `<store>/ueba/state.bin` (binary, see `codec`;
//! written atomically: temporary file, fsync, rename), so a new day of logs is profiled
//! against the state instead of re-reading history.
//!
//! The state holds, per user, the UTC days with a successful sign-in and, per dimension and
//! value, the days the value was seen — pruned to the longest look-back window. Indexes by
//! value (tenant) and by (department, value) (peers) are rebuilt from it on load.

use crate::model::HashMap;
use crate::model::{DIMS, Interner, MAX_WINDOW_DAYS};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const STATE_VERSION: u32 = 2;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct UserState {
    /// Lower-cased UPN (or object id when the sign-in has no UPN): the user's key.
    pub key: String,
    pub upn: String,
    pub object_id: String,
    pub display: String,
    /// Newest sign-in (any result), in ticks.
    pub last_seen: i64,
    /// First UTC day with a successful sign-in.
    pub first_day: Option<i32>,
    /// UTC days with a successful sign-in, ascending (pruned).
    pub active_days: Vec<i32>,
    /// Per dimension: value id → ascending days it was seen in a successful sign-in (pruned).
    pub dims: [HashMap<u32, Vec<i32>>; DIMS],
    /// Fingerprint of the directory facts the user's rows depend on (department, creation
    /// time, display name, object id, blast radius) when they were computed.
    pub directory_fp: u64,
}

impl UserState {
    pub fn last_active(&self) -> Option<i32> {
        self.active_days.last().copied()
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// Newest UTC day profiled; later days are new.
    pub last_day: Option<i32>,
    /// First UTC day with a successful sign-in anywhere in the tenant.
    pub tenant_first_day: Option<i32>,
    /// Sign-in files (store-relative paths) already profiled.
    pub signin_files: BTreeSet<String>,
    /// BehaviorAnalytics files the profiled rows are in; if the store's differ, start over.
    pub output_files: BTreeSet<String>,
    pub users: Vec<UserState>,
    pub values: [Interner; DIMS],
    #[serde(skip)]
    pub user_index: HashMap<String, u32>,
    /// (dimension, value) → user → last day seen.
    #[serde(skip)]
    pub tenant: Vec<HashMap<u32, HashMap<u32, i32>>>,
}

impl State {
    pub fn new() -> State {
        let mut s = State {
            version: STATE_VERSION,
            ..State::default()
        };
        s.rebuild();
        s
    }

    pub fn path(root: &Path) -> PathBuf {
        root.join("ueba").join("state.bin")
    }

    /// Loads the state, or None when there is none or it cannot be used (then the run
    /// recomputes everything).
    pub fn load(root: &Path) -> Option<State> {
        let bytes = std::fs::read(Self::path(root)).ok()?;
        let mut s = crate::codec::decode(&bytes)?;
        if s.version != STATE_VERSION {
            return None;
        }
        s.rebuild();
        Some(s)
    }

    /// Writes the state atomically (temporary file, fsync, rename, fsync the directory).
    pub fn save(&self, root: &Path) -> Result<(), String> {
        let dir = root.join("ueba");
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let tmp = dir.join("state.bin.tmp");
        let dst = Self::path(root);
        let bytes = crate::codec::encode(self);
        {
            let mut f =
                std::fs::File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
            f.write_all(&bytes)
                .map_err(|e| format!("{}: {e}", tmp.display()))?;
            f.sync_all()
                .map_err(|e| format!("{}: {e}", tmp.display()))?;
        }
        std::fs::rename(&tmp, &dst).map_err(|e| format!("{}: {e}", dst.display()))?;
        // The JSON state of earlier versions is superseded.
        let _ = std::fs::remove_file(dir.join("state.json"));
        store::manifest::sync_dir(&dir).map_err(|e| e.to_string())
    }

    /// Removes a stale state (a full recomputation follows).
    pub fn remove(root: &Path) {
        let _ = std::fs::remove_file(Self::path(root));
    }

    /// Rebuilds the indexes that are not stored.
    pub fn rebuild(&mut self) {
        for v in &mut self.values {
            v.rebuild();
        }
        self.user_index = self
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.key.clone(), i as u32))
            .collect();
        self.tenant = vec![HashMap::default(); DIMS];
        for (ui, u) in self.users.iter().enumerate() {
            for (d, m) in u.dims.iter().enumerate() {
                for (&v, days) in m {
                    if let Some(&last) = days.last() {
                        self.tenant[d].entry(v).or_default().insert(ui as u32, last);
                    }
                }
            }
        }
    }

    pub fn user_id(&mut self, key: &str) -> u32 {
        if let Some(&i) = self.user_index.get(key) {
            return i;
        }
        let i = self.users.len() as u32;
        self.users.push(UserState {
            key: key.to_string(),
            ..UserState::default()
        });
        self.user_index.insert(key.to_string(), i);
        i
    }

    /// Records a successful sign-in of `user` on `day` with dimension values `vals`.
    pub fn learn(&mut self, user: u32, day: i32, vals: &[u32; DIMS]) {
        self.tenant_first_day = Some(self.tenant_first_day.map_or(day, |d| d.min(day)));
        let Some(u) = self.users.get_mut(user as usize) else {
            return;
        };
        u.first_day = Some(u.first_day.map_or(day, |d| d.min(day)));
        push_day(&mut u.active_days, day);
        for (d, &v) in vals.iter().enumerate() {
            if v == 0 {
                continue;
            }
            push_day(u.dims[d].entry(v).or_default(), day);
            let e = self.tenant[d]
                .entry(v)
                .or_default()
                .entry(user)
                .or_insert(day);
            *e = (*e).max(day);
        }
    }

    /// Drops days no future event can look back to (older than the longest window before
    /// the day after `last_day`). Results do not change: every window ends before its event.
    pub fn prune(&mut self) {
        let Some(last) = self.last_day else { return };
        let keep_from = last + 1 - MAX_WINDOW_DAYS;
        for u in &mut self.users {
            u.active_days.retain(|&d| d >= keep_from);
            for m in &mut u.dims {
                m.retain(|_, days| {
                    days.retain(|&d| d >= keep_from);
                    !days.is_empty()
                });
            }
        }
        for m in &mut self.tenant {
            m.retain(|_, users| {
                users.retain(|_, d| *d >= keep_from);
                !users.is_empty()
            });
        }
    }
}

fn push_day(days: &mut Vec<i32>, day: i32) {
    match days.last() {
        Some(&l) if l == day => {}
        Some(&l) if l > day => {
            if let Err(pos) = days.binary_search(&day) {
                days.insert(pos, day);
            }
        }
        _ => days.push(day),
    }
}

/// Number of days in ascending `days` within `[lo, hi]`.
pub fn count_in(days: &[i32], lo: i32, hi: i32) -> usize {
    let a = days.partition_point(|&d| d < lo);
    let b = days.partition_point(|&d| d <= hi);
    b.saturating_sub(a)
}
