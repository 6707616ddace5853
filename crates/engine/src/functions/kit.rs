//! Building blocks for writing KQL functions as DataFusion UDFs.
//!
//! Most KQL functions are row-wise: [`udf`] wraps a closure over whole Arrow arrays into a
//! `ScalarUDF`. Constant arguments arrive as arrays of the batch length (or of length 1 when
//! every argument is constant, in which case the result is folded back into a scalar).

use crate::error::{EngineError, Result};
use crate::texpr::TExpr;
use crate::types::KqlType;
use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result as DFResult;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use kql::ast::Span;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

type ArrayFn = dyn Fn(&[ArrayRef], usize) -> DFResult<ArrayRef> + Send + Sync;

/// A row-wise UDF defined by a closure over arrays.
pub struct ArrayUdf {
    name: String,
    signature: Signature,
    ret: DataType,
    fun: Arc<ArrayFn>,
}

impl std::fmt::Debug for ArrayUdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ArrayUdf({})", self.name)
    }
}

impl PartialEq for ArrayUdf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.signature == other.signature && self.ret == other.ret
    }
}
impl Eq for ArrayUdf {}
impl Hash for ArrayUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.ret.hash(state);
    }
}

impl ScalarUDFImpl for ArrayUdf {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> DFResult<DataType> {
        Ok(self.ret.clone())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DFResult<ColumnarValue> {
        let all_scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let n = if all_scalar && !args.args.is_empty() {
            1
        } else {
            args.number_rows
        };
        let arrays: Vec<ArrayRef> = args
            .args
            .iter()
            .map(|a| a.to_array(n))
            .collect::<DFResult<_>>()?;
        let out = (self.fun)(&arrays, n)?;
        if all_scalar && !args.args.is_empty() {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
        } else {
            Ok(ColumnarValue::Array(out))
        }
    }
}

/// Makes a UDF named `name` taking exactly `inputs` and returning `ret`. The closure gets the
/// argument arrays (all of the same length) and that length (useful for zero-argument
/// functions). Functions are immutable unless `volatile` is set (e.g. `rand()`, `newguid()`).
pub fn udf<F>(name: &str, inputs: Vec<DataType>, ret: DataType, fun: F) -> Arc<ScalarUDF>
where
    F: Fn(&[ArrayRef], usize) -> DFResult<ArrayRef> + Send + Sync + 'static,
{
    make_udf(name, inputs, ret, Volatility::Immutable, fun)
}

pub fn volatile_udf<F>(name: &str, inputs: Vec<DataType>, ret: DataType, fun: F) -> Arc<ScalarUDF>
where
    F: Fn(&[ArrayRef], usize) -> DFResult<ArrayRef> + Send + Sync + 'static,
{
    make_udf(name, inputs, ret, Volatility::Volatile, fun)
}

fn make_udf<F>(
    name: &str,
    inputs: Vec<DataType>,
    ret: DataType,
    vol: Volatility,
    fun: F,
) -> Arc<ScalarUDF>
where
    F: Fn(&[ArrayRef], usize) -> DFResult<ArrayRef> + Send + Sync + 'static,
{
    let signature = if inputs.is_empty() {
        Signature::nullary(vol)
    } else {
        Signature::exact(inputs, vol)
    };
    Arc::new(ScalarUDF::new_from_impl(ArrayUdf {
        name: name.to_string(),
        signature,
        ret,
        fun: Arc::new(fun),
    }))
}

/// Calls `udf` on typed arguments, producing a typed result.
pub fn call(udf: &Arc<ScalarUDF>, args: Vec<TExpr>, ty: KqlType) -> TExpr {
    TExpr::new(udf.call(args.into_iter().map(|a| a.expr).collect()), ty)
}

/// Calls `udf` on raw expressions.
pub fn call_exprs(udf: &Arc<ScalarUDF>, args: Vec<Expr>, ty: KqlType) -> TExpr {
    TExpr::new(udf.call(args), ty)
}

/// Checks the argument count of a call: `min..=max`.
pub fn arity(name: &str, args: &[TExpr], min: usize, max: usize, span: Span) -> Result<()> {
    if args.len() < min || args.len() > max {
        let want = if min == max {
            format!("{min}")
        } else if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(EngineError::plan(
            format!(
                "function '{name}' expects {want} argument(s), got {}",
                args.len()
            ),
            span,
        ));
    }
    Ok(())
}

/// Wraps an execution-time error message for a UDF.
pub fn exec_err(msg: impl Into<String>) -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::Execution(msg.into())
}

/// Caches a UDF in a `static` so each is built once: `cached!(NAME_UDF, udf("name", ...))`.
#[macro_export]
macro_rules! cached_udf {
    ($init:expr) => {{
        static CELL: std::sync::OnceLock<std::sync::Arc<datafusion::logical_expr::ScalarUDF>> =
            std::sync::OnceLock::new();
        CELL.get_or_init(|| $init).clone()
    }};
}

/// A row-wise UDF over `k` dynamic (JSON text) arguments, computed on their parsed values
/// (null or invalid JSON arrives as `Value::Null`); `None` gives a null result. The result
/// is dynamic text.
pub fn json_udf<F>(name: &str, k: usize, f: F) -> Arc<ScalarUDF>
where
    F: Fn(&[crate::value::dynamic::Value]) -> Option<crate::value::dynamic::Value>
        + Send
        + Sync
        + 'static,
{
    use crate::value::dynamic;
    udf(
        name,
        vec![DataType::Utf8; k],
        DataType::Utf8,
        move |a, n| {
            super::rowwise::strings(n, |i| {
                let mut vals = Vec::with_capacity(k);
                for col in a.iter().take(k) {
                    vals.push(
                        super::rowwise::str_at(col, i)?
                            .and_then(dynamic::parse)
                            .unwrap_or(dynamic::Value::Null),
                    );
                }
                Ok(f(&vals).map(|v| dynamic::to_text(&v)))
            })
        },
    )
}

/// Plans `c` as a [`json_udf`] over its arguments (each converted to dynamic), with the
/// result converted to `ty`. The UDF is named after the function and its argument count.
pub fn json_call<F>(c: super::Call<'_>, ty: KqlType, f: F) -> TExpr
where
    F: Fn(&[crate::value::dynamic::Value]) -> Option<crate::value::dynamic::Value>
        + Send
        + Sync
        + 'static,
{
    let k = c.args.len();
    let u = json_udf(&format!("kql_{}_{k}", c.name), k, f);
    let out = call(
        &u,
        c.args
            .into_iter()
            .map(super::conversion::to_dynamic)
            .collect(),
        KqlType::Dynamic,
    );
    if ty == KqlType::Dynamic {
        out
    } else {
        super::conversion::convert(out, ty)
    }
}
