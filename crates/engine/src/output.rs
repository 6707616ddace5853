//! Encoding results as Kusto does: the REST v2 DataTable JSON frame, NDJSON, CSV and an
//! aligned terminal table.

use crate::run::QueryResult;
use crate::types::KqlType;
use crate::value;
use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{Float64Type, Int32Type, Int64Type};
use serde_json::{Map, Value};

/// The JSON value of one cell, encoded as Kusto encodes it.
pub fn cell_json(arr: &ArrayRef, row: usize, ty: KqlType) -> Value {
    if arr.is_null(row) {
        return if ty == KqlType::String {
            Value::String(String::new())
        } else {
            Value::Null
        };
    }
    match ty {
        KqlType::Bool => Value::Bool(arr.as_boolean().value(row)),
        KqlType::Int => Value::from(arr.as_primitive::<Int32Type>().value(row)),
        KqlType::Long => Value::from(arr.as_primitive::<Int64Type>().value(row)),
        KqlType::Real | KqlType::Decimal => {
            let v = arr.as_primitive::<Float64Type>().value(row);
            match serde_json::Number::from_f64(v) {
                Some(n) => Value::Number(n),
                None => Value::String(value::real::format(v)),
            }
        }
        KqlType::DateTime => Value::String(value::datetime::format_iso(
            arr.as_primitive::<Int64Type>().value(row),
        )),
        KqlType::TimeSpan => Value::String(value::timespan::format(
            arr.as_primitive::<Int64Type>().value(row),
        )),
        KqlType::String | KqlType::Guid => {
            Value::String(arr.as_string::<i32>().value(row).to_string())
        }
        KqlType::Dynamic => {
            let t = arr.as_string::<i32>().value(row);
            value::dynamic::parse(t).unwrap_or_else(|| Value::String(t.to_string()))
        }
    }
}

/// Display text of one cell (table and CSV output).
pub fn cell_text(arr: &ArrayRef, row: usize, ty: KqlType) -> String {
    match cell_json(arr, row, ty) {
        Value::Null => String::new(),
        Value::String(s) => s,
        Value::Number(n) if ty == KqlType::Real || ty == KqlType::Decimal => n
            .as_f64()
            .map(value::real::format)
            .unwrap_or_else(|| n.to_string()),
        other => other.to_string(),
    }
}

fn rows(res: &QueryResult) -> impl Iterator<Item = Vec<Value>> + '_ {
    res.batches.iter().flat_map(move |b| {
        (0..b.num_rows()).map(move |r| {
            res.columns
                .iter()
                .enumerate()
                .map(|(c, (_, t))| cell_json(b.column(c), r, *t))
                .collect()
        })
    })
}

/// `{"Columns":[{"ColumnName":..,"ColumnType":..}],"Rows":[[..]]}`
pub fn to_v2_json(res: &QueryResult) -> String {
    let cols: Vec<Value> = res
        .columns
        .iter()
        .map(|(n, t)| {
            let mut m = Map::new();
            m.insert("ColumnName".into(), Value::String(n.clone()));
            m.insert("ColumnType".into(), Value::String(t.name().into()));
            Value::Object(m)
        })
        .collect();
    let rows: Vec<Value> = rows(res).map(Value::Array).collect();
    let mut m = Map::new();
    m.insert("Columns".into(), Value::Array(cols));
    m.insert("Rows".into(), Value::Array(rows));
    Value::Object(m).to_string()
}

/// One JSON object per row.
pub fn to_ndjson(res: &QueryResult) -> String {
    let mut out = String::new();
    for row in rows(res) {
        let mut m = Map::new();
        for ((n, _), v) in res.columns.iter().zip(row) {
            m.insert(n.clone(), v);
        }
        out.push_str(&Value::Object(m).to_string());
        out.push('\n');
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn to_csv(res: &QueryResult) -> String {
    let mut out = res
        .columns
        .iter()
        .map(|(n, _)| csv_field(n))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    for b in &res.batches {
        for r in 0..b.num_rows() {
            let line: Vec<String> = res
                .columns
                .iter()
                .enumerate()
                .map(|(c, (_, t))| csv_field(&cell_text(b.column(c), r, *t)))
                .collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
    }
    out
}

/// An aligned table for terminals; long cells are cut to `max_width` characters.
pub fn to_table(res: &QueryResult, max_width: usize) -> String {
    let header: Vec<String> = res.columns.iter().map(|(n, _)| n.clone()).collect();
    let mut body: Vec<Vec<String>> = Vec::new();
    for b in &res.batches {
        for r in 0..b.num_rows() {
            body.push(
                res.columns
                    .iter()
                    .enumerate()
                    .map(|(c, (_, t))| {
                        let s = cell_text(b.column(c), r, *t).replace(['\n', '\r'], " ");
                        if s.chars().count() > max_width {
                            let cut: String = s.chars().take(max_width.saturating_sub(1)).collect();
                            format!("{cut}…")
                        } else {
                            s
                        }
                    })
                    .collect(),
            );
        }
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &body {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let fmt_row = |cells: &[String]| -> String {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect::<Vec<_>>()
            .join(" │ ")
            .trim_end()
            .to_string()
    };
    let mut out = fmt_row(&header);
    out.push('\n');
    out.push_str(
        &widths
            .iter()
            .map(|w| "─".repeat(*w))
            .collect::<Vec<_>>()
            .join("─┼─"),
    );
    out.push('\n');
    for row in &body {
        out.push_str(&fmt_row(row));
        out.push('\n');
    }
    let n = body.len();
    out.push_str(&format!("({n} row{})\n", if n == 1 { "" } else { "s" }));
    out
}
