//! Constant columns: a data file leaves out the columns that hold one value in every one of
//! its rows (a sign-in table's `Type`, `Category`, `OperationName`, `TenantId`, …) and names
//! them, with their value, in its schema metadata and in the manifest. Parquet would encode
//! such a column value by value (a dictionary look-up per row); left out, it costs nothing to
//! write. Readers put the value back: [`crate::table`] rewrites references to a left-out
//! column into the literal (see [`ConstantsAdapterFactory`]) and gives the file's statistics
//! for it (one distinct value, no nulls), so results are those of the full file.

use datafusion::arrow::array::{
    Array, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray,
};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{Column, Literal};
use datafusion::physical_expr_adapter::{
    DefaultPhysicalExprAdapterFactory, PhysicalExprAdapter, PhysicalExprAdapterFactory,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Schema metadata key of a data file: a JSON object of the columns the file leaves out,
/// each with its value as text (see [`Const::text`]).
pub const CONSTANTS_KEY: &str = "peregrine.constants";

/// Rows a file's first batch needs before its columns are judged constant: fewer rows say
/// too little, and a column judged constant that later varies costs a new file.
pub(crate) const CONSTANT_SAMPLE_MIN: usize = 1024;

/// One value in every row of a column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Const {
    Text(String),
    Long(i64),
    Int(i32),
    Bool(bool),
    /// By bit pattern: equal bits, equal value (NaN and -0.0 included).
    Real(u64),
}

impl Const {
    /// The value of `col` when every row holds it (no nulls, at least one row); None for
    /// any other column, and for types without a constant form.
    pub(crate) fn of(col: &dyn Array) -> Option<Const> {
        if col.is_empty() || col.null_count() > 0 {
            return None;
        }
        let any = col.as_any();
        if let Some(a) = any.downcast_ref::<StringArray>() {
            let first = a.value(0);
            return (0..a.len())
                .all(|i| a.value(i) == first)
                .then(|| Const::Text(first.to_string()));
        }
        if let Some(a) = any.downcast_ref::<Int64Array>() {
            let first = a.value(0);
            return a
                .values()
                .iter()
                .all(|v| *v == first)
                .then_some(Const::Long(first));
        }
        if let Some(a) = any.downcast_ref::<Int32Array>() {
            let first = a.value(0);
            return a
                .values()
                .iter()
                .all(|v| *v == first)
                .then_some(Const::Int(first));
        }
        if let Some(a) = any.downcast_ref::<BooleanArray>() {
            let first = a.value(0);
            let all = if first {
                a.true_count() == a.len()
            } else {
                a.false_count() == a.len()
            };
            return all.then_some(Const::Bool(first));
        }
        if let Some(a) = any.downcast_ref::<Float64Array>() {
            let first = a.value(0).to_bits();
            return a
                .values()
                .iter()
                .all(|v| v.to_bits() == first)
                .then_some(Const::Real(first));
        }
        None
    }

    /// Whether every row of `col` holds this value (compared in place: this runs on every
    /// batch for every column left out).
    pub(crate) fn holds(&self, col: &dyn Array) -> bool {
        if col.null_count() > 0 {
            return false;
        }
        let any = col.as_any();
        match self {
            Const::Text(v) => any
                .downcast_ref::<StringArray>()
                .is_some_and(|a| (0..a.len()).all(|i| a.value(i) == v)),
            Const::Long(v) => any
                .downcast_ref::<Int64Array>()
                .is_some_and(|a| a.values().iter().all(|x| x == v)),
            Const::Int(v) => any
                .downcast_ref::<Int32Array>()
                .is_some_and(|a| a.values().iter().all(|x| x == v)),
            Const::Bool(v) => any.downcast_ref::<BooleanArray>().is_some_and(|a| {
                if *v {
                    a.true_count() == a.len()
                } else {
                    a.false_count() == a.len()
                }
            }),
            Const::Real(bits) => any
                .downcast_ref::<Float64Array>()
                .is_some_and(|a| a.values().iter().all(|x| x.to_bits() == *bits)),
        }
    }

    /// The value as the text the metadata carries.
    pub(crate) fn text(&self) -> String {
        match self {
            Const::Text(s) => s.clone(),
            Const::Long(v) => v.to_string(),
            Const::Int(v) => v.to_string(),
            Const::Bool(v) => v.to_string(),
            Const::Real(bits) => format!("{:?}", f64::from_bits(*bits)),
        }
    }
}

/// The value of a left-out column, typed as the table's column; None when the text does not
/// read as that type (a store written by something else): the column then reads as null.
pub fn scalar(text: &str, ty: &DataType) -> Option<ScalarValue> {
    Some(match ty {
        DataType::Utf8 => ScalarValue::Utf8(Some(text.to_string())),
        DataType::LargeUtf8 => ScalarValue::LargeUtf8(Some(text.to_string())),
        DataType::Utf8View => ScalarValue::Utf8View(Some(text.to_string())),
        DataType::Int64 => ScalarValue::Int64(Some(text.parse().ok()?)),
        DataType::Int32 => ScalarValue::Int32(Some(text.parse().ok()?)),
        DataType::Boolean => ScalarValue::Boolean(Some(text.parse().ok()?)),
        DataType::Float64 => ScalarValue::Float64(Some(text.parse().ok()?)),
        _ => return None,
    })
}

/// The left-out columns a file's schema metadata names (empty when none, or unreadable).
pub fn from_metadata(metadata: &HashMap<String, String>) -> BTreeMap<String, String> {
    metadata
        .get(CONSTANTS_KEY)
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default()
}

/// Makes the expression adapters of a scan: the default ones (missing columns read as null,
/// types cast), except that a column the file left out as constant reads as its value.
#[derive(Debug, Default)]
pub struct ConstantsAdapterFactory;

impl PhysicalExprAdapterFactory for ConstantsAdapterFactory {
    fn create(
        &self,
        logical_file_schema: SchemaRef,
        physical_file_schema: SchemaRef,
    ) -> datafusion::common::Result<Arc<dyn PhysicalExprAdapter>> {
        let inner = DefaultPhysicalExprAdapterFactory
            .create(logical_file_schema.clone(), physical_file_schema.clone())?;
        let mut values = HashMap::new();
        for (name, text) in from_metadata(physical_file_schema.metadata()) {
            if physical_file_schema.index_of(&name).is_ok() {
                continue;
            }
            if let Ok(field) = logical_file_schema.field_with_name(&name)
                && let Some(v) = scalar(&text, field.data_type())
            {
                values.insert(name, v);
            }
        }
        if values.is_empty() {
            return Ok(inner);
        }
        Ok(Arc::new(ConstantsAdapter { values, inner }))
    }
}

#[derive(Debug)]
struct ConstantsAdapter {
    /// Left-out columns by name, with their values.
    values: HashMap<String, ScalarValue>,
    inner: Arc<dyn PhysicalExprAdapter>,
}

impl PhysicalExprAdapter for ConstantsAdapter {
    fn rewrite(
        &self,
        expr: Arc<dyn PhysicalExpr>,
    ) -> datafusion::common::Result<Arc<dyn PhysicalExpr>> {
        let expr = expr
            .transform(|e| {
                if let Some(c) = e.downcast_ref::<Column>()
                    && let Some(v) = self.values.get(c.name())
                {
                    let lit: Arc<dyn PhysicalExpr> = Arc::new(Literal::new(v.clone()));
                    return Ok(Transformed::yes(lit));
                }
                Ok(Transformed::no(e))
            })
            .data()?;
        self.inner.rewrite(expr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::ArrayRef;

    #[test]
    fn constant_values_are_found_and_checked() {
        let text: ArrayRef = Arc::new(StringArray::from(vec!["Sign-in activity"; 3]));
        let c = Const::of(text.as_ref());
        assert_eq!(c, Some(Const::Text("Sign-in activity".into())));
        let varying: ArrayRef = Arc::new(StringArray::from(vec!["a", "a", "b"]));
        assert_eq!(Const::of(varying.as_ref()), None);
        let with_null: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None]));
        assert_eq!(Const::of(with_null.as_ref()), None);
        let c = c.unwrap_or(Const::Int(0));
        assert!(c.holds(text.as_ref()));
        assert!(!c.holds(varying.as_ref()));
        let longs: ArrayRef = Arc::new(Int64Array::from(vec![0i64; 4]));
        assert_eq!(Const::of(longs.as_ref()), Some(Const::Long(0)));
        let bools: ArrayRef = Arc::new(BooleanArray::from(vec![false, false]));
        assert_eq!(Const::of(bools.as_ref()), Some(Const::Bool(false)));
        let mixed: ArrayRef = Arc::new(BooleanArray::from(vec![false, true]));
        assert_eq!(Const::of(mixed.as_ref()), None);
    }

    #[test]
    fn texts_read_back_as_the_same_values() {
        for (c, ty) in [
            (Const::Long(-42), DataType::Int64),
            (Const::Int(7), DataType::Int32),
            (Const::Bool(true), DataType::Boolean),
            (Const::Real(0.1f64.to_bits()), DataType::Float64),
            (Const::Real((-0.0f64).to_bits()), DataType::Float64),
            (Const::Text("x y".into()), DataType::Utf8),
        ] {
            let v = scalar(&c.text(), &ty);
            let back = v
                .and_then(|v| v.to_array().ok())
                .and_then(|a| Const::of(a.as_ref()));
            assert_eq!(back, Some(c));
        }
        assert_eq!(scalar("12x", &DataType::Int64), None);
    }
}
