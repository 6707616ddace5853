//! Microsoft Graph `/auditLogs/signIns` records (v1.0 and beta; OData pages, JSON arrays such
//! as portal downloads and Microsoft-Extractor-Suite output, or NDJSON). Each sign-in goes to
//! the Log Analytics table its kind belongs in, with Log Analytics' column mapping.

use super::{Field, Format, RawRow, Row, Skip, Src, pascal_column_at};
use crate::rawjson::Members;
use serde_json::{Map, Value};
use std::borrow::Cow;

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
/// and the service-principal / managed-identity fields. `field` looks a member up.
pub fn route<'a, F: Field<'a>>(field: impl Fn(&str) -> Option<F>) -> &'static str {
    if let Some(types) = field("signInEventTypes") {
        let types: Vec<_> = types.items().into_iter().filter_map(F::text).collect();
        let has = |t: &str| types.iter().any(|x| x == t);
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
    let msi = field("managedServiceIdentity")
        .and_then(|m| m.get("msiType"))
        .and_then(F::text)
        .unwrap_or(Cow::Borrowed("none"));
    if !msi.is_empty() && msi != "none" {
        return MANAGED_IDENTITY;
    }
    let text = |k: &str| field(k).and_then(F::text).unwrap_or_default();
    if text("userId").is_empty()
        && text("userPrincipalName").is_empty()
        && !text("servicePrincipalId").is_empty()
    {
        return SERVICE_PRINCIPAL;
    }
    match field("isInteractive").and_then(F::bool) {
        Some(false) => NON_INTERACTIVE,
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
        let members: Vec<(Cow<str>, &Value)> = o
            .iter()
            .map(|(k, v)| (Cow::Borrowed(k.as_str()), v))
            .collect();
        let mut rows = Vec::new();
        self.map_fields(&members, &mut rows)?;
        out.extend(rows.into_iter().map(RawRow::into_row));
        Ok(())
    }

    fn raw(&self) -> bool {
        true
    }

    fn map_raw<'a>(&self, rec: &Members<'a>, out: &mut Vec<RawRow<'a>>) -> Result<(), Skip> {
        self.map_fields(rec, out)
    }
}

impl GraphSignIn {
    fn map_fields<'a, F: Field<'a>>(
        &self,
        members: &[(Cow<'a, str>, F)],
        out: &mut Vec<RawRow<'a>>,
    ) -> Result<(), Skip> {
        // The members routing reads, found in one pass (the last of repeated keys, as in
        // the row).
        const ROUTING: [&str; 7] = [
            "createdDateTime",
            "signInEventTypes",
            "managedServiceIdentity",
            "userId",
            "userPrincipalName",
            "servicePrincipalId",
            "isInteractive",
        ];
        let mut found: [Option<F>; 7] = [None; 7];
        for (n, v) in members {
            let i = match n.as_ref() {
                "createdDateTime" => 0,
                "signInEventTypes" => 1,
                "managedServiceIdentity" => 2,
                "userId" => 3,
                "userPrincipalName" => 4,
                "servicePrincipalId" => 5,
                "isInteractive" => 6,
                _ => continue,
            };
            found[i] = Some(*v);
        }
        let field = |k: &str| ROUTING.iter().position(|r| *r == k).and_then(|i| found[i]);
        if field("createdDateTime").is_none() {
            return Err(Skip::Reject(
                "a sign-in without createdDateTime (is this a Graph /auditLogs/signIns record?)"
                    .into(),
            ));
        }
        let table = route(field);
        out.push(map_signin(table, members, None));
        Ok(())
    }
}

/// Maps a Graph-shaped sign-in (also the `properties` of a diagnostic record, and a portal
/// CSV row rebuilt in Graph shape) to `table`'s columns. `envelope` holds diagnostic-record
/// fields already mapped; a column the sign-in sets again takes the sign-in's value.
pub fn map_signin<'a, F: Field<'a>>(
    table: &'static str,
    members: &[(Cow<'a, str>, F)],
    envelope: Option<RawRow<'a>>,
) -> RawRow<'a> {
    let mut row = envelope.unwrap_or_else(|| RawRow::new(table));
    row.table = Cow::Borrowed(table);
    for (pos, (k, v)) in members.iter().enumerate() {
        let v = *v;
        match k.as_ref() {
            "createdDateTime" => {
                row.set_default("TimeGenerated", v.src());
                row.set("CreatedDateTime", v.src());
            }
            "id" => row.set("Id", v.src()),
            "resourceId" => row.set("ResourceIdentity", v.src()),
            "location" => {
                if let Some(c) = v.get("countryOrRegion") {
                    row.set_default("Location", c.src());
                }
                row.set("LocationDetails", v.src());
            }
            "appliedConditionalAccessPolicies" => row.set("ConditionalAccessPolicies", v.src()),
            "riskEventTypes_v2" => row.set("RiskEventTypes_V2", v.src()),
            "processingTimeInMilliseconds" if table == NON_INTERACTIVE => {
                row.set("ProcessingTimeInMs", v.src())
            }
            "status" => {
                if let Some(code) = v.get("errorCode") {
                    row.set_default("ResultType", code.src());
                }
                if let Some(r) = v.get("failureReason") {
                    row.set_default("ResultDescription", r.src());
                }
                row.set("Status", v.src());
            }
            "managedServiceIdentity" => row.set("ManagedServiceIdentity", v.src()),
            "autonomousSystemNumber" => row.set("AutonomousSystemNumber", v.src()),
            key => row.set(pascal_column_at(pos, table, key), v.src()),
        }
    }
    let identity = row
        .get("UserDisplayName")
        .or_else(|| row.get("ServicePrincipalName"))
        .cloned();
    if let Some(i) = identity {
        row.set_default("Identity", i);
    }
    let tenant = row
        .get("ResourceTenantId")
        .or_else(|| row.get("HomeTenantId"))
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
    let text = |s: &'static str| Src::Text(Cow::Borrowed(s));
    row.set_default("Category", text(category));
    row.set_default("OperationName", text("Sign-in activity"));
    row.set_default("OperationVersion", text("1.0"));
    row.set_default("SourceSystem", text("Azure AD"));
    row.set_default("Level", text("4"));
    row.set_default("Resource", text("Microsoft.aadiam"));
    row.set_default("ResourceProvider", text("Microsoft.aadiam"));
    row.set_default("ResourceGroup", text("Microsoft.aadiam"));
    row.set_default("DurationMs", Src::Json("0"));
    let ok = row.get("ResultType").is_some_and(Src::is_zero);
    row.set_default(
        "ResultSignature",
        text(if ok { "SUCCESS" } else { "FAILURE" }),
    );
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn routes_by_event_type_then_fields() {
        let o = |v: Value| {
            let m = v.as_object().cloned().unwrap_or_default();
            route(|k: &str| m.get(k))
        };
        assert_eq!(
            (o(json!({"signInEventTypes":["nonInteractiveUser"]}))),
            NON_INTERACTIVE
        );
        assert_eq!((o(json!({"isInteractive": true}))), INTERACTIVE);
        assert_eq!((o(json!({"isInteractive": false}))), NON_INTERACTIVE);
        assert_eq!(
            (o(json!({"servicePrincipalId":"x","userId":""}))),
            SERVICE_PRINCIPAL
        );
        assert_eq!(
            (o(json!({"managedServiceIdentity":{"msiType":"systemAssigned"}}))),
            MANAGED_IDENTITY
        );
    }
}
