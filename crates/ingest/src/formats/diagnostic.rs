//! Azure Monitor diagnostic-settings records for Entra ID (storage-account `PT1H.json` lines
//! and Event Hub `{"records":[...]}` messages). The envelope (`time`, `category`,
//! `operationName`, `resultType`, `callerIpAddress`, …) maps to the Log Analytics columns, and
//! `properties` holds the Graph-shaped event.

use super::graph_signin::{
    INTERACTIVE, MANAGED_IDENTITY, NON_INTERACTIVE, SERVICE_PRINCIPAL, map_signin,
};
use super::signin_plan::{Plans, SlotRow};
use super::{Field, Format, RawRow, Row, Skip, Src, pascal_column, take_properties};
use crate::rawjson::{self, Members};
use serde_json::{Map, Value, json};
use std::borrow::Cow;

pub struct Diagnostic;

/// The Log Analytics table of a diagnostic category.
pub fn table_of(category: &str) -> Option<&'static str> {
    Some(match category {
        "SignInLogs" => INTERACTIVE,
        "NonInteractiveUserSignInLogs" => NON_INTERACTIVE,
        "ServicePrincipalSignInLogs" => SERVICE_PRINCIPAL,
        "ManagedIdentitySignInLogs" => MANAGED_IDENTITY,
        "AuditLogs" => "AuditLogs",
        "RiskyUsers" => "AADRiskyUsers",
        "UserRiskEvents" => "AADUserRiskEvents",
        _ => return None,
    })
}

impl Format for Diagnostic {
    fn name(&self) -> &'static str {
        "diagnostic"
    }

    fn map(&self, rec: Value, out: &mut Vec<Row>) -> Result<(), Skip> {
        let Value::Object(mut o) = rec else {
            return Err(Skip::Reject("expected a diagnostic record object".into()));
        };
        let props = take_properties(&mut o)?;
        let envelope: Vec<(Cow<str>, &Value)> = o
            .iter()
            .map(|(k, v)| (Cow::Borrowed(k.as_str()), v))
            .collect();
        let (table, env) = map_envelope(&envelope)?;
        let row = match table {
            INTERACTIVE | NON_INTERACTIVE | SERVICE_PRINCIPAL | MANAGED_IDENTITY => {
                let members: Vec<(Cow<str>, &Value)> = props
                    .iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), v))
                    .collect();
                map_signin(table, &members, Some(env)).into_row()
            }
            "AuditLogs" => map_audit(props, env.into_row()),
            _ => map_plain(table, props, env.into_row()),
        };
        out.push(row);
        Ok(())
    }

    fn raw(&self) -> bool {
        true
    }

    fn map_planned<'a>(
        &self,
        rec: &Members<'a>,
        plans: &mut Plans,
        row: &mut SlotRow<'a>,
    ) -> Option<Result<usize, Skip>> {
        let (envelope, props) = split_envelope(rec);
        let (table, env) = match map_envelope(&envelope) {
            Ok(t) => t,
            Err(skip) => return Some(Err(skip)),
        };
        // Sign-ins whose properties are an object; the rest map as rows (map_raw).
        let props = props.filter(|p| p.starts_with('{'))?;
        if !matches!(
            table,
            INTERACTIVE | NON_INTERACTIVE | SERVICE_PRINCIPAL | MANAGED_IDENTITY
        ) {
            return None;
        }
        let members = match rawjson::object_members(props) {
            Ok(m) => m,
            Err(e) => return Some(Err(Skip::Reject(e))),
        };
        Some(Ok(plans.map(table, &members, Some(env), row)))
    }

    fn map_raw<'a>(&self, rec: &Members<'a>, out: &mut Vec<RawRow<'a>>) -> Result<(), Skip> {
        let (envelope, props) = split_envelope(rec);
        let (table, env) = map_envelope(&envelope)?;
        let no_props = || Skip::Reject("the record has no \"properties\" object".into());
        let props = props.ok_or_else(no_props)?;
        match table {
            INTERACTIVE | NON_INTERACTIVE | SERVICE_PRINCIPAL | MANAGED_IDENTITY
                if props.starts_with('{') =>
            {
                let members = rawjson::object_members(props).map_err(Skip::Reject)?;
                out.push(map_signin(table, &members, Some(env)));
            }
            _ => {
                // The rarer categories, and properties sent as a string: parsed in full.
                let mut o = Map::new();
                o.insert(
                    "properties".into(),
                    serde_json::from_str(props).map_err(|e| Skip::Reject(e.to_string()))?,
                );
                let p = take_properties(&mut o)?;
                let env = env.into_row();
                let row = match table {
                    INTERACTIVE | NON_INTERACTIVE | SERVICE_PRINCIPAL | MANAGED_IDENTITY => {
                        let members: Vec<(Cow<str>, &Value)> = p
                            .iter()
                            .map(|(k, v)| (Cow::Borrowed(k.as_str()), v))
                            .collect();
                        let env = RawRow::from_row(env);
                        map_signin(table, &members, Some(env)).into_row()
                    }
                    "AuditLogs" => map_audit(p, env),
                    _ => map_plain(table, p, env),
                };
                out.push(RawRow::from_row(row));
            }
        }
        Ok(())
    }
}

/// A record's envelope members and its `properties` (raw text), if any.
fn split_envelope<'a>(rec: &Members<'a>) -> (Members<'a>, Option<&'a str>) {
    let mut envelope = Vec::with_capacity(rec.len());
    let mut props = None;
    for (k, v) in rec {
        if k == "properties" {
            props = Some(*v);
        } else {
            envelope.push((k.clone(), *v));
        }
    }
    (envelope, props)
}

/// The destination table of a record and its envelope fields in Log Analytics columns.
fn map_envelope<'a, F: Field<'a>>(
    envelope: &[(Cow<'a, str>, F)],
) -> Result<(&'static str, RawRow<'a>), Skip> {
    let category = envelope
        .iter()
        .find(|(k, _)| k == "category")
        .and_then(|(_, v)| v.text())
        .unwrap_or_default();
    let Some(table) = table_of(&category) else {
        return Err(Skip::Reject(format!(
            "diagnostic category \"{category}\" is not one Peregrine ingests (SignInLogs, NonInteractiveUserSignInLogs, ServicePrincipalSignInLogs, ManagedIdentitySignInLogs, AuditLogs, RiskyUsers, UserRiskEvents)"
        )));
    };
    let mut env = RawRow::new(table);
    for (k, v) in envelope {
        let col: Cow<str> = match k.as_ref() {
            "time" => "TimeGenerated".into(),
            "resourceId" => "ResourceId".into(),
            "tenantId" => "TenantId".into(),
            "callerIpAddress" => {
                if table == "AuditLogs" {
                    continue;
                }
                "IPAddress".into()
            }
            "level" | "Level" => "Level".into(),
            "durationMs" => "DurationMs".into(),
            key => pascal_column(table, key),
        };
        env.set(col, v.src());
    }
    env.set("Category", Src::Text(Cow::Owned(category.into_owned())));
    Ok((table, env))
}

/// `properties` of an AuditLogs record: a Graph directoryAudit.
fn map_audit(p: Map<String, Value>, mut row: Row) -> Row {
    for (k, v) in p {
        match k.as_str() {
            "activityDateTime" => {
                row.set_default("TimeGenerated", v.clone());
                row.set("ActivityDateTime", v);
            }
            "activityDisplayName" => {
                row.set_default("OperationName", v.clone());
                row.set("ActivityDisplayName", v);
            }
            "operationType" => row.set("AADOperationType", v),
            "resultReason" => row.set("ResultReason", v),
            "result" => row.set("Result", v),
            _ => {
                let col = pascal_column("AuditLogs", &k);
                row.set(&col, v);
            }
        }
    }
    row.set_default("SourceSystem", json!("Azure AD"));
    row
}

/// `properties` of the other categories: Graph fields in Log Analytics casing.
fn map_plain(table: &str, p: Map<String, Value>, mut row: Row) -> Row {
    for (k, v) in p {
        let col = pascal_column(table, &k);
        row.set_default(&col, v);
    }
    row
}
