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

/// Syntax added after the differential test against Microsoft's parser.
#[test]
fn newer_syntax() {
    let cases = [
        "T | render timechart with (title=\"t\", ycolumns=a, b) | project-reorder x asc, * granny-desc",
        "T | scan with_match_id=m declare (s:long = 0) with (step a: x > 1 => s = x; step b optional: true;)",
        "find withsource=S in (T, U*) where x == 1 project a, b",
        "externaldata(a:string) [\"https://e/x.csv\"] with (format=\"csv\") | project-by-names \"a\"",
        "print d = dynamic({\"a\": dynamic([1]), \"t\": datetime(2020-01-01)}), s = \"\\x41\\u00e9\", c = cluster(\"c\").database(\"d\")",
        "T | make-series n = count() on t in range(ago(1d), now(), 1h) | where s notcontains \"x\"",
    ];
    let all: Vec<String> = cases.iter().map(|q| ast(q)).collect();
    insta::assert_snapshot!(all.join("\n=====\n"));
}

/// Errors for syntax Kusto rejects.
#[test]
fn keyword_and_literal_errors() {
    let cases = [
        "T | extend first = 1",
        "T | project where",
        "print !true",
        "print 1 < 2 < 3",
        "datatable(a:long)[1+1]",
        "print \"\\q\"",
        "print strcat(\"a\",)",
        "T | scan with (step s: x > 1)",
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
