//! Reusing a vector's allocation across records: per-record scratch vectors hold values that
//! borrow from the record's text, so each record's vector has its own lifetime. An emptied
//! vector is turned into one of another lifetime in place (collecting an empty vector into
//! one of the same element size and alignment keeps its allocation), sparing an allocation
//! and its growth per record.

/// `v`, emptied, as a vector of `U` in the same allocation. `fill` is never called (there
/// are no elements); it only names the element type.
pub fn emptied<T, U>(mut v: Vec<T>, fill: fn() -> U) -> Vec<U> {
    v.clear();
    v.into_iter().map(|_| fill()).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_the_allocation() {
        let text = String::from("abc");
        let mut v: Vec<&str> = Vec::with_capacity(64);
        v.push(&text);
        let ptr = v.as_ptr() as usize;
        let w: Vec<&'static str> = super::emptied(v, || "");
        assert!(w.is_empty());
        assert!(w.capacity() >= 64);
        assert_eq!(w.as_ptr() as usize, ptr);
    }
}
