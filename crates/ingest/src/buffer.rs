//! Rows of one table on their way to the store: typed Arrow builders, one per column. A row is
//! coerced whole before anything is appended, so a bad value rejects its row and nothing else.
//! Columns the schema does not know are added on first sight (type from the value) and
//! back-filled with nulls.

use crate::coerce::{Cell, coerce, coerce_raw, infer_type};
use crate::formats::{RawRow, Src};
use engine::KqlType;
use engine::datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, RecordBatch,
    StringBuilder,
};
use engine::datafusion::arrow::datatypes::Schema;
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
    fn new(ty: KqlType) -> Col {
        match ty {
            KqlType::Bool => Col::Bool(BooleanBuilder::new()),
            KqlType::Int => Col::Int(Int32Builder::new()),
            KqlType::Long | KqlType::DateTime | KqlType::TimeSpan => Col::Long(Int64Builder::new()),
            KqlType::Real | KqlType::Decimal => Col::Real(Float64Builder::new()),
            KqlType::String | KqlType::Guid | KqlType::Dynamic => Col::Text(StringBuilder::new()),
        }
    }

    fn append_nulls(&mut self, n: usize) {
        match self {
            Col::Bool(b) => b.append_nulls(n),
            Col::Int(b) => b.append_nulls(n),
            Col::Long(b) => b.append_nulls(n),
            Col::Real(b) => b.append_nulls(n),
            Col::Text(b) => {
                for _ in 0..n {
                    b.append_null()
                }
            }
        }
    }

    /// Appends a coerced cell (whose variant matches the column, by construction of `coerce`).
    fn append(&mut self, c: Cell<'_>) {
        match (self, c) {
            (Col::Bool(b), Cell::Bool(v)) => b.append_value(v),
            (Col::Int(b), Cell::Int(v)) => b.append_value(v as i32),
            (Col::Long(b), Cell::Int(v) | Cell::Ticks(v)) => b.append_value(v),
            (Col::Real(b), Cell::Real(v)) => b.append_value(v),
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

pub struct TableBuffer {
    pub table: String,
    columns: Vec<ColumnDef>,
    types: Vec<KqlType>,
    index: HashMap<String, usize, ahash::RandomState>,
    cols: Vec<Col>,
    ids: Vec<u64>,
    /// Scratch: which columns the row being appended has set.
    seen: Vec<bool>,
    rows: usize,
    approx_bytes: usize,
}

impl TableBuffer {
    /// A buffer whose columns start as `columns` (the store's, else the known schema's).
    pub fn new(table: &str, columns: Vec<ColumnDef>) -> Self {
        let mut b = TableBuffer {
            table: table.to_string(),
            columns: Vec::new(),
            types: Vec::new(),
            index: HashMap::default(),
            cols: Vec::new(),
            ids: Vec::new(),
            seen: Vec::new(),
            rows: 0,
            approx_bytes: 0,
        };
        for c in columns {
            b.add_column(&c.name, c.ty());
        }
        b
    }

    fn add_column(&mut self, name: &str, ty: KqlType) -> usize {
        let mut col = Col::new(ty);
        col.append_nulls(self.rows);
        self.columns.push(ColumnDef::new(name, ty));
        self.types.push(ty);
        self.cols.push(col);
        self.index.insert(name.to_string(), self.columns.len() - 1);
        self.columns.len() - 1
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

    /// Appends one row, or says which column's value does not fit.
    pub fn push(&mut self, row: &Map<String, Value>, id: u64) -> Result<(), String> {
        let mut cells: Vec<(usize, Cell)> = Vec::with_capacity(row.len());
        for (k, v) in row {
            let Some(idx) = self.column_for(k, v.is_null(), |name| infer_type(name, v)) else {
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
        for (k, v) in &row.cols {
            let null = v.is_null();
            let Some(idx) = self.column_for(k, null, |name| v.infer_type(name)) else {
                continue;
            };
            let ty = self.types[idx];
            let cell = match v {
                Src::Json(r) => coerce_raw(r, ty),
                Src::Text(t) => crate::coerce::coerce_str(t, None, ty),
                Src::Value(v) => coerce(v, ty),
            }
            .map_err(|e| format!("column {k} ({ty}): {e}"))?;
            cells.push((idx, cell));
        }
        self.append_row(cells, id)
    }

    fn append_row(&mut self, cells: Vec<(usize, Cell<'_>)>, id: u64) -> Result<(), String> {
        for (idx, cell) in &cells {
            if self.types[*idx] == KqlType::Int
                && let Cell::Int(i) = cell
                && i32::try_from(*i).is_err()
            {
                return Err(format!(
                    "column {} (int): {i} is out of the int range",
                    self.columns[*idx].name
                ));
            }
        }
        self.seen.clear();
        self.seen.resize(self.cols.len(), false);
        for (idx, cell) in cells.into_iter().rev() {
            if self.seen[idx] {
                continue; // a column set twice: the last setting wins
            }
            self.seen[idx] = true;
            if let Cell::Text(t) = &cell {
                self.approx_bytes += t.len();
            } else {
                self.approx_bytes += 8;
            }
            self.cols[idx].append(cell);
        }
        for (idx, s) in self.seen.iter().enumerate() {
            if !s {
                self.cols[idx].append_nulls(1);
            }
        }
        self.ids.push(id);
        self.rows += 1;
        Ok(())
    }

    /// Takes the buffered rows as one Arrow batch (the buffer keeps its columns).
    pub fn take(&mut self) -> Result<(Vec<ColumnDef>, RecordBatch, Vec<u64>), String> {
        let fields: Vec<_> = self
            .columns
            .iter()
            .zip(&self.types)
            .map(|(c, t)| t.field(&c.name))
            .collect();
        let arrays: Vec<ArrayRef> = self.cols.iter_mut().map(Col::finish).collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
            .map_err(|e| format!("building the {} batch: {e}", self.table))?;
        self.rows = 0;
        self.approx_bytes = 0;
        Ok((self.columns.clone(), batch, std::mem::take(&mut self.ids)))
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
