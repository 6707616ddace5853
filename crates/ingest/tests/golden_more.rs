//! Golden tests for Purview, Defender streaming, Graph users, Suricata EVE and CEF: one record
//! of each format → the expected row; malformed input → counted rejects with their reasons.

mod common;
use common::*;
use serde_json::{Value, json};
use std::path::PathBuf;

struct Run {
    _dir: tempfile::TempDir,
    root: PathBuf,
    summary: ingest::Summary,
}

fn run(name: &str, text: &str, opts: ingest::Options) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("store");
    let f = write(dir.path(), name, text);
    let summary = ingest_paths(&root, &[f], &opts);
    Run {
        _dir: dir,
        root,
        summary,
    }
}

/// Ingests one clean file (no failure, no reject) and runs `kql` over the store.
fn one(name: &str, text: &str, kql: &str) -> Vec<Vec<Value>> {
    one_with(name, text, ingest::Options::default(), kql)
}

fn one_with(name: &str, text: &str, opts: ingest::Options, kql: &str) -> Vec<Vec<Value>> {
    let r = run(name, text, opts);
    assert_eq!(
        r.summary.failed_files(),
        0,
        "{:?}",
        r.summary.files[0].error
    );
    assert_eq!(r.summary.rejected(), 0, "rejects: {:?}", r.summary.files[0]);
    query(&r.root, kql)
}

/// The reasons of the rejects a run wrote, in order.
fn reject_reasons(r: &Run) -> Vec<String> {
    let Some(p) = &r.summary.rejects_file else {
        return Vec::new();
    };
    let text = std::fs::read_to_string(p).expect("rejects file");
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("reject line is JSON");
            v["reason"].as_str().unwrap_or("").to_string()
        })
        .collect()
}

fn table(t: &str) -> ingest::Options {
    ingest::Options {
        table: Some(t.into()),
        ..Default::default()
    }
}

fn format(f: &str) -> ingest::Options {
    ingest::Options {
        format: Some(f.into()),
        ..Default::default()
    }
}

// ---------------------------------------------------------------- Purview → OfficeActivity

const MAIL_ITEMS: &str = r#"{"CreationTime":"2024-04-02T09:15:00","Id":"5b1c9c1e-0000-4000-8000-000000000001","Operation":"MailItemsAccessed","OrganizationId":"org-1","RecordType":50,"ResultStatus":"Succeeded","UserKey":"10032001","UserType":0,"Version":1,"Workload":"Exchange","ClientIP":"[2001:db8::1]:443","UserId":"ann@contoso.com","AppId":"00000003-0000-0000-c000-000000000000","ClientIPAddress":"2001:db8::1","ClientInfoString":"Client=REST;;","ExternalAccess":false,"LogonType":0,"MailboxGuid":"mb-1","MailboxOwnerUPN":"ann@contoso.com","OperationCount":3,"Folders":[{"Path":"\\Inbox","FolderItems":[{"InternetMessageId":"<m1@x>"}]}],"OperationProperties":[{"Name":"MailAccessType","Value":"Bind"}]}"#;

fn csv_cell(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[test]
fn purview_portal_csv() {
    let csv = format!(
        "RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames\r\n\
         5b1c9c1e-0000-4000-8000-000000000001,2024-04-02T09:15:00.0000000Z,ExchangeItemAggregated,MailItemsAccessed,ann@contoso.com,{},,\r\n",
        csv_cell(MAIL_ITEMS)
    );
    let rows = one(
        "audit.csv",
        &csv,
        "OfficeActivity | project TimeGenerated, OfficeId, SourceRecordId, RecordType, UserType, OfficeWorkload, ClientIP, Client_IPAddress, Logon_Type, ExternalAccess, TenantId, OrganizationId, UserId, OperationCount, gettype(OperationCount), tostring(todynamic(Folders)[0].Path), tostring(OperationProperties[0].Value), SourceSystem, Type",
    );
    assert_eq!(
        rows,
        vec![vec![
            json!("2024-04-02T09:15:00Z"),
            json!("5b1c9c1e-0000-4000-8000-000000000001"),
            json!("5b1c9c1e-0000-4000-8000-000000000001"),
            json!("ExchangeItemAggregated"),
            json!("Regular"),
            json!("Exchange"),
            json!("2001:db8::1"),
            json!("2001:db8::1"),
            json!("Owner"),
            json!("False"),
            json!("org-1"),
            json!("org-1"),
            json!("ann@contoso.com"),
            json!(3),
            json!("long"),
            json!("\\Inbox"),
            json!("Bind"),
            json!("OfficeActivityManager"),
            json!("OfficeActivity"),
        ]]
    );
}

#[test]
fn purview_search_unifiedauditlog_csv() {
    let audit = r#"{"CreationTime":"2024-04-03T11:00:00","Id":"sp-1","Operation":"FileDownloaded","OrganizationId":"org-1","RecordType":6,"UserKey":"i:0h.f|membership|1003@live.com","UserType":0,"Workload":"SharePoint","ClientIP":"203.0.113.5","ObjectId":"https://contoso.sharepoint.com/sites/fin/Shared Documents/q1.xlsx","UserId":"bob@contoso.com","EventSource":"SharePoint","ItemType":"File","Site":"site-guid","SiteUrl":"https://contoso.sharepoint.com/sites/fin/","SourceFileExtension":"xlsx","SourceFileName":"q1.xlsx","SourceRelativeUrl":"Shared Documents","UserAgent":"Mozilla/5.0","IsManagedDevice":false}"#;
    let csv = format!(
        "CreationDate,UserIds,Operations,AuditData\r\n4/3/2024 11:00:00 AM,bob@contoso.com,FileDownloaded,{}\r\n",
        csv_cell(audit)
    );
    let rows = one(
        "ual.csv",
        &csv,
        "OfficeActivity | project RecordType, Site_Url, Site_, SourceFileName, SourceFileExtension, SourceRelativeUrl, ItemType, EventSource, UserAgent, OfficeObjectId, ClientIP, IsManagedDevice, gettype(IsManagedDevice), UserKey",
    );
    assert_eq!(
        rows,
        vec![vec![
            json!("SharePointFileOperation"),
            json!("https://contoso.sharepoint.com/sites/fin/"),
            json!("site-guid"),
            json!("q1.xlsx"),
            json!("xlsx"),
            json!("Shared Documents"),
            json!("File"),
            json!("SharePoint"),
            json!("Mozilla/5.0"),
            json!("https://contoso.sharepoint.com/sites/fin/Shared Documents/q1.xlsx"),
            json!("203.0.113.5"),
            json!(false),
            json!("bool"),
            json!("i:0h.f|membership|1003@live.com"),
        ]]
    );
}

#[test]
fn purview_ual_json() {
    let text = r#"[{"CreationTime":"2024-04-04T08:00:00","Id":"ea-1","Operation":"New-InboxRule","OrganizationId":"org-1","RecordType":1,"ResultStatus":"True","UserKey":"NT AUTHORITY\\SYSTEM (Microsoft.Exchange.ServiceHost)","UserType":2,"Version":1,"Workload":"Exchange","ClientIP":"198.51.100.4:50001","ObjectId":"ann@contoso.com\\Forward all","UserId":"ann@contoso.com","AppId":"","ExternalAccess":true,"OrganizationName":"contoso.onmicrosoft.com","OriginatingServer":"AM0PR01 (15.20.7409.000)","Parameters":[{"Name":"ForwardTo","Value":"evil@example.net"},{"Name":"Name","Value":"Forward all"}],"SessionId":"s-1","RecordTypeExtra":77},
{"CreationTime":"2024-04-04T08:01:00","Id":"x-1","Operation":"Something","OrganizationId":"org-1","RecordType":999,"UserKey":"k","UserType":42,"Workload":"NewService","UserId":"svc"}]"#;
    let rows = one(
        "ual.json",
        text,
        "OfficeActivity | order by TimeGenerated asc | project RecordType, UserType, ClientIP, ExternalAccess, tostring(todynamic(Parameters)[0].Value), OfficeObjectId, ResultStatus, OrganizationName, SessionId, RecordTypeExtra",
    );
    assert_eq!(
        rows,
        vec![
            vec![
                json!("ExchangeAdmin"),
                json!("Admin"),
                json!("198.51.100.4"),
                json!("True"),
                json!("evil@example.net"),
                json!("ann@contoso.com\\Forward all"),
                json!("True"),
                json!("contoso.onmicrosoft.com"),
                json!("s-1"),
                json!(77),
            ],
            vec![
                json!("999"),
                json!("42"),
                json!(""),
                json!(""),
                json!(""),
                json!(""),
                json!(""),
                json!(""),
                json!(""),
                Value::Null,
            ],
        ]
    );
}

#[test]
fn purview_malformed_records_are_rejected() {
    let text = "{\"CreationTime\":\"2024-04-04T08:00:00\",\"Id\":\"a\",\"Operation\":\"Op\",\"OrganizationId\":\"o\",\"RecordType\":2,\"UserKey\":\"k\"}\n\
{\"CreationTime\":\"2024-04-04T08:00:00\",\"Id\":\"b\",\"Operation\":\"Op\",\n\
{\"CreationTime\":\"2024-04-04T08:00:00\",\"Id\":\"c\",\"Operation\":\"Op\",\"OrganizationId\":\"o\",\"RecordType\":2,\"UserKey\":\"k\",\"CrossMailboxOperations\":\"maybe\"}\n\
{\"Id\":\"d\",\"Operation\":\"Op\",\"OrganizationId\":\"o\",\"RecordType\":2}\n";
    let r = run("ual.ndjson", text, ingest::Options::default());
    assert_eq!(
        r.summary.failed_files(),
        0,
        "{:?}",
        r.summary.files[0].error
    );
    assert_eq!(r.summary.files[0].format, "purview-json");
    assert_eq!(r.summary.rows(), 1);
    assert_eq!(r.summary.rejected(), 3);
    let reasons = reject_reasons(&r);
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].contains("JSON"), "{reasons:?}");
    assert!(
        reasons[1].starts_with("column CrossMailboxOperations (bool)"),
        "{reasons:?}"
    );
    assert!(reasons[2].contains("without CreationTime"), "{reasons:?}");

    let csv = "RecordId,CreationDate,RecordType,Operation,UserId,AuditData\r\nr-1,2024-04-02T09:15:00Z,ExchangeItem,Send,ann@contoso.com,{not json\r\nr-2,2024-04-02T09:15:00Z,ExchangeItem,Send,ann@contoso.com,\r\n";
    let r = run("audit.csv", csv, ingest::Options::default());
    assert_eq!(r.summary.rejected(), 2);
    let reasons = reject_reasons(&r);
    assert!(
        reasons[0].starts_with("AuditData is not valid JSON"),
        "{reasons:?}"
    );
    assert_eq!(reasons[1], "the row has an empty AuditData cell");
}

// ------------------------------------------------------------ Defender streaming API records

#[test]
fn defender_event_hub_message() {
    let text = r#"{"records":[
 {"time":"2024-05-01T10:00:05.1234567Z","tenantId":"t-9","operationName":"Publish","category":"AdvancedHunting-CloudAppEvents","properties":{"Timestamp":"2024-05-01T10:00:00Z","ActionType":"MailItemsAccessed","Application":"Microsoft Exchange Online","ApplicationId":20893,"AccountObjectId":"u-1","AccountDisplayName":"Ann Lee","IPAddress":"203.0.113.8","IsExternalUser":false,"RawEventData":{"Operation":"MailItemsAccessed","ClientInfoString":"Client=REST;;"},"ReportId":"r-1","MachineGroup":null}},
 {"time":"2024-05-01T11:00:00Z","tenantId":"t-9","operationName":"Publish","category":"AdvancedHunting-EntraIdSpnSignInEvents","properties":{"Application":"app","ApplicationId":"a-1","ServicePrincipalId":"sp-1","ServicePrincipalName":"svc","ErrorCode":0,"IPAddress":"198.51.100.2","IsManagedIdentity":false,"ReportId":"r-2"}}
]}"#;
    let rows = one(
        "eh.json",
        text,
        "CloudAppEvents | project TimeGenerated, Timestamp, TenantId, ActionType, ApplicationId, gettype(ApplicationId), tostring(RawEventData.ClientInfoString), IsExternalUser, Type",
    );
    assert_eq!(
        rows,
        vec![vec![
            json!("2024-05-01T10:00:00Z"),
            json!("2024-05-01T10:00:00Z"),
            json!("t-9"),
            json!("MailItemsAccessed"),
            json!(20893),
            json!("int"),
            json!("Client=REST;;"),
            json!(false),
            json!("CloudAppEvents"),
        ]]
    );
    let r = run("eh.json", text, ingest::Options::default());
    assert_eq!(r.summary.files[0].format, "defender");
    assert_eq!(
        query(
            &r.root,
            "EntraIdSpnSignInEvents | project TimeGenerated, ServicePrincipalName, ErrorCode, TenantId"
        ),
        vec![vec![
            json!("2024-05-01T11:00:00Z"),
            json!("svc"),
            json!(0),
            json!("t-9")
        ]]
    );
}

#[test]
fn defender_malformed_records_are_rejected() {
    let text = "{\"time\":\"2024-05-01T10:00:00Z\",\"category\":\"AdvancedHunting-DeviceEvents\",\"properties\":{\"Timestamp\":\"2024-05-01T10:00:00Z\",\"ActionType\":\"X\",\"DeviceName\":\"pc1\"}}\n\
{\"time\":\"2024-05-01T10:00:00Z\",\"category\":\"AdvancedHunting-DeviceEvents\",\"properties\":\"nope\"}\n\
{\"category\":\"AdvancedHunting-DeviceEvents\",\"properties\":{\"ActionType\":\"X\"}}\n\
{\"time\":\"2024-05-01T10:00:00Z\",\"category\":\"AdvancedHunting-\",\"properties\":{}}\n";
    let r = run("stream.json", text, ingest::Options::default());
    assert_eq!(r.summary.files[0].format, "defender");
    assert_eq!(r.summary.rows(), 1);
    assert_eq!(
        reject_reasons(&r),
        vec![
            "\"properties\" is not a JSON object".to_string(),
            "the record has neither properties.Timestamp nor time".to_string(),
            "category \"AdvancedHunting-\" is not AdvancedHunting-<Table>".to_string(),
        ]
    );
}

// ------------------------------------------------- Advanced-hunting portal exports (CSV)

#[test]
fn advanced_hunting_csv_exports_route_by_columns() {
    let cloud = "Timestamp,ActionType,Application,ApplicationId,AccountObjectId,AccountDisplayName,IPAddress,CountryCode,IsExternalUser,RawEventData,ReportId\r\n\
2024-05-02T08:00:00Z,FileDownloaded,Microsoft SharePoint Online,20892,u-2,Bob,192.0.2.10,NO,false,\"{\"\"SiteUrl\"\":\"\"https://x\"\"}\",r-9\r\n";
    let rows = one(
        "ah-cloud.csv",
        cloud,
        "CloudAppEvents | project TimeGenerated, ActionType, ApplicationId, IsExternalUser, tostring(RawEventData.SiteUrl)",
    );
    assert_eq!(
        rows,
        vec![vec![
            json!("2024-05-02T08:00:00Z"),
            json!("FileDownloaded"),
            json!(20892),
            json!(false),
            json!("https://x"),
        ]]
    );
    // A full EntraIdSpnSignInEvents download: its columns beyond the beta table's decide.
    let spn = "Timestamp,Application,ApplicationId,IsManagedIdentity,ErrorCode,CorrelationId,ServicePrincipalName,ServicePrincipalId,ResourceDisplayName,ResourceId,ResourceTenantId,IPAddress,Country,State,City,Latitude,Longitude,RequestId,ReportId,SessionId,UniqueTokenId,UserAgent,IsConfidentialClient\r\n\
2024-05-02T09:00:00Z,app,a-1,False,7000215,c-1,svc,sp-1,Graph,res-1,t-1,192.0.2.20,US,WA,Redmond,47.6,-122.1,q-1,r-10,s-1,tok-1,curl/8,True\r\n";
    let rows = one(
        "ah-spn.csv",
        spn,
        "EntraIdSpnSignInEvents | project TimeGenerated, ServicePrincipalName, ErrorCode, IsManagedIdentity, IsConfidentialClient",
    );
    assert_eq!(
        rows,
        vec![vec![
            json!("2024-05-02T09:00:00Z"),
            json!("svc"),
            json!(7000215),
            json!(false),
            json!(true),
        ]]
    );
}

#[test]
fn advanced_hunting_csv_export_with_table() {
    // The columns the beta and the GA table share: --table says which one the export is.
    let spn = "Timestamp,Application,ApplicationId,ErrorCode,ServicePrincipalName,ServicePrincipalId,IPAddress,ReportId\r\n\
2024-05-02T09:00:00Z,app,a-1,0,svc,sp-1,192.0.2.20,r-11\r\n";
    let rows = one_with(
        "spn.csv",
        spn,
        table("EntraIdSpnSignInEvents"),
        "EntraIdSpnSignInEvents | project TimeGenerated, ServicePrincipalName, ErrorCode, Type",
    );
    assert_eq!(
        rows,
        vec![vec![
            json!("2024-05-02T09:00:00Z"),
            json!("svc"),
            json!(0),
            json!("EntraIdSpnSignInEvents")
        ]]
    );
    // Without --table the shared columns go to the smaller schema (the beta table).
    let r = run("spn.csv", spn, ingest::Options::default());
    assert_eq!(r.summary.tables["AADSpnSignInEventsBeta"].rows, 1);
    // --table with --format la-csv: a CSV whose header detection would not recognise.
    let plain = "When,Who\r\n2024-05-02T10:00:00Z,ann\r\n";
    let opts = ingest::Options {
        format: Some("la-csv".into()),
        table: Some("MyCustom_CL".into()),
        strict: false,
    };
    let rows = one_with("plain.csv", plain, opts, "MyCustom_CL | project Who, Type");
    assert_eq!(rows, vec![vec![json!("ann"), json!("MyCustom_CL")]]);
}

// ------------------------------------------------------------ Graph /users → IdentityInfo

#[test]
fn graph_users_page() {
    let page = r##"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users","value":[
 {"@odata.type":"#microsoft.graph.user","id":"u-1","userPrincipalName":"ann.lee@contoso.com","displayName":"Ann Lee","createdDateTime":"2021-01-05T10:00:00Z","accountEnabled":true,"department":"Finance","jobTitle":"Analyst","mail":"ann.lee@contoso.com","givenName":"Ann","surname":"Lee","companyName":"Contoso","city":"Oslo","country":"Norway","state":"Oslo","employeeId":"E100","onPremisesSamAccountName":"annl","onPremisesSecurityIdentifier":"S-1-5-21-1-2-3-1104","userType":"Member","otherMails":["ann@example.org"],"businessPhones":["+47 1234"],"officeLocation":"HQ","lastPasswordChangeDateTime":"2024-02-01T08:00:00Z","signInActivity":{"lastSignInDateTime":"2024-03-10T07:30:00Z","lastNonInteractiveSignInDateTime":"2024-03-09T00:00:00Z"}},
 {"id":"u-2","userPrincipalName":"guest_example.com#EXT#@contoso.onmicrosoft.com","displayName":"Guest","createdDateTime":"2023-06-01T00:00:00Z","accountEnabled":false,"userType":"Guest"}
]}"##;
    let rows = one(
        "users.json",
        page,
        "IdentityInfo | order by AccountObjectId asc | project TimeGenerated, AccountObjectId, AccountUPN, AccountName, AccountDomain, AccountDisplayName, AccountCreationTime, IsAccountEnabled, Department, JobTitle, MailAddress, GivenName, Surname, CompanyName, City, Country, State, EmployeeId, SAMAccountName, AccountSID, UserType, tostring(AdditionalMailAddresses[0]), Phone, OfficeLocation",
    );
    assert_eq!(
        rows,
        vec![
            vec![
                json!("2024-03-10T07:30:00Z"),
                json!("u-1"),
                json!("ann.lee@contoso.com"),
                json!("ann.lee"),
                json!("contoso.com"),
                json!("Ann Lee"),
                json!("2021-01-05T10:00:00Z"),
                json!(true),
                json!("Finance"),
                json!("Analyst"),
                json!("ann.lee@contoso.com"),
                json!("Ann"),
                json!("Lee"),
                json!("Contoso"),
                json!("Oslo"),
                json!("Norway"),
                json!("Oslo"),
                json!("E100"),
                json!("annl"),
                json!("S-1-5-21-1-2-3-1104"),
                json!("Member"),
                json!("ann@example.org"),
                json!("+47 1234"),
                json!("HQ"),
            ],
            vec![
                json!("2023-06-01T00:00:00Z"),
                json!("u-2"),
                json!("guest_example.com#EXT#@contoso.onmicrosoft.com"),
                json!("guest_example.com#EXT#"),
                json!("contoso.onmicrosoft.com"),
                json!("Guest"),
                json!("2023-06-01T00:00:00Z"),
                json!(false),
                json!(""),
                json!(""),
                json!(""),
                json!(""),
                json!(""),
                json!(""),
                json!(""),
                json!(""),
                json!(""),
                json!(""),
                json!(""),
                json!(""),
                json!("Guest"),
                json!(""),
                json!(""),
                json!(""),
            ],
        ]
    );
}

#[test]
fn graph_users_are_not_sign_ins() {
    let signin = "{\"id\":\"s-1\",\"createdDateTime\":\"2024-03-01T10:00:00Z\",\"userPrincipalName\":\"a@b\",\"ipAddress\":\"192.0.2.1\",\"status\":{\"errorCode\":0}}\n";
    let r = run("s.json", signin, ingest::Options::default());
    assert_eq!(r.summary.files[0].format, "graph-signin");
    let user = "{\"id\":\"u-3\",\"userPrincipalName\":\"c@d\",\"displayName\":\"C\"}\n";
    let r = run("u.json", user, ingest::Options::default());
    assert_eq!(r.summary.files[0].format, "graph-users");
    assert_eq!(r.summary.rejected(), 1);
    assert!(reject_reasons(&r)[0].starts_with("a user without createdDateTime"));
}

// ---------------------------------------------------------- Suricata EVE → CommonSecurityLog

#[test]
fn suricata_alert_and_ignored_events() {
    let text = r#"{"timestamp":"2024-06-01T12:00:00.500000+0200","flow_id":1234567890123,"in_iface":"eth0","event_type":"alert","src_ip":"10.0.0.5","src_port":51000,"dest_ip":"198.51.100.80","dest_port":80,"proto":"TCP","community_id":"1:abc=","alert":{"action":"blocked","gid":1,"signature_id":2100498,"rev":7,"signature":"GPL ATTACK_RESPONSE id check returned root","category":"Potentially Bad Traffic","severity":1},"http":{"hostname":"evil.example","url":"/x.php?id=1","http_method":"GET","http_user_agent":"curl/8"},"app_proto":"http","flow":{"bytes_toserver":300,"bytes_toclient":900,"start":"2024-06-01T11:59:59.000000+0200"},"ether":{"src_mac":"aa:bb:cc:dd:ee:01","dest_mac":"aa:bb:cc:dd:ee:02"},"host":"sensor-1"}
{"timestamp":"2024-06-01T12:00:01.000000+0200","flow_id":1,"event_type":"flow","src_ip":"10.0.0.5","dest_ip":"198.51.100.80","proto":"TCP"}
{"timestamp":"2024-06-01T12:00:02.000000+0200","flow_id":2,"event_type":"dns","src_ip":"10.0.0.5","dest_ip":"10.0.0.53","proto":"UDP","dns":{"type":"query","rrname":"example.com"}}
"#;
    let r = run("eve.json", text, ingest::Options::default());
    assert_eq!(r.summary.files[0].format, "suricata");
    assert_eq!(r.summary.rejected(), 0);
    assert_eq!(
        r.summary.files[0].ignored.get("non-alert EVE event flow"),
        Some(&1)
    );
    assert_eq!(
        r.summary.files[0].ignored.get("non-alert EVE event dns"),
        Some(&1)
    );
    let rows = query(
        &r.root,
        "CommonSecurityLog | project TimeGenerated, DeviceVendor, DeviceProduct, SourceIP, SourcePort, gettype(SourcePort), DestinationIP, DestinationPort, Protocol, Activity, DeviceEventClassID, LogSeverity, OriginalLogSeverity, DeviceAction, DeviceEventCategory, ApplicationProtocol, RequestURL, DestinationHostName, RequestMethod, RequestClientApplication, SentBytes, ReceivedBytes, StartTime, SourceMACAddress, DeviceName, DeviceInboundInterface, AdditionalExtensions",
    );
    assert_eq!(
        rows,
        vec![vec![
            json!("2024-06-01T10:00:00.5Z"),
            json!("OISF"),
            json!("Suricata"),
            json!("10.0.0.5"),
            json!(51000),
            json!("int"),
            json!("198.51.100.80"),
            json!(80),
            json!("TCP"),
            json!("GPL ATTACK_RESPONSE id check returned root"),
            json!("2100498"),
            json!("8"),
            json!("1"),
            json!("blocked"),
            json!("Potentially Bad Traffic"),
            json!("http"),
            json!("/x.php?id=1"),
            json!("evil.example"),
            json!("GET"),
            json!("curl/8"),
            json!(300),
            json!(900),
            json!("2024-06-01T09:59:59Z"),
            json!("aa:bb:cc:dd:ee:01"),
            json!("sensor-1"),
            json!("eth0"),
            json!("flow_id=1234567890123;community_id=1:abc=;gid=1;rev=7"),
        ]]
    );
}

#[test]
fn suricata_malformed_records_are_rejected() {
    let text = "{\"timestamp\":\"2024-06-01T12:00:00+0000\",\"event_type\":\"alert\",\"src_ip\":\"10.0.0.1\",\"alert\":{\"signature\":\"ok\",\"signature_id\":1,\"severity\":3}}\n\
{\"timestamp\":\"2024-06-01T12:00:00+0000\",\"event_type\":\"alert\",\"src_ip\":\n\
{\"timestamp\":\"2024-06-01T12:00:00+0000\",\"event_type\":\"alert\",\"src_ip\":\"10.0.0.1\"}\n\
{\"timestamp\":\"yesterday\",\"event_type\":\"alert\",\"alert\":{\"signature\":\"x\"}}\n\
{\"timestamp\":\"2024-06-01T12:00:00+0000\",\"event_type\":\"alert\",\"src_port\":\"http\",\"alert\":{\"signature\":\"x\"}}\n";
    let r = run("eve.ndjson", text, format("suricata"));
    assert_eq!(r.summary.rows(), 1);
    let reasons = reject_reasons(&r);
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(reasons[0].contains("JSON"), "{reasons:?}");
    assert_eq!(reasons[1], "an alert record without an \"alert\" object");
    assert_eq!(reasons[2], "an alert without a readable timestamp");
    assert!(
        reasons[3].starts_with("column src_port (int)")
            || reasons[3].starts_with("column SourcePort (int)"),
        "{reasons:?}"
    );
    assert_eq!(
        scalar(&r.root, "CommonSecurityLog | project LogSeverity"),
        json!("2")
    );
}

#[test]
fn suricata_docs_examples_ingest_without_rejects() {
    let Some(shared) = shared() else {
        eprintln!("skipped: ../shared/data/real is absent");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("store");
    let s = ingest_paths(
        &root,
        &[shared.join("data/real/suricata-docs/eve-examples.ndjson")],
        &ingest::Options::default(),
    );
    assert_eq!(s.rejected(), 0);
    assert_eq!(s.files[0].format, "suricata");
    assert_eq!(s.files[0].ignored.values().sum::<u64>(), 7);
    assert_eq!(
        query(
            &root,
            "CommonSecurityLog | order by TimeGenerated asc | project TimeGenerated, DeviceEventClassID, LogSeverity, RequestURL"
        ),
        vec![
            vec![
                json!("2017-04-07T21:24:37.251547Z"),
                json!("2018358"),
                json!("5"),
                json!("")
            ],
            vec![
                json!("2023-09-18T06:13:41.53214Z"),
                json!("2045001"),
                json!("8"),
                json!("/")
            ],
        ]
    );
}

// ------------------------------------------------------------------ CEF → CommonSecurityLog

#[test]
fn cef_lines_with_and_without_syslog_headers() {
    let text = concat!(
        r"<134>Mar  1 10:00:00 fw01 CEF:0|Palo Alto Networks|PAN-OS|10.1|TRAFFIC|end|3|rt=1709287200000 src=10.0.0.5 spt=51000 dst=203.0.113.9 dpt=443 proto=TCP act=allow suser=CONTOSO\\ann duser=bob request=https://x.example/a?b=c msg=Session ended after 3 s cs1Label=Rule cs1=Allow web cn1Label=Bytes cn1=5000000000 app=ssl deviceExternalId=007 dvchost=fw01.contoso outcome=success reason=tcp-fin fname=a.txt fileHash=abc123 PanOSSessionId=77 cat=end",
        "\n",
        r"<134>1 2024-03-02T08:00:00Z fw02 CEF - - - CEF:0|Ven\|dor|Prod|2.0|sig-9|Port scan \\ detected|9|src=192.0.2.1 shost=scanner smac=00:11:22:33:44:55 dhost=web01 dmac=66:77:88:99:aa:bb",
        "\n",
        r"CEF:1|V|P|1|s|No header|Low|rt=Mar 03 2024 09:10:11 UTC dvc=10.1.1.1 externalId=abc",
        "\n",
    );
    let r = run("cef.log", text, ingest::Options::default());
    assert_eq!(
        r.summary.failed_files(),
        0,
        "{:?}",
        r.summary.files[0].error
    );
    assert_eq!(r.summary.files[0].format, "cef");
    assert_eq!(r.summary.rejected(), 0, "{:?}", reject_reasons(&r));
    let rows = query(
        &r.root,
        "CommonSecurityLog | order by TimeGenerated asc | project TimeGenerated, Computer, DeviceVendor, DeviceProduct, DeviceVersion, DeviceEventClassID, Activity, LogSeverity, SourceIP, SourcePort, DestinationIP, DestinationPort, Protocol, DeviceAction, SourceUserName, DestinationUserName, RequestURL, Message, DeviceCustomString1Label, DeviceCustomString1, DeviceCustomNumber1, FieldDeviceCustomNumber1, ApplicationProtocol, DeviceExternalID, DeviceName, EventOutcome, Reason, FileName, FileHash, DeviceEventCategory, ReceiptTime, AdditionalExtensions",
    );
    assert_eq!(
        rows[0],
        vec![
            json!("2024-03-01T10:00:00Z"),
            json!("fw01"),
            json!("Palo Alto Networks"),
            json!("PAN-OS"),
            json!("10.1"),
            json!("TRAFFIC"),
            json!("end"),
            json!("3"),
            json!("10.0.0.5"),
            json!(51000),
            json!("203.0.113.9"),
            json!(443),
            json!("TCP"),
            json!("allow"),
            json!("CONTOSO\\ann"),
            json!("bob"),
            json!("https://x.example/a?b=c"),
            json!("Session ended after 3 s"),
            json!("Rule"),
            json!("Allow web"),
            Value::Null,
            json!(5000000000i64),
            json!("ssl"),
            json!("007"),
            json!("fw01.contoso"),
            json!("success"),
            json!("tcp-fin"),
            json!("a.txt"),
            json!("abc123"),
            json!("end"),
            json!("1709287200000"),
            json!("PanOSSessionId=77"),
        ]
    );
    let rows = query(
        &r.root,
        "CommonSecurityLog | order by TimeGenerated asc | project TimeGenerated, Computer, DeviceVendor, Activity, LogSeverity, SourceHostName, SourceMACAddress, DestinationHostName, DestinationMACAddress, DeviceAddress, ExtID, ExternalID | where TimeGenerated > datetime(2024-03-01T10:00:00Z)",
    );
    assert_eq!(
        rows,
        vec![
            vec![
                json!("2024-03-02T08:00:00Z"),
                json!("fw02"),
                json!("Ven|dor"),
                json!("Port scan \\ detected"),
                json!("9"),
                json!("scanner"),
                json!("00:11:22:33:44:55"),
                json!("web01"),
                json!("66:77:88:99:aa:bb"),
                json!(""),
                json!(""),
                Value::Null,
            ],
            vec![
                json!("2024-03-03T09:10:11Z"),
                json!(""),
                json!("V"),
                json!("No header"),
                json!("Low"),
                json!(""),
                json!(""),
                json!(""),
                json!(""),
                json!("10.1.1.1"),
                json!("abc"),
                Value::Null,
            ],
        ]
    );
}

#[test]
fn cef_malformed_lines_are_rejected() {
    let text = "CEF:0|Vendor|Product|1.0|100|Fine|5|rt=1709287200000 src=10.0.0.1\n\
CEF:0|Vendor|Product\n\
<134>Mar  1 10:00:00 fw01 CEF:0|Vendor|Product|1.0|100|No year|5|src=10.0.0.1\n\
<134>Mar  1 10:00:00 fw01 CEF:0|Vendor|Product|1.0|100|Year from start|5|start=Mar 01 2023 09:00:00 src=10.0.0.1\n\
CEF:0|Vendor|Product|1.0|100|Bad port|5|rt=1709287200000 spt=http\n\
CEF:0|Vendor|Product|1.0|100|No time|5|src=10.0.0.1\n";
    let r = run("bad.cef", text, ingest::Options::default());
    assert_eq!(
        r.summary.failed_files(),
        0,
        "{:?}",
        r.summary.files[0].error
    );
    assert_eq!(r.summary.rows(), 2);
    assert_eq!(r.summary.rejected(), 4);
    let reasons = reject_reasons(&r);
    assert_eq!(
        reasons,
        vec![
            "the CEF header has 3 of its 8 fields (Version|Vendor|Product|Version|Signature ID|Name|Severity|Extension)".to_string(),
            "the syslog header's time has no year and the record has no rt, start or end to take one from".to_string(),
            "column SourcePort (int): expected an integer, found \"http\"".to_string(),
            "the record has no time: no readable rt and no syslog header time".to_string(),
        ]
    );
    assert_eq!(
        query(
            &r.root,
            "CommonSecurityLog | order by TimeGenerated asc | project TimeGenerated, Activity"
        ),
        vec![
            vec![json!("2023-03-01T10:00:00Z"), json!("Year from start")],
            vec![json!("2024-03-01T10:00:00Z"), json!("Fine")],
        ]
    );
}

#[test]
fn every_format_name_is_accepted() {
    for (name, _) in ingest::formats::FORMAT_NAMES {
        assert!(
            ingest::formats::by_name(name, None).is_some(),
            "{name} has no format"
        );
        assert_eq!(
            ingest::formats::by_name(name, None).map(|f| f.name()),
            Some(match *name {
                "la-json" | "la-csv" => "la-export",
                n => n,
            })
        );
    }
}
