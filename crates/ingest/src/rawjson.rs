//! JSON read in place, for the fast ingest path: a record's top-level members as slices of the
//! input text (validated strictly, nothing allocated for values that are not strings with
//! escapes), and the conversions the tables need: string values unescaped, nested values as
//! the canonical compact text that dynamic columns hold (the text `serde_json` would print
//! for the parsed value: no whitespace, keys in their order, numbers normalised).

use std::borrow::Cow;

/// Nesting deeper than this is rejected (as `serde_json` does) rather than recursed into.
const MAX_DEPTH: usize = 128;

/// The members of a JSON object, in order: key (unescaped) and the value's raw text.
pub type Members<'a> = Vec<(Cow<'a, str>, &'a str)>;

/// Splits the JSON object `text` into its members. Anything but a single well-formed object
/// (surrounding whitespace allowed) is an error saying what was expected where.
pub fn object_members(text: &str) -> Result<Members<'_>, String> {
    let mut out = Vec::new();
    object_members_into(text, &mut out)?;
    Ok(out)
}

/// [`object_members`] into `out` (emptied first), reusing its allocation. Says whether every
/// member's value text is already canonical (see [`Canonical`]).
pub fn object_members_into<'a>(text: &'a str, out: &mut Members<'a>) -> Result<Canonical, String> {
    out.clear();
    let mut p = Parser::new(text);
    p.ws();
    if p.peek() != Some(b'{') {
        return Err(p.err("expected a JSON object"));
    }
    p.members_into(0, out)?;
    p.ws();
    if p.i < p.b.len() {
        return Err(p.err("unexpected text after the JSON object"));
    }
    Ok(if p.canonical {
        Canonical::Yes
    } else {
        Canonical::Unknown
    })
}

/// What the validating walk of a record learnt about its members' value texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canonical {
    /// Every value text (and every part of one) is in the form [`compact`] gives and holds no
    /// escape: no whitespace between tokens, no backslash, only numbers that
    /// [`prints_as_is`]. Values can be used as they are: [`compact`] would borrow them and
    /// [`unescape`] would find nothing to decode.
    Yes,
    /// Not known: values go through [`compact`] / [`unescape`].
    Unknown,
}

/// The value of `key` in the object `obj` (raw text), if `obj` is an object holding it.
pub fn member<'a>(obj: &'a str, key: &str) -> Option<&'a str> {
    if !obj.starts_with('{') {
        return None;
    }
    Parser::new(obj).find_member(key).ok()?
}

/// The elements of the array `arr` (raw text), if it is one.
pub fn elements(arr: &str) -> Option<Vec<&str>> {
    if !arr.starts_with('[') {
        return None;
    }
    let mut p = Parser::new(arr);
    p.elements(0).ok()
}

/// The string a raw value holds, unescaped; None when the value is not a string.
pub fn as_str(raw: &str) -> Option<Cow<'_, str>> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    unescape(inner).ok()
}

/// Whether a raw value is JSON `null`.
pub fn is_null(raw: &str) -> bool {
    raw == "null"
}

/// The text inside a string token (without its quotes), escapes decoded. Borrowed when the
/// string has no escapes.
pub fn unescape(inner: &str) -> Result<Cow<'_, str>, String> {
    if !has_backslash(inner.as_bytes()) {
        return Ok(Cow::Borrowed(inner));
    }
    let b = inner.as_bytes();
    let mut out = String::with_capacity(inner.len());
    let mut i = 0;
    let mut run = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        out.push_str(&inner[run..i]);
        let e = *b.get(i + 1).ok_or("a string ends inside an escape")?;
        i += 2;
        match e {
            b'"' => out.push('"'),
            b'\\' => out.push('\\'),
            b'/' => out.push('/'),
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            b'u' => {
                let hi = hex4(b, i)?;
                i += 4;
                let c = if (0xD800..0xDC00).contains(&hi) {
                    if b.get(i) != Some(&b'\\') || b.get(i + 1) != Some(&b'u') {
                        return Err("a lone leading surrogate in a \\u escape".into());
                    }
                    let lo = hex4(b, i + 2)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err("a lone leading surrogate in a \\u escape".into());
                    }
                    i += 6;
                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                } else {
                    char::from_u32(hi)
                };
                out.push(c.ok_or("a lone trailing surrogate in a \\u escape")?);
            }
            other => return Err(format!("an invalid escape '\\{}'", other as char)),
        }
        run = i;
    }
    out.push_str(&inner[run..]);
    Ok(Cow::Owned(out))
}

fn hex4(b: &[u8], at: usize) -> Result<u32, String> {
    let d = b
        .get(at..at + 4)
        .ok_or("a \\u escape needs four hex digits")?;
    let mut v = 0u32;
    for &c in d {
        let x = (c as char)
            .to_digit(16)
            .ok_or("a \\u escape needs four hex digits")?;
        v = v * 16 + x;
    }
    Ok(v)
}

/// Appends the canonical compact text of the (already validated) JSON value `raw`: what
/// `serde_json::to_string` prints for the value parsed from `raw`.
pub fn compact_into(raw: &str, out: &mut String) -> Result<(), String> {
    let b = raw.as_bytes();
    let mut i = 0;
    let mut run_start = 0;
    // Copies verbatim runs; whitespace, escaped strings and numbers are rewritten.
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\r' | b'\n' => {
                out.push_str(&raw[run_start..i]);
                i += 1;
                run_start = i;
            }
            b'"' => {
                let end = string_end(b, i)?;
                let inner = &raw[i + 1..end - 1];
                if inner.contains('\\') {
                    out.push_str(&raw[run_start..i]);
                    escape_into(&unescape(inner)?, out);
                    run_start = end;
                }
                i = end;
            }
            b'-' | b'0'..=b'9' => {
                let end = number_end(b, i);
                let tok = &raw[i..end];
                if !prints_as_is(tok) {
                    out.push_str(&raw[run_start..i]);
                    let n: serde_json::Number = serde_json::from_str(tok)
                        .map_err(|e| format!("an invalid number {tok}: {e}"))?;
                    out.push_str(&n.to_string());
                    run_start = end;
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    out.push_str(&raw[run_start..]);
    Ok(())
}

/// The canonical compact text of a JSON value (see [`compact_into`]); borrowed when `raw` is
/// already in that form.
pub fn compact(raw: &str) -> Result<Cow<'_, str>, String> {
    if is_canonical(raw) {
        return Ok(Cow::Borrowed(raw));
    }
    let mut s = String::with_capacity(raw.len());
    compact_into(raw, &mut s)?;
    Ok(Cow::Owned(s))
}

/// Whether `raw` needs no rewriting: no whitespace outside strings, no escapes, and only
/// integers that print back as they are.
fn is_canonical(raw: &str) -> bool {
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\r' | b'\n' | b'\\' => return false,
            b'"' => {
                let end = plain_run_end(b, i + 1);
                if b.get(end) != Some(&b'"') {
                    return false;
                }
                i = end + 1;
            }
            b'-' | b'0'..=b'9' => {
                let end = number_end(b, i);
                if !prints_as_is(&raw[i..end]) {
                    return false;
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    true
}

/// A number token that serde_json prints back unchanged: see [`plain_integer`] and
/// [`plain_decimal`].
pub fn prints_as_is(tok: &str) -> bool {
    plain_integer(tok) || plain_decimal(tok)
}

/// A decimal token (`-?(0|[1-9][0-9]*)\.[0-9]*[1-9]`, no exponent) that serde_json prints back
/// unchanged: at most 15 significant digits (so the nearest f64 prints as the same shortest
/// digits) and a magnitude that prints without an exponent (at least 0.001, below 1e15).
fn plain_decimal(tok: &str) -> bool {
    let digits = tok.strip_prefix('-').unwrap_or(tok);
    let Some((int, frac)) = digits.split_once('.') else {
        return false;
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if !all_digits(int) || !all_digits(frac) || !frac.ends_with(|c: char| c != '0') {
        return false;
    }
    if int == "0" {
        let zeros = frac.len() - frac.trim_start_matches('0').len();
        zeros <= 2 && frac.len() - zeros <= 15
    } else {
        !int.starts_with('0') && int.len() + frac.len() <= 15
    }
}

/// An integer token that serde_json prints back unchanged (fits 64 bits, not `-0`).
fn plain_integer(tok: &str) -> bool {
    let digits = tok.strip_prefix('-').unwrap_or(tok);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return false;
    }
    if tok.starts_with('-') {
        digits != "0" && tok.parse::<i64>().is_ok()
    } else {
        tok.parse::<u64>().is_ok()
    }
}

/// A string as a JSON string token, escaped the way serde_json escapes.
pub fn escape_into(s: &str, out: &mut String) {
    out.push('"');
    let mut run = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        out.push_str(&s[run..i]);
        match esc {
            Some(e) => out.push_str(e),
            None => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let v = c as usize;
                out.push_str("\\u00");
                out.push(HEX[v >> 4] as char);
                out.push(HEX[v & 15] as char);
            }
        }
        run = i + c.len_utf8();
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// The end (exclusive) of the string token starting at `start` (a quote).
fn string_end(b: &[u8], start: usize) -> Result<usize, String> {
    let mut i = start + 1;
    loop {
        match memchr::memchr2(b'"', b'\\', &b[i..]) {
            Some(j) => {
                i += j;
                if b[i] == b'"' {
                    return Ok(i + 1);
                }
                i += 2;
                if i > b.len() {
                    return Err("a string ends inside an escape".into());
                }
            }
            None => return Err("an unterminated string".into()),
        }
    }
}

fn number_end(b: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
        i += 1;
    }
    i
}

/// Whether `b` holds a backslash (eight bytes at a time: strings here are mostly short, where
/// a SIMD search costs more to set up than it saves).
fn has_backslash(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let v = u64::from_le_bytes(w) ^ (ONES * u64::from(b'\\'));
        if v.wrapping_sub(ONES) & !v & HIGH != 0 {
            return true;
        }
    }
    chunks.remainder().contains(&b'\\')
}

/// The first byte at or after `i` that ends a run of plain string characters: a quote, a
/// backslash or a control character (or the end). Sixteen bytes at a time (SSE2, which every
/// x86-64 processor has), then eight at a time.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn plain_run_end(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..i + 16) {
        let mut w = [0u8; 16];
        w.copy_from_slice(chunk);
        // SAFETY: the function only needs SSE2, which this build's target has (cfg above).
        let mask = unsafe { special_bytes(w) };
        if mask != 0 {
            return i + mask.trailing_zeros() as usize;
        }
        i += 16;
    }
    plain_run_end_swar(b, i)
}

/// A bit per byte of `w` that is a quote, a backslash or below 0x20.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
fn special_bytes(w: [u8; 16]) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x,
        _mm_set1_epi8,
    };
    let v = u128::from_le_bytes(w);
    let v = _mm_set_epi64x((v >> 64) as u64 as i64, v as u64 as i64);
    let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
    let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
    // A byte is below 0x20 when its unsigned minimum with 0x1f is itself.
    let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
    _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) as u32
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn plain_run_end(b: &[u8], i: usize) -> usize {
    plain_run_end_swar(b, i)
}

/// [`plain_run_end`] eight bytes at a time.
fn plain_run_end_swar(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A high bit per byte that is zero (`has_zero`) or below 0x20 (`below_space`); exact for
    // the first such byte, which is all that is looked for.
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below_space = |v: u64| v.wrapping_sub(ONES * 0x20) & !v & HIGH;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let v = u64::from_le_bytes(w);
        let special = has_zero(v ^ (ONES * u64::from(b'"')))
            | has_zero(v ^ (ONES * u64::from(b'\\')))
            | below_space(v);
        if special != 0 {
            return i + (special.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

/// A member's key as scanned: its text between the quotes, and whether that has escapes.
struct Key<'a> {
    raw: &'a str,
    escaped: bool,
}

impl<'a> Key<'a> {
    fn decoded(&self) -> Result<Cow<'a, str>, String> {
        if self.escaped {
            unescape(self.raw)
        } else {
            Ok(Cow::Borrowed(self.raw))
        }
    }

    fn is(&self, key: &str) -> Result<bool, String> {
        Ok(if self.escaped {
            unescape(self.raw)? == key
        } else {
            self.raw == key
        })
    }
}

struct Parser<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    /// Whether the last string token read had an escape.
    escaped: bool,
    /// No escape, no whitespace inside a member's value (depth above 0) and no number that
    /// would print differently has been seen so far (see [`Canonical::Yes`]).
    canonical: bool,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            b: text.as_bytes(),
            i: 0,
            escaped: false,
            canonical: true,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Skips whitespace; says whether there was any.
    fn ws(&mut self) -> bool {
        let start = self.i;
        while let Some(b' ' | b'\t' | b'\r' | b'\n') = self.peek() {
            self.i += 1;
        }
        self.i > start
    }

    /// Skips whitespace inside an object at `depth`: inside a member's value (depth above 0)
    /// it makes the record's texts not canonical.
    fn ws_at(&mut self, depth: usize) {
        if self.ws() && depth > 0 {
            self.canonical = false;
        }
    }

    fn err(&self, what: &str) -> String {
        match self.peek() {
            Some(c) if c.is_ascii_graphic() => {
                format!("{what} at byte {} (found '{}')", self.i, c as char)
            }
            Some(c) => format!("{what} at byte {} (found byte 0x{c:02x})", self.i),
            None => format!("{what} at byte {} (found the end of the record)", self.i),
        }
    }

    fn expect(&mut self, c: u8, what: &str) -> Result<(), String> {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(what))
        }
    }

    /// An object's members; the opening brace is next.
    fn members_into(&mut self, depth: usize, out: &mut Members<'a>) -> Result<(), String> {
        self.each_member(depth, |k, v| {
            out.push((k.decoded()?, v));
            Ok(())
        })
    }

    /// The last value of member `key` of the object that is next (as `members` would give
    /// it, without collecting the others).
    fn find_member(&mut self, key: &str) -> Result<Option<&'a str>, String> {
        let mut found = None;
        self.each_member(0, |k, v| {
            if k.is(key)? {
                found = Some(v);
            }
            Ok(())
        })?;
        Ok(found)
    }

    /// Walks the object that is next, validating it, and hands each member's key and raw
    /// value to `visit` in order.
    fn each_member(
        &mut self,
        depth: usize,
        mut visit: impl FnMut(Key<'a>, &'a str) -> Result<(), String>,
    ) -> Result<(), String> {
        self.i += 1;
        self.ws_at(depth);
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws_at(depth);
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a quoted key"));
            }
            let (s, e) = self.string()?;
            let key = Key {
                raw: &self.text[s + 1..e - 1],
                escaped: self.escaped,
            };
            self.ws_at(depth);
            self.expect(b':', "expected ':' after a key")?;
            self.ws_at(depth);
            let vs = self.i;
            self.value(depth + 1)?;
            visit(key, &self.text[vs..self.i])?;
            self.ws_at(depth);
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.err("expected ',' or '}' in an object")),
            }
        }
    }

    /// An array's elements; the opening bracket is next.
    fn elements(&mut self, depth: usize) -> Result<Vec<&'a str>, String> {
        self.i += 1;
        let mut out = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(out);
        }
        loop {
            self.ws();
            let vs = self.i;
            self.value(depth + 1)?;
            out.push(&self.text[vs..self.i]);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(out);
                }
                _ => return Err(self.err("expected ',' or ']' in an array")),
            }
        }
    }

    /// Skips one value, validating it.
    fn value(&mut self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(self.err("JSON nested too deeply"));
        }
        match self.peek() {
            Some(b'"') => self.string().map(|_| ()),
            Some(b'{') => self.skip_object(depth),
            Some(b'[') => self.skip_array(depth),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.err("expected a JSON value")),
        }
    }

    fn skip_object(&mut self, depth: usize) -> Result<(), String> {
        self.each_member(depth, |_, _| Ok(()))
    }

    fn skip_array(&mut self, depth: usize) -> Result<(), String> {
        self.i += 1;
        self.ws_at(depth);
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws_at(depth);
            self.value(depth + 1)?;
            self.ws_at(depth);
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.err("expected ',' or ']' in an array")),
            }
        }
    }

    /// A string token: its span including the quotes. Control characters must be escaped and
    /// escapes must be valid.
    fn string(&mut self) -> Result<(usize, usize), String> {
        let start = self.i;
        let mut i = start + 1;
        self.escaped = false;
        loop {
            i = plain_run_end(self.b, i);
            match self.b.get(i) {
                None => {
                    self.i = self.b.len();
                    return Err(self.err("an unterminated string"));
                }
                Some(b'"') => {
                    self.i = i + 1;
                    return Ok((start, self.i));
                }
                Some(b'\\') => {
                    self.escaped = true;
                    self.canonical = false;
                }
                Some(_) => {
                    self.i = i;
                    return Err(self.err("a control character inside a string"));
                }
            }
            match self.b.get(i + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                Some(b'u') => {
                    if hex4(self.b, i + 2).is_err() {
                        self.i = i;
                        return Err(self.err("a \\u escape needs four hex digits"));
                    }
                    i += 6;
                }
                _ => {
                    self.i = i;
                    return Err(self.err("an invalid escape in a string"));
                }
            }
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), String> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.err("expected a JSON value"))
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<(), String> {
        let start = self.i;
        let digits = |p: &mut Self| {
            let s = p.i;
            while let Some(b'0'..=b'9') = p.peek() {
                p.i += 1;
            }
            p.i - s
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.err("expected a digit in a number")),
        }
        let point = self.peek() == Some(b'.');
        if point {
            self.i += 1;
            if digits(self) == 0 {
                return Err(self.err("expected a digit after '.' in a number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.canonical = false;
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(self.err("expected a digit in a number's exponent"));
            }
        }
        if let Some(c) = self.peek()
            && !matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n')
        {
            return Err(self.err("unexpected character after a number"));
        }
        if self.canonical {
            let tok = &self.text[start..self.i];
            // Up to 18 digits always fit 64 bits: only `-0` prints differently then.
            let plain = if point {
                plain_decimal(tok)
            } else if tok.len() <= 18 {
                tok != "-0"
            } else {
                plain_integer(tok)
            };
            self.canonical = plain;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn canon(raw: &str) -> String {
        let v: Value = serde_json::from_str(raw).expect("valid test JSON");
        serde_json::to_string(&v).expect("printable")
    }

    #[test]
    fn numbers_taken_as_they_are_print_back_unchanged() {
        // Every token `prints_as_is` accepts must be what serde_json prints for it (dynamic
        // columns keep serde_json's text); tokens of every shape near the limits are tried.
        let mut next = crate::testing::xorshift(0x9e37_79b9_7f4a_7c15);
        let mut accepted = 0;
        for _ in 0..200_000 {
            let mut tok = String::new();
            if next(2) == 0 {
                tok.push('-');
            }
            if next(3) == 0 {
                tok.push('0');
            } else {
                for i in 0..1 + next(18) {
                    tok.push(
                        char::from(b'0' + (next(10) as u8) + u8::from(i == 0 && next(9) > 0))
                            .min('9'),
                    );
                }
            }
            if next(5) > 0 {
                tok.push('.');
                for _ in 0..next(4) {
                    tok.push('0');
                }
                for _ in 0..1 + next(18) {
                    tok.push(char::from(b'0' + next(10) as u8));
                }
            }
            if next(8) == 0 {
                tok.push_str(["e5", "E-3", "e+2"][next(3) as usize]);
            }
            // Tokens reach this check only once validated as JSON numbers.
            let Ok(n) = serde_json::from_str::<serde_json::Number>(&tok) else {
                continue;
            };
            if !prints_as_is(&tok) {
                continue;
            }
            accepted += 1;
            assert_eq!(n.to_string(), tok, "{tok} is not printed back as it is");
        }
        assert!(accepted > 20_000, "only {accepted} tokens accepted");
        for tok in [
            "47.6",
            "-122.3",
            "0.001",
            "0.5",
            "123456789012.345",
            "-0.25",
        ] {
            assert!(prints_as_is(tok), "{tok}");
        }
        for tok in ["47.60", "1e5", "1.5E3", "0.0001", "-0", "-0.0", "01.5"] {
            assert!(!prints_as_is(tok), "{tok}");
        }
        // Objects holding such numbers are already canonical.
        let loc = r#"{"city":"Oslo","geoCoordinates":{"altitude":null,"latitude":59.91,"longitude":10.75}}"#;
        assert!(matches!(compact(loc), Ok(Cow::Borrowed(_))));
        assert_eq!(compact(loc).ok().as_deref(), Some(canon(loc).as_str()));
    }

    #[test]
    fn records_said_canonical_hold_only_canonical_values() {
        // Values in every form: canonical ones, and ones with whitespace, escapes or numbers
        // that print differently. Records are built from random picks, with whitespace
        // between top-level members sometimes (it is not part of any value).
        let values = [
            r#""plain""#,
            r#""""#,
            r#""café""#,
            r#""a\"b""#,
            r#""tab\tx""#,
            "0",
            "-0",
            "-12",
            "50126",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "123456789012345678",
            "47.6",
            "47.60",
            "0.0001",
            "1e5",
            "1.5E-3",
            "true",
            "null",
            "[]",
            "[ ]",
            "[1,2]",
            "[1, 2]",
            r#"{"city":"Oslo","geo":{"lat":59.91,"alt":null}}"#,
            r#"{"city": "Oslo"}"#,
            r#"{"a":{"b":[{"c":"d\/e"}]}}"#,
            r#"{"a":{"b":[{"c":-0.0}]}}"#,
            "{\n\"a\":1}",
        ];
        let mut random = crate::testing::xorshift(0x2545_f491_4f6c_dd1d);
        let mut next = move |n: usize| random(n as u64) as usize;
        let (mut yes, mut unknown) = (0, 0);
        for _ in 0..20_000 {
            let mut rec = String::from("{");
            for m in 0..1 + next(5) {
                if m > 0 {
                    rec.push_str([",", ", ", ",\n  "][next(3)]);
                }
                rec.push_str(&format!("\"k{m}\":{}", values[next(values.len())]));
            }
            rec.push('}');
            let mut out = Vec::new();
            let form = object_members_into(&rec, &mut out).expect("valid test JSON");
            let all_canonical = out.iter().all(|(_, v)| {
                canon(v) == *v && !v.contains('\\') && matches!(compact(v), Ok(Cow::Borrowed(_)))
            });
            match form {
                Canonical::Yes => {
                    yes += 1;
                    assert!(all_canonical, "{rec} said canonical");
                }
                Canonical::Unknown => {
                    unknown += 1;
                    assert!(!all_canonical, "{rec} has only canonical values");
                }
            }
        }
        assert!(yes > 500 && unknown > 500, "{yes} canonical, {unknown} not");
    }

    #[test]
    fn plain_runs_end_at_the_first_special_byte() {
        let naive = |b: &[u8], i: usize| {
            (i..b.len())
                .find(|&j| b[j] == b'"' || b[j] == b'\\' || b[j] < 0x20)
                .unwrap_or(b.len())
        };
        let short = "abcdéfgh ijklmnopqrstuvwxyz0123456789".as_bytes();
        let long = "abcdéfgh ijklmnopqrstuvwxyz0123456789 Mozilla/5.0 (Windows NT 10.0) Edge/120"
            .as_bytes();
        let specials = [b'"', b'\\', b'\n', 0u8, 0x1f];
        for base in [short, long] {
            for special in specials {
                for second in specials {
                    for at in 0..base.len() {
                        let mut b = base.to_vec();
                        b[at] = special;
                        // A second special byte further on must not hide the first.
                        if at + 3 < b.len() {
                            b[at + 3] = second;
                        }
                        for start in 0..=at {
                            assert_eq!(
                                plain_run_end(&b, start),
                                naive(&b, start),
                                "{b:?} from {start}"
                            );
                            assert_eq!(
                                plain_run_end_swar(&b, start),
                                naive(&b, start),
                                "{b:?} from {start}"
                            );
                        }
                    }
                }
            }
            for start in 0..=base.len() {
                assert_eq!(plain_run_end(base, start), base.len());
            }
        }
    }

    #[test]
    fn members_in_order_with_raw_values() {
        let m = object_members(r#" {"a": 1, "b\n": {"x": [1, 2]}, "c": "s\"q", "d": null} "#)
            .expect("valid");
        let keys: Vec<&str> = m.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["a", "b\n", "c", "d"]);
        assert_eq!(m[1].1, r#"{"x": [1, 2]}"#);
        assert_eq!(as_str(m[2].1).as_deref(), Some("s\"q"));
        assert!(is_null(m[3].1));
        assert_eq!(member(m[1].1, "x"), Some("[1, 2]"));
        // As serde_json reads it: the last of repeated keys, escapes in keys decoded.
        assert_eq!(member(r#"{"a":1,"b":0,"a":2}"#, "a"), Some("2"));
        assert_eq!(member(r#"{"\u0061":3}"#, "a"), Some("3"));
        assert_eq!(member(r#"{"a":1,}"#, "a"), None);
        assert_eq!(member("{}", "a"), None);
        assert_eq!(elements("[1, \"a\" ,{}]"), Some(vec!["1", "\"a\"", "{}"]));
    }

    #[test]
    fn rejects_what_serde_json_rejects() {
        for bad in [
            r#"{"a": tru}"#,
            r#"{"a": 01}"#,
            r#"{"a": 1.}"#,
            r#"{"a": "x\q"}"#,
            r#"{"a": [1,]}"#,
            r#"{"a" 1}"#,
            r#"{"a": 1} x"#,
            "{\"a\": \"tab\there\"}",
            r#"{"a": "\ud800"}"#,
            r#"[1]"#,
            r#"{"a": {"b": 1}"#,
        ] {
            let ours = object_members(bad)
                .and_then(|m| m.iter().try_for_each(|(_, v)| compact(v).map(|_| ())));
            assert!(ours.is_err(), "accepted {bad}");
            assert!(
                serde_json::from_str::<serde_json::Map<String, Value>>(bad).is_err(),
                "serde_json accepts {bad}"
            );
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(object_members(&deep).is_err());
    }

    #[test]
    fn compact_text_matches_serde_json() {
        for raw in [
            r#"{"city": "Oslo", "geo": {"latitude": 59.90, "longitude": -0.0, "alt": null}}"#,
            r#"[1, -2, 18446744073709551615, 18446744073709551616, 1e5, 2.50, -0]"#,
            r#"{"s": "caf\u00e9 \/ \"q\" \t", "k\u0041": "plain"}"#,
            r#"{"emoji": "\ud83d\ude00", "ctl": "\u0001"}"#,
            "[\n  {\"a\": true,\n   \"b\": false}\n]",
            r#""just a string""#,
            "123",
            "3.14159",
        ] {
            assert_eq!(compact(raw).expect("valid").as_ref(), canon(raw), "{raw}");
        }
        assert!(matches!(
            compact(r#"{"a":[1,2],"b":"x"}"#),
            Ok(Cow::Borrowed(_))
        ));
    }

    #[test]
    fn escapes_like_serde_json() {
        for s in ["plain", "q\"b\\", "nl\n cr\r tab\t", "\u{1}\u{1f}", "é😀"] {
            let mut out = String::new();
            escape_into(s, &mut out);
            assert_eq!(out, serde_json::to_string(s).expect("string"));
        }
    }
}
