//! Detection rules in the formats people have: Sentinel analytic rule YAML (Scheduled, NRT),
//! Sentinel hunting query YAML, and the ARM/JSON export of `alertRules` from the portal. A
//! `query` wrapped in a ```kusto fence is accepted. Every rule remembers where its query text
//! starts in its file, so KQL diagnostics point at the file's own line and column.

use crate::duration;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "informational" | "info" => Severity::Informational,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" | "critical" => Severity::High,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Severity::Informational => "Informational",
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Scheduled,
    Nrt,
    Hunting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerOp {
    Gt,
    Lt,
    Eq,
    Ne,
}

impl TriggerOp {
    fn parse(s: &str) -> Option<TriggerOp> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "gt" | "greaterthan" => TriggerOp::Gt,
            "lt" | "lessthan" => TriggerOp::Lt,
            "eq" | "equal" => TriggerOp::Eq,
            "ne" | "notequal" => TriggerOp::Ne,
            _ => return None,
        })
    }
    pub fn fires(self, count: i64, threshold: i64) -> bool {
        match self {
            TriggerOp::Gt => count > threshold,
            TriggerOp::Lt => count < threshold,
            TriggerOp::Eq => count == threshold,
            TriggerOp::Ne => count != threshold,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EntityMapping {
    /// As written in the rule: `Account`, `IP`, `AzureResource`, `CloudApplication`, …
    pub entity_type: String,
    /// (identifier, column)
    pub fields: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertOverride {
    pub display_name_format: Option<String>,
    pub description_format: Option<String>,
    pub severity_column: Option<String>,
    pub tactics_column: Option<String>,
    /// (alert property, column)
    pub dynamic_properties: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// One alert per result row.
    AlertPerResult,
    /// One alert for all the rows of a run.
    SingleAlert,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IncidentGrouping {
    pub create_incident: bool,
    pub enabled: bool,
    pub lookback: i64,
    /// AllEntities, AnyAlert, Selected
    pub matching_method: String,
    pub group_by_entities: Vec<String>,
    /// With `Selected`: alert details (`DisplayName`, `Severity`) and custom detail keys.
    pub group_by_alert_details: Vec<String>,
    pub group_by_custom_details: Vec<String>,
    /// Parsed for completeness; offline there are no closed incidents to reopen.
    pub reopen_closed_incident: bool,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub description: String,
    pub severity: Severity,
    pub kind: Kind,
    pub query: String,
    /// 1-based line and column in `source` where the query text starts, and the indentation
    /// its following lines carry in the file (block scalars).
    pub query_line: usize,
    pub query_column: usize,
    pub query_indent: usize,
    pub frequency: Option<i64>,
    pub period: Option<i64>,
    pub trigger_op: TriggerOp,
    pub trigger_threshold: i64,
    pub tactics: Vec<String>,
    pub techniques: Vec<String>,
    pub entity_mappings: Vec<EntityMapping>,
    /// (key, column)
    pub custom_details: Vec<(String, String)>,
    pub alert_override: AlertOverride,
    pub grouping: Grouping,
    pub incident: Option<IncidentGrouping>,
    pub suppression: Option<i64>,
    pub required_tables: Vec<String>,
    pub version: Option<String>,
    pub enabled: bool,
    pub source: PathBuf,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

fn err(file: &Path, line: usize, column: usize, message: impl Into<String>) -> LoadError {
    LoadError {
        file: file.to_path_buf(),
        line,
        column,
        message: message.into(),
    }
}

/// Loads every rule in a file: a YAML rule, or an ARM/JSON export holding one or more rules.
pub fn load_file(path: &Path) -> Result<Vec<Rule>, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| err(path, 0, 0, e.to_string()))?;
    parse_text(&text, path)
}

pub fn parse_text(text: &str, path: &Path) -> Result<Vec<Rule>, LoadError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let v: Value = serde_json::from_str(trimmed)
            .map_err(|e| err(path, e.line(), e.column(), format!("invalid JSON: {e}")))?;
        return from_arm(&v, text, path);
    }
    let v: Value = serde_norway::from_str(text).map_err(|e| {
        let (l, c) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        err(path, l, c, format!("invalid YAML: {e}"))
    })?;
    let Value::Object(m) = v else {
        return Err(err(path, 1, 1, "expected a YAML mapping (a rule)"));
    };
    Ok(vec![from_fields(&m, text, path, None)?])
}

/// An ARM template (`resources[]` of `…/alertRules`), a bare resource, or an array of them.
fn from_arm(v: &Value, text: &str, path: &Path) -> Result<Vec<Rule>, LoadError> {
    let resources: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => match o.get("resources") {
            Some(Value::Array(a)) => a.iter().collect(),
            _ => vec![v],
        },
        _ => vec![],
    };
    let mut out = Vec::new();
    for r in resources {
        let Some(props) = r.get("properties").and_then(Value::as_object) else {
            continue;
        };
        let mut m = props.clone();
        if let Some(k) = r.get("kind") {
            m.entry("kind".to_string()).or_insert(k.clone());
        }
        let arm_name = r.get("name").and_then(Value::as_str).unwrap_or("");
        // ARM names look like "[concat(parameters('workspace'),'/Microsoft.SecurityInsights/<id>')]".
        let id = arm_name
            .rsplit('/')
            .next()
            .map(|s| s.trim_end_matches([']', ')', '\'']).to_string())
            .filter(|s| !s.is_empty());
        out.push(from_fields(&m, text, path, id)?);
    }
    if out.is_empty() {
        return Err(err(
            path,
            1,
            1,
            "no alert rule found (expected an ARM template with alertRules resources)",
        ));
    }
    Ok(out)
}

fn get<'a>(m: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| {
        m.iter()
            .find(|(mk, _)| mk.eq_ignore_ascii_case(k))
            .map(|(_, v)| v)
    })
}

fn get_str(m: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    get(m, keys).and_then(|v| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![],
    }
}

/// Removes a ```kusto … ``` fence around a query.
pub fn strip_fence(q: &str) -> (String, usize) {
    let t = q.trim_start();
    let lead_lines = q[..q.len() - t.len()].matches('\n').count();
    if let Some(rest) = t.strip_prefix("```") {
        let body_start = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let body = &rest[body_start..];
        let body = body.trim_end();
        let body = body.strip_suffix("```").unwrap_or(body).trim_end();
        return (body.to_string(), lead_lines + 1);
    }
    (q.to_string(), 0)
}

/// Where the value of the top-level `query:` key starts in a YAML file: (line, column,
/// indentation of its lines) — for a block scalar the text starts on the next line.
fn locate_query(text: &str) -> (usize, usize, usize) {
    let lines: Vec<&str> = text.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        let Some(rest) = l.strip_prefix("query:") else {
            continue;
        };
        let rest_t = rest.trim();
        if rest_t.starts_with('|') || rest_t.starts_with('>') || rest_t.is_empty() {
            let indent = lines
                .get(i + 1)
                .map(|n| n.len() - n.trim_start().len())
                .unwrap_or(0);
            return (i + 2, indent + 1, indent);
        }
        let col = l.len() - rest.trim_start().len() + 1;
        return (i + 1, col, 0);
    }
    // JSON (ARM): the line holding "query".
    for (i, l) in lines.iter().enumerate() {
        if let Some(p) = l.find("\"query\"") {
            return (i + 1, p + 1, 0);
        }
    }
    (1, 1, 0)
}

fn from_fields(
    m: &Map<String, Value>,
    text: &str,
    path: &Path,
    arm_id: Option<String>,
) -> Result<Rule, LoadError> {
    let (qline, qcol, qindent) = locate_query(text);
    let raw_query =
        get_str(m, &["query"]).ok_or_else(|| err(path, 1, 1, "the rule has no `query`"))?;
    let (query, fence_lines) = strip_fence(&raw_query);
    let name = get_str(m, &["name", "displayName"])
        .ok_or_else(|| err(path, 1, 1, "the rule has no `name` (or `displayName`)"))?;
    let id = get_str(m, &["id"]).or(arm_id).unwrap_or_else(|| {
        // A stable id from the name, for rules that carry none.
        format!("{:016x}", xxhash_rust::xxh3::xxh3_64(name.as_bytes()))
    });
    let severity_text = get_str(m, &["severity"]).unwrap_or_else(|| "Medium".into());
    let severity = Severity::parse(&severity_text).ok_or_else(|| {
        err(
            path,
            1,
            1,
            format!("severity '{severity_text}' is not Informational, Low, Medium or High"),
        )
    })?;
    let has_schedule = get(m, &["queryFrequency"]).is_some();
    let kind = match get_str(m, &["kind"])
        .map(|k| k.to_ascii_lowercase())
        .as_deref()
    {
        Some("nrt") => Kind::Nrt,
        Some("scheduled") => Kind::Scheduled,
        _ if has_schedule => Kind::Scheduled,
        _ => Kind::Hunting,
    };
    let dur = |keys: &[&str]| -> Result<Option<i64>, LoadError> {
        match get_str(m, keys) {
            None => Ok(None),
            Some(s) => duration::parse(&s).map(Some).ok_or_else(|| {
                err(
                    path,
                    1,
                    1,
                    format!(
                        "{}: '{s}' is not a duration (e.g. 5m, 1h, 14d, PT5H)",
                        keys[0]
                    ),
                )
            }),
        }
    };
    let frequency = dur(&["queryFrequency"])?;
    let period = dur(&["queryPeriod"])?;
    let trigger_op = match get_str(m, &["triggerOperator"]) {
        Some(s) => TriggerOp::parse(&s).ok_or_else(|| {
            err(
                path,
                1,
                1,
                format!("triggerOperator '{s}' is not gt, lt, eq or ne"),
            )
        })?,
        None => TriggerOp::Gt,
    };
    let trigger_threshold = get_str(m, &["triggerThreshold"])
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(0);
    let mut entity_mappings = Vec::new();
    if let Some(Value::Array(a)) = get(m, &["entityMappings"]) {
        for e in a {
            let Some(eo) = e.as_object() else { continue };
            let entity_type = get_str(eo, &["entityType"]).unwrap_or_default();
            let mut fields = Vec::new();
            if let Some(Value::Array(fm)) = get(eo, &["fieldMappings"]) {
                for f in fm {
                    let Some(fo) = f.as_object() else { continue };
                    if let (Some(i), Some(c)) =
                        (get_str(fo, &["identifier"]), get_str(fo, &["columnName"]))
                    {
                        fields.push((i, c));
                    }
                }
            }
            entity_mappings.push(EntityMapping {
                entity_type,
                fields,
            });
        }
    }
    let custom_details: Vec<(String, String)> = match get(m, &["customDetails"]) {
        Some(Value::Object(o)) => o
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|c| (k.clone(), c.to_string())))
            .collect(),
        _ => vec![],
    };
    let mut alert_override = AlertOverride::default();
    if let Some(Value::Object(o)) = get(m, &["alertDetailsOverride"]) {
        alert_override.display_name_format = get_str(o, &["alertDisplayNameFormat"]);
        alert_override.description_format = get_str(o, &["alertDescriptionFormat"]);
        alert_override.severity_column = get_str(o, &["alertSeverityColumnName"]);
        alert_override.tactics_column = get_str(o, &["alertTacticsColumnName"]);
        if let Some(Value::Array(a)) = get(o, &["alertDynamicProperties"]) {
            for p in a {
                if let Some(po) = p.as_object()
                    && let (Some(k), Some(v)) =
                        (get_str(po, &["alertProperty"]), get_str(po, &["value"]))
                {
                    alert_override.dynamic_properties.push((k, v));
                }
            }
        }
    }
    let grouping = match get(m, &["eventGroupingSettings"])
        .and_then(|v| v.as_object())
        .and_then(|o| get_str(o, &["aggregationKind"]))
        .as_deref()
    {
        Some(k) if k.eq_ignore_ascii_case("AlertPerResult") => Grouping::AlertPerResult,
        _ => Grouping::SingleAlert,
    };
    let incident = get(m, &["incidentConfiguration"])
        .and_then(Value::as_object)
        .map(|o| {
            let g = get(o, &["groupingConfiguration"]).and_then(Value::as_object);
            IncidentGrouping {
                create_incident: get(o, &["createIncident"])
                    .and_then(Value::as_bool)
                    .unwrap_or(true),
                enabled: g
                    .and_then(|g| get(g, &["enabled"]))
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                lookback: g
                    .and_then(|g| get_str(g, &["lookbackDuration"]))
                    .and_then(|s| duration::parse(&s))
                    .unwrap_or(5 * engine::types::TICKS_PER_HOUR),
                matching_method: g
                    .and_then(|g| get_str(g, &["matchingMethod"]))
                    .unwrap_or_else(|| "AllEntities".into()),
                group_by_entities: str_list(g.and_then(|g| get(g, &["groupByEntities"]))),
                group_by_alert_details: str_list(g.and_then(|g| get(g, &["groupByAlertDetails"]))),
                group_by_custom_details: str_list(
                    g.and_then(|g| get(g, &["groupByCustomDetails"])),
                ),
                reopen_closed_incident: g
                    .and_then(|g| get(g, &["reopenClosedIncident"]))
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            }
        });
    let suppression_enabled = get(m, &["suppressionEnabled"])
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let suppression = if suppression_enabled {
        dur(&["suppressionDuration"])?
    } else {
        None
    };
    let mut required_tables = Vec::new();
    if let Some(Value::Array(a)) = get(m, &["requiredDataConnectors"]) {
        for c in a {
            if let Some(co) = c.as_object() {
                required_tables.extend(str_list(get(co, &["dataTypes"])));
            }
        }
    }
    let techniques = {
        let mut t = str_list(get(m, &["relevantTechniques", "techniques"]));
        t.extend(str_list(get(m, &["subTechniques"])));
        t
    };
    let enabled = get(m, &["enabled"])
        .and_then(Value::as_bool)
        .unwrap_or(true);
    Ok(Rule {
        id,
        name,
        description: get_str(m, &["description"]).unwrap_or_default(),
        severity,
        kind,
        query,
        query_line: qline + fence_lines,
        query_column: if fence_lines > 0 { qindent + 1 } else { qcol },
        query_indent: qindent,
        frequency,
        period,
        trigger_op,
        trigger_threshold,
        tactics: str_list(get(m, &["tactics"])),
        techniques,
        entity_mappings,
        custom_details,
        alert_override,
        grouping,
        incident,
        suppression,
        required_tables,
        version: get_str(m, &["version"]),
        enabled,
        source: path.to_path_buf(),
    })
}

/// Every rule file under `paths` (`.yaml`, `.yml`, `.json`), recursively, in sorted order;
/// `tests` directories (rule fixtures) are passed over.
pub fn rule_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map(|rd| rd.flatten().map(|e| e.path()).collect())
                .unwrap_or_default();
            entries.sort();
            for e in entries {
                // A `tests` directory beside rules holds their fixtures, not rules.
                if e.is_dir() && e.file_name().is_some_and(|n| n == "tests") {
                    continue;
                }
                if e.is_dir() {
                    out.extend(rule_files(&[e]));
                } else if e
                    .extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| matches!(x, "yaml" | "yml" | "json"))
                {
                    out.push(e);
                }
            }
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// Custom details and other maps by key, for callers that want them sorted.
pub fn as_map(pairs: &[(String, String)]) -> BTreeMap<String, String> {
    pairs.iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "id: 1f2e\nname: Test rule\ndescription: |\n  Finds things.\nseverity: High\nqueryFrequency: 1h\nqueryPeriod: 1d\ntriggerOperator: gt\ntriggerThreshold: 0\ntactics:\n  - InitialAccess\nrelevantTechniques:\n  - T1078.004\nquery: |\n  SigninLogs\n  | where ResultType == 0\nentityMappings:\n  - entityType: Account\n    fieldMappings:\n      - identifier: FullName\n        columnName: UserPrincipalName\ncustomDetails:\n  App: AppDisplayName\neventGroupingSettings:\n  aggregationKind: AlertPerResult\nkind: Scheduled\nversion: 1.0.0\n";

    #[test]
    fn sentinel_yaml() {
        let r = parse_text(YAML, Path::new("r.yaml")).expect("parses");
        let r = &r[0];
        assert_eq!(r.id, "1f2e");
        assert_eq!(r.kind, Kind::Scheduled);
        assert_eq!(r.severity, Severity::High);
        assert_eq!(r.query, "SigninLogs\n| where ResultType == 0\n");
        assert_eq!((r.query_line, r.query_column), (15, 3));
        assert_eq!(r.frequency, Some(engine::types::TICKS_PER_HOUR));
        assert_eq!(r.entity_mappings[0].fields[0].1, "UserPrincipalName");
        assert_eq!(r.grouping, Grouping::AlertPerResult);
        assert_eq!(r.techniques, ["T1078.004"]);
    }

    #[test]
    fn arm_export_and_fence() {
        let arm = r#"{"$schema":"x","resources":[{"type":"Microsoft.OperationalInsights/workspaces/providers/alertRules","name":"[concat(parameters('workspace'),'/Microsoft.SecurityInsights/abc-123')]","kind":"Scheduled","properties":{"displayName":"ARM rule","severity":"Low","query":"```kusto\nAuditLogs | take 1\n```","queryFrequency":"PT5H","queryPeriod":"P1D","triggerOperator":"GreaterThan","triggerThreshold":2,"tactics":["Persistence"],"techniques":["T1098"]}}]}"#;
        let r = parse_text(arm, Path::new("r.json")).expect("parses");
        assert_eq!(r[0].id, "abc-123");
        assert_eq!(r[0].query, "AuditLogs | take 1");
        assert_eq!(r[0].trigger_threshold, 2);
        assert_eq!(r[0].frequency, Some(5 * engine::types::TICKS_PER_HOUR));
    }

    #[test]
    fn bad_yaml_names_line_and_column() {
        let e =
            parse_text("name: x\nquery: [unclosed\n", Path::new("bad.yaml")).expect_err("fails");
        assert_eq!(e.file, Path::new("bad.yaml"));
        assert!(e.line >= 2, "{e}");
    }
}
