//! The table schemas Peregrine knows (the repository's `schemas/`, built into the binary).
//! Ingest types each column by them; tables it does not know get columns typed from the data.

use engine::KqlType;
use engine::schema::{TableSchema, parse_schema};
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

macro_rules! schema_files {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../../schemas/", $name, ".json")))),*]
    };
}

const FILES: &[(&str, &str)] = schema_files!(
    "AADManagedIdentitySignInLogs",
    "AADNonInteractiveUserSignInLogs",
    "AADRiskyUsers",
    "AADServicePrincipalSignInLogs",
    "AADSignInEventsBeta",
    "AADSpnSignInEventsBeta",
    "AADUserRiskEvents",
    "AlertEvidence",
    "AlertInfo",
    "Anomalies",
    "AuditLogs",
    "AzureActivity",
    "BehaviorAnalytics",
    "CloudAppEvents",
    "CommonSecurityLog",
    "DeviceEvents",
    "EntraIdSignInEvents",
    "EntraIdSpnSignInEvents",
    "IdentityDirectoryEvents",
    "IdentityInfo",
    "IdentityLogonEvents",
    "IdentityQueryEvents",
    "OfficeActivity",
    "SecurityAlert",
    "SentinelBehaviorEntities",
    "SentinelBehaviorInfo",
    "SigninLogs",
    "UserPeerAnalytics",
);

fn all() -> &'static BTreeMap<String, TableSchema> {
    static CELL: OnceLock<BTreeMap<String, TableSchema>> = OnceLock::new();
    CELL.get_or_init(|| {
        FILES
            .iter()
            .filter_map(|(name, text)| parse_schema(text, name).ok())
            .map(|s| (s.name.clone(), s))
            .collect()
    })
}

/// The schema of a known table.
pub fn known(table: &str) -> Option<&'static TableSchema> {
    all().get(table)
}

/// Every known table schema.
pub fn known_tables() -> impl Iterator<Item = &'static TableSchema> {
    all().values()
}

/// A known table's columns by their lower-case names (for mapping camelCase source keys).
pub fn lowercase_columns(table: &str) -> Option<&'static HashMap<String, String>> {
    static CELL: OnceLock<BTreeMap<String, HashMap<String, String>>> = OnceLock::new();
    CELL.get_or_init(|| {
        all()
            .values()
            .map(|s| {
                let m = s
                    .columns
                    .iter()
                    .map(|(n, _)| (n.to_ascii_lowercase(), n.clone()))
                    .collect();
                (s.name.clone(), m)
            })
            .collect()
    })
    .get(table)
}

/// The type of `column` in a known table.
pub fn column_type(table: &str, column: &str) -> Option<KqlType> {
    known(table)?
        .columns
        .iter()
        .find(|(n, _)| n == column)
        .map(|(_, t)| *t)
}

/// The Defender advanced-hunting tables, for routing rows that do not say their table.
pub const DEFENDER_TABLES: &[&str] = &[
    "CloudAppEvents",
    "EntraIdSignInEvents",
    "EntraIdSpnSignInEvents",
    "AADSignInEventsBeta",
    "AADSpnSignInEventsBeta",
    "IdentityLogonEvents",
    "IdentityQueryEvents",
    "IdentityDirectoryEvents",
    "IdentityInfo",
    "DeviceEvents",
    "AlertInfo",
    "AlertEvidence",
];

#[cfg(test)]
mod tests {
    #[test]
    fn every_file_parses() {
        assert_eq!(super::all().len(), super::FILES.len());
        assert_eq!(
            super::column_type("SigninLogs", "LocationDetails"),
            Some(engine::KqlType::Dynamic)
        );
    }
}
