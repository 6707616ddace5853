//! Special-functions family: erf, erfc, gamma, loggamma, beta_pdf, beta_cdf, beta_inv, and
//! tohex. Out-of-domain arguments give NaN (as Kusto documents for the beta functions).

use super::conversion::convert;
use super::kit::{arity, call, udf};
use super::rowwise::*;
use super::{Call, Registry};
use crate::error::Result;
use crate::texpr::TExpr;
use crate::types::KqlType;
use datafusion::arrow::datatypes::DataType;

pub fn register(r: &mut Registry) {
    for name in [
        "erf", "erfc", "gamma", "loggamma", "beta_pdf", "beta_cdf", "beta_inv",
    ] {
        r.scalar(name, real_fn);
    }
    r.scalar("tohex", |c| {
        arity(c.name, &c.args, 1, 2, c.span)?;
        let v = convert(c.args[0].clone(), KqlType::Long);
        let w = c
            .args
            .get(1)
            .map(|m| convert(m.clone(), KqlType::Long))
            .unwrap_or_else(|| TExpr::long(0));
        let u = crate::cached_udf!(udf(
            "kql_tohex",
            vec![DataType::Int64, DataType::Int64],
            DataType::Utf8,
            |a, n| {
                strings(n, |i| {
                    let Some(v) = i64_at(&a[0], i)? else {
                        return Ok(None);
                    };
                    let w = i64_at(&a[1], i)?.unwrap_or(0).clamp(0, 64) as usize;
                    Ok(Some(format!("{:0w$x}", v)))
                })
            }
        ));
        Ok(call(&u, vec![v, w], KqlType::String))
    });
}

fn real_fn(c: Call<'_>) -> Result<TExpr> {
    let (k, f): (usize, fn(&[f64]) -> f64) = match c.name {
        "erf" => (1, |x| erf(x[0])),
        "erfc" => (1, |x| erfc(x[0])),
        "gamma" => (1, |x| gamma(x[0])),
        "loggamma" => (1, |x| ln_gamma(x[0]).0),
        "beta_pdf" => (3, |x| beta_pdf(x[0], x[1], x[2])),
        "beta_cdf" => (3, |x| beta_cdf(x[0], x[1], x[2])),
        _ => (3, |x| beta_inv(x[0], x[1], x[2])),
    };
    arity(c.name, &c.args, k, k, c.span)?;
    let u = udf(
        &format!("kql_{}", c.name),
        vec![DataType::Float64; k],
        DataType::Float64,
        move |a, n| {
            reals(n, |i| {
                let mut xs = [0.0; 3];
                for (j, x) in xs.iter_mut().enumerate().take(k) {
                    match f64_at(&a[j], i)? {
                        Some(v) => *x = v,
                        None => return Ok(None),
                    }
                }
                Ok(Some(f(&xs[..k])))
            })
        },
    );
    let args = c
        .args
        .into_iter()
        .map(|a| convert(a, KqlType::Real))
        .collect();
    Ok(call(&u, args, KqlType::Real))
}

const SQRT_PI: f64 = 1.772_453_850_905_516;

pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x.abs() <= 3.0 {
        // Maclaurin series: 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)).
        let mut term = x;
        let mut sum = x;
        let x2 = x * x;
        for n in 1..200 {
            term *= -x2 / n as f64;
            let add = term / (2 * n + 1) as f64;
            sum += add;
            if add.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
        2.0 / SQRT_PI * sum
    } else {
        x.signum() * (1.0 - erfc(x.abs()))
    }
}

pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 3.0 {
        return 1.0 - erf(x);
    }
    // Continued fraction: erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
    let mut f = x;
    for k in (1..=80).rev() {
        f = x + (k as f64 / 2.0) / f;
    }
    (-x * x).exp() / SQRT_PI / f
}

/// ln|Γ(x)| and the sign of Γ(x) (Lanczos, g = 7).
pub fn ln_gamma(x: f64) -> (f64, f64) {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x.is_nan() || (x <= 0.0 && x.fract() == 0.0) {
        return (f64::INFINITY, 1.0);
    }
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1-x) = π / sin(πx).
        let s = (std::f64::consts::PI * x).sin();
        let (l, _) = ln_gamma(1.0 - x);
        return (
            (std::f64::consts::PI / s.abs()).ln() - l,
            if s < 0.0 { -1.0 } else { 1.0 },
        );
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    (
        0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln(),
        1.0,
    )
}

pub fn gamma(x: f64) -> f64 {
    if x.fract() == 0.0 && (1.0..=171.0).contains(&x) {
        return (1..x as u64).map(|k| k as f64).product();
    }
    let (l, s) = ln_gamma(x);
    s * l.exp()
}

fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a).0 + ln_gamma(b).0 - ln_gamma(a + b).0
}

fn beta_ok(x: f64, a: f64, b: f64) -> bool {
    (0.0..=1.0).contains(&x) && a > 0.0 && b > 0.0
}

pub fn beta_pdf(x: f64, a: f64, b: f64) -> f64 {
    if !beta_ok(x, a, b) {
        return f64::NAN;
    }
    ((a - 1.0) * x.ln() + (b - 1.0) * (1.0 - x).ln() - ln_beta(a, b)).exp()
}

/// Continued fraction for the regularized incomplete beta function.
fn betacf(x: f64, a: f64, b: f64) -> f64 {
    let tiny = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..500 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

pub fn beta_cdf(x: f64, a: f64, b: f64) -> f64 {
    if !beta_ok(x, a, b) {
        return f64::NAN;
    }
    if x == 0.0 || x == 1.0 {
        return x;
    }
    let front = (a * x.ln() + b * (1.0 - x).ln() - ln_beta(a, b)).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * betacf(x, a, b) / a
    } else {
        1.0 - front * betacf(1.0 - x, b, a) / b
    }
}

/// The x with beta_cdf(x, a, b) = p (bisection).
pub fn beta_inv(p: f64, a: f64, b: f64) -> f64 {
    if !beta_ok(p, a, b) {
        return f64::NAN;
    }
    let (mut lo, mut hi) = (0.0, 1.0);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if beta_cdf(mid, a, b) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn values() {
        assert!((erf(-3.0) + 0.999977909503001).abs() < 1e-12);
        assert!((erf(1.0) - 0.842700792949715).abs() < 1e-14);
        assert!((erfc(4.0) - 1.541725790028002e-8).abs() < 1e-20);
        assert!((ln_gamma(5.0).0 - 3.1780538303479458).abs() < 1e-13);
        assert!((gamma(0.5) - 1.772453850905516).abs() < 1e-13);
        assert!((beta_pdf(0.5, 10.0, 20.0) - 0.746176019310951).abs() < 1e-12);
        assert!(beta_pdf(1.5, 10.0, 20.0).is_nan());
        assert!((beta_cdf(0.2, 10.0, 20.0) - 0.049263517304211975).abs() < 1e-12);
        assert!((beta_inv(beta_cdf(0.3, 2.0, 5.0), 2.0, 5.0) - 0.3).abs() < 1e-12);
    }
}
