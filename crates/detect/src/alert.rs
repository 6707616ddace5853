//! Alerts shaped like Sentinel's SecurityAlert: name (with `{{Column}}` substitution),
//! description, severity (column override honoured), tactics, techniques, time span, typed
//! entities built from the rule's entity mappings, custom details as ExtendedProperties, and
//! the evidence rows. Each alert has a deterministic id derived from the rule and its evidence,
//! so the same finding seen by several runs is one alert.

use crate::rule::{Grouping, Rule, Severity};
use serde::Serialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Alert {
    pub system_alert_id: String,
    pub alert_name: String,
    pub description: String,
    pub severity: String,
    pub tactics: Vec<String>,
    pub techniques: Vec<String>,
    pub start_time: String,
    pub end_time: String,
    /// The `now` of the run that raised it.
    pub time_generated: String,
    pub entities: Vec<Value>,
    pub extended_properties: Map<String, Value>,
    pub rule_id: String,
    pub rule_name: String,
    pub provider_name: String,
    pub evidence: Vec<Map<String, Value>>,
}

/// The lowercase entity type Sentinel writes for a rule's `entityType`.
pub fn entity_type_name(t: &str) -> String {
    match t.to_ascii_lowercase().as_str() {
        "account" => "account".into(),
        "host" => "host".into(),
        "ip" => "ip".into(),
        "url" => "url".into(),
        "azureresource" => "azure-resource".into(),
        "cloudapplication" => "cloud-application".into(),
        "dns" => "dns".into(),
        "file" => "file".into(),
        "filehash" => "filehash".into(),
        "process" => "process".into(),
        "malware" => "malware".into(),
        "registrykey" => "registry-key".into(),
        "registryvalue" => "registry-value".into(),
        "securitygroup" => "security-group".into(),
        "mailbox" => "mailbox".into(),
        "mailcluster" => "mail-cluster".into(),
        "mailmessage" => "mail-message".into(),
        "submissionmail" => "submission-mail".into(),
        other => other.to_string(),
    }
}

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The entities one row yields under the rule's mappings (an entity whose identifiers are
/// all empty is left out).
pub fn entities_of(rule: &Rule, row: &Map<String, Value>) -> Vec<Value> {
    let mut out = Vec::new();
    for m in &rule.entity_mappings {
        let mut e = Map::new();
        e.insert("Type".into(), json!(entity_type_name(&m.entity_type)));
        let mut any = false;
        for (ident, column) in &m.fields {
            if let Some(v) = text_of(row.get(column)) {
                // An account's FullName `name@suffix` also gives Name and UPNSuffix.
                if ident == "FullName"
                    && m.entity_type.eq_ignore_ascii_case("account")
                    && let Some((n, s)) = v.split_once('@')
                {
                    e.entry("Name".to_string()).or_insert(json!(n));
                    e.entry("UPNSuffix".to_string()).or_insert(json!(s));
                }
                e.insert(ident.clone(), json!(v));
                any = true;
            }
        }
        if any {
            out.push(Value::Object(e));
        }
    }
    out
}

/// `{{Column}}` in a format string, from the row (missing columns become "").
pub fn substitute(format: &str, row: &Map<String, Value>) -> String {
    let mut out = String::new();
    let mut rest = format;
    while let Some(a) = rest.find("{{") {
        out.push_str(&rest[..a]);
        let after = &rest[a + 2..];
        match after.find("}}") {
            Some(b) => {
                let col = after[..b].trim();
                out.push_str(&text_of(row.get(col)).unwrap_or_default());
                rest = &after[b + 2..];
            }
            None => {
                out.push_str(&rest[a..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The time columns an alert's span is read from, in order of preference.
const TIME_COLUMNS: &[&str] = &["TimeGenerated", "Timestamp", "StartTime", "EndTime"];

fn row_time(row: &Map<String, Value>) -> Option<i64> {
    for c in TIME_COLUMNS {
        if let Some(t) = row.get(*c).and_then(Value::as_str)
            && let Some(v) = engine::value::datetime::parse(t)
        {
            return Some(v);
        }
    }
    None
}

/// What makes two alerts of a rule the same finding though their evidence differs: the rule,
/// the entities (without their alert-local `$id`) and the start of the evidence. A rule that
/// summarises over its whole look-back re-raises a finding each run with grown evidence (a new
/// alert id); a replay reports it once.
pub fn finding_key(a: &Alert) -> String {
    let mut ents: Vec<String> = a
        .entities
        .iter()
        .map(|e| match e {
            Value::Object(o) => {
                let bare: Map<String, Value> = o
                    .iter()
                    .filter(|(k, _)| k.as_str() != "$id")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Value::Object(bare).to_string()
            }
            other => other.to_string(),
        })
        .collect();
    ents.sort();
    ents.dedup();
    format!(
        "{}\u{1}{}\u{1}{}",
        a.rule_id,
        a.start_time,
        ents.join("\u{2}")
    )
}

/// An alert's id: a hash of the rule and its evidence, the same whatever order the evidence
/// rows, or the elements of list and set columns, came out in (both are unordered in Kusto).
fn alert_id(rule: &Rule, rows: &[Map<String, Value>]) -> String {
    let mut texts: Vec<String> = rows
        .iter()
        .map(|r| canonical(&Value::Object(r.clone())).to_string())
        .collect();
    texts.sort();
    let mut text = rule.id.clone();
    for t in texts {
        text.push('\u{1}');
        text.push_str(&t);
    }
    engine::value::guid::of_bytes(text.as_bytes())
}

/// A value with every array's elements in sorted order (for order-insensitive hashing).
fn canonical(v: &Value) -> Value {
    match v {
        Value::Array(items) => {
            let mut c: Vec<Value> = items.iter().map(canonical).collect();
            c.sort_by_key(|x| x.to_string());
            Value::Array(c)
        }
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, x)| (k.clone(), canonical(x))).collect())
        }
        other => other.clone(),
    }
}

/// Builds the alerts of one run from its result rows. `window` is the run's query window
/// (start, end) used when rows carry no time.
pub fn build(
    rule: &Rule,
    rows: Vec<Map<String, Value>>,
    now: i64,
    window: (i64, i64),
) -> Vec<Alert> {
    if !rule
        .trigger_op
        .fires(rows.len() as i64, rule.trigger_threshold)
    {
        return vec![];
    }
    let groups: Vec<Vec<Map<String, Value>>> = match rule.grouping {
        Grouping::AlertPerResult => rows.into_iter().map(|r| vec![r]).collect(),
        Grouping::SingleAlert => {
            if rows.is_empty() {
                vec![]
            } else {
                vec![rows]
            }
        }
    };
    groups
        .into_iter()
        .map(|g| one(rule, g, now, window))
        .collect()
}

fn one(rule: &Rule, rows: Vec<Map<String, Value>>, now: i64, window: (i64, i64)) -> Alert {
    let empty = Map::new();
    let first = rows.first().unwrap_or(&empty);
    let ov = &rule.alert_override;
    let name = ov
        .display_name_format
        .as_deref()
        .map(|f| substitute(f, first))
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| rule.name.clone());
    let description = ov
        .description_format
        .as_deref()
        .map(|f| substitute(f, first))
        .unwrap_or_else(|| rule.description.trim().to_string());
    let severity = ov
        .severity_column
        .as_deref()
        .and_then(|c| text_of(first.get(c)))
        .and_then(|s| Severity::parse(&s))
        .unwrap_or(rule.severity);
    let tactics = ov
        .tactics_column
        .as_deref()
        .and_then(|c| text_of(first.get(c)))
        .map(|s| {
            s.split([',', ';'])
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect()
        })
        .unwrap_or_else(|| rule.tactics.clone());
    let mut entities: Vec<Value> = Vec::new();
    for r in &rows {
        for e in entities_of(rule, r) {
            if !entities.contains(&e) {
                entities.push(e);
            }
        }
    }
    for (i, e) in entities.iter_mut().enumerate() {
        if let Value::Object(o) = e {
            o.insert("$id".into(), json!((i + 2).to_string()));
        }
    }
    let mut ext = Map::new();
    for (k, col) in &rule.custom_details {
        let vals: Vec<Value> = rows
            .iter()
            .filter_map(|r| r.get(col).cloned())
            .filter(|v| !v.is_null())
            .collect();
        let mut uniq: Vec<Value> = Vec::new();
        for v in vals {
            if !uniq.contains(&v) {
                uniq.push(v);
            }
        }
        ext.insert(k.clone(), Value::Array(uniq));
    }
    for (prop, col) in &ov.dynamic_properties {
        if let Some(v) = text_of(first.get(col)) {
            ext.insert(prop.clone(), json!(v));
        }
    }
    let times: Vec<i64> = rows.iter().filter_map(row_time).collect();
    let (start, end) = match (times.iter().min(), times.iter().max()) {
        (Some(a), Some(b)) => (*a, *b),
        _ => window,
    };
    let fmt = engine::value::datetime::format_iso;
    Alert {
        system_alert_id: alert_id(rule, &rows),
        alert_name: name,
        description,
        severity: severity.name().into(),
        tactics,
        techniques: rule.techniques.clone(),
        start_time: fmt(start),
        end_time: fmt(end),
        time_generated: fmt(now),
        entities,
        extended_properties: ext,
        rule_id: rule.id.clone(),
        rule_name: rule.name.clone(),
        provider_name: "Peregrine".into(),
        evidence: rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    fn row(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn alert_id_ignores_row_and_list_order() {
        let rule = crate::rule::parse_text(
            "id: 11111111-2222-3333-4444-555555555555\nname: t\nseverity: Low\nkind: Scheduled\nqueryFrequency: 1h\nqueryPeriod: 1h\ntriggerOperator: gt\ntriggerThreshold: 0\nquery: T\n",
            Path::new("t.yaml"),
        )
        .expect("a valid rule")
        .remove(0);
        let a = [
            row(json!({"u": "a", "ips": ["1.1.1.1", "2.2.2.2"]})),
            row(json!({"u": "b", "ips": []})),
        ];
        let b = [
            row(json!({"u": "b", "ips": []})),
            row(json!({"u": "a", "ips": ["2.2.2.2", "1.1.1.1"]})),
        ];
        assert_eq!(alert_id(&rule, &a), alert_id(&rule, &b));
        let c = [row(json!({"u": "a", "ips": ["1.1.1.1"]}))];
        assert_ne!(alert_id(&rule, &a), alert_id(&rule, &c));
    }
}
