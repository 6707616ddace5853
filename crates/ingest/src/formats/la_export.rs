//! Log Analytics exports: the portal's CSV download (BOM, CRLF, `[UTC]` header suffixes,
//! `4/28/2021, 2:08:45.221 PM` datetimes, TRUE/FALSE, pretty JSON in cells, `_string` /
//! `_dynamic` split columns) and JSON/NDJSON query results. Rows already carry the table's
//! column names; the table comes from the `Type` (or `$table`) column, or from `--table`.
//! Defender advanced-hunting exports, which name no table, are routed to the Defender table
//! whose schema holds every column of the row.

use super::{Format, Row, Skip};
use crate::buffer::column_name;
use crate::schemas;
use serde_json::{Map, Value, json};

pub struct LaExport {
    table: Option<String>,
}

impl LaExport {
    pub fn new(table: Option<&str>) -> Self {
        Self {
            table: table.map(str::to_string),
        }
    }
}

/// Columns that mark a Log Analytics row (rows use the tables' own PascalCase names).
pub fn looks_like(o: &Map<String, Value>) -> bool {
    o.contains_key("TimeGenerated")
        || o.contains_key("Type")
        || o.contains_key("$table")
        || (o.contains_key("Timestamp")
            && (o.contains_key("ActionType") || o.contains_key("ReportId")))
        || o.contains_key("TenantId")
}

pub fn looks_like_csv(headers: &[String]) -> bool {
    let bare = |h: &String| column_name(h);
    // Advanced-hunting downloads name no table: Timestamp with ActionType or ReportId.
    if headers.iter().any(|h| bare(h) == "Timestamp")
        && headers
            .iter()
            .any(|h| bare(h) == "ActionType" || bare(h) == "ReportId")
    {
        return true;
    }
    headers.iter().any(|h| {
        let h = h.trim().trim_start_matches('\u{feff}');
        h == "Type"
            || h == "$table"
            || h.starts_with("TimeGenerated")
            || h == "TenantId"
            || h.ends_with("[UTC]")
    })
}

/// Suffixes Log Analytics adds when one column held values of several types.
const SPLIT_SUFFIXES: &[&str] = &[
    "_string",
    "_dynamic",
    "_long",
    "_int",
    "_real",
    "_bool",
    "_datetime",
    "_guid",
    "_timespan",
    "_decimal",
    "_s",
    "_d",
    "_b",
    "_g",
    "_t",
];

impl Format for LaExport {
    fn name(&self) -> &'static str {
        "la-export"
    }

    fn map(&self, rec: Value, out: &mut Vec<Row>) -> Result<(), Skip> {
        let Value::Object(o) = rec else {
            return Err(Skip::Reject("expected a row object".into()));
        };
        let mut cols = Map::new();
        for (k, v) in o {
            let name = column_name(&k);
            // An empty CSV cell or a null is a missing value.
            if v.is_null() || matches!(&v, Value::String(s) if s.is_empty()) {
                continue;
            }
            cols.insert(name, v);
        }
        let mut original_type = None;
        let table = match &self.table {
            Some(t) => t.clone(),
            None if cols
                .get("Type")
                .and_then(Value::as_str)
                .is_some_and(|t| is_azure_object_type(t, &cols)) =>
            {
                original_type = cols.remove("Type");
                "AuditLogs".to_string()
            }
            None => {
                let named = cols
                    .get("Type")
                    .or_else(|| cols.get("_table"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .filter(|t| valid_table(t));
                match named {
                    Some(t) => t,
                    None => route_by_columns(&cols).ok_or_else(|| {
                        Skip::Reject(
                            "the row names no table (no Type or $table column) and its columns match no known table; give --table"
                                .into(),
                        )
                    })?,
                }
            }
        };
        cols.remove("_table");
        let mut row = Row::new(table.clone());
        let schema = schemas::known(&table);
        let in_schema = |c: &str| schema.is_some_and(|s| s.columns.iter().any(|(n, _)| n == c));
        for (k, v) in cols {
            let target = if schema.is_some() && !in_schema(&k) {
                SPLIT_SUFFIXES
                    .iter()
                    .find_map(|s| k.strip_suffix(s).filter(|b| in_schema(b)))
                    .map(str::to_string)
                    .unwrap_or(k)
            } else {
                k
            };
            row.set_default(&target, v);
        }
        // Defender tables carry Timestamp; Log Analytics' copy adds TimeGenerated beside it.
        // Exports of query results may have dropped TimeGenerated: the row's first
        // datetime-valued time column stands in (see `fallback_time`).
        if !row.cols.contains_key("TimeGenerated")
            && let Some(t) = fallback_time(&row.cols)
        {
            row.set("TimeGenerated", t);
        }
        if let Some(t) = original_type {
            row.set("OriginalType", t);
        }
        row.set("Type", json!(table));
        out.push(row);
        Ok(())
    }
}

/// The time a row without TimeGenerated is filed under: `Timestamp` (Defender), else the first
/// column, in the row's order, whose name ends in `Time`, `DateTime`, `Timestamp` or `Date`
/// (any case) and whose value reads as a datetime.
fn fallback_time(cols: &Map<String, Value>) -> Option<Value> {
    if let Some(t) = cols.get("Timestamp") {
        return Some(t.clone());
    }
    cols.iter()
        .find(|(k, v)| {
            let k = k.to_ascii_lowercase();
            (k.ends_with("time") || k.ends_with("timestamp") || k.ends_with("date"))
                && v.as_str()
                    .is_some_and(|s| engine::value::datetime::parse(s).is_some())
        })
        .map(|(_, v)| v.clone())
}

fn valid_table(t: &str) -> bool {
    !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Audit rows exported from some labs carry the target object's type (`Application`,
/// `ServicePrincipal`, `User`) in a column called Type; a real table name is not one of those
/// when the row is otherwise an AuditLogs row.
fn is_azure_object_type(t: &str, cols: &Map<String, Value>) -> bool {
    schemas::known(t).is_none()
        && cols.contains_key("ActivityDisplayName")
        && cols.contains_key("LoggedByService")
}

/// The known table whose schema holds the most of the row's columns (ties: the smaller
/// schema); at least three in five of the row's columns must belong to it.
fn route_by_columns(cols: &Map<String, Value>) -> Option<String> {
    let keys: Vec<&str> = cols
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "Type" && *k != "_table")
        .collect();
    if keys.is_empty() {
        return None;
    }
    let mut best: Option<(usize, usize, &str)> = None;
    for s in schemas::known_tables() {
        let has = |k: &str| {
            s.columns.iter().any(|(n, _)| n == k)
                || SPLIT_SUFFIXES.iter().any(|suf| {
                    k.strip_suffix(suf)
                        .is_some_and(|b| s.columns.iter().any(|(n, _)| n == b))
                })
        };
        let matched = keys.iter().filter(|k| has(k)).count();
        let better = match best {
            None => true,
            Some((m, size, _)) => matched > m || (matched == m && s.columns.len() < size),
        };
        if better {
            best = Some((matched, s.columns.len(), s.name.as_str()));
        }
    }
    match best {
        Some((m, _, name)) if m * 5 >= keys.len() * 3 => Some(name.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_defender_rows_without_a_table() {
        let o = json!({"Timestamp":"2021-08-02T13:13:02Z","ActionType":"Directory Services replication","Application":"Active Directory","DestinationDeviceName":"dc01","Protocol":"Drsr","AccountUpn":"a@b"});
        let mut out = Vec::new();
        LaExport::new(None).map(o, &mut out).expect("mapped");
        assert_eq!(out[0].table, "IdentityDirectoryEvents");
        assert_eq!(out[0].cols["TimeGenerated"], json!("2021-08-02T13:13:02Z"));
    }

    #[test]
    fn split_columns_merge_back() {
        let o = json!({"Type":"CloudAppEvents","Timestamp":"2021-08-02T13:32:07Z","UserAgent_string":"Client=REST;;"});
        let mut out = Vec::new();
        LaExport::new(None).map(o, &mut out).expect("mapped");
        assert_eq!(out[0].cols["UserAgent"], json!("Client=REST;;"));
    }
}
