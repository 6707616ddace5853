//! The planner: KQL AST → DataFusion `LogicalPlan`, one module per construct.
//!
//! Like datafusion-sql's `SqlToRel`, the planner is generic over a catalog (our [`Catalog`]
//! trait) and builds plans with `LogicalPlanBuilder`. Every intermediate result is a [`Rel`]:
//! a plan plus the KQL types of its columns.

pub mod advanced;
pub mod conditional;
pub mod env;
pub mod expr;
pub mod join;
pub mod mvexpand;
pub mod ops;
pub mod parse;
pub mod rel;
pub mod reshape;
pub mod scan;
pub mod sources;
pub mod summarize;
pub mod topnested;
pub mod union;
pub mod windows;

use crate::bail;
use crate::catalog::Catalog;
use crate::error::{EngineError, Result};
use crate::functions::FnContext;
use crate::texpr::TExpr;
use crate::types::KqlType;
use datafusion::execution::context::SessionContext;
use env::{Binding, Env};
use expr::{ArgValue, ExprCx};
use kql::ast::{self, ExprKind, LetValue, Source, Span, Statement, TabularExpr};
use rel::Rel;
use std::collections::HashMap;
use std::rc::Rc;

pub struct Planner<'a> {
    pub catalog: &'a dyn Catalog,
    pub fnctx: FnContext,
    /// Values for `{{Name}}` template placeholders.
    pub placeholders: HashMap<String, String>,
    /// Raw `--param` values, used for `declare query_parameters`.
    pub raw_params: HashMap<String, String>,
    /// Declared query parameters, resolved to typed values.
    pub params: HashMap<String, TExpr>,
    /// Used to run sub-plans whose result shapes the plan (bag_unpack, pivot).
    pub session: SessionContext,
}

impl<'a> Planner<'a> {
    pub fn new(catalog: &'a dyn Catalog, session: SessionContext, now_ticks: i64) -> Self {
        Planner {
            catalog,
            fnctx: FnContext { now: now_ticks },
            placeholders: HashMap::new(),
            raw_params: HashMap::new(),
            params: HashMap::new(),
            session,
        }
    }

    /// Plans a whole query: binds its `let`s and returns the result of its last tabular
    /// statement.
    pub fn plan_query(&mut self, q: &ast::Query) -> Result<Rel> {
        let mut env = Env::default();
        let mut result = None;
        for st in &q.statements {
            match st {
                Statement::DeclareQueryParameters { params, .. } => self.declare_params(params)?,
                Statement::Query(t) => result = Some((t.clone(), env.clone())),
                Statement::Expr(e) => {
                    // A final bare name or call that denotes a table.
                    let t = TabularExpr {
                        source: Source::Expr(e.clone()),
                        ops: vec![],
                        span: e.span,
                    };
                    result = Some((t, env.clone()));
                }
                other => env = self.statement_binding(other, &env)?,
            }
        }
        match result {
            Some((t, env)) => self.tabular(&t, &env),
            None => Err(EngineError::plan_nospan(
                "the query has no tabular expression to return",
            )),
        }
    }

    fn declare_params(&mut self, params: &[ast::Param]) -> Result<()> {
        for p in params {
            let ast::ParamType::Scalar(tn) = &p.ty else {
                bail!(p.name.span, "tabular query parameters are not supported")
            };
            let Some(ty) = KqlType::from_name(&tn.name) else {
                bail!(tn.span, "unknown type '{}'", tn.name)
            };
            let v = if let Some(raw) = self.raw_params.get(&p.name.name) {
                let s = TExpr::string(raw.clone());
                crate::functions::conversion::convert(s, ty)
            } else if let Some(d) = &p.default {
                let env = Env::default();
                let v = self.expr(d, &ExprCx::new(None, &env))?;
                crate::functions::conversion::convert(v, ty)
            } else {
                bail!(
                    p.name.span,
                    "query parameter '{}' has no value: pass --param {}=VALUE",
                    p.name.name,
                    p.name.name
                )
            };
            self.params.insert(p.name.name.clone(), v);
        }
        Ok(())
    }

    /// Adds a `let` (or ignores `set`) to the scope.
    pub(crate) fn statement_binding(&self, st: &Statement, env: &Env) -> Result<Env> {
        match st {
            Statement::Let { name, value, .. } => {
                let b = match value {
                    LetValue::Function(def) => Binding::Function(Rc::new(def.clone()), env.clone()),
                    LetValue::Tabular(t) => Binding::LazyTabular(Rc::new(t.clone()), env.clone()),
                    LetValue::Expr(e) => self.let_expr_binding(e, env)?,
                };
                Ok(env.bind(name.name.clone(), b))
            }
            Statement::Set { .. } | Statement::DeclareQueryParameters { .. } => Ok(env.clone()),
            Statement::Query(_) | Statement::Expr(_) => Ok(env.clone()),
        }
    }

    fn let_expr_binding(&self, e: &ast::Expr, env: &Env) -> Result<Binding> {
        match &e.kind {
            ExprKind::Name(n) if self.is_tabular_name(n, env) => {
                let t = TabularExpr {
                    source: Source::Expr(e.clone()),
                    ops: vec![],
                    span: e.span,
                };
                Ok(Binding::LazyTabular(Rc::new(t), env.clone()))
            }
            ExprKind::Call { name, .. } if self.call_is_tabular(&name.name, env) => {
                let t = TabularExpr {
                    source: Source::Expr(e.clone()),
                    ops: vec![],
                    span: e.span,
                };
                Ok(Binding::LazyTabular(Rc::new(t), env.clone()))
            }
            ExprKind::Tabular(t) => Ok(Binding::LazyTabular(Rc::new((**t).clone()), env.clone())),
            _ => {
                let v = self.expr(e, &ExprCx::new(None, env))?;
                Ok(Binding::Scalar(v))
            }
        }
    }

    fn call_is_tabular(&self, name: &str, env: &Env) -> bool {
        match env.lookup(name) {
            Some(Binding::Function(def, _)) => function_is_tabular(def),
            Some(_) => false,
            None => matches!(name, "materialize" | "table" | "_GetWatchlist" | "view"),
        }
    }

    pub(crate) fn is_tabular_name(&self, name: &str, env: &Env) -> bool {
        match env.lookup(name) {
            Some(Binding::Tabular(_)) | Some(Binding::LazyTabular(..)) => true,
            Some(Binding::Function(def, _)) => def.params.is_empty() && function_is_tabular(def),
            Some(Binding::LazyExpr(..)) | Some(Binding::Scalar(_)) => false,
            None => self.catalog.table(name).is_some(),
        }
    }

    /// The table or tabular `let` called `name`.
    pub(crate) fn tabular_name(&self, name: &str, span: Span, env: &Env) -> Result<Rel> {
        match env.lookup(name) {
            Some(Binding::Tabular(r)) => return Ok(r.clone()),
            Some(Binding::LazyTabular(t, tenv)) => {
                let (t, tenv) = (t.clone(), tenv.clone());
                return self.tabular(&t, &tenv);
            }
            Some(Binding::Function(def, fenv)) => {
                let (def, fenv) = (def.clone(), fenv.clone());
                return self.call_user_tabular(&def, &fenv, vec![], span, env);
            }
            Some(Binding::Scalar(_)) | Some(Binding::LazyExpr(..)) => {
                bail!(span, "'{name}' is a scalar value; a table is expected here")
            }
            None => {}
        }
        match self.catalog.table(name) {
            Some(provider) => scan::scan_table(name, provider),
            None => {
                let hint = table_hint(name);
                bail!(span, "unknown table '{name}'{hint}")
            }
        }
    }

    pub(crate) fn call_user_tabular(
        &self,
        def: &ast::FunctionDef,
        fenv: &Env,
        args: Vec<ArgValue>,
        span: Span,
        caller_env: &Env,
    ) -> Result<Rel> {
        let mut env = self.bind_params(def, fenv, args, span, caller_env)?;
        let Some((last, lets)) = def.body.split_last() else {
            bail!(span, "function body is empty")
        };
        for st in lets {
            env = self.statement_binding(st, &env)?;
        }
        match last {
            Statement::Query(t) => self.tabular(t, &env),
            Statement::Expr(e) => {
                let t = TabularExpr {
                    source: Source::Expr(e.clone()),
                    ops: vec![],
                    span: e.span,
                };
                self.tabular(&t, &env)
            }
            _ => bail!(span, "function body must end with a tabular expression"),
        }
    }

    /// Plans a tabular expression: its source, then each operator in turn.
    pub fn tabular(&self, t: &TabularExpr, env: &Env) -> Result<Rel> {
        let rel = self.source(&t.source, env)?;
        self.pipe(rel, &t.ops, env)
    }

    /// Plans operators over an input. `as Name` binds the rows so far for the operators after it.
    pub fn pipe(&self, mut rel: Rel, ops: &[ast::Operator], env: &Env) -> Result<Rel> {
        let mut env = env.clone();
        for op in ops {
            rel = self.operator(rel, op, &env)?;
            if let ast::OperatorKind::As { name, .. } = &op.kind {
                env = env.bind(name.name.clone(), Binding::Tabular(rel.clone()));
            }
        }
        Ok(rel)
    }

    fn source(&self, s: &Source, env: &Env) -> Result<Rel> {
        match s {
            Source::Expr(e) => self.source_expr(e, env),
            Source::Datatable {
                columns,
                values,
                span,
            } => self.datatable(columns, values, *span, env),
            Source::Print { columns, .. } => self.print(columns, env),
            Source::Range {
                name,
                from,
                to,
                step,
                span,
            } => self.range(name, from, to, step, *span, env),
            Source::Union(u) => self.union(None, u, env),
            Source::Search(s) => self.search(None, s, env),
            Source::Evaluate(ev) => bail!(
                ev.plugin.span,
                "evaluate '{}' needs an input table",
                ev.plugin.name
            ),
            Source::Paren(t) => self.tabular(t, env),
            Source::Find(f) => bail!(f.predicate.span, "the 'find' operator is not supported"),
            Source::ExternalData { span, .. } => {
                bail!(*span, "the 'externaldata' operator is not supported")
            }
            Source::Placeholder { name, span } => match self.placeholders.get(name) {
                Some(v) => {
                    let q = kql::parse_query(v).map_err(EngineError::Syntax)?;
                    let mut sub = Planner::new(self.catalog, self.session.clone(), self.fnctx.now);
                    sub.placeholders = self.placeholders.clone();
                    sub.plan_query(&q)
                }
                None => bail!(
                    *span,
                    "template placeholder '{{{{{name}}}}}' has no value: pass --param {name}=..."
                ),
            },
        }
    }

    fn source_expr(&self, e: &ast::Expr, env: &Env) -> Result<Rel> {
        match &e.kind {
            ExprKind::Name(n) => self.tabular_name(n, e.span, env),
            ExprKind::Paren(inner) => self.source_expr(inner, env),
            ExprKind::Tabular(t) => self.tabular(t, env),
            ExprKind::Placeholder(name) => {
                let src = Source::Placeholder {
                    name: name.clone(),
                    span: e.span,
                };
                self.source(&src, env)
            }
            ExprKind::Call { name, args } => self.tabular_call(&name.name, args, e.span, env),
            ExprKind::Member(base, field) => {
                // database('x').Table / cluster('c').database('d').Table: resolve the last name.
                let _ = base;
                self.tabular_name(&field.name, field.span, env)
            }
            _ => bail!(e.span, "a tabular expression is expected here"),
        }
    }

    fn tabular_call(&self, name: &str, args: &[ast::Expr], span: Span, env: &Env) -> Result<Rel> {
        if let Some(Binding::Function(def, fenv)) = env.lookup(name) {
            let (def, fenv) = (def.clone(), fenv.clone());
            let mut vals = Vec::with_capacity(args.len());
            for (i, a) in args.iter().enumerate() {
                let wants_table = matches!(
                    def.params.get(i).map(|p| &p.ty),
                    Some(ast::ParamType::Tabular { .. })
                );
                vals.push(if wants_table {
                    ArgValue::Tabular(self.arg_as_table(a, env)?)
                } else {
                    ArgValue::Scalar(self.expr(a, &ExprCx::new(None, env))?)
                });
            }
            return self.call_user_tabular(&def, &fenv, vals, span, env);
        }
        match name {
            "materialize" | "view" => {
                let [a] = args else {
                    bail!(span, "{name}() expects one argument")
                };
                self.arg_as_table(a, env)
            }
            "table" => {
                let [a] = args else {
                    bail!(span, "table() expects one argument")
                };
                let v = self.expr(a, &ExprCx::new(None, env))?;
                let Some(n) = v.as_str_literal() else {
                    bail!(a.span, "table() needs a constant table name")
                };
                self.tabular_name(n, a.span, env)
            }
            "_GetWatchlist" => {
                let [a] = args else {
                    bail!(span, "_GetWatchlist() expects one argument")
                };
                let v = self.expr(a, &ExprCx::new(None, env))?;
                let Some(n) = v.as_str_literal() else {
                    bail!(a.span, "_GetWatchlist() needs a constant name")
                };
                match self.catalog.watchlist(n) {
                    Ok(Some(p)) => scan::scan_table(&format!("_GetWatchlist_{n}"), p),
                    Ok(None) => {
                        let known = self.catalog.watchlist_names();
                        let known = if known.is_empty() {
                            "no watchlists are defined".to_string()
                        } else {
                            format!("known watchlists: {}", known.join(", "))
                        };
                        bail!(
                            a.span,
                            "unknown watchlist '{n}' ({known}); add it with `peregrine watchlist add {n} FILE --key COLUMN`"
                        )
                    }
                    Err(e) => bail!(a.span, "watchlist '{n}' cannot be read: {e}"),
                }
            }
            _ => bail!(span, "unknown tabular function '{name}'"),
        }
    }

    fn arg_as_table(&self, a: &ast::Expr, env: &Env) -> Result<Rel> {
        match &a.kind {
            ExprKind::Tabular(t) => self.tabular(t, env),
            _ => self.source_expr(a, env),
        }
    }
}

fn function_is_tabular(def: &ast::FunctionDef) -> bool {
    match def.body.last() {
        Some(Statement::Query(t)) => {
            !(t.ops.is_empty()
                && matches!(&t.source, Source::Expr(e) if !matches!(e.kind, ExprKind::Name(_) | ExprKind::Tabular(_))))
        }
        _ => false,
    }
}

fn table_hint(name: &str) -> String {
    match name {
        "BehaviorAnalytics" | "UserPeerAnalytics" => {
            format!(
                ": this query needs {name}, which the store does not have — run `peregrine ueba`"
            )
        }
        _ => String::new(),
    }
}
