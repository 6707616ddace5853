//! Snapshot tests of parsed ASTs and of rendered syntax errors.

fn ast(q: &str) -> String {
    match kql::parse_query(q) {
        Ok(a) => format!("{a:#?}"),
        Err(d) => d.render(q, "query"),
    }
}

#[test]
fn valid_queries() {
    let cases = [
        "SigninLogs | where ResultType == 0 and AppDisplayName has_any (\"Outlook\", \"Teams\") | summarize count() by bin(TimeGenerated, 1h), UserPrincipalName",
        "let w = 10m; T | join kind=leftouter (U | project k, v) on $left.a == $right.k | extend d = datetime_diff('second', t2, t1)",
        "datatable(a:long, d:dynamic)[1, dynamic({\"x\": [1, -2.5]})] | mv-expand with_itemindex=i d to typeof(string) | parse a with \"id=\" id:long *",
        "let f = (t:(*), n:long = 5) { t | take n }; union withsource=Src isfuzzy=true Sign*, (print x = 1) | invoke f(3)",
    ];
    let all: Vec<String> = cases.iter().map(|q| ast(q)).collect();
    insta::assert_snapshot!(all.join("\n=====\n"));
}

#[test]
fn syntax_errors() {
    let cases = [
        "T | where (x > 1",
        "T | frobnicate x",
        "T | project a = ",
        "print s = \"unterminated",
        "T\n| where x == 1\n| summarize count() by",
    ];
    let all: Vec<String> = cases.iter().map(|q| ast(q)).collect();
    insta::assert_snapshot!(all.join("\n=====\n"));
}
