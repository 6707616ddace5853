//! Microsoft Defender XDR streaming API records (Event Hub `{"records":[…]}` messages,
//! storage-account JSON lines, or NDJSON of records):
//! `{"time", "tenantId", "operationName": "Publish", "category": "AdvancedHunting-<Table>",
//! "properties": {…}}`. Each record becomes a row of the advanced-hunting table its category
//! names; `properties` keys are that table's column names. TimeGenerated = properties.Timestamp
//! (else the envelope's `time`), TenantId = tenantId.

use super::{Format, Row, Skip, take_properties};
use serde_json::{Map, Value};

pub struct DefenderStream;

const PREFIX: &str = "AdvancedHunting-";

pub fn looks_like(o: &Map<String, Value>) -> bool {
    o.get("category")
        .and_then(Value::as_str)
        .is_some_and(|c| c.starts_with(PREFIX))
        && o.contains_key("properties")
}

fn valid_table(t: &str) -> bool {
    !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Format for DefenderStream {
    fn name(&self) -> &'static str {
        "defender"
    }

    fn map(&self, rec: Value, out: &mut Vec<Row>) -> Result<(), Skip> {
        let Value::Object(mut o) = rec else {
            return Err(Skip::Reject(
                "expected a streaming API record object".into(),
            ));
        };
        let category = o.get("category").and_then(Value::as_str).unwrap_or("");
        let Some(table) = category.strip_prefix(PREFIX).filter(|t| valid_table(t)) else {
            return Err(Skip::Reject(format!(
                "category \"{category}\" is not AdvancedHunting-<Table>"
            )));
        };
        let table = table.to_string();
        let props = take_properties(&mut o)?;
        let mut row = Row::new(table);
        for (k, v) in props {
            row.set(&k, v);
        }
        let time = row
            .cols
            .get("Timestamp")
            .filter(|v| !v.is_null())
            .or_else(|| o.get("time"))
            .cloned();
        match time {
            Some(t) if !t.is_null() => row.set("TimeGenerated", t),
            _ => {
                return Err(Skip::Reject(
                    "the record has neither properties.Timestamp nor time".into(),
                ));
            }
        }
        if let Some(t) = o.get("tenantId").filter(|v| !v.is_null()) {
            row.set_default("TenantId", t.clone());
        }
        out.push(row);
        Ok(())
    }
}
