//! Writing BehaviorAnalytics rows: typed Arrow columns built directly (no per-row JSON), in
//! chunks, with Sentinel's full column list. The chunks go to the store on a separate thread
//! (`lib::run`), so Parquet encoding overlaps with profiling.

use engine::KqlType;
use engine::datafusion::arrow::array::{
    ArrayRef, Int32Builder, Int64Array, Int64Builder, RecordBatch, StringBuilder, new_null_array,
};
use engine::datafusion::arrow::datatypes::Schema;
use std::sync::Arc;
use store::ColumnDef;

pub const TABLE: &str = "BehaviorAnalytics";
const FLUSH_ROWS: usize = 64 * 1024;

/// One BehaviorAnalytics row, borrowed; the writer copies it into its column builders.
#[derive(Debug, Clone, Copy)]
pub struct BaRow<'a> {
    pub time: i64,
    pub source_record_id: &'a str,
    pub activity_type: &'a str,
    pub action_type: &'a str,
    pub native_table: &'a str,
    pub user_name: &'a str,
    pub upn: &'a str,
    pub ip: &'a str,
    pub location: &'a str,
    pub source_device: &'a str,
    pub users_insights: &'a str,
    /// None (null) for audit operations.
    pub devices_insights: Option<&'a str>,
    pub activity_insights: Option<&'a str>,
    pub priority: i32,
}

/// A text field of a row.
type Field = for<'r, 's> fn(&'r BaRow<'s>) -> &'s str;
/// A text field that may be null.
type OptField = for<'r, 's> fn(&'r BaRow<'s>) -> Option<&'s str>;

/// Where a stored column's values come from.
enum Slot {
    Time(Int64Builder),
    Processed,
    Priority(Int32Builder),
    Text(Field, StringBuilder),
    OptText(OptField, StringBuilder),
    Const(&'static str),
    ItemId(StringBuilder),
    Null,
}

/// A finished chunk of rows with their `_ItemId` hashes, ready for `Transaction::write`.
pub struct Batch {
    pub batch: RecordBatch,
    pub ids: Vec<u64>,
}

pub struct BaWriter {
    now: i64,
    cols: Vec<ColumnDef>,
    slots: Vec<Slot>,
    ids: Vec<u64>,
    rows: usize,
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

fn slot_of(name: &str) -> Slot {
    let text = |f: Field| Slot::Text(f, StringBuilder::new());
    let opt = |f: OptField| Slot::OptText(f, StringBuilder::new());
    match name {
        "TimeGenerated" => Slot::Time(Int64Builder::new()),
        "TimeProcessed" => Slot::Processed,
        "InvestigationPriority" => Slot::Priority(Int32Builder::new()),
        "SourceRecordId" => text(|r| r.source_record_id),
        "ActivityType" => text(|r| r.activity_type),
        "NativeTableName" => text(|r| r.native_table),
        "UserName" => text(|r| r.user_name),
        "UserPrincipalName" => text(|r| r.upn),
        "SourceIPAddress" => text(|r| r.ip),
        "SourceIPLocation" => text(|r| r.location),
        "SourceDevice" => text(|r| r.source_device),
        "UsersInsights" => text(|r| r.users_insights),
        "DevicesInsights" => opt(|r| r.devices_insights),
        "ActivityInsights" => opt(|r| r.activity_insights),
        "ActionType" => text(|r| r.action_type),
        "EventSource" => Slot::Const("Azure AD"),
        "EventVendor" => Slot::Const("Microsoft"),
        "Type" => Slot::Const(TABLE),
        "SourceSystem" => Slot::Const("Peregrine UEBA"),
        "_ItemId" => Slot::ItemId(StringBuilder::new()),
        _ => Slot::Null,
    }
}

impl BaWriter {
    pub fn new(now: i64) -> Self {
        let cols = columns();
        let slots = cols.iter().map(|c| slot_of(&c.name)).collect();
        BaWriter {
            now,
            cols,
            slots,
            ids: Vec::new(),
            rows: 0,
            written: 0,
        }
    }

    /// Appends a row; returns a finished chunk every `FLUSH_ROWS` rows.
    pub fn push(&mut self, row: BaRow<'_>) -> Result<Option<Batch>, String> {
        let item = item_id(row.source_record_id);
        for s in &mut self.slots {
            match s {
                Slot::Time(b) => b.append_value(row.time),
                Slot::Priority(b) => b.append_value(row.priority),
                Slot::Text(f, b) => b.append_value(f(&row)),
                Slot::OptText(f, b) => b.append_option(f(&row)),
                Slot::ItemId(b) => b.append_value(&item),
                Slot::Processed | Slot::Const(_) | Slot::Null => {}
            }
        }
        self.ids.push(ingest::itemid::id_hash(&item));
        self.rows += 1;
        if self.rows >= FLUSH_ROWS {
            return self.flush();
        }
        Ok(None)
    }

    /// The column list of the chunks.
    pub fn columns(&self) -> &[ColumnDef] {
        &self.cols
    }

    /// The rows appended since the last chunk, as a chunk (None when there are none).
    pub fn flush(&mut self) -> Result<Option<Batch>, String> {
        if self.rows == 0 {
            return Ok(None);
        }
        let n = std::mem::take(&mut self.rows);
        let ids = std::mem::take(&mut self.ids);
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.cols.len());
        for (c, s) in self.cols.iter().zip(&mut self.slots) {
            let a: ArrayRef = match s {
                Slot::Time(b) => Arc::new(b.finish()),
                Slot::Priority(b) => Arc::new(b.finish()),
                Slot::Text(_, b) | Slot::OptText(_, b) | Slot::ItemId(b) => Arc::new(b.finish()),
                Slot::Processed => Arc::new(Int64Array::from_value(self.now, n)),
                Slot::Const(v) => {
                    let mut b = StringBuilder::with_capacity(n, n * v.len());
                    for _ in 0..n {
                        b.append_value(*v);
                    }
                    Arc::new(b.finish())
                }
                Slot::Null => new_null_array(&c.ty().arrow(), n),
            };
            arrays.push(a);
        }
        let fields: Vec<_> = self.cols.iter().map(|c| c.ty().field(&c.name)).collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
            .map_err(|e| format!("building BehaviorAnalytics rows: {e}"))?;
        self.written += n as u64;
        Ok(Some(Batch { batch, ids }))
    }
}
