//! The demo tenant's building blocks: a seeded PRNG, times, places, users and service
//! principals, one record builder per export format, the normal traffic, and the writers that
//! lay the records out as the real exports are laid out.

use anyhow::{Context, Result};
use serde_json::{Value, json};
use std::path::Path;

pub const TENANT: &str = "8e5a2c71-3f0d-4b6e-9a14-5c2d7e9f1a03";
pub const DOMAIN: &str = "contoso-demo.com";

/// splitmix64: small, fast, and the same sequence for a seed on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x005e_ed0f_9e7e_9a1e)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            lo
        } else {
            lo + self.below((hi - lo) as u64) as i64
        }
    }
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    pub fn guid(&mut self) -> String {
        let a = self.next();
        let b = self.next();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }
}

// ---- time ------------------------------------------------------------------------------------

pub const HOUR: i64 = 3600;
pub const MIN: i64 = 60;
pub const DAY: i64 = 86_400;

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYY-MM-DDTHH:MM:SS` (UTC) of epoch seconds.
pub fn iso_plain(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(DAY));
    let s = t.rem_euclid(DAY);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

pub fn iso(t: i64) -> String {
    iso_plain(t) + "Z"
}

/// 0 = Sunday.
pub fn weekday(t: i64) -> i64 {
    (t.div_euclid(DAY) + 4).rem_euclid(7)
}

// ---- places ----------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
pub struct Place {
    pub city: &'static str,
    pub state: &'static str,
    pub cc: &'static str,
    pub lat: f64,
    pub lon: f64,
    pub asn: u32,
    /// First two octets of the place's addresses.
    pub net: (u8, u8),
    /// UTC offset in hours (summer time).
    pub tz: i64,
}

#[allow(clippy::too_many_arguments)]
const fn place(
    city: &'static str,
    state: &'static str,
    cc: &'static str,
    lat: f64,
    lon: f64,
    asn: u32,
    net: (u8, u8),
    tz: i64,
) -> Place {
    Place {
        city,
        state,
        cc,
        lat,
        lon,
        asn,
        net,
        tz,
    }
}

/// Where staff live and work.
pub const HOMES: &[Place] = &[
    place("Berlin", "Berlin", "DE", 52.52, 13.405, 3320, (84, 150), 2),
    place(
        "Munich",
        "Bavaria",
        "DE",
        48.137,
        11.575,
        3320,
        (84, 151),
        2,
    ),
    place(
        "Hamburg",
        "Hamburg",
        "DE",
        53.551,
        9.993,
        3320,
        (84, 152),
        2,
    ),
    place("Paris", "Paris", "FR", 48.857, 2.352, 3215, (90, 12), 2),
    place(
        "Lyon",
        "Auvergne-Rhone-Alpes",
        "FR",
        45.764,
        4.835,
        3215,
        (90, 13),
        2,
    ),
    place(
        "London",
        "England",
        "GB",
        51.507,
        -0.128,
        2856,
        (81, 128),
        1,
    ),
    place(
        "Manchester",
        "England",
        "GB",
        53.48,
        -2.24,
        2856,
        (81, 129),
        1,
    ),
    place(
        "Amsterdam",
        "North Holland",
        "NL",
        52.37,
        4.895,
        1136,
        (145, 53),
        2,
    ),
    place("Dublin", "Dublin", "IE", 53.35, -6.26, 5466, (86, 40), 1),
    place("Madrid", "Madrid", "ES", 40.417, -3.704, 3352, (88, 20), 2),
    place(
        "New York",
        "New York",
        "US",
        40.713,
        -74.006,
        7922,
        (73, 12),
        -4,
    ),
    place(
        "Boston",
        "Massachusetts",
        "US",
        42.36,
        -71.06,
        7922,
        (73, 13),
        -4,
    ),
];

pub const BERLIN: usize = 0;
pub const PARIS: usize = 3;
pub const LONDON: usize = 5;
pub const AMSTERDAM: usize = 7;

pub const LAGOS: Place = place("Lagos", "Lagos", "NG", 6.524, 3.379, 37148, (102, 89), 1);
pub const MOSCOW: Place = place(
    "Moscow",
    "Moscow",
    "RU",
    55.756,
    37.617,
    12389,
    (95, 165),
    3,
);
pub const FRANKFURT_HOSTING: Place = place(
    "Frankfurt am Main",
    "Hesse",
    "DE",
    50.11,
    8.68,
    24940,
    (88, 198),
    2,
);
pub const SAO_PAULO: Place = place(
    "Sao Paulo",
    "Sao Paulo",
    "BR",
    -23.55,
    -46.63,
    28573,
    (177, 8),
    -3,
);
pub const SINGAPORE: Place = place(
    "Singapore",
    "Singapore",
    "SG",
    1.352,
    103.82,
    45102,
    (47, 74),
    8,
);
pub const SYDNEY: Place = place(
    "Sydney",
    "New South Wales",
    "AU",
    -33.87,
    151.21,
    1221,
    (1, 120),
    10,
);
pub const NEW_YORK_HOSTING: Place = place(
    "New York",
    "New York",
    "US",
    40.713,
    -74.006,
    14061,
    (159, 203),
    -4,
);
/// The corporate VPN's egress (allow-listed in impossible-travel: 198.51.100.0/24),
/// geolocated to its provider's data centre in Ashburn.
pub const VPN: Place = place(
    "Ashburn",
    "Virginia",
    "US",
    39.04,
    -77.49,
    64512,
    (198, 51),
    -4,
);
/// Azure West Europe / Germany West Central, where the tenant's workloads run.
pub const AZURE_DE: Place = place(
    "Frankfurt am Main",
    "Hesse",
    "DE",
    50.11,
    8.68,
    8075,
    (20, 113),
    2,
);

pub fn ip_in(p: &Place, rng: &mut Rng) -> String {
    format!(
        "{}.{}.{}.{}",
        p.net.0,
        p.net.1,
        rng.range(1, 255),
        rng.range(1, 255)
    )
}

pub fn vpn_ip(rng: &mut Rng) -> String {
    format!("198.51.100.{}", rng.range(2, 250))
}

// ---- identities ------------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub struct User {
    pub upn: String,
    pub display: String,
    pub id: String,
    pub home: Place,
    pub ip: String,
    pub department: &'static str,
    /// Normal traffic for this user stops at this time (attack victims away from work).
    pub quiet_from: Option<i64>,
    /// Normal traffic only before this time (dormant accounts).
    pub active_until: Option<i64>,
    /// Normal traffic only from this time (new accounts).
    pub active_from: Option<i64>,
    /// Days (index from the first) the user works through the VPN.
    pub vpn_days: Vec<i64>,
    /// Days the user works from another place.
    pub trips: Vec<(i64, Place)>,
}

const FIRST: &[&str] = &[
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Grace", "Hugo", "Ines", "Jonas", "Katja",
    "Liam", "Mia", "Noah", "Olivia", "Paul", "Quentin", "Rosa", "Sven", "Tara", "Ulrich", "Vera",
    "Will", "Xenia", "Yusuf", "Zoe", "Amelie", "Bruno", "Chloe", "Dmitri", "Elif", "Finn",
];
const LAST: &[&str] = &[
    "Schmidt", "Martin", "Smith", "Bakker", "Garcia", "Murphy", "Weber", "Dubois", "Jones",
    "de Vries", "Lopez", "Kelly", "Fischer", "Bernard", "Brown", "Jansen", "Wagner", "Moreau",
    "Taylor", "Visser", "Sanchez", "Walsh", "Becker", "Laurent",
];
const DEPARTMENTS: &[&str] = &[
    "Finance",
    "Sales",
    "Engineering",
    "HR",
    "Operations",
    "Legal",
];

pub fn users(n: usize, rng: &mut Rng) -> Vec<User> {
    let mut out: Vec<User> = Vec::with_capacity(n);
    for i in 0..n {
        let first = *rng.pick(FIRST);
        let last = *rng.pick(LAST);
        let home = *rng.pick(HOMES);
        let local = format!(
            "{}.{}{}",
            first.to_lowercase(),
            last.to_lowercase().replace(' ', ""),
            i
        );
        out.push(User {
            upn: format!("{local}@{DOMAIN}"),
            display: format!("{first} {last}"),
            id: rng.guid(),
            ip: ip_in(&home, rng),
            home,
            department: DEPARTMENTS[rng.below(DEPARTMENTS.len() as u64) as usize],
            quiet_from: None,
            active_until: None,
            active_from: None,
            vpn_days: vec![],
            trips: vec![],
        });
    }
    out
}

#[derive(Clone, Debug)]
pub struct ServicePrincipal {
    pub name: &'static str,
    pub id: String,
    pub app_id: String,
    pub app_object_id: String,
    /// Its normal egress addresses (Azure, Germany).
    pub ips: Vec<String>,
    /// Sign-ins per hour.
    pub rate: i64,
}

pub fn service_principals(rng: &mut Rng) -> Vec<ServicePrincipal> {
    [
        ("PayrollSync", 1, 2),
        ("BackupAgent", 2, 1),
        ("HRConnector", 1, 1),
        ("ReportExporter", 1, 2),
        ("DeployPipeline", 2, 1),
        ("NightlyBackup", 1, 1),
    ]
    .into_iter()
    .map(|(name, n_ips, rate)| ServicePrincipal {
        name,
        id: rng.guid(),
        app_id: rng.guid(),
        app_object_id: rng.guid(),
        ips: (0..n_ips).map(|_| ip_in(&AZURE_DE, rng)).collect(),
        rate,
    })
    .collect()
}

// ---- records ---------------------------------------------------------------------------------

pub const APPS: &[(&str, &str)] = &[
    (
        "Office 365 Exchange Online",
        "00000002-0000-0ff1-ce00-000000000000",
    ),
    ("Microsoft Teams", "1fec8e78-bce4-4aaf-ab1b-5451cc387264"),
    ("Microsoft Office", "d3590ed6-52b3-4102-aeff-aad2292ab01c"),
    (
        "Office 365 SharePoint Online",
        "00000003-0000-0ff1-ce00-000000000000",
    ),
    ("Azure Portal", "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"),
];

/// One user sign-in as Graph `/auditLogs/signIns` (beta) returns it.
pub struct SignIn<'a> {
    pub t: i64,
    pub user: &'a User,
    pub ip: String,
    pub place: Place,
    pub interactive: bool,
    pub result: u32,
    pub app: (&'static str, &'static str),
    pub client: &'static str,
    pub risk: &'static str,
    pub auth: &'static str,
    pub ca: &'static str,
}

impl<'a> SignIn<'a> {
    pub fn new(t: i64, user: &'a User, ip: &str, place: Place) -> SignIn<'a> {
        SignIn {
            t,
            user,
            ip: ip.to_string(),
            place,
            interactive: true,
            result: 0,
            app: APPS[0],
            client: "Browser",
            risk: "none",
            auth: "multiFactorAuthentication",
            ca: "success",
        }
    }
    pub fn non_interactive(mut self) -> Self {
        self.interactive = false;
        self.client = "Mobile Apps and Desktop clients";
        self
    }
    pub fn failed(mut self, code: u32) -> Self {
        self.result = code;
        self
    }
    pub fn app(mut self, app: (&'static str, &'static str)) -> Self {
        self.app = app;
        self
    }

    pub fn record(&self, rng: &mut Rng) -> Value {
        let reason = match self.result {
            0 => Value::Null,
            50126 => json!("Error validating credentials due to invalid username or password."),
            50074 => json!("Strong Authentication is required."),
            500121 => json!("Authentication failed during strong authentication request."),
            _ => json!("Other."),
        };
        let u = self.user;
        json!({
            "id": rng.guid(),
            "createdDateTime": iso(self.t),
            "userDisplayName": u.display,
            "userPrincipalName": u.upn,
            "userId": u.id,
            "appId": self.app.1,
            "appDisplayName": self.app.0,
            "ipAddress": self.ip,
            "autonomousSystemNumber": self.place.asn,
            "clientAppUsed": self.client,
            "correlationId": rng.guid(),
            "conditionalAccessStatus": self.ca,
            "isInteractive": self.interactive,
            "riskDetail": "none",
            "riskLevelAggregated": self.risk,
            "riskLevelDuringSignIn": self.risk,
            "riskState": "none",
            "resourceDisplayName": self.app.0,
            "authenticationRequirement": self.auth,
            "userType": "member",
            "status": {"errorCode": self.result, "failureReason": reason, "additionalDetails": Value::Null},
            "deviceDetail": {"deviceId": "", "displayName": "", "operatingSystem": "Windows 10", "browser": "Edge 124.0.0", "isCompliant": false, "isManaged": false, "trustType": ""},
            "location": {"city": self.place.city, "state": self.place.state, "countryOrRegion": self.place.cc,
                         "geoCoordinates": {"latitude": self.place.lat, "longitude": self.place.lon, "altitude": Value::Null}},
        })
    }
}

/// A service-principal sign-in (Graph beta, `signInEventTypes: ["servicePrincipal"]`) and the
/// same event as Defender's EntraIdSpnSignInEvents streams it.
pub fn sp_signin(
    out: &mut Records,
    rng: &mut Rng,
    t: i64,
    sp: &ServicePrincipal,
    ip: &str,
    place: Place,
    result: u32,
) {
    let id = rng.guid();
    out.sp_signins.push(json!({
        "id": id,
        "createdDateTime": iso(t),
        "signInEventTypes": ["servicePrincipal"],
        "servicePrincipalId": sp.id,
        "servicePrincipalName": sp.name,
        "appId": sp.app_id,
        "appDisplayName": sp.name,
        "ipAddress": ip,
        "autonomousSystemNumber": place.asn,
        "resourceDisplayName": "Microsoft Graph",
        "resourceId": "00000003-0000-0000-c000-000000000000",
        "status": {"errorCode": result, "failureReason": if result == 0 { Value::Null } else { json!("Invalid client secret provided.") }},
        "location": {"city": place.city, "state": place.state, "countryOrRegion": place.cc,
                     "geoCoordinates": {"latitude": place.lat, "longitude": place.lon}},
    }));
    out.defender.push(defender(
        "EntraIdSpnSignInEvents",
        json!({
            "Timestamp": iso(t),
            "Application": sp.name,
            "ApplicationId": sp.app_id,
            "ServicePrincipalName": sp.name,
            "ServicePrincipalId": sp.id,
            "IPAddress": ip,
            "Country": place.cc,
            "City": place.city,
            "Latitude": place.lat.to_string(),
            "Longitude": place.lon.to_string(),
            "ErrorCode": result,
            "IsManagedIdentity": false,
            "ResourceDisplayName": "Microsoft Graph",
            "CorrelationId": id,
            "ReportId": rng.guid(),
        }),
    ));
}

/// A Defender XDR streaming API record (event hub / storage account).
pub fn defender(table: &str, props: Value) -> Value {
    json!({
        "time": props.get("Timestamp").cloned().unwrap_or(Value::Null),
        "tenantId": TENANT,
        "operationName": "Publish",
        "category": format!("AdvancedHunting-{table}"),
        "properties": props,
    })
}

/// An Entra ID audit record as diagnostic settings write it.
pub fn audit(
    rng: &mut Rng,
    t: i64,
    operation: &str,
    category: &str,
    actor: &User,
    actor_ip: Option<&str>,
    targets: Value,
) -> Value {
    let corr = rng.guid();
    json!({
        "time": iso(t),
        "resourceId": format!("/tenants/{TENANT}/providers/Microsoft.aadiam"),
        "operationName": operation,
        "operationVersion": "1.0",
        "category": "AuditLogs",
        "tenantId": TENANT,
        "resultSignature": "None",
        "durationMs": 0,
        "callerIpAddress": actor_ip.unwrap_or(""),
        "correlationId": corr,
        "Level": 4,
        "properties": {
            "id": format!("Directory_{}", rng.guid()),
            "category": category,
            "correlationId": corr,
            "result": "success",
            "resultReason": "",
            "activityDisplayName": operation,
            "activityDateTime": iso(t),
            "loggedByService": "Core Directory",
            "operationType": "Update",
            "initiatedBy": {"user": {"id": actor.id, "displayName": Value::Null, "userPrincipalName": actor.upn,
                                     "ipAddress": actor_ip, "roles": []}},
            "targetResources": targets,
            "additionalDetails": [],
        },
    })
}

/// MailItemsAccessed as Purview's AuditData holds it.
pub fn mail_access(rng: &mut Rng, t: i64, user: &User, client_ip: &str) -> Value {
    json!({
        "CreationTime": iso_plain(t),
        "Id": rng.guid(),
        "Operation": "MailItemsAccessed",
        "OrganizationId": TENANT,
        "RecordType": 50,
        "ResultStatus": "Succeeded",
        "UserKey": user.id,
        "UserType": 0,
        "Version": 1,
        "Workload": "Exchange",
        "UserId": user.upn,
        "AppId": "00000002-0000-0ff1-ce00-000000000000",
        "ClientAppId": "",
        "ClientIPAddress": client_ip,
        "ClientInfoString": "Client=OWA;Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        "ExternalAccess": false,
        "LogonType": 0,
        "MailboxGuid": rng.guid(),
        "MailboxOwnerUPN": user.upn,
        "OperationProperties": [{"Name": "MailAccessType", "Value": "Bind"}, {"Name": "IsThrottled", "Value": "False"}],
        "OperationCount": rng.range(1, 12),
    })
}

/// A Suricata EVE alert.
pub fn eve(rng: &mut Rng, t: i64, src: &str, dst: &str, sig: &str, severity: i64) -> Value {
    json!({
        "timestamp": format!("{}.{:06}+0000", iso_plain(t), rng.below(1_000_000)),
        "flow_id": rng.below(1 << 50),
        "in_iface": "eth0",
        "event_type": "alert",
        "src_ip": src, "src_port": rng.range(1024, 65535),
        "dest_ip": dst, "dest_port": 443, "proto": "TCP",
        "alert": {"action": "allowed", "gid": 1, "signature_id": 2_010_000 + rng.below(9999), "rev": 3,
                  "signature": sig, "category": "Attempted Information Leak", "severity": severity},
    })
}

// ---- the exports -----------------------------------------------------------------------------

#[derive(Default)]
pub struct Records {
    pub signins: Vec<Value>,
    pub sp_signins: Vec<Value>,
    pub audit: Vec<Value>,
    pub defender: Vec<Value>,
    pub purview: Vec<Value>,
    pub eve: Vec<Value>,
}

fn time_of(v: &Value) -> String {
    for k in ["createdDateTime", "time", "CreationTime", "timestamp"] {
        if let Some(s) = v.get(k).and_then(Value::as_str) {
            return s.to_string();
        }
    }
    String::new()
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn ndjson(rows: &[Value]) -> String {
    let mut s = String::new();
    for r in rows {
        s.push_str(&r.to_string());
        s.push('\n');
    }
    s
}

impl Records {
    /// Writes the exports under `dir`; returns (file, records) per file.
    pub fn write(mut self, dir: &Path) -> Result<Vec<(String, usize)>> {
        for v in [
            &mut self.signins,
            &mut self.sp_signins,
            &mut self.audit,
            &mut self.defender,
            &mut self.purview,
            &mut self.eve,
        ] {
            v.sort_by_cached_key(time_of);
        }
        let mut files = Vec::new();
        // Graph sign-ins: OData pages of 1,000, as `GET /beta/auditLogs/signIns` returns them.
        let pages: Vec<&[Value]> = self.signins.chunks(1000).collect();
        for (i, page) in pages.iter().enumerate() {
            let mut o = serde_json::Map::new();
            o.insert(
                "@odata.context".into(),
                json!("https://graph.microsoft.com/beta/$metadata#auditLogs/signIns"),
            );
            o.insert("value".into(), Value::Array(page.to_vec()));
            if i + 1 < pages.len() {
                o.insert(
                    "@odata.nextLink".into(),
                    json!(format!(
                        "https://graph.microsoft.com/beta/auditLogs/signIns?$skiptoken=page{}",
                        i + 1
                    )),
                );
            }
            let name = format!("graph-signins/signins-page-{:03}.json", i + 1);
            write(&dir.join(&name), &Value::Object(o).to_string())?;
        }
        files.push((
            format!(
                "graph-signins/signins-page-*.json ({} OData pages)",
                pages.len()
            ),
            self.signins.len(),
        ));
        let name = "graph-signins/service-principal-signins.ndjson".to_string();
        write(&dir.join(&name), &ndjson(&self.sp_signins))?;
        files.push((name, self.sp_signins.len()));
        // Diagnostic settings (storage account): {"records": [...]}.
        let name = "diagnostic-settings/AuditLogs.json".to_string();
        write(
            &dir.join(&name),
            &json!({ "records": self.audit }).to_string(),
        )?;
        files.push((name, self.audit.len()));
        let name = "defender-streaming/advanced-hunting.ndjson".to_string();
        write(&dir.join(&name), &ndjson(&self.defender))?;
        files.push((name, self.defender.len()));
        // Purview audit search download.
        let mut csv = String::from("RecordId,CreationDate,RecordType,Operation,UserId,AuditData\n");
        for r in &self.purview {
            let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            csv.push_str(&format!(
                "{},{},ExchangeItemAggregated,{},{},{}\n",
                csv_cell(&s("Id")),
                csv_cell(&(s("CreationTime") + ".0000000Z")),
                csv_cell(&s("Operation")),
                csv_cell(&s("UserId")),
                csv_cell(&r.to_string())
            ));
        }
        let name = "purview/audit-search.csv".to_string();
        write(&dir.join(&name), &csv)?;
        files.push((name, self.purview.len()));
        let name = "suricata/eve.json".to_string();
        write(&dir.join(&name), &ndjson(&self.eve))?;
        files.push((name, self.eve.len()));
        Ok(files)
    }
}

// ---- normal behaviour ------------------------------------------------------------------------

pub struct World {
    pub users: Vec<User>,
    pub sps: Vec<ServicePrincipal>,
    /// First calendar day (midnight, epoch seconds) and the end of the data.
    pub start: i64,
    pub end: i64,
    pub days: i64,
}

/// A working day for each user: an interactive sign-in at the start of the local working day
/// (now and then after an MFA interrupt or a mistyped password), token refreshes from the same
/// network through the day, a second interactive sign-in some days, and mailbox access.
pub fn normal_users(w: &World, rng: &mut Rng, out: &mut Records) {
    for u in &w.users {
        for d in 0..w.days {
            let day = w.start + d * DAY;
            let wd = weekday(day);
            let special = u.vpn_days.contains(&d) || u.trips.iter().any(|(td, _)| *td == d);
            if (wd == 0 || wd == 6) && !special && !rng.chance(0.08) {
                continue;
            }
            let (place, ip) = if u.vpn_days.contains(&d) {
                (VPN, vpn_ip(rng))
            } else if let Some((_, p)) = u.trips.iter().find(|(td, _)| *td == d) {
                (*p, ip_in(p, rng))
            } else {
                (u.home, u.ip.clone())
            };
            let begin = day + (8 - u.home.tz) * HOUR + rng.range(0, 90) * MIN;
            let finish = begin + rng.range(7 * 60, 9 * 60) * MIN;
            let ok = |t: i64| {
                t < w.end
                    && u.quiet_from.is_none_or(|q| t < q)
                    && u.active_until.is_none_or(|a| t < a)
                    && u.active_from.is_none_or(|a| t >= a)
            };
            if !ok(begin) {
                continue;
            }
            let mut t = begin;
            if rng.chance(0.04) {
                out.signins.push(
                    SignIn::new(t - 2 * MIN, u, &ip, place)
                        .failed(50126)
                        .record(rng),
                );
            }
            if rng.chance(0.15) {
                out.signins.push(
                    SignIn::new(t - MIN, u, &ip, place)
                        .failed(50074)
                        .record(rng),
                );
            }
            out.signins.push(SignIn::new(t, u, &ip, place).record(rng));
            let second = rng
                .chance(0.4)
                .then(|| begin + rng.range(3 * 60, 6 * 60) * MIN);
            if let Some(s) = second
                && ok(s)
            {
                let app = APPS[1 + rng.below(APPS.len() as u64 - 1) as usize];
                out.signins
                    .push(SignIn::new(s, u, &ip, place).app(app).record(rng));
            }
            loop {
                t += rng.range(40, 80) * MIN;
                if t > finish || !ok(t) {
                    break;
                }
                let app = *rng.pick(&APPS[..4]);
                out.signins.push(
                    SignIn::new(t, u, &ip, place)
                        .non_interactive()
                        .app(app)
                        .record(rng),
                );
            }
            for _ in 0..rng.range(1, 3) {
                let mt = rng.range(begin, finish);
                if ok(mt) {
                    let port = rng.range(49152, 65535);
                    out.purview
                        .push(mail_access(rng, mt, u, &format!("{ip}:{port}")));
                }
            }
            if rng.chance(0.3) {
                let ft = rng.range(begin, finish);
                if ok(ft) {
                    out.defender.push(defender(
                        "CloudAppEvents",
                        json!({
                            "Timestamp": iso(ft), "ActionType": "FileAccessed", "Application": "Microsoft SharePoint Online",
                            "ApplicationId": 20892, "AccountDisplayName": u.display, "AccountObjectId": u.id, "AccountId": u.upn,
                            "IPAddress": ip, "CountryCode": place.cc, "City": place.city, "ISP": format!("AS{}", place.asn),
                            "ObjectName": format!("https://contosodemo.sharepoint.com/sites/{}/Shared Documents/plan-{}.xlsx", u.department, rng.below(40)),
                            "ActivityType": "Read", "ReportId": rng.guid(),
                            "RawEventData": {"Operation": "FileAccessed", "Workload": "SharePoint", "UserId": u.upn, "ClientIP": ip},
                        }),
                    ));
                }
            }
        }
    }
}

/// Workloads sign in around the clock from their Azure egress addresses.
pub fn normal_sps(w: &World, rng: &mut Rng, out: &mut Records) {
    for sp in &w.sps {
        let mut t = w.start + rng.range(0, 30) * MIN;
        while t < w.end {
            for _ in 0..sp.rate {
                let at = t + rng.range(0, 50) * MIN;
                if at < w.end {
                    let ip = rng.pick(&sp.ips).clone();
                    sp_signin(out, rng, at, sp, &ip, AZURE_DE, 0);
                }
            }
            t += HOUR;
        }
    }
}

/// Internet noise the sensor alerts on: scanners that never sign in.
pub fn normal_network(w: &World, rng: &mut Rng, out: &mut Records) {
    const SIGS: &[&str] = &[
        "ET SCAN Suspicious inbound to MSSQL port 1433",
        "ET SCAN Potential SSH Scan",
        "ET DROP Spamhaus DROP Listed Traffic Inbound",
        "ET SCAN NMAP -sS window 1024",
    ];
    for d in 0..w.days {
        for _ in 0..rng.range(5, 15) {
            let t = w.start + d * DAY + rng.range(0, DAY);
            if t >= w.end {
                continue;
            }
            let src = format!(
                "{}.{}.{}.{}",
                rng.pick(&[45u8, 89, 185, 193, 194]),
                rng.range(1, 255),
                rng.range(1, 255),
                rng.range(1, 255)
            );
            let sig = *rng.pick(SIGS);
            let dst = format!("10.0.{}.{}", rng.range(0, 4), rng.range(2, 250));
            out.eve.push(eve(rng, t, &src, &dst, sig, 2));
        }
    }
}
