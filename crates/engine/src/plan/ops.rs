//! The row-shaping operators: where, project*, extend, take, sort, top, count, distinct,
//! serialize, getschema, sample, and the dispatch of every operator to its module.

use super::Planner;
use super::env::Env;
use super::expr::{ExprCx, to_bool};
use super::rel::{Rel, col_ref, unique_name};
use super::windows::WindowCollector;
use crate::bail;
use crate::error::Result;
use crate::texpr::TExpr;
use crate::types::KqlType;
use datafusion::arrow::array::{ArrayRef, Int32Array, StringArray};
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::{Expr, SortExpr, lit};
use kql::ast::{self, ColumnPattern, ExprKind, NamedExpr, Operator, OperatorKind, SortKey, Span};
use std::cell::RefCell;
use std::sync::Arc;

impl Planner<'_> {
    pub(crate) fn operator(&self, rel: Rel, op: &Operator, env: &Env) -> Result<Rel> {
        let span = op.span;
        match &op.kind {
            OperatorKind::Where(pred) => self.where_(rel, pred, env),
            OperatorKind::Project(items) => self.project(rel, items, env),
            OperatorKind::ProjectAway(pats) => project_away(rel, pats),
            OperatorKind::ProjectKeep(pats) => project_keep(rel, pats),
            OperatorKind::ProjectRename(pairs) => project_rename(rel, pairs),
            OperatorKind::ProjectReorder(items) => project_reorder(rel, items),
            OperatorKind::Extend(items) => self.extend(rel, items, env),
            OperatorKind::Summarize { aggs, by, .. } => self.summarize(rel, aggs, by, env, span),
            OperatorKind::Count { name } => {
                let n = name
                    .as_ref()
                    .map(|i| i.name.clone())
                    .unwrap_or_else(|| "Count".into());
                let plan = rel
                    .builder()
                    .aggregate(Vec::<Expr>::new(), vec![count(lit(1)).alias(n.as_str())])?
                    .build()?;
                Ok(Rel::new(plan, vec![(n, KqlType::Long)]))
            }
            OperatorKind::Distinct(items) => self.distinct(rel, items, env),
            OperatorKind::Take(n) => {
                let n = self.const_count(n, env)?;
                let plan = rel.builder().limit(0, Some(n))?.build()?;
                Ok(Rel {
                    plan,
                    cols: rel.cols,
                    order: rel.order,
                })
            }
            OperatorKind::Top { count, by } => {
                let n = self.const_count(count, env)?;
                let sorted = self.sort(rel, std::slice::from_ref(by), env)?;
                let plan = sorted.builder().limit(0, Some(n))?.build()?;
                Ok(Rel {
                    plan,
                    cols: sorted.cols,
                    order: sorted.order,
                })
            }
            OperatorKind::Sort(keys) => self.sort(rel, keys, env),
            OperatorKind::Serialize(items) => {
                let mut r = rel;
                if r.order.is_none() {
                    r = super::windows::serialize(r)?;
                }
                if items.is_empty() {
                    Ok(r)
                } else {
                    self.extend(r, items, env)
                }
            }
            OperatorKind::Join(j) => self.join(rel, j, env, span),
            OperatorKind::Lookup(l) => self.lookup(rel, l, env, span),
            OperatorKind::Union(u) => self.union(Some(rel), u, env),
            OperatorKind::MvExpand(m) => self.mv_expand(rel, m, env, span),
            OperatorKind::MvApply(m) => self.mv_apply(rel, m, env, span),
            OperatorKind::Parse(p) => self.parse_op(rel, p, env, span),
            OperatorKind::ParseKv(p) => self.parse_kv(rel, p, env, span),
            OperatorKind::GetSchema => getschema(&rel),
            OperatorKind::As { name, .. } => {
                let _ = name;
                Ok(rel)
            }
            OperatorKind::Render { .. } | OperatorKind::Consume => Ok(rel),
            OperatorKind::Invoke(call) => self.invoke(rel, call, env),
            OperatorKind::Sample(n) => {
                let n = self.const_count(n, env)?;
                let rnd = datafusion::functions::expr_fn::random();
                let plan = rel
                    .builder()
                    .sort(vec![rnd.sort(true, false)])?
                    .limit(0, Some(n))?
                    .build()?;
                Ok(Rel::new(plan, rel.cols))
            }
            OperatorKind::SampleDistinct { count, column } => {
                let n = self.const_count(count, env)?;
                let item = NamedExpr {
                    names: vec![],
                    expr: column.clone(),
                    span,
                };
                let d = self.distinct(rel, &[ast::DistinctItem::Expr(item)], env)?;
                let plan = d.builder().limit(0, Some(n))?.build()?;
                Ok(Rel::new(plan, d.cols))
            }
            OperatorKind::Search(s) => self.search(Some(rel), s, env),
            OperatorKind::Evaluate(ev) => self.evaluate(rel, ev, env, span),
            OperatorKind::MakeSeries(ms) => self.make_series(rel, ms, env, span),
            OperatorKind::TopNested(levels) => self.top_nested(rel, levels, env, span),
            OperatorKind::TopHitters { count, of, by } => {
                self.top_hitters(rel, count, of, by.as_ref(), env, span)
            }
            OperatorKind::Scan(_) => bail!(span, "the scan operator is not supported yet"),
            OperatorKind::ProjectByNames(_) => {
                bail!(span, "the 'project-by-names' operator is not supported")
            }
            OperatorKind::Find(_) => bail!(span, "the 'find' operator is not supported"),
            OperatorKind::Unsupported { name } => {
                bail!(span, "the '{name}' operator is not supported")
            }
        }
    }

    fn where_(&self, rel: Rel, pred: &ast::Expr, env: &Env) -> Result<Rel> {
        let window = RefCell::new(WindowCollector::default());
        let cx = ExprCx {
            rel: Some(&rel),
            env,
            agg: None,
            window: Some(&window),
            join: None,
        };
        let p = to_bool(self.expr(pred, &cx)?, pred.span)?;
        let w = window.into_inner();
        if w.is_empty() {
            return rel.filter(p.expr);
        }
        let with_w = w.apply(&rel)?;
        let filtered = with_w.filter(p.expr)?;
        filtered.project(rel.items())
    }

    pub(crate) fn const_count(&self, n: &ast::Expr, env: &Env) -> Result<usize> {
        let v = self.expr(n, &ExprCx::new(None, env))?;
        let v = crate::functions::conversion::convert(v, KqlType::Long);
        match super::sources::fold_constant(&v, n.span)? {
            datafusion::common::ScalarValue::Int64(Some(x)) if x >= 0 => Ok(x as usize),
            datafusion::common::ScalarValue::Int64(Some(_)) => Ok(0),
            _ => bail!(n.span, "a non-negative constant row count is expected"),
        }
    }

    fn project(&self, rel: Rel, items: &[NamedExpr], env: &Env) -> Result<Rel> {
        let window = RefCell::new(WindowCollector::default());
        let cx = ExprCx {
            rel: Some(&rel),
            env,
            agg: None,
            window: Some(&window),
            join: None,
        };
        let mut out: Vec<(String, TExpr)> = Vec::new();
        let mut unnamed = 0;
        for ne in items {
            // `project Col*` wildcard
            if let ExprKind::Name(n) = &ne.expr.kind
                && ne.names.is_empty()
                && n.contains('*')
            {
                for (c, t) in &rel.cols {
                    if wildcard_match(n, c) && !out.iter().any(|(x, _)| x == c) {
                        out.push((c.clone(), TExpr::new(col_ref(c), *t)));
                    }
                }
                continue;
            }
            if let Some(vals) = self.multi_column_values(ne, &cx)? {
                for (n, v) in vals {
                    if out.iter().any(|(x, _)| *x == n) {
                        bail!(span_of(ne), "column '{n}' is defined more than once")
                    }
                    out.push((n, v));
                }
                continue;
            }
            let v = self.expr(&ne.expr, &cx)?;
            let vals = self.assign_names(ne, v, &mut unnamed, &out, span_of(ne))?;
            out.extend(vals);
        }
        let w = window.into_inner();
        if w.is_empty() {
            rel.project(out)
        } else {
            w.apply(&rel)?.project(out)
        }
    }

    /// `f(x)` or `(a, b, ...) = f(x)` where `f` returns several columns (`series_stats`,
    /// `series_fit_line`, ...): one value per column. Unnamed columns are called
    /// `f_x_key`; a single name takes the first column only (as in Kusto), so `None`.
    pub(crate) fn multi_column_values(
        &self,
        ne: &NamedExpr,
        cx: &ExprCx,
    ) -> Result<Option<Vec<(String, TExpr)>>> {
        use crate::value::dynamic::PathElem;
        let ExprKind::Call { name, args } = &ne.expr.kind else {
            return Ok(None);
        };
        let fname = name.name.as_str();
        let series_cols = crate::functions::series::multi_columns(fname);
        let is_sort = matches!(fname, "array_sort_asc" | "array_sort_desc");
        if (series_cols.is_none() && !is_sort)
            || ne.names.len() == 1
            || matches!(
                cx.env.lookup(fname),
                Some(super::env::Binding::Function(..))
            )
        {
            return Ok(None);
        }
        let mut targs = Vec::with_capacity(args.len());
        for a in args {
            match &a.kind {
                ExprKind::NamedArg(_, v) => targs.push(self.expr(v, cx)?),
                _ => targs.push(self.expr(a, cx)?),
            }
        }
        let call = |targs: Vec<TExpr>| crate::functions::Call {
            name: fname,
            args: targs,
            span: ne.expr.span,
            ctx: &self.fnctx,
        };
        let (cols, bag): (Vec<(String, PathElem, KqlType)>, TExpr) = match series_cols {
            Some(cols) => {
                let prefix = match args.first().and_then(derive_name) {
                    Some(a) => format!("{fname}_{a}"),
                    None => fname.to_string(),
                };
                let cols = cols
                    .iter()
                    .map(|(k, t)| (format!("{prefix}_{k}"), PathElem::Key((*k).into()), *t))
                    .collect();
                (cols, crate::functions::series::bag_call(call(targs))?)
            }
            None => {
                // array_sort_asc/desc over several arrays: one column per array.
                let flag = targs.len() > 1 && targs.last().is_some_and(|t| t.ty == KqlType::Bool);
                let arrays = targs.len() - usize::from(flag);
                if arrays < 2 {
                    return Ok(None);
                }
                let cols = args
                    .iter()
                    .take(arrays)
                    .enumerate()
                    .map(|(i, a)| {
                        let base = derive_name(a).unwrap_or_else(|| format!("array{}", i + 1));
                        (
                            format!("{base}_sorted"),
                            PathElem::Index(i as i64),
                            KqlType::Dynamic,
                        )
                    })
                    .collect();
                let Some(f) = crate::functions::registry().lookup(fname) else {
                    return Ok(None);
                };
                (cols, f(call(targs))?)
            }
        };
        if ne.names.len() > cols.len() {
            bail!(
                span_of(ne),
                "'{fname}' returns {} columns, but {} names are given",
                cols.len(),
                ne.names.len()
            )
        }
        let mut out = Vec::new();
        for (i, (default, path, ty)) in cols.into_iter().enumerate() {
            let col = match ne.names.get(i) {
                Some(id) => id.name.clone(),
                None if ne.names.is_empty() => default,
                None => break,
            };
            let v = crate::functions::dynamic::dynamic_path(bag.clone(), vec![path]);
            out.push((col, crate::functions::conversion::convert(v, ty)));
        }
        Ok(Some(out))
    }

    /// Names for the value(s) of `name = expr` (or a derived name).
    fn assign_names(
        &self,
        ne: &NamedExpr,
        v: TExpr,
        unnamed: &mut usize,
        taken: &[(String, TExpr)],
        span: Span,
    ) -> Result<Vec<(String, TExpr)>> {
        if ne.names.len() > 1 {
            bail!(
                span,
                "assigning several names is only supported for functions returning several columns"
            )
        }
        let name = match ne.names.first() {
            Some(n) => n.name.clone(),
            None => match derive_name(&ne.expr) {
                Some(n) => n,
                None => {
                    let names: Vec<String> = taken.iter().map(|(n, _)| n.clone()).collect();
                    loop {
                        *unnamed += 1;
                        let cand = format!("Column{unnamed}");
                        if !names.contains(&cand) {
                            break cand;
                        }
                    }
                }
            },
        };
        if let Some(pos) = taken.iter().position(|(n, _)| *n == name) {
            let _ = pos;
            bail!(span, "column '{name}' is defined more than once")
        }
        Ok(vec![(name, v)])
    }

    pub(crate) fn extend(&self, rel: Rel, items: &[NamedExpr], env: &Env) -> Result<Rel> {
        let mut cur = rel;
        let mut unnamed = 0;
        for ne in items {
            let window = RefCell::new(WindowCollector::default());
            let vals = {
                let cx = ExprCx {
                    rel: Some(&cur),
                    env,
                    agg: None,
                    window: Some(&window),
                    join: None,
                };
                match self.multi_column_values(ne, &cx)? {
                    Some(vals) => vals,
                    None => {
                        let v = self.expr(&ne.expr, &cx)?;
                        let name = match ne.names.first() {
                            Some(n) => n.name.clone(),
                            None => match derive_name(&ne.expr) {
                                Some(n) => n,
                                None => loop {
                                    unnamed += 1;
                                    let cand = format!("Column{unnamed}");
                                    if cur.find(&cand).is_none() {
                                        break cand;
                                    }
                                },
                            },
                        };
                        vec![(name, v)]
                    }
                }
            };
            let w = window.into_inner();
            let base = if w.is_empty() {
                cur.clone()
            } else {
                w.apply(&cur)?
            };
            let mut out = cur.items();
            for (name, v) in vals {
                match out.iter().position(|(n, _)| *n == name) {
                    Some(i) => out[i] = (name, v),
                    None => out.push((name, v)),
                }
            }
            let order = cur.order.clone();
            cur = base.project(out)?;
            if cur.order.is_none() {
                cur.order = order.filter(|o| {
                    o.iter()
                        .all(|s| matches!(&s.expr, Expr::Column(c) if cur.find(&c.name).is_some()))
                });
            }
        }
        Ok(cur)
    }

    fn distinct(&self, rel: Rel, items: &[ast::DistinctItem], env: &Env) -> Result<Rel> {
        if items.iter().any(|i| matches!(i, ast::DistinctItem::Star)) {
            let keys: Vec<Expr> = rel.cols.iter().map(|(n, _)| col_ref(n)).collect();
            let plan = rel.builder().aggregate(keys, Vec::<Expr>::new())?.build()?;
            return Ok(Rel::new(plan, rel.cols));
        }
        let named: Vec<NamedExpr> = items
            .iter()
            .filter_map(|i| match i {
                ast::DistinctItem::Expr(e) => Some(e.clone()),
                ast::DistinctItem::Star => None,
            })
            .collect();
        let projected = self.project(rel, &named, env)?;
        let keys: Vec<Expr> = projected.cols.iter().map(|(n, _)| col_ref(n)).collect();
        let plan = projected
            .builder()
            .aggregate(keys, Vec::<Expr>::new())?
            .build()?;
        Ok(Rel::new(plan, projected.cols))
    }

    pub(crate) fn sort(&self, rel: Rel, keys: &[SortKey], env: &Env) -> Result<Rel> {
        let cx = ExprCx::new(Some(&rel), env);
        let mut sorts = Vec::with_capacity(keys.len());
        for k in keys {
            let v = self.expr(&k.expr, &cx)?;
            let asc = k.ascending.unwrap_or(false);
            let nulls_first = k.nulls_first.unwrap_or(asc);
            let e = match v.ty {
                KqlType::Dynamic => crate::functions::conversion::to_string(v).expr,
                _ => v.expr,
            };
            sorts.push(SortExpr::new(e, asc, nulls_first));
        }
        let plan = rel.builder().sort(sorts.clone())?.build()?;
        Ok(Rel {
            plan,
            cols: rel.cols,
            order: Some(sorts),
        })
    }

    fn invoke(&self, rel: Rel, call: &ast::Expr, env: &Env) -> Result<Rel> {
        let ExprKind::Call { name, args } = &call.kind else {
            bail!(call.span, "invoke expects a function call")
        };
        let Some(super::env::Binding::Function(def, fenv)) = env.lookup(&name.name) else {
            bail!(name.span, "unknown function '{}'", name.name)
        };
        let (def, fenv) = (def.clone(), fenv.clone());
        let mut vals = vec![super::expr::ArgValue::Tabular(rel)];
        for a in args {
            vals.push(super::expr::ArgValue::Scalar(
                self.expr(a, &ExprCx::new(None, env))?,
            ));
        }
        self.call_user_tabular(&def, &fenv, vals, call.span, env)
    }
}

fn span_of(ne: &NamedExpr) -> Span {
    ne.span
}

/// Kusto's name for an unnamed column expression: a column keeps its name, `a.b` becomes
/// `a_b`, `bin(x, ...)`/`floor(x, ...)` keep `x`'s name. Others get `ColumnN`.
pub fn derive_name(e: &ast::Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) => Some(n.clone()),
        ExprKind::Paren(inner) => derive_name(inner),
        ExprKind::Member(base, f) => match &base.kind {
            ExprKind::JoinSide(_) => Some(f.name.clone()),
            _ => path_base_name(base).map(|b| format!("{b}_{}", f.name)),
        },
        ExprKind::Index(base, idx) => {
            let b = path_base_name(base)?;
            match &idx.kind {
                ExprKind::Literal(ast::Literal::String(s)) => Some(format!("{b}_{s}")),
                ExprKind::Literal(ast::Literal::Long(i)) => Some(format!("{b}_{i}")),
                _ => None,
            }
        }
        // Functions whose result keeps the name of their first argument (as Kusto's binder
        // names `by tostring(LocationDetails.countryOrRegion)` LocationDetails_countryOrRegion).
        ExprKind::Call { name, args } if keeps_argument_name(&name.name) => {
            args.first().and_then(derive_name)
        }
        _ => None,
    }
}

/// Calls named after their first argument: conversions, rounding and binning.
fn keeps_argument_name(func: &str) -> bool {
    matches!(
        func,
        "bin"
            | "bin_at"
            | "floor"
            | "round"
            | "startofday"
            | "format_datetime"
            | "tostring"
            | "toint"
            | "tolong"
            | "toreal"
            | "todouble"
            | "todecimal"
            | "todatetime"
            | "totimespan"
            | "tobool"
            | "toboolean"
            | "toguid"
            | "tohex"
    )
}

/// The name a path's base contributes: `todynamic(X)` and `parse_json(X)` count as `X`.
fn path_base_name(base: &ast::Expr) -> Option<String> {
    match &base.kind {
        ExprKind::Call { name, args }
            if matches!(name.name.as_str(), "todynamic" | "toobject" | "parse_json") =>
        {
            args.first().and_then(derive_name)
        }
        _ => derive_name(base),
    }
}

pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == name;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut pos = 0;
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() {
            continue;
        }
        if i == 0 {
            if !name.starts_with(p) {
                return false;
            }
            pos = p.len();
        } else if i == parts.len() - 1 {
            return name.len() >= pos + p.len() && name[pos..].ends_with(p);
        } else {
            match name[pos..].find(p) {
                Some(j) => pos += j + p.len(),
                None => return false,
            }
        }
    }
    true
}

fn project_away(rel: Rel, pats: &[ColumnPattern]) -> Result<Rel> {
    for p in pats {
        if !p.pattern.contains('*') && rel.find(&p.pattern).is_none() {
            bail!(p.span, "project-away: no column '{}'", p.pattern)
        }
    }
    let items = rel
        .items()
        .into_iter()
        .filter(|(n, _)| !pats.iter().any(|p| wildcard_match(&p.pattern, n)))
        .collect();
    rel.project(items)
}

fn project_keep(rel: Rel, pats: &[ColumnPattern]) -> Result<Rel> {
    for p in pats {
        if !p.pattern.contains('*') && rel.find(&p.pattern).is_none() {
            bail!(p.span, "project-keep: no column '{}'", p.pattern)
        }
    }
    let items = rel
        .items()
        .into_iter()
        .filter(|(n, _)| pats.iter().any(|p| wildcard_match(&p.pattern, n)))
        .collect();
    rel.project(items)
}

fn project_rename(rel: Rel, pairs: &[(ast::Ident, ast::Ident)]) -> Result<Rel> {
    let mut items = rel.items();
    for (new, old) in pairs {
        let Some(i) = items.iter().position(|(n, _)| *n == old.name) else {
            bail!(old.span, "project-rename: no column '{}'", old.name)
        };
        items[i].0 = new.name.clone();
    }
    // A renamed column may replace an existing column of the new name.
    let mut seen = std::collections::HashSet::new();
    let mut dedup = Vec::new();
    for (n, e) in items.into_iter().rev() {
        if seen.insert(n.clone()) {
            dedup.push((n, e));
        }
    }
    dedup.reverse();
    rel.project(dedup)
}

fn project_reorder(rel: Rel, items: &[(ColumnPattern, Option<ast::SortOrderWord>)]) -> Result<Rel> {
    let mut out: Vec<(String, TExpr)> = Vec::new();
    for (p, order) in items {
        let mut matched: Vec<(String, TExpr)> = rel
            .items()
            .into_iter()
            .filter(|(n, _)| wildcard_match(&p.pattern, n) && !out.iter().any(|(x, _)| x == n))
            .collect();
        match order {
            Some(ast::SortOrderWord::Asc) | Some(ast::SortOrderWord::GranularAsc) => {
                matched.sort_by(|a, b| a.0.cmp(&b.0))
            }
            Some(ast::SortOrderWord::Desc) | Some(ast::SortOrderWord::GranularDesc) => {
                matched.sort_by(|a, b| b.0.cmp(&a.0))
            }
            None => {}
        }
        out.extend(matched);
    }
    for item in rel.items() {
        if !out.iter().any(|(n, _)| *n == item.0) {
            out.push(item);
        }
    }
    rel.project(out)
}

fn getschema(rel: &Rel) -> Result<Rel> {
    let names: StringArray = rel.cols.iter().map(|(n, _)| Some(n.as_str())).collect();
    let ords: Int32Array = (0..rel.cols.len() as i32).map(Some).collect();
    let dts: StringArray = rel
        .cols
        .iter()
        .map(|(_, t)| Some(dotnet_type(*t)))
        .collect();
    let kts: StringArray = rel.cols.iter().map(|(_, t)| Some(t.name())).collect();
    super::sources::memory_rel(
        vec![
            ("ColumnName".into(), KqlType::String),
            ("ColumnOrdinal".into(), KqlType::Int),
            ("DataType".into(), KqlType::String),
            ("ColumnType".into(), KqlType::String),
        ],
        vec![
            Arc::new(names) as ArrayRef,
            Arc::new(ords),
            Arc::new(dts),
            Arc::new(kts),
        ],
    )
}

fn dotnet_type(t: KqlType) -> &'static str {
    match t {
        KqlType::Bool => "System.Boolean",
        KqlType::Int => "System.Int32",
        KqlType::Long => "System.Int64",
        KqlType::Real => "System.Double",
        KqlType::Decimal => "System.Data.SqlTypes.SqlDecimal",
        KqlType::String => "System.String",
        KqlType::DateTime => "System.DateTime",
        KqlType::TimeSpan => "System.TimeSpan",
        KqlType::Guid => "System.Guid",
        KqlType::Dynamic => "System.Object",
    }
}

/// Appends `name` to `taken` uniquely (Kusto suffixes clashing names with 1, 2, ...).
pub fn fresh(name: &str, taken: &mut Vec<String>) -> String {
    let n = unique_name(name, taken);
    taken.push(n.clone());
    n
}
