//! Dynamic values: compact JSON text in a Utf8 column. These helpers parse, print and walk it.
//!
//! Printing follows Kusto: objects keep their key order, reals that are integral keep a
//! fractional part only when they were reals (serde_json keeps `1.0` as a float).

pub use serde_json::Value;

/// Parses dynamic text. Invalid JSON is not dynamic (None).
pub fn parse(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}

/// Compact JSON text of a value.
pub fn to_text(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// One step of a path into a dynamic value: `.name`, `['name']` or `[index]`.
#[derive(Debug, Clone, PartialEq)]
pub enum PathElem {
    Key(String),
    Index(i64),
}

/// Follows a path; negative indexes count from the end as in Kusto.
pub fn get_path<'a>(mut v: &'a Value, path: &[PathElem]) -> Option<&'a Value> {
    for p in path {
        v = match (p, v) {
            (PathElem::Key(k), Value::Object(m)) => m.get(k)?,
            (PathElem::Index(i), Value::Array(a)) => {
                let len = a.len() as i64;
                let idx = if *i < 0 { len + i } else { *i };
                if idx < 0 {
                    return None;
                }
                a.get(idx as usize)?
            }
            _ => return None,
        };
    }
    Some(v)
}

/// The text a dynamic value converts to with `tostring()`: strings unquoted, other values as
/// compact JSON, null as the empty string.
pub fn to_kql_string(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => to_text(other),
    }
}

/// Byte index just past the JSON value starting at `i` (after whitespace), or None if the
/// text is not valid there. Strings honour escapes; containers are matched by depth.
fn skip_value(b: &[u8], mut i: usize) -> Option<usize> {
    i = skip_ws(b, i);
    match *b.get(i)? {
        b'"' => skip_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            while i < b.len() {
                match b[i] {
                    b'"' => {
                        i = skip_string(b, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            while i < b.len() && !matches!(b[i], b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
            {
                i += 1;
            }
            Some(i)
        }
    }
}

fn skip_string(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Finds the raw JSON text of `path` inside `text` without building a value tree. Returns
/// None when the path is absent or the text is not a plain JSON document; keys with escape
/// sequences are not matched here (callers fall back to a full parse).
pub fn get_path_raw<'a>(text: &'a str, path: &[PathElem]) -> Option<&'a str> {
    let b = text.as_bytes();
    let mut start = skip_ws(b, 0);
    let mut end = skip_value(b, start)?;
    for p in path {
        match p {
            PathElem::Key(k) => {
                if *b.get(start)? != b'{' {
                    return None;
                }
                let mut i = skip_ws(b, start + 1);
                let mut found = None;
                while i < end && b.get(i) != Some(&b'}') {
                    if b[i] != b'"' {
                        return None;
                    }
                    let kend = skip_string(b, i)?;
                    let key = text.get(i + 1..kend - 1)?;
                    if key.contains('\\') {
                        return None;
                    }
                    i = skip_ws(b, kend);
                    if b.get(i) != Some(&b':') {
                        return None;
                    }
                    let vstart = skip_ws(b, i + 1);
                    let vend = skip_value(b, vstart)?;
                    if key == k {
                        found = Some((vstart, vend));
                        break;
                    }
                    i = skip_ws(b, vend);
                    if b.get(i) == Some(&b',') {
                        i = skip_ws(b, i + 1);
                    }
                }
                let (s, e) = found?;
                start = s;
                end = e;
            }
            PathElem::Index(idx) => {
                if *b.get(start)? != b'[' {
                    return None;
                }
                let mut items = Vec::new();
                let mut i = skip_ws(b, start + 1);
                while i < end && b.get(i) != Some(&b']') {
                    let vend = skip_value(b, i)?;
                    items.push((i, vend));
                    i = skip_ws(b, vend);
                    if b.get(i) == Some(&b',') {
                        i = skip_ws(b, i + 1);
                    }
                }
                let n = items.len() as i64;
                let j = if *idx < 0 { n + idx } else { *idx };
                let (s, e) = *items.get(usize::try_from(j).ok()?)?;
                start = s;
                end = e;
            }
        }
    }
    text.get(start..end)
}

#[cfg(test)]
mod raw_tests {
    use super::*;

    #[test]
    fn raw_paths() {
        let t = r#"{"a": {"b": [10, "x\"y", {"c": null}]}, "d": true}"#;
        let p = |v: Vec<PathElem>| get_path_raw(t, &v).map(str::to_string);
        assert_eq!(p(vec![PathElem::Key("d".into())]).as_deref(), Some("true"));
        assert_eq!(
            p(vec![
                PathElem::Key("a".into()),
                PathElem::Key("b".into()),
                PathElem::Index(1)
            ])
            .as_deref(),
            Some(r#""x\"y""#)
        );
        assert_eq!(
            p(vec![
                PathElem::Key("a".into()),
                PathElem::Key("b".into()),
                PathElem::Index(-1)
            ])
            .as_deref(),
            Some(r#"{"c": null}"#)
        );
        assert_eq!(p(vec![PathElem::Key("zz".into())]), None);
        assert_eq!(get_path_raw("{\"a\":", &[PathElem::Key("a".into())]), None);
        assert_eq!(get_path_raw("", &[PathElem::Key("a".into())]), None);
    }
}
