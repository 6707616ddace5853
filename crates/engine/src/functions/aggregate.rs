//! Aggregate family: what `summarize` accepts. Built on DataFusion's aggregates where the
//! semantics agree (count, sum, avg, min, max, stdev, variance, dcount as an exact distinct
//! count), and our own accumulators for Kusto's collecting aggregates (`make_list`, `make_set`,
//! `make_bag`, `percentile`), which produce dynamic JSON directly.

use crate::bail;
use crate::error::Result;
use crate::functions::conversion::{convert, to_dynamic};
use crate::texpr::TExpr;
use crate::types::KqlType;
use datafusion::arrow::array::{Array, ArrayRef, ListArray, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::common::cast::as_string_array;
use datafusion::error::Result as DFResult;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Expr, ExprFunctionExt, Signature, Volatility, lit,
};
use kql::ast::Span;
use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

/// Planned aggregates waiting to be put into an `Aggregate` node.
#[derive(Default)]
pub struct AggCollector {
    /// (aggregate expression, internal column name, KQL type)
    pub aggs: Vec<(Expr, String, KqlType)>,
}

impl AggCollector {
    pub fn push(&mut self, e: Expr, ty: KqlType) -> TExpr {
        let name = format!("__agg{}", self.aggs.len());
        // `coalesce(agg, default)` marked by AggPost: aggregate the inner call, coalesce after.
        if let Expr::Alias(a) = &e
            && a.name == POST_MARK
            && let Expr::ScalarFunction(f) = a.expr.as_ref()
            && f.args.len() == 2
        {
            let inner = f.args[0].clone();
            let dflt = f.args[1].clone();
            self.aggs.push((inner, name.clone(), ty));
            let c = crate::plan::rel::col_ref(&name);
            return TExpr::new(datafusion::functions::expr_fn::coalesce(vec![c, dflt]), ty);
        }
        self.aggs.push((e, name.clone(), ty));
        TExpr::new(crate::plan::rel::col_ref(&name), ty)
    }
}

const AGGS: &[&str] = &[
    "count",
    "countif",
    "dcount",
    "dcountif",
    "count_distinct",
    "count_distinctif",
    "sum",
    "sumif",
    "avg",
    "avgif",
    "min",
    "max",
    "minif",
    "maxif",
    "make_list",
    "make_list_if",
    "make_list_with_nulls",
    "make_set",
    "make_set_if",
    "make_bag",
    "make_bag_if",
    "take_any",
    "take_anyif",
    "any",
    "anyif",
    "arg_max",
    "arg_min",
    "percentile",
    "percentiles",
    "percentilew",
    "stdev",
    "stdevif",
    "stdevp",
    "variance",
    "varianceif",
    "variancep",
    "hll",
    "hll_merge",
    "tdigest",
    "binary_all_and",
    "binary_all_or",
    "covariance",
    "covariancep",
    "covarianceif",
];

pub fn is_aggregate(name: &str) -> bool {
    AGGS.contains(&name)
}

/// The default result column name of an unnamed aggregate (`count_`, `sum_x`, `list_x`...),
/// given the derived name of its first argument (if any).
pub fn default_name(func: &str, arg_names: &[Option<String>], extra: &[String]) -> String {
    let base = match func {
        "make_list" | "make_list_if" | "make_list_with_nulls" => "list",
        "make_set" | "make_set_if" => "set",
        "make_bag" | "make_bag_if" => "bag",
        "take_any" | "any" => "any",
        "take_anyif" | "anyif" => "anyif",
        "count_distinct" => "count_distinct",
        other => other,
    };
    let mut s = format!("{base}_");
    let named: Vec<&String> = arg_names.iter().flatten().collect();
    match func {
        "covariance" | "covariancep" | "covarianceif" => s.push_str(
            &named
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join("_"),
        ),
        _ => {
            if let Some(Some(n)) = arg_names.first() {
                s.push_str(n);
            }
        }
    }
    for e in extra {
        s.push('_');
        s.push_str(e);
    }
    s
}

fn number(e: TExpr) -> TExpr {
    match e.ty {
        KqlType::Dynamic | KqlType::String | KqlType::Bool => convert(e, KqlType::Real),
        _ => e,
    }
}

/// Builds the aggregate expression for `func(args)`; the result type is returned beside it.
pub fn build(func: &str, mut args: Vec<TExpr>, span: Span) -> Result<(Expr, KqlType)> {
    let n = args.len();
    let need = |k: usize| -> Result<()> {
        if n != k {
            bail!(span, "aggregate '{func}' expects {k} argument(s), got {n}")
        }
        Ok(())
    };
    let pred = |e: TExpr| -> Expr { convert(e, KqlType::Bool).expr };
    Ok(match func {
        "count" => match n {
            0 => (agg::count(lit(1)), KqlType::Long),
            // The Kusto docs show `count(y)` counting every row of the group, nulls included.
            1 => (agg::count(lit(1)), KqlType::Long),
            _ => bail!(span, "count() expects at most one argument"),
        },
        "countif" => {
            need(1)?;
            let p = pred(args.remove(0));
            (agg::count(lit(1)).filter(p).build()?, KqlType::Long)
        }
        "dcount" | "count_distinct" => {
            if n == 0 || n > 2 {
                bail!(span, "{func}() expects 1 or 2 arguments")
            }
            let a = args.remove(0);
            let e = if a.ty == KqlType::String {
                nonempty(a.expr)
            } else {
                a.expr
            };
            (agg::count_distinct(e), KqlType::Long)
        }
        "dcountif" | "count_distinctif" => {
            if !(2..=3).contains(&n) {
                bail!(span, "{func}() expects 2 or 3 arguments")
            }
            let a = args.remove(0);
            let p = pred(args.remove(0));
            let e = if a.ty == KqlType::String {
                nonempty(a.expr)
            } else {
                a.expr
            };
            (
                datafusion::functions_aggregate::count::count_udaf()
                    .call(vec![e])
                    .distinct()
                    .filter(p)
                    .build()?,
                KqlType::Long,
            )
        }
        "sum" | "sumif" => {
            need(if func == "sum" { 1 } else { 2 })?;
            let a = number(args.remove(0));
            let ty = sum_type(a.ty);
            let base = agg::sum(convert(a, ty).expr);
            let e = if func == "sumif" {
                base.filter(pred(args.remove(0))).build()?
            } else {
                base
            };
            (zero_if_null(e, ty), ty)
        }
        "avg" | "avgif" => {
            need(if func == "avg" { 1 } else { 2 })?;
            let a = convert(number(args.remove(0)), KqlType::Real);
            let base = agg::avg(a.expr);
            let e = if func == "avgif" {
                base.filter(pred(args.remove(0))).build()?
            } else {
                base
            };
            (AggPost::Coalesce(lit(f64::NAN)).wrap(e), KqlType::Real)
        }
        "min" | "max" | "minif" | "maxif" => {
            need(if func.ends_with("if") { 2 } else { 1 })?;
            let a = args.remove(0);
            let a = if a.ty == KqlType::Dynamic {
                convert(a, KqlType::Real)
            } else {
                a
            };
            let ty = a.ty;
            let e = if a.ty == KqlType::String {
                nonempty(a.expr)
            } else {
                a.expr
            };
            let base = if func.starts_with("min") {
                agg::min(e)
            } else {
                agg::max(e)
            };
            let e = if func.ends_with("if") {
                base.filter(pred(args.remove(0))).build()?
            } else {
                base
            };
            (e, ty)
        }
        "stdev" | "stdevp" | "variance" | "variancep" | "stdevif" | "varianceif" => {
            let is_if = func.ends_with("if");
            need(if is_if { 2 } else { 1 })?;
            let a = convert(number(args.remove(0)), KqlType::Real).expr;
            let base = match func {
                "stdev" | "stdevif" => agg::stddev(a),
                "stdevp" => agg::stddev_pop(a),
                "variance" | "varianceif" => agg::var_sample(a),
                _ => agg::var_pop(a),
            };
            let e = if is_if {
                base.filter(pred(args.remove(0))).build()?
            } else {
                base
            };
            (AggPost::Coalesce(lit(0.0f64)).wrap(e), KqlType::Real)
        }
        "covariance" | "covariancep" | "covarianceif" => {
            need(if func == "covarianceif" { 3 } else { 2 })?;
            let a = convert(number(args.remove(0)), KqlType::Real).expr;
            let b = convert(number(args.remove(0)), KqlType::Real).expr;
            let base = if func == "covariancep" {
                agg::covar_pop(a, b)
            } else {
                agg::covar_samp(a, b)
            };
            let e = if func == "covarianceif" {
                base.filter(pred(args.remove(0))).build()?
            } else {
                base
            };
            (e, KqlType::Real)
        }
        "take_any" | "any" | "take_anyif" | "anyif" => {
            let is_if = func.ends_with("if");
            need(if is_if { 2 } else { 1 })?;
            let a = args.remove(0);
            let ty = a.ty;
            // Kusto picks an arbitrary value; Peregrine picks the largest, so the same input
            // always gives the same answer (alert ids derive from result rows) and a
            // non-empty string wins over an empty one.
            let base = datafusion::functions_aggregate::min_max::max(a.expr);
            let e = if is_if {
                base.filter(pred(args.remove(0))).build()?
            } else {
                base
            };
            (e, ty)
        }
        "make_list"
        | "make_list_with_nulls"
        | "make_set"
        | "make_list_if"
        | "make_set_if"
        | "make_bag"
        | "make_bag_if" => {
            let is_if = func.ends_with("_if");
            let min = if is_if { 2 } else { 1 };
            if n < min || n > min + 1 {
                bail!(span, "{func}() expects {min} or {} arguments", min + 1)
            }
            let a = to_dynamic(args.remove(0));
            let p = if is_if {
                Some(pred(args.remove(0)))
            } else {
                None
            };
            let limit = args
                .pop()
                .map(|l| convert(l, KqlType::Long).expr)
                .unwrap_or(lit(1_048_576i64));
            let mode = match func {
                "make_list" | "make_list_if" => CollectMode::List,
                "make_list_with_nulls" => CollectMode::ListWithNulls,
                "make_set" | "make_set_if" => CollectMode::Set,
                _ => CollectMode::Bag,
            };
            let base = collect_udaf(mode).call(vec![a.expr, limit]);
            let e = match p {
                Some(p) => base.filter(p).build()?,
                None => base,
            };
            (e, KqlType::Dynamic)
        }
        "percentile" | "percentiles" => {
            if n < 2 {
                bail!(span, "{func}() expects a value and a percentile")
            }
            let a = convert(number(args.remove(0)), KqlType::Real);
            let p = convert(args.remove(0), KqlType::Real);
            (percentile_udaf().call(vec![a.expr, p.expr]), KqlType::Real)
        }
        "binary_all_and" | "binary_all_or" => {
            need(1)?;
            let a = convert(args.remove(0), KqlType::Long).expr;
            let e = if func == "binary_all_and" {
                datafusion::functions_aggregate::bit_and_or_xor::bit_and(a)
            } else {
                datafusion::functions_aggregate::bit_and_or_xor::bit_or(a)
            };
            (e, KqlType::Long)
        }
        other => bail!(span, "aggregate '{other}' is not supported"),
    })
}

/// Post-processing of an aggregate's value (the aggregate itself stays the root expression
/// that the Aggregate node sees; see `AggCollector`).
pub enum AggPost {
    Coalesce(Expr),
}

impl AggPost {
    fn wrap(self, e: Expr) -> Expr {
        match self {
            AggPost::Coalesce(d) => Expr::Alias(datafusion::logical_expr::expr::Alias::new(
                datafusion::functions::expr_fn::coalesce(vec![e, d]),
                None::<&str>,
                POST_MARK,
            )),
        }
    }
}

/// Alias name marking a post-processed aggregate: the collector splits it.
pub const POST_MARK: &str = "__kql_post";

fn zero_if_null(e: Expr, ty: KqlType) -> Expr {
    let zero = match ty {
        KqlType::Real | KqlType::Decimal => lit(0.0f64),
        _ => lit(0i64),
    };
    AggPost::Coalesce(zero).wrap(e)
}

/// The type Kusto gives `sum`: long for integers, real for reals, timespan for timespans.
fn sum_type(t: KqlType) -> KqlType {
    match t {
        KqlType::Int | KqlType::Long | KqlType::Bool => KqlType::Long,
        KqlType::TimeSpan => KqlType::TimeSpan,
        KqlType::Decimal => KqlType::Decimal,
        _ => KqlType::Real,
    }
}

/// Strings are never null in KQL: empty strings do not count as values in dcount/min/max.
fn nonempty(e: Expr) -> Expr {
    datafusion::functions::expr_fn::nullif(e, lit(""))
}

/// The list-typed state column of a collecting accumulator.
fn list_state<'a>(a: &'a ArrayRef, what: &str) -> DFResult<&'a ListArray> {
    a.as_any().downcast_ref::<ListArray>().ok_or_else(|| {
        datafusion::error::DataFusionError::Internal(format!("{what} state is not a list"))
    })
}

/// `make_list` of a typed expression (used for `has_any (tabular)`).
pub fn make_list_expr(e: TExpr) -> Expr {
    collect_udaf(CollectMode::List).call(vec![to_dynamic(e).expr, lit(1_048_576i64)])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CollectMode {
    List,
    ListWithNulls,
    Set,
    Bag,
}

/// Collects dynamic JSON values into a JSON array (list/set) or merges bags.
#[derive(Debug, PartialEq, Eq, Hash)]
struct CollectUdaf {
    mode: CollectMode,
    signature: Signature,
}

fn collect_udaf(mode: CollectMode) -> Arc<AggregateUDF> {
    static CELLS: OnceLock<[Arc<AggregateUDF>; 4]> = OnceLock::new();
    let cells = CELLS.get_or_init(|| {
        [
            CollectMode::List,
            CollectMode::ListWithNulls,
            CollectMode::Set,
            CollectMode::Bag,
        ]
        .map(|m| {
            Arc::new(AggregateUDF::from(CollectUdaf {
                mode: m,
                signature: Signature::exact(
                    vec![DataType::Utf8, DataType::Int64],
                    Volatility::Immutable,
                ),
            }))
        })
    });
    let i = match mode {
        CollectMode::List => 0,
        CollectMode::ListWithNulls => 1,
        CollectMode::Set => 2,
        CollectMode::Bag => 3,
    };
    cells[i].clone()
}

impl AggregateUDFImpl for CollectUdaf {
    fn name(&self) -> &str {
        match self.mode {
            CollectMode::List => "kql_make_list",
            CollectMode::ListWithNulls => "kql_make_list_with_nulls",
            CollectMode::Set => "kql_make_set",
            CollectMode::Bag => "kql_make_bag",
        }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> DFResult<DataType> {
        Ok(DataType::Utf8)
    }
    fn state_fields(&self, args: StateFieldsArgs) -> DFResult<Vec<FieldRef>> {
        let item = Arc::new(Field::new_list_field(DataType::Utf8, true));
        Ok(vec![
            Arc::new(Field::new(
                format!("{}_items", args.name),
                DataType::List(item),
                true,
            )),
            Arc::new(Field::new(
                format!("{}_limit", args.name),
                DataType::Int64,
                true,
            )),
        ])
    }
    fn accumulator(&self, _acc_args: AccumulatorArgs) -> DFResult<Box<dyn Accumulator>> {
        Ok(Box::new(CollectAcc {
            mode: self.mode,
            items: Vec::new(),
            seen: HashSet::new(),
            limit: None,
        }))
    }
}

#[derive(Debug)]
struct CollectAcc {
    mode: CollectMode,
    /// JSON text of each item; None is a null (kept only by make_list_with_nulls).
    items: Vec<Option<String>>,
    seen: HashSet<String>,
    limit: Option<usize>,
}

impl CollectAcc {
    fn add(&mut self, v: Option<&str>) {
        if let Some(l) = self.limit
            && self.items.len() >= l
        {
            return;
        }
        match (self.mode, v) {
            (CollectMode::ListWithNulls, v) => self.items.push(v.map(str::to_string)),
            (_, None) => {}
            // Arrays are flattened into the list or set, as Kusto does.
            (CollectMode::List | CollectMode::Set, Some(s)) if s.starts_with('[') => {
                if let Ok(serde_json::Value::Array(items)) =
                    serde_json::from_str::<serde_json::Value>(s)
                {
                    for it in items {
                        let t = it.to_string();
                        self.add(Some(&t));
                    }
                }
            }
            (CollectMode::List, Some(s)) => self.items.push(Some(s.to_string())),
            (CollectMode::Set, Some(s)) => {
                if self.seen.insert(s.to_string()) {
                    self.items.push(Some(s.to_string()));
                }
            }
            (CollectMode::Bag, Some(s)) => {
                if s.starts_with('{') {
                    self.items.push(Some(s.to_string()));
                }
            }
        }
    }
}

impl Accumulator for CollectAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DFResult<()> {
        let v = as_string_array(&values[0])?;
        if self.limit.is_none() && values.len() > 1 {
            let l = datafusion::common::cast::as_int64_array(&values[1])?;
            if !l.is_empty() && l.is_valid(0) {
                self.limit = Some(l.value(0).max(0) as usize);
            }
        }
        for i in 0..v.len() {
            self.add(if v.is_valid(i) {
                Some(v.value(i))
            } else {
                None
            });
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DFResult<()> {
        let lists = list_state(&states[0], "collect")?;
        if self.limit.is_none() {
            let l = datafusion::common::cast::as_int64_array(&states[1])?;
            if !l.is_empty() && l.is_valid(0) {
                self.limit = Some(l.value(0).max(0) as usize);
            }
        }
        for i in 0..lists.len() {
            if lists.is_null(i) {
                continue;
            }
            let inner = lists.value(i);
            let s = as_string_array(&inner)?;
            for j in 0..s.len() {
                self.add(if s.is_valid(j) {
                    Some(s.value(j))
                } else {
                    None
                });
            }
        }
        Ok(())
    }

    fn state(&mut self) -> DFResult<Vec<ScalarValue>> {
        let arr: StringArray = self.items.iter().map(|s| s.as_deref()).collect();
        Ok(vec![
            ScalarValue::List(ScalarValue::new_list_from_iter(
                (0..arr.len()).map(|i| {
                    ScalarValue::Utf8(if arr.is_valid(i) {
                        Some(arr.value(i).to_string())
                    } else {
                        None
                    })
                }),
                &DataType::Utf8,
                true,
            )),
            ScalarValue::Int64(self.limit.map(|l| l as i64)),
        ])
    }

    fn evaluate(&mut self) -> DFResult<ScalarValue> {
        let text = match self.mode {
            CollectMode::Bag => {
                let mut m = serde_json::Map::new();
                for s in self.items.iter().flatten() {
                    if let Ok(serde_json::Value::Object(o)) =
                        serde_json::from_str::<serde_json::Value>(s)
                    {
                        for (k, v) in o {
                            m.entry(k).or_insert(v);
                        }
                    }
                }
                serde_json::Value::Object(m).to_string()
            }
            _ => {
                let mut out = String::from("[");
                for (i, s) in self.items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(s.as_deref().unwrap_or("null"));
                }
                out.push(']');
                out
            }
        };
        Ok(ScalarValue::Utf8(Some(text)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self
                .items
                .iter()
                .map(|s| s.as_ref().map_or(0, |s| s.len()) + 24)
                .sum::<usize>()
    }
}

/// Kusto's `percentile(x, p)`: the nearest-rank value (an element of the input).
#[derive(Debug, PartialEq, Eq, Hash)]
struct PercentileUdaf {
    signature: Signature,
}

fn percentile_udaf() -> Arc<AggregateUDF> {
    static CELL: OnceLock<Arc<AggregateUDF>> = OnceLock::new();
    CELL.get_or_init(|| {
        Arc::new(AggregateUDF::from(PercentileUdaf {
            signature: Signature::exact(
                vec![DataType::Float64, DataType::Float64],
                Volatility::Immutable,
            ),
        }))
    })
    .clone()
}

impl AggregateUDFImpl for PercentileUdaf {
    fn name(&self) -> &str {
        "kql_percentile"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> DFResult<DataType> {
        Ok(DataType::Float64)
    }
    fn state_fields(&self, args: StateFieldsArgs) -> DFResult<Vec<FieldRef>> {
        let item = Arc::new(Field::new_list_field(DataType::Float64, true));
        Ok(vec![
            Arc::new(Field::new(
                format!("{}_values", args.name),
                DataType::List(item),
                true,
            )),
            Arc::new(Field::new(
                format!("{}_p", args.name),
                DataType::Float64,
                true,
            )),
        ])
    }
    fn accumulator(&self, _acc_args: AccumulatorArgs) -> DFResult<Box<dyn Accumulator>> {
        Ok(Box::new(PercentileAcc {
            values: Vec::new(),
            p: None,
        }))
    }
}

#[derive(Debug)]
struct PercentileAcc {
    values: Vec<f64>,
    p: Option<f64>,
}

impl Accumulator for PercentileAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DFResult<()> {
        let v = datafusion::common::cast::as_float64_array(&values[0])?;
        let p = datafusion::common::cast::as_float64_array(&values[1])?;
        if self.p.is_none() && !p.is_empty() && p.is_valid(0) {
            self.p = Some(p.value(0));
        }
        self.values
            .extend(v.iter().flatten().filter(|x| !x.is_nan()));
        Ok(())
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> DFResult<()> {
        let lists = list_state(&states[0], "percentile")?;
        let p = datafusion::common::cast::as_float64_array(&states[1])?;
        for i in 0..lists.len() {
            if self.p.is_none() && p.is_valid(i) {
                self.p = Some(p.value(i));
            }
            if lists.is_null(i) {
                continue;
            }
            let inner = lists.value(i);
            let f = datafusion::common::cast::as_float64_array(&inner)?;
            self.values.extend(f.iter().flatten());
        }
        Ok(())
    }
    fn state(&mut self) -> DFResult<Vec<ScalarValue>> {
        Ok(vec![
            ScalarValue::List(ScalarValue::new_list_from_iter(
                self.values.iter().map(|v| ScalarValue::Float64(Some(*v))),
                &DataType::Float64,
                true,
            )),
            ScalarValue::Float64(self.p),
        ])
    }
    fn evaluate(&mut self) -> DFResult<ScalarValue> {
        if self.values.is_empty() {
            return Ok(ScalarValue::Float64(None));
        }
        self.values.sort_by(|a, b| a.total_cmp(b));
        let p = self.p.unwrap_or(50.0).clamp(0.0, 100.0);
        let n = self.values.len();
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        let idx = rank.saturating_sub(1).min(n - 1);
        Ok(ScalarValue::Float64(Some(self.values[idx])))
    }
    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.values.len() * 8
    }
}

/// `make-series` stage 2: gathers (bin index, JSON value) pairs of a group into a dense JSON
/// array of `nbins` slots, empty slots holding `default` (JSON text).
pub fn series_expr(idx: Expr, value: Expr, nbins: i64, default: String) -> Expr {
    let u = Arc::new(AggregateUDF::from(SeriesUdaf {
        nbins: nbins.max(0) as usize,
        default,
        signature: Signature::exact(vec![DataType::Int64, DataType::Utf8], Volatility::Immutable),
    }));
    u.call(vec![idx, value])
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SeriesUdaf {
    nbins: usize,
    default: String,
    signature: Signature,
}

impl AggregateUDFImpl for SeriesUdaf {
    fn name(&self) -> &str {
        "kql_make_series"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> DFResult<DataType> {
        Ok(DataType::Utf8)
    }
    fn state_fields(&self, args: StateFieldsArgs) -> DFResult<Vec<FieldRef>> {
        let item = Arc::new(Field::new_list_field(DataType::Utf8, true));
        Ok(vec![Arc::new(Field::new(
            format!("{}_slots", args.name),
            DataType::List(item),
            true,
        ))])
    }
    fn accumulator(&self, _acc_args: AccumulatorArgs) -> DFResult<Box<dyn Accumulator>> {
        Ok(Box::new(SeriesAcc {
            slots: vec![None; self.nbins],
            default: self.default.clone(),
        }))
    }
}

#[derive(Debug)]
struct SeriesAcc {
    slots: Vec<Option<String>>,
    default: String,
}

impl Accumulator for SeriesAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DFResult<()> {
        let idx = datafusion::common::cast::as_int64_array(&values[0])?;
        let v = as_string_array(&values[1])?;
        for i in 0..idx.len() {
            if idx.is_valid(i) && v.is_valid(i) {
                let k = idx.value(i);
                if k >= 0 && (k as usize) < self.slots.len() {
                    self.slots[k as usize] = Some(v.value(i).to_string());
                }
            }
        }
        Ok(())
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> DFResult<()> {
        let lists = list_state(&states[0], "series")?;
        for i in 0..lists.len() {
            if lists.is_null(i) {
                continue;
            }
            let inner = lists.value(i);
            let s = as_string_array(&inner)?;
            for j in 0..s.len().min(self.slots.len()) {
                if s.is_valid(j) {
                    self.slots[j] = Some(s.value(j).to_string());
                }
            }
        }
        Ok(())
    }
    fn state(&mut self) -> DFResult<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::List(ScalarValue::new_list_from_iter(
            self.slots.iter().map(|s| ScalarValue::Utf8(s.clone())),
            &DataType::Utf8,
            true,
        ))])
    }
    fn evaluate(&mut self) -> DFResult<ScalarValue> {
        let parts: Vec<&str> = self
            .slots
            .iter()
            .map(|s| s.as_deref().unwrap_or(self.default.as_str()))
            .collect();
        Ok(ScalarValue::Utf8(Some(format!("[{}]", parts.join(",")))))
    }
    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self
                .slots
                .iter()
                .map(|s| s.as_ref().map_or(8, |x| x.len() + 24))
                .sum::<usize>()
    }
}
