//! Scanning a catalog table: reading its columns into the engine's KQL representation
//! (timestamps → ticks, narrow integers widened, strings never null).

use super::rel::{Rel, col_ref};
use crate::error::Result;
use crate::types::{KQL_TYPE_KEY, KqlType};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::catalog::TableProvider;
use datafusion::common::TableReference;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder, cast, lit};
use std::sync::Arc;

pub fn scan_table(name: &str, provider: Arc<dyn TableProvider>) -> Result<Rel> {
    let schema = provider.schema();
    let plan = LogicalPlanBuilder::scan(
        TableReference::bare(name),
        provider_as_source(provider),
        None,
    )?
    .build()?;
    let mut items = Vec::with_capacity(schema.fields().len());
    let mut needs_projection = false;
    for f in schema.fields() {
        let ty = KqlType::of_field(f);
        let c = col_ref(f.name());
        let (e, changed) = normalize(
            c,
            f.data_type(),
            ty,
            f.metadata().contains_key(KQL_TYPE_KEY),
        );
        needs_projection |= changed;
        items.push((f.name().clone(), crate::texpr::TExpr::new(e, ty)));
    }
    let rel = Rel::new(plan, items.iter().map(|(n, t)| (n.clone(), t.ty)).collect());
    if needs_projection {
        rel.project(items)
    } else {
        Ok(rel)
    }
}

/// The expression reading a stored column as the engine represents `ty`, and whether it differs
/// from the bare column.
fn normalize(c: Expr, dt: &DataType, ty: KqlType, _tagged: bool) -> (Expr, bool) {
    use crate::types::{TICKS_PER_DAY, TICKS_PER_MILLI, TICKS_PER_SECOND};
    let ticks = |e: Expr, mul: i64, div: i64| {
        let e = cast(e, DataType::Int64);
        let e = if mul != 1 { e * lit(mul) } else { e };
        if div != 1 { e / lit(div) } else { e }
    };
    match (dt, ty) {
        (DataType::Timestamp(unit, _), _) => {
            let e = cast(c, DataType::Timestamp(*unit, None));
            let e = match unit {
                TimeUnit::Second => ticks(e, TICKS_PER_SECOND, 1),
                TimeUnit::Millisecond => ticks(e, TICKS_PER_MILLI, 1),
                TimeUnit::Microsecond => ticks(e, 10, 1),
                TimeUnit::Nanosecond => ticks(e, 1, 100),
            };
            (e, true)
        }
        (DataType::Date32, _) => (ticks(c, TICKS_PER_DAY, 1), true),
        (DataType::Date64, _) => (ticks(c, TICKS_PER_MILLI, 1), true),
        (DataType::Duration(unit), _) => {
            let e = match unit {
                TimeUnit::Second => ticks(c, TICKS_PER_SECOND, 1),
                TimeUnit::Millisecond => ticks(c, TICKS_PER_MILLI, 1),
                TimeUnit::Microsecond => ticks(c, 10, 1),
                TimeUnit::Nanosecond => ticks(c, 1, 100),
            };
            (e, true)
        }
        (
            DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(_, _),
            KqlType::String,
        ) => (not_null_string(cast(c, DataType::Utf8)), true),
        (DataType::Utf8, KqlType::String) => (not_null_string(c), true),
        (_, KqlType::Dynamic) if *dt != DataType::Utf8 => {
            let s = cast(c, DataType::Utf8);
            (s, true)
        }
        (d, t) if *d != t.arrow() => (cast(c, t.arrow()), true),
        _ => (c, false),
    }
}

/// Strings are never null in KQL: nulls read as "". A column without nulls passes through
/// untouched (no copy), which is the common case for stored strings.
fn not_null_string(e: Expr) -> Expr {
    crate::functions::kit::call_exprs(&non_null_string_udf(), vec![e], KqlType::String).expr
}

fn non_null_string_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    use datafusion::arrow::array::{Array, StringArray};
    crate::cached_udf!(crate::functions::kit::udf(
        "kql_non_null_string",
        vec![DataType::Utf8],
        DataType::Utf8,
        |a, _| {
            if a[0].null_count() == 0 {
                return Ok(a[0].clone());
            }
            let s = datafusion::common::cast::as_string_array(&a[0])?;
            let out: StringArray = s.iter().map(|v| Some(v.unwrap_or(""))).collect();
            Ok(Arc::new(out) as datafusion::arrow::array::ArrayRef)
        }
    ))
}
