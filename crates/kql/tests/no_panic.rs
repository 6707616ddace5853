//! No input may panic the lexer or parser: arbitrary text and soups of KQL tokens.

use proptest::prelude::*;

const VOCAB: &[&str] = &[
    "T",
    "|",
    "where",
    "project",
    "extend",
    "summarize",
    "by",
    "join",
    "kind=inner",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ";",
    "let",
    "=",
    "==",
    "!=",
    "=~",
    "has",
    "!has",
    "in~",
    "!in",
    "between",
    "..",
    "1",
    "1.5",
    "10m",
    "\"s\"",
    "'x'",
    "@\"v\"",
    "datetime(2020-01-01)",
    "dynamic([1,{\"a\":2}])",
    "$left.a",
    "$right.b",
    "on",
    "mv-expand",
    "parse",
    "with",
    "*",
    "count()",
    "arg_max(x, *)",
    "{{P}}",
    "//c\n",
    "datatable(a:long)[1]",
    "print",
    "range",
    "x",
    "from",
    "to",
    "step",
    "-",
    "+",
    "/",
    "%",
    "and",
    "or",
    "not(",
    "toscalar(",
    "```a```",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        let _ = kql::parse_query(&s);
        let _ = kql::parse_expr(&s);
    }

    #[test]
    fn token_soup_never_panics(idx in proptest::collection::vec(0..VOCAB.len(), 0..40)) {
        let q: Vec<&str> = idx.iter().map(|i| VOCAB[*i]).collect();
        let text = q.join(" ");
        let _ = kql::parse_query(&text);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let q = format!("print x = {}1{}", "(".repeat(5000), ")".repeat(5000));
    assert!(kql::parse_query(&q).is_err());
}
