//! Microsoft Graph `/auditLogs/signIns` records (v1.0 and beta; OData pages, JSON arrays such
//! as portal downloads and Microsoft-Extractor-Suite output, or NDJSON). Each sign-in goes to
//! the Log Analytics table its kind belongs in, with Log Analytics' column mapping.

pub use super::signin_plan::map_signin;
use super::signin_plan::{Plans, SlotRow};
use super::{Field, Format, RawRow, Row, Skip};
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
        let table = table_of(&members)?;
        out.push(map_signin(table, &members, None).into_row());
        Ok(())
    }

    fn raw(&self) -> bool {
        true
    }

    fn map_raw<'a>(&self, rec: &Members<'a>, out: &mut Vec<RawRow<'a>>) -> Result<(), Skip> {
        let table = table_of(rec)?;
        out.push(map_signin(table, rec, None));
        Ok(())
    }

    fn map_planned<'a>(
        &self,
        rec: &Members<'a>,
        plans: &mut Plans,
        row: &mut SlotRow<'a>,
    ) -> Option<Result<usize, Skip>> {
        Some(table_of(rec).map(|table| plans.map(table, rec, None, row)))
    }
}

/// The table a sign-in goes to, from the members routing reads (found in one pass; the last
/// of repeated keys, as in the row).
fn table_of<'a, F: Field<'a>>(members: &[(Cow<'a, str>, F)]) -> Result<&'static str, Skip> {
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
            "a sign-in without createdDateTime (is this a Graph /auditLogs/signIns record?)".into(),
        ));
    }
    Ok(route(field))
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
