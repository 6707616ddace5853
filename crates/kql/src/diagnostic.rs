//! Diagnostics with line/column positions and a caret excerpt.

use crate::ast::Span;
use std::fmt;

/// An error found in query text, pointing at the offending bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    pub span: Span,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            message: message.into(),
            span,
        }
    }

    /// 1-based line and column (in characters) of a byte offset in `source`.
    pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(source.len());
        let mut line = 1;
        let mut line_start = 0;
        for (i, b) in source.as_bytes().iter().enumerate().take(offset) {
            if *b == b'\n' {
                line += 1;
                line_start = i + 1;
            }
        }
        let col = source
            .get(line_start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - line_start)
            + 1;
        (line, col)
    }

    /// Renders `origin:line:col: error: message` followed by the source line and a caret.
    pub fn render(&self, source: &str, origin: &str) -> String {
        let (line, col) = Self::line_col(source, self.span.start);
        let text = source.lines().nth(line - 1).unwrap_or("");
        let width = {
            let end = self
                .span
                .end
                .max(self.span.start + 1)
                .min(source.len().max(self.span.start + 1));
            let (eline, ecol) = Self::line_col(source, end);
            if eline == line {
                (ecol - col).max(1)
            } else {
                1
            }
        };
        let gutter = line.to_string().len();
        format!(
            "{origin}:{line}:{col}: error: {msg}\n{pad} |\n{line} | {text}\n{pad} | {sp}{carets}",
            msg = self.message,
            pad = " ".repeat(gutter),
            sp = " ".repeat(col - 1),
            carets = "^".repeat(width),
        )
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.span.start)
    }
}

impl std::error::Error for Diagnostic {}
