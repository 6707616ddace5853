//! Microsoft Purview (unified audit log) exports → OfficeActivity, mapped as Sentinel's
//! Office 365 connector maps the Management Activity API's AuditData:
//!
//! * `purview-csv`: the portal's audit-search download (`RecordId,CreationDate,RecordType,
//!   Operation,UserId,AuditData,…`) and `Search-UnifiedAuditLog` output
//!   (`CreationDate,UserIds,Operations,AuditData`); `AuditData` holds the record as JSON text.
//! * `purview-json`: the AuditData objects themselves (JSON array or NDJSON), as the
//!   Management Activity API and `ConvertFrom-Json` exports give them.
//!
//! Columns: TimeGenerated = CreationTime; OfficeId and SourceRecordId = Id; RecordType and
//! UserType as enum names (unknown numbers stay as their text); OfficeWorkload = Workload;
//! OfficeObjectId = ObjectId; TenantId and OfficeTenantId = OrganizationId; ClientIP without
//! port or brackets; the underscored names Sentinel uses (Client_IPAddress, Logon_Type,
//! Site_Url, Site_, Source_Name, Event_Data, Start_Time, AzureActiveDirectory_EventType,
//! AADTarget); every other AuditData key kept under its own (schema-cased) name. Booleans
//! bound for text columns are written `True`/`False`, as the connector writes them.

use super::{Format, Row, Skip, pascal_column, strip_port};
use crate::schemas;
use engine::KqlType;
use serde_json::{Map, Value, json};

const TABLE: &str = "OfficeActivity";

pub struct PurviewCsv;
pub struct PurviewJson;

/// AuditData objects: the Management Activity API's common schema keys.
pub fn looks_like(o: &Map<String, Value>) -> bool {
    ["CreationTime", "Id", "Operation", "RecordType"]
        .iter()
        .all(|k| o.contains_key(*k))
        && (o.contains_key("OrganizationId") || o.contains_key("UserKey"))
        && !o.contains_key("TimeGenerated")
}

pub fn looks_like_csv(headers: &[String]) -> bool {
    let has = |h: &str| headers.iter().any(|x| x.trim() == h);
    has("AuditData") && (has("CreationDate") || has("RecordId"))
}

/// The AuditLogRecordType enum (Office 365 Management Activity API schema).
pub fn record_type_name(n: i64) -> Option<&'static str> {
    Some(match n {
        1 => "ExchangeAdmin",
        2 => "ExchangeItem",
        3 => "ExchangeItemGroup",
        4 => "SharePoint",
        6 => "SharePointFileOperation",
        7 => "OneDrive",
        8 => "AzureActiveDirectory",
        9 => "AzureActiveDirectoryAccountLogon",
        10 => "DataCenterSecurityCmdlet",
        11 => "ComplianceDLPSharePoint",
        13 => "ComplianceDLPExchange",
        14 => "SharePointSharingOperation",
        15 => "AzureActiveDirectoryStsLogon",
        16 => "SkypeForBusinessPSTNUsage",
        17 => "SkypeForBusinessUsersBlocked",
        18 => "SecurityComplianceCenterEOPCmdlet",
        19 => "ExchangeAggregatedOperation",
        20 => "PowerBIAudit",
        21 => "CRM",
        22 => "Yammer",
        23 => "SkypeForBusinessCmdlets",
        24 => "Discovery",
        25 => "MicrosoftTeams",
        28 => "ThreatIntelligence",
        29 => "MailSubmission",
        30 => "MicrosoftFlow",
        31 => "AeD",
        32 => "MicrosoftStream",
        33 => "ComplianceDLPSharePointClassification",
        34 => "ThreatFinder",
        35 => "Project",
        36 => "SharePointListOperation",
        37 => "SharePointCommentOperation",
        38 => "DataGovernance",
        39 => "Kaizala",
        40 => "SecurityComplianceAlerts",
        41 => "ThreatIntelligenceUrl",
        42 => "SecurityComplianceInsights",
        43 => "MIPLabel",
        44 => "WorkplaceAnalytics",
        45 => "PowerAppsApp",
        46 => "PowerAppsPlan",
        47 => "ThreatIntelligenceAtpContent",
        48 => "LabelContentExplorer",
        49 => "TeamsHealthcare",
        50 => "ExchangeItemAggregated",
        51 => "HygieneEvent",
        52 => "DataInsightsRestApiAudit",
        53 => "InformationBarrierPolicyApplication",
        54 => "SharePointListItemOperation",
        55 => "SharePointContentTypeOperation",
        56 => "SharePointFieldOperation",
        57 => "MicrosoftTeamsAdmin",
        58 => "HRSignal",
        59 => "MicrosoftTeamsDevice",
        60 => "MicrosoftTeamsAnalytics",
        61 => "InformationWorkerProtection",
        62 => "Campaign",
        63 => "DLPEndpoint",
        64 => "AirInvestigation",
        65 => "Quarantine",
        66 => "MicrosoftForms",
        67 => "ApplicationAudit",
        68 => "ComplianceSupervisionExchange",
        69 => "CustomerKeyServiceEncryption",
        70 => "OfficeNative",
        71 => "MipAutoLabelSharePointItem",
        72 => "MipAutoLabelSharePointPolicyLocation",
        73 => "MicrosoftTeamsShifts",
        75 => "MipAutoLabelExchangeItem",
        76 => "CortanaBriefing",
        78 => "WDATPAlerts",
        82 => "SensitivityLabelPolicyMatch",
        83 => "SensitivityLabelAction",
        84 => "SensitivityLabeledFileAction",
        85 => "AttackSim",
        86 => "AirManualInvestigation",
        87 => "SecurityComplianceRBAC",
        88 => "UserTraining",
        89 => "AirAdminActionInvestigation",
        90 => "MSTIC",
        91 => "PhysicalBadgingSignal",
        93 => "AipDiscover",
        94 => "AipSensitivityLabelAction",
        95 => "AipProtectionAction",
        96 => "AipFileDeleted",
        97 => "AipHeartBeat",
        98 => "MCASAlerts",
        99 => "OnPremisesFileShareScannerDlp",
        100 => "OnPremisesSharePointScannerDlp",
        101 => "ExchangeSearch",
        102 => "SharePointSearch",
        103 => "PrivacyInsights",
        105 => "MyAnalyticsSettings",
        106 => "SecurityComplianceUserChange",
        107 => "ComplianceDLPExchangeClassification",
        109 => "MipExactDataMatch",
        113 => "MS365DCustomDetection",
        147 => "CoreReportingSettings",
        148 => "ComplianceConnector",
        154 => "OMEPortal",
        174 => "DataShareOperation",
        181 => "EduDataLakeDownloadOperation",
        183 => "MicrosoftGraphDataConnectOperation",
        186 => "PowerPagesSite",
        188 => "PlannerPlan",
        189 => "PlannerCopyPlan",
        190 => "PlannerTask",
        191 => "PlannerRoster",
        192 => "PlannerPlanList",
        193 => "PlannerTaskList",
        194 => "PlannerTenantSettings",
        195 => "ProjectForTheWebProject",
        196 => "ProjectForTheWebTask",
        197 => "ProjectForTheWebRoadmap",
        198 => "ProjectForTheWebRoadmapItem",
        199 => "ProjectForTheWebProjectSettings",
        200 => "ProjectForTheWebRoadmapSettings",
        216 => "VivaGoals",
        217 => "MicrosoftGraphDataConnectConsent",
        230 => "TeamsUpdates",
        231 => "PlannerRosterSensitivityLabel",
        _ => return None,
    })
}

/// The UserType enum.
pub fn user_type_name(n: i64) -> Option<&'static str> {
    Some(match n {
        0 => "Regular",
        1 => "Reserved",
        2 => "Admin",
        3 => "DcAdmin",
        4 => "System",
        5 => "Application",
        6 => "ServicePrincipal",
        7 => "CustomPolicy",
        8 => "SystemPolicy",
        _ => return None,
    })
}

/// Exchange mailbox audit LogonType.
fn logon_type_name(n: i64) -> Option<&'static str> {
    Some(match n {
        0 => "Owner",
        1 => "Admin",
        2 => "Delegated",
        3 => "Transport",
        4 => "SystemService",
        5 => "BestAccess",
        6 => "DelegatedAdmin",
        _ => return None,
    })
}

/// An enum value (number, or digits in text) by its name; names and unknown numbers stay as
/// text.
fn enum_text(v: &Value, names: fn(i64) -> Option<&'static str>) -> Value {
    let n = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    match (n, v) {
        (Some(n), _) => json!(
            names(n)
                .map(str::to_string)
                .unwrap_or_else(|| n.to_string())
        ),
        (None, Value::String(_)) => v.clone(),
        (None, other) => other.clone(),
    }
}

/// Maps one AuditData object to an OfficeActivity row.
pub fn map_audit_data(o: Map<String, Value>) -> Result<Row, Skip> {
    if !o.contains_key("CreationTime") {
        return Err(Skip::Reject(
            "an audit record without CreationTime (is this Purview AuditData?)".into(),
        ));
    }
    let mut row = Row::new(TABLE);
    for (k, v) in o {
        match k.as_str() {
            "CreationTime" => row.set("TimeGenerated", v),
            "Id" => {
                row.set("OfficeId", v.clone());
                row.set("SourceRecordId", v);
            }
            "RecordType" => row.set("RecordType", enum_text(&v, record_type_name)),
            "UserType" => row.set("UserType", enum_text(&v, user_type_name)),
            "LogonType" => row.set("Logon_Type", enum_text(&v, logon_type_name)),
            "Workload" => row.set("OfficeWorkload", v),
            "ObjectId" => row.set("OfficeObjectId", v),
            "OrganizationId" => {
                row.set_default("TenantId", v.clone());
                row.set_default("OfficeTenantId", v.clone());
                row.set("OrganizationId", v);
            }
            "ClientIP" => match v {
                Value::String(s) => row.set("ClientIP", json!(strip_port(&s))),
                other => row.set("ClientIP", other),
            },
            "ClientIPAddress" => row.set("Client_IPAddress", v),
            "SiteUrl" => row.set("Site_Url", v),
            "Site" => row.set("Site_", v),
            "SourceName" => row.set("Source_Name", v),
            "EventData" => row.set("Event_Data", v),
            "StartTime" => row.set("Start_Time", v),
            "AzureActiveDirectoryEventType" => row.set("AzureActiveDirectory_EventType", v),
            "Target" => row.set("AADTarget", v),
            _ => {
                let col = pascal_column(TABLE, &k);
                row.set_default(&col, v);
            }
        }
    }
    // Booleans in text columns as .NET writes them.
    for (k, v) in row.cols.iter_mut() {
        if let Value::Bool(b) = v
            && schemas::column_type(TABLE, k) == Some(KqlType::String)
        {
            *v = json!(if *b { "True" } else { "False" });
        }
    }
    row.set_default("SourceSystem", json!("OfficeActivityManager"));
    Ok(row)
}

impl Format for PurviewJson {
    fn name(&self) -> &'static str {
        "purview-json"
    }

    fn map(&self, rec: Value, out: &mut Vec<Row>) -> Result<(), Skip> {
        let Value::Object(o) = rec else {
            return Err(Skip::Reject("expected an AuditData object".into()));
        };
        out.push(map_audit_data(o)?);
        Ok(())
    }
}

impl Format for PurviewCsv {
    fn name(&self) -> &'static str {
        "purview-csv"
    }

    fn map(&self, rec: Value, out: &mut Vec<Row>) -> Result<(), Skip> {
        let Value::Object(mut o) = rec else {
            return Err(Skip::Reject("expected a CSV row".into()));
        };
        let text = match o.remove("AuditData") {
            Some(Value::String(s)) if !s.trim().is_empty() => s,
            _ => return Err(Skip::Reject("the row has an empty AuditData cell".into())),
        };
        let mut data = match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(d)) => d,
            Ok(_) => return Err(Skip::Reject("AuditData is not a JSON object".into())),
            Err(e) => return Err(Skip::Reject(format!("AuditData is not valid JSON: {e}"))),
        };
        // The CSV's own columns fill what AuditData lacks.
        let cell = |k: &str| {
            o.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| json!(s))
        };
        let fill = [
            ("CreationTime", cell("CreationDate")),
            ("Id", cell("RecordId")),
            ("RecordType", cell("RecordType")),
            (
                "Operation",
                cell("Operation").or_else(|| cell("Operations")),
            ),
            ("UserId", cell("UserId").or_else(|| cell("UserIds"))),
        ];
        for (k, v) in fill {
            if let Some(v) = v
                && data.get(k).is_none_or(Value::is_null)
            {
                data.insert(k.to_string(), v);
            }
        }
        out.push(map_audit_data(data)?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_by_name() {
        assert_eq!(
            enum_text(&json!(50), record_type_name),
            json!("ExchangeItemAggregated")
        );
        assert_eq!(
            enum_text(&json!("14"), record_type_name),
            json!("SharePointSharingOperation")
        );
        assert_eq!(enum_text(&json!(9999), record_type_name), json!("9999"));
        assert_eq!(
            enum_text(&json!("ExchangeItem"), record_type_name),
            json!("ExchangeItem")
        );
        assert_eq!(enum_text(&json!(2), user_type_name), json!("Admin"));
    }
}
