//! The behaviours UEBA profiles (dimensions), Sentinel's insight key names and look-back
//! windows, and string interning.

use serde::{Deserialize, Serialize};
use std::hash::{BuildHasherDefault, Hasher};

/// A fast, deterministic hasher for the integer and short-string keys UEBA's maps use
/// (the Fx hash of rustc): the default SipHash dominated the per-sign-in profiling cost.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher(u64);

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.add(u64::from_le_bytes(b));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_i32(&mut self, i: i32) {
        self.add(i as u32 as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// `std::collections::HashMap` with [`FxHasher`]. Nothing depends on its iteration order.
pub type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Ticks (100 ns) per day.
pub const TICKS_PER_DAY: i64 = engine::types::TICKS_PER_DAY;

/// Profiled dimensions of a sign-in, in ActivityInsights key order.
pub const DIMS: usize = 6;
pub const APP: usize = 0;
pub const BROWSER: usize = 1;
pub const COUNTRY: usize = 2;
pub const DEVICE: usize = 3;
pub const ISP: usize = 4;
pub const RESOURCE: usize = 5;

/// Look-back window (days) of the "…ByUser" uncommon insights (Sentinel: 10 for every dimension).
pub const USER_UNCOMMON_DAYS: i32 = 10;
/// Dormancy: no activity in this many days before the event.
pub const DORMANT_DAYS: i32 = 180;
/// New account: created at most this many days before the event.
pub const NEW_ACCOUNT_DAYS: i32 = 30;
/// The longest window any insight looks back; state older than this is dropped.
pub const MAX_WINDOW_DAYS: i32 = 180;

/// One dimension's five insights: Sentinel key names and windows in days.
pub struct DimSpec {
    pub first_user: (&'static str, i32),
    pub uncommon_user: (&'static str, i32),
    pub uncommon_peers: (&'static str, i32),
    pub first_tenant: (&'static str, i32),
    pub uncommon_tenant: (&'static str, i32),
}

/// Sentinel's ActivityInsights names and baselines (Microsoft Sentinel UEBA reference,
/// "ActivityInsights field").
pub const SPECS: [DimSpec; DIMS] = [
    DimSpec {
        first_user: ("FirstTimeUserUsedApp", 180),
        uncommon_user: ("AppUncommonlyUsedByUser", USER_UNCOMMON_DAYS),
        uncommon_peers: ("AppUncommonlyUsedAmongPeers", 180),
        first_tenant: ("FirstTimeAppObservedInTenant", 180),
        uncommon_tenant: ("AppUncommonlyUsedInTenant", 180),
    },
    DimSpec {
        first_user: ("FirstTimeUserConnectedViaBrowser", 30),
        uncommon_user: ("BrowserUncommonlyUsedByUser", USER_UNCOMMON_DAYS),
        uncommon_peers: ("BrowserUncommonlyUsedAmongPeers", 30),
        first_tenant: ("FirstTimeBrowserObservedInTenant", 30),
        uncommon_tenant: ("BrowserUncommonlyUsedInTenant", 30),
    },
    DimSpec {
        first_user: ("FirstTimeUserConnectedFromCountry", 90),
        uncommon_user: ("CountryUncommonlyConnectedFromByUser", USER_UNCOMMON_DAYS),
        uncommon_peers: ("CountryUncommonlyConnectedFromAmongPeers", 90),
        first_tenant: ("FirstTimeConnectionFromCountryObservedInTenant", 90),
        uncommon_tenant: ("CountryUncommonlyConnectedFromInTenant", 90),
    },
    DimSpec {
        first_user: ("FirstTimeUserConnectedFromDevice", 30),
        uncommon_user: ("DeviceUncommonlyUsedByUser", USER_UNCOMMON_DAYS),
        uncommon_peers: ("DeviceUncommonlyUsedAmongPeers", 180),
        first_tenant: ("FirstTimeDeviceObservedInTenant", 30),
        uncommon_tenant: ("DeviceUncommonlyUsedInTenant", 180),
    },
    DimSpec {
        first_user: ("FirstTimeUserConnectedViaISP", 30),
        uncommon_user: ("ISPUncommonlyUsedByUser", USER_UNCOMMON_DAYS),
        uncommon_peers: ("ISPUncommonlyUsedAmongPeers", 30),
        first_tenant: ("FirstTimeConnectionViaISPInTenant", 30),
        uncommon_tenant: ("ISPUncommonlyUsedInTenant", 30),
    },
    DimSpec {
        first_user: ("FirstTimeUserAccessedResource", 180),
        uncommon_user: ("ResourceUncommonlyAccessedByUser", USER_UNCOMMON_DAYS),
        uncommon_peers: ("ResourceUncommonlyAccessedAmongPeers", 180),
        first_tenant: ("FirstTimeResourceAccessedInTenant", 180),
        uncommon_tenant: ("ResourceUncommonlyAccessedInTenant", 180),
    },
];

/// Strings ↔ dense ids. Id 0 is reserved for "no value".
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Interner {
    names: Vec<String>,
    #[serde(skip)]
    index: HashMap<String, u32>,
}

impl Interner {
    /// An interner holding `names` (ids 1..=len, in order).
    pub fn from_names(names: Vec<String>) -> Interner {
        let mut i = Interner {
            names,
            index: HashMap::default(),
        };
        i.rebuild();
        i
    }

    /// The names, by id - 1.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn rebuild(&mut self) {
        self.index = self
            .names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i as u32 + 1))
            .collect();
    }

    /// The id of `s` (0 for the empty string), adding it if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        self.names.push(s.to_string());
        let id = self.names.len() as u32;
        self.index.insert(s.to_string(), id);
        id
    }

    pub fn get(&self, s: &str) -> Option<u32> {
        self.index.get(s).copied()
    }

    pub fn name(&self, id: u32) -> &str {
        if id == 0 {
            return "";
        }
        self.names
            .get(id as usize - 1)
            .map(String::as_str)
            .unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// UTC day number (days since 1970-01-01) of a tick count.
pub fn day_of(ticks: i64) -> i32 {
    ticks.div_euclid(TICKS_PER_DAY) as i32
}
