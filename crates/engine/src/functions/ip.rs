//! IP family: ipv4_is_private, ipv4_is_in_range, ipv4_is_in_any_range, ipv4_is_match,
//! ipv4_compare, parse_ipv4, format_ipv4, has_ipv4, has_ipv4_prefix, has_any_ipv4,
//! ipv6_compare, ipv6_is_match.

use super::Registry;
use super::conversion::{convert, to_string};
use super::kit::{arity, call, udf};
use super::rowwise::*;
use crate::texpr::TExpr;
use crate::types::KqlType;
use crate::value::dynamic::{self, Value};
use datafusion::arrow::datatypes::DataType;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `a.b.c.d` or `a.b.c.d/n` → (address, prefix length).
pub fn parse_v4(s: &str) -> Option<(u32, u32)> {
    let s = s.trim();
    let (addr, bits) = match s.split_once('/') {
        Some((a, b)) => (a, b.trim().parse::<u32>().ok().filter(|b| *b <= 32)?),
        None => (s, 32),
    };
    let ip: Ipv4Addr = addr.trim().parse().ok()?;
    Some((u32::from(ip), bits))
}

fn mask(bits: u32) -> u32 {
    if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    }
}

fn in_range(ip: &str, range: &str) -> Option<bool> {
    let (a, abits) = parse_v4(ip)?;
    let (r, rbits) = parse_v4(range)?;
    let _ = abits;
    Some(a & mask(rbits) == r & mask(rbits))
}

pub fn is_private(ip: &str) -> Option<bool> {
    let (a, _) = parse_v4(ip)?;
    let ranges = [("10.0.0.0", 8), ("172.16.0.0", 12), ("192.168.0.0", 16)];
    Some(ranges.iter().any(|(r, b)| {
        let r = u32::from(r.parse::<Ipv4Addr>().unwrap_or(Ipv4Addr::UNSPECIFIED));
        a & mask(*b) == r & mask(*b)
    }))
}

fn parse_v6(s: &str) -> Option<(u128, u32)> {
    let s = s.trim();
    let (addr, bits) = match s.split_once('/') {
        Some((a, b)) => (a, b.trim().parse::<u32>().ok().filter(|b| *b <= 128)?),
        None => (s, 128),
    };
    let ip: IpAddr = addr.trim().parse().ok()?;
    let v = match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    };
    let bits = if matches!(ip, IpAddr::V4(_)) && s.contains('/') {
        bits + 96
    } else {
        bits
    };
    Some((v, bits.min(128)))
}

fn mask6(bits: u32) -> u128 {
    if bits == 0 {
        0
    } else {
        u128::MAX << (128 - bits)
    }
}

/// An address as a left-aligned 128-bit value and its prefix length in that space.
fn parse_any(s: &str, v6: bool) -> Option<(u128, u32)> {
    if v6 {
        parse_v6(s)
    } else {
        parse_v4(s).map(|(v, b)| ((v as u128) << 96, b))
    }
}

/// `ipv4_compare`/`ipv4_is_match`/`ipv6_compare`/`ipv6_is_match`: compare two addresses on
/// the shortest of their prefixes and the optional prefix argument.
fn prefix_udf(
    name: &str,
    v6: bool,
    compare: bool,
) -> std::sync::Arc<datafusion::logical_expr::ScalarUDF> {
    let ret = if compare {
        DataType::Int64
    } else {
        DataType::Boolean
    };
    let full: i64 = if v6 { 128 } else { 32 };
    udf(
        &format!("kql_{name}"),
        vec![DataType::Utf8, DataType::Utf8, DataType::Int64],
        ret,
        move |a, n| {
            let ord = |i: usize| -> datafusion::error::Result<Option<std::cmp::Ordering>> {
                let (Some(x), Some(y)) = (
                    str_at(&a[0], i)?.and_then(|t| parse_any(t, v6)),
                    str_at(&a[1], i)?.and_then(|t| parse_any(t, v6)),
                ) else {
                    return Ok(None);
                };
                let arg = i64_at(&a[2], i)?.unwrap_or(full).clamp(0, full) as u32;
                let bits = x.1.min(y.1).min(arg);
                Ok(Some((x.0 & mask6(bits)).cmp(&(y.0 & mask6(bits)))))
            };
            if compare {
                longs(n, |i| Ok(ord(i)?.map(|o| o as i64)))
            } else {
                bools(n, |i| Ok(ord(i)?.map(|o| o == std::cmp::Ordering::Equal)))
            }
        },
    )
}

fn ipv4_tokens(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|t| !t.is_empty())
        .collect()
}

pub fn register(r: &mut Registry) {
    r.scalar("ipv4_is_private", |c| {
        arity(c.name, &c.args, 1, 1, c.span)?;
        let u = crate::cached_udf!(udf(
            "kql_ipv4_is_private",
            vec![DataType::Utf8],
            DataType::Boolean,
            |a, n| { bools(n, |i| Ok(str_at(&a[0], i)?.and_then(is_private))) }
        ));
        Ok(call(&u, vec![to_string(c.args[0].clone())], KqlType::Bool))
    });
    r.scalar("ipv4_is_in_range", |c| {
        arity(c.name, &c.args, 2, 2, c.span)?;
        let u = crate::cached_udf!(udf(
            "kql_ipv4_is_in_range",
            vec![DataType::Utf8; 2],
            DataType::Boolean,
            |a, n| {
                bools(n, |i| {
                    Ok(str_at(&a[0], i)?
                        .zip(str_at(&a[1], i)?)
                        .and_then(|(ip, r)| in_range(ip, r)))
                })
            }
        ));
        Ok(call(
            &u,
            c.args.into_iter().map(to_string).collect(),
            KqlType::Bool,
        ))
    });
    r.scalar("ipv4_is_in_any_range", |c| {
        arity(c.name, &c.args, 2, 64, c.span)?;
        let k = c.args.len();
        let u = udf(
            &format!("kql_ipv4_is_in_any_range{k}"),
            vec![DataType::Utf8; k],
            DataType::Boolean,
            move |a, n| {
                bools(n, |i| {
                    let Some(ip) = str_at(&a[0], i)? else {
                        return Ok(None);
                    };
                    if parse_v4(ip).is_none() {
                        return Ok(None);
                    }
                    let mut ranges = Vec::new();
                    for col in &a[1..] {
                        if let Some(t) = str_at(col, i)? {
                            match dynamic::parse(t) {
                                Some(Value::Array(v)) => {
                                    ranges.extend(v.iter().map(dynamic::to_kql_string))
                                }
                                Some(Value::String(s)) => ranges.push(s),
                                _ => ranges.push(t.to_string()),
                            }
                        }
                    }
                    Ok(Some(ranges.iter().any(|r| in_range(ip, r) == Some(true))))
                })
            },
        );
        let args = c
            .args
            .into_iter()
            .enumerate()
            .map(|(i, a)| {
                if i == 0 {
                    to_string(a)
                } else {
                    super::conversion::to_dynamic(a)
                }
            })
            .collect();
        Ok(call(&u, args, KqlType::Bool))
    });
    r.scalar("parse_ipv4", |c| {
        arity(c.name, &c.args, 1, 1, c.span)?;
        let u = crate::cached_udf!(udf(
            "kql_parse_ipv4",
            vec![DataType::Utf8],
            DataType::Int64,
            |a, n| {
                longs(n, |i| {
                    Ok(str_at(&a[0], i)?
                        .and_then(parse_v4)
                        .map(|(v, b)| (v & mask(b)) as i64))
                })
            }
        ));
        Ok(call(&u, vec![to_string(c.args[0].clone())], KqlType::Long))
    });
    for name in ["format_ipv4", "format_ipv4_mask"] {
        r.scalar(name, |c| {
            arity(c.name, &c.args, 1, 2, c.span)?;
            let with_mask = c.name == "format_ipv4_mask";
            let ip = match c.args[0].ty {
                KqlType::String => c.args[0].clone(),
                _ => convert(c.args[0].clone(), KqlType::Long),
            };
            let ip = super::conversion::to_string(ip);
            let bits = c
                .args
                .get(1)
                .map(|m| convert(m.clone(), KqlType::Long))
                .unwrap_or_else(|| TExpr::long(32));
            let u = udf(
                &format!("kql_{}", c.name),
                vec![DataType::Utf8, DataType::Int64],
                DataType::Utf8,
                move |a, n| {
                    strings(n, |i| {
                        let Some(text) = str_at(&a[0], i)? else {
                            return Ok(Some(String::new()));
                        };
                        // A number is the address itself; text may carry its own prefix.
                        let parsed = match text.trim().parse::<i64>() {
                            Ok(v) if (0..=u32::MAX as i64).contains(&v) => Some((v as u32, 32)),
                            Ok(_) => None,
                            Err(_) => parse_v4(text),
                        };
                        let m = i64_at(&a[1], i)?.unwrap_or(32);
                        let (Some((v, own)), true) = (parsed, (0..=32).contains(&m)) else {
                            return Ok(Some(String::new()));
                        };
                        let b = own.min(m as u32);
                        let net = Ipv4Addr::from(v & mask(b));
                        Ok(Some(if with_mask {
                            format!("{net}/{b}")
                        } else {
                            net.to_string()
                        }))
                    })
                },
            );
            Ok(call(&u, vec![ip, bits], KqlType::String))
        });
    }
    for name in ["has_any_ipv4", "has_any_ipv4_prefix"] {
        r.scalar(name, |c| {
            arity(c.name, &c.args, 2, 64, c.span)?;
            let prefix = c.name.ends_with("prefix");
            Ok(super::kit::json_call(c, KqlType::Bool, move |a| {
                let text = dynamic::to_kql_string(a.first()?);
                let mut wanted: Vec<String> = Vec::new();
                for v in &a[1..] {
                    match v {
                        Value::Array(items) => {
                            wanted.extend(items.iter().map(dynamic::to_kql_string))
                        }
                        other => wanted.push(dynamic::to_kql_string(other)),
                    }
                }
                let toks = ipv4_tokens(&text);
                Some(Value::Bool(toks.iter().any(|t| {
                    parse_v4(t).is_some()
                        && wanted.iter().any(|w| {
                            if prefix {
                                (w.ends_with('.') && t.starts_with(w.as_str())) || t == w
                            } else {
                                t == w
                            }
                        })
                })))
            }))
        });
    }
    for name in ["ipv6_is_in_range", "ipv6_is_in_any_range"] {
        r.scalar(name, |c| {
            arity(c.name, &c.args, 2, 64, c.span)?;
            Ok(super::kit::json_call(c, KqlType::Bool, move |a| {
                let ip = dynamic::to_kql_string(a.first()?);
                let (v, _) = parse_v6(&ip)?;
                let mut ranges: Vec<String> = Vec::new();
                for r in &a[1..] {
                    match r {
                        Value::Array(items) => {
                            ranges.extend(items.iter().map(dynamic::to_kql_string))
                        }
                        other => ranges.push(dynamic::to_kql_string(other)),
                    }
                }
                Some(Value::Bool(ranges.iter().any(|r| {
                    parse_v6(r).is_some_and(|(rv, bits)| v & mask6(bits) == rv & mask6(bits))
                })))
            }))
        });
    }
    for name in ["has_ipv4", "has_ipv4_prefix"] {
        r.scalar(name, |c| {
            arity(c.name, &c.args, 2, 2, c.span)?;
            let prefix = c.name == "has_ipv4_prefix";
            let u = udf(
                &format!("kql_{}", c.name),
                vec![DataType::Utf8; 2],
                DataType::Boolean,
                move |a, n| {
                    bools(n, |i| {
                        let (Some(s), Some(ip)) = (str_at(&a[0], i)?, str_at(&a[1], i)?) else {
                            return Ok(None);
                        };
                        Ok(Some(ipv4_tokens(s).iter().any(|t| {
                            if prefix {
                                parse_v4(t).is_some()
                                    && ((ip.ends_with('.') && t.starts_with(ip)) || *t == ip)
                            } else {
                                *t == ip && parse_v4(t).is_some()
                            }
                        })))
                    })
                },
            );
            Ok(call(
                &u,
                c.args.into_iter().map(to_string).collect(),
                KqlType::Bool,
            ))
        });
    }
    for (name, v6, compare) in [
        ("ipv4_compare", false, true),
        ("ipv4_is_match", false, false),
        ("ipv6_compare", true, true),
        ("ipv6_is_match", true, false),
    ] {
        let _ = (v6, compare);
        r.scalar(name, |c| {
            arity(c.name, &c.args, 2, 3, c.span)?;
            let v6 = c.name.starts_with("ipv6");
            let compare = c.name.ends_with("compare");
            let full = if v6 { 128 } else { 32 };
            let p = c
                .args
                .get(2)
                .map(|p| convert(p.clone(), KqlType::Long))
                .unwrap_or_else(|| TExpr::long(full));
            let u = prefix_udf(c.name, v6, compare);
            let ty = if compare {
                KqlType::Long
            } else {
                KqlType::Bool
            };
            Ok(call(
                &u,
                vec![
                    to_string(c.args[0].clone()),
                    to_string(c.args[1].clone()),
                    p,
                ],
                ty,
            ))
        });
    }
    let _ = Ipv6Addr::UNSPECIFIED;
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn ranges() {
        assert_eq!(in_range("10.1.2.3", "10.0.0.0/8"), Some(true));
        assert_eq!(in_range("11.1.2.3", "10.0.0.0/8"), Some(false));
        assert_eq!(is_private("192.168.1.1"), Some(true));
        assert_eq!(is_private("8.8.8.8"), Some(false));
        assert_eq!(is_private("not an ip"), None);
    }
}
