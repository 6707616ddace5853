//! Suricata EVE JSON → CommonSecurityLog, alerts only (`event_type` "alert"); flow, http,
//! dns, fileinfo, anomaly and the other event types hold no alert and are ignored.
//!
//! DeviceVendor "OISF", DeviceProduct "Suricata"; TimeGenerated = `timestamp` in UTC;
//! Activity = alert.signature, DeviceEventClassID = alert.signature_id, DeviceAction =
//! alert.action, DeviceEventCategory = alert.category, ApplicationProtocol = app_proto,
//! RequestURL / DestinationHostName / RequestMethod / RequestClientApplication from `http`.
//!
//! LogSeverity: Suricata's priority runs 1 (highest) to 3 (lowest, and beyond for custom
//! rules); it maps onto CEF's 0–10 scale as 1 → "8" (High), 2 → "5" (Medium), 3 → "2" (Low),
//! anything else → "0". OriginalLogSeverity keeps Suricata's number.
//!
//! Scalars without a column (flow_id, gid, rev, tx_id, in_iface, community_id, direction, …)
//! go to AdditionalExtensions as `key=value` pairs.

use super::{Format, Row, Skip, additional_extensions, iso_utc, scalar_text};
use serde_json::{Map, Value, json};

pub struct Suricata;

pub fn looks_like(o: &Map<String, Value>) -> bool {
    o.get("event_type").is_some_and(Value::is_string) && o.contains_key("timestamp")
}

fn severity(n: Option<i64>) -> &'static str {
    match n {
        Some(1) => "8",
        Some(2) => "5",
        Some(3) => "2",
        _ => "0",
    }
}

impl Format for Suricata {
    fn name(&self) -> &'static str {
        "suricata"
    }

    fn map(&self, rec: Value, out: &mut Vec<Row>) -> Result<(), Skip> {
        let Value::Object(mut o) = rec else {
            return Err(Skip::Reject("expected an EVE record object".into()));
        };
        let Some(kind) = o.get("event_type").and_then(Value::as_str) else {
            return Err(Skip::Reject("an EVE record without event_type".into()));
        };
        if kind != "alert" {
            return Err(Skip::Ignore(format!("non-alert EVE event {kind}")));
        }
        let Some(Value::Object(alert)) = o.remove("alert") else {
            return Err(Skip::Reject(
                "an alert record without an \"alert\" object".into(),
            ));
        };
        let Some(time) = o.get("timestamp").and_then(Value::as_str).and_then(iso_utc) else {
            return Err(Skip::Reject("an alert without a readable timestamp".into()));
        };
        let mut row = Row::new("CommonSecurityLog");
        row.set("TimeGenerated", json!(time));
        row.set("DeviceVendor", json!("OISF"));
        row.set("DeviceProduct", json!("Suricata"));
        let mut extra: Vec<(String, String)> = Vec::new();
        let http = match o.remove("http") {
            Some(Value::Object(h)) => h,
            _ => Map::new(),
        };
        let flow = match o.remove("flow") {
            Some(Value::Object(f)) => f,
            _ => Map::new(),
        };
        let ether = match o.remove("ether") {
            Some(Value::Object(e)) => e,
            _ => Map::new(),
        };
        for (k, v) in o {
            let col = match k.as_str() {
                "timestamp" | "event_type" => continue,
                "src_ip" => "SourceIP",
                "src_port" => "SourcePort",
                "dest_ip" => "DestinationIP",
                "dest_port" => "DestinationPort",
                "proto" => "Protocol",
                "app_proto" => "ApplicationProtocol",
                "host" => "DeviceName",
                "in_iface" => "DeviceInboundInterface",
                "version" | "suricata_version" => "DeviceVersion",
                _ => {
                    if let Some(t) = scalar_text(&v) {
                        extra.push((k, t));
                    }
                    continue;
                }
            };
            row.set(col, v);
        }
        for (k, v) in alert {
            let col = match k.as_str() {
                "signature" => "Activity",
                "signature_id" => "DeviceEventClassID",
                "action" => "DeviceAction",
                "category" => "DeviceEventCategory",
                "severity" => {
                    row.set("LogSeverity", json!(severity(v.as_i64())));
                    "OriginalLogSeverity"
                }
                _ => {
                    if let Some(t) = scalar_text(&v) {
                        extra.push((k, t));
                    }
                    continue;
                }
            };
            row.set(col, json!(scalar_text(&v)));
        }
        for (k, col) in [
            ("url", "RequestURL"),
            ("hostname", "DestinationHostName"),
            ("http_method", "RequestMethod"),
            ("http_user_agent", "RequestClientApplication"),
        ] {
            if let Some(v) = http.get(k).and_then(scalar_text) {
                row.set(col, json!(v));
            }
        }
        for (k, col) in [
            ("bytes_toserver", "SentBytes"),
            ("bytes_toclient", "ReceivedBytes"),
        ] {
            if let Some(v) = flow.get(k).filter(|v| v.is_number()) {
                row.set(col, v.clone());
            }
        }
        if let Some(Value::String(s)) = flow.get("start") {
            row.set("StartTime", json!(iso_utc(s)));
        }
        for (k, col) in [
            ("src_mac", "SourceMACAddress"),
            ("dest_mac", "DestinationMACAddress"),
        ] {
            if let Some(v) = ether.get(k).and_then(scalar_text) {
                row.set(col, json!(v));
            }
        }
        if let Some(ext) = additional_extensions(&extra) {
            row.set("AdditionalExtensions", json!(ext));
        }
        out.push(row);
        Ok(())
    }
}
