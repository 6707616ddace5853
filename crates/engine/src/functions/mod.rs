//! The KQL function library, one module per family. Each family registers planning functions
//! by KQL name; a planning function checks arguments and builds a typed DataFusion expression
//! (a built-in expression where DataFusion's semantics match Kusto's, else one of our UDFs).

pub mod aggregate;
pub mod conversion;
pub mod datetime;
pub mod dynamic;
pub mod dynamic_path;
pub mod encoding;
pub mod geo;
pub mod geo_h3;
pub mod geo_polygon;
pub mod ip;
pub mod kit;
pub mod math;
pub mod rowwise;
pub mod series;
pub mod special;
pub mod string;
pub mod string_ops;
pub mod window;

use crate::error::Result;
use crate::texpr::TExpr;
use kql::ast::Span;
use std::collections::HashMap;
use std::sync::OnceLock;

/// What a scalar function sees when it is planned.
pub struct Call<'a> {
    /// The name as written (lower-cased lookups are not done: KQL names are case-sensitive).
    pub name: &'a str,
    pub args: Vec<TExpr>,
    pub span: Span,
    pub ctx: &'a FnContext,
}

/// Per-query facts functions may need.
#[derive(Debug, Clone, Default)]
pub struct FnContext {
    /// `now()` for this query run, in ticks.
    pub now: i64,
}

pub type ScalarPlanFn = fn(Call<'_>) -> Result<TExpr>;

#[derive(Default)]
pub struct Registry {
    scalars: HashMap<&'static str, ScalarPlanFn>,
}

impl Registry {
    pub fn scalar(&mut self, name: &'static str, f: ScalarPlanFn) {
        self.scalars.insert(name, f);
    }
    pub fn lookup(&self, name: &str) -> Option<ScalarPlanFn> {
        self.scalars.get(name).copied()
    }
    pub fn names(&self) -> impl Iterator<Item = &&'static str> {
        self.scalars.keys()
    }
}

/// The registry of every scalar function family.
pub fn registry() -> &'static Registry {
    static REG: OnceLock<Registry> = OnceLock::new();
    REG.get_or_init(|| {
        let mut r = Registry::default();
        conversion::register(&mut r);
        string::register(&mut r);
        datetime::register(&mut r);
        math::register(&mut r);
        dynamic::register(&mut r);
        ip::register(&mut r);
        geo::register(&mut r);
        encoding::register(&mut r);
        dynamic::register_arrays(&mut r);
        datetime::register_timespan(&mut r);
        datetime::register_more(&mut r);
        dynamic::register_more(&mut r);
        series::register(&mut r);
        geo_polygon::register(&mut r);
        special::register(&mut r);
        geo_h3::register(&mut r);
        r
    })
}
