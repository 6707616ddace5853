//! The state's binary encoding: LEB128 varints (zig-zag for signed values), length-prefixed
//! UTF-8 strings, day lists delta-encoded. Compact and fast for large tenants; every read is
//! bounds-checked (a damaged file reads as "no state", and the run recomputes everything).

use crate::model::HashMap;
use crate::model::{DIMS, Interner};
use crate::state::{State, UserState};
use std::collections::BTreeSet;

/// File magic: "PEREGRINE UEBA STATE", version 2.
const MAGIC: &[u8; 8] = b"PGUEBA\x00\x02";

#[derive(Default)]
struct W(Vec<u8>);

impl W {
    fn u(&mut self, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(b);
                return;
            }
            self.0.push(b | 0x80);
        }
    }
    fn i(&mut self, v: i64) {
        self.u(((v << 1) ^ (v >> 63)) as u64);
    }
    fn s(&mut self, s: &str) {
        self.u(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn opt(&mut self, v: Option<i32>) {
        match v {
            None => self.u(0),
            Some(d) => {
                self.u(1);
                self.i(i64::from(d));
            }
        }
    }
    /// Ascending days, delta-encoded.
    fn days(&mut self, days: &[i32]) {
        self.u(days.len() as u64);
        let mut prev = 0i64;
        for &d in days {
            self.i(i64::from(d) - prev);
            prev = i64::from(d);
        }
    }
}

struct R<'a> {
    b: &'a [u8],
    at: usize,
}

impl R<'_> {
    fn u(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.b.get(self.at)?;
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    fn i(&mut self) -> Option<i64> {
        let v = self.u()?;
        Some(((v >> 1) as i64) ^ -((v & 1) as i64))
    }
    fn i32(&mut self) -> Option<i32> {
        i32::try_from(self.i()?).ok()
    }
    fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u()?).ok()?;
        // No count can exceed the bytes left (every element takes at least one).
        (n <= self.b.len().saturating_sub(self.at)).then_some(n)
    }
    fn s(&mut self) -> Option<String> {
        let n = self.len()?;
        let bytes = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        String::from_utf8(bytes.to_vec()).ok()
    }
    fn opt(&mut self) -> Option<Option<i32>> {
        match self.u()? {
            0 => Some(None),
            1 => Some(Some(self.i32()?)),
            _ => None,
        }
    }
    fn days(&mut self) -> Option<Vec<i32>> {
        let n = self.len()?;
        let mut out = Vec::with_capacity(n);
        let mut prev = 0i64;
        for _ in 0..n {
            prev = prev.checked_add(self.i()?)?;
            out.push(i32::try_from(prev).ok()?);
        }
        Some(out)
    }
}

pub fn encode(state: &State) -> Vec<u8> {
    let mut w = W::default();
    w.0.extend_from_slice(MAGIC);
    w.u(u64::from(state.version));
    w.opt(state.last_day);
    w.opt(state.tenant_first_day);
    for set in [&state.signin_files, &state.output_files] {
        w.u(set.len() as u64);
        for p in set {
            w.s(p);
        }
    }
    for v in &state.values {
        let names = v.names();
        w.u(names.len() as u64);
        for n in names {
            w.s(n);
        }
    }
    w.u(state.users.len() as u64);
    for u in &state.users {
        w.s(&u.key);
        w.s(&u.upn);
        w.s(&u.object_id);
        w.s(&u.display);
        w.i(u.last_seen);
        w.opt(u.first_day);
        w.days(&u.active_days);
        for m in &u.dims {
            let mut keys: Vec<&u32> = m.keys().collect();
            keys.sort_unstable();
            w.u(keys.len() as u64);
            for k in keys {
                w.u(u64::from(*k));
                w.days(m.get(k).map(Vec::as_slice).unwrap_or(&[]));
            }
        }
        w.u(u.directory_fp);
    }
    w.0
}

pub fn decode(bytes: &[u8]) -> Option<State> {
    if bytes.get(..MAGIC.len())? != MAGIC {
        return None;
    }
    let mut r = R {
        b: bytes,
        at: MAGIC.len(),
    };
    let mut s = State {
        version: u32::try_from(r.u()?).ok()?,
        last_day: r.opt()?,
        tenant_first_day: r.opt()?,
        ..State::default()
    };
    for set in [&mut s.signin_files, &mut s.output_files] {
        let n = r.len()?;
        let mut out = BTreeSet::new();
        for _ in 0..n {
            out.insert(r.s()?);
        }
        *set = out;
    }
    for v in &mut s.values {
        let n = r.len()?;
        let mut names = Vec::with_capacity(n);
        for _ in 0..n {
            names.push(r.s()?);
        }
        *v = Interner::from_names(names);
    }
    let n = r.len()?;
    s.users.reserve(n);
    for _ in 0..n {
        let mut u = UserState {
            key: r.s()?,
            upn: r.s()?,
            object_id: r.s()?,
            display: r.s()?,
            last_seen: r.i()?,
            first_day: r.opt()?,
            active_days: r.days()?,
            ..UserState::default()
        };
        for d in 0..DIMS {
            let k = r.len()?;
            let mut m = HashMap::with_capacity_and_hasher(k, Default::default());
            for _ in 0..k {
                let v = u32::try_from(r.u()?).ok()?;
                m.insert(v, r.days()?);
            }
            u.dims[d] = m;
        }
        u.directory_fp = r.u()?;
        s.users.push(u);
    }
    (r.at == bytes.len()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let mut s = State::new();
        s.last_day = Some(19_800);
        s.tenant_first_day = Some(-3);
        s.signin_files
            .insert("tables/SigninLogs/day=2024-01-01/a.parquet".into());
        let u = s.user_id("ünï@contoso.com");
        s.users[u as usize].last_seen = -5;
        s.learn(u, 19_790, &[1, 0, 2, 3, 4, 5]);
        s.learn(u, 19_799, &[1, 0, 2, 3, 4, 5]);
        s.values[0].intern("Teams");
        let bytes = encode(&s);
        let back = decode(&bytes).expect("decodes");
        assert_eq!(encode(&back), bytes);
        assert_eq!(back.users[0].active_days, vec![19_790, 19_799]);
        assert_eq!(back.values[0].name(1), "Teams");
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_none());
        }
    }
}
