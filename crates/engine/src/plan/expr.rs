//! Scalar expressions: AST → typed DataFusion expressions, with Kusto's name resolution,
//! implicit conversions and operator typing.

use super::Planner;
use super::env::{Binding, Env};
use super::rel::{Rel, col_ref};
use super::windows::WindowCollector;
use crate::error::{EngineError, Result};
use crate::functions::aggregate::AggCollector;
use crate::functions::conversion::{convert, to_string};
use crate::functions::{self, Call, kit};
use crate::texpr::TExpr;
use crate::types::KqlType;
use crate::{bail, value};
use datafusion::arrow::array::{ArrayRef, Int64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::common::cast::as_int64_array;
use datafusion::logical_expr::{Expr, Operator, binary_expr, cast, lit, when};
use kql::ast::{self, BinaryOp, ExprKind, InList, InOp, Literal, Span, StrOp, StrOpKind, UnaryOp};
use std::cell::RefCell;
use std::sync::Arc;

/// What an expression can see: the input row's columns, the lexical scope, and — inside
/// `summarize` or window-capable operators — collectors for aggregates and window functions.
pub struct ExprCx<'a> {
    pub rel: Option<&'a Rel>,
    pub env: &'a Env,
    pub agg: Option<&'a RefCell<AggCollector>>,
    pub window: Option<&'a RefCell<WindowCollector>>,
    /// In join conditions: the left and right inputs for `$left.x` / `$right.x`.
    pub join: Option<(&'a Rel, &'a Rel)>,
}

impl<'a> ExprCx<'a> {
    pub fn new(rel: Option<&'a Rel>, env: &'a Env) -> Self {
        ExprCx {
            rel,
            env,
            agg: None,
            window: None,
            join: None,
        }
    }
}

impl Planner<'_> {
    pub fn expr(&self, e: &ast::Expr, cx: &ExprCx) -> Result<TExpr> {
        match &e.kind {
            ExprKind::Literal(l) => self.literal(l, e.span),
            ExprKind::Paren(inner) => self.expr(inner, cx),
            ExprKind::Name(name) => self.name(name, e.span, cx),
            ExprKind::Placeholder(name) => self.placeholder_expr(name, e.span, cx),
            ExprKind::Member(base, field) => self.member(base, field, e.span, cx),
            ExprKind::Index(base, idx) => self.index(base, idx, cx),
            ExprKind::Call { name, args } => self.call(&name.name, args, e.span, cx),
            ExprKind::Unary(op, inner) => self.unary(*op, inner, e.span, cx),
            ExprKind::Binary(op, l, r) => self.binary(*op, l, r, e.span, cx),
            ExprKind::Between {
                expr,
                low,
                high,
                negated,
            } => {
                let x = self.expr(expr, cx)?;
                let lo = self.expr(low, cx)?;
                let mut hi = self.expr(high, cx)?;
                if x.ty == KqlType::DateTime && hi.ty == KqlType::TimeSpan {
                    hi = arith(BinaryOp::Add, lo.clone(), hi, e.span)?;
                }
                let ge = compare(Operator::GtEq, x.clone(), lo, e.span)?;
                let le = compare(Operator::LtEq, x, hi, e.span)?;
                let both = ge.expr.and(le.expr);
                Ok(TExpr::new(
                    if *negated {
                        Expr::Not(Box::new(both))
                    } else {
                        both
                    },
                    KqlType::Bool,
                ))
            }
            ExprKind::In { expr, op, list } => self.in_expr(expr, *op, list, e.span, cx),
            ExprKind::JoinSide(_) => {
                bail!(e.span, "$left/$right must be followed by a column name")
            }
            ExprKind::Star => bail!(
                e.span,
                "'*' is only valid as an argument of some aggregates"
            ),
            ExprKind::Tabular(t) => {
                // A tabular expression used as a scalar: its single value (like toscalar).
                let rel = self.tabular(t, cx.env)?;
                self.scalar_subquery(rel, e.span)
            }
            ExprKind::NamedArg(n, _) => {
                bail!(n.span, "named argument '{}' is not expected here", n.name)
            }
            ExprKind::MethodCall { name, .. } => {
                bail!(
                    e.span,
                    "calls of the form x.{}(...) are not supported",
                    name.name
                )
            }
        }
    }

    pub(crate) fn scalar_subquery(&self, rel: Rel, span: Span) -> Result<TExpr> {
        let Some((_, ty)) = rel.cols.first().cloned() else {
            bail!(
                span,
                "toscalar() needs a tabular expression with at least one column"
            )
        };
        let first = rel.cols[0].0.clone();
        let one = rel
            .builder()
            .project(vec![col_ref(&first)])?
            .limit(0, Some(1))?
            .build()?;
        Ok(TExpr::new(
            datafusion::logical_expr::expr_fn::scalar_subquery(Arc::new(one)),
            ty,
        ))
    }

    fn literal(&self, l: &Literal, span: Span) -> Result<TExpr> {
        Ok(match l {
            Literal::Null => TExpr::null(KqlType::Dynamic),
            Literal::Bool(b) => TExpr::bool(*b),
            Literal::Long(v) => TExpr::long(*v),
            Literal::Real(v) => TExpr::real(*v),
            Literal::String(s) => TExpr::string(self.fill_placeholders(s)),
            Literal::Timespan(t) => TExpr::timespan(*t),
            Literal::Dynamic(d) => TExpr::dynamic_json(dyn_literal_json(d, span)?),
            Literal::Typed { ty, text } => {
                typed_literal(&ty.name, text.as_deref(), ty.span.to(span))?
            }
        })
    }

    fn name(&self, name: &str, span: Span, cx: &ExprCx) -> Result<TExpr> {
        if let Some(rel) = cx.rel
            && let Some(c) = rel.column(name)
        {
            return Ok(c);
        }
        match cx.env.lookup(name) {
            Some(Binding::Scalar(t)) => return Ok(t.clone()),
            Some(Binding::LazyExpr(e, env)) => {
                let (e, env) = (e.clone(), env.clone());
                return self.expr(&e, &ExprCx::new(None, &env));
            }
            Some(Binding::Tabular(_)) | Some(Binding::LazyTabular(..)) => {
                bail!(
                    span,
                    "'{name}' is a tabular expression; a scalar is expected here (use toscalar())"
                )
            }
            Some(Binding::Function(def, fenv)) if def.params.is_empty() => {
                let (def, fenv) = (def.clone(), fenv.clone());
                return self.call_user_scalar(&def, &fenv, vec![], span, cx);
            }
            _ => {}
        }
        if let Some(v) = self.params.get(name) {
            return Ok(v.clone());
        }
        // A zero-argument builtin written without parentheses is not KQL; report the column.
        let known = cx.rel.map(|r| r.names().join(", ")).unwrap_or_default();
        if known.is_empty() {
            bail!(
                span,
                "unknown name '{name}': no column, variable or function is called that"
            )
        }
        bail!(
            span,
            "unknown column or variable '{name}' (columns: {})",
            truncate_list(&known)
        )
    }

    fn placeholder_expr(&self, name: &str, span: Span, _cx: &ExprCx) -> Result<TExpr> {
        match self.placeholders.get(name) {
            Some(v) => Ok(TExpr::string(v.clone())),
            None => bail!(
                span,
                "template placeholder '{{{{{name}}}}}' has no value: pass --param {name}=VALUE"
            ),
        }
    }

    /// Replaces `{{Name}}` placeholders inside string literals with their values.
    pub(crate) fn fill_placeholders(&self, s: &str) -> String {
        if !s.contains("{{") || self.placeholders.is_empty() {
            return s.to_string();
        }
        let mut out = s.to_string();
        for (k, v) in &self.placeholders {
            out = out.replace(&format!("{{{{{k}}}}}"), v);
        }
        out
    }

    fn member(
        &self,
        base: &ast::Expr,
        field: &ast::Ident,
        span: Span,
        cx: &ExprCx,
    ) -> Result<TExpr> {
        if let ExprKind::JoinSide(side) = base.kind {
            let Some((l, r)) = cx.join else {
                bail!(span, "$left/$right can only be used in join conditions")
            };
            let rel = if side == ast::JoinSide::Left { l } else { r };
            return match rel.column(&field.name) {
                Some(c) => Ok(c),
                None => bail!(
                    field.span,
                    "the {} side of the join has no column '{}'",
                    if side == ast::JoinSide::Left {
                        "left"
                    } else {
                        "right"
                    },
                    field.name
                ),
            };
        }
        let (root, path) = flatten_path(base, field)?;
        let b = self.expr(root, cx)?;
        let b = match b.ty {
            KqlType::Dynamic => b,
            KqlType::String => call_dynamic_parse(b),
            other => bail!(
                span,
                "member access '.{}' needs a dynamic value, got {other}",
                field.name
            ),
        };
        Ok(functions::dynamic::dynamic_path(b, path))
    }

    fn index(&self, base: &ast::Expr, idx: &ast::Expr, cx: &ExprCx) -> Result<TExpr> {
        let b = self.expr(base, cx)?;
        let b = match b.ty {
            KqlType::Dynamic => b,
            KqlType::String => call_dynamic_parse(b),
            other => bail!(base.span, "indexing needs a dynamic value, got {other}"),
        };
        let i = self.expr(idx, cx)?;
        if let Some(s) = i.as_str_literal() {
            return Ok(functions::dynamic::dynamic_path(
                b,
                vec![value::dynamic::PathElem::Key(s.to_string())],
            ));
        }
        if let Some(n) = i.as_i64_literal() {
            return Ok(functions::dynamic::dynamic_path(
                b,
                vec![value::dynamic::PathElem::Index(n)],
            ));
        }
        Ok(functions::dynamic::dynamic_index(b, i))
    }

    fn unary(&self, op: UnaryOp, inner: &ast::Expr, span: Span, cx: &ExprCx) -> Result<TExpr> {
        // Fold negative literals so that i64::MIN and typed negatives stay exact.
        if op == UnaryOp::Neg
            && let ExprKind::Literal(Literal::Timespan(t)) = &inner.kind
        {
            return Ok(TExpr::timespan(-t));
        }
        let v = self.expr(inner, cx)?;
        match op {
            UnaryOp::Plus => Ok(v),
            UnaryOp::Neg => match v.ty {
                KqlType::Int
                | KqlType::Long
                | KqlType::Real
                | KqlType::Decimal
                | KqlType::TimeSpan => {
                    if let Some(ScalarValue::Int64(Some(x))) = v.as_literal() {
                        return Ok(TExpr::new(lit(x.wrapping_neg()), v.ty));
                    }
                    if let Some(ScalarValue::Float64(Some(x))) = v.as_literal() {
                        return Ok(TExpr::new(lit(-x), v.ty));
                    }
                    Ok(TExpr::new(Expr::Negative(Box::new(v.expr)), v.ty))
                }
                KqlType::Dynamic => {
                    let r = convert(v, KqlType::Real);
                    Ok(TExpr::new(Expr::Negative(Box::new(r.expr)), KqlType::Real))
                }
                other => bail!(span, "cannot negate a value of type {other}"),
            },
            UnaryOp::Not => Ok(TExpr::new(
                Expr::Not(Box::new(to_bool(v, span)?.expr)),
                KqlType::Bool,
            )),
        }
    }

    fn binary(
        &self,
        op: BinaryOp,
        l: &ast::Expr,
        r: &ast::Expr,
        span: Span,
        cx: &ExprCx,
    ) -> Result<TExpr> {
        // `* has "x"`: any column matches.
        if let (ExprKind::Star, BinaryOp::Str(sop)) = (&l.kind, op) {
            let Some(rel) = cx.rel else {
                bail!(l.span, "'*' needs input columns")
            };
            let needle = self.expr(r, cx)?;
            let mut acc: Option<Expr> = None;
            for (c, t) in &rel.cols {
                let m = functions::string_ops::string_op(
                    sop,
                    TExpr::new(col_ref(c), *t),
                    needle.clone(),
                    span,
                )?
                .expr;
                acc = Some(match acc {
                    Some(a) if sop.negated => a.and(m),
                    Some(a) => a.or(m),
                    None => m,
                });
            }
            return Ok(TExpr::new(acc.unwrap_or(lit(false)), KqlType::Bool));
        }
        let a = self.expr(l, cx)?;
        let b = self.expr(r, cx)?;
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let (a, b) = (to_bool(a, l.span)?, to_bool(b, r.span)?);
                let e = if op == BinaryOp::And {
                    a.expr.and(b.expr)
                } else {
                    a.expr.or(b.expr)
                };
                Ok(TExpr::new(e, KqlType::Bool))
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
                arith(op, a, b, span)
            }
            BinaryOp::Eq => compare(Operator::Eq, a, b, span),
            BinaryOp::NotEq => compare(Operator::NotEq, a, b, span),
            BinaryOp::Lt => compare(Operator::Lt, a, b, span),
            BinaryOp::LtEq => compare(Operator::LtEq, a, b, span),
            BinaryOp::Gt => compare(Operator::Gt, a, b, span),
            BinaryOp::GtEq => compare(Operator::GtEq, a, b, span),
            BinaryOp::EqCi | BinaryOp::NotEqCi => functions::string_ops::string_op(
                StrOp {
                    kind: StrOpKind::Equals,
                    case_sensitive: false,
                    negated: op == BinaryOp::NotEqCi,
                },
                a,
                b,
                span,
            ),
            BinaryOp::Str(sop) => functions::string_ops::string_op(sop, a, b, span),
        }
    }

    fn in_expr(
        &self,
        x: &ast::Expr,
        op: InOp,
        list: &InList,
        span: Span,
        cx: &ExprCx,
    ) -> Result<TExpr> {
        let left = self.expr(x, cx)?;
        let items: Vec<TExpr> = match list {
            InList::Exprs(items) => {
                // `in (T)` where T is a tabular let or table: a subquery.
                if let [single] = items.as_slice()
                    && let ExprKind::Name(n) = &single.kind
                    && cx.rel.is_none_or(|r| r.find(n).is_none())
                    && self.is_tabular_name(n, cx.env)
                {
                    let rel = self.tabular_name(n, single.span, cx.env)?;
                    return self.in_subquery(left, op, rel, span);
                }
                items
                    .iter()
                    .map(|i| self.expr(i, cx))
                    .collect::<Result<_>>()?
            }
            InList::Tabular(t) => {
                let rel = self.tabular(t, cx.env)?;
                return self.in_subquery(left, op, rel, span);
            }
        };
        match op {
            InOp::HasAny | InOp::HasAll => {
                functions::string_ops::has_any_all(left, items, op == InOp::HasAll, span)
            }
            InOp::In | InOp::NotIn | InOp::InCi | InOp::NotInCi => functions::string_ops::in_list(
                left,
                items,
                matches!(op, InOp::InCi | InOp::NotInCi),
                matches!(op, InOp::NotIn | InOp::NotInCi),
                span,
            ),
        }
    }

    fn in_subquery(&self, left: TExpr, op: InOp, rel: Rel, span: Span) -> Result<TExpr> {
        let Some((first, ty)) = rel.cols.first().cloned() else {
            bail!(span, "the tabular expression after 'in' has no columns")
        };
        match op {
            InOp::In | InOp::NotIn => {
                let (l, r) = unify_for_compare(left, TExpr::new(col_ref(&first), ty), span)?;
                let sub = rel.builder().project(vec![r.expr.alias("__in")])?.build()?;
                let e = datafusion::logical_expr::expr_fn::in_subquery(l.expr, Arc::new(sub));
                Ok(TExpr::new(
                    if op == InOp::NotIn {
                        Expr::Not(Box::new(e))
                    } else {
                        e
                    },
                    KqlType::Bool,
                ))
            }
            InOp::InCi | InOp::NotInCi => {
                let l = TExpr::new(
                    datafusion::functions::expr_fn::lower(to_string(left).expr),
                    KqlType::String,
                );
                let r = TExpr::new(
                    datafusion::functions::expr_fn::lower(
                        to_string(TExpr::new(col_ref(&first), ty)).expr,
                    ),
                    KqlType::String,
                );
                let sub = rel.builder().project(vec![r.expr.alias("__in")])?.build()?;
                let e = datafusion::logical_expr::expr_fn::in_subquery(l.expr, Arc::new(sub));
                Ok(TExpr::new(
                    if op == InOp::NotInCi {
                        Expr::Not(Box::new(e))
                    } else {
                        e
                    },
                    KqlType::Bool,
                ))
            }
            InOp::HasAny | InOp::HasAll => {
                // The list is data: gather it into a dynamic array first.
                let arr = self.collect_list_scalar(rel, span)?;
                functions::string_ops::has_any_all(left, vec![arr], op == InOp::HasAll, span)
            }
        }
    }

    /// `make_list` of a table's first column, as a scalar dynamic array.
    fn collect_list_scalar(&self, rel: Rel, span: Span) -> Result<TExpr> {
        let (first, ty) = rel.cols[0].clone();
        let agg = functions::aggregate::make_list_expr(TExpr::new(col_ref(&first), ty));
        let plan = rel
            .builder()
            .aggregate(Vec::<Expr>::new(), vec![agg.alias("__l")])?
            .build()?;
        let r = Rel::new(plan, vec![("__l".into(), KqlType::Dynamic)]);
        self.scalar_subquery(r, span)
    }

    fn call(&self, name: &str, args: &[ast::Expr], span: Span, cx: &ExprCx) -> Result<TExpr> {
        // User-defined functions shadow builtins.
        if let Some(Binding::Function(def, fenv)) = cx.env.lookup(name) {
            let (def, fenv) = (def.clone(), fenv.clone());
            let targs = args
                .iter()
                .map(|a| self.expr(a, cx))
                .collect::<Result<Vec<_>>>()?;
            return self.call_user_scalar(&def, &fenv, targs, span, cx);
        }
        if let Some(agg) = cx.agg
            && functions::aggregate::is_aggregate(name)
        {
            return self.plan_aggregate(name, args, span, cx, agg);
        }
        if functions::aggregate::is_aggregate(name) && cx.agg.is_none() {
            bail!(
                span,
                "aggregate function '{name}' can only be used in summarize (or make-series)"
            )
        }
        if functions::window::is_window(name) {
            return self.plan_window(name, args, span, cx);
        }
        match name {
            "toscalar" => {
                let [arg] = args else {
                    bail!(span, "toscalar() expects one argument")
                };
                let rel = match &arg.kind {
                    ExprKind::Tabular(t) => self.tabular(t, cx.env)?,
                    ExprKind::Name(n) if self.is_tabular_name(n, cx.env) => {
                        self.tabular_name(n, arg.span, cx.env)?
                    }
                    _ => {
                        let t = ast::TabularExpr {
                            source: ast::Source::Expr(arg.clone()),
                            ops: vec![],
                            span: arg.span,
                        };
                        self.tabular(&t, cx.env)?
                    }
                };
                return self.scalar_subquery(rel, span);
            }
            "pack_all" | "bag_pack_all" => {
                let Some(rel) = cx.rel else {
                    bail!(span, "pack_all() needs input columns")
                };
                let cols = rel.items();
                return Ok(functions::dynamic::pack_all(cols));
            }
            "column_ifexists" => {
                let [n, dflt] = args else {
                    bail!(span, "column_ifexists() expects 2 arguments")
                };
                let name_t = self.expr(n, cx)?;
                let Some(cname) = name_t.as_str_literal() else {
                    bail!(n.span, "column_ifexists() needs a constant column name")
                };
                if let Some(c) = cx.rel.and_then(|r| r.column(cname)) {
                    return Ok(c);
                }
                return self.expr(dflt, cx);
            }
            "now" if args.is_empty() => return Ok(TExpr::datetime(self.fnctx.now)),
            "materialize" => {
                if let [a] = args {
                    return self.expr(a, cx);
                }
            }
            _ => {}
        }
        let mut targs = Vec::with_capacity(args.len());
        for a in args {
            match &a.kind {
                ExprKind::Star => bail!(a.span, "'*' is not valid as an argument of '{name}'"),
                ExprKind::NamedArg(_, v) => targs.push(self.expr(v, cx)?),
                _ => targs.push(self.expr(a, cx)?),
            }
        }
        if let Some(f) = crate::plan::conditional::lookup(name) {
            return f(targs, span);
        }
        match functions::registry().lookup(name) {
            Some(f) => f(Call {
                name,
                args: targs,
                span,
                ctx: &self.fnctx,
            }),
            None => {
                if self.catalog.table(name).is_some() || self.is_tabular_name(name, cx.env) {
                    bail!(
                        span,
                        "'{name}' is tabular; it cannot be used as a scalar function"
                    )
                }
                bail!(span, "unknown function '{name}'")
            }
        }
    }

    /// Calls a user-defined function whose body is a scalar expression.
    pub(crate) fn call_user_scalar(
        &self,
        def: &ast::FunctionDef,
        fenv: &Env,
        args: Vec<TExpr>,
        span: Span,
        cx: &ExprCx,
    ) -> Result<TExpr> {
        let env = self.bind_params(
            def,
            fenv,
            args.into_iter().map(ArgValue::Scalar).collect(),
            span,
            cx.env,
        )?;
        let mut env = env;
        let Some((last, lets)) = def.body.split_last() else {
            bail!(span, "function body is empty")
        };
        for st in lets {
            env = self.statement_binding(st, &env)?;
        }
        match last {
            ast::Statement::Expr(e) => {
                let inner = ExprCx {
                    rel: cx.rel,
                    env: &env,
                    agg: cx.agg,
                    window: cx.window,
                    join: cx.join,
                };
                self.expr(e, &inner)
            }
            ast::Statement::Query(t) => {
                // A body like `{ x + 1 }` may parse as a tabular source expression.
                if t.ops.is_empty()
                    && let ast::Source::Expr(e) = &t.source
                {
                    let inner = ExprCx {
                        rel: cx.rel,
                        env: &env,
                        agg: cx.agg,
                        window: cx.window,
                        join: cx.join,
                    };
                    return self.expr(e, &inner);
                }
                let rel = self.tabular(t, &env)?;
                self.scalar_subquery(rel, span)
            }
            _ => bail!(span, "function body must end with an expression"),
        }
    }
}

pub enum ArgValue {
    Scalar(TExpr),
    Tabular(Rel),
}

impl Planner<'_> {
    /// Binds call arguments (or defaults) to a function's parameters.
    pub(crate) fn bind_params(
        &self,
        def: &ast::FunctionDef,
        fenv: &Env,
        args: Vec<ArgValue>,
        span: Span,
        caller_env: &Env,
    ) -> Result<Env> {
        if args.len() > def.params.len() {
            bail!(
                span,
                "function expects at most {} argument(s), got {}",
                def.params.len(),
                args.len()
            )
        }
        let mut env = fenv.clone();
        let mut it = args.into_iter();
        for p in &def.params {
            let binding = match it.next() {
                Some(ArgValue::Scalar(t)) => match &p.ty {
                    ast::ParamType::Scalar(tn) => {
                        let want = KqlType::from_name(&tn.name).ok_or_else(|| {
                            EngineError::plan(format!("unknown type '{}'", tn.name), tn.span)
                        })?;
                        Binding::Scalar(if t.ty == want { t } else { convert(t, want) })
                    }
                    ast::ParamType::Tabular { .. } => {
                        bail!(span, "parameter '{}' expects a table", p.name.name)
                    }
                },
                Some(ArgValue::Tabular(r)) => Binding::Tabular(r),
                None => match &p.default {
                    Some(d) => {
                        let v = self.expr(d, &ExprCx::new(None, caller_env))?;
                        let v = match &p.ty {
                            ast::ParamType::Scalar(tn) => match KqlType::from_name(&tn.name) {
                                Some(want) if want != v.ty => convert(v, want),
                                _ => v,
                            },
                            _ => v,
                        };
                        Binding::Scalar(v)
                    }
                    None => bail!(span, "missing argument for parameter '{}'", p.name.name),
                },
            };
            env = env.bind(p.name.name.clone(), binding);
        }
        Ok(env)
    }
}

/// Splits `a.b.c` into the root expression and the path of keys.
fn flatten_path<'e>(
    base: &'e ast::Expr,
    field: &ast::Ident,
) -> Result<(&'e ast::Expr, Vec<value::dynamic::PathElem>)> {
    let mut path = vec![value::dynamic::PathElem::Key(field.name.clone())];
    let mut cur = base;
    loop {
        match &cur.kind {
            ExprKind::Member(b, f) => {
                path.push(value::dynamic::PathElem::Key(f.name.clone()));
                cur = b;
            }
            ExprKind::Index(b, i) => match &i.kind {
                ExprKind::Literal(Literal::Long(n)) => {
                    path.push(value::dynamic::PathElem::Index(*n));
                    cur = b;
                }
                ExprKind::Literal(Literal::String(s)) => {
                    path.push(value::dynamic::PathElem::Key(s.clone()));
                    cur = b;
                }
                _ => break,
            },
            _ => break,
        }
    }
    path.reverse();
    Ok((cur, path))
}

fn call_dynamic_parse(b: TExpr) -> TExpr {
    kit::call(
        &functions::conversion::parse_json_udf(),
        vec![b],
        KqlType::Dynamic,
    )
}

fn truncate_list(s: &str) -> String {
    if s.len() > 300 {
        format!("{}…", &s[..s.floor_char_boundary(300)])
    } else {
        s.to_string()
    }
}

/// A bool-typed expression from a predicate operand (dynamic and strings convert).
pub fn to_bool(v: TExpr, span: Span) -> Result<TExpr> {
    match v.ty {
        KqlType::Bool => Ok(v),
        KqlType::Dynamic | KqlType::String | KqlType::Int | KqlType::Long => {
            Ok(convert(v, KqlType::Bool))
        }
        other => bail!(span, "a bool is expected here, got {other}"),
    }
}

/// A `typed(text)` literal: `datetime(2020-01-01)`, `int(null)`, `real(nan)`, `guid(...)`...
pub fn typed_literal(ty: &str, text: Option<&str>, span: Span) -> Result<TExpr> {
    // `typeof(int)` names a type (as `extract`'s last argument); it stands for the name.
    if ty == "typeof" {
        let name = text.unwrap_or("").trim();
        return match KqlType::from_name(name) {
            Some(t) => Ok(TExpr::string(t.name())),
            None => bail!(span, "unknown type '{name}' in typeof()"),
        };
    }
    let Some(t) = KqlType::from_name(ty) else {
        bail!(span, "unknown type '{ty}'")
    };
    let Some(text) = text else {
        return Ok(TExpr::null(t));
    };
    let text = text.trim();
    if text.eq_ignore_ascii_case("null") {
        return Ok(TExpr::null(t));
    }
    let bad = || EngineError::plan(format!("'{text}' is not a valid {t} literal"), span);
    Ok(match t {
        KqlType::Bool => TExpr::bool(functions::conversion::parse_bool(text).ok_or_else(bad)?),
        KqlType::Int => {
            let v = functions::conversion::parse_long(text).ok_or_else(bad)?;
            TExpr::new(lit(i32::try_from(v).map_err(|_| bad())?), KqlType::Int)
        }
        KqlType::Long => TExpr::long(functions::conversion::parse_long(text).ok_or_else(bad)?),
        KqlType::Real | KqlType::Decimal => {
            let v = functions::conversion::parse_real(text).ok_or_else(bad)?;
            TExpr::new(lit(v), t)
        }
        KqlType::String => TExpr::string(text.trim_matches(['"', '\''])),
        KqlType::DateTime => TExpr::datetime(value::datetime::parse(text).ok_or_else(bad)?),
        KqlType::TimeSpan => TExpr::timespan(value::timespan::parse(text).ok_or_else(bad)?),
        KqlType::Guid => {
            let g = text.trim_matches(['{', '}']).to_ascii_lowercase();
            let ok = g.len() == 36 && g.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
            if !ok {
                return Err(bad());
            }
            TExpr::new(lit(g), KqlType::Guid)
        }
        KqlType::Dynamic => {
            let v = value::dynamic::parse(text).ok_or_else(bad)?;
            TExpr::dynamic_json(value::dynamic::to_text(&v))
        }
    })
}

/// JSON text of a `dynamic(...)` literal.
pub fn dyn_literal_json(d: &ast::DynValue, span: Span) -> Result<String> {
    fn conv(d: &ast::DynValue, span: Span) -> Result<serde_json::Value> {
        use serde_json::Value;
        Ok(match d {
            ast::DynValue::Null => Value::Null,
            ast::DynValue::Bool(b) => Value::Bool(*b),
            ast::DynValue::Long(v) => Value::from(*v),
            ast::DynValue::Real(v) => serde_json::Number::from_f64(*v)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            ast::DynValue::String(s) => Value::String(s.clone()),
            ast::DynValue::Array(a) => {
                Value::Array(a.iter().map(|x| conv(x, span)).collect::<Result<_>>()?)
            }
            ast::DynValue::Object(o) => {
                let mut m = serde_json::Map::new();
                for (k, v) in o {
                    m.insert(k.clone(), conv(v, span)?);
                }
                Value::Object(m)
            }
            ast::DynValue::Typed { ty, text } => {
                let t = typed_literal(ty, text.as_deref(), span)?;
                match (t.ty, t.as_literal()) {
                    (_, None) => Value::Null,
                    (_, Some(v)) if v.is_null() => Value::Null,
                    (KqlType::DateTime, Some(ScalarValue::Int64(Some(x)))) => {
                        Value::String(value::datetime::format_iso(*x))
                    }
                    (KqlType::TimeSpan, Some(ScalarValue::Int64(Some(x)))) => {
                        Value::String(value::timespan::format(*x))
                    }
                    (_, Some(ScalarValue::Int64(Some(x)))) => Value::from(*x),
                    (_, Some(ScalarValue::Int32(Some(x)))) => Value::from(*x),
                    (_, Some(ScalarValue::Float64(Some(x)))) => serde_json::Number::from_f64(*x)
                        .map(Value::Number)
                        .unwrap_or(Value::Null),
                    (_, Some(ScalarValue::Boolean(Some(b)))) => Value::Bool(*b),
                    (_, Some(ScalarValue::Utf8(Some(s)))) => Value::String(s.clone()),
                    _ => Value::Null,
                }
            }
        })
    }
    Ok(value::dynamic::to_text(&conv(d, span)?))
}

/// Result type of numeric promotion: int < long < decimal < real.
fn numeric_join(a: KqlType, b: KqlType) -> KqlType {
    use KqlType::*;
    match (a, b) {
        (Real, _) | (_, Real) => Real,
        (Decimal, _) | (_, Decimal) => Decimal,
        (Long, _) | (_, Long) => Long,
        _ => Int,
    }
}

/// Arithmetic with Kusto's typing of datetimes and timespans.
pub fn arith(op: BinaryOp, a: TExpr, b: TExpr, span: Span) -> Result<TExpr> {
    use KqlType::*;
    if a.ty == Dynamic && b.ty == Dynamic {
        bail!(
            span,
            "operator '{op}' is not defined for dynamic and dynamic: convert with todouble() or tolong()"
        )
    }
    let a = if a.ty == Dynamic { convert(a, Real) } else { a };
    let b = if b.ty == Dynamic { convert(b, Real) } else { b };
    let a = if a.ty == Bool { convert(a, Long) } else { a };
    let b = if b.ty == Bool { convert(b, Long) } else { b };
    let dfop = match op {
        BinaryOp::Add => Operator::Plus,
        BinaryOp::Sub => Operator::Minus,
        BinaryOp::Mul => Operator::Multiply,
        BinaryOp::Div => Operator::Divide,
        BinaryOp::Mod => Operator::Modulo,
        _ => bail!(span, "not an arithmetic operator: {op}"),
    };
    let ty_err = |a: KqlType, b: KqlType| {
        EngineError::plan(
            format!("operator '{op}' is not defined for {a} and {b}"),
            span,
        )
    };
    match (a.ty, b.ty) {
        (x, y) if x.is_numeric() && y.is_numeric() => {
            // int arithmetic is carried out in long, as Kusto does.
            let t = match numeric_join(x, y) {
                Int => Long,
                t => t,
            };
            let (ca, cb) = (convert(a, t), convert(b, t));
            if matches!(t, Real | Decimal) && op == BinaryOp::Mod {
                return Ok(kit::call_exprs(&fmod_udf(), vec![ca.expr, cb.expr], t));
            }
            if t.is_integer() && matches!(op, BinaryOp::Div | BinaryOp::Mod) {
                return Ok(int_div_mod(op, ca, cb, t));
            }
            Ok(TExpr::new(binary_expr(ca.expr, dfop, cb.expr), t))
        }
        (DateTime, DateTime) if op == BinaryOp::Sub => {
            Ok(TExpr::new(binary_expr(a.expr, dfop, b.expr), TimeSpan))
        }
        (DateTime, TimeSpan) if matches!(op, BinaryOp::Add | BinaryOp::Sub) => {
            Ok(TExpr::new(binary_expr(a.expr, dfop, b.expr), DateTime))
        }
        (TimeSpan, DateTime) if op == BinaryOp::Add => {
            Ok(TExpr::new(binary_expr(a.expr, dfop, b.expr), DateTime))
        }
        (TimeSpan, TimeSpan) => match op {
            BinaryOp::Add | BinaryOp::Sub => {
                Ok(TExpr::new(binary_expr(a.expr, dfop, b.expr), TimeSpan))
            }
            BinaryOp::Div => Ok(TExpr::new(
                binary_expr(
                    cast(a.expr, DataType::Float64),
                    Operator::Divide,
                    cast(b.expr, DataType::Float64),
                ),
                Real,
            )),
            BinaryOp::Mod => Ok(int_div_mod(op, a, b, TimeSpan)),
            _ => Err(ty_err(a.ty, b.ty)),
        },
        (TimeSpan, n) | (n, TimeSpan) if n.is_numeric() && matches!(op, BinaryOp::Mul) => {
            let (ts, num) = if a.ty == TimeSpan { (a, b) } else { (b, a) };
            let prod = binary_expr(
                cast(ts.expr, DataType::Float64),
                Operator::Multiply,
                convert(num, Real).expr,
            );
            Ok(round_ticks(prod, TimeSpan))
        }
        (TimeSpan, n) if n.is_numeric() && op == BinaryOp::Div => {
            let q = binary_expr(
                cast(a.expr, DataType::Float64),
                Operator::Divide,
                convert(b, Real).expr,
            );
            Ok(round_ticks(q, TimeSpan))
        }
        (x, y) => Err(ty_err(x, y)),
    }
}

fn round_ticks(e: Expr, ty: KqlType) -> TExpr {
    let r = kit::call_exprs(&real_to_ticks_udf(), vec![e], ty);
    TExpr::new(r.expr, ty)
}

fn real_to_ticks_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    crate::cached_udf!(kit::udf(
        "kql_real_to_ticks",
        vec![DataType::Float64],
        DataType::Int64,
        |a, _| {
            let r = datafusion::common::cast::as_float64_array(&a[0])?;
            let out: Int64Array = r
                .iter()
                .map(|v| v.filter(|x| x.is_finite()).map(|x| x.trunc() as i64))
                .collect();
            Ok(Arc::new(out) as ArrayRef)
        }
    ))
}

/// Integer division truncates toward zero; modulo is Euclidean (never negative), as Kusto
/// computes them. Division by zero gives null instead of failing the query.
fn int_div_mod(op: BinaryOp, a: TExpr, b: TExpr, t: KqlType) -> TExpr {
    let (a64, b64) = (cast(a.expr, DataType::Int64), cast(b.expr, DataType::Int64));
    let f = if op == BinaryOp::Div {
        idiv_udf()
    } else {
        imod_udf()
    };
    let e = kit::call_exprs(&f, vec![a64, b64], KqlType::Long).expr;
    if t == KqlType::Int {
        TExpr::new(cast(e, DataType::Int32), t)
    } else {
        TExpr::new(e, t)
    }
}

fn fmod_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    crate::cached_udf!(kit::udf(
        "kql_fmod",
        vec![DataType::Float64, DataType::Float64],
        DataType::Float64,
        |a, _| {
            let (x, y) = (
                datafusion::common::cast::as_float64_array(&a[0])?,
                datafusion::common::cast::as_float64_array(&a[1])?,
            );
            let out: datafusion::arrow::array::Float64Array = x
                .iter()
                .zip(y.iter())
                .map(|(p, q)| Some(p?.rem_euclid(q?)))
                .collect();
            Ok(Arc::new(out) as ArrayRef)
        }
    ))
}

/// A long × long → long UDF that yields null when the divisor is zero.
fn int_div_like(name: &str, f: fn(i64, i64) -> i64) -> Arc<datafusion::logical_expr::ScalarUDF> {
    kit::udf(
        name,
        vec![DataType::Int64, DataType::Int64],
        DataType::Int64,
        move |a, _| {
            let (x, y) = (as_int64_array(&a[0])?, as_int64_array(&a[1])?);
            let out: Int64Array = x
                .iter()
                .zip(y.iter())
                .map(|(p, q)| match (p, q) {
                    (Some(p), Some(q)) if q != 0 => Some(f(p, q)),
                    _ => None,
                })
                .collect();
            Ok(Arc::new(out) as ArrayRef)
        },
    )
}

fn idiv_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    crate::cached_udf!(int_div_like("kql_idiv", i64::wrapping_div))
}

fn imod_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    crate::cached_udf!(int_div_like("kql_imod", i64::wrapping_rem_euclid))
}

/// Brings two operands to a common type for comparison, with Kusto's conversions.
pub fn unify_for_compare(a: TExpr, b: TExpr, span: Span) -> Result<(TExpr, TExpr)> {
    use KqlType::*;
    Ok(match (a.ty, b.ty) {
        (x, y) if x == y => (a, b),
        (x, y) if x.is_numeric() && y.is_numeric() => {
            let t = numeric_join(x, y);
            (convert(a, t), convert(b, t))
        }
        (String | Guid, String | Guid) => (TExpr::new(a.expr, String), TExpr::new(b.expr, String)),
        // Dynamic against a typed value: read the dynamic as that type.
        (Dynamic, t) => (convert(a, t), b),
        (t, Dynamic) => (a, convert(b, t)),
        // String against a number (`ResultType == 0` on a string column): compare as text.
        (String, t) if t.is_numeric() || t == Bool => (a, to_string(b)),
        (t, String) if t.is_numeric() || t == Bool => (to_string(a), b),
        (DateTime, String) => (a, convert(b, DateTime)),
        (String, DateTime) => (convert(a, DateTime), b),
        (TimeSpan, String) => (a, convert(b, TimeSpan)),
        (String, TimeSpan) => (convert(a, TimeSpan), b),
        (Bool, t) if t.is_integer() => (convert(a, t), b),
        (t, Bool) if t.is_integer() => (a, convert(b, t)),
        (DateTime, TimeSpan) | (TimeSpan, DateTime) | (DateTime, Long) | (Long, DateTime) => {
            (TExpr::new(a.expr, Long), TExpr::new(b.expr, Long))
        }
        (x, y) => bail!(span, "cannot compare {x} with {y}"),
    })
}

pub fn compare(op: Operator, a: TExpr, b: TExpr, span: Span) -> Result<TExpr> {
    let (a, b) = unify_for_compare(a, b, span)?;
    // Strings are never null in KQL: compare null as "".
    let (ae, be) = if a.ty == KqlType::String && matches!(op, Operator::Eq | Operator::NotEq) {
        (coalesce_empty(a.expr), coalesce_empty(b.expr))
    } else {
        (a.expr, b.expr)
    };
    Ok(TExpr::new(binary_expr(ae, op, be), KqlType::Bool))
}

fn coalesce_empty(e: Expr) -> Expr {
    match &e {
        Expr::Literal(ScalarValue::Utf8(Some(_)), _) => e,
        _ => datafusion::functions::expr_fn::coalesce(vec![e, lit("")]),
    }
}

/// `iff`-style selection with type unification of the branches.
pub fn select(cond: TExpr, a: TExpr, b: TExpr, span: Span) -> Result<TExpr> {
    let (a, b) = unify_branches(a, b, span)?;
    let ty = a.ty;
    Ok(TExpr::new(when(cond.expr, a.expr).otherwise(b.expr)?, ty))
}

/// Unifies the types of two values that end up in the same column.
pub fn unify_branches(a: TExpr, b: TExpr, span: Span) -> Result<(TExpr, TExpr)> {
    use KqlType::*;
    if a.ty == b.ty {
        return Ok((a, b));
    }
    let a_null = a.as_literal().is_some_and(|v| v.is_null());
    let b_null = b.as_literal().is_some_and(|v| v.is_null());
    if a_null {
        return Ok((TExpr::null(b.ty), b));
    }
    if b_null {
        let t = a.ty;
        return Ok((a, TExpr::null(t)));
    }
    Ok(match (a.ty, b.ty) {
        (x, y) if x.is_numeric() && y.is_numeric() => {
            let t = numeric_join(x, y);
            (convert(a, t), convert(b, t))
        }
        (String | Guid, String | Guid) => (TExpr::new(a.expr, String), TExpr::new(b.expr, String)),
        (Dynamic, _) => (a, functions::conversion::to_dynamic(b)),
        (_, Dynamic) => (functions::conversion::to_dynamic(a), b),
        (x, y) => bail!(span, "the branches have different types: {x} and {y}"),
    })
}
