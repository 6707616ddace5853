//! The KQL scalar type system and its Arrow representation.
//!
//! | KQL        | Arrow            | notes                                                    |
//! |------------|------------------|----------------------------------------------------------|
//! | bool       | Boolean          |                                                          |
//! | int        | Int32            |                                                          |
//! | long       | Int64            |                                                          |
//! | real       | Float64          |                                                          |
//! | decimal    | Float64          | kept as its own KQL type; computed in binary floating point |
//! | string     | Utf8             | never null in KQL: nulls read as ""                     |
//! | datetime   | Int64            | 100-ns ticks since 1970-01-01 (covers years 1..9999)     |
//! | timespan   | Int64            | 100-ns ticks                                             |
//! | guid       | Utf8             | canonical lower-case text                                |
//! | dynamic    | Utf8             | compact JSON text; SQL NULL is dynamic null              |
//!
//! Arrow types alone are ambiguous (datetime, timespan and long are all Int64), so every planned
//! expression carries its [`KqlType`] beside it, and stored columns carry it in field metadata
//! under [`KQL_TYPE_KEY`].

use datafusion::arrow::datatypes::{DataType, Field};
use std::collections::HashMap;
use std::fmt;

/// Field-metadata key holding the KQL type name of a column.
pub const KQL_TYPE_KEY: &str = "kql.type";

/// 100-ns ticks per second.
pub const TICKS_PER_SECOND: i64 = 10_000_000;
pub const TICKS_PER_MILLI: i64 = 10_000;
pub const TICKS_PER_MINUTE: i64 = 60 * TICKS_PER_SECOND;
pub const TICKS_PER_HOUR: i64 = 60 * TICKS_PER_MINUTE;
pub const TICKS_PER_DAY: i64 = 24 * TICKS_PER_HOUR;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KqlType {
    Bool,
    Int,
    Long,
    Real,
    Decimal,
    String,
    DateTime,
    TimeSpan,
    Guid,
    Dynamic,
}

impl KqlType {
    pub fn arrow(self) -> DataType {
        match self {
            KqlType::Bool => DataType::Boolean,
            KqlType::Int => DataType::Int32,
            KqlType::Long | KqlType::DateTime | KqlType::TimeSpan => DataType::Int64,
            KqlType::Real | KqlType::Decimal => DataType::Float64,
            KqlType::String | KqlType::Guid | KqlType::Dynamic => DataType::Utf8,
        }
    }

    /// The Kusto name used in `getschema`, `gettype` and the v2 JSON `ColumnType`.
    pub fn name(self) -> &'static str {
        match self {
            KqlType::Bool => "bool",
            KqlType::Int => "int",
            KqlType::Long => "long",
            KqlType::Real => "real",
            KqlType::Decimal => "decimal",
            KqlType::String => "string",
            KqlType::DateTime => "datetime",
            KqlType::TimeSpan => "timespan",
            KqlType::Guid => "guid",
            KqlType::Dynamic => "dynamic",
        }
    }

    /// Parses a type name as written in KQL or in schema files (case-insensitive, with the
    /// .NET-style aliases found in Sentinel schema JSON).
    pub fn from_name(name: &str) -> Option<KqlType> {
        let n = name.trim().to_ascii_lowercase();
        let n = n.strip_prefix("system.").unwrap_or(&n);
        Some(match n {
            "bool" | "boolean" | "sbyte" => KqlType::Bool,
            "int" | "int32" | "integer" => KqlType::Int,
            "long" | "int64" | "bigint" => KqlType::Long,
            "real" | "double" | "float" | "single" => KqlType::Real,
            "decimal" | "sqldecimal" => KqlType::Decimal,
            "string" => KqlType::String,
            "datetime" | "date" => KqlType::DateTime,
            "timespan" | "time" => KqlType::TimeSpan,
            "guid" | "uniqueid" => KqlType::Guid,
            "dynamic" | "object" => KqlType::Dynamic,
            _ => return None,
        })
    }

    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            KqlType::Int | KqlType::Long | KqlType::Real | KqlType::Decimal
        )
    }

    pub fn is_integer(self) -> bool {
        matches!(self, KqlType::Int | KqlType::Long)
    }

    pub fn is_stringlike(self) -> bool {
        matches!(self, KqlType::String | KqlType::Guid)
    }

    /// The KQL type a stored Arrow field stands for: its metadata tag when present, else the
    /// natural reading of its Arrow type.
    pub fn of_field(field: &Field) -> KqlType {
        if let Some(t) = field
            .metadata()
            .get(KQL_TYPE_KEY)
            .and_then(|s| KqlType::from_name(s))
        {
            return t;
        }
        match field.data_type() {
            DataType::Boolean => KqlType::Bool,
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::UInt8
            | DataType::UInt16 => KqlType::Int,
            DataType::Int64 | DataType::UInt32 | DataType::UInt64 => KqlType::Long,
            DataType::Float16 | DataType::Float32 | DataType::Float64 => KqlType::Real,
            DataType::Decimal128(_, _) | DataType::Decimal256(_, _) => KqlType::Decimal,
            DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => KqlType::DateTime,
            DataType::Duration(_) | DataType::Interval(_) => KqlType::TimeSpan,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => KqlType::String,
            _ => KqlType::Dynamic,
        }
    }

    /// An Arrow field for a column of this type, tagged with its KQL type.
    pub fn field(self, name: &str) -> Field {
        let md: HashMap<String, String> = [(KQL_TYPE_KEY.to_string(), self.name().to_string())]
            .into_iter()
            .collect();
        Field::new(name, self.arrow(), true).with_metadata(md)
    }
}

impl fmt::Display for KqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
