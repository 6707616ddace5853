//! Math family: abs, round, ceiling, sqrt, pow, log*, exp*, sign, pi, isnan, isinf, isfinite,
//! trigonometry, max_of, min_of.

use super::conversion::convert;
use super::kit::{arity, call, udf};
use super::rowwise::*;
use super::{Call, Registry};
use crate::error::Result;
use crate::plan::expr::unify_branches;
use crate::texpr::TExpr;
use crate::types::KqlType;
use datafusion::arrow::datatypes::DataType;

pub fn register(r: &mut Registry) {
    for name in [
        "sqrt", "log", "log10", "log2", "exp", "exp2", "exp10", "sin", "cos", "tan", "asin",
        "acos", "atan", "ceiling", "degrees", "radians", "cot",
    ] {
        r.scalar(name, real_fn);
    }
    r.scalar("abs", |c| {
        arity(c.name, &c.args, 1, 1, c.span)?;
        let a = c.args[0].clone();
        let ty = if a.ty.is_numeric() || a.ty == KqlType::TimeSpan {
            a.ty
        } else {
            KqlType::Real
        };
        let a = convert(
            a,
            if ty == KqlType::TimeSpan {
                KqlType::TimeSpan
            } else {
                ty
            },
        );
        Ok(TExpr::new(datafusion::functions::expr_fn::abs(a.expr), ty))
    });
    r.scalar("sign", |c| {
        arity(c.name, &c.args, 1, 1, c.span)?;
        let a = convert(c.args[0].clone(), KqlType::Real);
        let u = crate::cached_udf!(udf(
            "kql_sign",
            vec![DataType::Float64],
            DataType::Float64,
            |a, n| {
                reals(n, |i| {
                    Ok(f64_at(&a[0], i)?.map(|x| {
                        if x > 0.0 {
                            1.0
                        } else if x < 0.0 {
                            -1.0
                        } else {
                            0.0
                        }
                    }))
                })
            }
        ));
        Ok(call(&u, vec![a], KqlType::Real))
    });
    r.scalar("pi", |_| Ok(TExpr::real(std::f64::consts::PI)));
    r.scalar("round", |c| {
        arity(c.name, &c.args, 1, 2, c.span)?;
        let a = convert(c.args[0].clone(), KqlType::Real);
        let p = c
            .args
            .get(1)
            .map(|p| convert(p.clone(), KqlType::Long))
            .unwrap_or_else(|| TExpr::long(0));
        let u = crate::cached_udf!(udf(
            "kql_round",
            vec![DataType::Float64, DataType::Int64],
            DataType::Float64,
            |a, n| {
                reals(n, |i| {
                    let (Some(x), p) = (f64_at(&a[0], i)?, i64_at(&a[1], i)?.unwrap_or(0)) else {
                        return Ok(None);
                    };
                    let m = 10f64.powi(p.clamp(-300, 300) as i32);
                    Ok(Some((x * m).round() / m))
                })
            }
        ));
        Ok(call(&u, vec![a, p], KqlType::Real))
    });
    r.scalar("pow", |c| {
        arity(c.name, &c.args, 2, 2, c.span)?;
        let u = crate::cached_udf!(udf(
            "kql_pow",
            vec![DataType::Float64; 2],
            DataType::Float64,
            |a, n| {
                reals(n, |i| {
                    Ok(f64_at(&a[0], i)?
                        .zip(f64_at(&a[1], i)?)
                        .map(|(x, y)| x.powf(y)))
                })
            }
        ));
        Ok(call(
            &u,
            c.args
                .into_iter()
                .map(|x| convert(x, KqlType::Real))
                .collect(),
            KqlType::Real,
        ))
    });
    for name in ["isnan", "isinf", "isfinite"] {
        r.scalar(name, |c| {
            arity(c.name, &c.args, 1, 1, c.span)?;
            let which = c.name.to_string();
            let u = udf(
                &format!("kql_{which}"),
                vec![DataType::Float64],
                DataType::Boolean,
                move |a, n| {
                    bools(n, |i| {
                        Ok(f64_at(&a[0], i)?.map(|x| match which.as_str() {
                            "isnan" => x.is_nan(),
                            "isinf" => x.is_infinite(),
                            _ => x.is_finite(),
                        }))
                    })
                },
            );
            Ok(call(
                &u,
                vec![convert(c.args[0].clone(), KqlType::Real)],
                KqlType::Bool,
            ))
        });
    }
    r.scalar("max_of", |c| extreme(c, true));
    r.scalar("min_of", |c| extreme(c, false));
}

fn real_fn(c: Call<'_>) -> Result<TExpr> {
    arity(c.name, &c.args, 1, 1, c.span)?;
    let name = c.name.to_string();
    let f: fn(f64) -> f64 = match name.as_str() {
        "sqrt" => f64::sqrt,
        "log" => f64::ln,
        "log10" => f64::log10,
        "log2" => f64::log2,
        "exp" => f64::exp,
        "exp2" => f64::exp2,
        "exp10" => |x| 10f64.powf(x),
        "sin" => f64::sin,
        "cos" => f64::cos,
        "tan" => f64::tan,
        "asin" => f64::asin,
        "acos" => f64::acos,
        "atan" => f64::atan,
        "ceiling" => f64::ceil,
        "degrees" => f64::to_degrees,
        "radians" => f64::to_radians,
        _ => |x: f64| 1.0 / x.tan(),
    };
    let u = udf(
        &format!("kql_{name}"),
        vec![DataType::Float64],
        DataType::Float64,
        move |a, n| reals(n, |i| Ok(f64_at(&a[0], i)?.map(f))),
    );
    let arg = c.args[0].clone();
    let int_in = arg.ty.is_integer() && name == "ceiling";
    let out = call(&u, vec![convert(arg.clone(), KqlType::Real)], KqlType::Real);
    Ok(if int_in { convert(out, arg.ty) } else { out })
}

fn extreme(c: Call<'_>, max: bool) -> Result<TExpr> {
    arity(c.name, &c.args, 1, 64, c.span)?;
    let mut acc = c.args[0].clone();
    for a in &c.args[1..] {
        acc = unify_branches(acc, a.clone(), c.span)?.0;
    }
    let ty = acc.ty;
    let exprs: Vec<_> = c
        .args
        .into_iter()
        .map(|a| {
            if a.ty == ty {
                a.expr
            } else {
                convert(a, ty).expr
            }
        })
        .collect();
    let e = if max {
        datafusion::functions::expr_fn::greatest(exprs)
    } else {
        datafusion::functions::expr_fn::least(exprs)
    };
    Ok(TExpr::new(e, ty))
}
