//! Datetimes as 100-ns ticks since the Unix epoch.

use crate::types::{TICKS_PER_DAY, TICKS_PER_SECOND};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// Ticks for a calendar date-time (UTC).
pub fn from_naive(dt: NaiveDateTime) -> Option<i64> {
    let days = dt
        .date()
        .signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1)?)
        .num_days();
    let t = dt.time();
    let secs = t.num_seconds_from_midnight() as i64;
    let ticks = days
        .checked_mul(TICKS_PER_DAY)?
        .checked_add(secs * TICKS_PER_SECOND)?;
    ticks.checked_add((t.nanosecond() % 1_000_000_000) as i64 / 100)
}

/// The calendar date-time for ticks.
pub fn to_naive(ticks: i64) -> Option<NaiveDateTime> {
    let days = ticks.div_euclid(TICKS_PER_DAY);
    let rem = ticks.rem_euclid(TICKS_PER_DAY);
    let date =
        NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::Duration::days(days))?;
    let secs = (rem / TICKS_PER_SECOND) as u32;
    let nanos = ((rem % TICKS_PER_SECOND) * 100) as u32;
    let time = NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos)?;
    Some(NaiveDateTime::new(date, time))
}

/// Kusto's valid datetime range: 0001-01-01 to 9999-12-31 23:59:59.9999999.
pub const MIN_TICKS: i64 = -621_355_968_000_000_000;
pub const MAX_TICKS: i64 = 2_534_023_007_999_999_999;

/// ISO-8601 UTC text as Kusto prints datetimes: `2020-01-01T10:00:00Z`, with up to seven
/// fraction digits (trailing zeros dropped) when the value has a fraction.
pub fn format_iso(ticks: i64) -> String {
    let Some(dt) = to_naive(ticks) else {
        return String::new();
    };
    let frac = ticks.rem_euclid(TICKS_PER_SECOND);
    let base = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    if frac == 0 {
        format!("{base}Z")
    } else {
        let f = format!("{frac:07}");
        format!("{base}.{}Z", f.trim_end_matches('0'))
    }
}

/// Parses the datetime forms Kusto accepts in `datetime(...)` and `todatetime()`: ISO 8601
/// (`2020-01-01`, `2020-01-01 10:00`, `2020-01-01T10:00:00.1234567Z`, offsets `+02:00`),
/// RFC 822/1123 (`Sat, 8 Nov 2014 15:05:02 GMT`), and `1/2/2020 3:04:05 PM` style dates.
/// Returns ticks, or None when the text is not a datetime.
pub fn parse(text: &str) -> Option<i64> {
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return from_naive(dt.naive_utc());
    }
    if let Ok(dt) = DateTime::parse_from_rfc2822(s) {
        return from_naive(dt.naive_utc());
    }
    let s2 = s.trim_end_matches('Z').trim_end_matches('z');
    let s2 = s2.replacen(' ', "T", 1);
    let (body, offset_secs) = split_offset(&s2);
    const FMTS: [&str; 4] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H",
        "%Y%m%dT%H%M%S",
    ];
    for f in FMTS {
        if let Ok(dt) = NaiveDateTime::parse_from_str(body, f) {
            return from_naive(dt)?.checked_sub(offset_secs * TICKS_PER_SECOND);
        }
    }
    for f in ["%Y-%m-%d", "%Y%m%d", "%Y-%m"] {
        let b = if f == "%Y-%m" {
            format!("{body}-01")
        } else {
            body.to_string()
        };
        let f2 = if f == "%Y-%m" { "%Y-%m-%d" } else { f };
        if let Ok(d) = NaiveDate::parse_from_str(&b, f2) {
            return from_naive(d.and_hms_opt(0, 0, 0)?);
        }
    }
    // US style: 4/28/2021, 2:08:45.221 PM  |  4/28/2021 2:08 PM  |  4/28/2021
    let us = s.replace(',', "");
    for f in [
        "%m/%d/%Y %I:%M:%S%.f %p",
        "%m/%d/%Y %I:%M %p",
        "%m/%d/%Y %H:%M:%S%.f",
        "%m/%d/%Y %H:%M",
        "%d %b %Y %H:%M:%S%.f",
        "%d %B %Y %H:%M:%S%.f",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(&us, f) {
            return from_naive(dt);
        }
    }
    for f in ["%m/%d/%Y", "%d %b %Y", "%d %B %Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(&us, f) {
            return from_naive(d.and_hms_opt(0, 0, 0)?);
        }
    }
    None
}

/// Splits a trailing `+hh:mm` / `-hh:mm` offset off an ISO body (after the time part).
fn split_offset(s: &str) -> (&str, i64) {
    if let Some(tpos) = s.find('T') {
        let tail = &s[tpos..];
        if let Some(p) = tail.rfind(['+', '-']) {
            let off = &tail[p + 1..];
            let sign = if tail.as_bytes()[p] == b'-' { -1 } else { 1 };
            let parts: Vec<&str> = off.split(':').collect();
            let parsed = match parts.as_slice() {
                [h, m] => h.parse::<i64>().ok().zip(m.parse::<i64>().ok()),
                [hm] if hm.len() == 4 => {
                    hm[..2].parse::<i64>().ok().zip(hm[2..].parse::<i64>().ok())
                }
                [h] if h.len() <= 2 => h.parse::<i64>().ok().map(|h| (h, 0)),
                _ => None,
            };
            if let Some((h, m)) = parsed {
                return (&s[..tpos + p], sign * (h * 3600 + m * 60));
            }
        }
    }
    (s, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let t = parse("2020-01-01T10:00:00.5Z").unwrap();
        assert_eq!(format_iso(t), "2020-01-01T10:00:00.5Z");
        assert_eq!(
            format_iso(parse("0100-02-28").unwrap()),
            "0100-02-28T00:00:00Z"
        );
        assert_eq!(parse("1970-01-01"), Some(0));
        assert_eq!(parse("2020-01-01 01:00:00+01:00"), parse("2020-01-01"));
    }
}
