//! Dynamic family (placeholder until the dynamic family lands).

use super::kit::{call, udf};
use crate::cached_udf;
use crate::texpr::TExpr;
use crate::types::KqlType;
use crate::value::dynamic::{self, PathElem};
use datafusion::arrow::array::{ArrayRef, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::cast::as_string_array;
use std::sync::Arc;

pub fn dynamic_path(base: TExpr, path: Vec<PathElem>) -> TExpr {
    let p = serde_json::to_string(
        &path
            .iter()
            .map(|e| match e {
                PathElem::Key(k) => serde_json::Value::String(k.clone()),
                PathElem::Index(i) => serde_json::Value::from(*i),
            })
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    let f = cached_udf!(udf(
        "kql_dyn_path",
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Utf8,
        |a, _| {
            let s = as_string_array(&a[0])?;
            let p = as_string_array(&a[1])?;
            let out: StringArray = s
                .iter()
                .zip(p.iter())
                .map(|(v, p)| {
                    let v = dynamic::parse(v?)?;
                    let path: Vec<serde_json::Value> = serde_json::from_str(p?).ok()?;
                    let path: Vec<PathElem> = path
                        .into_iter()
                        .map(|x| match x {
                            serde_json::Value::String(s) => PathElem::Key(s),
                            other => PathElem::Index(other.as_i64().unwrap_or(0)),
                        })
                        .collect();
                    let r = dynamic::get_path(&v, &path)?;
                    if r.is_null() {
                        None
                    } else {
                        Some(dynamic::to_text(r))
                    }
                })
                .collect();
            Ok(Arc::new(out) as ArrayRef)
        }
    ));
    call(&f, vec![base, TExpr::string(p)], KqlType::Dynamic)
}

pub fn dynamic_index(base: TExpr, _index: TExpr) -> TExpr {
    TExpr::null(KqlType::Dynamic).or(base)
}

pub fn pack_all(_columns: Vec<(String, TExpr)>) -> TExpr {
    TExpr::null(KqlType::Dynamic)
}

impl TExpr {
    fn or(self, _other: TExpr) -> TExpr {
        self
    }
}
