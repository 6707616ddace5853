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

/// The form logs write datetimes in, read without the general parser:
/// `YYYY-MM-DDTHH:MM:SS[.f…]Z` (one to nine fraction digits, beyond 100 ns dropped, as the
/// general parser does). None for anything else (then the general parser decides), including
/// leap seconds and offsets.
fn parse_utc_iso(b: &[u8]) -> Option<i64> {
    if b.len() < 20 || b.len() > 30 || !matches!(b.last(), Some(b'Z')) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b.get(r)?.iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let sep = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59
    {
        return None;
    }
    // Fraction: `.` and one to nine digits, then the `Z` at the end.
    let frac = match b.len() {
        20 => 0,
        n if (22..=30).contains(&n) && sep(19, b'.') => {
            let digits = num(20..n - 1)?;
            digits * 10i64.pow((30 - n) as u32) / 100
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    Some(days * TICKS_PER_DAY + (h * 3600 + mi * 60 + sec) * TICKS_PER_SECOND + frac)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
    if let Some(t) = parse_utc_iso(s.as_bytes()) {
        return Some(t);
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
    fn log_timestamps_read_as_the_general_parser_reads_them() {
        // The fast form against chrono's RFC 3339 reading, over dates from year 1 to 9999
        // (leap days, month ends) and every fraction length; malformed ones must fall through.
        let general = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .ok()
                .and_then(|dt| from_naive(dt.naive_utc()))
        };
        let mut seed: u64 = 0x853c_49e6_748f_ea9b;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut checked = 0;
        for _ in 0..100_000 {
            let y = [1, 1600, 1899, 1900, 1969, 1970, 2000, 2024, 2100, 9999][next(10) as usize]
                + next(3) as i64;
            let y = y.min(9999);
            let (mo, d) = (1 + next(13), 1 + next(31));
            let (h, mi, sec) = (next(25), next(61), next(61));
            let digits = next(11) as usize;
            let frac: String = (0..digits)
                .map(|_| char::from(b'0' + next(10) as u8))
                .collect();
            let dot = if digits > 0 { "." } else { "" };
            let s = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{sec:02}{dot}{frac}Z");
            let fast = parse_utc_iso(s.as_bytes());
            if let Some(t) = fast {
                checked += 1;
                assert_eq!(Some(t), general(&s), "{s}");
            } else {
                // Only what the fast form does not cover falls through.
                assert!(
                    general(&s).is_none() || sec == 60 || digits > 9,
                    "{s} fell through"
                );
            }
        }
        assert!(checked > 30_000, "{checked}");
        for s in [
            "2026-10-01T00:00:00+00:00",
            "2026-10-01 00:00:00Z",
            "2026-10-01T00:00:00.Z",
            "2026-1-01T00:00:00Z",
            "2026-10-01T00:00:00z",
            "+2026-10-01T00:00:00Z",
        ] {
            assert_eq!(parse_utc_iso(s.as_bytes()), None, "{s}");
        }
        assert_eq!(
            parse("2026-10-01T12:34:56.1234567Z"),
            general("2026-10-01T12:34:56.1234567Z")
        );
    }

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
