//! Peregrine's KQL engine: plans KQL (parsed by the `kql` crate) into Apache DataFusion logical
//! plans through a [`catalog::Catalog`], runs them, and encodes results the way Kusto does.

pub mod catalog;
pub mod error;
pub mod functions;
pub mod optimize;
pub mod output;
pub mod plan;
pub mod run;
pub mod schema;
pub mod texpr;
pub mod types;
pub mod value;

pub use datafusion;
pub use error::{EngineError, Result};
pub use run::{QueryResult, RunOptions, new_session, run_query};
pub use types::KqlType;
