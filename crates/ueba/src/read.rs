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

/// One sign-in as UEBA reads it.
#[derive(Debug, Clone, Default)]
pub struct SignIn {
    pub time: i64,
    pub item_id: String,
    pub table: &'static str,
    pub upn: String,
    pub user_id: String,
    pub display: String,
    pub ip: String,
    pub ok: bool,
    pub country: String,
    pub browser_raw: String,
    pub os: String,
    pub device_id: String,
    pub device_name: String,
    pub asn: String,
    pub user_agent: String,
    pub app: String,
    pub resource: String,
}

/// The sign-ins of `table` on UTC day `day`, sorted by (time, _ItemId).
pub fn signins_of_day(
    reader: &Reader,
    table: &'static str,
    day: i32,
) -> Result<Vec<SignIn>, String> {
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
    let mut out = Vec::with_capacity(res.row_count());
    for b in &res.batches {
        let time = ticks_col(b, "TimeGenerated")?;
        let c = |n: &str| str_col(b, n);
        let (id, upn, uid, disp, ip, rt) = (
            c("_ItemId")?,
            c("UserPrincipalName")?,
            c("UserId")?,
            c("UserDisplayName")?,
            c("IPAddress")?,
            c("ResultType")?,
        );
        let (country, browser, os, dev_id, dev_name) = (
            c("Country")?,
            c("Browser")?,
            c("OS")?,
            c("DeviceId")?,
            c("DeviceName")?,
        );
        let (asn, ua, app, res_name) = (
            c("Asn")?,
            c("UserAgent")?,
            c("AppDisplayName")?,
            c("ResourceDisplayName")?,
        );
        for i in 0..b.num_rows() {
            if time.is_null(i) {
                continue;
            }
            out.push(SignIn {
                time: time.value(i),
                item_id: id.get(i).to_string(),
                table,
                upn: upn.get(i).to_string(),
                user_id: uid.get(i).to_string(),
                display: disp.get(i).to_string(),
                ip: ip.get(i).to_string(),
                ok: rt.get(i).trim() == "0",
                country: country.get(i).to_string(),
                browser_raw: browser.get(i).to_string(),
                os: os.get(i).to_string(),
                device_id: dev_id.get(i).to_string(),
                device_name: dev_name.get(i).to_string(),
                asn: asn.get(i).to_string(),
                user_agent: ua.get(i).to_string(),
                app: app.get(i).to_string(),
                resource: res_name.get(i).to_string(),
            });
        }
    }
    out.sort_by(|a, b| (a.time, &a.item_id).cmp(&(b.time, &b.item_id)));
    Ok(out)
}
