//! `_ItemId`: a stable identifier derived from the source record, so the same record ingested
//! twice (the same file again, or an overlapping export) is recognised and skipped. Rows that
//! carry an `_ItemId` of their own (Log Analytics exports) keep it.

use xxhash_rust::xxh3::{xxh3_64, xxh3_128};

/// Hash of a record's raw bytes.
pub fn base_hash(raw: &[u8]) -> u128 {
    xxh3_128(raw)
}

/// The `_ItemId` of row `index` of a record for `table`, formatted like a GUID.
pub fn item_id(table: &str, base: u128, index: u32) -> String {
    let mut key = Vec::with_capacity(table.len() + 20);
    key.extend_from_slice(table.as_bytes());
    key.push(0);
    key.extend_from_slice(&base.to_le_bytes());
    key.extend_from_slice(&index.to_le_bytes());
    engine::value::guid::of_bytes(&key)
}

/// The 64-bit hash the store keeps per row to recognise an `_ItemId`.
pub fn id_hash(item_id: &str) -> u64 {
    xxh3_64(item_id.as_bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn stable_and_distinct() {
        let b = super::base_hash(b"{\"a\":1}");
        let a = super::item_id("SigninLogs", b, 0);
        assert_eq!(a, super::item_id("SigninLogs", b, 0));
        assert_ne!(a, super::item_id("AuditLogs", b, 0));
        assert_ne!(a, super::item_id("SigninLogs", b, 1));
        assert_eq!(a.len(), 36);
    }
}
