//! Reading the inputs: sign-ins of one day (columnar, only the needed columns, dynamic fields
//! extracted by KQL path expressions in the reading query), IdentityInfo rows and AuditLogs
//! "Add user" records.

use engine::datafusion::arrow::array::{Array, ArrayRef, Int64Array, RecordBatch, StringArray};
use engine::datafusion::arrow::compute::cast;
use engine::datafusion::arrow::datatypes::DataType;
use engine::datafusion::prelude::SessionContext;
use engine::value::datetime::format_iso;
use store::{Store, StoreCatalog};

use crate::model::TICKS_PER_DAY;

/// The sign-in tables UEBA profiles.
pub const SIGNIN_TABLES: [&str; 2] = ["SigninLogs", "AADNonInteractiveUserSignInLogs"];

pub struct Reader {
    catalog: StoreCatalog,
    session: SessionContext,
    rt: tokio::runtime::Runtime,
}

/// A string column of a batch, cast to Utf8.
pub struct Col(StringArray);

impl Col {
    pub fn get(&self, i: usize) -> &str {
        if self.0.is_null(i) {
            ""
        } else {
            self.0.value(i)
        }
    }
}

pub fn str_col(b: &RecordBatch, name: &str) -> Result<Col, String> {
    let idx = b
        .schema()
        .index_of(name)
        .map_err(|_| format!("column {name} missing from a UEBA reading query"))?;
    let a: ArrayRef = cast(b.column(idx), &DataType::Utf8).map_err(|e| e.to_string())?;
    a.as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .map(Col)
        .ok_or_else(|| format!("column {name} is not text"))
}

pub fn ticks_col(b: &RecordBatch, name: &str) -> Result<Int64Array, String> {
    let idx = b
        .schema()
        .index_of(name)
        .map_err(|_| format!("column {name} missing from a UEBA reading query"))?;
    let a: ArrayRef = cast(b.column(idx), &DataType::Int64).map_err(|e| e.to_string())?;
    a.as_any()
        .downcast_ref::<Int64Array>()
        .cloned()
        .ok_or_else(|| format!("column {name} is not a datetime"))
}

impl Reader {
    pub fn new(store: &Store) -> Result<Reader, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("starting the query runtime: {e}"))?;
        Ok(Reader {
            catalog: StoreCatalog::new(store),
            session: engine::new_session(),
            rt,
        })
    }

    pub fn query(&self, text: &str) -> Result<engine::QueryResult, String> {
        let opts = engine::RunOptions {
            now: 0,
            params: Default::default(),
        };
        self.rt
            .block_on(engine::run_query(&self.catalog, &self.session, text, &opts))
            .map_err(|e| format!("UEBA reading query failed: {}", e.render(text, "ueba")))
    }
}

/// One sign-in as UEBA reads it: borrowed from the day's columns (no per-row copies).
#[derive(Debug, Clone, Copy, Default)]
pub struct SignIn<'a> {
    pub time: i64,
    pub item_id: &'a str,
    pub table: &'static str,
    pub upn: &'a str,
    pub user_id: &'a str,
    pub display: &'a str,
    pub ip: &'a str,
    pub ok: bool,
    pub country: &'a str,
    pub browser_raw: &'a str,
    pub os: &'a str,
    pub device_id: &'a str,
    pub device_name: &'a str,
    pub asn: &'a str,
    pub user_agent: &'a str,
    pub app: &'a str,
    pub resource: &'a str,
}

/// The columns of one result batch of a day's reading query.
struct DayCols {
    table: &'static str,
    time: Int64Array,
    cols: [Col; 15],
}

/// The sign-ins of one table on one UTC day, as read (Arrow columns).
#[derive(Default)]
pub struct DaySignIns {
    batches: Vec<DayCols>,
}

impl DaySignIns {
    pub fn len(&self) -> usize {
        self.batches.iter().map(|b| b.time.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends the rows (rows without a TimeGenerated are skipped) to `out`.
    pub fn rows<'a>(&'a self, out: &mut Vec<SignIn<'a>>) {
        for b in &self.batches {
            let [
                id,
                upn,
                uid,
                disp,
                ip,
                rt,
                country,
                browser,
                os,
                dev_id,
                dev_name,
                asn,
                ua,
                app,
                res,
            ] = &b.cols;
            for i in 0..b.time.len() {
                if b.time.is_null(i) {
                    continue;
                }
                out.push(SignIn {
                    time: b.time.value(i),
                    item_id: id.get(i),
                    table: b.table,
                    upn: upn.get(i),
                    user_id: uid.get(i),
                    display: disp.get(i),
                    ip: ip.get(i),
                    ok: rt.get(i).trim() == "0",
                    country: country.get(i),
                    browser_raw: browser.get(i),
                    os: os.get(i),
                    device_id: dev_id.get(i),
                    device_name: dev_name.get(i),
                    asn: asn.get(i),
                    user_agent: ua.get(i),
                    app: app.get(i),
                    resource: res.get(i),
                });
            }
        }
    }
}

/// The sign-ins of `table` on UTC day `day`.
pub fn signins_of_day(
    reader: &Reader,
    table: &'static str,
    day: i32,
) -> Result<DaySignIns, String> {
    let lo = i64::from(day) * TICKS_PER_DAY;
    let hi = lo + TICKS_PER_DAY;
    let q = format!(
        "{table}
| where TimeGenerated >= datetime({}) and TimeGenerated < datetime({})
| project TimeGenerated, _ItemId, UserPrincipalName, UserId, UserDisplayName, IPAddress, ResultType,
  Country = tostring(todynamic(LocationDetails).countryOrRegion),
  Browser = tostring(todynamic(DeviceDetail).browser),
  OS = tostring(todynamic(DeviceDetail).operatingSystem),
  DeviceId = tostring(todynamic(DeviceDetail).deviceId),
  DeviceName = tostring(todynamic(DeviceDetail).displayName),
  Asn = tostring(AutonomousSystemNumber), UserAgent, AppDisplayName, ResourceDisplayName",
        format_iso(lo),
        format_iso(hi)
    );
    let res = reader.query(&q)?;
    let mut out = DaySignIns::default();
    for b in &res.batches {
        if b.num_rows() == 0 {
            continue;
        }
        let c = |n: &str| str_col(b, n);
        out.batches.push(DayCols {
            table,
            time: ticks_col(b, "TimeGenerated")?,
            cols: [
                c("_ItemId")?,
                c("UserPrincipalName")?,
                c("UserId")?,
                c("UserDisplayName")?,
                c("IPAddress")?,
                c("ResultType")?,
                c("Country")?,
                c("Browser")?,
                c("OS")?,
                c("DeviceId")?,
                c("DeviceName")?,
                c("Asn")?,
                c("UserAgent")?,
                c("AppDisplayName")?,
                c("ResourceDisplayName")?,
            ],
        });
    }
    Ok(out)
}

/// The audit table UEBA profiles operations of.
pub const AUDIT_TABLE: &str = "AuditLogs";

/// One directory operation (AuditLogs) initiated by a user.
#[derive(Debug, Clone, Default)]
pub struct AuditOp {
    pub time: i64,
    pub item_id: String,
    pub category: String,
    pub operation: String,
    pub upn: String,
    pub user_id: String,
    pub ip: String,
}

/// The user-initiated operations of AuditLogs on UTC day `day`, sorted by (time, _ItemId).
/// Operations started by applications (no initiating user) are left out.
pub fn audit_of_day(reader: &Reader, day: i32) -> Result<Vec<AuditOp>, String> {
    let lo = i64::from(day) * TICKS_PER_DAY;
    let hi = lo + TICKS_PER_DAY;
    let q = format!(
        "{AUDIT_TABLE}
| where TimeGenerated >= datetime({}) and TimeGenerated < datetime({})
| extend By = todynamic(InitiatedBy)
| project TimeGenerated, _ItemId, Category, OperationName,
  Upn = tostring(By.user.userPrincipalName), UserId = tostring(By.user.id),
  Ip = tostring(By.user.ipAddress)",
        format_iso(lo),
        format_iso(hi)
    );
    let res = reader.query(&q)?;
    let mut out = Vec::new();
    for b in &res.batches {
        let time = ticks_col(b, "TimeGenerated")?;
        let c = |n: &str| str_col(b, n);
        let (id, cat, op, upn, uid, ip) = (
            c("_ItemId")?,
            c("Category")?,
            c("OperationName")?,
            c("Upn")?,
            c("UserId")?,
            c("Ip")?,
        );
        for i in 0..b.num_rows() {
            if time.is_null(i) || (upn.get(i).trim().is_empty() && uid.get(i).trim().is_empty()) {
                continue;
            }
            out.push(AuditOp {
                time: time.value(i),
                item_id: id.get(i).to_string(),
                category: cat.get(i).to_string(),
                operation: op.get(i).to_string(),
                upn: upn.get(i).trim().to_string(),
                user_id: uid.get(i).trim().to_string(),
                ip: ip.get(i).trim().to_string(),
            });
        }
    }
    out.sort_by(|a, b| (a.time, &a.item_id).cmp(&(b.time, &b.item_id)));
    Ok(out)
}
