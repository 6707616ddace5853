//! `x.a.b[3]` on dynamic values: the path is baked into the function, each row's JSON text is
//! scanned and the element's raw text sliced out without building a value tree (a full parse
//! only as a fallback). `tostring(x.a.b)` — the commonest use in detection content — fuses into
//! the same function and writes the string straight into the output.

use crate::texpr::TExpr;
use crate::types::KqlType;
use crate::value::dynamic::{self, PathElem};
use datafusion::arrow::array::{Array, ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::cast::as_string_array;
use datafusion::common::{Result as DFResult, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use std::any::Any;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

#[derive(Debug)]
pub struct PathUdf {
    name: String,
    path: Arc<Vec<PathElem>>,
    /// Return the element as a KQL string (`tostring`) rather than as dynamic JSON text.
    as_string: bool,
    signature: Signature,
}

impl PartialEq for PathUdf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for PathUdf {}
impl Hash for PathUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

fn path_key(path: &[PathElem]) -> String {
    path.iter()
        .map(|p| match p {
            // Keys are quoted so that a key holding '.' or '[' cannot collide with a path.
            PathElem::Key(k) => format!("[{k:?}]"),
            PathElem::Index(i) => format!("[{i}]"),
        })
        .collect()
}

impl PathUdf {
    fn new(path: Arc<Vec<PathElem>>, as_string: bool) -> Self {
        let name = format!(
            "kql_path{}{}",
            if as_string { "_str" } else { "" },
            path_key(&path)
        );
        PathUdf {
            name,
            path,
            as_string,
            signature: Signature::exact(vec![DataType::Utf8], Volatility::Immutable),
        }
    }

    /// The element's dynamic JSON text (compact), or None for a missing element or null.
    fn element<'a>(&self, text: &'a str, scratch: &'a mut String) -> Option<&'a str> {
        if let Some(raw) = dynamic::get_path_raw(text, &self.path) {
            if raw == "null" {
                return None;
            }
            if raw.starts_with('"') || !raw.contains([' ', '\n', '\t', '\r']) {
                return Some(raw);
            }
        }
        let v = dynamic::parse(text)?;
        let e = dynamic::get_path(&v, &self.path).filter(|x| !x.is_null())?;
        *scratch = dynamic::to_text(e);
        Some(scratch.as_str())
    }
}

/// `tostring()` of dynamic JSON text: a JSON string without escapes is its inner text, other
/// values go through the full conversion.
pub fn dynamic_text_to_string(t: &str, out: &mut StringBuilder) {
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') && !t.contains('\\') {
        out.append_value(&t[1..t.len() - 1]);
        return;
    }
    match dynamic::parse(t) {
        Some(j) => out.append_value(dynamic::to_kql_string(&j)),
        None => out.append_value(t),
    }
}

impl ScalarUDFImpl for PathUdf {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> DFResult<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DFResult<ColumnarValue> {
        let scalar = matches!(args.args.first(), Some(ColumnarValue::Scalar(_)));
        let n = if scalar { 1 } else { args.number_rows };
        let input = match args.args.first() {
            Some(a) => a.to_array(n)?,
            None => return Ok(ColumnarValue::Scalar(ScalarValue::Utf8(None))),
        };
        let s = as_string_array(&input)?;
        let mut b = StringBuilder::with_capacity(s.len(), s.len() * 8);
        let mut scratch = String::new();
        for i in 0..s.len() {
            let elem = if s.is_null(i) {
                None
            } else {
                self.element(s.value(i), &mut scratch)
            };
            match (elem, self.as_string) {
                (Some(t), false) => b.append_value(t),
                (None, false) => b.append_null(),
                (Some(t), true) => dynamic_text_to_string(t, &mut b),
                (None, true) => b.append_value(""),
            }
        }
        let out: ArrayRef = Arc::new(b.finish());
        if scalar {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
        } else {
            Ok(ColumnarValue::Array(out))
        }
    }
}

/// `base.a.b[3]` as dynamic. Over `parse_json(text)` the path reads the text itself: the
/// element found is the same, and no value tree is built and re-serialised per row.
pub fn dynamic_path(base: TExpr, path: Vec<PathElem>) -> TExpr {
    let arg = match &base.expr {
        Expr::ScalarFunction(f) if f.func.name() == "kql_parse_json" && f.args.len() == 1 => {
            f.args[0].clone()
        }
        _ => base.expr,
    };
    let u = ScalarUDF::new_from_impl(PathUdf::new(Arc::new(path), false));
    TExpr::new(u.call(vec![arg]), KqlType::Dynamic)
}

/// `tostring(e)` when `e` is a path access: the fused form; None otherwise.
pub fn fuse_tostring(e: &Expr) -> Option<TExpr> {
    let Expr::ScalarFunction(f) = e else {
        return None;
    };
    let inner: &dyn Any = f.func.inner().as_ref();
    let p = inner.downcast_ref::<PathUdf>()?;
    if p.as_string {
        return None;
    }
    let u = ScalarUDF::new_from_impl(PathUdf::new(p.path.clone(), true));
    Some(TExpr::new(u.call(f.args.clone()), KqlType::String))
}
