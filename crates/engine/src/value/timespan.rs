//! Timespans as 100-ns ticks.

use crate::types::{TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MINUTE, TICKS_PER_SECOND};

/// Kusto's text form `[-][d.]hh:mm:ss[.fffffff]`.
pub fn format(ticks: i64) -> String {
    let neg = ticks < 0;
    let t = ticks.unsigned_abs();
    let day = TICKS_PER_DAY as u64;
    let days = t / day;
    let rem = t % day;
    let h = rem / TICKS_PER_HOUR as u64;
    let m = (rem % TICKS_PER_HOUR as u64) / TICKS_PER_MINUTE as u64;
    let s = (rem % TICKS_PER_MINUTE as u64) / TICKS_PER_SECOND as u64;
    let f = rem % TICKS_PER_SECOND as u64;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if days > 0 {
        out.push_str(&format!("{days}."));
    }
    out.push_str(&format!("{h:02}:{m:02}:{s:02}"));
    if f > 0 {
        out.push_str(&format!(".{f:07}"));
    }
    out
}

/// Parses `[-][d.]hh:mm[:ss[.fffffff]]`, or a number with a unit (`10m`, `1.5h`, `2d`), or a bare
/// number of days (`time(2)`).
pub fn parse(text: &str) -> Option<i64> {
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest.trim()),
        None => (false, s.strip_prefix('+').unwrap_or(s).trim()),
    };
    let v = if body.contains(':') {
        parse_clock(body)?
    } else {
        parse_unit(body)?
    };
    Some(if neg { -v } else { v })
}

fn parse_clock(s: &str) -> Option<i64> {
    let (days, clock) = match s.split_once(':') {
        Some((head, _)) if head.contains('.') => {
            let (d, _) = head.split_once('.')?;
            (d.parse::<i64>().ok()?, &s[d.len() + 1..])
        }
        _ => (0, s),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let (h, m, sec) = match parts.as_slice() {
        [h, m] => (*h, *m, "0"),
        [h, m, s] => (*h, *m, *s),
        _ => return None,
    };
    let h: i64 = h.parse().ok()?;
    let m: i64 = m.parse().ok()?;
    let (whole, frac) = match sec.split_once('.') {
        Some((w, f)) => (w, f),
        None => (sec, ""),
    };
    let whole: i64 = whole.parse().ok()?;
    let frac_ticks = if frac.is_empty() {
        0
    } else {
        let digits: String = frac.chars().chain(std::iter::repeat('0')).take(7).collect();
        digits.parse::<i64>().ok()?
    };
    Some(
        days * TICKS_PER_DAY
            + h * TICKS_PER_HOUR
            + m * TICKS_PER_MINUTE
            + whole * TICKS_PER_SECOND
            + frac_ticks,
    )
}

/// Ticks per unit for a timespan unit suffix, or None.
pub fn unit_ticks(unit: &str) -> Option<f64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "d" | "day" | "days" => TICKS_PER_DAY as f64,
        "h" | "hr" | "hrs" | "hour" | "hours" => TICKS_PER_HOUR as f64,
        "m" | "min" | "mins" | "minute" | "minutes" => TICKS_PER_MINUTE as f64,
        "s" | "sec" | "secs" | "second" | "seconds" => TICKS_PER_SECOND as f64,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 10_000.0,
        "microsecond" | "microseconds" => 10.0,
        "tick" | "ticks" => 1.0,
        _ => return None,
    })
}

fn parse_unit(s: &str) -> Option<i64> {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let per = if unit.is_empty() {
        TICKS_PER_DAY as f64
    } else {
        unit_ticks(unit.trim())?
    };
    Some((n * per).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn forms() {
        assert_eq!(format(parse("1.02:03:04.5").unwrap()), "1.02:03:04.5000000");
        assert_eq!(parse("10m"), Some(10 * TICKS_PER_MINUTE));
        assert_eq!(format(-TICKS_PER_HOUR), "-01:00:00");
        assert_eq!(parse("2"), Some(2 * TICKS_PER_DAY));
    }
}
