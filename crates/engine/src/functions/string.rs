//! String family: strlen, strcat, strcat_delim, strcat_array, tolower, toupper, substring,
//! indexof, split, replace_string, replace_regex, extract, extract_all, trim*, reverse, countof,
//! strrep, strcmp, string_size.

use super::conversion::{convert, to_string};
use super::kit::{arity, call, udf};
use super::rowwise::*;
use super::{Call, Registry};
use crate::error::Result;
use crate::texpr::TExpr;
use crate::types::KqlType;
use crate::value::dynamic::Value;
use datafusion::arrow::datatypes::DataType;

pub fn register(r: &mut Registry) {
    r.scalar("strlen", |c| unary_long(c, |s| s.chars().count() as i64));
    r.scalar("string_size", |c| unary_long(c, |s| s.len() as i64));
    r.scalar("tolower", |c| unary_str(c, |s| s.to_lowercase()));
    r.scalar("toupper", |c| unary_str(c, |s| s.to_uppercase()));
    r.scalar("reverse", |c| unary_str(c, |s| s.chars().rev().collect()));
    r.scalar("trim_start", |c| trim(c, true, false));
    r.scalar("trim_end", |c| trim(c, false, true));
    r.scalar("trim", |c| trim(c, true, true));
    r.scalar("strcat", strcat);
    r.scalar("strcat_delim", strcat_delim);
    r.scalar("strcat_array", strcat_array);
    r.scalar("substring", substring);
    r.scalar("indexof", indexof);
    r.scalar("split", split);
    r.scalar("replace_string", replace_string);
    r.scalar("replace", replace_regex);
    r.scalar("replace_regex", replace_regex);
    r.scalar("extract", extract);
    r.scalar("extract_all", extract_all);
    r.scalar("countof", countof);
    r.scalar("strrep", strrep);
    r.scalar("strcmp", strcmp);
}

fn strs(args: Vec<TExpr>) -> Vec<TExpr> {
    args.into_iter().map(to_string).collect()
}

fn unary_str(c: Call<'_>, f: fn(&str) -> String) -> Result<TExpr> {
    arity(c.name, &c.args, 1, 1, c.span)?;
    let u = udf(
        &format!("kql_{}", c.name),
        vec![DataType::Utf8],
        DataType::Utf8,
        move |a, n| {
            strings(n, |i| {
                Ok(Some(str_at(&a[0], i)?.map(f).unwrap_or_default()))
            })
        },
    );
    Ok(call(&u, strs(c.args), KqlType::String))
}

fn unary_long(c: Call<'_>, f: fn(&str) -> i64) -> Result<TExpr> {
    arity(c.name, &c.args, 1, 1, c.span)?;
    let u = udf(
        &format!("kql_{}", c.name),
        vec![DataType::Utf8],
        DataType::Int64,
        move |a, n| longs(n, |i| Ok(Some(f(str_at(&a[0], i)?.unwrap_or(""))))),
    );
    Ok(call(&u, strs(c.args), KqlType::Long))
}

fn trim(c: Call<'_>, start: bool, end: bool) -> Result<TExpr> {
    arity(c.name, &c.args, 2, 2, c.span)?;
    let u = udf(
        &format!("kql_{}", c.name),
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Utf8,
        move |a, n| {
            let mut cache: Option<(String, regex::Regex, regex::Regex)> = None;
            strings(n, |i| {
                let (Some(re), Some(s)) = (str_at(&a[0], i)?, str_at(&a[1], i)?) else {
                    return Ok(Some(String::new()));
                };
                if cache.as_ref().is_none_or(|(k, _, _)| k != re) {
                    let st = regex::Regex::new(&format!("^(?:{re})+"))
                        .map_err(|e| super::kit::exec_err(e.to_string()))?;
                    let en = regex::Regex::new(&format!("(?:{re})+$"))
                        .map_err(|e| super::kit::exec_err(e.to_string()))?;
                    cache = Some((re.to_string(), st, en));
                }
                let Some((_, st, en)) = cache.as_ref() else {
                    return Ok(None);
                };
                let mut out = s.to_string();
                if start {
                    out = st.replace(&out, "").to_string();
                }
                if end {
                    out = en.replace(&out, "").to_string();
                }
                Ok(Some(out))
            })
        },
    );
    Ok(call(&u, strs(c.args), KqlType::String))
}

fn concat(c: &Call<'_>, args: Vec<TExpr>, delim: Option<TExpr>) -> TExpr {
    let mut all = Vec::new();
    let has_delim = delim.is_some();
    if let Some(d) = delim {
        all.push(to_string(d));
    }
    all.extend(strs(args));
    let k = all.len();
    let u = udf(
        &format!("kql_{}_{k}", c.name),
        vec![DataType::Utf8; k],
        DataType::Utf8,
        move |a, n| {
            strings(n, |i| {
                let mut out = String::new();
                let (d, parts) = if has_delim {
                    (str_at(&a[0], i)?.unwrap_or(""), &a[1..])
                } else {
                    ("", a)
                };
                for (j, p) in parts.iter().enumerate() {
                    if j > 0 {
                        out.push_str(d);
                    }
                    out.push_str(str_at(p, i)?.unwrap_or(""));
                }
                Ok(Some(out))
            })
        },
    );
    call(&u, all, KqlType::String)
}

fn strcat(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 1, 64, c.span)?;
    let args = c.args.clone();
    Ok(concat(&c, args, None))
}

fn strcat_delim(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 2, 65, c.span)?;
    let mut args = c.args.clone();
    let d = args.remove(0);
    Ok(concat(&c, args, Some(d)))
}

fn strcat_array(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 2, 2, c.span)?;
    let u = crate::cached_udf!(udf(
        "kql_strcat_array",
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Utf8,
        |a, n| {
            strings(n, |i| {
                let d = str_at(&a[1], i)?.unwrap_or("");
                let items = match str_at(&a[0], i)?.and_then(crate::value::dynamic::parse) {
                    Some(Value::Array(v)) => v
                        .iter()
                        .map(crate::value::dynamic::to_kql_string)
                        .collect::<Vec<_>>(),
                    _ => vec![],
                };
                Ok(Some(items.join(d)))
            })
        }
    ));
    let mut it = c.args.into_iter();
    let (Some(arr), Some(d)) = (it.next(), it.next()) else {
        unreachable!()
    };
    Ok(call(
        &u,
        vec![super::conversion::to_dynamic(arr), to_string(d)],
        KqlType::String,
    ))
}

fn substring(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 2, 3, c.span)?;
    let mut args = c.args.into_iter();
    let s = to_string(args.next().unwrap_or_else(|| TExpr::string("")));
    let start = convert(args.next().unwrap_or_else(|| TExpr::long(0)), KqlType::Long);
    let len = args
        .next()
        .map(|l| convert(l, KqlType::Long))
        .unwrap_or_else(|| TExpr::null(KqlType::Long));
    let u = crate::cached_udf!(udf(
        "kql_substring",
        vec![DataType::Utf8, DataType::Int64, DataType::Int64],
        DataType::Utf8,
        |a, n| {
            strings(n, |i| {
                let s = str_at(&a[0], i)?.unwrap_or("");
                let chars: Vec<char> = s.chars().collect();
                let total = chars.len() as i64;
                let Some(mut st) = i64_at(&a[1], i)? else {
                    return Ok(Some(String::new()));
                };
                if st < 0 {
                    st = (total + st).max(0);
                }
                let st = st.min(total);
                let end = match i64_at(&a[2], i)? {
                    Some(l) if l < 0 => return Ok(Some(String::new())),
                    Some(l) => (st + l).min(total),
                    None => total,
                };
                Ok(Some(chars[st as usize..end as usize].iter().collect()))
            })
        }
    ));
    Ok(call(&u, vec![s, start, len], KqlType::String))
}

fn indexof(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 2, 2, c.span)?;
    let u = crate::cached_udf!(udf(
        "kql_indexof",
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Int64,
        |a, n| {
            longs(n, |i| {
                let (s, l) = (
                    str_at(&a[0], i)?.unwrap_or(""),
                    str_at(&a[1], i)?.unwrap_or(""),
                );
                Ok(Some(match s.find(l) {
                    Some(b) => s[..b].chars().count() as i64,
                    None => -1,
                }))
            })
        }
    ));
    Ok(call(&u, strs(c.args), KqlType::Long))
}

fn split(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 2, 3, c.span)?;
    let mut args = c.args.into_iter();
    let s = to_string(args.next().unwrap_or_else(|| TExpr::string("")));
    let d = to_string(args.next().unwrap_or_else(|| TExpr::string("")));
    let idx = args
        .next()
        .map(|x| convert(x, KqlType::Long))
        .unwrap_or_else(|| TExpr::null(KqlType::Long));
    let u = crate::cached_udf!(udf(
        "kql_split",
        vec![DataType::Utf8, DataType::Utf8, DataType::Int64],
        DataType::Utf8,
        |a, n| {
            strings(n, |i| {
                let s = str_at(&a[0], i)?.unwrap_or("");
                let d = str_at(&a[1], i)?.unwrap_or("");
                let parts: Vec<Value> = if d.is_empty() {
                    vec![Value::String(s.to_string())]
                } else {
                    s.split(d).map(|p| Value::String(p.to_string())).collect()
                };
                Ok(Some(match i64_at(&a[2], i)? {
                    Some(k) => match parts.get(k.max(0) as usize) {
                        Some(p) if k >= 0 => Value::Array(vec![p.clone()]).to_string(),
                        _ => "[]".into(),
                    },
                    None => Value::Array(parts).to_string(),
                }))
            })
        }
    ));
    Ok(call(&u, vec![s, d, idx], KqlType::Dynamic))
}

fn replace_string(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 3, 3, c.span)?;
    let u = crate::cached_udf!(udf(
        "kql_replace_string",
        vec![DataType::Utf8; 3],
        DataType::Utf8,
        |a, n| {
            strings(n, |i| {
                let (s, l, r) = (
                    str_at(&a[0], i)?.unwrap_or(""),
                    str_at(&a[1], i)?.unwrap_or(""),
                    str_at(&a[2], i)?.unwrap_or(""),
                );
                Ok(Some(if l.is_empty() {
                    s.to_string()
                } else {
                    s.replace(l, r)
                }))
            })
        }
    ));
    Ok(call(&u, strs(c.args), KqlType::String))
}

fn compile(
    cache: &mut Option<(String, regex::Regex)>,
    p: &str,
) -> datafusion::error::Result<regex::Regex> {
    if let Some((k, re)) = cache.as_ref()
        && k == p
    {
        return Ok(re.clone());
    }
    let re = regex::Regex::new(p)
        .map_err(|e| super::kit::exec_err(format!("invalid regular expression '{p}': {e}")))?;
    *cache = Some((p.to_string(), re.clone()));
    Ok(re)
}

fn replace_regex(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 3, 3, c.span)?;
    // Kusto's replacement text uses \1 for groups; the regex crate uses ${1}.
    let u = crate::cached_udf!(udf(
        "kql_replace_regex",
        vec![DataType::Utf8; 3],
        DataType::Utf8,
        |a, n| {
            let mut cache = None;
            strings(n, |i| {
                let (s, p, r) = (
                    str_at(&a[0], i)?.unwrap_or(""),
                    str_at(&a[1], i)?.unwrap_or(""),
                    str_at(&a[2], i)?.unwrap_or(""),
                );
                let re = compile(&mut cache, p)?;
                let rep = regex::Regex::new(r"\\(\d)")
                    .map(|g| g.replace_all(r, "$${$1}").to_string())
                    .unwrap_or_default();
                Ok(Some(re.replace_all(s, rep.as_str()).to_string()))
            })
        }
    ));
    Ok(call(&u, strs(c.args), KqlType::String))
}

fn extract(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 3, 4, c.span)?;
    let mut args = c.args.into_iter();
    let p = to_string(args.next().unwrap_or_else(|| TExpr::string("")));
    let g = convert(args.next().unwrap_or_else(|| TExpr::long(0)), KqlType::Long);
    let s = to_string(args.next().unwrap_or_else(|| TExpr::string("")));
    let u = crate::cached_udf!(udf(
        "kql_extract",
        vec![DataType::Utf8, DataType::Int64, DataType::Utf8],
        DataType::Utf8,
        |a, n| {
            let mut cache = None;
            strings(n, |i| {
                let (p, s) = (
                    str_at(&a[0], i)?.unwrap_or(""),
                    str_at(&a[2], i)?.unwrap_or(""),
                );
                let g = i64_at(&a[1], i)?.unwrap_or(0).max(0) as usize;
                let re = compile(&mut cache, p)?;
                Ok(Some(
                    re.captures(s)
                        .and_then(|c| c.get(g))
                        .map(|m| m.as_str().to_string())
                        .unwrap_or_default(),
                ))
            })
        }
    ));
    let out = call(&u, vec![p, g, s], KqlType::String);
    Ok(
        match args
            .next()
            .and_then(|t| t.as_str_literal().and_then(KqlType::from_name))
        {
            Some(t) if t != KqlType::String => convert(out, t),
            _ => out,
        },
    )
}

fn extract_all(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 2, 3, c.span)?;
    let (p, s) = if c.args.len() == 3 {
        (c.args[0].clone(), c.args[2].clone())
    } else {
        (c.args[0].clone(), c.args[1].clone())
    };
    let u = crate::cached_udf!(udf(
        "kql_extract_all",
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Utf8,
        |a, n| {
            let mut cache = None;
            strings(n, |i| {
                let (p, s) = (
                    str_at(&a[0], i)?.unwrap_or(""),
                    str_at(&a[1], i)?.unwrap_or(""),
                );
                let re = compile(&mut cache, p)?;
                let groups = re.captures_len();
                let mut out = Vec::new();
                for cap in re.captures_iter(s) {
                    if groups <= 2 {
                        let m = cap
                            .get(if groups == 2 { 1 } else { 0 })
                            .map(|m| m.as_str())
                            .unwrap_or("");
                        out.push(Value::String(m.to_string()));
                    } else {
                        out.push(Value::Array(
                            (1..groups)
                                .map(|g| {
                                    Value::String(
                                        cap.get(g).map(|m| m.as_str()).unwrap_or("").to_string(),
                                    )
                                })
                                .collect(),
                        ));
                    }
                }
                Ok(if out.is_empty() {
                    None
                } else {
                    Some(Value::Array(out).to_string())
                })
            })
        }
    ));
    Ok(call(&u, vec![to_string(p), to_string(s)], KqlType::Dynamic))
}

fn countof(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 2, 3, c.span)?;
    let regex_kind = c
        .args
        .get(2)
        .and_then(|k| k.as_str_literal())
        .is_some_and(|k| k == "regex");
    let args = vec![to_string(c.args[0].clone()), to_string(c.args[1].clone())];
    let u = if regex_kind {
        crate::cached_udf!(udf(
            "kql_countof_regex",
            vec![DataType::Utf8; 2],
            DataType::Int64,
            |a, n| {
                let mut cache = None;
                longs(n, |i| {
                    let re = compile(&mut cache, str_at(&a[1], i)?.unwrap_or(""))?;
                    Ok(Some(
                        re.find_iter(str_at(&a[0], i)?.unwrap_or("")).count() as i64
                    ))
                })
            }
        ))
    } else {
        crate::cached_udf!(udf(
            "kql_countof",
            vec![DataType::Utf8; 2],
            DataType::Int64,
            |a, n| {
                longs(n, |i| {
                    let (s, l) = (
                        str_at(&a[0], i)?.unwrap_or(""),
                        str_at(&a[1], i)?.unwrap_or(""),
                    );
                    if l.is_empty() {
                        return Ok(Some(0));
                    }
                    // Overlapping occurrences, as Kusto counts them.
                    let mut count = 0;
                    let mut from = 0;
                    while let Some(p) = s[from..].find(l) {
                        count += 1;
                        from += p + s[from + p..].chars().next().map_or(1, |ch| ch.len_utf8());
                    }
                    Ok(Some(count))
                })
            }
        ))
    };
    Ok(call(&u, args, KqlType::Long))
}

fn strrep(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 2, 3, c.span)?;
    let s = to_string(c.args[0].clone());
    let k = convert(c.args[1].clone(), KqlType::Long);
    let d = c
        .args
        .get(2)
        .cloned()
        .map(to_string)
        .unwrap_or_else(|| TExpr::string(""));
    let u = crate::cached_udf!(udf(
        "kql_strrep",
        vec![DataType::Utf8, DataType::Int64, DataType::Utf8],
        DataType::Utf8,
        |a, n| {
            strings(n, |i| {
                let s = str_at(&a[0], i)?.unwrap_or("");
                let k = i64_at(&a[1], i)?.unwrap_or(0).clamp(0, 1024) as usize;
                Ok(Some(vec![s; k].join(str_at(&a[2], i)?.unwrap_or(""))))
            })
        }
    ));
    Ok(call(&u, vec![s, k, d], KqlType::String))
}

fn strcmp(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 2, 2, c.span)?;
    let u = crate::cached_udf!(udf(
        "kql_strcmp",
        vec![DataType::Utf8; 2],
        DataType::Int64,
        |a, n| {
            longs(n, |i| {
                let (x, y) = (
                    str_at(&a[0], i)?.unwrap_or(""),
                    str_at(&a[1], i)?.unwrap_or(""),
                );
                Ok(Some(match x.cmp(y) {
                    std::cmp::Ordering::Less => -1,
                    std::cmp::Ordering::Equal => 0,
                    std::cmp::Ordering::Greater => 1,
                }))
            })
        }
    ));
    Ok(call(&u, strs(c.args), KqlType::Long))
}
