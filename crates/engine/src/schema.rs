//! Table schemas in the Azure-Sentinel CustomTables JSON format
//! (`{"Name": T, "Properties": [{"Name": c, "Type": t}]}`), read leniently: key and type-name
//! casing vary between files. Log Analytics' standard hidden columns are added when missing.

use crate::catalog::MemoryCatalog;
use crate::error::{EngineError, Result};
use crate::types::KqlType;
use datafusion::arrow::datatypes::Schema;
use datafusion::datasource::MemTable;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub struct TableSchema {
    pub name: String,
    pub columns: Vec<(String, KqlType)>,
}

/// Columns every Log Analytics table carries even when its documentation leaves them out.
pub const STANDARD_COLUMNS: &[(&str, KqlType)] = &[
    ("TenantId", KqlType::String),
    ("Type", KqlType::String),
    ("_ResourceId", KqlType::String),
    ("_SubscriptionId", KqlType::String),
    ("_ItemId", KqlType::String),
    ("_IsBillable", KqlType::String),
    ("_BilledSize", KqlType::Real),
];

fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// Parses one schema file's JSON text. Unknown type names become `dynamic`.
pub fn parse_schema(text: &str, origin: &str) -> Result<TableSchema> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        EngineError::Other(format!(
            "{origin}:{}:{}: invalid JSON: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let name = get(&v, "Name")
        .and_then(Value::as_str)
        .ok_or_else(|| EngineError::Other(format!("{origin}: expected a \"Name\" string")))?
        .to_string();
    let props = get(&v, "Properties")
        .and_then(Value::as_array)
        .ok_or_else(|| EngineError::Other(format!("{origin}: expected a \"Properties\" array")))?;
    let mut columns = Vec::new();
    for p in props {
        let Some(c) = get(p, "Name").and_then(Value::as_str) else {
            continue;
        };
        let t = get(p, "Type")
            .and_then(Value::as_str)
            .and_then(KqlType::from_name)
            .unwrap_or(KqlType::Dynamic);
        if !columns.iter().any(|(n, _)| n == c) {
            columns.push((c.to_string(), t));
        }
    }
    for (c, t) in STANDARD_COLUMNS {
        if !columns.iter().any(|(n, _)| n == c) {
            columns.push((c.to_string(), *t));
        }
    }
    Ok(TableSchema { name, columns })
}

/// Every `*.json` schema file in a directory (files in other shapes are skipped).
pub fn load_dir(dir: &Path) -> Result<Vec<TableSchema>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir)
        .map_err(|e| EngineError::Other(format!("{}: {e}", dir.display())))?;
    let mut paths: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for p in paths {
        let text = std::fs::read_to_string(&p)
            .map_err(|e| EngineError::Other(format!("{}: {e}", p.display())))?;
        if let Ok(s) = parse_schema(&text, &p.display().to_string()) {
            out.push(s);
        }
    }
    Ok(out)
}

/// Registers an empty table for each schema (for validating and planning queries).
pub fn register_empty(catalog: &mut MemoryCatalog, schemas: &[TableSchema]) -> Result<()> {
    for s in schemas {
        let fields: Vec<_> = s.columns.iter().map(|(n, t)| t.field(n)).collect();
        let table = MemTable::try_new(Arc::new(Schema::new(fields)), vec![vec![]])?;
        catalog.register(s.name.clone(), Arc::new(table));
    }
    Ok(())
}
