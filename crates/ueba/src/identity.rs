//! What the directory says about users: IdentityInfo rows that were ingested (a Graph users
//! export; authoritative) and account creation times from AuditLogs "Add user" records.

use crate::model::HashMap;
use crate::read::{Reader, str_col, ticks_col};
use engine::datafusion::arrow::array::Array;
use std::collections::BTreeSet;
use store::Store;

/// `SourceSystem` of the IdentityInfo rows UEBA derives from the logs (replaced every run).
pub const DERIVED_SOURCE: &str = "Peregrine UEBA";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Directory {
    pub upn: String,
    pub object_id: String,
    pub display: String,
    pub department: String,
    pub groups: BTreeSet<String>,
    pub roles: Vec<String>,
    pub created: Option<i64>,
}

impl Directory {
    /// BlastRadius: High when an assigned role is an administrator role (its name contains
    /// "Administrator"), Medium for any other assigned role or membership of 10 or more
    /// groups, else Low.
    pub fn blast_radius(&self) -> &'static str {
        if self
            .roles
            .iter()
            .any(|r| r.to_ascii_lowercase().contains("administrator"))
        {
            "High"
        } else if !self.roles.is_empty() || self.groups.len() >= 10 {
            "Medium"
        } else {
            "Low"
        }
    }
}

/// Users known from the directory, by lower-cased UPN, plus creation times by object id.
#[derive(Debug, Default)]
pub struct Identities {
    pub by_upn: HashMap<String, Directory>,
    pub created_by_id: HashMap<String, i64>,
    /// Lower-cased UPNs that have an ingested (authoritative) IdentityInfo row.
    pub ingested: BTreeSet<String>,
}

impl Identities {
    pub fn load(store: &Store, reader: &Reader) -> Result<Identities, String> {
        let mut ids = Identities::default();
        if store.table("IdentityInfo").is_some() {
            ids.load_identity_info(reader)?;
        }
        if store.table("AuditLogs").is_some() {
            ids.load_add_user(reader)?;
        }
        Ok(ids)
    }

    fn load_identity_info(&mut self, reader: &Reader) -> Result<(), String> {
        let q = format!(
            "IdentityInfo | where SourceSystem != \"{DERIVED_SOURCE}\"
| project TimeGenerated, AccountUPN, AccountObjectId, AccountDisplayName, Department,
  AccountCreationTime, Groups = tostring(GroupMembership), Roles = tostring(AssignedRoles)"
        );
        let res = reader.query(&q)?;
        // The newest row per user wins; ties by the row's values, so the choice is stable.
        let mut rows: Vec<(i64, Directory)> = Vec::new();
        for b in &res.batches {
            let t = ticks_col(b, "TimeGenerated")?;
            let created = ticks_col(b, "AccountCreationTime")?;
            let (upn, oid, disp, dept, groups, roles) = (
                str_col(b, "AccountUPN")?,
                str_col(b, "AccountObjectId")?,
                str_col(b, "AccountDisplayName")?,
                str_col(b, "Department")?,
                str_col(b, "Groups")?,
                str_col(b, "Roles")?,
            );
            for i in 0..b.num_rows() {
                let u = upn.get(i).trim();
                if u.is_empty() {
                    continue;
                }
                rows.push((
                    if t.is_null(i) { i64::MIN } else { t.value(i) },
                    Directory {
                        upn: u.to_string(),
                        object_id: oid.get(i).to_string(),
                        display: disp.get(i).to_string(),
                        department: dept.get(i).trim().to_string(),
                        groups: string_list(groups.get(i)).into_iter().collect(),
                        roles: string_list(roles.get(i)),
                        created: (!created.is_null(i)).then(|| created.value(i)),
                    },
                ));
            }
        }
        rows.sort_by(|a, b| {
            (a.0, &a.1.upn, &a.1.object_id, &a.1.display).cmp(&(
                b.0,
                &b.1.upn,
                &b.1.object_id,
                &b.1.display,
            ))
        });
        for (_, d) in rows {
            let key = d.upn.to_lowercase();
            self.ingested.insert(key.clone());
            if let Some(c) = d.created
                && !d.object_id.is_empty()
            {
                self.created_by_id.insert(d.object_id.to_lowercase(), c);
            }
            self.by_upn.insert(key, d);
        }
        Ok(())
    }

    fn load_add_user(&mut self, reader: &Reader) -> Result<(), String> {
        let q = "AuditLogs | where OperationName =~ \"Add user\" and Result !~ \"failure\"
| project TimeGenerated, ActivityDateTime, Targets = tostring(TargetResources)";
        let res = reader.query(q)?;
        for b in &res.batches {
            let t = ticks_col(b, "TimeGenerated")?;
            let at = ticks_col(b, "ActivityDateTime")?;
            let targets = str_col(b, "Targets")?;
            for i in 0..b.num_rows() {
                let when = if !at.is_null(i) {
                    at.value(i)
                } else if !t.is_null(i) {
                    t.value(i)
                } else {
                    continue;
                };
                let Ok(serde_json::Value::Array(list)) =
                    serde_json::from_str::<serde_json::Value>(targets.get(i))
                else {
                    continue;
                };
                for target in list {
                    let s = |k: &str| {
                        target
                            .get(k)
                            .and_then(serde_json::Value::as_str)
                            .unwrap_or("")
                            .trim()
                            .to_lowercase()
                    };
                    let upn = s("userPrincipalName");
                    let id = s("id");
                    if !upn.is_empty() {
                        let d = self.by_upn.entry(upn.clone()).or_insert_with(|| Directory {
                            upn: upn.clone(),
                            ..Directory::default()
                        });
                        // An ingested AccountCreationTime is authoritative.
                        if !self.ingested.contains(&upn) || d.created.is_none() {
                            d.created = Some(d.created.map_or(when, |c| c.min(when)));
                        }
                    }
                    if !id.is_empty() {
                        let e = self.created_by_id.entry(id).or_insert(when);
                        *e = (*e).min(when);
                    }
                }
            }
        }
        Ok(())
    }

    /// The directory entry of a user, by UPN (lower-cased) or object id.
    pub fn lookup(&self, upn_key: &str) -> Option<&Directory> {
        self.by_upn.get(upn_key)
    }

    /// Account creation time of a user: from the directory by UPN, else by object id.
    pub fn created(&self, upn_key: &str, object_id: &str) -> Option<i64> {
        if let Some(c) = self.by_upn.get(upn_key).and_then(|d| d.created) {
            return Some(c);
        }
        if self.created_by_id.is_empty() || object_id.is_empty() {
            return None;
        }
        match self.created_by_id.get(object_id) {
            Some(c) => Some(*c),
            None => self.created_by_id.get(&object_id.to_lowercase()).copied(),
        }
    }
}

/// A dynamic list (JSON array of strings or of objects with a display name) as strings.
fn string_list(text: &str) -> Vec<String> {
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str::<serde_json::Value>(text)
    else {
        return Vec::new();
    };
    let mut out: Vec<String> = items
        .iter()
        .filter_map(|v| match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Object(o) => ["displayName", "DisplayName", "name", "id"]
                .iter()
                .find_map(|k| o.get(*k).and_then(serde_json::Value::as_str))
                .map(str::to_string),
            _ => None,
        })
        .filter(|s| !s.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}
