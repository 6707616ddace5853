//! Scalar values outside Arrow: parsing and printing datetimes, timespans, reals and dynamic
//! JSON the way Kusto does. Pure functions, shared by literals, conversions and output encoding.

pub mod datetime;
pub mod dynamic;
pub mod guid;
pub mod real;
pub mod timespan;
