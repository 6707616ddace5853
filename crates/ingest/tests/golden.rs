//! Golden tests: one record of each format → the expected row (column names, types, values).

mod common;
use common::*;
use serde_json::json;

fn one(name: &str, text: &str, kql: &str) -> Vec<Vec<serde_json::Value>> {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("store");
    let f = write(dir.path(), name, text);
    let s = ingest_paths(&root, &[f], &ingest::Options::default());
    assert_eq!(s.failed_files(), 0, "{:?}", s.files[0].error);
    assert_eq!(s.rejected(), 0, "rejects: {:?}", s.files[0]);
    query(&root, kql)
}

#[test]
fn graph_signin_v1_page() {
    let page = r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns","value":[
      {"id":"66ea54eb-6301-4ee5-be62-ff5a759b8100","createdDateTime":"2024-03-01T10:00:00.1234567Z",
       "userDisplayName":"Ann Lee","userPrincipalName":"ann@contoso.com","userId":"u-1",
       "appId":"app-1","appDisplayName":"Office 365","ipAddress":"203.0.113.7","clientAppUsed":"Browser",
       "isInteractive":true,"resourceId":"res-1","autonomousSystemNumber":8075,
       "status":{"errorCode":0,"failureReason":"Other."},
       "location":{"city":"Oslo","state":"Oslo","countryOrRegion":"NO","geoCoordinates":{"latitude":59.9,"longitude":10.7}},
       "deviceDetail":{"browser":"Edge 120","operatingSystem":"Windows10","isCompliant":false},
       "appliedConditionalAccessPolicies":[{"id":"p1","result":"success"}],
       "riskLevelDuringSignIn":"none","riskEventTypes_v2":[]},
      {"id":"n-2","createdDateTime":"2024-03-01T10:05:00Z","userPrincipalName":"ann@contoso.com",
       "isInteractive":false,"ipAddress":"198.51.100.1","status":{"errorCode":50140},
       "location":{"countryOrRegion":"SE"},"deviceDetail":{"browser":"Chrome"}}
    ],"@odata.nextLink":"https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=x"}"#;
    let rows = one(
        "page.json",
        page,
        "SigninLogs | project TimeGenerated, ResultType, gettype(ResultType), AutonomousSystemNumber, gettype(AutonomousSystemNumber), Location, tostring(LocationDetails.city), gettype(LocationDetails), ResourceIdentity, tostring(ConditionalAccessPolicies[0].result), IsInteractive, Category, Type, strlen(_ItemId), Identity",
    );
    assert_eq!(
        rows,
        vec![vec![
            json!("2024-03-01T10:00:00.1234567Z"),
            json!("0"),
            json!("string"),
            json!("8075"),
            json!("string"),
            json!("NO"),
            json!("Oslo"),
            json!("dictionary"),
            json!("res-1"),
            json!("success"),
            json!(true),
            json!("SignInLogs"),
            json!("SigninLogs"),
            json!(36),
            json!("Ann Lee"),
        ]]
    );
}

#[test]
fn graph_non_interactive_keeps_json_text_columns() {
    let ndjson = "{\"id\":\"n-2\",\"createdDateTime\":\"2024-03-01T10:05:00Z\",\"userPrincipalName\":\"ann@contoso.com\",\"isInteractive\":false,\"ipAddress\":\"198.51.100.1\",\"status\":{\"errorCode\":50140},\"location\":{\"countryOrRegion\":\"SE\"}}\n";
    let rows = one(
        "ni.ndjson",
        ndjson,
        "AADNonInteractiveUserSignInLogs | project ResultType, gettype(LocationDetails), tostring(todynamic(LocationDetails).countryOrRegion), Category",
    );
    assert_eq!(
        rows,
        vec![vec![
            json!("50140"),
            json!("string"),
            json!("SE"),
            json!("NonInteractiveUserSignInLogs")
        ]]
    );
}

#[test]
fn diagnostic_settings_records() {
    let text = r#"{"records":[{"time":"2024-03-02T08:00:00.0000000Z","resourceId":"/tenants/t-1/providers/Microsoft.aadiam","operationName":"Sign-in activity","operationVersion":"1.0","category":"SignInLogs","tenantId":"t-1","resultType":"50126","resultSignature":"None","resultDescription":"Invalid username or password.","durationMs":0,"callerIpAddress":"203.0.113.9","correlationId":"c-1","identity":"Bob","Level":4,"location":"DE","properties":{"id":"s-1","createdDateTime":"2024-03-02T08:00:00Z","userPrincipalName":"bob@contoso.com","ipAddress":"203.0.113.9","isInteractive":true,"status":{"errorCode":50126},"location":{"countryOrRegion":"DE"},"clientAppUsed":"IMAP4","autonomousSystemNumber":3320}},
    {"time":"2024-03-02T09:00:00Z","category":"AuditLogs","operationName":"Add user","tenantId":"t-1","resultType":"","properties":{"id":"Directory_1","activityDateTime":"2024-03-02T09:00:00Z","activityDisplayName":"Add user","category":"UserManagement","operationType":"Add","result":"success","initiatedBy":{"user":{"userPrincipalName":"admin@contoso.com"}},"targetResources":[{"id":"u-9","userPrincipalName":"new@contoso.com","type":"User"}],"loggedByService":"Core Directory"}}]}"#;
    let rows = one(
        "PT1H.json",
        text,
        "SigninLogs | project ResultType, ClientAppUsed, AutonomousSystemNumber, TenantId, Category, tostring(LocationDetails.countryOrRegion)",
    );
    assert_eq!(
        rows,
        vec![vec![
            json!("50126"),
            json!("IMAP4"),
            json!("3320"),
            json!("t-1"),
            json!("SignInLogs"),
            json!("DE")
        ]]
    );
}

#[test]
fn diagnostic_audit_record() {
    let text = "{\"time\":\"2024-03-02T09:00:00Z\",\"category\":\"AuditLogs\",\"operationName\":\"Add user\",\"tenantId\":\"t-1\",\"properties\":{\"id\":\"Directory_1\",\"activityDateTime\":\"2024-03-02T09:00:00Z\",\"activityDisplayName\":\"Add user\",\"category\":\"UserManagement\",\"operationType\":\"Add\",\"result\":\"success\",\"initiatedBy\":{\"user\":{\"userPrincipalName\":\"admin@contoso.com\"}},\"targetResources\":[{\"id\":\"u-9\",\"userPrincipalName\":\"new@contoso.com\",\"type\":\"User\"}],\"loggedByService\":\"Core Directory\"}}\n";
    let rows = one(
        "audit.json",
        text,
        "AuditLogs | project OperationName, AADOperationType, Category, tostring(TargetResources[0].userPrincipalName), tostring(InitiatedBy.user.userPrincipalName), ActivityDateTime",
    );
    assert_eq!(
        rows,
        vec![vec![
            json!("Add user"),
            json!("Add"),
            json!("UserManagement"),
            json!("new@contoso.com"),
            json!("admin@contoso.com"),
            json!("2024-03-02T09:00:00Z")
        ]]
    );
}

#[test]
fn portal_signin_csv() {
    let csv = "\u{feff}Date (UTC),Request ID,User agent,Correlation ID,User ID,User,Username,User type,Incoming token type,Application,Application ID,Resource,Resource ID,IP address,Location ,Status,Sign-in error code,Failure reason,Client app,Browser,Operating System,Compliant,Managed,Authentication requirement,Autonomous system  number,Conditional Access,Incoming token type\r\n\
2024-03-03T07:15:00Z,r-1,Mozilla/5.0,c-9,u-3,Carl Diaz,carl@contoso.com,Member,none,Azure Portal,app-7,Windows Azure Service Management API,res-7,192.0.2.44,\"Lisbon, Lisboa, PT\",Failure,50074,Strong Authentication is required.,Browser,Chrome 122,Windows 10,No,Yes,Single-factor authentication,12345,Not Applied,other\r\n";
    let rows = one(
        "InteractiveSignIns.csv",
        csv,
        "SigninLogs | project TimeGenerated, Id, UserPrincipalName, IPAddress, Location, tostring(LocationDetails.city), ResultType, ResultDescription, tostring(DeviceDetail.browser), tobool(DeviceDetail.isManaged), AuthenticationRequirement, AutonomousSystemNumber, ConditionalAccessStatus, IncomingTokenType",
    );
    assert_eq!(
        rows,
        vec![vec![
            json!("2024-03-03T07:15:00Z"),
            json!("r-1"),
            json!("carl@contoso.com"),
            json!("192.0.2.44"),
            json!("PT"),
            json!("Lisbon"),
            json!("50074"),
            json!("Strong Authentication is required."),
            json!("Chrome 122"),
            json!(true),
            json!("singleFactorAuthentication"),
            json!("12345"),
            json!("notApplied"),
            json!("none"),
        ]]
    );
}

#[test]
fn log_analytics_csv_with_split_and_suffixed_columns() {
    let csv = "\u{feff}TenantId,TimeGenerated [UTC],Operation,ResultStatus,ExternalAccess,Parameters,Type\r\n\
t-1,\"4/28/2021, 2:08:45.221 PM\",New-InboxRule,TRUE,FALSE,\"[\n  {\n    \"\"Name\"\": \"\"From\"\",\n    \"\"Value\"\": \"\"x@y\"\"\n  }\n]\",OfficeActivity\r\n";
    let rows = one(
        "export.csv",
        csv,
        "OfficeActivity | project TimeGenerated, Operation, ResultStatus, ExternalAccess, gettype(ExternalAccess), tostring(todynamic(Parameters)[0].Value)",
    );
    assert_eq!(
        rows,
        vec![vec![
            json!("2021-04-28T14:08:45.221Z"),
            json!("New-InboxRule"),
            json!("TRUE"),
            json!("FALSE"),
            json!("string"),
            json!("x@y")
        ]]
    );
}
