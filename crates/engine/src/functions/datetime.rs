//! Datetime family: bin/floor/bin_at (also numeric), ago, datetime_add, datetime_diff,
//! startof*/endof*, getyear, getmonth, dayofmonth, dayofweek, dayofyear, hourofday,
//! unixtime_*_todatetime, make_timespan.

use super::conversion::convert;
use super::kit::{arity, call, udf};
use super::rowwise::*;
use super::{Call, Registry};
use crate::bail;
use crate::error::Result;
use crate::texpr::TExpr;
use crate::types::{KqlType, TICKS_PER_DAY};
use crate::value::datetime::{from_naive, to_naive};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};
use datafusion::arrow::datatypes::DataType;

/// Ticks from 0001-01-01 to 1970-01-01: Kusto bins datetimes on the 0001 calendar.
const EPOCH0001: i128 = 621_355_968_000_000_000;

pub fn register(r: &mut Registry) {
    r.scalar("bin", bin);
    r.scalar("floor", bin);
    r.scalar("bin_at", bin_at);
    r.scalar("ago", |c| {
        arity(c.name, &c.args, 1, 1, c.span)?;
        let ts = convert(c.args[0].clone(), KqlType::TimeSpan);
        Ok(TExpr::new(
            datafusion::logical_expr::lit(c.ctx.now) - ts.expr,
            KqlType::DateTime,
        ))
    });
    r.scalar("now", |c| {
        let off = match c.args.first() {
            Some(a) => convert(a.clone(), KqlType::TimeSpan).expr,
            None => datafusion::logical_expr::lit(0i64),
        };
        Ok(TExpr::new(
            datafusion::logical_expr::lit(c.ctx.now) + off,
            KqlType::DateTime,
        ))
    });
    for (name, part) in [
        ("getyear", 0u8),
        ("getmonth", 1),
        ("monthofyear", 1),
        ("dayofmonth", 2),
        ("hourofday", 3),
        ("dayofyear", 4),
        ("week_of_year", 5),
        ("minuteofhour", 6),
    ] {
        let _ = part;
        r.scalar(name, part_fn);
    }
    r.scalar("dayofweek", |c| {
        arity(c.name, &c.args, 1, 1, c.span)?;
        let u = crate::cached_udf!(udf(
            "kql_dayofweek",
            vec![DataType::Int64],
            DataType::Int64,
            |a, n| {
                longs(n, |i| {
                    Ok(i64_at(&a[0], i)?
                        .and_then(to_naive)
                        .map(|d| d.weekday().num_days_from_sunday() as i64 * TICKS_PER_DAY))
                })
            }
        ));
        Ok(call(
            &u,
            vec![convert(c.args[0].clone(), KqlType::DateTime)],
            KqlType::TimeSpan,
        ))
    });
    for name in [
        "startofday",
        "startofweek",
        "startofmonth",
        "startofyear",
        "endofday",
        "endofweek",
        "endofmonth",
        "endofyear",
    ] {
        r.scalar(name, start_end);
    }
    r.scalar("datetime_add", datetime_add);
    r.scalar("datetime_diff", datetime_diff);
    r.scalar("unixtime_seconds_todatetime", |c| unix(c, 10_000_000.0));
    r.scalar("unixtime_milliseconds_todatetime", |c| unix(c, 10_000.0));
    r.scalar("unixtime_microseconds_todatetime", |c| unix(c, 10.0));
    r.scalar("unixtime_nanoseconds_todatetime", |c| unix(c, 0.01));
    r.scalar("make_timespan", |c| {
        arity(c.name, &c.args, 2, 5, c.span)?;
        let mut e = datafusion::logical_expr::lit(0.0f64);
        let mults = if c.args.len() == 2 {
            vec![36_000_000_000.0, 600_000_000.0]
        } else if c.args.len() == 3 {
            vec![36_000_000_000.0, 600_000_000.0, 10_000_000.0]
        } else {
            vec![
                864_000_000_000.0,
                36_000_000_000.0,
                600_000_000.0,
                10_000_000.0,
                1.0,
            ]
        };
        for (a, m) in c.args.iter().zip(mults) {
            e = e + convert(a.clone(), KqlType::Real).expr * datafusion::logical_expr::lit(m);
        }
        Ok(TExpr::new(
            datafusion::logical_expr::cast(e, DataType::Int64),
            KqlType::TimeSpan,
        ))
    });
}

fn unix(c: Call<'_>, per: f64) -> Result<TExpr> {
    arity(c.name, &c.args, 1, 1, c.span)?;
    let v = convert(c.args[0].clone(), KqlType::Real).expr * datafusion::logical_expr::lit(per);
    Ok(TExpr::new(
        datafusion::logical_expr::cast(v, DataType::Int64),
        KqlType::DateTime,
    ))
}

fn floor_div(v: i128, r: i128) -> i128 {
    v.div_euclid(r) * r
}

fn bin(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 2, 2, c.span)?;
    let (v, r) = (c.args[0].clone(), c.args[1].clone());
    bin_impl(v, r, None, c.span)
}

fn bin_at(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 3, 3, c.span)?;
    bin_impl(
        c.args[0].clone(),
        c.args[1].clone(),
        Some(c.args[2].clone()),
        c.span,
    )
}

fn bin_impl(v: TExpr, r: TExpr, at: Option<TExpr>, span: kql::ast::Span) -> Result<TExpr> {
    match v.ty {
        KqlType::DateTime | KqlType::TimeSpan => {
            let ty = v.ty;
            let r = convert(r, KqlType::TimeSpan);
            let at = at
                .map(|a| convert(a, ty))
                .unwrap_or_else(|| TExpr::null(KqlType::Long));
            let u = crate::cached_udf!(udf(
                "kql_bin_ticks",
                vec![
                    DataType::Int64,
                    DataType::Int64,
                    DataType::Int64,
                    DataType::Boolean
                ],
                DataType::Int64,
                |a, n| {
                    let is_dt = datafusion::common::cast::as_boolean_array(&a[3])?;
                    longs(n, |i| {
                        let (Some(x), Some(r)) = (i64_at(&a[0], i)?, i64_at(&a[1], i)?) else {
                            return Ok(None);
                        };
                        if r <= 0 {
                            return Ok(Some(x));
                        }
                        let base: i128 = match i64_at(&a[2], i)? {
                            Some(at) => at as i128,
                            None if is_dt.value(i) => -EPOCH0001,
                            None => 0,
                        };
                        Ok(i64::try_from(floor_div(x as i128 - base, r as i128) + base).ok())
                    })
                }
            ));
            Ok(call(
                &u,
                vec![
                    v,
                    r,
                    TExpr::new(at.expr, KqlType::Long),
                    TExpr::bool(ty == KqlType::DateTime),
                ],
                ty,
            ))
        }
        t if t.is_integer() && r.ty.is_integer() && at.is_none() => {
            let ty = v.ty;
            let u = crate::cached_udf!(udf(
                "kql_bin_long",
                vec![DataType::Int64, DataType::Int64],
                DataType::Int64,
                |a, n| {
                    longs(n, |i| {
                        let (Some(x), Some(r)) = (i64_at(&a[0], i)?, i64_at(&a[1], i)?) else {
                            return Ok(None);
                        };
                        if r <= 0 {
                            return Ok(None);
                        }
                        Ok(i64::try_from(floor_div(x as i128, r as i128)).ok())
                    })
                }
            ));
            let out = call(
                &u,
                vec![convert(v, KqlType::Long), convert(r, KqlType::Long)],
                KqlType::Long,
            );
            Ok(if ty == KqlType::Int {
                convert(out, KqlType::Int)
            } else {
                out
            })
        }
        t if t.is_numeric() || t == KqlType::Dynamic => {
            let at = at
                .map(|a| convert(a, KqlType::Real))
                .unwrap_or_else(|| TExpr::real(0.0));
            let u = crate::cached_udf!(udf(
                "kql_bin_real",
                vec![DataType::Float64; 3],
                DataType::Float64,
                |a, n| {
                    reals(n, |i| {
                        let (Some(x), Some(r)) = (f64_at(&a[0], i)?, f64_at(&a[1], i)?) else {
                            return Ok(None);
                        };
                        let at = f64_at(&a[2], i)?.unwrap_or(0.0);
                        if r <= 0.0 {
                            return Ok(None);
                        }
                        Ok(Some(((x - at) / r).floor() * r + at))
                    })
                }
            ));
            Ok(call(
                &u,
                vec![convert(v, KqlType::Real), convert(r, KqlType::Real), at],
                KqlType::Real,
            ))
        }
        other => bail!(span, "bin() is not defined for {other}"),
    }
}

fn part_fn(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 1, 1, c.span)?;
    let part: u8 = match c.name {
        "getyear" => 0,
        "getmonth" | "monthofyear" => 1,
        "dayofmonth" => 2,
        "hourofday" => 3,
        "dayofyear" => 4,
        "week_of_year" => 5,
        _ => 6,
    };
    let u = udf(
        &format!("kql_part_{part}"),
        vec![DataType::Int64],
        DataType::Int32,
        move |a, n| {
            let v = longs(n, |i| {
                Ok(i64_at(&a[0], i)?.and_then(to_naive).map(|d| match part {
                    0 => d.year() as i64,
                    1 => d.month() as i64,
                    2 => d.day() as i64,
                    3 => d.hour() as i64,
                    4 => d.ordinal() as i64,
                    5 => d.iso_week().week() as i64,
                    _ => d.minute() as i64,
                }))
            })?;
            datafusion::arrow::compute::cast(&v, &DataType::Int32).map_err(Into::into)
        },
    );
    Ok(call(
        &u,
        vec![convert(c.args[0].clone(), KqlType::DateTime)],
        KqlType::Int,
    ))
}

fn add_months(d: NaiveDateTime, months: i64) -> Option<NaiveDateTime> {
    let total = d.year() as i64 * 12 + d.month0() as i64 + months;
    let (y, m) = (total.div_euclid(12) as i32, total.rem_euclid(12) as u32 + 1);
    let last = (28..=31)
        .rev()
        .find(|day| NaiveDate::from_ymd_opt(y, m, *day).is_some())?;
    Some(NaiveDate::from_ymd_opt(y, m, d.day().min(last))?.and_time(d.time()))
}

fn start_end(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 1, 2, c.span)?;
    let name = c.name.to_string();
    let end = name.starts_with("end");
    let unit = name
        .trim_start_matches("startof")
        .trim_start_matches("endof")
        .to_string();
    let u = udf(
        &format!("kql_{name}"),
        vec![DataType::Int64, DataType::Int64],
        DataType::Int64,
        move |a, n| {
            longs(n, |i| {
                let Some(d) = i64_at(&a[0], i)?.and_then(to_naive) else {
                    return Ok(None);
                };
                let off = i64_at(&a[1], i)?.unwrap_or(0);
                let day = d.date().and_hms_opt(0, 0, 0);
                let start = match unit.as_str() {
                    "day" => day.map(|x| x + Duration::days(off)),
                    "week" => day.map(|x| {
                        x - Duration::days(d.weekday().num_days_from_sunday() as i64)
                            + Duration::weeks(off)
                    }),
                    "month" => NaiveDate::from_ymd_opt(d.year(), d.month(), 1)
                        .and_then(|x| x.and_hms_opt(0, 0, 0))
                        .and_then(|x| add_months(x, off)),
                    _ => NaiveDate::from_ymd_opt(d.year(), 1, 1)
                        .and_then(|x| x.and_hms_opt(0, 0, 0))
                        .and_then(|x| add_months(x, off * 12)),
                };
                let Some(start) = start else { return Ok(None) };
                if !end {
                    return Ok(from_naive(start));
                }
                let next = match unit.as_str() {
                    "day" => Some(start + Duration::days(1)),
                    "week" => Some(start + Duration::weeks(1)),
                    "month" => add_months(start, 1),
                    _ => add_months(start, 12),
                };
                Ok(next.and_then(from_naive).map(|t| t - 1))
            })
        },
    );
    let off = c
        .args
        .get(1)
        .map(|o| convert(o.clone(), KqlType::Long))
        .unwrap_or_else(|| TExpr::long(0));
    Ok(call(
        &u,
        vec![convert(c.args[0].clone(), KqlType::DateTime), off],
        KqlType::DateTime,
    ))
}

fn unit_of(part: &str) -> Option<(&'static str, i64)> {
    Some(match part.to_ascii_lowercase().as_str() {
        "year" => ("year", 0),
        "quarter" => ("month", 3),
        "month" => ("month", 1),
        "week" => ("tick", 7 * TICKS_PER_DAY),
        "day" => ("tick", TICKS_PER_DAY),
        "hour" => ("tick", 36_000_000_000),
        "minute" => ("tick", 600_000_000),
        "second" => ("tick", 10_000_000),
        "millisecond" => ("tick", 10_000),
        "microsecond" => ("tick", 10),
        "nanosecond" => ("tick", 0),
        _ => return None,
    })
}

fn datetime_add(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 3, 3, c.span)?;
    let Some(part) = c.args[0].as_str_literal().map(str::to_string) else {
        bail!(c.span, "datetime_add() needs a constant part name")
    };
    let Some((kind, mult)) = unit_of(&part) else {
        bail!(c.span, "unknown datetime part '{part}'")
    };
    let amount = convert(c.args[1].clone(), KqlType::Long);
    let dt = convert(c.args[2].clone(), KqlType::DateTime);
    if kind == "tick" {
        let m = if mult == 0 { 1 } else { mult };
        let e = dt.expr + amount.expr * datafusion::logical_expr::lit(m);
        let e = if mult == 0 { dt_div(e) } else { e };
        return Ok(TExpr::new(e, KqlType::DateTime));
    }
    let months_per = if part.eq_ignore_ascii_case("year") {
        12
    } else {
        mult
    };
    let u = udf(
        &format!("kql_datetime_add_m{months_per}"),
        vec![DataType::Int64, DataType::Int64],
        DataType::Int64,
        move |a, n| {
            longs(n, |i| {
                let (Some(k), Some(d)) = (i64_at(&a[0], i)?, i64_at(&a[1], i)?.and_then(to_naive))
                else {
                    return Ok(None);
                };
                Ok(add_months(d, k * months_per)
                    .and_then(from_naive)
                    .map(|t| t + i64_at(&a[1], i).ok().flatten().unwrap_or(0).rem_euclid(1)))
            })
        },
    );
    Ok(call(&u, vec![amount, dt], KqlType::DateTime))
}

fn dt_div(e: datafusion::logical_expr::Expr) -> datafusion::logical_expr::Expr {
    e
}

fn datetime_diff(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 3, 3, c.span)?;
    let Some(part) = c.args[0].as_str_literal().map(str::to_ascii_lowercase) else {
        bail!(c.span, "datetime_diff() needs a constant part name")
    };
    if unit_of(&part).is_none() {
        bail!(c.span, "unknown datetime part '{part}'")
    }
    let a1 = convert(c.args[1].clone(), KqlType::DateTime);
    let a2 = convert(c.args[2].clone(), KqlType::DateTime);
    let u = udf(
        &format!("kql_datetime_diff_{part}"),
        vec![DataType::Int64, DataType::Int64],
        DataType::Int64,
        move |a, n| {
            longs(n, |i| {
                let (Some(x), Some(y)) = (i64_at(&a[0], i)?, i64_at(&a[1], i)?) else {
                    return Ok(None);
                };
                let (Some(dx), Some(dy)) = (to_naive(x), to_naive(y)) else {
                    return Ok(None);
                };
                let months = |d: &NaiveDateTime| d.year() as i64 * 12 + d.month0() as i64;
                Ok(Some(match part.as_str() {
                    "year" => (dx.year() - dy.year()) as i64,
                    "quarter" => months(&dx).div_euclid(3) - months(&dy).div_euclid(3),
                    "month" => months(&dx) - months(&dy),
                    "week" => {
                        let sw = |t: i64, d: &NaiveDateTime| {
                            (t - (t.rem_euclid(TICKS_PER_DAY))
                                - d.weekday().num_days_from_sunday() as i64 * TICKS_PER_DAY)
                                / (7 * TICKS_PER_DAY)
                        };
                        sw(x, &dx) - sw(y, &dy)
                    }
                    "nanosecond" => (x - y) * 100,
                    other => {
                        let per = unit_of(other).map(|u| u.1).unwrap_or(1).max(1);
                        x.div_euclid(per) - y.div_euclid(per)
                    }
                }))
            })
        },
    );
    Ok(call(&u, vec![a1, a2], KqlType::Long))
}

/// Splits a format string into runs of one repeated character (`yyyy`, `-`, `MM`...).
fn format_runs(fmt: &str) -> Vec<(char, usize)> {
    let mut runs: Vec<(char, usize)> = Vec::new();
    for c in fmt.chars() {
        match runs.last_mut() {
            Some((p, n)) if *p == c => *n += 1,
            _ => runs.push((c, 1)),
        }
    }
    runs
}

/// Kusto's `format_datetime` specifiers: runs of d, f, F, h, H, m, M, s, t, y; anything else
/// is copied.
pub fn format_datetime_text(ticks: i64, fmt: &str) -> Option<String> {
    let d = to_naive(ticks)?;
    let frac = ticks.rem_euclid(10_000_000);
    let mut out = String::new();
    for (c, n) in format_runs(fmt) {
        let h12 = if d.hour() % 12 == 0 {
            12
        } else {
            d.hour() % 12
        };
        match c {
            'd' if n >= 3 => out.push_str(&if n == 3 {
                d.format("%a").to_string()
            } else {
                d.format("%A").to_string()
            }),
            'd' => out.push_str(&format!("{:0w$}", d.day(), w = n)),
            'M' if n >= 3 => out.push_str(&if n == 3 {
                d.format("%b").to_string()
            } else {
                d.format("%B").to_string()
            }),
            'M' => out.push_str(&format!("{:0w$}", d.month(), w = n)),
            'y' => match n {
                1 => out.push_str(&(d.year() % 100).to_string()),
                2 => out.push_str(&format!("{:02}", d.year() % 100)),
                _ => out.push_str(&format!("{:0w$}", d.year(), w = n)),
            },
            'h' => out.push_str(&format!("{:0w$}", h12, w = n.min(2))),
            'H' => out.push_str(&format!("{:0w$}", d.hour(), w = n.min(2))),
            'm' => out.push_str(&format!("{:0w$}", d.minute(), w = n.min(2))),
            's' => out.push_str(&format!("{:0w$}", d.second(), w = n.min(2))),
            'f' | 'F' => {
                let digits = format!("{frac:07}");
                let part = &digits[..n.min(7)];
                if c == 'F' {
                    out.push_str(part.trim_end_matches('0'));
                } else {
                    out.push_str(part);
                }
            }
            't' => {
                let ampm = if d.hour() < 12 { "AM" } else { "PM" };
                out.push_str(if n == 1 { &ampm[..1] } else { ampm });
            }
            _ => {
                for _ in 0..n {
                    out.push(c);
                }
            }
        }
    }
    Some(out)
}

pub fn register_more(r: &mut Registry) {
    r.scalar("format_datetime", |c| {
        arity(c.name, &c.args, 2, 2, c.span)?;
        check_format(&c, "dMyhHmsfFt")?;
        let u = crate::cached_udf!(udf(
            "kql_format_datetime",
            vec![DataType::Int64, DataType::Utf8],
            DataType::Utf8,
            |a, n| {
                strings(n, |i| {
                    let (Some(t), Some(f)) = (i64_at(&a[0], i)?, str_at(&a[1], i)?) else {
                        return Ok(Some(String::new()));
                    };
                    Ok(Some(format_datetime_text(t, f).unwrap_or_default()))
                })
            }
        ));
        let args = vec![
            convert(c.args[0].clone(), KqlType::DateTime),
            super::conversion::to_string(c.args[1].clone()),
        ];
        Ok(call(&u, args, KqlType::String))
    });
    r.scalar("make_datetime", |c| {
        arity(c.name, &c.args, 1, 7, c.span)?;
        let k = c.args.len();
        let u = udf(
            &format!("kql_make_datetime{k}"),
            vec![DataType::Float64; k],
            DataType::Int64,
            move |a, n| {
                longs(n, |i| {
                    let mut v = [1970.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0];
                    for (j, col) in a.iter().enumerate().take(k) {
                        match f64_at(col, i)? {
                            Some(x) => v[j] = x,
                            None => return Ok(None),
                        }
                    }
                    if k == 7 {
                        v[5] += v[6] / 1e7;
                    }
                    let date = NaiveDate::from_ymd_opt(v[0] as i32, v[1] as u32, v[2] as u32);
                    let secs = v[5].floor();
                    let nanos = ((v[5] - secs) * 1e9).round() as u32;
                    let dt = date.and_then(|d| {
                        d.and_hms_nano_opt(v[3] as u32, v[4] as u32, secs as u32, nanos)
                    });
                    Ok(dt.and_then(from_naive))
                })
            },
        );
        Ok(call(
            &u,
            c.args
                .into_iter()
                .map(|a| convert(a, KqlType::Real))
                .collect(),
            KqlType::DateTime,
        ))
    });
    r.scalar("datetime_part", |c| {
        arity(c.name, &c.args, 2, 2, c.span)?;
        let Some(part) = c.args[0].as_str_literal().map(str::to_ascii_lowercase) else {
            bail!(c.span, "datetime_part() needs a constant part name")
        };
        let u = udf(
            &format!("kql_datetime_part_{part}"),
            vec![DataType::Int64],
            DataType::Int64,
            move |a, n| {
                longs(n, |i| {
                    let Some(t) = i64_at(&a[0], i)? else {
                        return Ok(None);
                    };
                    let Some(d) = to_naive(t) else {
                        return Ok(None);
                    };
                    Ok(match part.as_str() {
                        "year" => Some(d.year() as i64),
                        "quarter" => Some(d.month0() as i64 / 3 + 1),
                        "month" => Some(d.month() as i64),
                        "week_of_year" | "weekofyear" => Some(d.iso_week().week() as i64),
                        "day" => Some(d.day() as i64),
                        "dayofyear" => Some(d.ordinal() as i64),
                        "hour" => Some(d.hour() as i64),
                        "minute" => Some(d.minute() as i64),
                        "second" => Some(d.second() as i64),
                        "millisecond" => Some(t.rem_euclid(10_000_000) / 10_000),
                        "microsecond" => Some(t.rem_euclid(10_000_000) / 10),
                        "nanosecond" => Some(t.rem_euclid(10_000_000) * 100),
                        _ => None,
                    })
                })
            },
        );
        Ok(call(
            &u,
            vec![convert(c.args[1].clone(), KqlType::DateTime)],
            KqlType::Long,
        ))
    });
}

/// `format_timespan` specifiers: d…, h/hh, H/HH, m/mm, s/ss, f…/F…; other characters copied.
pub fn format_timespan_text(ticks: i64, fmt: &str) -> String {
    let neg = ticks < 0;
    let t = ticks.unsigned_abs() as i64;
    let days = t / TICKS_PER_DAY;
    let rem = t % TICKS_PER_DAY;
    let (h, m, s, frac) = (
        rem / 36_000_000_000,
        rem / 600_000_000 % 60,
        rem / 10_000_000 % 60,
        rem % 10_000_000,
    );
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    for (c, n) in format_runs(fmt) {
        match c {
            'd' => out.push_str(&format!("{:0w$}", days, w = n)),
            'h' | 'H' => out.push_str(&format!("{:0w$}", h, w = n.min(2))),
            'm' => out.push_str(&format!("{:0w$}", m, w = n.min(2))),
            's' => out.push_str(&format!("{:0w$}", s, w = n.min(2))),
            'f' | 'F' => {
                let digits = format!("{frac:07}");
                let part = &digits[..n.min(7)];
                out.push_str(if c == 'F' {
                    part.trim_end_matches('0')
                } else {
                    part
                });
            }
            _ => (0..n).for_each(|_| out.push(c)),
        }
    }
    out
}

/// Checks a constant format string: specifier letters from `letters` and Kusto's delimiters.
fn check_format(c: &Call<'_>, letters: &str) -> Result<()> {
    if let Some(f) = c.args.get(1).and_then(|a| a.as_str_literal()) {
        for ch in f.chars() {
            if !(letters.contains(ch) || " /-:,._[]".contains(ch)) {
                bail!(
                    c.span,
                    "{}: unsupported format character '{ch}' (specifiers {letters}; delimiters space / - : , . _ [ ])",
                    c.name
                )
            }
        }
    }
    Ok(())
}

pub fn register_timespan(r: &mut Registry) {
    r.scalar("format_timespan", |c| {
        arity(c.name, &c.args, 2, 2, c.span)?;
        check_format(&c, "dhHmsfF")?;
        let u = crate::cached_udf!(udf(
            "kql_format_timespan",
            vec![DataType::Int64, DataType::Utf8],
            DataType::Utf8,
            |a, n| {
                strings(n, |i| {
                    let (Some(t), Some(f)) = (i64_at(&a[0], i)?, str_at(&a[1], i)?) else {
                        return Ok(Some(String::new()));
                    };
                    Ok(Some(format_timespan_text(t, f)))
                })
            }
        ));
        let args = vec![
            convert(c.args[0].clone(), KqlType::TimeSpan),
            super::conversion::to_string(c.args[1].clone()),
        ];
        Ok(call(&u, args, KqlType::String))
    });
}
