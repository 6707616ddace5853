//! H3 family (hexagonal cells, computed with the `h3o` crate): geo_point_to_h3cell,
//! geo_h3cell_to_central_point, geo_h3cell_to_polygon, geo_h3cell_neighbors,
//! geo_h3cell_parent, geo_h3cell_children, geo_h3cell_level, geo_h3cell_rings.
//!
//! Invalid cells, coordinates or resolutions give an empty string (string results) or null.

use super::kit::{arity, json_call};
use super::{Call, Registry};
use crate::error::Result;
use crate::texpr::TExpr;
use crate::types::KqlType;
use crate::value::dynamic::Value;
use h3o::{CellIndex, LatLng, Resolution};
use serde_json::json;
use std::str::FromStr;

pub fn register(r: &mut Registry) {
    for name in [
        "geo_point_to_h3cell",
        "geo_h3cell_to_central_point",
        "geo_h3cell_to_polygon",
        "geo_h3cell_neighbors",
        "geo_h3cell_parent",
        "geo_h3cell_children",
        "geo_h3cell_level",
        "geo_h3cell_rings",
    ] {
        r.scalar(name, plan);
    }
}

fn plan(c: Call<'_>) -> Result<TExpr> {
    let (min, max, ty) = match c.name {
        "geo_point_to_h3cell" => (2, 3, KqlType::String),
        "geo_h3cell_parent" => (1, 2, KqlType::String),
        "geo_h3cell_children" => (1, 2, KqlType::Dynamic),
        "geo_h3cell_level" => (1, 1, KqlType::Int),
        "geo_h3cell_rings" => (2, 2, KqlType::Dynamic),
        _ => (1, 1, KqlType::Dynamic),
    };
    arity(c.name, &c.args, min, max, c.span)?;
    let name = c.name.to_string();
    let string_result = ty == KqlType::String;
    Ok(json_call(c, ty, move |a| {
        let out = eval(&name, a);
        if string_result {
            Some(out.unwrap_or_else(|| Value::String(String::new())))
        } else {
            out
        }
    }))
}

fn cell(v: Option<&Value>) -> Option<CellIndex> {
    CellIndex::from_str(v?.as_str()?.trim()).ok()
}

fn resolution(v: Option<&Value>) -> Option<Resolution> {
    let r = v?.as_f64()?;
    if r.fract() != 0.0 || !(0.0..=15.0).contains(&r) {
        return None;
    }
    Resolution::try_from(r as u8).ok()
}

fn level_arg(v: Option<&Value>, default: i64) -> Option<Resolution> {
    match v {
        None | Some(Value::Null) => Resolution::try_from(u8::try_from(default).ok()?).ok(),
        some => resolution(some),
    }
}

fn coord(x: f64) -> Value {
    serde_json::Number::from_f64(x)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn cells_json(cells: impl IntoIterator<Item = CellIndex>) -> Value {
    Value::Array(
        cells
            .into_iter()
            .map(|c| Value::String(c.to_string()))
            .collect(),
    )
}

fn eval(name: &str, a: &[Value]) -> Option<Value> {
    match name {
        "geo_point_to_h3cell" => {
            let (lon, lat) = (a.first()?.as_f64()?, a.get(1)?.as_f64()?);
            if !super::geo_polygon::valid(lon, lat) {
                return None;
            }
            let res = level_arg(a.get(2), 6)?;
            let ll = LatLng::new(lat, lon).ok()?;
            Some(Value::String(ll.to_cell(res).to_string()))
        }
        "geo_h3cell_to_central_point" => {
            let ll = LatLng::from(cell(a.first())?);
            Some(json!({"type": "Point", "coordinates": [coord(ll.lng()), coord(ll.lat())]}))
        }
        "geo_h3cell_to_polygon" => {
            let b = cell(a.first())?.boundary();
            let mut ring: Vec<Value> = b
                .iter()
                .map(|ll| json!([coord(ll.lng()), coord(ll.lat())]))
                .collect();
            let first = ring.first()?.clone();
            ring.push(first);
            Some(json!({"type": "Polygon", "coordinates": [ring]}))
        }
        "geo_h3cell_neighbors" => {
            let c = cell(a.first())?;
            let disk: Vec<CellIndex> = c.grid_disk(1);
            Some(cells_json(disk.into_iter().filter(|n| *n != c)))
        }
        "geo_h3cell_parent" => {
            let c = cell(a.first())?;
            let level = u8::from(c.resolution()) as i64;
            let res = level_arg(a.get(1), level - 1)?;
            Some(Value::String(c.parent(res)?.to_string()))
        }
        "geo_h3cell_children" => {
            let c = cell(a.first())?;
            let level = u8::from(c.resolution()) as i64;
            let res = level_arg(a.get(1), level + 1)?;
            if u8::from(res) < u8::from(c.resolution()) || c.children_count(res) > 1_000_000 {
                return None;
            }
            Some(cells_json(c.children(res)))
        }
        "geo_h3cell_level" => Some(Value::from(u8::from(cell(a.first())?.resolution()))),
        "geo_h3cell_rings" => {
            let c = cell(a.first())?;
            let k = a.get(1)?.as_i64().filter(|k| (0..=142).contains(k))? as u32;
            let mut rings: Vec<Vec<CellIndex>> = vec![Vec::new(); k as usize + 1];
            let dist: Vec<(CellIndex, u32)> = c.grid_disk_distances(k);
            for (n, d) in dist {
                if let Some(r) = rings.get_mut(d as usize) {
                    r.push(n);
                }
            }
            Some(Value::Array(rings.into_iter().map(cells_json).collect()))
        }
        _ => None,
    }
}
