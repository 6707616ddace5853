//! Azure Monitor diagnostic-settings records for Entra ID (storage-account `PT1H.json` lines
//! and Event Hub `{"records":[...]}` messages). The envelope (`time`, `category`,
//! `operationName`, `resultType`, `callerIpAddress`, …) maps to the Log Analytics columns, and
//! `properties` holds the Graph-shaped event.

use super::graph_signin::{
    INTERACTIVE, MANAGED_IDENTITY, NON_INTERACTIVE, SERVICE_PRINCIPAL, map_signin,
};
use super::{Format, Row, Skip, pascal_column, take_properties};
use serde_json::{Map, Value, json};

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
        let category = o
            .get("category")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let Some(table) = table_of(&category) else {
            return Err(Skip::Reject(format!(
                "diagnostic category \"{category}\" is not one Peregrine ingests (SignInLogs, NonInteractiveUserSignInLogs, ServicePrincipalSignInLogs, ManagedIdentitySignInLogs, AuditLogs, RiskyUsers, UserRiskEvents)"
            )));
        };
        let props = take_properties(&mut o)?;
        let mut env = Row::new(table);
        for (k, v) in o {
            let col = match k.as_str() {
                "time" => "TimeGenerated".to_string(),
                "resourceId" => "ResourceId".to_string(),
                "tenantId" => "TenantId".to_string(),
                "callerIpAddress" => {
                    if table == "AuditLogs" {
                        continue;
                    }
                    "IPAddress".to_string()
                }
                "level" | "Level" => "Level".to_string(),
                "durationMs" => "DurationMs".to_string(),
                _ => pascal_column(table, &k),
            };
            env.set(&col, v);
        }
        env.set("Category", json!(category));
        let row = match table {
            INTERACTIVE | NON_INTERACTIVE | SERVICE_PRINCIPAL | MANAGED_IDENTITY => {
                map_signin(table, props, Some(env))
            }
            "AuditLogs" => map_audit(props, env),
            _ => map_plain(table, props, env),
        };
        out.push(row);
        Ok(())
    }
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
