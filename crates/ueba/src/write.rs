//! Writing BehaviorAnalytics rows: typed Arrow columns built directly (no per-row JSON), in
//! chunks, with Sentinel's full column list.

use engine::KqlType;
use engine::datafusion::arrow::array::{
    ArrayRef, Int32Builder, Int64Builder, RecordBatch, StringBuilder, new_null_array,
};
use engine::datafusion::arrow::datatypes::Schema;
use std::sync::Arc;
use store::{ColumnDef, Transaction};

pub const TABLE: &str = "BehaviorAnalytics";
const FLUSH_ROWS: usize = 128 * 1024;

#[derive(Debug, Clone)]
pub struct BaRow {
    pub time: i64,
    pub source_record_id: String,
    pub activity_type: &'static str,
    pub native_table: &'static str,
    pub user_name: String,
    pub upn: String,
    pub ip: String,
    pub location: String,
    pub source_device: String,
    pub users_insights: String,
    pub devices_insights: String,
    pub activity_insights: Arc<str>,
    pub priority: i32,
}

pub struct BaWriter {
    now: i64,
    rows: Vec<BaRow>,
    pub written: u64,
}

/// The stored columns: Sentinel's BehaviorAnalytics schema plus `_ItemId`.
pub fn columns() -> Vec<ColumnDef> {
    let mut cols: Vec<ColumnDef> = ingest::schemas::known(TABLE)
        .map(|s| {
            s.columns
                .iter()
                .map(|(n, t)| ColumnDef::new(n, *t))
                .collect()
        })
        .unwrap_or_default();
    if !cols.iter().any(|c| c.name == "_ItemId") {
        cols.push(ColumnDef::new("_ItemId", KqlType::String));
    }
    cols
}

/// `_ItemId` of the BehaviorAnalytics row of a source record.
pub fn item_id(source_record_id: &str) -> String {
    ingest::itemid::item_id(
        TABLE,
        ingest::itemid::base_hash(source_record_id.as_bytes()),
        0,
    )
}

impl BaWriter {
    pub fn new(now: i64) -> Self {
        BaWriter {
            now,
            rows: Vec::new(),
            written: 0,
        }
    }

    pub fn push(&mut self, txn: &mut Transaction, row: BaRow) -> Result<(), String> {
        self.rows.push(row);
        if self.rows.len() >= FLUSH_ROWS {
            self.flush(txn)?;
        }
        Ok(())
    }

    pub fn flush(&mut self, txn: &mut Transaction) -> Result<(), String> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        let cols = columns();
        let n = rows.len();
        let mut ids = Vec::with_capacity(n);
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(cols.len());
        let item_ids: Vec<String> = rows.iter().map(|r| item_id(&r.source_record_id)).collect();
        for id in &item_ids {
            ids.push(ingest::itemid::id_hash(id));
        }
        for c in &cols {
            let strs = |f: &dyn Fn(&BaRow) -> &str| -> ArrayRef {
                let mut b = StringBuilder::with_capacity(n, n * 16);
                for r in &rows {
                    b.append_value(f(r));
                }
                Arc::new(b.finish())
            };
            let konst = |v: &str| -> ArrayRef {
                let mut b = StringBuilder::with_capacity(n, n * v.len());
                for _ in 0..n {
                    b.append_value(v);
                }
                Arc::new(b.finish())
            };
            let a: ArrayRef = match c.name.as_str() {
                "TimeGenerated" | "TimeProcessed" => {
                    let mut b = Int64Builder::with_capacity(n);
                    for r in &rows {
                        b.append_value(if c.name == "TimeGenerated" {
                            r.time
                        } else {
                            self.now
                        });
                    }
                    Arc::new(b.finish())
                }
                "InvestigationPriority" => {
                    let mut b = Int32Builder::with_capacity(n);
                    for r in &rows {
                        b.append_value(r.priority);
                    }
                    Arc::new(b.finish())
                }
                "SourceRecordId" => strs(&|r| &r.source_record_id),
                "ActivityType" => strs(&|r| r.activity_type),
                "NativeTableName" => strs(&|r| r.native_table),
                "UserName" => strs(&|r| &r.user_name),
                "UserPrincipalName" => strs(&|r| &r.upn),
                "SourceIPAddress" => strs(&|r| &r.ip),
                "SourceIPLocation" => strs(&|r| &r.location),
                "SourceDevice" => strs(&|r| &r.source_device),
                "UsersInsights" => strs(&|r| &r.users_insights),
                "DevicesInsights" => strs(&|r| &r.devices_insights),
                "ActivityInsights" => strs(&|r| &r.activity_insights),
                "ActionType" => konst("Sign-in"),
                "EventSource" => konst("Azure AD"),
                "EventVendor" => konst("Microsoft"),
                "Type" => konst(TABLE),
                "SourceSystem" => konst("Peregrine UEBA"),
                "_ItemId" => {
                    let mut b = StringBuilder::with_capacity(n, n * 36);
                    for id in &item_ids {
                        b.append_value(id);
                    }
                    Arc::new(b.finish())
                }
                _ => new_null_array(&c.ty().arrow(), n),
            };
            arrays.push(a);
        }
        let fields: Vec<_> = cols.iter().map(|c| c.ty().field(&c.name)).collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
            .map_err(|e| format!("building BehaviorAnalytics rows: {e}"))?;
        txn.write(TABLE, &cols, &batch, &ids)
            .map_err(|e| e.to_string())?;
        self.written += n as u64;
        Ok(())
    }
}
