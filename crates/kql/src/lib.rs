#![allow(clippy::large_enum_variant)]
//! The KQL language: tokens, lexer, AST with spans, a recursive-descent parser with Pratt
//! expressions, and diagnostics. This crate knows nothing about execution.

pub mod ast;
pub mod diagnostic;
pub mod lexer;
pub mod parser;

pub use diagnostic::Diagnostic;

/// Parses a whole query (statements separated by `;`).
pub fn parse_query(text: &str) -> Result<ast::Query, Diagnostic> {
    parser::Parser::new(text)?.parse_query()
}

/// Parses a single scalar expression (used for parameters and tests).
pub fn parse_expr(text: &str) -> Result<ast::Expr, Diagnostic> {
    parser::Parser::new(text)?.parse_standalone_expr()
}
