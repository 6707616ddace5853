//! GUID-shaped identifiers derived from content (alert, incident, watchlist item and `_ItemId`
//! ids): the same input always gives the same id.

use xxhash_rust::xxh3::xxh3_128;

/// A 128-bit value as GUID text: `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower-case hex.
pub fn text(v: u128) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, b) in v.to_be_bytes().iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
    out
}

/// The GUID text of the bytes' 128-bit xxh3 hash.
pub fn of_bytes(bytes: &[u8]) -> String {
    text(xxh3_128(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn guid_shape() {
        assert_eq!(
            super::text(0x0123_4567_89ab_cdef_0011_2233_4455_6677),
            "01234567-89ab-cdef-0011-223344556677"
        );
        assert_eq!(super::of_bytes(b"x"), super::of_bytes(b"x"));
    }
}
