//! CEF (ArcSight Common Event Format) lines → CommonSecurityLog, with or without a syslog
//! header before `CEF:`:
//! `CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension`.
//! Header fields unescape `\|` and `\\`; extension values unescape `\=`, `\\`, `\n`, `\r`.
//! An extension key is the word before an unescaped `=`; its value runs to the space before
//! the next key, so values may hold spaces (and `=` that follows no word-like key).
//!
//! Columns follow Sentinel's CEF ↔ CommonSecurityLog mapping (src → SourceIP, act →
//! DeviceAction, cs1 → DeviceCustomString1, …); keys without a column go to
//! AdditionalExtensions as `key=value` pairs. Activity = Name, DeviceEventClassID =
//! Signature ID, LogSeverity = Severity, Computer = the syslog host.
//!
//! TimeGenerated: `rt` (milliseconds since the epoch, or a date such as
//! `Mar 01 2024 10:00:00` / ISO 8601), else the syslog header's time. An RFC 3164 header
//! (`Mar  1 10:00:00`) has no year: it is taken from the record's own `start` or `end` date,
//! never from the clock (so the same line always gives the same row); without one the record
//! is rejected, as is a record with no time at all.

use super::{Format, Row, Skip, additional_extensions, iso_from_epoch_ms, iso_utc};
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{Value, json};

pub struct Cef;

/// A line holding `CEF:<digit>` followed by header fields.
pub fn looks_like(line: &str) -> bool {
    line.find("CEF:").is_some_and(|i| {
        line[i + 4..]
            .trim_start()
            .starts_with(|c: char| c.is_ascii_digit())
            && line[i..].contains('|')
    })
}

/// The CommonSecurityLog column of a CEF extension key (short names and full names).
fn column(key: &str) -> Option<&'static str> {
    Some(match key {
        "act" | "deviceAction" => "DeviceAction",
        "app" | "applicationProtocol" => "ApplicationProtocol",
        "cat" | "deviceEventCategory" => "DeviceEventCategory",
        "cnt" | "baseEventCount" => "EventCount",
        "destinationDnsDomain" => "DestinationDnsDomain",
        "destinationServiceName" => "DestinationServiceName",
        "destinationTranslatedAddress" => "DestinationTranslatedAddress",
        "destinationTranslatedPort" => "DestinationTranslatedPort",
        "deviceDirection" => "CommunicationDirection",
        "deviceDnsDomain" => "DeviceDnsDomain",
        "deviceExternalId" => "DeviceExternalID",
        "deviceFacility" => "DeviceFacility",
        "deviceInboundInterface" => "DeviceInboundInterface",
        "deviceNtDomain" => "DeviceNtDomain",
        "deviceOutboundInterface" => "DeviceOutboundInterface",
        "devicePayloadId" => "DevicePayloadId",
        "deviceProcessName" => "ProcessName",
        "deviceTranslatedAddress" => "DeviceTranslatedAddress",
        "dhost" | "destinationHostName" => "DestinationHostName",
        "dmac" | "destinationMacAddress" => "DestinationMACAddress",
        "dntdom" | "destinationNtDomain" => "DestinationNTDomain",
        "dpid" | "destinationProcessId" => "DestinationProcessId",
        "dpriv" | "destinationUserPrivileges" => "DestinationUserPrivileges",
        "dproc" | "destinationProcessName" => "DestinationProcessName",
        "dpt" | "destinationPort" => "DestinationPort",
        "dst" | "destinationAddress" => "DestinationIP",
        "dtz" | "deviceTimeZone" => "DeviceTimeZone",
        "duid" | "destinationUserId" => "DestinationUserID",
        "duser" | "destinationUserName" => "DestinationUserName",
        "dvc" | "deviceAddress" => "DeviceAddress",
        "dvchost" | "deviceHostName" => "DeviceName",
        "dvcmac" | "deviceMacAddress" => "DeviceMacAddress",
        "dvcpid" | "deviceProcessId" => "ProcessID",
        "end" | "endTime" => "EndTime",
        "fileCreateTime" => "FileCreateTime",
        "fileHash" => "FileHash",
        "fileId" => "FileID",
        "fileModificationTime" => "FileModificationTime",
        "filePath" => "FilePath",
        "filePermission" => "FilePermission",
        "fileType" => "FileType",
        "fname" | "fileName" => "FileName",
        "fsize" | "fileSize" => "FileSize",
        "flexDate1" => "FlexDate1",
        "flexDate1Label" => "FlexDate1Label",
        "flexNumber1" => "FlexNumber1",
        "flexNumber1Label" => "FlexNumber1Label",
        "flexNumber2" => "FlexNumber2",
        "flexNumber2Label" => "FlexNumber2Label",
        "flexString1" => "FlexString1",
        "flexString1Label" => "FlexString1Label",
        "flexString2" => "FlexString2",
        "flexString2Label" => "FlexString2Label",
        "in" | "bytesIn" => "ReceivedBytes",
        "msg" | "message" => "Message",
        "oldFileCreateTime" => "OldFileCreateTime",
        "oldFileHash" => "OldFileHash",
        "oldFileId" => "OldFileID",
        "oldFileModificationTime" => "OldFileModificationTime",
        "oldFileName" => "OldFileName",
        "oldFilePath" => "OldFilePath",
        "oldFilePermission" => "OldFilePermission",
        "oldFileSize" | "oldFsize" => "OldFileSize",
        "oldFileType" => "OldFileType",
        "out" | "bytesOut" => "SentBytes",
        "outcome" | "eventOutcome" => "EventOutcome",
        "proto" | "transportProtocol" => "Protocol",
        "reason" => "Reason",
        "request" | "requestUrl" => "RequestURL",
        "requestClientApplication" => "RequestClientApplication",
        "requestContext" => "RequestContext",
        "requestCookies" => "RequestCookies",
        "requestMethod" => "RequestMethod",
        "rt" | "receiptTime" => "ReceiptTime",
        "shost" | "sourceHostName" => "SourceHostName",
        "smac" | "sourceMacAddress" => "SourceMACAddress",
        "sntdom" | "sourceNtDomain" => "SourceNTDomain",
        "sourceDnsDomain" => "SourceDnsDomain",
        "sourceServiceName" => "SourceServiceName",
        "sourceTranslatedAddress" => "SourceTranslatedAddress",
        "sourceTranslatedPort" => "SourceTranslatedPort",
        "spid" | "sourceProcessId" => "SourceProcessId",
        "spriv" | "sourceUserPrivileges" => "SourceUserPrivileges",
        "sproc" | "sourceProcessName" => "SourceProcessName",
        "spt" | "sourcePort" => "SourcePort",
        "src" | "sourceAddress" => "SourceIP",
        "start" | "startTime" => "StartTime",
        "suid" | "sourceUserId" => "SourceUserID",
        "suser" | "sourceUserName" => "SourceUserName",
        "type" => "EventType",
        "cs1" | "deviceCustomString1" => "DeviceCustomString1",
        "cs2" | "deviceCustomString2" => "DeviceCustomString2",
        "cs3" | "deviceCustomString3" => "DeviceCustomString3",
        "cs4" | "deviceCustomString4" => "DeviceCustomString4",
        "cs5" | "deviceCustomString5" => "DeviceCustomString5",
        "cs6" | "deviceCustomString6" => "DeviceCustomString6",
        "cs1Label" | "deviceCustomString1Label" => "DeviceCustomString1Label",
        "cs2Label" | "deviceCustomString2Label" => "DeviceCustomString2Label",
        "cs3Label" | "deviceCustomString3Label" => "DeviceCustomString3Label",
        "cs4Label" | "deviceCustomString4Label" => "DeviceCustomString4Label",
        "cs5Label" | "deviceCustomString5Label" => "DeviceCustomString5Label",
        "cs6Label" | "deviceCustomString6Label" => "DeviceCustomString6Label",
        "cn1Label" | "deviceCustomNumber1Label" => "DeviceCustomNumber1Label",
        "cn2Label" | "deviceCustomNumber2Label" => "DeviceCustomNumber2Label",
        "cn3Label" | "deviceCustomNumber3Label" => "DeviceCustomNumber3Label",
        "cfp1" | "deviceCustomFloatingPoint1" => "DeviceCustomFloatingPoint1",
        "cfp2" | "deviceCustomFloatingPoint2" => "DeviceCustomFloatingPoint2",
        "cfp3" | "deviceCustomFloatingPoint3" => "DeviceCustomFloatingPoint3",
        "cfp4" | "deviceCustomFloatingPoint4" => "DeviceCustomFloatingPoint4",
        "cfp1Label" | "deviceCustomFloatingPoint1Label" => "DeviceCustomFloatingPoint1Label",
        "cfp2Label" | "deviceCustomFloatingPoint2Label" => "DeviceCustomFloatingPoint2Label",
        "cfp3Label" | "deviceCustomFloatingPoint3Label" => "DeviceCustomFloatingPoint3Label",
        "cfp4Label" | "deviceCustomFloatingPoint4Label" => "DeviceCustomFloatingPoint4Label",
        "c6a1" | "deviceCustomIPv6Address1" => "DeviceCustomIPv6Address1",
        "c6a2" | "deviceCustomIPv6Address2" => "DeviceCustomIPv6Address2",
        "c6a3" | "deviceCustomIPv6Address3" => "DeviceCustomIPv6Address3",
        "c6a4" | "deviceCustomIPv6Address4" => "DeviceCustomIPv6Address4",
        "c6a1Label" | "deviceCustomIPv6Address1Label" => "DeviceCustomIPv6Address1Label",
        "c6a2Label" | "deviceCustomIPv6Address2Label" => "DeviceCustomIPv6Address2Label",
        "c6a3Label" | "deviceCustomIPv6Address3Label" => "DeviceCustomIPv6Address3Label",
        "c6a4Label" | "deviceCustomIPv6Address4Label" => "DeviceCustomIPv6Address4Label",
        "deviceCustomDate1" => "DeviceCustomDate1",
        "deviceCustomDate1Label" => "DeviceCustomDate1Label",
        "deviceCustomDate2" => "DeviceCustomDate2",
        "deviceCustomDate2Label" => "DeviceCustomDate2Label",
        _ => return None,
    })
}

/// Splits the CEF header on unescaped `|`: the seven header fields (unescaped) and the rest.
fn split_header(s: &str) -> (Vec<String>, Option<&str>) {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, n @ ('|' | '\\'))) => cur.push(n),
                Some((_, n)) => {
                    cur.push('\\');
                    cur.push(n);
                }
                None => cur.push('\\'),
            },
            '|' => {
                fields.push(std::mem::take(&mut cur));
                if fields.len() == 7 {
                    return (fields, Some(&s[i + 1..]));
                }
            }
            _ => cur.push(c),
        }
    }
    fields.push(cur);
    (fields, None)
}

fn unescape_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('=') => out.push('='),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    out.trim_end().to_string()
}

fn is_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '[' | ']'))
}

/// The extension's `key=value` pairs, in order.
pub fn parse_extension(ext: &str) -> Vec<(String, String)> {
    let bytes = ext.as_bytes();
    // (key start, '=' position) of each key.
    let mut keys: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'=' => {
                let floor = keys.last().map(|&(_, eq)| eq + 1).unwrap_or(0);
                let start = ext[..i].rfind(' ').map(|p| p + 1).unwrap_or(0);
                if start >= floor && is_key(&ext[start..i]) {
                    keys.push((start, i));
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    let mut out = Vec::with_capacity(keys.len());
    for (n, &(start, eq)) in keys.iter().enumerate() {
        let end = keys.get(n + 1).map(|&(s, _)| s).unwrap_or(ext.len());
        let key = ext[start..eq].to_string();
        let value = ext.get(eq + 1..end).unwrap_or("");
        out.push((key, unescape_value(value)));
    }
    out
}

/// What a syslog header before `CEF:` says: host and time (ISO UTC), or a yearless time.
#[derive(Debug, Default, PartialEq)]
struct Header {
    host: Option<String>,
    time: Option<String>,
    /// RFC 3164 `Mmm dd hh:mm:ss`, to be dated with a year from elsewhere.
    yearless: Option<(u32, u32, String)>,
}

fn month(m: &str) -> Option<u32> {
    const M: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let m = m.get(..3)?.to_ascii_lowercase();
    M.iter().position(|x| *x == m).map(|p| p as u32 + 1)
}

fn parse_header(prefix: &str) -> Header {
    let mut t = prefix.trim();
    if let Some(rest) = t.strip_prefix('<')
        && let Some(end) = rest.find('>')
    {
        t = rest[end + 1..].trim_start();
        // RFC 5424 version digit.
        if let Some(r) = t.strip_prefix("1 ") {
            t = r;
        }
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    let mut h = Header::default();
    match words.as_slice() {
        [ts, rest @ ..] if ts.contains('T') && iso_utc(ts).is_some() => {
            h.time = iso_utc(ts);
            h.host = rest.first().map(|s| s.to_string());
        }
        [m, d, y, hms, rest @ ..]
            if month(m).is_some() && y.len() == 4 && y.parse::<i32>().is_ok() =>
        {
            h.time = dated(y.parse().unwrap_or(0), m, d, hms);
            h.host = rest.first().map(|s| s.to_string());
        }
        [m, d, hms, rest @ ..] if month(m).is_some() && hms.contains(':') => {
            if let (Some(mo), Ok(day)) = (month(m), d.parse::<u32>()) {
                h.yearless = Some((mo, day, hms.to_string()));
            }
            h.host = rest.first().map(|s| s.to_string());
        }
        _ => {}
    }
    h.host = h.host.filter(|s| s != "-" && !s.ends_with(':'));
    h
}

/// `Mmm dd hh:mm:ss[.fff]` in `year` as ISO UTC text.
fn dated(year: i32, m: &str, d: &str, hms: &str) -> Option<String> {
    let date = NaiveDate::from_ymd_opt(year, month(m)?, d.parse().ok()?)?;
    let time = chrono::NaiveTime::parse_from_str(hms, "%H:%M:%S%.f").ok()?;
    let ticks = engine::value::datetime::from_naive(NaiveDateTime::new(date, time))?;
    Some(engine::value::datetime::format_iso(ticks))
}

/// A CEF date value (`rt`, `start`, `end`): epoch milliseconds, `MMM dd yyyy HH:mm:ss[.SSS]
/// [zone]`, or any form Kusto reads. Zones other than UTC/GMT/Z are not resolved.
fn cef_time(v: &str) -> Option<String> {
    let t = v.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return iso_from_epoch_ms(t.parse().ok()?);
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    match words.as_slice() {
        [m, d, y, hms] | [m, d, y, hms, "UTC" | "GMT" | "Z"] if month(m).is_some() => {
            dated(y.parse().ok()?, m, d, hms)
        }
        _ => iso_utc(t),
    }
}

fn year_of(iso: &str) -> Option<i32> {
    iso.get(..4)?.parse().ok()
}

impl Format for Cef {
    fn name(&self) -> &'static str {
        "cef"
    }

    fn map(&self, rec: Value, out: &mut Vec<Row>) -> Result<(), Skip> {
        let Value::String(line) = rec else {
            return Err(Skip::Reject("expected a CEF text line".into()));
        };
        let Some(at) = line.find("CEF:") else {
            return Err(Skip::Reject("the line holds no \"CEF:\"".into()));
        };
        let header = parse_header(&line[..at]);
        let (fields, ext) = split_header(&line[at + 4..]);
        let Some(ext) = ext else {
            return Err(Skip::Reject(format!(
                "the CEF header has {} of its 8 fields (Version|Vendor|Product|Version|Signature ID|Name|Severity|Extension)",
                fields.len()
            )));
        };
        let mut row = Row::new("CommonSecurityLog");
        let names = [
            "",
            "DeviceVendor",
            "DeviceProduct",
            "DeviceVersion",
            "DeviceEventClassID",
            "Activity",
            "LogSeverity",
        ];
        for (col, v) in names.iter().zip(&fields).skip(1) {
            row.set(col, json!(v.trim()));
        }
        if let Some(h) = &header.host {
            row.set("Computer", json!(h));
        }
        let mut extra = Vec::new();
        let (mut rt, mut start_end_year) = (None, None);
        for (k, v) in parse_extension(ext) {
            match k.as_str() {
                "rt" | "receiptTime" => rt = cef_time(&v),
                "start" | "end" | "startTime" | "endTime" => {
                    if let Some(t) = cef_time(&v) {
                        start_end_year = start_end_year.or_else(|| year_of(&t));
                        let col = if k.starts_with("start") {
                            "StartTime"
                        } else {
                            "EndTime"
                        };
                        row.set(col, json!(t));
                        continue;
                    }
                }
                "cn1" | "cn2" | "cn3" => {
                    // cn values are longs; DeviceCustomNumberN holds the ones an int holds.
                    let n = &k[2..];
                    if let Ok(x) = v.trim().parse::<i64>() {
                        row.set(&format!("FieldDeviceCustomNumber{n}"), json!(x));
                        if i32::try_from(x).is_ok() {
                            row.set(&format!("DeviceCustomNumber{n}"), json!(x));
                        }
                    } else {
                        row.set(&format!("DeviceCustomNumber{n}"), json!(v));
                    }
                    continue;
                }
                "externalId" => {
                    let col = if v.trim().parse::<i32>().is_ok() {
                        "ExternalID"
                    } else {
                        "ExtID"
                    };
                    row.set(col, json!(v));
                    continue;
                }
                _ => {}
            }
            match column(&k) {
                Some(col) => row.set_default(col, json!(v)),
                None => extra.push((k, v)),
            }
        }
        if let Some(e) = additional_extensions(&extra) {
            row.set("AdditionalExtensions", json!(e));
        }
        let time = rt.or(header.time).or_else(|| {
            let (mo, day, hms) = header.yearless.as_ref()?;
            let date = NaiveDate::from_ymd_opt(start_end_year?, *mo, *day)?;
            let time = chrono::NaiveTime::parse_from_str(hms, "%H:%M:%S%.f").ok()?;
            engine::value::datetime::from_naive(NaiveDateTime::new(date, time))
                .map(engine::value::datetime::format_iso)
        });
        let Some(time) = time else {
            let why = if header.yearless.is_some() {
                "the syslog header's time has no year and the record has no rt, start or end to take one from"
            } else {
                "the record has no time: no readable rt and no syslog header time"
            };
            return Err(Skip::Reject(why.into()));
        };
        row.set("TimeGenerated", json!(time));
        out.push(row);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_values_with_spaces_and_escapes() {
        let e = parse_extension(
            r"src=10.0.0.1 msg=Login failed for user a\=b now request=http://x/?a=b&c=d cs1Label=Rule Name cs1=My rule",
        );
        let e: Vec<(&str, &str)> = e.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            e,
            vec![
                ("src", "10.0.0.1"),
                ("msg", "Login failed for user a=b now"),
                ("request", "http://x/?a=b&c=d"),
                ("cs1Label", "Rule Name"),
                ("cs1", "My rule"),
            ]
        );
    }

    #[test]
    fn header_escapes_and_counts() {
        let (f, ext) = split_header(r"0|Ven\|dor|Prod|1.0|100|Name \\ x|5|src=1.2.3.4");
        assert_eq!(f[1], "Ven|dor");
        assert_eq!(f[5], r"Name \ x");
        assert_eq!(ext, Some("src=1.2.3.4"));
        let (f, ext) = split_header("0|Vendor|Product");
        assert_eq!((f.len(), ext), (3, None));
    }

    #[test]
    fn syslog_headers() {
        let h = parse_header("<134>1 2024-03-01T10:00:00.5+01:00 fw01 CEF - - - ");
        assert_eq!(h.time.as_deref(), Some("2024-03-01T09:00:00.5Z"));
        assert_eq!(h.host.as_deref(), Some("fw01"));
        let h = parse_header("<134>Mar  1 10:00:00 fw02 ");
        assert_eq!(h.yearless, Some((3, 1, "10:00:00".into())));
        assert_eq!(h.host.as_deref(), Some("fw02"));
        assert_eq!(parse_header(""), Header::default());
    }

    #[test]
    fn cef_dates() {
        assert_eq!(
            cef_time("1709287200000").as_deref(),
            Some("2024-03-01T10:00:00Z")
        );
        assert_eq!(
            cef_time("Mar 01 2024 10:00:00.250 UTC").as_deref(),
            Some("2024-03-01T10:00:00.25Z")
        );
        assert_eq!(cef_time("soon"), None);
    }

    #[test]
    fn odd_lines_do_not_panic() {
        for line in [
            "CEF:",
            "CEF:0|",
            "CEF:0|a|b|c|d|e|f|=",
            "CEF:0|a|b|c|d|e|f|\\",
            "CEF:0|a|b|c|d|e|f|k=\\",
            "<13>CEF:0|ä|ö|ü|ß|é|ñ|ø=å x=ü\\ é=1",
            "<>1 CEF:9|||||||",
            "<1 Mär 99 25:61:61 h CEF:0|a|b|c|d|e|f|start=Feb 30 2024 00:00:00",
        ] {
            let _ = Cef.map(Value::String(line.into()), &mut Vec::new());
            let _ = looks_like(line);
        }
    }
}
