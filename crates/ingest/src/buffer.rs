//! Rows of one table on their way to the store: typed Arrow builders, one per column, rows in
//! arrival order, each row's UTC day of `TimeGenerated` noted so that the rows are handed to
//! the store one day at a time (the store keeps a file per day). A row is coerced whole
//! before anything is appended, so a bad value rejects its row and nothing else. Columns the
//! schema does not know are added on first sight (type from the value) and back-filled with
//! nulls.

use crate::coerce::{Cell, coerce, coerce_json, infer_type};
use crate::formats::signin_plan::{Plan, SlotRow};
use crate::formats::{RawRow, Src};
use crate::rawjson::Canonical;
use engine::KqlType;
use engine::datafusion::arrow::array::UInt32Array;
use engine::datafusion::arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder,
    RecordBatch, StringBuilder,
};
use engine::datafusion::arrow::compute::{concat_batches, take_record_batch};
use engine::datafusion::arrow::datatypes::{Schema, SchemaRef};
use engine::types::TICKS_PER_DAY;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use store::ColumnDef;

enum Col {
    Bool(BooleanBuilder),
    Int(Int32Builder),
    Long(Int64Builder),
    Real(Float64Builder),
    Text(StringBuilder),
}

impl Col {
    /// A builder with room for `rows` values (and `bytes` of text).
    fn with_capacity(ty: KqlType, rows: usize, bytes: usize) -> Col {
        match ty {
            KqlType::Bool => Col::Bool(BooleanBuilder::with_capacity(rows)),
            KqlType::Int => Col::Int(Int32Builder::with_capacity(rows)),
            KqlType::Long | KqlType::DateTime | KqlType::TimeSpan => {
                Col::Long(Int64Builder::with_capacity(rows))
            }
            KqlType::Real | KqlType::Decimal => Col::Real(Float64Builder::with_capacity(rows)),
            KqlType::String | KqlType::Guid | KqlType::Dynamic => {
                Col::Text(StringBuilder::with_capacity(rows, bytes))
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            Col::Bool(b) => b.len(),
            Col::Int(b) => b.len(),
            Col::Long(b) => b.len(),
            Col::Real(b) => b.len(),
            Col::Text(b) => b.len(),
        }
    }

    /// Bytes of text held (0 for other columns).
    fn text_bytes(&self) -> usize {
        match self {
            Col::Text(b) => b.values_slice().len(),
            _ => 0,
        }
    }

    fn append_nulls(&mut self, n: usize) {
        match self {
            Col::Bool(b) => b.append_nulls(n),
            Col::Int(b) => b.append_nulls(n),
            Col::Long(b) => b.append_nulls(n),
            Col::Real(b) => b.append_nulls(n),
            Col::Text(b) => b.append_nulls(n),
        }
    }

    /// Appends a coerced cell (whose variant matches the column, by construction of `coerce`).
    fn append(&mut self, c: &Cell<'_>) {
        match (self, c) {
            (Col::Bool(b), Cell::Bool(v)) => b.append_value(*v),
            (Col::Int(b), Cell::Int(v)) => b.append_value(*v as i32),
            (Col::Long(b), Cell::Int(v) | Cell::Ticks(v)) => b.append_value(*v),
            (Col::Real(b), Cell::Real(v)) => b.append_value(*v),
            (Col::Text(b), Cell::Text(v)) => b.append_value(v.as_ref()),
            (col, _) => col.append_nulls(1),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Col::Bool(b) => Arc::new(b.finish()),
            Col::Int(b) => Arc::new(b.finish()),
            Col::Long(b) => Arc::new(b.finish()),
            Col::Real(b) => Arc::new(b.finish()),
            Col::Text(b) => Arc::new(b.finish()),
        }
    }
}

/// The rows buffered, in arrival order. Columns hold fewer values than `rows` when the latest
/// rows did not set them: the gap is filled with nulls on the next value or when the rows are
/// taken.
struct Part {
    cols: Vec<Col>,
    ids: Vec<u64>,
    /// Each row's UTC day (None: a row without a time).
    days: Vec<Option<i64>>,
    /// Whether the rows are of more than one day.
    mixed: bool,
    rows: usize,
}

impl Part {
    fn new(types: &[KqlType], hint: &Hint) -> Part {
        Part {
            cols: types
                .iter()
                .enumerate()
                .map(|(i, t)| Col::with_capacity(*t, hint.rows, hint.bytes(i)))
                .collect(),
            ids: Vec::with_capacity(hint.rows),
            days: Vec::with_capacity(hint.rows),
            mixed: false,
            rows: 0,
        }
    }
}

/// Sizes of the last batch taken: new builders start with room for as much, so they do not
/// grow by doubling (and copying) batch after batch.
#[derive(Default)]
struct Hint {
    rows: usize,
    col_bytes: Vec<usize>,
}

impl Hint {
    fn bytes(&self, col: usize) -> usize {
        self.col_bytes.get(col).copied().unwrap_or(0)
    }
}

/// Parts beyond this many rows of text-heavy data are not pre-sized further.
const HINT_MAX_ROWS: usize = 64 * 1024;

pub struct TableBuffer {
    pub table: String,
    columns: Vec<ColumnDef>,
    types: Vec<KqlType>,
    index: HashMap<String, usize, ahash::RandomState>,
    /// The column the source key at each position of the last rows went to: records of one
    /// export list their keys in the same order, so this spares most lookups by name.
    recent: Vec<(Box<str>, usize)>,
    /// `TimeGenerated`'s column, which decides a row's day.
    time_col: Option<usize>,
    part: Part,
    rows: usize,
    approx_bytes: usize,
    hint: Hint,
    /// The allocation of the last row's cells, kept for the next.
    spare_cells: Vec<(usize, Cell<'static>)>,
}

type Taken = (Vec<ColumnDef>, RecordBatch, Vec<u64>);

impl TableBuffer {
    /// A buffer whose columns start as `columns` (the store's, else the known schema's).
    pub fn new(table: &str, columns: Vec<ColumnDef>) -> Self {
        let mut b = TableBuffer {
            table: table.to_string(),
            columns: Vec::new(),
            types: Vec::new(),
            index: HashMap::default(),
            recent: Vec::new(),
            time_col: None,
            part: Part::new(&[], &Hint::default()),
            rows: 0,
            approx_bytes: 0,
            hint: Hint::default(),
            spare_cells: Vec::new(),
        };
        for c in columns {
            b.add_column(&c.name, c.ty());
        }
        b
    }

    fn add_column(&mut self, name: &str, ty: KqlType) -> usize {
        // Empty: filled with nulls up to the buffered rows when next used.
        self.part.cols.push(Col::with_capacity(ty, 0, 0));
        self.columns.push(ColumnDef::new(name, ty));
        self.types.push(ty);
        let idx = self.columns.len() - 1;
        self.index.insert(name.to_string(), idx);
        if name == store::TIME_COLUMN && matches!(ty, KqlType::DateTime) {
            self.time_col = Some(idx);
        }
        idx
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn approx_bytes(&self) -> usize {
        self.approx_bytes
    }

    /// The column for a source key, added on first sight (typed from `infer`) unless the value
    /// is null; None to skip the value.
    fn column_for(
        &mut self,
        k: &str,
        null: bool,
        infer: impl FnOnce(&str) -> KqlType,
    ) -> Option<usize> {
        if let Some(&i) = self.index.get(k) {
            return Some(i);
        }
        if null {
            return None;
        }
        let name = column_name(k);
        Some(match self.index.get(name.as_str()) {
            Some(&i) => i,
            None => {
                let ty = infer(&name);
                self.add_column(&name, ty)
            }
        })
    }

    /// [`Self::column_for`] for the key at position `pos` of a row, remembered per position.
    fn column_at(
        &mut self,
        pos: usize,
        k: &str,
        null: bool,
        infer: impl FnOnce(&str) -> KqlType,
    ) -> Option<usize> {
        if let Some((name, idx)) = self.recent.get(pos)
            && name.as_ref() == k
        {
            return Some(*idx);
        }
        let idx = self.column_for(k, null, infer)?;
        if pos < self.recent.len() {
            self.recent[pos] = (k.into(), idx);
        } else if pos == self.recent.len() {
            self.recent.push((k.into(), idx));
        }
        Some(idx)
    }

    /// Appends one row, or says which column's value does not fit.
    pub fn push(&mut self, row: &Map<String, Value>, id: u64) -> Result<(), String> {
        let mut cells: Vec<(usize, Cell)> = Vec::with_capacity(row.len());
        for (pos, (k, v)) in row.iter().enumerate() {
            let Some(idx) = self.column_at(pos, k, v.is_null(), |name| infer_type(name, v)) else {
                continue;
            };
            let ty = self.types[idx];
            let cell = coerce(v, ty).map_err(|e| format!("column {k} ({ty}): {e}"))?;
            cells.push((idx, cell));
        }
        self.append_row(cells, id)
    }

    /// Appends one row of the fast path (values as raw JSON or text), or says which column's
    /// value does not fit.
    pub fn push_raw(&mut self, row: &RawRow<'_>, id: u64) -> Result<(), String> {
        let mut cells: Vec<(usize, Cell)> = Vec::with_capacity(row.cols.len());
        for (pos, (k, v)) in row.cols.iter().enumerate() {
            let null = v.is_null();
            let Some(idx) = self.column_at(pos, k, null, |name| v.infer_type(name)) else {
                continue;
            };
            let ty = self.types[idx];
            let cell = coerce_src(v, ty, Canonical::Unknown)
                .map_err(|e| format!("column {k} ({ty}): {e}"))?;
            cells.push((idx, cell));
        }
        self.append_row(cells, id)
    }

    /// Appends one row mapped by `plan` (see [`crate::formats::signin_plan`]), or says which
    /// column's value does not fit. The plan remembers each slot's column in this buffer.
    /// `form` is what the walk of the source record learnt of its raw texts (the row's raw
    /// values are parts of that record).
    pub fn push_slots(
        &mut self,
        plan: &mut Plan,
        row: &SlotRow<'_>,
        id: u64,
        form: Canonical,
    ) -> Result<(), String> {
        let cells = match self.slot_cells(plan, row, false, form)? {
            Some(cells) => cells,
            None => {
                // A value for a column not resolved yet (the first rows of a shape).
                self.resolve_columns(plan, row);
                self.slot_cells(plan, row, true, form)?.unwrap_or_default()
            }
        };
        self.append_row(cells, id)
    }

    /// The cells of a row mapped by `plan`; None when a value's column is not resolved yet
    /// (unless `resolved`: then such values are left out).
    fn slot_cells<'r>(
        &mut self,
        plan: &mut Plan,
        row: &'r SlotRow<'_>,
        resolved: bool,
        form: Canonical,
    ) -> Result<Option<Vec<(usize, Cell<'r>)>>, String> {
        let (names, columns) = plan.columns_mut();
        let mut cells = crate::reuse::emptied(std::mem::take(&mut self.spare_cells), no_cell);
        for (slot, v) in row.values() {
            let idx = match columns.get(slot).copied().flatten() {
                Some(i) => i,
                None if !v.is_null() && !resolved => return Ok(None),
                // A null goes to the column the table already has, if any.
                None => {
                    let found = names
                        .get(slot)
                        .and_then(|n| self.column_for(n, true, |_| KqlType::String));
                    match (found, columns.get_mut(slot)) {
                        (Some(i), Some(c)) => {
                            *c = Some(i);
                            i
                        }
                        (Some(i), None) => i,
                        (None, _) => continue,
                    }
                }
            };
            let ty = self.types[idx];
            let cell = coerce_src(v, ty, form).map_err(|e| {
                let name = names.get(slot).map_or("?", |n| n.as_ref());
                format!("column {name} ({ty}): {e}")
            })?;
            cells.push((idx, cell));
        }
        Ok(Some(cells))
    }

    /// Finds (or adds, typed from the value) the column of each slot `row` sets to a value,
    /// in the plan's column order, so that columns new to the table are added in the order a
    /// row of named values would add them.
    fn resolve_columns(&mut self, plan: &mut Plan, row: &SlotRow<'_>) {
        let order = plan.column_order();
        let (names, columns) = plan.columns_mut();
        for slot in order {
            let (Some(v), Some(name)) = (row.get(slot), names.get(slot)) else {
                continue;
            };
            if columns.get(slot).copied().flatten().is_some() {
                continue;
            }
            if let Some(i) = self.column_for(name, false, |n| v.infer_type(n))
                && let Some(c) = columns.get_mut(slot)
            {
                *c = Some(i);
            }
        }
    }

    fn append_row(&mut self, cells: Vec<(usize, Cell<'_>)>, id: u64) -> Result<(), String> {
        // One pass: values that do not fit an int column, and the row's time (a column set
        // twice: the last setting wins).
        let mut time = None;
        for (idx, cell) in &cells {
            if let Cell::Int(i) = cell
                && self.types[*idx] == KqlType::Int
                && i32::try_from(*i).is_err()
            {
                return Err(format!(
                    "column {} (int): {i} is out of the int range",
                    self.columns[*idx].name
                ));
            }
            if Some(*idx) == self.time_col {
                time = match cell {
                    Cell::Ticks(v) | Cell::Int(v) => Some(*v),
                    _ => None,
                };
            }
        }
        let day = time.map(|t| t.div_euclid(TICKS_PER_DAY));
        let part = &mut self.part;
        if let Some(first) = part.days.first()
            && *first != day
        {
            part.mixed = true;
        }
        part.days.push(day);
        let r = part.rows;
        for (idx, cell) in cells.iter().rev() {
            let col = &mut part.cols[*idx];
            let len = col.len();
            if len > r {
                continue; // set later in the row
            }
            if len < r {
                col.append_nulls(r - len);
            }
            col.append(cell);
            self.approx_bytes += match cell {
                Cell::Text(t) => t.len(),
                _ => 8,
            };
        }
        part.ids.push(id);
        part.rows += 1;
        self.rows += 1;
        self.spare_cells = crate::reuse::emptied(cells, no_cell);
        Ok(())
    }

    fn schema(&self) -> SchemaRef {
        let fields: Vec<_> = self
            .columns
            .iter()
            .zip(&self.types)
            .map(|(c, t)| t.field(&c.name))
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// Takes the buffered rows as one Arrow batch per day (the buffer keeps its columns). Rows
    /// are appended as they come, whatever their day: rows whose days come in runs (input in
    /// time order) are cut in zero-copy slices, in arrival order; rows of interleaved days are
    /// regrouped in one copy, ordered by day (stable), then cut.
    pub fn take_days(&mut self) -> Result<Vec<Taken>, String> {
        let schema = self.schema();
        let mut hint = Hint {
            rows: 0,
            col_bytes: vec![0; self.columns.len()],
        };
        if self.part.rows == 0 {
            return Ok(Vec::new());
        }
        let mut part = std::mem::replace(&mut self.part, Part::new(&[], &Hint::default()));
        self.rows = 0;
        self.approx_bytes = 0;
        hint.rows = part.rows.min(HINT_MAX_ROWS);
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(part.cols.len());
        for (i, col) in part.cols.iter_mut().enumerate() {
            let len = col.len();
            if len < part.rows {
                col.append_nulls(part.rows - len);
            }
            hint.col_bytes[i] = col.text_bytes();
            arrays.push(col.finish());
        }
        self.hint = hint;
        // The next rows' builders, sized like these.
        self.part = Part::new(&self.types, &self.hint);
        let batch = RecordBatch::try_new(schema, arrays)
            .map_err(|e| format!("building the {} batch: {e}", self.table))?;
        if !part.mixed {
            return Ok(vec![(self.columns.clone(), batch, part.ids)]);
        }
        let mut days: Vec<Option<i64>> = part.days.clone();
        days.sort_unstable();
        days.dedup();
        // Rows in time order (either way) hold each day in one run: slices, no copy.
        let mut runs: Vec<(usize, usize)> = Vec::with_capacity(days.len());
        for (row, d) in part.days.iter().enumerate() {
            if let Some((start, n)) = runs.last_mut()
                && part.days[*start] == *d
            {
                *n += 1;
            } else if runs.len() == days.len() {
                // A day seen before comes again: the days are interleaved.
                runs.clear();
                break;
            } else {
                runs.push((row, 1));
            }
        }
        if !runs.is_empty() {
            return Ok(runs
                .into_iter()
                .map(|(start, n)| {
                    (
                        self.columns.clone(),
                        batch.slice(start, n),
                        part.ids[start..start + n].to_vec(),
                    )
                })
                .collect());
        }
        // Otherwise a stable counting sort by day: each day's rows keep their order.
        let mut counts = vec![0usize; days.len()];
        let slot: Vec<usize> = part
            .days
            .iter()
            .map(|d| days.binary_search(d).unwrap_or(0))
            .collect();
        for &g in &slot {
            counts[g] += 1;
        }
        let mut starts = Vec::with_capacity(days.len());
        let mut at = 0;
        for c in &counts {
            starts.push(at);
            at += c;
        }
        let mut order = vec![0u32; part.rows];
        let mut ids = vec![0u64; part.rows];
        let mut fill = starts.clone();
        for (row, &g) in slot.iter().enumerate() {
            order[fill[g]] = row as u32;
            ids[fill[g]] = part.ids[row];
            fill[g] += 1;
        }
        let sorted = take_record_batch(&batch, &UInt32Array::from(order))
            .map_err(|e| format!("grouping the {} rows by day: {e}", self.table))?;
        drop(batch);
        Ok(starts
            .iter()
            .zip(&counts)
            .map(|(&start, &n)| {
                (
                    self.columns.clone(),
                    sorted.slice(start, n),
                    ids[start..start + n].to_vec(),
                )
            })
            .collect())
    }

    /// Takes the buffered rows as one Arrow batch (the buffer keeps its columns).
    pub fn take(&mut self) -> Result<Taken, String> {
        let schema = self.schema();
        let parts = self.take_days()?;
        let columns = self.columns.clone();
        let batches: Vec<&RecordBatch> = parts.iter().map(|(_, b, _)| b).collect();
        let batch = concat_batches(&schema, batches)
            .map_err(|e| format!("building the {} batch: {e}", self.table))?;
        let ids = parts.into_iter().flat_map(|(_, _, ids)| ids).collect();
        Ok((columns, batch, ids))
    }
}

/// An element of an emptied cell list (never made: see [`crate::reuse::emptied`]).
fn no_cell<'a>() -> (usize, Cell<'a>) {
    (0, Cell::Null)
}

/// A fast-path value as a cell of type `ty`; `form` is what the walk of the record learnt of
/// its raw texts.
fn coerce_src<'a>(v: &'a Src<'_>, ty: KqlType, form: Canonical) -> Result<Cell<'a>, String> {
    match v {
        Src::Json(r) => coerce_json(r, ty, form),
        Src::Text(t) => crate::coerce::coerce_str(t, None, ty),
        Src::Value(v) => coerce(v, ty),
    }
}

/// A source column name as a Kusto column name: Log Analytics export suffixes (` [UTC]`)
/// dropped, characters Kusto names cannot hold replaced by `_`.
pub fn column_name(raw: &str) -> String {
    let t = raw.trim().trim_start_matches('\u{feff}');
    let t = t
        .strip_suffix("[UTC]")
        .or_else(|| t.strip_suffix("[Local Time]"))
        .unwrap_or(t)
        .trim_end();
    let mut s: String = t
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        s.push_str("Column");
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::datafusion::arrow::array::{Array, StringArray};
    use serde_json::json;

    fn row(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    /// The `X` values and ids of each batch taken.
    fn taken(buf: &mut TableBuffer) -> Vec<(Vec<Option<String>>, Vec<u64>)> {
        let days = buf.take_days().expect("batches");
        days.into_iter()
            .map(|(_, batch, ids)| {
                assert_eq!(batch.num_rows(), ids.len());
                let x = batch
                    .column_by_name("X")
                    .and_then(|c| c.as_any().downcast_ref::<StringArray>())
                    .map(|a| {
                        (0..a.len())
                            .map(|i| a.is_valid(i).then(|| a.value(i).to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                (x, ids)
            })
            .collect()
    }

    /// Sign-ins typed by the fast path (slots typed by plan) come out as the same rows as
    /// when every value goes through a row of named values, whatever the record sets itself
    /// (a column the mapping gives a constant, null, or nothing) and in any mix of shapes.
    #[test]
    fn planned_rows_match_rows_of_named_values() {
        use crate::formats::graph_signin::INTERACTIVE;
        use crate::formats::signin_plan::{Plans, map_signin};
        let mut next = crate::testing::xorshift(0x2545_f491_4f6c_dd1d);
        let optional = |v: u64, key: &str, value: Value| match v {
            0 => None,
            1 => Some((key.to_string(), Value::Null)),
            _ => Some((key.to_string(), value)),
        };
        let records: Vec<String> = (0..3000)
            .map(|i| {
                let mut o = Map::new();
                o.insert("id".into(), json!(format!("r{i}")));
                o.insert(
                    "createdDateTime".into(),
                    json!(format!("2026-10-0{}T10:00:00Z", 1 + next(3))),
                );
                if next(8) > 0 {
                    let code = if next(2) == 0 { 0 } else { 50126 };
                    o.insert("status".into(), json!({"errorCode": code}));
                }
                let rare = |n: &mut dyn FnMut(u64) -> u64| if n(10) == 0 { n(3) } else { 0 };
                for (key, value) in [
                    ("operationName", json!("Custom op")),
                    ("category", json!("Custom category")),
                    ("durationMs", json!(17)),
                    ("resultSignature", json!("ODD")),
                    ("level", json!("2")),
                ] {
                    let v = rare(&mut next);
                    if let Some((k, v)) = optional(v, key, value) {
                        o.insert(k, v);
                    }
                }
                Value::Object(o).to_string()
            })
            .collect();
        let mut fast = TableBuffer::new(INTERACTIVE, Vec::new());
        let mut named = TableBuffer::new(INTERACTIVE, Vec::new());
        let mut plans = Plans::default();
        for (i, text) in records.iter().enumerate() {
            let mut members = Vec::new();
            let form = crate::rawjson::object_members_into(text, &mut members).expect("record");
            let mut slots = SlotRow::default();
            let p = plans.map(INTERACTIVE, &members, None, &mut slots);
            let plan = plans.get_mut(p).expect("plan");
            fast.push_slots(plan, &slots, i as u64, form)
                .expect("fast row");
            let raw = map_signin(INTERACTIVE, &members, None);
            named.push_raw(&raw, i as u64).expect("named row");
        }
        let (fast_cols, fast_batch, fast_ids) = fast.take().expect("fast batch");
        let (named_cols, named_batch, named_ids) = named.take().expect("named batch");
        assert_eq!(fast_cols, named_cols);
        assert_eq!(fast_ids, named_ids);
        assert_eq!(fast_batch, named_batch);
        let ops = fast_batch
            .column_by_name("OperationName")
            .and_then(|c| c.as_any().downcast_ref::<StringArray>().cloned())
            .expect("OperationName");
        assert!(ops.iter().any(|v| v == Some("Custom op")));
        assert!(
            ops.iter()
                .filter(|v| *v == Some("Sign-in activity"))
                .count()
                > 2000
        );
    }

    #[test]
    fn rows_of_several_days_come_out_grouped_by_day_in_arrival_order() {
        let cols = vec![ColumnDef::new("TimeGenerated", KqlType::DateTime)];
        let mut buf = TableBuffer::new("T", cols);
        let rows = [
            ("2026-10-03T01:00:00Z", Some("a")),
            ("2026-10-01T05:00:00Z", None),
            ("2026-10-03T00:00:00Z", Some("c")),
            ("2026-10-02T23:59:59.9999999Z", Some("d")),
            ("2026-10-01T00:00:00Z", Some("e")),
        ];
        for (i, (t, x)) in rows.iter().enumerate() {
            // `X` is new to the table on the first row that sets it.
            let r = match x {
                Some(x) => row(json!({"TimeGenerated": t, "X": x})),
                None => row(json!({"TimeGenerated": t})),
            };
            buf.push(&r, i as u64).expect("row fits");
        }
        buf.push(&row(json!({"X": "no time"})), 9)
            .expect("row fits");
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            taken(&mut buf),
            vec![
                (vec![s("no time")], vec![9]),
                (vec![None, s("e")], vec![1, 4]),
                (vec![s("d")], vec![3]),
                (vec![s("a"), s("c")], vec![0, 2]),
            ]
        );
        assert_eq!(buf.rows(), 0);
        // Days in runs (time order): one batch per run, in arrival order.
        for (i, t) in [
            "2026-10-04T03:00:00Z",
            "2026-10-04T01:00:00Z",
            "2026-10-03T23:00:00Z",
            "2026-10-03T22:00:00Z",
            "2026-10-02T22:00:00Z",
        ]
        .iter()
        .enumerate()
        {
            let x = format!("r{i}");
            buf.push(&row(json!({"TimeGenerated": t, "X": x})), i as u64)
                .expect("row fits");
        }
        assert_eq!(
            taken(&mut buf),
            vec![
                (vec![s("r0"), s("r1")], vec![0, 1]),
                (vec![s("r2"), s("r3")], vec![2, 3]),
                (vec![s("r4")], vec![4]),
            ]
        );
        // One day: one batch, as appended; the buffer keeps its columns.
        buf.push(
            &row(json!({"TimeGenerated": "2026-10-05T01:00:00Z", "X": "f"})),
            5,
        )
        .expect("row fits");
        buf.push(&row(json!({"TimeGenerated": "2026-10-05T02:00:00Z"})), 6)
            .expect("row fits");
        assert_eq!(taken(&mut buf), vec![(vec![s("f"), None], vec![5, 6])]);
        assert!(buf.take_days().expect("nothing").is_empty());
    }
}
