//! Microsoft Graph `/users` exports (OData pages, JSON arrays or NDJSON of user objects) →
//! IdentityInfo, one snapshot row per user.
//!
//! TimeGenerated: a user object carries no snapshot time, and the file's modification time
//! would make re-ingesting the same file give different rows. The row's time is therefore
//! the latest of the user's own datetimes: `createdDateTime`, `lastPasswordChangeDateTime`,
//! `signInActivity.lastSignInDateTime` and `signInActivity.lastNonInteractiveSignInDateTime`
//! (the last moment the export proves the account existed as described). A user with none of
//! them is rejected.
//!
//! AccountName and AccountDomain are the parts of the UPN around `@`. AccountTenantId is not
//! in user objects and stays empty. Keys without an IdentityInfo column are kept under their
//! PascalCase names.

use super::{Format, Row, Skip, iso_utc, pascal_column, without_annotations};
use serde_json::{Map, Value, json};

pub struct GraphUsers;

const TABLE: &str = "IdentityInfo";

/// Users have `accountEnabled`, or a UPN beside `displayName` (risky users and sign-ins
/// spell it `userDisplayName`); sign-ins (which also carry a UPN) have `status` /
/// `ipAddress` / `signInEventTypes`.
pub fn looks_like(o: &Map<String, Value>) -> bool {
    let signin = ["status", "ipAddress", "signInEventTypes", "appId"]
        .iter()
        .any(|k| o.contains_key(*k));
    let user = o.contains_key("accountEnabled")
        || (o.contains_key("userPrincipalName") && o.contains_key("displayName"));
    user && !signin
}

fn column(key: &str) -> Option<&'static str> {
    Some(match key {
        "id" => "AccountObjectId",
        "displayName" => "AccountDisplayName",
        "createdDateTime" => "AccountCreationTime",
        "accountEnabled" => "IsAccountEnabled",
        "mail" => "MailAddress",
        "otherMails" => "AdditionalMailAddresses",
        "onPremisesSamAccountName" => "SAMAccountName",
        "onPremisesSecurityIdentifier" => "AccountSID",
        "onPremisesDistinguishedName" => "OnPremisesDistinguishedName",
        "onPremisesExtensionAttributes" => "OnPremisesExtensionAttributes",
        "mobilePhone" => "Phone",
        "deletedDateTime" => "DeletedDateTime",
        _ => return None,
    })
}

impl Format for GraphUsers {
    fn name(&self) -> &'static str {
        "graph-users"
    }

    fn map(&self, rec: Value, out: &mut Vec<Row>) -> Result<(), Skip> {
        let Value::Object(o) = rec else {
            return Err(Skip::Reject("expected a user object".into()));
        };
        let mut times: Vec<String> = Vec::new();
        let mut note_time = |v: &Value| {
            if let Some(t) = v.as_str().and_then(iso_utc) {
                times.push(t);
            }
        };
        for k in ["createdDateTime", "lastPasswordChangeDateTime"] {
            if let Some(v) = o.get(k) {
                note_time(v);
            }
        }
        if let Some(Value::Object(sa)) = o.get("signInActivity") {
            for k in ["lastSignInDateTime", "lastNonInteractiveSignInDateTime"] {
                if let Some(v) = sa.get(k) {
                    note_time(v);
                }
            }
        }
        // ISO UTC text with fixed-width fields sorts as time does.
        let Some(time) = times.into_iter().max() else {
            return Err(Skip::Reject(
                "a user without createdDateTime, lastPasswordChangeDateTime or signInActivity times: no time for its row".into(),
            ));
        };
        let mut row = Row::new(TABLE);
        row.set("TimeGenerated", json!(time));
        let mut phone = None;
        for (k, v) in without_annotations(o) {
            if k == "userPrincipalName"
                && let Some(upn) = v.as_str()
            {
                let (name, domain) = upn.split_once('@').unwrap_or((upn, ""));
                row.set("AccountName", json!(name));
                if !domain.is_empty() {
                    row.set("AccountDomain", json!(domain));
                }
                row.set("AccountUPN", v.clone());
                continue;
            }
            if k == "businessPhones" {
                phone = v.as_array().and_then(|a| a.first()).cloned();
            }
            match column(&k) {
                Some(c) => row.set(c, v),
                None => {
                    let col = pascal_column(TABLE, &k);
                    row.set_default(&col, v);
                }
            }
        }
        if let Some(p) = phone {
            row.set_default("Phone", p);
        }
        out.push(row);
        Ok(())
    }
}
