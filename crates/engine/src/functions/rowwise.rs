//! Helpers for row-wise functions: map whole arrays through plain Rust closures.

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray,
};
use datafusion::common::cast::{as_float64_array, as_int64_array, as_string_array};
use datafusion::error::Result;
use std::sync::Arc;

pub fn str_at(a: &ArrayRef, i: usize) -> Result<Option<&str>> {
    let s = as_string_array(a)?;
    Ok(if s.is_null(i) { None } else { Some(s.value(i)) })
}

pub fn i64_at(a: &ArrayRef, i: usize) -> Result<Option<i64>> {
    let s = as_int64_array(a)?;
    Ok(if s.is_null(i) { None } else { Some(s.value(i)) })
}

pub fn f64_at(a: &ArrayRef, i: usize) -> Result<Option<f64>> {
    let s = as_float64_array(a)?;
    Ok(if s.is_null(i) { None } else { Some(s.value(i)) })
}

pub fn strings(n: usize, mut f: impl FnMut(usize) -> Result<Option<String>>) -> Result<ArrayRef> {
    let v: Vec<Option<String>> = (0..n).map(&mut f).collect::<Result<_>>()?;
    Ok(Arc::new(StringArray::from(v)))
}

pub fn longs(n: usize, mut f: impl FnMut(usize) -> Result<Option<i64>>) -> Result<ArrayRef> {
    let v: Vec<Option<i64>> = (0..n).map(&mut f).collect::<Result<_>>()?;
    Ok(Arc::new(Int64Array::from(v)))
}

pub fn reals(n: usize, mut f: impl FnMut(usize) -> Result<Option<f64>>) -> Result<ArrayRef> {
    let v: Vec<Option<f64>> = (0..n).map(&mut f).collect::<Result<_>>()?;
    Ok(Arc::new(Float64Array::from(v)))
}

pub fn bools(n: usize, mut f: impl FnMut(usize) -> Result<Option<bool>>) -> Result<ArrayRef> {
    let v: Vec<Option<bool>> = (0..n).map(&mut f).collect::<Result<_>>()?;
    Ok(Arc::new(BooleanArray::from(v)))
}
