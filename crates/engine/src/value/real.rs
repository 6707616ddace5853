//! Printing reals the way Kusto (.NET) does: shortest round-trip digits, scientific notation
//! for exponents below -5 or from 15 up (`1E+20`, `1.5E-07`), `NaN`, `Infinity`, `-Infinity`.

pub fn format(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if v == 0.0 {
        return "0".into();
    }
    let sci = format!("{v:e}");
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse::<i32>().unwrap_or(0)),
        None => return format!("{v}"),
    };
    if !(-5..15).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}E{sign}{:02}", exp.abs())
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dotnet_style() {
        assert_eq!(super::format(1.0), "1");
        assert_eq!(super::format(1e20), "1E+20");
        assert_eq!(super::format(1.5e-7), "1.5E-07");
        assert_eq!(super::format(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(super::format(-2.5), "-2.5");
    }
}
