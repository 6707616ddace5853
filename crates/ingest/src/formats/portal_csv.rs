//! Entra admin center sign-in downloads (CSV): display-name headers (`Date (UTC)`, `Request ID`,
//! `IP address`, …; some duplicated, some with stray spaces), `City, State, CC` locations, and
//! Yes/No flags. Rows become SigninLogs rows (application sign-ins → AADServicePrincipalSignInLogs,
//! managed identities → AADManagedIdentitySignInLogs); the download does not say whether user
//! sign-ins were interactive, so non-interactive downloads need `--table`.

use super::graph_signin::{INTERACTIVE, MANAGED_IDENTITY, SERVICE_PRINCIPAL, map_signin};
use super::{Format, Row, Skip};
use crate::buffer::column_name;
use serde_json::{Map, Value, json};
use std::borrow::Cow;

pub struct PortalSignInCsv;

/// A header as the download spells it, normalised: trimmed, runs of spaces folded, lower case.
fn norm(h: &str) -> String {
    h.trim_start_matches('\u{feff}')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

pub fn looks_like(headers: &[String]) -> bool {
    let hs: Vec<String> = headers.iter().map(|h| norm(h)).collect();
    let has = |h: &str| hs.iter().any(|x| x == h);
    has("date (utc)") && (has("request id") || has("ip address") || has("username"))
}

/// Graph field for each header.
fn graph_field(h: &str) -> Option<&'static str> {
    Some(match h {
        "date (utc)" | "date" => "createdDateTime",
        "request id" => "id",
        "user agent" => "userAgent",
        "correlation id" => "correlationId",
        "user id" => "userId",
        "user" => "userDisplayName",
        "username" => "userPrincipalName",
        "user type" => "userType",
        "cross tenant access type" => "crossTenantAccessType",
        "incoming token type" => "incomingTokenType",
        "authentication protocol" => "authenticationProtocol",
        "unique token identifier" => "uniqueTokenIdentifier",
        "original transfer method" => "originalTransferMethod",
        "client credential type" => "clientCredentialType",
        "application" => "appDisplayName",
        "application id" => "appId",
        "app owner tenant id" => "appOwnerTenantId",
        "resource" => "resourceDisplayName",
        "resource id" => "resourceId",
        "resource tenant id" => "resourceTenantId",
        "resource owner tenant id" => "resourceOwnerTenantId",
        "home tenant id" => "homeTenantId",
        "home tenant name" => "homeTenantName",
        "ip address" => "ipAddress",
        "client app" => "clientAppUsed",
        "authentication requirement" => "authenticationRequirement",
        "sign-in identifier" => "signInIdentifier",
        "session id" => "sessionId",
        "ip address (seen by resource)" => "ipAddressFromResourceProvider",
        "through global secure access" => "isThroughGlobalSecureAccess",
        "global secure access ip address" => "globalSecureAccessIpAddress",
        "autonomous system number" => "autonomousSystemNumber",
        "flagged for review" => "flaggedForReview",
        "token issuer type" => "tokenIssuerType",
        "token issuer name" => "tokenIssuerName",
        "latency" => "processingTimeInMilliseconds",
        "conditional access" => "conditionalAccessStatus",
        "service principal id" => "servicePrincipalId",
        "service principal name" => "servicePrincipalName",
        "managed identity type" => "managedIdentityType",
        _ => return None,
    })
}

/// Display text of the download to the enum value Graph (and Log Analytics) use.
fn camel_enum(s: &str) -> String {
    match s.trim().to_ascii_lowercase().as_str() {
        "single-factor authentication" => "singleFactorAuthentication".into(),
        "multifactor authentication" | "multi-factor authentication" => {
            "multiFactorAuthentication".into()
        }
        "not applied" => "notApplied".into(),
        "success" => "success".into(),
        "failure" => "failure".into(),
        other => {
            let mut out = String::new();
            for (i, w) in other.split_whitespace().enumerate() {
                let mut c = w.chars();
                if let Some(f) = c.next() {
                    if i == 0 {
                        out.push(f);
                    } else {
                        out.extend(f.to_uppercase());
                    }
                    out.push_str(c.as_str());
                }
            }
            out
        }
    }
}

fn yes_no(s: &str) -> Value {
    match s.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" => json!(true),
        "no" | "false" => json!(false),
        "" => Value::Null,
        _ => json!(s),
    }
}

impl Format for PortalSignInCsv {
    fn name(&self) -> &'static str {
        "portal-csv"
    }

    fn map(&self, rec: Value, out: &mut Vec<Row>) -> Result<(), Skip> {
        let Value::Object(o) = rec else {
            return Err(Skip::Reject("expected a CSV row".into()));
        };
        let mut g = Map::new();
        let mut device = Map::new();
        let mut status = Map::new();
        let mut mfa = Map::new();
        let mut extra = Map::new();
        let mut location = Map::new();
        for (raw, v) in o {
            let text = v.as_str().unwrap_or("").trim().to_string();
            if text.is_empty() {
                continue;
            }
            let h = norm(&raw);
            match h.as_str() {
                "location" => {
                    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
                    let (city, state, cc) = match parts.as_slice() {
                        [city, state, cc] => (*city, *state, *cc),
                        [city, cc] => (*city, "", *cc),
                        [cc] => ("", "", *cc),
                        _ => ("", "", parts.last().copied().unwrap_or("")),
                    };
                    location.insert("city".into(), json!(city));
                    location.insert("state".into(), json!(state));
                    location.insert("countryOrRegion".into(), json!(cc));
                }
                "status" => {
                    status.insert("additionalDetails".into(), json!(text));
                }
                "sign-in error code" => {
                    let code = text.parse::<i64>().map(Value::from).unwrap_or(json!(text));
                    status.insert("errorCode".into(), code);
                }
                "failure reason" => {
                    status.insert("failureReason".into(), json!(text));
                }
                "device id" => {
                    device.insert("deviceId".into(), json!(text));
                }
                "browser" => {
                    device.insert("browser".into(), json!(text));
                }
                "operating system" => {
                    device.insert("operatingSystem".into(), json!(text));
                }
                "compliant" => {
                    device.insert("isCompliant".into(), yes_no(&text));
                }
                "managed" => {
                    device.insert("isManaged".into(), yes_no(&text));
                }
                "join type" => {
                    device.insert("trustType".into(), json!(text));
                }
                "multifactor authentication result" => {
                    mfa.insert("authResult".into(), json!(text));
                }
                "multifactor authentication auth method" => {
                    mfa.insert("authMethod".into(), json!(text));
                }
                "multifactor authentication auth detail" => {
                    mfa.insert("authDetail".into(), json!(text));
                }
                _ => match graph_field(&h) {
                    Some(f) if g.contains_key(f) => {} // a duplicated header: first value wins
                    Some(f @ ("authenticationRequirement" | "conditionalAccessStatus")) => {
                        g.insert(f.into(), json!(camel_enum(&text)));
                    }
                    Some(f @ ("flaggedForReview" | "isThroughGlobalSecureAccess")) => {
                        g.insert(f.into(), yes_no(&text));
                    }
                    Some(f) => {
                        g.insert(f.into(), json!(text));
                    }
                    None => {
                        extra.insert(column_name(&raw), json!(text));
                    }
                },
            }
        }
        if !g.contains_key("createdDateTime") {
            return Err(Skip::Reject("the row has no Date (UTC)".into()));
        }
        if let Some(Value::String(s)) = status.get("additionalDetails")
            && !status.contains_key("errorCode")
        {
            let code = if s.eq_ignore_ascii_case("success") {
                0
            } else {
                -1
            };
            status.insert("errorCode".into(), json!(code));
        }
        if !status.is_empty() {
            g.insert("status".into(), Value::Object(status));
        }
        if !device.is_empty() {
            g.insert("deviceDetail".into(), Value::Object(device));
        }
        if !location.is_empty() {
            g.insert("location".into(), Value::Object(location));
        }
        if !mfa.is_empty() {
            g.insert("mfaDetail".into(), Value::Object(mfa));
        }
        let table = if g.contains_key("managedIdentityType") {
            MANAGED_IDENTITY
        } else if !g.contains_key("userPrincipalName") && g.contains_key("servicePrincipalId") {
            SERVICE_PRINCIPAL
        } else {
            INTERACTIVE
        };
        if let Some(t) = g.remove("managedIdentityType") {
            g.insert("managedServiceIdentity".into(), json!({ "msiType": t }));
        }
        let members: Vec<(Cow<str>, &Value)> = g
            .iter()
            .map(|(k, v)| (Cow::Borrowed(k.as_str()), v))
            .collect();
        let mut row = map_signin(table, &members, None).into_row();
        for (k, v) in extra {
            row.set_default(&k, v);
        }
        out.push(row);
        Ok(())
    }
}
