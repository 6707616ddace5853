//! Rule durations: Sentinel YAML writes `5m`, `1h`, `14d`; ARM exports write ISO 8601 (`PT5H`,
//! `P1D`, `P1DT12H`). Both become 100-ns ticks.

use engine::types::{TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MINUTE, TICKS_PER_SECOND};

pub fn parse(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Some(iso) = t.strip_prefix('P').or_else(|| t.strip_prefix('p')) {
        return parse_iso(iso);
    }
    let digits = t.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &t[digits.len()..];
    let n: i64 = digits.trim().parse().ok()?;
    let per = match unit.to_ascii_lowercase().as_str() {
        "s" | "sec" | "second" | "seconds" => TICKS_PER_SECOND,
        "m" | "min" | "minute" | "minutes" => TICKS_PER_MINUTE,
        "h" | "hr" | "hour" | "hours" => TICKS_PER_HOUR,
        "d" | "day" | "days" => TICKS_PER_DAY,
        _ => return None,
    };
    n.checked_mul(per)
}

fn parse_iso(s: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut in_time = false;
    let mut num = String::new();
    let mut any = false;
    for c in s.chars() {
        match c {
            'T' | 't' => in_time = true,
            '0'..='9' | '.' => num.push(c),
            _ => {
                let v: f64 = num.parse().ok()?;
                num.clear();
                let per = match (c.to_ascii_uppercase(), in_time) {
                    ('W', false) => 7 * TICKS_PER_DAY,
                    ('D', false) => TICKS_PER_DAY,
                    ('H', true) => TICKS_PER_HOUR,
                    ('M', true) => TICKS_PER_MINUTE,
                    ('S', true) => TICKS_PER_SECOND,
                    _ => return None,
                };
                total = total.checked_add((v * per as f64) as i64)?;
                any = true;
            }
        }
    }
    (any && num.is_empty()).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings() {
        assert_eq!(parse("5h"), Some(5 * TICKS_PER_HOUR));
        assert_eq!(parse("14d"), Some(14 * TICKS_PER_DAY));
        assert_eq!(parse("PT5H"), Some(5 * TICKS_PER_HOUR));
        assert_eq!(parse("P1DT12H"), Some(TICKS_PER_DAY + 12 * TICKS_PER_HOUR));
        assert_eq!(parse("PT10M"), Some(10 * TICKS_PER_MINUTE));
        assert_eq!(parse("5x"), None);
        assert_eq!(parse("P"), None);
    }
}
