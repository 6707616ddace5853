//! Geo shapes family: GeoJSON lines and polygons on a spherical Earth, as Kusto models them
//! (edges are geodesics, the sphere's radius is 6,371,010 m).
//!
//! `geo_point_in_polygon`, `geo_polygon_area`, `geo_polygon_perimeter`,
//! `geo_polygon_centroid`, `geo_polygon_densify`, `geo_polygon_simplify`, `geo_line_length`,
//! `geo_distance_point_to_line`, `geo_distance_point_to_polygon`, `geo_intersects_2lines`,
//! `geo_intersection_2lines`, `geo_intersects_2polygons`, `geo_intersects_line_with_polygon`,
//! `geo_intersection_line_with_polygon`, `geo_closest_point_on_line`,
//! `geo_closest_point_on_polygon`, `geo_point_buffer`, `geo_angle`, `geo_from_wkt`,
//! `geo_geohash_to_polygon`, `geo_geohash_to_central_point`, `geo_geohash_neighbors`.
//!
//! Invalid shapes or coordinates give null, as in Kusto.

use super::kit::{arity, json_call};
use super::{Call, Registry};
use crate::error::Result;
use crate::texpr::TExpr;
use crate::types::KqlType;
use crate::value::dynamic::Value;
use serde_json::json;

pub const EARTH_RADIUS_M: f64 = 6_371_010.0;

/// (longitude, latitude) in degrees.
pub type P = (f64, f64);
type V3 = [f64; 3];

/// A polygon: the shell, then holes; rings without their closing point.
pub type Poly = Vec<Vec<P>>;

// ---------- vector math on the unit sphere ----------

fn v3(p: P) -> V3 {
    let (lo, la) = (p.0.to_radians(), p.1.to_radians());
    [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()]
}

fn ll(v: V3) -> P {
    (
        v[1].atan2(v[0]).to_degrees(),
        v[2].atan2(v[0].hypot(v[1])).to_degrees(),
    )
}

fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

fn scale(a: V3, k: f64) -> V3 {
    [a[0] * k, a[1] * k, a[2] * k]
}

fn norm(a: V3) -> Option<V3> {
    let n = dot(a, a).sqrt();
    (n > 1e-300).then(|| scale(a, 1.0 / n))
}

/// Angle between two unit vectors (radians).
fn angle(a: V3, b: V3) -> f64 {
    let c = cross(a, b);
    dot(c, c).sqrt().atan2(dot(a, b))
}

/// Great-circle distance in meters.
pub fn dist(a: P, b: P) -> f64 {
    angle(v3(a), v3(b)) * EARTH_RADIUS_M
}

/// Whether `x` (on the great circle through `a` and `b`) lies on the minor arc a→b.
fn on_arc(a: V3, b: V3, x: V3) -> bool {
    let n = cross(a, b);
    let eps = -1e-15;
    dot(cross(a, x), n) >= eps && dot(cross(x, b), n) >= eps
}

/// The point of arc a→b closest to p, and its distance (radians).
fn closest_on_arc(p: V3, a: V3, b: V3) -> (V3, f64) {
    if let Some(n) = norm(cross(a, b)) {
        let proj = add(p, scale(n, -dot(p, n)));
        if let Some(x) = norm(proj)
            && on_arc(a, b, x)
        {
            return (x, angle(p, x));
        }
    }
    let (da, db) = (angle(p, a), angle(p, b));
    if da <= db { (a, da) } else { (b, db) }
}

/// Intersection points of arcs a→b and c→d (none, one, or the overlap's endpoints).
fn arc_intersections(a: V3, b: V3, c: V3, d: V3) -> Vec<V3> {
    let (n1, n2) = (cross(a, b), cross(c, d));
    match norm(cross(n1, n2)) {
        Some(x) => [x, scale(x, -1.0)]
            .into_iter()
            .filter(|x| on_arc(a, b, *x) && on_arc(c, d, *x))
            .take(1)
            .collect(),
        None => {
            // Same great circle (or degenerate arcs): the endpoints lying on the other arc.
            let mut out = Vec::new();
            for (p, (s, e)) in [(a, (c, d)), (b, (c, d)), (c, (a, b)), (d, (a, b))] {
                if closest_on_arc(p, s, e).1 < 1e-12 && !out.iter().any(|q| angle(*q, p) < 1e-12) {
                    out.push(p);
                }
            }
            out
        }
    }
}

/// Whether the unit vector p is inside the ring (winding number of geodesic edges).
fn in_ring(p: V3, ring: &[P]) -> bool {
    let vs: Vec<V3> = ring.iter().map(|q| v3(*q)).collect();
    let mut total = 0.0;
    for i in 0..vs.len() {
        let (a, b) = (vs[i], vs[(i + 1) % vs.len()]);
        if closest_on_arc(p, a, b).1 < 1e-12 {
            return true; // on the boundary
        }
        let y = dot(p, cross(a, b));
        let x = dot(a, b) - dot(p, a) * dot(p, b);
        total += y.atan2(x);
    }
    total.abs() > std::f64::consts::PI
}

fn in_poly(p: V3, poly: &Poly) -> bool {
    match poly.split_first() {
        Some((shell, holes)) => in_ring(p, shell) && !holes.iter().any(|h| in_ring(p, h)),
        None => false,
    }
}

/// Signed area of a ring in steradians (positive when counterclockwise).
fn ring_excess(ring: &[P]) -> f64 {
    let mut s = 0.0;
    for i in 0..ring.len() {
        let (p, q) = (ring[i], ring[(i + 1) % ring.len()]);
        let mut dl = (q.0 - p.0).to_radians();
        if dl > std::f64::consts::PI {
            dl -= 2.0 * std::f64::consts::PI;
        } else if dl < -std::f64::consts::PI {
            dl += 2.0 * std::f64::consts::PI;
        }
        let (t1, t2) = (
            (p.1.to_radians() / 2.0).tan(),
            (q.1.to_radians() / 2.0).tan(),
        );
        s += 2.0 * ((dl / 2.0).tan() * (t1 + t2) / (1.0 + t1 * t2)).atan();
    }
    s
}

fn poly_area(poly: &Poly) -> f64 {
    let mut rings = poly.iter();
    let shell = rings.next().map_or(0.0, |r| ring_excess(r).abs());
    let holes: f64 = rings.map(|r| ring_excess(r).abs()).sum();
    (shell - holes).max(0.0) * EARTH_RADIUS_M * EARTH_RADIUS_M
}

fn ring_length(ring: &[P], closed: bool) -> f64 {
    let n = ring.len();
    let edges = if closed { n } else { n.saturating_sub(1) };
    (0..edges).map(|i| dist(ring[i], ring[(i + 1) % n])).sum()
}

/// Area-weighted centroid vector of a ring (triangle fan), oriented to positive area.
fn ring_moment(ring: &[P]) -> (V3, f64) {
    let vs: Vec<V3> = ring.iter().map(|q| v3(*q)).collect();
    let mut m = [0.0; 3];
    let mut area = 0.0;
    for i in 1..vs.len().saturating_sub(1) {
        let (a, b, c) = (vs[0], vs[i], vs[i + 1]);
        let e = 2.0 * dot(a, cross(b, c)).atan2(1.0 + dot(a, b) + dot(b, c) + dot(c, a));
        if let Some(cen) = norm(add(add(a, b), c)) {
            m = add(m, scale(cen, e));
        }
        area += e;
    }
    if area < 0.0 {
        (scale(m, -1.0), -area)
    } else {
        (m, area)
    }
}

// ---------- GeoJSON ----------

fn point_of(v: &Value) -> Option<P> {
    let Value::Array(a) = v else { return None };
    if a.len() < 2 {
        return None;
    }
    let (lon, lat) = (a[0].as_f64()?, a[1].as_f64()?);
    valid(lon, lat).then_some((lon, lat))
}

pub fn valid(lon: f64, lat: f64) -> bool {
    (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)
}

fn points_of(v: &Value) -> Option<Vec<P>> {
    let Value::Array(a) = v else { return None };
    a.iter().map(point_of).collect()
}

fn line_of(v: &Value) -> Option<Vec<P>> {
    let pts = points_of(v)?;
    (pts.len() >= 2).then_some(pts)
}

fn ring_of(v: &Value) -> Option<Vec<P>> {
    let mut pts = points_of(v)?;
    if pts.len() < 4 || pts.first() != pts.last() {
        return None;
    }
    pts.pop();
    pts.dedup();
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    let mut distinct: Vec<P> = Vec::new();
    for p in &pts {
        if !distinct.contains(p) {
            distinct.push(*p);
        }
    }
    (distinct.len() >= 3).then_some(pts)
}

fn poly_of(v: &Value) -> Option<Poly> {
    let Value::Array(rings) = v else { return None };
    if rings.is_empty() {
        return None;
    }
    rings.iter().map(ring_of).collect()
}

fn kind_and_coords(v: &Value) -> Option<(&str, &Value)> {
    let Value::Object(o) = v else { return None };
    let t = o.get("type")?.as_str()?;
    Some((t, o.get("coordinates")?))
}

/// Polygon or MultiPolygon → its polygons.
pub fn polygons(v: &Value) -> Option<Vec<Poly>> {
    match kind_and_coords(v)? {
        ("Polygon", c) => Some(vec![poly_of(c)?]),
        ("MultiPolygon", Value::Array(ps)) if !ps.is_empty() => ps.iter().map(poly_of).collect(),
        _ => None,
    }
}

/// LineString or MultiLineString → its lines.
pub fn lines(v: &Value) -> Option<Vec<Vec<P>>> {
    match kind_and_coords(v)? {
        ("LineString", c) => Some(vec![line_of(c)?]),
        ("MultiLineString", Value::Array(ls)) if !ls.is_empty() => ls.iter().map(line_of).collect(),
        _ => None,
    }
}

/// A coordinate as Kusto prints it: integral values without a fraction.
fn coord(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

fn pos(p: P) -> Value {
    Value::Array(vec![coord(p.0), coord(p.1)])
}

fn point_json(p: P) -> Value {
    json!({"type": "Point", "coordinates": pos(p)})
}

fn ring_json(ring: &[P]) -> Value {
    let mut pts: Vec<Value> = ring.iter().map(|p| pos(*p)).collect();
    if let Some(first) = ring.first() {
        pts.push(pos(*first));
    }
    Value::Array(pts)
}

fn poly_json(polys: &[Poly]) -> Value {
    let one = |p: &Poly| Value::Array(p.iter().map(|r| ring_json(r)).collect());
    match polys {
        [p] => json!({"type": "Polygon", "coordinates": one(p)}),
        _ => {
            json!({"type": "MultiPolygon", "coordinates": polys.iter().map(one).collect::<Vec<_>>()})
        }
    }
}

fn empty_collection() -> Value {
    json!({"type": "GeometryCollection", "geometries": []})
}

fn num(v: Option<&Value>) -> Option<f64> {
    v?.as_f64()
}

fn real(x: f64) -> Option<Value> {
    serde_json::Number::from_f64(x).map(Value::Number)
}

fn arg_point(args: &[Value], i: usize) -> Option<P> {
    let (lon, lat) = (num(args.get(i))?, num(args.get(i + 1))?);
    valid(lon, lat).then_some((lon, lat))
}

// ---------- functions ----------

fn plan(c: Call<'_>) -> Result<TExpr> {
    let (min, max, ty): (usize, usize, KqlType) = match c.name {
        "geo_point_in_polygon" => (3, 3, KqlType::Bool),
        "geo_polygon_area" | "geo_polygon_perimeter" | "geo_line_length" => (1, 1, KqlType::Real),
        "geo_polygon_centroid" => (1, 1, KqlType::Dynamic),
        "geo_polygon_densify" => (1, 3, KqlType::Dynamic),
        "geo_polygon_simplify" | "geo_line_simplify" => (1, 2, KqlType::Dynamic),
        "geo_line_densify" => (1, 2, KqlType::Dynamic),
        "geo_distance_point_to_line" | "geo_distance_point_to_polygon" => (3, 3, KqlType::Real),
        "geo_intersects_2lines"
        | "geo_intersects_2polygons"
        | "geo_intersects_line_with_polygon" => (2, 2, KqlType::Bool),
        "geo_intersection_2lines" | "geo_intersection_line_with_polygon" => {
            (2, 2, KqlType::Dynamic)
        }
        "geo_closest_point_on_line" | "geo_closest_point_on_polygon" => (3, 3, KqlType::Dynamic),
        "geo_point_buffer" => (3, 4, KqlType::Dynamic),
        "geo_angle" => (6, 6, KqlType::Real),
        "geo_from_wkt" => (1, 1, KqlType::Dynamic),
        "geo_geohash_to_polygon" | "geo_geohash_to_central_point" | "geo_geohash_neighbors" => {
            (1, 1, KqlType::Dynamic)
        }
        other => crate::bail!(c.span, "unknown geo function '{other}'"),
    };
    arity(c.name, &c.args, min, max, c.span)?;
    let name = c.name.to_string();
    Ok(json_call(c, ty, move |a| eval(&name, a)))
}

pub fn register(r: &mut Registry) {
    for name in [
        "geo_point_in_polygon",
        "geo_polygon_area",
        "geo_polygon_perimeter",
        "geo_line_length",
        "geo_polygon_centroid",
        "geo_polygon_densify",
        "geo_polygon_simplify",
        "geo_line_simplify",
        "geo_line_densify",
        "geo_distance_point_to_line",
        "geo_distance_point_to_polygon",
        "geo_intersects_2lines",
        "geo_intersects_2polygons",
        "geo_intersects_line_with_polygon",
        "geo_intersection_2lines",
        "geo_intersection_line_with_polygon",
        "geo_closest_point_on_line",
        "geo_closest_point_on_polygon",
        "geo_point_buffer",
        "geo_angle",
        "geo_from_wkt",
        "geo_geohash_to_polygon",
        "geo_geohash_to_central_point",
        "geo_geohash_neighbors",
    ] {
        r.scalar(name, plan);
    }
}

fn eval(name: &str, a: &[Value]) -> Option<Value> {
    match name {
        "geo_point_in_polygon" => {
            let p = v3(arg_point(a, 0)?);
            let polys = polygons(a.get(2)?)?;
            Some(Value::Bool(polys.iter().any(|poly| in_poly(p, poly))))
        }
        "geo_polygon_area" => real(polygons(a.first()?)?.iter().map(poly_area).sum()),
        "geo_polygon_perimeter" => real(
            polygons(a.first()?)?
                .iter()
                .flatten()
                .map(|r| ring_length(r, true))
                .sum(),
        ),
        "geo_line_length" => real(
            lines(a.first()?)?
                .iter()
                .map(|l| ring_length(l, false))
                .sum(),
        ),
        "geo_polygon_centroid" => {
            let mut m = [0.0; 3];
            for poly in polygons(a.first()?)? {
                for (i, ring) in poly.iter().enumerate() {
                    let (rm, _) = ring_moment(ring);
                    m = add(m, if i == 0 { rm } else { scale(rm, -1.0) });
                }
            }
            Some(point_json(ll(norm(m)?)))
        }
        "geo_polygon_densify" => {
            let polys = polygons(a.first()?)?;
            let tol = tolerance(a.get(1), 10.0, 0.1, 10_000.0)?;
            let out: Vec<Poly> = polys
                .iter()
                .map(|p| p.iter().map(|r| densify(r, true, tol)).collect())
                .collect();
            Some(poly_json(&out))
        }
        "geo_line_densify" => {
            let ls = lines(a.first()?)?;
            let tol = tolerance(a.get(1), 10.0, 0.1, 10_000.0)?;
            Some(lines_json(
                &ls.iter()
                    .map(|l| densify(l, false, tol))
                    .collect::<Vec<_>>(),
            ))
        }
        "geo_polygon_simplify" => {
            let polys = polygons(a.first()?)?;
            let tol = tolerance(a.get(1), 10.0, 0.0, f64::MAX)?;
            let mut out: Vec<Poly> = Vec::new();
            for p in &polys {
                let rings: Vec<Vec<P>> = p.iter().map(|r| simplify_ring(r, tol)).collect();
                if rings.first().is_some_and(|r| r.len() >= 3) {
                    out.push(rings.into_iter().filter(|r| r.len() >= 3).collect());
                }
            }
            if out.is_empty() {
                return None;
            }
            Some(poly_json(&out))
        }
        "geo_line_simplify" => {
            let ls = lines(a.first()?)?;
            let tol = tolerance(a.get(1), 10.0, 0.0, f64::MAX)?;
            Some(lines_json(
                &ls.iter().map(|l| simplify(l, tol)).collect::<Vec<_>>(),
            ))
        }
        "geo_distance_point_to_line" => {
            let p = v3(arg_point(a, 0)?);
            let d = lines(a.get(2)?)?
                .iter()
                .flat_map(|l| {
                    l.windows(2)
                        .map(move |w| closest_on_arc(p, v3(w[0]), v3(w[1])).1)
                })
                .fold(f64::INFINITY, f64::min);
            real(d * EARTH_RADIUS_M)
        }
        "geo_distance_point_to_polygon" => {
            let p = v3(arg_point(a, 0)?);
            let polys = polygons(a.get(2)?)?;
            if polys.iter().any(|poly| in_poly(p, poly)) {
                return real(0.0);
            }
            let d = polys
                .iter()
                .flatten()
                .flat_map(|r| ring_edges(r).map(move |(s, e)| closest_on_arc(p, s, e).1))
                .fold(f64::INFINITY, f64::min);
            real(d * EARTH_RADIUS_M)
        }
        "geo_intersects_2lines" => {
            let (l1, l2) = (lines(a.first()?)?, lines(a.get(1)?)?);
            Some(Value::Bool(!line_crossings(&l1, &l2).is_empty()))
        }
        "geo_intersection_2lines" => {
            let (l1, l2) = (lines(a.first()?)?, lines(a.get(1)?)?);
            let pts = line_crossings(&l1, &l2);
            Some(match pts.as_slice() {
                [] => empty_collection(),
                [p] => point_json(*p),
                _ => {
                    json!({"type": "MultiPoint", "coordinates": pts.iter().map(|p| pos(*p)).collect::<Vec<_>>()})
                }
            })
        }
        "geo_intersects_2polygons" => {
            let (p1, p2) = (polygons(a.first()?)?, polygons(a.get(1)?)?);
            Some(Value::Bool(polys_intersect(&p1, &p2)))
        }
        "geo_intersects_line_with_polygon" => {
            let (ls, ps) = (lines(a.first()?)?, polygons(a.get(1)?)?);
            Some(Value::Bool(!clip_lines(&ls, &ps).is_empty()))
        }
        "geo_intersection_line_with_polygon" => {
            let (ls, ps) = (lines(a.first()?)?, polygons(a.get(1)?)?);
            let pieces = clip_lines(&ls, &ps);
            Some(match pieces.as_slice() {
                [] => empty_collection(),
                [p] if p.len() == 1 => point_json(p[0]),
                _ => lines_json(&pieces),
            })
        }
        "geo_closest_point_on_line" => {
            let p = v3(arg_point(a, 0)?);
            let best = lines(a.get(2)?)?
                .iter()
                .flat_map(|l| {
                    l.windows(2)
                        .map(move |w| closest_on_arc(p, v3(w[0]), v3(w[1])))
                })
                .min_by(|x, y| x.1.total_cmp(&y.1))?;
            Some(point_json(ll(best.0)))
        }
        "geo_closest_point_on_polygon" => {
            let pt = arg_point(a, 0)?;
            let p = v3(pt);
            let polys = polygons(a.get(2)?)?;
            if polys.iter().any(|poly| in_poly(p, poly)) {
                return Some(point_json(pt));
            }
            let best = polys
                .iter()
                .flatten()
                .flat_map(|r| ring_edges(r).map(move |(s, e)| closest_on_arc(p, s, e)))
                .min_by(|x, y| x.1.total_cmp(&y.1))?;
            Some(point_json(ll(best.0)))
        }
        "geo_point_buffer" => {
            let c = arg_point(a, 0)?;
            let r = num(a.get(2))?;
            let tol = tolerance(a.get(3), 0.1, 0.00001, f64::MAX)?;
            if !(r > 0.0 && r < 6_000_000.0) {
                return None;
            }
            Some(poly_json(&[vec![circle(c, r, tol)]]))
        }
        "geo_angle" => {
            let (p1, p2, p3) = (arg_point(a, 0)?, arg_point(a, 2)?, arg_point(a, 4)?);
            if p1 == p2 || p2 == p3 {
                return None;
            }
            let ang = (bearing(p2, p3) - bearing(p2, p1)).rem_euclid(2.0 * std::f64::consts::PI);
            real(ang)
        }
        "geo_from_wkt" => match a.first()? {
            Value::String(s) => wkt::parse(s),
            _ => None,
        },
        "geo_geohash_to_polygon" => {
            let (w, s, e, n) = geohash_box(a.first()?.as_str()?)?;
            Some(poly_json(&[vec![vec![(w, s), (e, s), (e, n), (w, n)]]]))
        }
        "geo_geohash_to_central_point" => {
            let (w, s, e, n) = geohash_box(a.first()?.as_str()?)?;
            Some(point_json(((w + e) / 2.0, (s + n) / 2.0)))
        }
        "geo_geohash_neighbors" => geohash_neighbors(a.first()?.as_str()?),
        _ => None,
    }
}

/// An optional tolerance argument with a default and a valid range (else null).
fn tolerance(v: Option<&Value>, default: f64, lo: f64, hi: f64) -> Option<f64> {
    match v {
        None | Some(Value::Null) => Some(default),
        Some(v) => v.as_f64().filter(|t| (lo..=hi).contains(t)),
    }
}

fn ring_edges(r: &[P]) -> impl Iterator<Item = (V3, V3)> + '_ {
    (0..r.len()).map(move |i| (v3(r[i]), v3(r[(i + 1) % r.len()])))
}

fn lines_json(ls: &[Vec<P>]) -> Value {
    let one = |l: &Vec<P>| Value::Array(l.iter().map(|p| pos(*p)).collect());
    match ls {
        [l] => json!({"type": "LineString", "coordinates": one(l)}),
        _ => {
            json!({"type": "MultiLineString", "coordinates": ls.iter().map(one).collect::<Vec<_>>()})
        }
    }
}

/// Splits each edge in halves (in longitude/latitude) until the planar edge is within
/// `tol` meters of the geodesic one.
fn densify(pts: &[P], closed: bool, tol: f64) -> Vec<P> {
    fn split(a: P, b: P, tol: f64, depth: u32, out: &mut Vec<P>) {
        let m = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
        let dev = closest_on_arc(v3(m), v3(a), v3(b)).1 * EARTH_RADIUS_M;
        if dev > tol && depth < 20 {
            split(a, m, tol, depth + 1, out);
            out.push(m);
            split(m, b, tol, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    let n = pts.len();
    let edges = if closed { n } else { n.saturating_sub(1) };
    for i in 0..n {
        out.push(pts[i]);
        if i < edges {
            split(pts[i], pts[(i + 1) % n], tol, 0, &mut out);
        }
    }
    out
}

/// Douglas–Peucker with geodesic distances.
fn simplify(pts: &[P], tol: f64) -> Vec<P> {
    fn rec(pts: &[P], tol: f64, keep: &mut [bool], off: usize) {
        if pts.len() < 3 {
            return;
        }
        let (a, b) = (v3(pts[0]), v3(pts[pts.len() - 1]));
        let mut best = (0, -1.0);
        for (i, p) in pts.iter().enumerate().take(pts.len() - 1).skip(1) {
            let d = closest_on_arc(v3(*p), a, b).1 * EARTH_RADIUS_M;
            if d > best.1 {
                best = (i, d);
            }
        }
        if best.1 > tol {
            keep[off + best.0] = true;
            rec(&pts[..=best.0], tol, keep, off);
            rec(&pts[best.0..], tol, keep, off + best.0);
        }
    }
    let mut keep = vec![false; pts.len()];
    if let Some(k) = keep.first_mut() {
        *k = true;
    }
    if let Some(k) = keep.last_mut() {
        *k = true;
    }
    rec(pts, tol, &mut keep, 0);
    pts.iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(p, _)| *p)
        .collect()
}

fn simplify_ring(ring: &[P], tol: f64) -> Vec<P> {
    let mut closed = ring.to_vec();
    if let Some(f) = ring.first() {
        closed.push(*f);
    }
    let mut s = simplify(&closed, tol);
    s.pop();
    s
}

/// Points where two (multi)lines cross, without duplicates.
fn line_crossings(l1: &[Vec<P>], l2: &[Vec<P>]) -> Vec<P> {
    let mut out: Vec<V3> = Vec::new();
    for a in l1 {
        for s in a.windows(2) {
            for b in l2 {
                for t in b.windows(2) {
                    for x in arc_intersections(v3(s[0]), v3(s[1]), v3(t[0]), v3(t[1])) {
                        if !out.iter().any(|q| angle(*q, x) < 1e-12) {
                            out.push(x);
                        }
                    }
                }
            }
        }
    }
    out.into_iter().map(ll).collect()
}

fn polys_intersect(p1: &[Poly], p2: &[Poly]) -> bool {
    let edges = |ps: &[Poly]| -> Vec<(V3, V3)> {
        ps.iter().flatten().flat_map(|r| ring_edges(r)).collect()
    };
    let (e1, e2) = (edges(p1), edges(p2));
    if e1.iter().any(|(a, b)| {
        e2.iter()
            .any(|(c, d)| !arc_intersections(*a, *b, *c, *d).is_empty())
    }) {
        return true;
    }
    let inside = |p: &P, ps: &[Poly]| ps.iter().any(|poly| in_poly(v3(*p), poly));
    p1.iter().flatten().flatten().any(|p| inside(p, p2))
        || p2.iter().flatten().flatten().any(|p| inside(p, p1))
}

/// The parts of the lines inside the polygons.
fn clip_lines(ls: &[Vec<P>], ps: &[Poly]) -> Vec<Vec<P>> {
    let edges: Vec<(V3, V3)> = ps.iter().flatten().flat_map(|r| ring_edges(r)).collect();
    let inside = |x: V3| ps.iter().any(|poly| in_poly(x, poly));
    let mut pieces: Vec<Vec<P>> = Vec::new();
    for l in ls {
        let mut cur: Vec<V3> = Vec::new();
        for s in l.windows(2) {
            let (a, b) = (v3(s[0]), v3(s[1]));
            // Cut points along the segment, ordered from a.
            let mut cuts: Vec<V3> = vec![a];
            let mut mids: Vec<V3> = edges
                .iter()
                .flat_map(|(c, d)| arc_intersections(a, b, *c, *d))
                .collect();
            mids.sort_by(|x, y| angle(a, *x).total_cmp(&angle(a, *y)));
            cuts.extend(mids);
            cuts.push(b);
            for w in cuts.windows(2) {
                let (p, q) = (w[0], w[1]);
                let piece_in = match norm(add(p, q)) {
                    Some(m) if angle(p, q) > 1e-15 => inside(m),
                    _ => continue,
                };
                if piece_in {
                    if cur.last().is_none_or(|l| angle(*l, p) > 1e-15) {
                        if !cur.is_empty() {
                            pieces.push(cur.drain(..).map(ll).collect());
                        }
                        cur.push(p);
                    }
                    cur.push(q);
                } else if !cur.is_empty() {
                    pieces.push(cur.drain(..).map(ll).collect());
                }
            }
        }
        if !cur.is_empty() {
            pieces.push(cur.drain(..).map(ll).collect());
        }
    }
    // Exact input vertices print as given (the vector round trip perturbs the last digits).
    let originals: Vec<P> = ls.iter().flatten().copied().collect();
    for piece in &mut pieces {
        for p in piece.iter_mut() {
            if let Some(o) = originals
                .iter()
                .find(|o| (o.0 - p.0).abs() < 1e-9 && (o.1 - p.1).abs() < 1e-9)
            {
                *p = *o;
            }
        }
    }
    pieces
}

/// Initial bearing from a to b (radians clockwise from north).
fn bearing(a: P, b: P) -> f64 {
    let (p1, p2) = (a.1.to_radians(), b.1.to_radians());
    let dl = (b.0 - a.0).to_radians();
    (dl.sin() * p2.cos()).atan2(p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos())
}

/// The point at `d` meters from `c` along bearing `brg` (radians).
fn destination(c: P, d: f64, brg: f64) -> P {
    let (p1, l1) = (c.1.to_radians(), c.0.to_radians());
    let ad = d / EARTH_RADIUS_M;
    let p2 = (p1.sin() * ad.cos() + p1.cos() * ad.sin() * brg.cos()).asin();
    let l2 = l1 + (brg.sin() * ad.sin() * p1.cos()).atan2(ad.cos() - p1.sin() * p2.sin());
    let lon = (l2.to_degrees() + 540.0).rem_euclid(360.0) - 180.0;
    (lon, p2.to_degrees())
}

/// A counterclockwise ring approximating the circle of radius `r` within `tol` meters.
fn circle(c: P, r: f64, tol: f64) -> Vec<P> {
    let step = (1.0 - tol / r).clamp(-1.0, 1.0).acos() * 2.0;
    let n = ((2.0 * std::f64::consts::PI / step.max(1e-9)).ceil() as usize).clamp(8, 4096);
    (0..n)
        .map(|i| destination(c, r, -(i as f64) * 2.0 * std::f64::consts::PI / n as f64))
        .collect()
}

// ---------- geohash ----------

const B32: &[u8] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// (west, south, east, north) of a geohash cell.
pub fn geohash_box(h: &str) -> Option<(f64, f64, f64, f64)> {
    if h.is_empty() || h.len() > 18 {
        return None;
    }
    let (mut w, mut e, mut s, mut n) = (-180.0, 180.0, -90.0, 90.0);
    let mut even = true;
    for ch in h.bytes() {
        let idx = B32.iter().position(|b| *b == ch.to_ascii_lowercase())?;
        for bit in (0..5).rev() {
            let on = (idx >> bit) & 1 == 1;
            if even {
                let mid = (w + e) / 2.0;
                if on { w = mid } else { e = mid }
            } else {
                let mid = (s + n) / 2.0;
                if on { s = mid } else { n = mid }
            }
            even = !even;
        }
    }
    Some((w, s, e, n))
}

/// The 8 neighbouring cells of the same length, in the order Kusto lists them
/// (SW, NW, SE, N, W, NE, E, S).
fn geohash_neighbors(h: &str) -> Option<Value> {
    let (w, s, e, n) = geohash_box(h)?;
    let (dx, dy) = (e - w, n - s);
    let (cx, cy) = ((w + e) / 2.0, (s + n) / 2.0);
    let mut out = Vec::new();
    for (ox, oy) in [
        (-1.0, -1.0),
        (-1.0, 1.0),
        (1.0, -1.0),
        (0.0, 1.0),
        (-1.0, 0.0),
        (1.0, 1.0),
        (1.0, 0.0),
        (0.0, -1.0),
    ] {
        let lat = cy + oy * dy;
        if !(-90.0..=90.0).contains(&lat) {
            continue;
        }
        let lon = (cx + ox * dx + 540.0).rem_euclid(360.0) - 180.0;
        if let Some(g) = super::geo::geohash(lon, lat, h.len()) {
            out.push(Value::String(g));
        }
    }
    Some(Value::Array(out))
}

// ---------- WKT ----------

mod wkt {
    use super::{P, Value, pos, valid};
    use serde_json::json;

    struct Lexer<'a> {
        s: &'a [u8],
        i: usize,
    }

    impl Lexer<'_> {
        fn ws(&mut self) {
            while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
        }
        fn eat(&mut self, c: u8) -> bool {
            self.ws();
            if self.s.get(self.i) == Some(&c) {
                self.i += 1;
                true
            } else {
                false
            }
        }
        fn word(&mut self) -> String {
            self.ws();
            let st = self.i;
            while self.i < self.s.len() && self.s[self.i].is_ascii_alphabetic() {
                self.i += 1;
            }
            String::from_utf8_lossy(&self.s[st..self.i]).to_ascii_uppercase()
        }
        fn number(&mut self) -> Option<f64> {
            self.ws();
            let st = self.i;
            while self.i < self.s.len()
                && (self.s[self.i].is_ascii_digit() || b"+-.eE".contains(&self.s[self.i]))
            {
                self.i += 1;
            }
            std::str::from_utf8(&self.s[st..self.i]).ok()?.parse().ok()
        }
        fn point(&mut self) -> Option<P> {
            let (x, y) = (self.number()?, self.number()?);
            // An optional Z (and M) are ignored.
            while self.number_ahead() {
                self.number()?;
            }
            valid(x, y).then_some((x, y))
        }
        fn number_ahead(&mut self) -> bool {
            self.ws();
            self.s
                .get(self.i)
                .is_some_and(|c| c.is_ascii_digit() || b"+-.".contains(c))
        }
        /// `(x y, x y, ...)`; points may also be wrapped: `((x y), (x y))`.
        fn points(&mut self) -> Option<Vec<P>> {
            if !self.eat(b'(') {
                return None;
            }
            let mut out = Vec::new();
            loop {
                let wrapped = self.eat(b'(');
                out.push(self.point()?);
                if wrapped && !self.eat(b')') {
                    return None;
                }
                if self.eat(b')') {
                    return Some(out);
                }
                if !self.eat(b',') {
                    return None;
                }
            }
        }
        fn list<T>(&mut self, f: fn(&mut Self) -> Option<T>) -> Option<Vec<T>> {
            if !self.eat(b'(') {
                return None;
            }
            let mut out = vec![f(self)?];
            while self.eat(b',') {
                out.push(f(self)?);
            }
            self.eat(b')').then_some(out)
        }
    }

    fn arr(pts: &[P]) -> Value {
        Value::Array(pts.iter().map(|p| pos(*p)).collect())
    }

    fn rings(r: &[Vec<P>]) -> Option<Value> {
        for ring in r {
            if ring.len() < 4 || ring.first() != ring.last() {
                return None;
            }
        }
        Some(Value::Array(r.iter().map(|x| arr(x)).collect()))
    }

    pub fn parse(s: &str) -> Option<Value> {
        let mut lx = Lexer {
            s: s.as_bytes(),
            i: 0,
        };
        let kind = lx.word();
        let z = lx.word(); // Z / M / ZM / EMPTY
        if z == "EMPTY" {
            return None;
        }
        let v = match kind.as_str() {
            "POINT" => {
                if !lx.eat(b'(') {
                    return None;
                }
                let p = lx.point()?;
                if !lx.eat(b')') {
                    return None;
                }
                json!({"type": "Point", "coordinates": pos(p)})
            }
            "LINESTRING" => {
                let pts = lx.points()?;
                if pts.len() < 2 {
                    return None;
                }
                json!({"type": "LineString", "coordinates": arr(&pts)})
            }
            "MULTIPOINT" => json!({"type": "MultiPoint", "coordinates": arr(&lx.points()?)}),
            "POLYGON" => {
                json!({"type": "Polygon", "coordinates": rings(&lx.list(Lexer::points)?)?})
            }
            "MULTILINESTRING" => {
                let ls = lx.list(Lexer::points)?;
                if ls.iter().any(|l| l.len() < 2) {
                    return None;
                }
                json!({"type": "MultiLineString", "coordinates": ls.iter().map(|l| arr(l)).collect::<Vec<_>>()})
            }
            "MULTIPOLYGON" => {
                let ps = lx.list(|l| l.list(Lexer::points))?;
                let coords: Option<Vec<Value>> = ps.iter().map(|p| rings(p)).collect();
                json!({"type": "MultiPolygon", "coordinates": coords?})
            }
            _ => return None,
        };
        lx.ws();
        (lx.i == lx.s.len()).then_some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn central_park() -> Value {
        serde_json::from_str(r#"{"type":"Polygon","coordinates":[[[-73.9495,40.7969],[-73.95807266235352,40.80068603561921],[-73.98201942443848,40.76825672305777],[-73.97317886352539,40.76455136505513],[-73.9495,40.7969]]]}"#).unwrap_or(Value::Null)
    }

    #[test]
    fn area_perimeter_centroid() {
        let p = central_park();
        let area = eval("geo_polygon_area", std::slice::from_ref(&p)).and_then(|v| v.as_f64());
        assert!((area.unwrap_or(0.0) - 3475207.28346606).abs() < 1e-3);
        let per = eval("geo_polygon_perimeter", std::slice::from_ref(&p)).and_then(|v| v.as_f64());
        assert!((per.unwrap_or(0.0) - 9930.30149604938).abs() < 1e-6);
        let inside = eval(
            "geo_point_in_polygon",
            &[Value::from(-73.965), Value::from(40.78), p],
        );
        assert_eq!(inside, Some(Value::Bool(true)));
    }

    #[test]
    fn wkt_and_geohash() {
        assert_eq!(
            wkt::parse("POINT (1 2)"),
            Some(json!({"type": "Point", "coordinates": [1, 2]}))
        );
        assert!(wkt::parse("POINT (1)").is_none());
        assert!(geohash_box("a").is_none());
    }
}
