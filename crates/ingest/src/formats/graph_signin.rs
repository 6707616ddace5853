//! Microsoft Graph `/auditLogs/signIns` records (v1.0 and beta; OData pages, JSON arrays such
//! as portal downloads and Microsoft-Extractor-Suite output, or NDJSON). Each sign-in goes to
//! the Log Analytics table its kind belongs in, with Log Analytics' column mapping.

use super::{Format, Row, Skip, pascal_column, str_of};
use serde_json::{Map, Value, json};

pub struct GraphSignIn;

pub const INTERACTIVE: &str = "SigninLogs";
pub const NON_INTERACTIVE: &str = "AADNonInteractiveUserSignInLogs";
pub const SERVICE_PRINCIPAL: &str = "AADServicePrincipalSignInLogs";
pub const MANAGED_IDENTITY: &str = "AADManagedIdentitySignInLogs";

pub fn looks_like(o: &Map<String, Value>) -> bool {
    o.contains_key("createdDateTime")
        && (o.contains_key("status") || o.contains_key("signInEventTypes"))
        && (o.contains_key("ipAddress")
            || o.contains_key("appId")
            || o.contains_key("userPrincipalName"))
}

/// The table a sign-in belongs in: from `signInEventTypes` (beta), else from `isInteractive`
/// and the service-principal / managed-identity fields.
pub fn route(o: &Map<String, Value>) -> &'static str {
    if let Some(Value::Array(types)) = o.get("signInEventTypes") {
        let has = |t: &str| types.iter().any(|x| x.as_str() == Some(t));
        if has("managedIdentity") {
            return MANAGED_IDENTITY;
        }
        if has("servicePrincipal") {
            return SERVICE_PRINCIPAL;
        }
        if has("interactiveUser") {
            return INTERACTIVE;
        }
        if has("nonInteractiveUser") {
            return NON_INTERACTIVE;
        }
    }
    let msi = o
        .get("managedServiceIdentity")
        .and_then(|m| m.get("msiType"))
        .and_then(Value::as_str)
        .unwrap_or("none");
    if !msi.is_empty() && msi != "none" {
        return MANAGED_IDENTITY;
    }
    if str_of(o, "userId").is_empty()
        && str_of(o, "userPrincipalName").is_empty()
        && !str_of(o, "servicePrincipalId").is_empty()
    {
        return SERVICE_PRINCIPAL;
    }
    match o.get("isInteractive") {
        Some(Value::Bool(false)) => NON_INTERACTIVE,
        _ => INTERACTIVE,
    }
}

impl Format for GraphSignIn {
    fn name(&self) -> &'static str {
        "graph-signin"
    }

    fn map(&self, rec: Value, out: &mut Vec<Row>) -> Result<(), Skip> {
        let Value::Object(o) = rec else {
            return Err(Skip::Reject("expected a sign-in object".into()));
        };
        if !o.contains_key("createdDateTime") {
            return Err(Skip::Reject(
                "a sign-in without createdDateTime (is this a Graph /auditLogs/signIns record?)"
                    .into(),
            ));
        }
        let table = route(&o);
        out.push(map_signin(table, o, None));
        Ok(())
    }
}

/// Maps a Graph-shaped sign-in (also the `properties` of a diagnostic record) to `table`'s
/// columns. `envelope` holds diagnostic-record fields already mapped.
pub fn map_signin(table: &str, o: Map<String, Value>, envelope: Option<Row>) -> Row {
    let mut row = envelope.unwrap_or_else(|| Row::new(table));
    row.table = table.to_string();
    for (k, v) in o {
        match k.as_str() {
            "createdDateTime" => {
                row.set_default("TimeGenerated", v.clone());
                row.set("CreatedDateTime", v);
            }
            "id" => row.set("Id", v),
            "resourceId" => row.set("ResourceIdentity", v),
            "location" => {
                if let Some(c) = v.get("countryOrRegion") {
                    row.set_default("Location", c.clone());
                }
                row.set("LocationDetails", v);
            }
            "appliedConditionalAccessPolicies" => row.set("ConditionalAccessPolicies", v),
            "riskEventTypes_v2" => row.set("RiskEventTypes_V2", v),
            "processingTimeInMilliseconds" if table == super::graph_signin::NON_INTERACTIVE => {
                row.set("ProcessingTimeInMs", v)
            }
            "status" => {
                if let Some(code) = v.get("errorCode") {
                    row.set_default("ResultType", code.clone());
                }
                if let Some(r) = v.get("failureReason") {
                    row.set_default("ResultDescription", r.clone());
                }
                row.set("Status", v);
            }
            "managedServiceIdentity" => row.set("ManagedServiceIdentity", v),
            "autonomousSystemNumber" => row.set("AutonomousSystemNumber", v),
            _ => {
                let col = pascal_column(table, &k);
                row.set(&col, v);
            }
        }
    }
    let identity = row
        .cols
        .get("UserDisplayName")
        .or_else(|| row.cols.get("ServicePrincipalName"))
        .cloned();
    if let Some(i) = identity {
        row.set_default("Identity", i);
    }
    let tenant = row
        .cols
        .get("ResourceTenantId")
        .or_else(|| row.cols.get("HomeTenantId"))
        .cloned();
    if let Some(t) = tenant {
        row.set_default("AADTenantId", t.clone());
        row.set_default("TenantId", t);
    }
    let category = match table {
        INTERACTIVE => "SignInLogs",
        NON_INTERACTIVE => "NonInteractiveUserSignInLogs",
        SERVICE_PRINCIPAL => "ServicePrincipalSignInLogs",
        _ => "ManagedIdentitySignInLogs",
    };
    row.set_default("Category", json!(category));
    row.set_default("OperationName", json!("Sign-in activity"));
    row.set_default("OperationVersion", json!("1.0"));
    row.set_default("SourceSystem", json!("Azure AD"));
    row.set_default("Level", json!("4"));
    row.set_default("Resource", json!("Microsoft.aadiam"));
    row.set_default("ResourceProvider", json!("Microsoft.aadiam"));
    row.set_default("ResourceGroup", json!("Microsoft.aadiam"));
    row.set_default("DurationMs", json!(0));
    let ok = row
        .cols
        .get("ResultType")
        .map(|v| v == &json!(0) || v == &json!("0"))
        .unwrap_or(false);
    row.set_default(
        "ResultSignature",
        json!(if ok { "SUCCESS" } else { "FAILURE" }),
    );
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_event_type_then_fields() {
        let o = |v: Value| v.as_object().cloned().unwrap_or_default();
        assert_eq!(
            route(&o(json!({"signInEventTypes":["nonInteractiveUser"]}))),
            NON_INTERACTIVE
        );
        assert_eq!(route(&o(json!({"isInteractive": true}))), INTERACTIVE);
        assert_eq!(route(&o(json!({"isInteractive": false}))), NON_INTERACTIVE);
        assert_eq!(
            route(&o(json!({"servicePrincipalId":"x","userId":""}))),
            SERVICE_PRINCIPAL
        );
        assert_eq!(
            route(&o(
                json!({"managedServiceIdentity":{"msiType":"systemAssigned"}})
            )),
            MANAGED_IDENTITY
        );
    }
}
