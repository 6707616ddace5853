//! Peregrine's own DataFusion optimizer rules, for query shapes detection content uses a lot.

pub mod window_join;

use datafusion::prelude::SessionContext;
use std::sync::Arc;

/// Adds the rules to a session (after DataFusion's own, which have pushed filters into joins).
pub fn register(ctx: &SessionContext) {
    ctx.add_optimizer_rule(Arc::new(window_join::TimeWindowJoin));
}
