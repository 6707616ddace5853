//! Helpers of the crate's unit tests.

/// A seeded xorshift generator: each call gives a number below its argument (for generated
/// test inputs that are the same on every run).
pub fn xorshift(mut seed: u64) -> impl FnMut(u64) -> u64 {
    move |n| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    }
}
