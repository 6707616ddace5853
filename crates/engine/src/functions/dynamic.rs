//! Dynamic family: member/index access on dynamic JSON, parse_json, gettype, pack_array,
//! bag_pack/pack, pack_all, array_length, array_sum, array_concat, array_slice,
//! array_index_of, array_reverse, array_sort_asc/desc, set_has_element, bag_keys, bag_merge.

use super::conversion::{convert, parse_json_udf, to_dynamic};
use super::kit::{arity, call, udf};
use super::rowwise::*;
use super::{Call, Registry};
use crate::error::Result;
use crate::texpr::TExpr;
use crate::types::KqlType;
use crate::value::dynamic::{self, PathElem, Value};
use datafusion::arrow::datatypes::DataType;
use std::sync::Arc;

pub use super::dynamic_path::dynamic_path;

/// `x[expr]` with a computed index or key.
pub fn dynamic_index(base: TExpr, index: TExpr) -> TExpr {
    let idx = super::conversion::to_string(index);
    let u = crate::cached_udf!(udf(
        "kql_dyn_index",
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Utf8,
        |a, n| {
            strings(n, |i| {
                let (Some(t), Some(k)) = (str_at(&a[0], i)?, str_at(&a[1], i)?) else {
                    return Ok(None);
                };
                let Some(v) = dynamic::parse(t) else {
                    return Ok(None);
                };
                let p = match (&v, k.parse::<i64>()) {
                    (Value::Array(_), Ok(n)) => PathElem::Index(n),
                    _ => PathElem::Key(k.to_string()),
                };
                Ok(dynamic::get_path(&v, &[p])
                    .filter(|x| !x.is_null())
                    .map(dynamic::to_text))
            })
        }
    ));
    call(&u, vec![base, idx], KqlType::Dynamic)
}

fn pack_udf(n_pairs: usize) -> Arc<datafusion::logical_expr::ScalarUDF> {
    udf(
        &format!("kql_pack{n_pairs}"),
        vec![DataType::Utf8; n_pairs * 2],
        DataType::Utf8,
        move |a, n| {
            strings(n, |i| {
                let mut m = serde_json::Map::new();
                for p in 0..n_pairs {
                    let k = str_at(&a[2 * p], i)?.unwrap_or("").to_string();
                    let v = str_at(&a[2 * p + 1], i)?
                        .and_then(dynamic::parse)
                        .unwrap_or(Value::Null);
                    m.insert(k, v);
                }
                Ok(Some(Value::Object(m).to_string()))
            })
        },
    )
}

/// A bag of every column of the row.
pub fn pack_all(columns: Vec<(String, TExpr)>) -> TExpr {
    let mut args = Vec::new();
    for (n, e) in columns {
        args.push(TExpr::string(n));
        args.push(to_dynamic(e));
    }
    call(&pack_udf(args.len() / 2), args, KqlType::Dynamic)
}

pub fn register(r: &mut Registry) {
    r.scalar("parse_json", |c| {
        arity(c.name, &c.args, 1, 1, c.span)?;
        let a = c.args[0].clone();
        Ok(if a.ty == KqlType::String {
            call(&parse_json_udf(), vec![a], KqlType::Dynamic)
        } else {
            to_dynamic(a)
        })
    });
    r.scalar("gettype", |c| {
        arity(c.name, &c.args, 1, 1, c.span)?;
        let a = c.args[0].clone();
        if a.ty != KqlType::Dynamic {
            return Ok(TExpr::string(a.ty.name()));
        }
        let u = crate::cached_udf!(udf(
            "kql_gettype",
            vec![DataType::Utf8],
            DataType::Utf8,
            |a, n| {
                strings(n, |i| {
                    Ok(Some(
                        match str_at(&a[0], i)?.and_then(dynamic::parse) {
                            None | Some(Value::Null) => "null",
                            Some(Value::Bool(_)) => "bool",
                            Some(Value::Number(x)) if x.is_i64() || x.is_u64() => "long",
                            Some(Value::Number(_)) => "double",
                            Some(Value::String(_)) => "string",
                            Some(Value::Array(_)) => "array",
                            Some(Value::Object(_)) => "dictionary",
                        }
                        .to_string(),
                    ))
                })
            }
        ));
        Ok(call(&u, vec![a], KqlType::String))
    });
    r.scalar("pack_array", |c| {
        let k = c.args.len();
        let u = udf(
            &format!("kql_pack_array{k}"),
            vec![DataType::Utf8; k],
            DataType::Utf8,
            move |a, n| {
                strings(n, |i| {
                    let items: Vec<Value> = (0..k)
                        .map(|j| {
                            str_at(&a[j], i)
                                .map(|s| s.and_then(dynamic::parse).unwrap_or(Value::Null))
                        })
                        .collect::<datafusion::error::Result<_>>()?;
                    Ok(Some(Value::Array(items).to_string()))
                })
            },
        );
        Ok(call(
            &u,
            c.args.into_iter().map(to_dynamic).collect(),
            KqlType::Dynamic,
        ))
    });
    fn pack(c: Call<'_>) -> Result<TExpr> {
        if !c.args.len().is_multiple_of(2) {
            crate::bail!(c.span, "{}() expects key/value pairs", c.name)
        }
        let mut args = Vec::new();
        for (i, a) in c.args.into_iter().enumerate() {
            args.push(if i % 2 == 0 {
                super::conversion::to_string(a)
            } else {
                to_dynamic(a)
            });
        }
        Ok(call(&pack_udf(args.len() / 2), args, KqlType::Dynamic))
    }
    r.scalar("pack", pack);
    r.scalar("bag_pack", pack);
    r.scalar("pack_dictionary", pack);
    r.scalar("array_length", |c| {
        arr_fn(c, KqlType::Long, |v| match v {
            Value::Array(a) => Some(Value::from(a.len() as i64)),
            _ => None,
        })
    });
    r.scalar("array_sum", |c| {
        arr_fn(c, KqlType::Real, |v| match v {
            Value::Array(a) => Some(Value::from(
                a.iter().filter_map(|x| x.as_f64()).sum::<f64>(),
            )),
            _ => None,
        })
    });
    r.scalar("array_reverse", |c| {
        arr_fn(c, KqlType::Dynamic, |v| match v {
            Value::Array(a) => Some(Value::Array(a.iter().rev().cloned().collect())),
            _ => None,
        })
    });
    r.scalar("array_sort_asc", array_sort);
    r.scalar("array_sort_desc", array_sort);
    r.scalar("bag_keys", |c| {
        arr_fn(c, KqlType::Dynamic, |v| match v {
            Value::Object(o) => Some(Value::Array(
                o.keys().map(|k| Value::String(k.clone())).collect(),
            )),
            _ => None,
        })
    });
    r.scalar("array_concat", |c| {
        let k = c.args.len();
        let u = udf(
            &format!("kql_array_concat{k}"),
            vec![DataType::Utf8; k],
            DataType::Utf8,
            move |a, n| {
                strings(n, |i| {
                    let mut out = Vec::new();
                    for col in a.iter().take(k) {
                        match str_at(col, i)?.and_then(dynamic::parse) {
                            Some(Value::Array(x)) => out.extend(x),
                            _ => return Ok(None),
                        }
                    }
                    Ok(Some(Value::Array(out).to_string()))
                })
            },
        );
        Ok(call(
            &u,
            c.args.into_iter().map(to_dynamic).collect(),
            KqlType::Dynamic,
        ))
    });
    r.scalar("array_slice", |c| {
        arity(c.name, &c.args, 3, 3, c.span)?;
        let u = crate::cached_udf!(udf(
            "kql_array_slice",
            vec![DataType::Utf8, DataType::Int64, DataType::Int64],
            DataType::Utf8,
            |a, n| {
                strings(n, |i| {
                    let Some(Value::Array(arr)) = str_at(&a[0], i)?.and_then(dynamic::parse) else {
                        return Ok(None);
                    };
                    let len = arr.len() as i64;
                    let norm = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
                    let s = norm(i64_at(&a[1], i)?.unwrap_or(0));
                    let e = norm(i64_at(&a[2], i)?.unwrap_or(len - 1)) + 1;
                    let e = e.min(len);
                    Ok(Some(
                        Value::Array(if s < e {
                            arr[s as usize..e as usize].to_vec()
                        } else {
                            vec![]
                        })
                        .to_string(),
                    ))
                })
            }
        ));
        let mut it = c.args.into_iter();
        let args = vec![
            to_dynamic(it.next().unwrap_or_else(|| TExpr::null(KqlType::Dynamic))),
            convert(it.next().unwrap_or_else(|| TExpr::long(0)), KqlType::Long),
            convert(it.next().unwrap_or_else(|| TExpr::long(0)), KqlType::Long),
        ];
        Ok(call(&u, args, KqlType::Dynamic))
    });
    fn index_of(c: Call<'_>) -> Result<TExpr> {
        if c.name == "array_index_of" && c.args.len() > 2 {
            arity(c.name, &c.args, 2, 5, c.span)?;
            return Ok(super::kit::json_call(c, KqlType::Long, |a| {
                let Value::Array(arr) = a.first()? else {
                    return None;
                };
                let needle = a.get(1).cloned().unwrap_or(Value::Null);
                let len = arr.len() as i64;
                let int = |i: usize, d: i64| a.get(i).and_then(Value::as_i64).unwrap_or(d);
                let mut start = int(2, 0);
                if start < 0 {
                    start = (len + start).max(0);
                }
                let count = int(3, -1);
                let end = if count < 0 {
                    len
                } else {
                    (start + count).min(len)
                };
                let mut occurrence = int(4, 1);
                if occurrence < 1 {
                    return None;
                }
                for i in start..end {
                    if arr[i as usize] == needle {
                        occurrence -= 1;
                        if occurrence == 0 {
                            return Some(Value::from(i));
                        }
                    }
                }
                Some(Value::from(-1))
            }));
        }
        arity(c.name, &c.args, 2, 2, c.span)?;
        let has = c.name == "set_has_element";
        let u = if has {
            crate::cached_udf!(index_udf(true))
        } else {
            crate::cached_udf!(index_udf(false))
        };
        let args = vec![to_dynamic(c.args[0].clone()), to_dynamic(c.args[1].clone())];
        Ok(call(
            &u,
            args,
            if has { KqlType::Bool } else { KqlType::Long },
        ))
    }
    r.scalar("array_index_of", index_of);
    r.scalar("set_has_element", index_of);
}

fn index_udf(has: bool) -> Arc<datafusion::logical_expr::ScalarUDF> {
    let ret = if has {
        DataType::Boolean
    } else {
        DataType::Int64
    };
    udf(
        if has {
            "kql_set_has_element"
        } else {
            "kql_array_index_of"
        },
        vec![DataType::Utf8; 2],
        ret,
        move |a, n| {
            let pos = longs(n, |i| {
                let Some(Value::Array(arr)) = str_at(&a[0], i)?.and_then(dynamic::parse) else {
                    return Ok(None);
                };
                let needle = str_at(&a[1], i)?
                    .and_then(dynamic::parse)
                    .unwrap_or(Value::Null);
                Ok(Some(
                    arr.iter()
                        .position(|x| *x == needle)
                        .map_or(-1, |p| p as i64),
                ))
            })?;
            if has {
                let p = datafusion::common::cast::as_int64_array(&pos)?;
                bools(n, |i| {
                    Ok(if p.is_null(i) {
                        None
                    } else {
                        Some(p.value(i) >= 0)
                    })
                })
            } else {
                Ok(pos)
            }
        },
    )
}

use datafusion::arrow::array::Array;

/// `array_sort_asc/desc(a1 [, a2, ...] [, nulls_last])`: sorts `a1` and reorders the other
/// arrays (of the same length) the same way. With one array the result is the sorted
/// array; with several, an array of the sorted arrays (which `project`/`extend` split into
/// columns `a1_sorted`, `a2_sorted`, ...). Nulls go last unless `nulls_last` is false.
fn array_sort(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 1, 64, c.span)?;
    let asc = c.name == "array_sort_asc";
    let has_flag = c.args.len() > 1 && c.args.last().is_some_and(|a| a.ty == KqlType::Bool);
    let arrays = c.args.len() - usize::from(has_flag);
    Ok(super::kit::json_call(c, KqlType::Dynamic, move |a| {
        let nulls_last = if has_flag {
            a.last().and_then(Value::as_bool).unwrap_or(true)
        } else {
            true
        };
        let mut cols: Vec<Vec<Value>> = Vec::new();
        for v in a.iter().take(arrays) {
            match v {
                Value::Array(x) => cols.push(x.clone()),
                _ => return None,
            }
        }
        let n = cols.first()?.len();
        if cols.iter().any(|x| x.len() != n) {
            return None;
        }
        let mut idx: Vec<usize> = (0..n).collect();
        let key = &cols[0];
        idx.sort_by(|&i, &j| {
            let (x, y) = (&key[i], &key[j]);
            match (x.is_null(), y.is_null()) {
                (true, true) => return std::cmp::Ordering::Equal,
                (true, false) => {
                    return if nulls_last {
                        std::cmp::Ordering::Greater
                    } else {
                        std::cmp::Ordering::Less
                    };
                }
                (false, true) => {
                    return if nulls_last {
                        std::cmp::Ordering::Less
                    } else {
                        std::cmp::Ordering::Greater
                    };
                }
                _ => {}
            }
            let o = match (x.as_f64(), y.as_f64()) {
                (Some(p), Some(q)) => p.total_cmp(&q),
                _ => dynamic::to_kql_string(x).cmp(&dynamic::to_kql_string(y)),
            };
            if asc { o } else { o.reverse() }
        });
        let sorted: Vec<Value> = cols
            .iter()
            .map(|col| Value::Array(idx.iter().map(|&i| col[i].clone()).collect()))
            .collect();
        if arrays == 1 {
            sorted.into_iter().next()
        } else {
            Some(Value::Array(sorted))
        }
    }))
}

/// Splits a `$.a.b` (or `a`) key into its path.
fn key_path(k: &str) -> Vec<String> {
    match k.strip_prefix("$.") {
        Some(p) => p.split('.').map(str::to_string).collect(),
        None => match k.strip_prefix("$['").and_then(|p| p.strip_suffix("']")) {
            Some(p) => vec![p.to_string()],
            None => vec![k.to_string()],
        },
    }
}

fn remove_path(v: &mut Value, path: &[String]) {
    let Value::Object(o) = v else { return };
    match path {
        [k] => {
            o.shift_remove(k);
        }
        [k, rest @ ..] => {
            if let Some(inner) = o.get_mut(k) {
                remove_path(inner, rest);
            }
        }
        [] => {}
    }
}

fn set_path(v: &mut Value, path: &[String], val: Value) {
    let Value::Object(o) = v else { return };
    match path {
        [k] => {
            o.insert(k.clone(), val);
        }
        [k, rest @ ..] => {
            let inner = o
                .entry(k.clone())
                .or_insert_with(|| Value::Object(Default::default()));
            if !inner.is_object() {
                *inner = Value::Object(Default::default());
            }
            set_path(inner, rest, val);
        }
        [] => {}
    }
}

/// A function of one dynamic argument computed on its parsed value.
fn arr_fn(c: Call<'_>, ty: KqlType, f: fn(&Value) -> Option<Value>) -> Result<TExpr> {
    arity(c.name, &c.args, 1, 1, c.span)?;
    let u = udf(
        &format!("kql_{}", c.name),
        vec![DataType::Utf8],
        DataType::Utf8,
        move |a, n| {
            strings(n, |i| {
                Ok(str_at(&a[0], i)?
                    .and_then(dynamic::parse)
                    .as_ref()
                    .and_then(f)
                    .map(|v| v.to_string()))
            })
        },
    );
    let out = call(&u, vec![to_dynamic(c.args[0].clone())], KqlType::Dynamic);
    Ok(if ty == KqlType::Dynamic {
        out
    } else {
        convert(out, ty)
    })
}

fn set_op(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 2, 64, c.span)?;
    let k = c.args.len();
    let op = c.name.to_string();
    let u = udf(
        &format!("kql_{op}{k}"),
        vec![DataType::Utf8; k],
        DataType::Utf8,
        move |a, n| {
            strings(n, |i| {
                let mut sets: Vec<Vec<Value>> = Vec::new();
                for col in a.iter().take(k) {
                    match str_at(col, i)?.and_then(dynamic::parse) {
                        Some(Value::Array(v)) => sets.push(v),
                        _ => return Ok(None),
                    }
                }
                let mut out: Vec<Value> = Vec::new();
                let push = |out: &mut Vec<Value>, v: &Value| {
                    if !out.contains(v) {
                        out.push(v.clone());
                    }
                };
                match op.as_str() {
                    "set_union" => sets.iter().flatten().for_each(|v| push(&mut out, v)),
                    "set_intersect" => sets[0]
                        .iter()
                        .filter(|v| sets[1..].iter().all(|s| s.contains(v)))
                        .for_each(|v| push(&mut out, v)),
                    _ => sets[0]
                        .iter()
                        .filter(|v| !sets[1..].iter().any(|s| s.contains(v)))
                        .for_each(|v| push(&mut out, v)),
                }
                Ok(Some(Value::Array(out).to_string()))
            })
        },
    );
    Ok(call(
        &u,
        c.args.into_iter().map(to_dynamic).collect(),
        KqlType::Dynamic,
    ))
}

pub fn register_more(r: &mut Registry) {
    r.scalar("set_union", set_op);
    r.scalar("set_intersect", set_op);
    r.scalar("set_difference", set_op);
    r.scalar("dynamic_to_json", |c| {
        arity(c.name, &c.args, 1, 1, c.span)?;
        let d = to_dynamic(c.args[0].clone());
        let u = crate::cached_udf!(udf(
            "kql_dynamic_to_json",
            vec![DataType::Utf8],
            DataType::Utf8,
            |a, n| {
                strings(n, |i| {
                    // Kusto's canonical JSON: bag keys sorted at every level.
                    Ok(Some(
                        str_at(&a[0], i)?
                            .and_then(dynamic::parse)
                            .map(|v| sort_keys(v).to_string())
                            .unwrap_or_else(|| "null".into()),
                    ))
                })
            }
        ));
        Ok(call(&u, vec![d], KqlType::String))
    });
    r.scalar("bag_merge", |c| {
        arity(c.name, &c.args, 2, 64, c.span)?;
        let k = c.args.len();
        let u = udf(
            &format!("kql_bag_merge{k}"),
            vec![DataType::Utf8; k],
            DataType::Utf8,
            move |a, n| {
                strings(n, |i| {
                    let mut m = serde_json::Map::new();
                    for col in a.iter().take(k) {
                        if let Some(Value::Object(o)) = str_at(col, i)?.and_then(dynamic::parse) {
                            for (key, v) in o {
                                m.entry(key).or_insert(v);
                            }
                        }
                    }
                    Ok(Some(Value::Object(m).to_string()))
                })
            },
        );
        Ok(call(
            &u,
            c.args.into_iter().map(to_dynamic).collect(),
            KqlType::Dynamic,
        ))
    });
    r.scalar("bag_remove_keys", |c| {
        arity(c.name, &c.args, 2, 2, c.span)?;
        let u = crate::cached_udf!(udf(
            "kql_bag_remove_keys",
            vec![DataType::Utf8; 2],
            DataType::Utf8,
            |a, n| {
                strings(n, |i| {
                    let Some(Value::Object(mut o)) = str_at(&a[0], i)?.and_then(dynamic::parse)
                    else {
                        return Ok(None);
                    };
                    let mut bag = Value::Object(std::mem::take(&mut o));
                    if let Some(Value::Array(keys)) = str_at(&a[1], i)?.and_then(dynamic::parse) {
                        for key in keys {
                            remove_path(&mut bag, &key_path(&dynamic::to_kql_string(&key)));
                        }
                    }
                    Ok(Some(bag.to_string()))
                })
            }
        ));
        Ok(call(
            &u,
            c.args.into_iter().map(to_dynamic).collect(),
            KqlType::Dynamic,
        ))
    });
    r.scalar("bag_set_key", |c| {
        arity(c.name, &c.args, 3, 3, c.span)?;
        Ok(super::kit::json_call(c, KqlType::Dynamic, |a| {
            let mut bag = a.first()?.clone();
            if !bag.is_object() {
                return None;
            }
            let key = match a.get(1)? {
                Value::String(k) => k.clone(),
                _ => return None,
            };
            set_path(
                &mut bag,
                &key_path(&key),
                a.get(2).cloned().unwrap_or(Value::Null),
            );
            Some(bag)
        }))
    });
    r.scalar("zip", |c| {
        arity(c.name, &c.args, 2, 16, c.span)?;
        let k = c.args.len();
        let u = udf(
            &format!("kql_zip{k}"),
            vec![DataType::Utf8; k],
            DataType::Utf8,
            move |a, n| {
                strings(n, |i| {
                    let mut arrs = Vec::new();
                    for col in a.iter().take(k) {
                        match str_at(col, i)?.and_then(dynamic::parse) {
                            Some(Value::Array(v)) => arrs.push(v),
                            _ => return Ok(None),
                        }
                    }
                    let len = arrs.iter().map(Vec::len).max().unwrap_or(0);
                    let out: Vec<Value> = (0..len)
                        .map(|j| {
                            Value::Array(
                                arrs.iter()
                                    .map(|x| x.get(j).cloned().unwrap_or(Value::Null))
                                    .collect(),
                            )
                        })
                        .collect();
                    Ok(Some(Value::Array(out).to_string()))
                })
            },
        );
        Ok(call(
            &u,
            c.args.into_iter().map(to_dynamic).collect(),
            KqlType::Dynamic,
        ))
    });
}

fn sort_keys(v: Value) -> Value {
    match v {
        Value::Object(o) => {
            let mut items: Vec<(String, Value)> = o.into_iter().collect();
            items.sort_by(|x, y| x.0.cmp(&y.0));
            Value::Object(items.into_iter().map(|(k, v)| (k, sort_keys(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

fn arr_at(
    a: &[datafusion::arrow::array::ArrayRef],
    j: usize,
    i: usize,
) -> datafusion::error::Result<Option<Vec<Value>>> {
    Ok(match str_at(&a[j], i)?.and_then(dynamic::parse) {
        Some(Value::Array(v)) => Some(v),
        _ => None,
    })
}

/// `array_rotate_left/right(arr, n)` and `array_shift_left/right(arr, n [, fill])`.
fn rotate_shift(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 2, 3, c.span)?;
    let name = c.name.to_string();
    let u = udf(
        &format!("kql_{name}"),
        vec![DataType::Utf8, DataType::Int64, DataType::Utf8],
        DataType::Utf8,
        move |a, n| {
            strings(n, |i| {
                let Some(arr) = arr_at(a, 0, i)? else {
                    return Ok(None);
                };
                let len = arr.len() as i64;
                if len == 0 {
                    return Ok(Some("[]".into()));
                }
                let mut k = i64_at(&a[1], i)?.unwrap_or(0);
                let right = name.ends_with("right");
                if right {
                    k = -k;
                }
                let fill = str_at(&a[2], i)?
                    .and_then(dynamic::parse)
                    .unwrap_or(Value::Null);
                let out: Vec<Value> = if name.contains("rotate") {
                    (0..len)
                        .map(|j| arr[((j + k).rem_euclid(len)) as usize].clone())
                        .collect()
                } else {
                    (0..len)
                        .map(|j| {
                            let s = j + k;
                            if (0..len).contains(&s) {
                                arr[s as usize].clone()
                            } else {
                                fill.clone()
                            }
                        })
                        .collect()
                };
                Ok(Some(Value::Array(out).to_string()))
            })
        },
    );
    let fill = c
        .args
        .get(2)
        .cloned()
        .map(to_dynamic)
        .unwrap_or_else(|| TExpr::null(KqlType::Dynamic));
    let args = vec![
        to_dynamic(c.args[0].clone()),
        convert(c.args[1].clone(), KqlType::Long),
        fill,
    ];
    Ok(call(&u, args, KqlType::Dynamic))
}

pub fn register_arrays(r: &mut Registry) {
    for name in [
        "array_rotate_left",
        "array_rotate_right",
        "array_shift_left",
        "array_shift_right",
    ] {
        r.scalar(name, rotate_shift);
    }
    r.scalar("array_split", |c| {
        arity(c.name, &c.args, 2, 2, c.span)?;
        let u = crate::cached_udf!(udf(
            "kql_array_split",
            vec![DataType::Utf8; 2],
            DataType::Utf8,
            |a, n| {
                strings(n, |i| {
                    let Some(arr) = arr_at(a, 0, i)? else {
                        return Ok(None);
                    };
                    let len = arr.len() as i64;
                    let mut cuts: Vec<i64> = match str_at(&a[1], i)?.and_then(dynamic::parse) {
                        Some(Value::Array(v)) => v.iter().filter_map(Value::as_i64).collect(),
                        Some(v) => v.as_i64().into_iter().collect(),
                        None => vec![],
                    };
                    for c in cuts.iter_mut() {
                        if *c < 0 {
                            *c += len;
                        }
                        *c = (*c).clamp(0, len);
                    }
                    let mut out = Vec::new();
                    let mut start = 0;
                    for c in cuts.into_iter().chain(std::iter::once(len)) {
                        let c = c.max(start);
                        out.push(Value::Array(arr[start as usize..c as usize].to_vec()));
                        start = c;
                    }
                    Ok(Some(Value::Array(out).to_string()))
                })
            }
        ));
        Ok(call(
            &u,
            c.args.into_iter().map(to_dynamic).collect(),
            KqlType::Dynamic,
        ))
    });
    r.scalar("array_iff", |c| {
        arity(c.name, &c.args, 3, 3, c.span)?;
        let u = crate::cached_udf!(udf(
            "kql_array_iff",
            vec![DataType::Utf8; 3],
            DataType::Utf8,
            |a, n| {
                strings(n, |i| {
                    let Some(cond) = arr_at(a, 0, i)? else {
                        return Ok(None);
                    };
                    let pick = |j: usize, k: usize| -> datafusion::error::Result<Value> {
                        Ok(match str_at(&a[j], i)?.and_then(dynamic::parse) {
                            Some(Value::Array(v)) => v.get(k).cloned().unwrap_or(Value::Null),
                            Some(v) => v,
                            None => Value::Null,
                        })
                    };
                    let mut out = Vec::new();
                    for (k, cnd) in cond.iter().enumerate() {
                        let t = match cnd {
                            Value::Bool(b) => Some(*b),
                            Value::Number(x) => x.as_f64().map(|f| f != 0.0),
                            _ => None,
                        };
                        out.push(match t {
                            Some(true) => pick(1, k)?,
                            Some(false) => pick(2, k)?,
                            None => Value::Null,
                        });
                    }
                    Ok(Some(Value::Array(out).to_string()))
                })
            }
        ));
        Ok(call(
            &u,
            c.args.into_iter().map(to_dynamic).collect(),
            KqlType::Dynamic,
        ))
    });
    r.scalar("bag_has_key", |c| {
        arity(c.name, &c.args, 2, 2, c.span)?;
        let u = crate::cached_udf!(udf(
            "kql_bag_has_key",
            vec![DataType::Utf8; 2],
            DataType::Boolean,
            |a, n| {
                bools(n, |i| {
                    let Some(Value::Object(o)) = str_at(&a[0], i)?.and_then(dynamic::parse) else {
                        return Ok(None);
                    };
                    let Some(k) = str_at(&a[1], i)? else {
                        return Ok(None);
                    };
                    // A JSONPath-like key `$.a.b` walks nested bags.
                    let path: Vec<&str> = k.trim_start_matches("$.").split('.').collect();
                    let mut cur = Value::Object(o);
                    for p in path {
                        match cur {
                            Value::Object(mut m) => match m.remove(p) {
                                Some(v) => cur = v,
                                None => return Ok(Some(false)),
                            },
                            _ => return Ok(Some(false)),
                        }
                    }
                    Ok(Some(true))
                })
            }
        ));
        let args = vec![
            to_dynamic(c.args[0].clone()),
            super::conversion::to_string(c.args[1].clone()),
        ];
        Ok(call(&u, args, KqlType::Bool))
    });
}
