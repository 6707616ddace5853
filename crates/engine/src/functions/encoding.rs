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
