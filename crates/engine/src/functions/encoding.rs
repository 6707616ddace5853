//! Encoding family: base64_encode_tostring, base64_decode_tostring, base64_decode_toarray,
//! url_encode, url_encode_component, url_decode, unicode_codepoints_to_string,
//! unicode_codepoints_from_string.

use super::conversion::{to_dynamic, to_string};
use super::kit::{arity, call, udf};
use super::rowwise::*;
use super::{Call, Registry};
use crate::error::Result;
use crate::texpr::TExpr;
use crate::types::KqlType;
use crate::value::dynamic::{self, Value};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use datafusion::arrow::datatypes::DataType;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Characters `url_encode_component` leaves alone (RFC 3986 unreserved).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// `url_encode` also keeps the URL's structural characters.
const URL: &AsciiSet = &COMPONENT
    .remove(b':')
    .remove(b'/')
    .remove(b'?')
    .remove(b'#')
    .remove(b'[')
    .remove(b']')
    .remove(b'@')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=');

fn str_fn(c: Call<'_>, f: fn(&str) -> Option<String>) -> Result<TExpr> {
    arity(c.name, &c.args, 1, 1, c.span)?;
    let u = udf(
        &format!("kql_{}", c.name),
        vec![DataType::Utf8],
        DataType::Utf8,
        move |a, n| {
            strings(n, |i| {
                Ok(Some(str_at(&a[0], i)?.and_then(f).unwrap_or_default()))
            })
        },
    );
    Ok(call(
        &u,
        vec![to_string(c.args[0].clone())],
        KqlType::String,
    ))
}

/// The text a hash function digests: datetimes in their full ISO form
/// (`2020-01-01T00:00:00.0000000Z`, as Kusto's `hash_md5` example shows), other values as
/// `tostring` prints them.
fn hash_input(a: TExpr) -> TExpr {
    if a.ty == KqlType::DateTime {
        let u = crate::cached_udf!(udf(
            "kql_datetime_full_iso",
            vec![DataType::Int64],
            DataType::Utf8,
            |a, n| {
                strings(n, |i| {
                    Ok(i64_at(&a[0], i)?.map(|t| {
                        let s = crate::value::datetime::format_iso(t - t.rem_euclid(10_000_000));
                        let frac = t.rem_euclid(10_000_000);
                        format!("{}.{frac:07}Z", s.trim_end_matches('Z'))
                    }))
                })
            }
        ));
        call(&u, vec![a], KqlType::String)
    } else {
        to_string(a)
    }
}

pub fn register(r: &mut Registry) {
    r.scalar("base64_encode_tostring", |c| {
        str_fn(c, |s| Some(STANDARD.encode(s.as_bytes())))
    });
    r.scalar("base64_decode_tostring", |c| {
        str_fn(c, |s| {
            STANDARD
                .decode(s.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
        })
    });
    r.scalar("url_encode", |c| {
        str_fn(c, |s| Some(utf8_percent_encode(s, URL).to_string()))
    });
    r.scalar("url_encode_component", |c| {
        str_fn(c, |s| Some(utf8_percent_encode(s, COMPONENT).to_string()))
    });
    r.scalar("url_decode", |c| {
        str_fn(c, |s| {
            percent_decode_str(&s.replace('+', " "))
                .decode_utf8()
                .ok()
                .map(|x| x.to_string())
        })
    });
    r.scalar("hash_md5", |c| {
        arity(c.name, &c.args, 1, 1, c.span)?;
        let s = hash_input(c.args[0].clone());
        // md5() returns a Utf8View column; the engine's strings are Utf8.
        Ok(TExpr::new(
            datafusion::logical_expr::cast(
                datafusion::functions::crypto::expr_fn::md5(s.expr),
                DataType::Utf8,
            ),
            KqlType::String,
        ))
    });
    r.scalar("hash_sha256", |c| {
        arity(c.name, &c.args, 1, 1, c.span)?;
        let s = hash_input(c.args[0].clone());
        let digest = datafusion::functions::crypto::expr_fn::sha256(s.expr);
        Ok(TExpr::new(
            datafusion::logical_expr::cast(
                datafusion::functions::encoding::expr_fn::encode(
                    digest,
                    datafusion::logical_expr::lit("hex"),
                ),
                DataType::Utf8,
            ),
            KqlType::String,
        ))
    });
    r.scalar("base64_encode_fromarray", |c| {
        arity(c.name, &c.args, 1, 1, c.span)?;
        Ok(super::kit::json_call(c, KqlType::String, |a| {
            let Value::Array(items) = a.first()? else {
                return None;
            };
            let bytes: Option<Vec<u8>> = items
                .iter()
                .map(|v| v.as_i64().and_then(|b| u8::try_from(b).ok()))
                .collect();
            let bytes = bytes?;
            if bytes.is_empty() {
                return None;
            }
            Some(Value::String(STANDARD.encode(bytes)))
        }))
    });
    r.scalar("base64_decode_toarray", |c| {
        arity(c.name, &c.args, 1, 1, c.span)?;
        let u = crate::cached_udf!(udf(
            "kql_base64_decode_toarray",
            vec![DataType::Utf8],
            DataType::Utf8,
            |a, n| {
                strings(n, |i| {
                    Ok(str_at(&a[0], i)?
                        .and_then(|s| STANDARD.decode(s.trim()).ok())
                        .map(|b| {
                            Value::Array(b.into_iter().map(Value::from).collect()).to_string()
                        }))
                })
            }
        ));
        Ok(call(
            &u,
            vec![to_string(c.args[0].clone())],
            KqlType::Dynamic,
        ))
    });
    r.scalar("unicode_codepoints_to_string", |c| {
        arity(c.name, &c.args, 1, 256, c.span)?;
        let k = c.args.len();
        let u = udf(
            &format!("kql_unicode_codepoints_to_string{k}"),
            vec![DataType::Utf8; k],
            DataType::Utf8,
            move |a, n| {
                strings(n, |i| {
                    let mut out = String::new();
                    for col in a.iter().take(k) {
                        let v = str_at(col, i)?.and_then(dynamic::parse);
                        let items = match v {
                            Some(Value::Array(x)) => x,
                            Some(x) => vec![x],
                            None => vec![],
                        };
                        for it in items {
                            if let Some(ch) = it.as_u64().and_then(|u| char::from_u32(u as u32)) {
                                out.push(ch);
                            }
                        }
                    }
                    Ok(Some(out))
                })
            },
        );
        Ok(call(
            &u,
            c.args.into_iter().map(to_dynamic).collect(),
            KqlType::String,
        ))
    });
    r.scalar("unicode_codepoints_from_string", |c| {
        arity(c.name, &c.args, 1, 1, c.span)?;
        let u = crate::cached_udf!(udf(
            "kql_unicode_codepoints_from_string",
            vec![DataType::Utf8],
            DataType::Utf8,
            |a, n| {
                strings(n, |i| {
                    Ok(str_at(&a[0], i)?.map(|s| {
                        Value::Array(s.chars().map(|ch| Value::from(ch as u32)).collect())
                            .to_string()
                    }))
                })
            }
        ));
        Ok(call(
            &u,
            vec![to_string(c.args[0].clone())],
            KqlType::Dynamic,
        ))
    });
}
