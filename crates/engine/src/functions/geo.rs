//! Geo family: geo_distance_2points (great-circle distance in meters on Kusto's sphere of
//! radius 6,371,010 m), geo_point_in_circle, geo_point_to_geohash. Invalid coordinates give null.

use super::Registry;
use super::conversion::convert;
use super::kit::{arity, call, udf};
use super::rowwise::*;
use crate::texpr::TExpr;
use crate::types::KqlType;
use datafusion::arrow::datatypes::DataType;

use super::geo_polygon::EARTH_RADIUS_M;

fn valid(lon: f64, lat: f64) -> bool {
    (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)
}

/// Haversine distance in meters.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> Option<f64> {
    if !valid(lon1, lat1) || !valid(lon2, lat2) {
        return None;
    }
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    Some(2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin())
}

pub fn geohash(lon: f64, lat: f64, len: usize) -> Option<String> {
    if !valid(lon, lat) {
        return None;
    }
    const B32: &[u8] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (mut lo_lon, mut hi_lon, mut lo_lat, mut hi_lat) = (-180.0, 180.0, -90.0, 90.0);
    let mut out = String::new();
    let (mut bit, mut ch, mut even) = (0, 0usize, true);
    while out.len() < len.clamp(1, 18) {
        if even {
            let mid = (lo_lon + hi_lon) / 2.0;
            if lon >= mid {
                ch = ch * 2 + 1;
                lo_lon = mid;
            } else {
                ch *= 2;
                hi_lon = mid;
            }
        } else {
            let mid = (lo_lat + hi_lat) / 2.0;
            if lat >= mid {
                ch = ch * 2 + 1;
                lo_lat = mid;
            } else {
                ch *= 2;
                hi_lat = mid;
            }
        }
        even = !even;
        bit += 1;
        if bit == 5 {
            out.push(B32[ch] as char);
            bit = 0;
            ch = 0;
        }
    }
    Some(out)
}

pub fn register(r: &mut Registry) {
    r.scalar("geo_distance_2points", |c| {
        arity(c.name, &c.args, 4, 4, c.span)?;
        let u = crate::cached_udf!(udf(
            "kql_geo_distance_2points",
            vec![DataType::Float64; 4],
            DataType::Float64,
            |a, n| {
                reals(n, |i| {
                    let v = [
                        f64_at(&a[0], i)?,
                        f64_at(&a[1], i)?,
                        f64_at(&a[2], i)?,
                        f64_at(&a[3], i)?,
                    ];
                    let [Some(x1), Some(y1), Some(x2), Some(y2)] = v else {
                        return Ok(None);
                    };
                    Ok(distance(x1, y1, x2, y2))
                })
            }
        ));
        Ok(call(
            &u,
            c.args
                .into_iter()
                .map(|a| convert(a, KqlType::Real))
                .collect(),
            KqlType::Real,
        ))
    });
    r.scalar("geo_point_in_circle", |c| {
        arity(c.name, &c.args, 5, 5, c.span)?;
        let u = crate::cached_udf!(udf(
            "kql_geo_point_in_circle",
            vec![DataType::Float64; 5],
            DataType::Boolean,
            |a, n| {
                bools(n, |i| {
                    let v = [
                        f64_at(&a[0], i)?,
                        f64_at(&a[1], i)?,
                        f64_at(&a[2], i)?,
                        f64_at(&a[3], i)?,
                        f64_at(&a[4], i)?,
                    ];
                    let [Some(x), Some(y), Some(cx), Some(cy), Some(r)] = v else {
                        return Ok(None);
                    };
                    Ok(distance(x, y, cx, cy).map(|d| d <= r))
                })
            }
        ));
        Ok(call(
            &u,
            c.args
                .into_iter()
                .map(|a| convert(a, KqlType::Real))
                .collect(),
            KqlType::Bool,
        ))
    });
    r.scalar("geo_point_to_geohash", |c| {
        arity(c.name, &c.args, 2, 3, c.span)?;
        let len = c
            .args
            .get(2)
            .map(|l| convert(l.clone(), KqlType::Long))
            .unwrap_or_else(|| TExpr::long(5));
        let u = crate::cached_udf!(udf(
            "kql_geo_point_to_geohash",
            vec![DataType::Float64, DataType::Float64, DataType::Int64],
            DataType::Utf8,
            |a, n| {
                strings(n, |i| {
                    let (Some(x), Some(y)) = (f64_at(&a[0], i)?, f64_at(&a[1], i)?) else {
                        return Ok(Some(String::new()));
                    };
                    let l = i64_at(&a[2], i)?.unwrap_or(5).clamp(1, 18) as usize;
                    Ok(Some(geohash(x, y, l).unwrap_or_default()))
                })
            }
        ));
        let args = vec![
            convert(c.args[0].clone(), KqlType::Real),
            convert(c.args[1].clone(), KqlType::Real),
            len,
        ];
        Ok(call(&u, args, KqlType::String))
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn distance_and_geohash() {
        // Seattle to New York is about 3,870 km.
        let d = super::distance(-122.33, 47.61, -74.0, 40.71).unwrap_or_default();
        assert!((3_850_000.0..3_900_000.0).contains(&d), "{d}");
        assert_eq!(
            super::geohash(-122.303404, 47.570482, 5).as_deref(),
            Some("c23n8")
        );
        assert_eq!(super::distance(200.0, 0.0, 0.0, 0.0), None);
    }
}
