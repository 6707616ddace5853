//! Detection: rules in Sentinel's formats, run through the engine as any query is, turned into
//! typed alerts with entities.
//!
//! * [`rule`]: loading analytic rules, hunting queries and ARM exports;
//! * [`run`]: running a rule with `now` and the hunt range pinned; errors at file:line:col;
//! * [`alert`]: SecurityAlert-shaped alerts, entities, deterministic alert ids;
//! * [`hunt`]: a set of rules over a store, alerts de-duplicated;
//! * [`exclusions`]: tuning entries (with reasons) that drop matching alerts, counted;
//! * [`suppress`]: Sentinel's alert suppression applied to replayed runs;
//! * [`incident`]: alerts grouped into incidents by the rules' incident configuration;
//! * [`report`]: a self-contained HTML report of alerts;
//! * [`fixture`]: data-driven rule tests (`<dir>/tests/<stem>/<case>/expect.yaml`).

pub mod alert;
pub mod duration;
pub mod exclusions;
pub mod fixture;
pub mod hunt;
pub mod incident;
pub mod report;
pub mod rule;
pub mod run;
pub mod suppress;

pub use alert::Alert;
pub use rule::{Kind, Rule, Severity};
