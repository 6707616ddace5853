//! A DataFusion expression paired with its KQL type.

use crate::types::KqlType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Expr, lit};

#[derive(Debug, Clone)]
pub struct TExpr {
    pub expr: Expr,
    pub ty: KqlType,
}

impl TExpr {
    pub fn new(expr: Expr, ty: KqlType) -> Self {
        TExpr { expr, ty }
    }

    /// A typed null of the given KQL type.
    pub fn null(ty: KqlType) -> Self {
        let sv = match ty {
            KqlType::Bool => ScalarValue::Boolean(None),
            KqlType::Int => ScalarValue::Int32(None),
            KqlType::Long | KqlType::DateTime | KqlType::TimeSpan => ScalarValue::Int64(None),
            KqlType::Real | KqlType::Decimal => ScalarValue::Float64(None),
            KqlType::String | KqlType::Guid | KqlType::Dynamic => ScalarValue::Utf8(None),
        };
        TExpr::new(lit(sv), ty)
    }

    pub fn string(s: impl Into<String>) -> Self {
        TExpr::new(lit(ScalarValue::Utf8(Some(s.into()))), KqlType::String)
    }
    pub fn long(v: i64) -> Self {
        TExpr::new(lit(ScalarValue::Int64(Some(v))), KqlType::Long)
    }
    pub fn real(v: f64) -> Self {
        TExpr::new(lit(ScalarValue::Float64(Some(v))), KqlType::Real)
    }
    pub fn bool(v: bool) -> Self {
        TExpr::new(lit(ScalarValue::Boolean(Some(v))), KqlType::Bool)
    }
    pub fn datetime(ticks: i64) -> Self {
        TExpr::new(lit(ScalarValue::Int64(Some(ticks))), KqlType::DateTime)
    }
    pub fn timespan(ticks: i64) -> Self {
        TExpr::new(lit(ScalarValue::Int64(Some(ticks))), KqlType::TimeSpan)
    }
    pub fn dynamic_json(json: impl Into<String>) -> Self {
        TExpr::new(lit(ScalarValue::Utf8(Some(json.into()))), KqlType::Dynamic)
    }

    /// The literal value when this expression is a constant.
    pub fn as_literal(&self) -> Option<&ScalarValue> {
        match &self.expr {
            Expr::Literal(v, _) => Some(v),
            Expr::Cast(c) => match c.expr.as_ref() {
                Expr::Literal(v, _) if v.is_null() => Some(v),
                _ => None,
            },
            _ => None,
        }
    }

    /// The constant string value, if this is a non-null string literal.
    pub fn as_str_literal(&self) -> Option<&str> {
        match self.as_literal() {
            Some(ScalarValue::Utf8(Some(s))) | Some(ScalarValue::LargeUtf8(Some(s))) => Some(s),
            _ => None,
        }
    }

    /// The constant integer value, if this is a non-null integer literal.
    pub fn as_i64_literal(&self) -> Option<i64> {
        match self.as_literal() {
            Some(ScalarValue::Int64(Some(v))) => Some(*v),
            Some(ScalarValue::Int32(Some(v))) => Some(*v as i64),
            _ => None,
        }
    }
}
