//! Errors raised while planning or running a query.

use kql::ast::Span;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum EngineError {
    /// The query text does not parse.
    #[error("{0}")]
    Syntax(kql::Diagnostic),
    /// The query parses but is not valid: unknown name, wrong types, unsupported construct.
    #[error("{message}")]
    Plan { message: String, span: Option<Span> },
    /// DataFusion failed while planning or executing.
    #[error("{0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error("{0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// How the planner words a reference to a table the catalog does not have.
pub const UNKNOWN_TABLE: &str = "unknown table '";

impl EngineError {
    /// Whether this is the planner's error for a table the catalog does not have (the one
    /// error `union isfuzzy=true` tolerates in a leg).
    pub fn is_unknown_table(&self) -> bool {
        matches!(self, EngineError::Plan { message, .. } if message.starts_with(UNKNOWN_TABLE))
    }

    pub fn plan(message: impl Into<String>, span: Span) -> Self {
        EngineError::Plan {
            message: message.into(),
            span: Some(span),
        }
    }
    pub fn plan_nospan(message: impl Into<String>) -> Self {
        EngineError::Plan {
            message: message.into(),
            span: None,
        }
    }

    /// Renders the error for a user, with a caret excerpt when it points into `source`.
    pub fn render(&self, source: &str, origin: &str) -> String {
        match self {
            EngineError::Syntax(d) => d.render(source, origin),
            EngineError::Plan {
                message,
                span: Some(span),
            } => kql::Diagnostic::new(message.clone(), *span).render(source, origin),
            EngineError::Plan {
                message,
                span: None,
            } => format!("{origin}: error: {message}"),
            EngineError::DataFusion(e) => format!("{origin}: error: {e}"),
            EngineError::Arrow(e) => format!("{origin}: error: {e}"),
            EngineError::Other(e) => format!("{origin}: error: {e}"),
        }
    }
}

/// Shorthand: `bail!(span, "format", args)` returns a planning error.
#[macro_export]
macro_rules! bail {
    ($span:expr, $($arg:tt)*) => {
        return Err($crate::error::EngineError::plan(format!($($arg)*), $span))
    };
}
