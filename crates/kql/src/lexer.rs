//! Hand-written lexer: turns query text into tokens with byte spans.
//!
//! Typed literals whose content is not ordinary KQL (`datetime(2020-01-01 10:00)`,
//! `dynamic({...})`, `guid(...)`, `typeof(long)`) are captured whole as [`Tok::Typed`] with their
//! raw inner text, so the parser never has to re-lex.

use crate::Diagnostic;
use crate::ast::Span;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    /// `['name']` / `["name"]`
    QuotedIdent(String),
    Long(i64),
    Real(f64),
    /// A number with a timespan unit, in 100-ns ticks.
    Timespan(i64),
    Str(String),
    /// `type(raw text)` for datetime, date, time, timespan, guid, int, long, real, double,
    /// decimal, bool, boolean, dynamic, typeof.
    Typed(String, String),
    /// `{{Name}}`
    Placeholder(String),
    /// Punctuation and operators, by their text.
    P(&'static str),
    Eof,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// Words that form a typed literal when followed by `(`. (`boolean`, `uniqueid` and `string`
/// are type names in declarations but not literal forms: Kusto rejects `string(null)`.)
pub const TYPED: &[&str] = &[
    "datetime", "date", "time", "timespan", "guid", "int", "long", "real", "double", "decimal",
    "bool", "dynamic", "typeof",
];

const PUNCT: &[&str] = &[
    "..", "==", "!=", "<>", "<=", ">=", "=~", "!~", "=>", "|", "(", ")", "[", "]", "{", "}", ",",
    ";", ":", ".", "=", "<", ">", "+", "-", "*", "/", "%", "!", "~", "?", "@", "$",
];

/// Ticks per unit for a timespan suffix.
pub fn unit_ticks(unit: &str) -> Option<f64> {
    Some(match unit {
        "d" | "day" | "days" => 864_000_000_000.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 36_000_000_000.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 600_000_000.0,
        "s" | "sec" | "secs" | "second" | "seconds" => 10_000_000.0,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 10_000.0,
        "microsecond" | "microseconds" => 10.0,
        "tick" | "ticks" => 1.0,
        _ => return None,
    })
}

pub fn lex(src: &str) -> Result<Vec<Token>, Diagnostic> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        // {{Placeholder}}
        if c == b'{'
            && b.get(i + 1) == Some(&b'{')
            && let Some(end) = src[i + 2..].find("}}")
        {
            let name = src[i + 2..i + 2 + end].trim().to_string();
            i += end + 4;
            out.push(Token {
                tok: Tok::Placeholder(name),
                span: Span::new(start, i),
            });
            continue;
        }
        // Strings: '..' ".." @'..' @".." h'..' ```..```
        if c == b'`' && src[i..].starts_with("```") {
            let Some(end) = src[i + 3..].find("```") else {
                return Err(Diagnostic::new(
                    "unterminated ``` string",
                    Span::new(i, b.len()),
                ));
            };
            let s = src[i + 3..i + 3 + end].to_string();
            i += end + 6;
            out.push(Token {
                tok: Tok::Str(s),
                span: Span::new(start, i),
            });
            continue;
        }
        let (verbatim, qpos) = match c {
            b'@' if matches!(b.get(i + 1), Some(b'"') | Some(b'\'')) => (true, i + 1),
            b'h' | b'H' if matches!(b.get(i + 1), Some(b'"') | Some(b'\'')) => (false, i + 1),
            b'h' | b'H'
                if matches!(b.get(i + 1), Some(b'@'))
                    && matches!(b.get(i + 2), Some(b'"') | Some(b'\'')) =>
            {
                (true, i + 2)
            }
            b'"' | b'\'' => (false, i),
            _ => (false, usize::MAX),
        };
        if qpos != usize::MAX {
            let (s, end) = lex_string(src, qpos, verbatim)?;
            i = end;
            out.push(Token {
                tok: Tok::Str(s),
                span: Span::new(start, i),
            });
            continue;
        }
        // ['quoted'] identifiers
        if c == b'['
            && matches!(b.get(i + 1), Some(b'"') | Some(b'\''))
            && let Ok((s, end)) = lex_string(src, i + 1, false)
        {
            let mut j = end;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if b.get(j) == Some(&b']') {
                i = j + 1;
                out.push(Token {
                    tok: Tok::QuotedIdent(s),
                    span: Span::new(start, i),
                });
                continue;
            }
        }
        if c.is_ascii_digit()
            || (c == b'.'
                && b.get(i + 1).is_some_and(|d| d.is_ascii_digit())
                && !prev_is_value(&out))
        {
            let (tok, end) = lex_number(src, i)?;
            i = end;
            out.push(Token {
                tok,
                span: Span::new(start, i),
            });
            continue;
        }
        if c.is_ascii_alphabetic()
            || c == b'_'
            || (c == b'$' && b.get(i + 1).is_some_and(|d| d.is_ascii_alphabetic()))
        {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            let word = &src[i..j];
            // Typed literal: word immediately (or after spaces) followed by '('.
            if TYPED.contains(&word.to_ascii_lowercase().as_str()) {
                let mut k = j;
                while k < b.len() && b[k].is_ascii_whitespace() {
                    k += 1;
                }
                if b.get(k) == Some(&b'(') && !prev_is_colon(&out) {
                    let (raw, end) = raw_parens(src, k)?;
                    i = end;
                    out.push(Token {
                        tok: Tok::Typed(word.to_ascii_lowercase(), raw),
                        span: Span::new(start, i),
                    });
                    continue;
                }
            }
            i = j;
            out.push(Token {
                tok: Tok::Ident(word.to_string()),
                span: Span::new(start, i),
            });
            continue;
        }
        let mut matched = false;
        for p in PUNCT {
            if src[i..].starts_with(p) {
                i += p.len();
                out.push(Token {
                    tok: Tok::P(p),
                    span: Span::new(start, i),
                });
                matched = true;
                break;
            }
        }
        if !matched {
            let ch = src[i..].chars().next().unwrap_or('?');
            return Err(Diagnostic::new(
                format!("unexpected character '{ch}'"),
                Span::new(i, i + ch.len_utf8()),
            ));
        }
    }
    out.push(Token {
        tok: Tok::Eof,
        span: Span::new(b.len(), b.len()),
    });
    Ok(out)
}

fn prev_is_value(out: &[Token]) -> bool {
    matches!(
        out.last().map(|t| &t.tok),
        Some(Tok::Ident(_)) | Some(Tok::P(")")) | Some(Tok::P("]"))
    )
}

fn prev_is_colon(out: &[Token]) -> bool {
    matches!(out.last().map(|t| &t.tok), Some(Tok::P(":")))
}

/// The raw text between `(` at `open` and its matching `)`, skipping quoted strings.
fn raw_parens(src: &str, open: usize) -> Result<(String, usize), Diagnostic> {
    let b = src.as_bytes();
    let mut depth = 0;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Ok((src[open + 1..i].trim().to_string(), i + 1));
                }
            }
            b'"' | b'\'' => {
                let (_, end) = lex_string(src, i, false)?;
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Err(Diagnostic::new(
        "unclosed '(' in literal",
        Span::new(open, b.len()),
    ))
}

/// Lexes a quoted string starting at the quote at `q`; returns its value and the end offset.
pub fn lex_string(src: &str, q: usize, verbatim: bool) -> Result<(String, usize), Diagnostic> {
    let b = src.as_bytes();
    let quote = b[q];
    let mut out = String::new();
    let mut i = q + 1;
    while i < b.len() {
        let c = b[i];
        if c == quote {
            if verbatim && b.get(i + 1) == Some(&quote) {
                out.push(quote as char);
                i += 2;
                continue;
            }
            return Ok((out, i + 1));
        }
        if c == b'\\' && !verbatim {
            let Some(&e) = b.get(i + 1) else { break };
            let bad = |i: usize| Diagnostic::new("invalid escape sequence", Span::new(i, i + 2));
            let esc_at = i;
            i += 2;
            match e {
                b'n' => out.push('\n'),
                b't' => out.push('\t'),
                b'r' => out.push('\r'),
                b'a' => out.push('\u{7}'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'v' => out.push('\u{b}'),
                b'\\' => out.push('\\'),
                b'\'' => out.push('\''),
                b'"' => out.push('"'),
                b'0'..=b'7' => {
                    // up to three octal digits
                    let mut v = u32::from(e - b'0');
                    let mut n = 1;
                    while n < 3
                        && let Some(d @ b'0'..=b'7') = b.get(i).copied()
                    {
                        v = v * 8 + u32::from(d - b'0');
                        i += 1;
                        n += 1;
                    }
                    out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                }
                b'x' | b'u' | b'U' => {
                    let len = match e {
                        b'x' => 2,
                        b'u' => 4,
                        _ => 8,
                    };
                    let hex = src.get(i..i + len).unwrap_or("");
                    let ch = if hex.len() == len && hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                        u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
                    } else {
                        None
                    };
                    match ch {
                        Some(ch) => {
                            out.push(ch);
                            i += len;
                        }
                        None => return Err(bad(esc_at)),
                    }
                }
                _ => return Err(bad(esc_at)),
            }
            continue;
        }
        if c == b'\n' && !verbatim {
            return Err(Diagnostic::new(
                "unterminated string literal",
                Span::new(q, i),
            ));
        }
        // push the full UTF-8 character
        let ch = src[i..].chars().next().unwrap_or('\u{fffd}');
        out.push(ch);
        i += ch.len_utf8();
    }
    Err(Diagnostic::new(
        "unterminated string literal",
        Span::new(q, b.len()),
    ))
}

fn lex_number(src: &str, start: usize) -> Result<(Tok, usize), Diagnostic> {
    let b = src.as_bytes();
    let mut i = start;
    if src[i..].starts_with("0x") || src[i..].starts_with("0X") {
        let mut j = i + 2;
        while j < b.len() && b[j].is_ascii_hexdigit() {
            j += 1;
        }
        let v = i64::from_str_radix(&src[i + 2..j], 16)
            .map_err(|_| Diagnostic::new("invalid hex number", Span::new(start, j)))?;
        return Ok((Tok::Long(v), j));
    }
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut is_real = false;
    if i < b.len() && b[i] == b'.' && b.get(i + 1) != Some(&b'.') {
        is_real = true;
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            is_real = true;
            i = j;
        }
    }
    let num = &src[start..i];
    // Timespan unit suffix.
    let mut j = i;
    while j < b.len() && b[j].is_ascii_alphabetic() {
        j += 1;
    }
    if j > i {
        let unit = &src[i..j];
        if let Some(per) = unit_ticks(unit) {
            let v: f64 = num
                .parse()
                .map_err(|_| Diagnostic::new("invalid number", Span::new(start, i)))?;
            return Ok((Tok::Timespan((v * per).round() as i64), j));
        }
        return Err(Diagnostic::new(
            format!("unknown timespan unit '{unit}'"),
            Span::new(i, j),
        ));
    }
    if !is_real && let Ok(v) = num.parse::<i64>() {
        return Ok((Tok::Long(v), i));
    }
    let v: f64 = num
        .parse()
        .map_err(|_| Diagnostic::new("invalid number", Span::new(start, i)))?;
    Ok((Tok::Real(v), i))
}
