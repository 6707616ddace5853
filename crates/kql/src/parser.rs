//! Recursive-descent parser with precedence climbing for expressions.
//!
//! A "pipe expression" is the unit that may be either scalar or tabular: an expression, and if
//! a `|` follows, the operators applied to it. This one rule covers `let` values, call
//! arguments (`toscalar(T | count)`), parenthesised sub-queries and statements.

use crate::Diagnostic;
use crate::ast::*;
use crate::lexer::{Tok, Token, lex};

type PResult<T> = Result<T, Diagnostic>;

pub struct Parser {
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
    /// Inside a `search` predicate, `Column:"term"` means `Column has "term"`.
    search_mode: bool,
}

/// Either side of the scalar/tabular divide.
pub enum Piped {
    Scalar(Expr),
    Tabular(TabularExpr),
}

const MAX_DEPTH: usize = 100;

/// Keywords Kusto's parser never takes as a bare name (declared or referenced); they must be
/// bracketed (`['first']`). From Kusto.Language's syntax facts (keywords that cannot be
/// identifiers), single-word ones only.
const RESERVED: &[&str] = &[
    "and",
    "anomalychart",
    "areachart",
    "asc",
    "bagexpansion",
    "barchart",
    "between",
    "bin_legacy",
    "boolean",
    "byte",
    "cachingpolicy",
    "callout",
    "cancel",
    "card",
    "char",
    "columnchart",
    "contains_cs",
    "containscs",
    "cycles",
    "dataexport",
    "datascope",
    "decodeblocks",
    "desc",
    "encodingpolicy",
    "endswith",
    "endswith_cs",
    "expandoutput",
    "extent_tags_retention",
    "external_data",
    "first",
    "flags",
    "float",
    "force_remote",
    "has_all",
    "has_any",
    "has_cs",
    "hasprefix",
    "hasprefix_cs",
    "hassuffix",
    "hassuffix_cs",
    "hotcache",
    "int16",
    "int8",
    "isfuzzy",
    "journal",
    "ladderchart",
    "last",
    "like",
    "likecs",
    "linechart",
    "missing",
    "nooptimization",
    "notcontains",
    "notcontainscs",
    "notlike",
    "notlikecs",
    "or",
    "others",
    "pathformat",
    "piechart",
    "pivotchart",
    "project",
    "queries",
    "query_results",
    "relaxed",
    "restricted_view_access",
    "row_level_security",
    "rowstore",
    "rowstore_references",
    "rowstore_sealinfo",
    "rowstorepolicy",
    "rowstores",
    "scatterchart",
    "seal",
    "seals",
    "shards",
    "simple",
    "softdelete",
    "softretention",
    "stackedareachart",
    "startswith",
    "startswith_cs",
    "statistics",
    "storedqueryresultcontainers",
    "string",
    "tablepurge",
    "timechart",
    "timeline",
    "timepivot",
    "treemap",
    "uint",
    "uint16",
    "uint32",
    "uint64",
    "uint8",
    "ulong",
    "union",
    "uniqueid",
    "unrestrictedviewers",
    "views",
    "with_itemindex",
    "with_match_id",
    "with_step_name",
    "writeaheadlog",
    "date",
    "datetime",
    "decimal",
    "double",
    "dynamic",
    "int",
    "int32",
    "int64",
    "long",
    "real",
    "time",
    "timespan",
    "harddelete",
    "hardretention",
];

/// Keywords Kusto accepts as declared names (`extend where = 1`) but not as references.
const RESERVED_REF: &[&str] = &[
    "accumulate",
    "as",
    "by",
    "contains",
    "datatable",
    "earliest",
    "externaldata",
    "find",
    "has",
    "in",
    "invoke",
    "latest",
    "materialize",
    "mdm",
    "of",
    "print",
    "sample",
    "search",
    "set",
    "sql",
    "title",
    "to",
    "toscalar",
    "totable",
    "verbose",
    "viewers",
    "where",
];

/// Keywords Kusto accepts as references but not as declared names.
const RESERVED_DECL: &[&str] = &["kind", "withsource", "with_source"];

fn needs_brackets(name: &str) -> Diagnostic {
    Diagnostic::new(
        format!("'{name}' is a keyword: write ['{name}'] to use it as a name"),
        Span::default(),
    )
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("'{s}'"),
        Tok::QuotedIdent(s) => format!("['{s}']"),
        Tok::Long(v) => v.to_string(),
        Tok::Real(v) => v.to_string(),
        Tok::Timespan(_) => "a timespan".into(),
        Tok::Str(_) => "a string".into(),
        Tok::Typed(t, _) => format!("{t}(...)"),
        Tok::Placeholder(n) => format!("{{{{{n}}}}}"),
        Tok::P(p) => format!("'{p}'"),
        Tok::Eof => "the end of the query".into(),
    }
}

impl Parser {
    pub fn new(text: &str) -> PResult<Parser> {
        Ok(Parser {
            toks: lex(text)?,
            pos: 0,
            depth: 0,
            search_mode: false,
        })
    }

    // ---- token helpers -------------------------------------------------------------------
    fn peek(&self) -> &Tok {
        self.peek_at(0)
    }
    fn peek_at(&self, k: usize) -> &Tok {
        let i = (self.pos + k).min(self.toks.len() - 1);
        &self.toks[i].tok
    }
    fn span(&self) -> Span {
        self.span_at(0)
    }
    fn span_at(&self, k: usize) -> Span {
        let i = (self.pos + k).min(self.toks.len() - 1);
        self.toks[i].span
    }
    fn prev_end(&self) -> usize {
        if self.pos == 0 {
            0
        } else {
            self.toks[self.pos - 1].span.end
        }
    }
    fn bump(&mut self) -> Token {
        let t = self.toks[self.pos.min(self.toks.len() - 1)].clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }
    fn is_p(&self, p: &str) -> bool {
        matches!(self.peek(), Tok::P(x) if *x == p)
    }
    fn is_p_at(&self, k: usize, p: &str) -> bool {
        matches!(self.peek_at(k), Tok::P(x) if *x == p)
    }
    fn eat_p(&mut self, p: &str) -> bool {
        if self.is_p(p) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn err_expected(&self, what: &str) -> Diagnostic {
        Diagnostic::new(
            format!("expected {what}, found {}", describe(self.peek())),
            self.span(),
        )
    }
    fn expect_p(&mut self, p: &str) -> PResult<Span> {
        if self.is_p(p) {
            Ok(self.bump().span)
        } else {
            Err(self.err_expected(&format!("'{p}'")))
        }
    }
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Ident(x) if x == kw)
    }
    fn is_kw_at(&self, k: usize, kw: &str) -> bool {
        matches!(self.peek_at(k), Tok::Ident(x) if x == kw)
    }
    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn expect_kw(&mut self, kw: &str) -> PResult<Span> {
        if self.is_kw(kw) {
            Ok(self.bump().span)
        } else {
            Err(self.err_expected(&format!("'{kw}'")))
        }
    }
    fn ident(&mut self) -> PResult<Ident> {
        match self.peek().clone() {
            Tok::Ident(n) | Tok::QuotedIdent(n) => {
                let s = self.bump().span;
                Ok(Ident { name: n, span: s })
            }
            Tok::Typed(t, raw) if raw.is_empty() => {
                let s = self.bump().span;
                Ok(Ident { name: t, span: s })
            }
            _ => Err(self.err_expected("a name")),
        }
    }
    /// Two tokens adjacent with no space between them.
    fn adjacent(&self, k: usize) -> bool {
        self.span_at(k).end == self.span_at(k + 1).start
    }
    /// Rejects a bare keyword used as a declared name (`extend first = 1`).
    fn check_decl(&self, at: usize) -> PResult<()> {
        self.check_keyword(at, RESERVED_DECL)
    }
    /// Rejects a bare keyword referenced as a name (`project where`, `d.to`, `let by = 1`).
    fn check_ref(&self, at: usize) -> PResult<()> {
        self.check_keyword(at, RESERVED_REF)
    }
    /// The token at `at`, if a bare name, may not be an always-reserved word or one of `extra`.
    fn check_keyword(&self, at: usize, extra: &[&str]) -> PResult<()> {
        if let Some(Token {
            tok: Tok::Ident(n),
            span,
        }) = self.toks.get(at)
            && (RESERVED.contains(&n.as_str()) || extra.contains(&n.as_str()))
        {
            return Err(Diagnostic {
                span: *span,
                ..needs_brackets(n)
            });
        }
        Ok(())
    }
    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Diagnostic::new("the query nests too deeply", self.span()));
        }
        Ok(())
    }
    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ---- statements ----------------------------------------------------------------------
    pub fn parse_query(&mut self) -> PResult<Query> {
        let statements = self.statements(&Tok::Eof)?;
        if !matches!(self.peek(), Tok::Eof) {
            return Err(self.err_expected("';' or the end of the query"));
        }
        Ok(Query { statements })
    }

    pub fn parse_standalone_expr(&mut self) -> PResult<Expr> {
        let e = self.expr()?;
        if !matches!(self.peek(), Tok::Eof) {
            return Err(self.err_expected("the end of the expression"));
        }
        Ok(e)
    }

    fn statements(&mut self, end: &Tok) -> PResult<Vec<Statement>> {
        let mut out = Vec::new();
        loop {
            if self.peek() == end || matches!(self.peek(), Tok::Eof) {
                break;
            }
            out.push(self.statement()?);
            if !self.eat_p(";") {
                break;
            }
        }
        Ok(out)
    }

    fn statement(&mut self) -> PResult<Statement> {
        let start = self.span();
        if self.is_kw("let") && matches!(self.peek_at(1), Tok::Ident(_) | Tok::QuotedIdent(_)) {
            self.bump();
            self.check_decl(self.pos)?;
            self.check_ref(self.pos)?;
            let name = self.ident()?;
            self.expect_p("=")?;
            let value = self.let_value()?;
            return Ok(Statement::Let {
                name,
                value,
                span: start.to(Span::new(start.start, self.prev_end())),
            });
        }
        if self.is_kw("declare") && self.is_kw_at(1, "query_parameters") {
            self.bump();
            self.bump();
            self.expect_p("(")?;
            let params = self.params(")")?;
            self.expect_p(")")?;
            return Ok(Statement::DeclareQueryParameters {
                params,
                span: Span::new(start.start, self.prev_end()),
            });
        }
        if self.is_kw("alias") && self.is_kw_at(1, "database") {
            self.bump();
            self.bump();
            let name = self.ident()?;
            self.expect_p("=")?;
            let value = self.expr()?;
            return Ok(Statement::Set {
                name: format!("alias database {}", name.name),
                value: None,
                span: Span::new(start.start, value.span.end),
            });
        }
        if self.is_kw("restrict") && self.is_kw_at(1, "access") {
            self.bump();
            self.bump();
            self.expect_kw("to")?;
            self.expect_p("(")?;
            loop {
                self.expr()?;
                if !self.eat_p(",") {
                    break;
                }
            }
            self.expect_p(")")?;
            return Ok(Statement::Set {
                name: "restrict access".into(),
                value: None,
                span: Span::new(start.start, self.prev_end()),
            });
        }
        if self.is_kw("declare") && self.is_kw_at(1, "pattern") {
            self.bump();
            self.bump();
            let name = self.ident()?;
            if self.eat_p("=") {
                // `= (params)[params] { (args).[path] = { body }; ... }`: checked for balance.
                self.expect_p("(")?;
                self.skip_balanced(")")?;
                if self.eat_p("[") {
                    self.skip_balanced("]")?;
                }
                self.expect_p("{")?;
                while !self.eat_p("}") {
                    // `(args)[.[path]] = { body };`
                    self.expect_p("(")?;
                    self.skip_balanced(")")?;
                    if self.eat_p(".")
                        && !matches!(self.bump().tok, Tok::QuotedIdent(_) | Tok::P("["))
                    {
                        return Err(Diagnostic::new("expected '[path]'", self.span_at(0)));
                    }
                    if self
                        .toks
                        .get(self.pos.wrapping_sub(1))
                        .is_some_and(|t| t.tok == Tok::P("["))
                    {
                        self.skip_balanced("]")?;
                    }
                    self.expect_p("=")?;
                    self.expect_p("{")?;
                    self.skip_balanced("}")?;
                    self.expect_p(";")?;
                }
            }
            return Ok(Statement::Set {
                name: format!("declare pattern {}", name.name),
                value: None,
                span: Span::new(start.start, self.prev_end()),
            });
        }
        if self.is_kw("set") && matches!(self.peek_at(1), Tok::Ident(_)) && !self.is_p_at(1, "|") {
            self.bump();
            let mut name = self.ident()?.name;
            while self.eat_p(".") {
                name.push('.');
                name.push_str(&self.ident()?.name);
            }
            let value = if self.eat_p("=") {
                let t = self.bump();
                Some(match t.tok {
                    Tok::Ident(s) | Tok::Str(s) => s,
                    other => describe(&other),
                })
            } else {
                None
            };
            return Ok(Statement::Set {
                name,
                value,
                span: Span::new(start.start, self.prev_end()),
            });
        }
        match self.piped()? {
            Piped::Tabular(t) => Ok(Statement::Query(t)),
            Piped::Scalar(e) => match &e.kind {
                ExprKind::Name(_)
                | ExprKind::Call { .. }
                | ExprKind::Placeholder(_)
                | ExprKind::Member(..)
                | ExprKind::MethodCall { .. } => {
                    let span = e.span;
                    Ok(Statement::Query(TabularExpr {
                        source: Source::Expr(e),
                        ops: vec![],
                        span,
                    }))
                }
                ExprKind::Tabular(t) => Ok(Statement::Query((**t).clone())),
                _ => Ok(Statement::Expr(e)),
            },
        }
    }

    fn let_value(&mut self) -> PResult<LetValue> {
        let start = self.span();
        if self.is_kw("view") && self.is_p_at(1, "(") {
            self.bump();
        }
        if self.is_p("(") && self.looks_like_fn_def() {
            self.bump();
            let params = self.params(")")?;
            self.expect_p(")")?;
            self.expect_p("{")?;
            let body = self.statements(&Tok::P("}"))?;
            self.expect_p("}")?;
            return Ok(LetValue::Function(FunctionDef {
                params,
                body,
                span: Span::new(start.start, self.prev_end()),
            }));
        }
        match self.piped()? {
            Piped::Tabular(t) => Ok(LetValue::Tabular(t)),
            Piped::Scalar(e) => Ok(LetValue::Expr(e)),
        }
    }

    /// `(` at the cursor starts a function definition: `()` or `(name:` then eventually `) {`.
    fn looks_like_fn_def(&self) -> bool {
        if self.is_p_at(1, ")") {
            return self.is_p_at(2, "{");
        }
        matches!(self.peek_at(1), Tok::Ident(_) | Tok::QuotedIdent(_)) && self.is_p_at(2, ":")
    }

    fn params(&mut self, close: &str) -> PResult<Vec<Param>> {
        let mut out = Vec::new();
        while !self.is_p(close) {
            let name = self.ident()?;
            self.expect_p(":")?;
            let ty = if self.eat_p("(") {
                let mut columns = Vec::new();
                let mut open = false;
                while !self.is_p(")") {
                    if columns.is_empty() && self.is_p("*") && self.is_p_at(1, ")") {
                        self.bump();
                        open = true;
                    } else {
                        let c = self.ident()?;
                        self.expect_p(":")?;
                        columns.push((c, self.type_name()?));
                    }
                    if !self.eat_p(",") {
                        break;
                    }
                }
                self.expect_p(")")?;
                ParamType::Tabular { columns, open }
            } else {
                ParamType::Scalar(self.type_name()?)
            };
            let default = if self.eat_p("=") {
                Some(self.expr()?)
            } else {
                None
            };
            out.push(Param { name, ty, default });
            if !self.eat_p(",") {
                break;
            }
        }
        Ok(out)
    }

    fn type_name(&mut self) -> PResult<TypeName> {
        let id = self.ident()?;
        Ok(TypeName {
            name: id.name,
            span: id.span,
        })
    }

    // ---- pipes and sources ---------------------------------------------------------------
    fn piped(&mut self) -> PResult<Piped> {
        self.enter()?;
        let r = self.piped_inner();
        self.leave();
        r
    }

    fn piped_inner(&mut self) -> PResult<Piped> {
        let start = self.span().start;
        let source = if let Some(src) = self.tabular_source()? {
            src
        } else {
            let e = self.expr()?;
            if !self.is_p("|") {
                return Ok(Piped::Scalar(e));
            }
            match e.kind {
                ExprKind::Tabular(t) => Source::Paren(t),
                _ => Source::Expr(e),
            }
        };
        let mut ops = Vec::new();
        while self.eat_p("|") {
            ops.push(self.operator()?);
        }
        Ok(Piped::Tabular(TabularExpr {
            source,
            ops,
            span: Span::new(start, self.prev_end()),
        }))
    }

    fn tabular(&mut self) -> PResult<TabularExpr> {
        let start = self.span();
        match self.piped()? {
            Piped::Tabular(t) => Ok(t),
            Piped::Scalar(e) => match e.kind {
                ExprKind::Tabular(t) => Ok(*t),
                _ => Ok(TabularExpr {
                    span: e.span,
                    source: Source::Expr(e),
                    ops: vec![],
                }),
            },
        }
        .map_err(|d: Diagnostic| {
            if d.span == Span::default() {
                Diagnostic::new(d.message, start)
            } else {
                d
            }
        })
    }

    /// Sources that can only be tabular: datatable, print, range, union, search, evaluate.
    fn tabular_source(&mut self) -> PResult<Option<Source>> {
        let start = self.span();
        let Tok::Ident(kw) = self.peek().clone() else {
            return Ok(None);
        };
        match kw.as_str() {
            "datatable" if self.is_p_at(1, "(") => {
                self.bump();
                let columns = self.column_decls()?;
                let mut values = Vec::new();
                if let Tok::QuotedIdent(s) = self.peek().clone() {
                    let sp = self.bump().span;
                    values.push(Expr {
                        kind: ExprKind::Literal(Literal::String(s)),
                        span: sp,
                    });
                } else {
                    self.expect_p("[")?;
                    while !self.is_p("]") {
                        values.push(self.literal_value()?);
                        if !self.eat_p(",") {
                            break;
                        }
                    }
                    self.expect_p("]")?;
                }
                Ok(Some(Source::Datatable {
                    columns,
                    values,
                    span: Span::new(start.start, self.prev_end()),
                }))
            }
            "externaldata" | "external_data" if self.is_p_at(1, "(") => {
                self.bump();
                let columns = self.column_decls()?;
                let mut urls = Vec::new();
                if let Tok::QuotedIdent(u) = self.peek().clone() {
                    // `["url"]` lexes as a bracketed name
                    let sp = self.bump().span;
                    urls.push(Expr {
                        kind: ExprKind::Literal(Literal::String(u)),
                        span: sp,
                    });
                } else {
                    self.expect_p("[")?;
                    while !self.is_p("]") {
                        urls.push(self.literal_value()?);
                        if !self.eat_p(",") {
                            break;
                        }
                    }
                    self.expect_p("]")?;
                }
                let with = if self.eat_kw("with") {
                    self.paren_props()?
                } else {
                    vec![]
                };
                Ok(Some(Source::ExternalData {
                    columns,
                    urls,
                    with,
                    span: Span::new(start.start, self.prev_end()),
                }))
            }
            "find" if !self.is_p_at(1, "=") && !self.is_p_at(1, "(") => {
                self.bump();
                Ok(Some(Source::Find(self.find_body()?)))
            }
            "print" if !self.is_p_at(1, "=") && !self.is_p_at(1, "(") => {
                self.bump();
                let columns = self.named_list()?;
                Ok(Some(Source::Print {
                    columns,
                    span: Span::new(start.start, self.prev_end()),
                }))
            }
            "range" if matches!(self.peek_at(1), Tok::Ident(_)) && self.is_kw_at(2, "from") => {
                self.bump();
                let name = self.ident()?;
                self.expect_kw("from")?;
                let from = self.expr()?;
                self.expect_kw("to")?;
                let to = self.expr()?;
                self.expect_kw("step")?;
                let step = self.expr()?;
                Ok(Some(Source::Range {
                    name,
                    from,
                    to,
                    step,
                    span: Span::new(start.start, self.prev_end()),
                }))
            }
            "union" if !self.is_p_at(1, "(") || self.union_paren_is_leg() => {
                self.bump();
                Ok(Some(Source::Union(self.union_body()?)))
            }
            "search" if !self.is_p_at(1, "=") && !self.is_p_at(1, "(") => {
                self.bump();
                Ok(Some(Source::Search(self.search_body()?)))
            }
            "evaluate" if matches!(self.peek_at(1), Tok::Ident(_)) => {
                self.bump();
                Ok(Some(Source::Evaluate(self.evaluate_body()?)))
            }
            _ => Ok(None),
        }
    }

    fn union_paren_is_leg(&self) -> bool {
        true
    }

    /// A literal as `datatable` rows need it: a number, timespan, string, bool, or typed literal
    /// (`long(null)`, `datetime(...)`, `dynamic(...)`), numbers optionally signed.
    fn literal_value(&mut self) -> PResult<Expr> {
        let signed = (self.is_p("-") || self.is_p("+"))
            && matches!(
                self.peek_at(1),
                Tok::Long(_) | Tok::Real(_) | Tok::Timespan(_)
            );
        let ok = match self.peek() {
            Tok::Long(_) | Tok::Real(_) | Tok::Timespan(_) | Tok::Str(_) | Tok::Typed(..) => true,
            Tok::Ident(w) => {
                matches!(w.to_ascii_lowercase().as_str(), "true" | "false") && !self.is_p_at(1, "(")
            }
            _ => signed,
        };
        if !ok {
            return Err(self.err_expected("a literal value"));
        }
        self.unary()
    }

    /// The column list `(a:type, ...)` of datatable and externaldata.
    fn column_decls(&mut self) -> PResult<Vec<(Ident, TypeName)>> {
        self.expect_p("(")?;
        let mut columns = Vec::new();
        while !self.is_p(")") {
            self.check_decl(self.pos)?;
            let c = self.ident()?;
            self.expect_p(":")?;
            columns.push((c, self.type_name()?));
            if !self.eat_p(",") {
                break;
            }
        }
        self.expect_p(")")?;
        Ok(columns)
    }

    /// `find [params] [in (T1, T2*)] where predicate [project a, b | project-smart]`, after
    /// the `find` keyword.
    fn find_body(&mut self) -> PResult<FindOp> {
        let params = self.op_params(&["withsource", "hint.", "kind", "datascope"])?;
        let mut tables = Vec::new();
        if self.is_kw("in") && self.is_p_at(1, "(") {
            self.bump();
            self.bump();
            loop {
                tables.push(self.union_leg()?);
                if !self.eat_p(",") {
                    break;
                }
            }
            self.expect_p(")")?;
        }
        let _ = self.eat_kw("where");
        self.search_mode = true;
        let predicate = self.expr();
        self.search_mode = false;
        let predicate = predicate?;
        let (mut project, mut smart) = (Vec::new(), false);
        if self.is_kw("project-smart")
            || (self.is_kw("project")
                && self.is_p_at(1, "-")
                && self.is_kw_at(2, "smart")
                && self.adjacent(0)
                && self.adjacent(1))
        {
            self.op_name()?;
            smart = true;
        } else if self.eat_kw("project") {
            project = self.patterns()?;
        }
        Ok(FindOp {
            params,
            tables,
            predicate,
            project,
            smart,
        })
    }

    // ---- operators -----------------------------------------------------------------------
    fn op_name(&mut self) -> PResult<(String, Span)> {
        let first = self.ident()?;
        let mut name = first.name;
        let mut span = first.span;
        while self.is_p("-")
            && self.span().start == span.end
            && matches!(self.peek_at(1), Tok::Ident(_))
            && self.adjacent(0)
        {
            self.bump();
            let next = self.ident()?;
            name.push('-');
            name.push_str(&next.name);
            span = span.to(next.span);
        }
        Ok((name, span))
    }

    fn operator(&mut self) -> PResult<Operator> {
        self.enter()?;
        let r = self.operator_inner();
        self.leave();
        r
    }

    fn operator_inner(&mut self) -> PResult<Operator> {
        let (name, nspan) = self.op_name()?;
        let kind = match name.as_str() {
            "where" | "filter" => OperatorKind::Where(self.expr()?),
            "project" if self.at_op_end() => OperatorKind::Project(vec![]),
            "project" => OperatorKind::Project(self.named_list()?),
            "project-by-names" => {
                let mut cols = vec![self.expr()?];
                while self.eat_p(",") {
                    cols.push(self.expr()?);
                }
                OperatorKind::ProjectByNames(cols)
            }
            "project-away" => OperatorKind::ProjectAway(self.patterns()?),
            "project-keep" => OperatorKind::ProjectKeep(self.patterns()?),
            "project-rename" => {
                let mut pairs = Vec::new();
                loop {
                    self.check_decl(self.pos)?;
                    let new = self.ident()?;
                    self.expect_p("=")?;
                    let old = self.ident()?;
                    pairs.push((new, old));
                    if !self.eat_p(",") {
                        break;
                    }
                }
                OperatorKind::ProjectRename(pairs)
            }
            "project-reorder" => {
                let mut items = Vec::new();
                loop {
                    let p = self.pattern()?;
                    let ord = if self.eat_kw("asc") {
                        Some(SortOrderWord::Asc)
                    } else if self.eat_kw("desc") {
                        Some(SortOrderWord::Desc)
                    } else if self.is_kw("granny")
                        && self.is_p_at(1, "-")
                        && self.adjacent(0)
                        && self.adjacent(1)
                    {
                        let (w, _) = self.op_name()?;
                        match w.as_str() {
                            "granny-asc" => Some(SortOrderWord::GranularAsc),
                            "granny-desc" => Some(SortOrderWord::GranularDesc),
                            _ => return Err(self.err_expected("'granny-asc' or 'granny-desc'")),
                        }
                    } else {
                        None
                    };
                    items.push((p, ord));
                    if !self.eat_p(",") {
                        break;
                    }
                }
                OperatorKind::ProjectReorder(items)
            }
            "extend" => OperatorKind::Extend(self.named_list()?),
            "summarize" => {
                let params = self.op_params(&["hint."])?;
                let aggs = if self.is_kw("by") || self.at_op_end() {
                    vec![]
                } else {
                    self.named_list_until(&["by"])?
                };
                let by = if self.eat_kw("by") {
                    self.named_list()?
                } else {
                    vec![]
                };
                OperatorKind::Summarize { params, aggs, by }
            }
            "count" => {
                let name = if self.eat_kw("as") {
                    Some(self.ident()?)
                } else {
                    None
                };
                OperatorKind::Count { name }
            }
            "distinct" => {
                let mut items = Vec::new();
                loop {
                    if self.eat_p("*") {
                        items.push(DistinctItem::Star);
                    } else {
                        items.push(DistinctItem::Expr(self.named_expr()?));
                    }
                    if !self.eat_p(",") {
                        break;
                    }
                }
                OperatorKind::Distinct(items)
            }
            "take" | "limit" => {
                let _ = self.op_params(&["hint."])?;
                OperatorKind::Take(self.expr()?)
            }
            "top" => {
                let count = self.expr()?;
                self.expect_kw("by")?;
                let by = self.sort_key()?;
                OperatorKind::Top { count, by }
            }
            "sort" | "order" => {
                self.expect_kw("by")?;
                let mut keys = vec![self.sort_key()?];
                while self.eat_p(",") {
                    keys.push(self.sort_key()?);
                }
                OperatorKind::Sort(keys)
            }
            "join" => {
                let params = self.op_params(&["kind", "hint.", "withsource"])?;
                let right = self.join_right()?;
                let on = self.join_on()?;
                OperatorKind::Join(JoinOp { params, right, on })
            }
            "lookup" => {
                let params = self.op_params(&["kind", "hint."])?;
                let right = self.join_right()?;
                let on = self.join_on()?;
                OperatorKind::Lookup(LookupOp { params, right, on })
            }
            "union" => OperatorKind::Union(self.union_body()?),
            "mv-expand" | "mvexpand" => {
                let (params, items, limit, with_itemindex) = self.mv_items()?;
                OperatorKind::MvExpand(MvExpandOp {
                    params,
                    items,
                    limit,
                    with_itemindex,
                })
            }
            "mv-apply" | "mvapply" => {
                let (params, items, limit, with_itemindex) = self.mv_items()?;
                self.expect_kw("on")?;
                self.expect_p("(")?;
                let mut on = Vec::new();
                if !self.is_p(")") {
                    let _ = self.eat_p("|");
                    on.push(self.operator()?);
                    while self.eat_p("|") {
                        on.push(self.operator()?);
                    }
                }
                self.expect_p(")")?;
                OperatorKind::MvApply(MvApplyOp {
                    params,
                    items,
                    limit,
                    with_itemindex,
                    on,
                })
            }
            "parse" | "parse-where" => {
                let params = self.op_params(&["kind", "flags"])?;
                let source = self.expr()?;
                self.expect_kw("with")?;
                let mut pattern = Vec::new();
                loop {
                    match self.peek().clone() {
                        Tok::Str(s) => {
                            self.bump();
                            let mut s = s;
                            while let Tok::Str(more) = self.peek().clone() {
                                self.bump();
                                s.push_str(&more);
                            }
                            pattern.push(ParsePart::Literal(s));
                        }
                        Tok::P("*") => {
                            self.bump();
                            pattern.push(ParsePart::Star);
                        }
                        Tok::Ident(_) | Tok::QuotedIdent(_) => {
                            self.check_decl(self.pos)?;
                            let name = self.ident()?;
                            let ty = if self.eat_p(":") {
                                Some(self.type_name()?)
                            } else {
                                None
                            };
                            pattern.push(ParsePart::Column { name, ty });
                        }
                        _ => break,
                    }
                }
                OperatorKind::Parse(ParseOp {
                    where_: name == "parse-where",
                    params,
                    source,
                    pattern,
                })
            }
            "parse-kv" => {
                let source = self.expr()?;
                self.expect_kw("as")?;
                self.expect_p("(")?;
                let mut columns = Vec::new();
                while !self.is_p(")") {
                    let c = self.ident()?;
                    self.expect_p(":")?;
                    columns.push((c, self.type_name()?));
                    if !self.eat_p(",") {
                        break;
                    }
                }
                self.expect_p(")")?;
                let with = if self.eat_kw("with") {
                    self.paren_props()?
                } else {
                    Vec::new()
                };
                OperatorKind::ParseKv(ParseKvOp {
                    source,
                    columns,
                    with,
                })
            }
            "make-series" => self.make_series()?,
            "serialize" => {
                let items = if self.at_op_end() {
                    vec![]
                } else {
                    self.named_list()?
                };
                OperatorKind::Serialize(items)
            }
            "as" => {
                let params = self.op_params(&["hint."])?;
                let name = self.ident()?;
                OperatorKind::As { name, params }
            }
            "invoke" => OperatorKind::Invoke(self.expr()?),
            "getschema" => OperatorKind::GetSchema,
            "sample" => OperatorKind::Sample(self.expr()?),
            "sample-distinct" => {
                let count = self.expr()?;
                self.expect_kw("of")?;
                OperatorKind::SampleDistinct {
                    count,
                    column: self.expr()?,
                }
            }
            "search" => OperatorKind::Search(self.search_body()?),
            "evaluate" => OperatorKind::Evaluate(self.evaluate_body()?),
            "render" => {
                let chart = self.ident()?.name;
                let props = if self.eat_kw("with") {
                    self.paren_props()?
                } else {
                    let mut props = Vec::new();
                    while matches!(self.peek(), Tok::Ident(_)) && self.is_p_at(1, "=") {
                        props.push(self.prop()?);
                    }
                    props
                };
                OperatorKind::Render { chart, props }
            }
            "consume" => {
                let _ = self.op_params(&["decodeblocks", "hint."])?;
                OperatorKind::Consume
            }
            "find" => OperatorKind::Find(self.find_body()?),
            "scan" => OperatorKind::Scan(self.scan_body()?),
            "facet" => {
                self.expect_kw("by")?;
                self.patterns()?;
                if self.eat_kw("with") {
                    self.expect_p("(")?;
                    self.sub_pipeline()?;
                    self.expect_p(")")?;
                }
                OperatorKind::Unsupported { name }
            }
            "fork" => {
                loop {
                    if matches!(self.peek(), Tok::Ident(_)) && self.is_p_at(1, "=") {
                        self.check_decl(self.pos)?;
                        self.bump();
                        self.bump();
                    }
                    self.expect_p("(")?;
                    self.sub_pipeline()?;
                    self.expect_p(")")?;
                    let named = matches!(self.peek(), Tok::Ident(_)) && self.is_p_at(1, "=");
                    if !self.is_p("(") && !named {
                        break;
                    }
                }
                OperatorKind::Unsupported { name }
            }
            "partition" => {
                let _ = self.op_params(&["hint."])?;
                self.expect_kw("by")?;
                self.check_ref(self.pos)?;
                self.ident()?;
                let _ = self.op_params(&["hint."])?;
                if self.eat_p("{") {
                    self.tabular()?;
                    self.expect_p("}")?;
                } else {
                    self.expect_p("(")?;
                    self.sub_pipeline()?;
                    self.expect_p(")")?;
                }
                OperatorKind::Unsupported { name }
            }
            "reduce" => {
                let _ = self.op_params(&["kind", "hint."])?;
                self.expect_kw("by")?;
                self.expr()?;
                if self.eat_kw("with") {
                    loop {
                        self.prop()?;
                        if !self.eat_p(",") {
                            break;
                        }
                    }
                }
                OperatorKind::Unsupported { name }
            }
            "assert-schema" => {
                self.column_decls()?;
                OperatorKind::Unsupported { name }
            }
            "macro-expand" => {
                let _ = self.op_params(&["force_remote", "hint."])?;
                if self.eat_kw("entity_group") {
                    self.expect_p("[")?;
                    while !self.is_p("]") {
                        self.expr()?;
                        if !self.eat_p(",") {
                            break;
                        }
                    }
                    self.expect_p("]")?;
                } else {
                    self.expr()?;
                }
                self.expect_kw("as")?;
                self.ident()?;
                self.expect_p("(")?;
                self.tabular()?;
                self.expect_p(")")?;
                OperatorKind::Unsupported { name }
            }
            "top-nested" => self.top_nested()?,
            "top-hitters" => {
                let count = self.expr()?;
                self.expect_kw("of")?;
                let of = self.expr()?;
                let by = if self.eat_kw("by") {
                    Some(self.expr()?)
                } else {
                    None
                };
                OperatorKind::TopHitters { count, of, by }
            }
            "make-graph"
            | "graph-match"
            | "graph-to-table"
            | "graph-shortest-paths"
            | "graph-mark-components"
            | "graph-where-nodes"
            | "graph-where-edges" => {
                // Graph syntax (`(a)-[e*1..3]->(b)`) is checked for balanced brackets only.
                self.skip_to_op_end();
                OperatorKind::Unsupported { name }
            }
            "execute-and-cache" => {
                self.skip_to_op_end();
                OperatorKind::Unsupported { name }
            }
            _ => {
                return Err(Diagnostic::new(
                    format!("unknown tabular operator '{name}'"),
                    nspan,
                ));
            }
        };
        Ok(Operator {
            kind,
            span: Span::new(nspan.start, self.prev_end()),
        })
    }

    /// After an opening bracket: skips to the matching `close` and consumes it.
    fn skip_balanced(&mut self, close: &'static str) -> PResult<()> {
        let mut stack: Vec<&'static str> = vec![close];
        while let Some(&want) = stack.last() {
            match self.peek() {
                Tok::Eof => return Err(self.err_expected(&format!("'{want}'"))),
                Tok::P("(") => stack.push(")"),
                Tok::P("[") => stack.push("]"),
                Tok::P("{") => stack.push("}"),
                Tok::P(p @ (")" | "]" | "}")) => {
                    if *p != want {
                        return Err(self.err_expected(&format!("'{want}'")));
                    }
                    stack.pop();
                }
                _ => {}
            }
            self.bump();
        }
        Ok(())
    }

    fn at_op_end(&self) -> bool {
        self.is_p("|")
            || self.is_p(";")
            || self.is_p(")")
            || self.is_p("}")
            || matches!(self.peek(), Tok::Eof)
    }

    /// Skips an operator's remaining tokens (balanced parentheses) up to the next `|`.
    fn skip_to_op_end(&mut self) {
        let mut depth = 0i32;
        loop {
            match self.peek() {
                Tok::Eof => break,
                Tok::P("(") | Tok::P("[") | Tok::P("{") => depth += 1,
                Tok::P(")") | Tok::P("]") | Tok::P("}") => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                }
                Tok::P("|") | Tok::P(";") if depth == 0 => break,
                _ => {}
            }
            self.bump();
        }
    }

    /// `name=value` operator parameters whose names start with one of `prefixes`.
    fn op_params(&mut self, prefixes: &[&str]) -> PResult<Vec<OpParam>> {
        let mut out = Vec::new();
        while let Tok::Ident(first) = self.peek().clone() {
            // name, possibly dotted: hint.strategy
            let mut k = 1;
            let mut name = first.clone();
            while self.is_p_at(k, ".") && matches!(self.peek_at(k + 1), Tok::Ident(_)) {
                if let Tok::Ident(n) = self.peek_at(k + 1) {
                    name.push('.');
                    name.push_str(n);
                }
                k += 2;
            }
            if !self.is_p_at(k, "=") {
                break;
            }
            let lname = name.to_ascii_lowercase();
            if !prefixes.iter().any(|p| {
                if p.ends_with('.') {
                    lname.starts_with(p)
                } else {
                    lname == *p
                }
            }) {
                break;
            }
            let start = self.span();
            for _ in 0..=k {
                self.bump();
            }
            let value = self.param_value()?;
            out.push(OpParam {
                name,
                span: start.to(value.span),
                value,
            });
        }
        Ok(out)
    }

    /// A parameter value: one name or literal token (`kind=inner`, `isfuzzy=true`).
    fn param_value(&mut self) -> PResult<Expr> {
        let sp = self.span();
        let kind = match self.peek().clone() {
            Tok::Ident(n) => match n.to_ascii_lowercase().as_str() {
                "true" => ExprKind::Literal(Literal::Bool(true)),
                "false" => ExprKind::Literal(Literal::Bool(false)),
                _ => ExprKind::Name(n),
            },
            Tok::Str(s) => ExprKind::Literal(Literal::String(s)),
            Tok::Long(v) => ExprKind::Literal(Literal::Long(v)),
            Tok::Real(v) => ExprKind::Literal(Literal::Real(v)),
            _ => return Err(self.err_expected("a parameter value")),
        };
        self.bump();
        Ok(Expr { kind, span: sp })
    }

    fn patterns(&mut self) -> PResult<Vec<ColumnPattern>> {
        let mut out = Vec::new();
        loop {
            out.push(self.pattern()?);
            if !self.eat_p(",") {
                break;
            }
        }
        Ok(out)
    }

    /// A column name with optional `*` wildcards (`Prop*`, `*Id`, `*`).
    fn pattern(&mut self) -> PResult<ColumnPattern> {
        let start = self.span();
        let mut text = String::new();
        let mut first = true;
        loop {
            if !first && (self.span().start != self.prev_end()) {
                break;
            }
            match self.peek().clone() {
                Tok::P("*") => {
                    self.bump();
                    text.push('*');
                }
                Tok::Ident(n) | Tok::QuotedIdent(n) => {
                    self.bump();
                    text.push_str(&n);
                }
                Tok::Typed(t, raw) if raw.is_empty() => {
                    self.bump();
                    text.push_str(&t);
                }
                _ => break,
            }
            first = false;
        }
        if text.is_empty() {
            return Err(self.err_expected("a column name"));
        }
        Ok(ColumnPattern {
            pattern: text,
            span: Span::new(start.start, self.prev_end()),
        })
    }

    fn sort_key(&mut self) -> PResult<SortKey> {
        let expr = self.expr()?;
        let ascending = if self.eat_kw("asc") {
            Some(true)
        } else if self.eat_kw("desc") {
            Some(false)
        } else {
            None
        };
        let nulls_first = if self.eat_kw("nulls") {
            if self.eat_kw("first") {
                Some(true)
            } else {
                self.expect_kw("last")?;
                Some(false)
            }
        } else {
            None
        };
        Ok(SortKey {
            expr,
            ascending,
            nulls_first,
        })
    }

    fn join_right(&mut self) -> PResult<TabularExpr> {
        if self.is_p("(") {
            self.bump();
            let t = self.tabular()?;
            self.expect_p(")")?;
            Ok(t)
        } else {
            let e = self.postfix()?;
            Ok(TabularExpr {
                span: e.span,
                source: Source::Expr(e),
                ops: vec![],
            })
        }
    }

    fn join_on(&mut self) -> PResult<Vec<JoinCondition>> {
        let mut on = Vec::new();
        if !self.eat_kw("on") {
            return Ok(on);
        }
        loop {
            let e = self.expr()?;
            on.push(match e.kind {
                ExprKind::Name(n) => JoinCondition::Column(Ident {
                    name: n,
                    span: e.span,
                }),
                _ => JoinCondition::Expr(e),
            });
            if !self.eat_p(",") {
                break;
            }
        }
        Ok(on)
    }

    fn union_body(&mut self) -> PResult<UnionOp> {
        let params = self.op_params(&["kind", "withsource", "isfuzzy", "hint."])?;
        let mut tables = Vec::new();
        loop {
            tables.push(self.union_leg()?);
            if !self.eat_p(",") {
                break;
            }
        }
        Ok(UnionOp { params, tables })
    }

    /// One table of `union`/`find`: `(subquery)`, `f(...)` or `database("d").T`, or a name
    /// pattern such as `Signin*`.
    fn union_leg(&mut self) -> PResult<UnionLeg> {
        if self.is_p("(") {
            self.bump();
            let t = self.tabular()?;
            self.expect_p(")")?;
            Ok(UnionLeg::Tabular(t))
        } else if matches!(self.peek(), Tok::Ident(_) | Tok::QuotedIdent(_))
            && (self.is_p_at(1, "(") || self.is_p_at(1, "."))
        {
            let e = self.postfix()?;
            Ok(UnionLeg::Tabular(TabularExpr {
                span: e.span,
                source: Source::Expr(e),
                ops: vec![],
            }))
        } else {
            Ok(UnionLeg::Pattern(self.pattern()?))
        }
    }

    /// `(name = value, ...)`: the properties of `render ... with`, `externaldata ... with`,
    /// `parse-kv ... with`.
    fn paren_props(&mut self) -> PResult<Vec<OpParam>> {
        self.expect_p("(")?;
        let mut out = Vec::new();
        while !self.is_p(")") {
            out.push(self.prop()?);
            // `ycolumns=a, b`: further names continue the value list.
            while self.is_p(",") && !self.is_p_at(2, "=") && !self.is_p_at(1, ")") {
                self.bump();
                self.expr()?;
            }
            if !self.eat_p(",") {
                break;
            }
        }
        self.expect_p(")")?;
        Ok(out)
    }

    /// `name = value` where the value may be a list of names (`ycolumns=a, b`).
    fn prop(&mut self) -> PResult<OpParam> {
        let n = self.ident()?;
        self.expect_p("=")?;
        let v = self.expr()?;
        Ok(OpParam {
            name: n.name,
            span: n.span.to(v.span),
            value: v,
        })
    }

    fn search_body(&mut self) -> PResult<SearchOp> {
        let params = self.op_params(&["kind", "hint."])?;
        let mut tables = Vec::new();
        if self.is_kw("in") && self.is_p_at(1, "(") {
            self.bump();
            self.bump();
            while !self.is_p(")") {
                tables.push(self.pattern()?);
                if !self.eat_p(",") {
                    break;
                }
            }
            self.expect_p(")")?;
        }
        self.search_mode = true;
        let predicate = self.expr();
        self.search_mode = false;
        Ok(SearchOp {
            params,
            tables,
            predicate: predicate?,
        })
    }

    fn evaluate_body(&mut self) -> PResult<EvaluateOp> {
        let params = self.op_params(&["hint."])?;
        let plugin = self.ident()?;
        self.expect_p("(")?;
        let args = self.call_args()?;
        let schema = if self.eat_p(":") {
            self.expect_p("(")?;
            let mut cols = Vec::new();
            let mut open = false;
            while !self.is_p(")") {
                if self.eat_p("*") {
                    open = true;
                } else {
                    let c = self.ident()?;
                    self.expect_p(":")?;
                    cols.push((c, self.type_name()?));
                }
                if !self.eat_p(",") {
                    break;
                }
            }
            self.expect_p(")")?;
            Some((cols, open))
        } else {
            None
        };
        Ok(EvaluateOp {
            params,
            plugin,
            args,
            schema,
        })
    }

    #[allow(clippy::type_complexity)]
    fn mv_items(
        &mut self,
    ) -> PResult<(Vec<OpParam>, Vec<MvExpandItem>, Option<Expr>, Option<Ident>)> {
        let mut params = self.op_params(&["bagexpansion", "kind", "hint.", "with_itemindex"])?;
        let mut with_itemindex = None;
        params.retain(|p| {
            if p.name == "with_itemindex" {
                if let ExprKind::Name(n) = &p.value.kind {
                    with_itemindex = Some(Ident {
                        name: n.clone(),
                        span: p.value.span,
                    });
                }
                false
            } else {
                true
            }
        });
        let mut items = Vec::new();
        loop {
            let expr = self.named_expr()?;
            let to_type = if self.eat_kw("to") {
                match self.bump().tok {
                    Tok::Typed(t, raw) if t == "typeof" => Some(TypeName {
                        name: raw,
                        span: self.toks[self.pos - 1].span,
                    }),
                    _ => return Err(self.err_expected("typeof(type)")),
                }
            } else {
                None
            };
            items.push(MvExpandItem { expr, to_type });
            if !self.eat_p(",") {
                break;
            }
        }
        let limit = if self.eat_kw("limit") {
            Some(self.expr()?)
        } else {
            None
        };
        Ok((params, items, limit, with_itemindex))
    }

    /// Operators applied to an implicit input, as in `fork (where x > 1 | take 3)`.
    fn sub_pipeline(&mut self) -> PResult<Vec<Operator>> {
        let mut ops = vec![self.operator()?];
        while self.eat_p("|") {
            ops.push(self.operator()?);
        }
        Ok(ops)
    }

    /// `scan [with_match_id=m] [order by k] [partition by c] [declare (v:t = d, ...)]
    /// with (step name [output=all|last|none]: condition [=> v = e, ...]; ...)`
    fn scan_body(&mut self) -> PResult<ScanOp> {
        let params = self.op_params(&["with_match_id", "hint."])?;
        let mut order = Vec::new();
        let mut partition = Vec::new();
        if self.is_kw("order") && self.is_kw_at(1, "by") {
            self.bump();
            self.bump();
            order.push(self.sort_key()?);
            while self.eat_p(",") {
                order.push(self.sort_key()?);
            }
        }
        if self.is_kw("partition") && self.is_kw_at(1, "by") {
            self.bump();
            self.bump();
            partition.push(self.expr()?);
            while self.eat_p(",") {
                partition.push(self.expr()?);
            }
        }
        let declare = if self.eat_kw("declare") {
            self.expect_p("(")?;
            let p = self.params(")")?;
            self.expect_p(")")?;
            p
        } else {
            Vec::new()
        };
        self.expect_kw("with")?;
        self.expect_p("(")?;
        let mut steps = Vec::new();
        while self.eat_kw("step") {
            let name = self.ident()?;
            let optional = self.eat_kw("optional");
            let _ = self.op_params(&["output"])?;
            self.expect_p(":")?;
            let condition = self.expr()?;
            let mut assignments = Vec::new();
            if self.eat_p("=>") {
                loop {
                    let n = self.ident()?;
                    self.expect_p("=")?;
                    assignments.push((n, self.expr()?));
                    if !self.eat_p(",") {
                        break;
                    }
                }
            }
            self.expect_p(";")?;
            steps.push(ScanStep {
                name,
                optional,
                condition,
                assignments,
            });
        }
        if steps.is_empty() {
            return Err(self.err_expected("'step'"));
        }
        self.expect_p(")")?;
        Ok(ScanOp {
            params,
            order,
            partition,
            declare,
            steps,
        })
    }

    fn make_series(&mut self) -> PResult<OperatorKind> {
        let params = self.op_params(&["kind", "hint."])?;
        let mut aggs = Vec::new();
        loop {
            let ne = self.named_expr()?;
            let default = if self.is_kw("default") && self.is_p_at(1, "=") {
                self.bump();
                self.bump();
                Some(self.expr()?)
            } else {
                None
            };
            aggs.push((ne, default));
            if !self.eat_p(",") {
                break;
            }
        }
        self.expect_kw("on")?;
        // `on t in range(...)`: the axis is a plain term, so `in` is not the set operator.
        let on = self.add_expr()?;
        let (mut from, mut to) = (None, None);
        let step;
        if self.eat_kw("in") {
            // in range(start, end, step)
            let r = self.expr()?;
            match r.kind {
                ExprKind::Call { args, .. } if args.len() == 3 => {
                    let mut it = args.into_iter();
                    from = it.next();
                    to = it.next();
                    step = it
                        .next()
                        .ok_or_else(|| self.err_expected("range(start, end, step)"))?;
                }
                _ => return Err(Diagnostic::new("expected range(start, end, step)", r.span)),
            }
        } else {
            if self.eat_kw("from") {
                from = Some(self.expr()?);
            }
            if self.eat_kw("to") {
                to = Some(self.expr()?);
            }
            self.expect_kw("step")?;
            step = self.expr()?;
        }
        let by = if self.eat_kw("by") {
            self.named_list()?
        } else {
            vec![]
        };
        Ok(OperatorKind::MakeSeries(MakeSeriesOp {
            params,
            aggs,
            on,
            from,
            to,
            step,
            by,
        }))
    }

    fn top_nested(&mut self) -> PResult<OperatorKind> {
        let mut levels = Vec::new();
        loop {
            let start = self.span();
            let count = if self.is_kw("of") {
                None
            } else {
                Some(self.expr()?)
            };
            self.expect_kw("of")?;
            let of = self.named_expr()?;
            let others = if self.eat_kw("with") {
                self.expect_kw("others")?;
                self.expect_p("=")?;
                Some(self.expr()?)
            } else {
                None
            };
            self.expect_kw("by")?;
            let by = self.named_expr()?;
            let ascending = if self.eat_kw("asc") {
                Some(true)
            } else if self.eat_kw("desc") {
                Some(false)
            } else {
                None
            };
            levels.push(TopNestedLevel {
                count,
                of,
                others,
                by,
                ascending,
                span: Span::new(start.start, self.prev_end()),
            });
            if self.is_p(",") && self.is_kw_at(1, "top") {
                self.bump();
                let _ = self.op_name()?;
                continue;
            }
            break;
        }
        Ok(OperatorKind::TopNested(levels))
    }

    fn named_list(&mut self) -> PResult<Vec<NamedExpr>> {
        self.named_list_until(&[])
    }

    fn named_list_until(&mut self, stop: &[&str]) -> PResult<Vec<NamedExpr>> {
        let mut out = Vec::new();
        loop {
            if stop.iter().any(|s| self.is_kw(s)) {
                break;
            }
            out.push(self.named_expr()?);
            if !self.eat_p(",") {
                break;
            }
        }
        Ok(out)
    }

    fn named_expr(&mut self) -> PResult<NamedExpr> {
        let start = self.span();
        // (a, b) = expr
        if self.is_p("(") {
            let save = self.pos;
            self.bump();
            let mut names = Vec::new();
            let mut ok = true;
            loop {
                match self.ident() {
                    Ok(i) => names.push(i),
                    Err(_) => {
                        ok = false;
                        break;
                    }
                }
                if !self.eat_p(",") {
                    break;
                }
            }
            if ok && self.eat_p(")") && self.is_p("=") && !self.is_p("==") {
                for k in save + 1..self.pos {
                    self.check_decl(k)?;
                }
                self.bump();
                let expr = self.expr()?;
                return Ok(NamedExpr {
                    names,
                    span: start.to(expr.span),
                    expr,
                });
            }
            self.pos = save;
        }
        if matches!(self.peek(), Tok::Ident(_) | Tok::QuotedIdent(_)) && self.is_p_at(1, "=") {
            self.check_decl(self.pos)?;
            let name = self.ident()?;
            self.bump();
            let expr = self.expr()?;
            return Ok(NamedExpr {
                names: vec![name],
                span: start.to(expr.span),
                expr,
            });
        }
        let expr = self.expr()?;
        Ok(NamedExpr {
            names: vec![],
            span: expr.span,
            expr,
        })
    }

    // ---- expressions ---------------------------------------------------------------------
    pub fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.or_expr();
        self.leave();
        r
    }

    fn or_expr(&mut self) -> PResult<Expr> {
        let mut l = self.and_expr()?;
        while self.is_kw("or") {
            self.bump();
            let r = self.and_expr()?;
            l = bin(BinaryOp::Or, l, r);
        }
        Ok(l)
    }

    fn and_expr(&mut self) -> PResult<Expr> {
        let mut l = self.cmp_expr()?;
        while self.is_kw("and") {
            self.bump();
            let r = self.cmp_expr()?;
            l = bin(BinaryOp::And, l, r);
        }
        Ok(l)
    }

    /// A string operator word: its kind, whether it is case-sensitive, whether it is negated
    /// by spelling (`notcontains`).
    fn str_op_kind(word: &str) -> Option<(StrOpKind, bool, bool)> {
        match word {
            "containscs" => return Some((StrOpKind::Contains, true, false)),
            "notcontains" => return Some((StrOpKind::Contains, false, true)),
            "notcontainscs" => return Some((StrOpKind::Contains, true, true)),
            _ => {}
        }
        let (base, cs) = match word.strip_suffix("_cs") {
            Some(b) => (b, true),
            None => (word, false),
        };
        let k = match base {
            "has" => StrOpKind::Has,
            "hasprefix" => StrOpKind::HasPrefix,
            "hassuffix" => StrOpKind::HasSuffix,
            "contains" => StrOpKind::Contains,
            "startswith" => StrOpKind::StartsWith,
            "endswith" => StrOpKind::EndsWith,
            _ => return None,
        };
        Some((k, cs, false))
    }

    fn cmp_expr(&mut self) -> PResult<Expr> {
        let mut l = self.add_expr()?;
        loop {
            let (negated, k) =
                if self.is_p("!") && matches!(self.peek_at(1), Tok::Ident(_)) && self.adjacent(0) {
                    (true, 1)
                } else {
                    (false, 0)
                };
            let op = match self.peek_at(k).clone() {
                Tok::P("==") if !negated => Some(BinaryOp::Eq),
                Tok::P("!=") | Tok::P("<>") if !negated => Some(BinaryOp::NotEq),
                Tok::P("<") if !negated => Some(BinaryOp::Lt),
                Tok::P("<=") if !negated => Some(BinaryOp::LtEq),
                Tok::P(">") if !negated => Some(BinaryOp::Gt),
                Tok::P(">=") if !negated => Some(BinaryOp::GtEq),
                Tok::P("=~") if !negated => Some(BinaryOp::EqCi),
                Tok::P(":") if !negated && self.search_mode => Some(BinaryOp::Str(StrOp {
                    kind: StrOpKind::Has,
                    case_sensitive: false,
                    negated: false,
                })),
                Tok::P("!~") if !negated => Some(BinaryOp::NotEqCi),
                Tok::Ident(w) => {
                    if let Some((kind, cs, not)) = Self::str_op_kind(&w)
                        && !(negated && not)
                    {
                        Some(BinaryOp::Str(StrOp {
                            kind,
                            case_sensitive: cs,
                            negated: negated || not,
                        }))
                    } else if w == "matches" && !negated && self.is_kw_at(k + 1, "regex") {
                        self.bump();
                        Some(BinaryOp::Str(StrOp {
                            kind: StrOpKind::MatchesRegex,
                            case_sensitive: true,
                            negated: false,
                        }))
                    } else if w == "in" || ((w == "has_any" || w == "has_all") && !negated) {
                        for _ in 0..=k {
                            self.bump();
                        }
                        let ci =
                            w == "in" && self.is_p("~") && self.span().start == self.prev_end();
                        if ci {
                            self.bump();
                        }
                        let op = match (w.as_str(), negated, ci) {
                            ("in", false, false) => InOp::In,
                            ("in", true, false) => InOp::NotIn,
                            ("in", false, true) => InOp::InCi,
                            ("in", true, true) => InOp::NotInCi,
                            ("has_any", false, _) => InOp::HasAny,
                            ("has_all", false, _) => InOp::HasAll,
                            _ => return Err(self.err_expected("an operator")),
                        };
                        let list = self.in_list()?;
                        let span = Span::new(l.span.start, self.prev_end());
                        l = Expr {
                            kind: ExprKind::In {
                                expr: Box::new(l),
                                op,
                                list,
                            },
                            span,
                        };
                        break;
                    } else if w == "between" {
                        for _ in 0..=k {
                            self.bump();
                        }
                        self.expect_p("(")?;
                        let low = self.add_expr()?;
                        self.expect_p("..")?;
                        let high = self.add_expr()?;
                        self.expect_p(")")?;
                        let span = Span::new(l.span.start, self.prev_end());
                        l = Expr {
                            kind: ExprKind::Between {
                                expr: Box::new(l),
                                low: Box::new(low),
                                high: Box::new(high),
                                negated,
                            },
                            span,
                        };
                        break;
                    } else {
                        None
                    }
                }
                _ => None,
            };
            let Some(op) = op else {
                if negated {
                    return Err(self.err_expected("an operator after '!'"));
                }
                break;
            };
            for _ in 0..=k {
                self.bump();
            }
            let r = self.add_expr()?;
            // Comparisons do not chain (`1 < 2 < 3` is an error); string operators do.
            let chains = matches!(op, BinaryOp::Str(_));
            l = bin(op, l, r);
            if !chains {
                break;
            }
        }
        Ok(l)
    }

    fn in_list(&mut self) -> PResult<InList> {
        self.expect_p("(")?;
        let mut items = Vec::new();
        while !self.is_p(")") {
            match self.piped()? {
                Piped::Tabular(t) => {
                    self.expect_p(")")?;
                    return Ok(InList::Tabular(Box::new(t)));
                }
                Piped::Scalar(e) => match e.kind {
                    ExprKind::Tabular(t) if items.is_empty() && self.is_p(")") => {
                        self.bump();
                        return Ok(InList::Tabular(t));
                    }
                    _ => items.push(e),
                },
            }
            if !self.eat_p(",") {
                break;
            }
            if self.is_p(")") {
                return Err(self.err_expected("an expression"));
            }
        }
        self.expect_p(")")?;
        Ok(InList::Exprs(items))
    }

    fn add_expr(&mut self) -> PResult<Expr> {
        let mut l = self.mul_expr()?;
        loop {
            let op = if self.is_p("+") {
                BinaryOp::Add
            } else if self.is_p("-") {
                BinaryOp::Sub
            } else {
                break;
            };
            self.bump();
            let r = self.mul_expr()?;
            l = bin(op, l, r);
        }
        Ok(l)
    }

    fn mul_expr(&mut self) -> PResult<Expr> {
        let mut l = self.unary()?;
        loop {
            let op = if self.is_p("*") {
                BinaryOp::Mul
            } else if self.is_p("/") {
                BinaryOp::Div
            } else if self.is_p("%") {
                BinaryOp::Mod
            } else {
                break;
            };
            self.bump();
            let r = self.unary()?;
            l = bin(op, l, r);
        }
        Ok(l)
    }

    fn unary(&mut self) -> PResult<Expr> {
        let start = self.span();
        // KQL has no `!x` (it is `not(x)`), and signs do not stack (`- -x` is an error).
        let op = if self.is_p("-") {
            UnaryOp::Neg
        } else if self.is_p("+") {
            UnaryOp::Plus
        } else {
            return self.postfix();
        };
        self.bump();
        let inner = self.postfix()?;
        // Fold negative numeric literals.
        if op == UnaryOp::Neg {
            match inner.kind {
                ExprKind::Literal(Literal::Long(v)) => {
                    return Ok(Expr {
                        kind: ExprKind::Literal(Literal::Long(v.wrapping_neg())),
                        span: start.to(inner.span),
                    });
                }
                ExprKind::Literal(Literal::Real(v)) => {
                    return Ok(Expr {
                        kind: ExprKind::Literal(Literal::Real(-v)),
                        span: start.to(inner.span),
                    });
                }
                ExprKind::Literal(Literal::Timespan(v)) => {
                    return Ok(Expr {
                        kind: ExprKind::Literal(Literal::Timespan(-v)),
                        span: start.to(inner.span),
                    });
                }
                _ => {}
            }
        }
        let span = start.to(inner.span);
        Ok(Expr {
            kind: ExprKind::Unary(op, Box::new(inner)),
            span,
        })
    }

    fn postfix(&mut self) -> PResult<Expr> {
        let mut e = self.primary()?;
        loop {
            if self.is_p(".") && !self.is_p_at(1, ".") {
                self.bump();
                self.check_ref(self.pos)?;
                let f = match self.peek().clone() {
                    Tok::Ident(n) | Tok::QuotedIdent(n) => Ident {
                        name: n,
                        span: self.bump().span,
                    },
                    Tok::Typed(t, raw) if raw.is_empty() => Ident {
                        name: t,
                        span: self.bump().span,
                    },
                    _ => return Err(self.err_expected("a member name after '.'")),
                };
                if self.is_p("(") {
                    // `cluster("c").database("d")`, `s.f(x)`
                    self.bump();
                    let args = self.call_args()?;
                    let span = Span::new(e.span.start, self.prev_end());
                    e = Expr {
                        kind: ExprKind::MethodCall {
                            target: Box::new(e),
                            name: f,
                            args,
                        },
                        span,
                    };
                    continue;
                }
                let span = e.span.to(f.span);
                e = Expr {
                    kind: ExprKind::Member(Box::new(e), f),
                    span,
                };
            } else if let Tok::QuotedIdent(k) = self.peek().clone() {
                let sp = self.bump().span;
                let key = Expr {
                    kind: ExprKind::Literal(Literal::String(k)),
                    span: sp,
                };
                let span = e.span.to(sp);
                e = Expr {
                    kind: ExprKind::Index(Box::new(e), Box::new(key)),
                    span,
                };
            } else if self.is_p("[") {
                self.bump();
                let idx = self.expr()?;
                self.expect_p("]")?;
                let span = Span::new(e.span.start, self.prev_end());
                e = Expr {
                    kind: ExprKind::Index(Box::new(e), Box::new(idx)),
                    span,
                };
            } else {
                break;
            }
        }
        Ok(e)
    }

    fn call_args(&mut self) -> PResult<Vec<Expr>> {
        let mut args = Vec::new();
        while !self.is_p(")") {
            if self.is_p("*") && (self.is_p_at(1, ")") || self.is_p_at(1, ",")) {
                let sp = self.bump().span;
                args.push(Expr {
                    kind: ExprKind::Star,
                    span: sp,
                });
            } else if matches!(self.peek(), Tok::Ident(_)) && self.is_p_at(1, "=") {
                let n = self.ident()?;
                self.bump();
                let v = self.expr()?;
                let span = n.span.to(v.span);
                args.push(Expr {
                    kind: ExprKind::NamedArg(n, Box::new(v)),
                    span,
                });
            } else {
                match self.piped()? {
                    Piped::Scalar(e) => args.push(e),
                    Piped::Tabular(t) => {
                        let span = t.span;
                        args.push(Expr {
                            kind: ExprKind::Tabular(Box::new(t)),
                            span,
                        });
                    }
                }
            }
            if !self.eat_p(",") {
                break;
            }
            if self.is_p(")") {
                return Err(self.err_expected("an expression"));
            }
        }
        self.expect_p(")")?;
        Ok(args)
    }

    fn primary(&mut self) -> PResult<Expr> {
        let t = self.peek().clone();
        let start = self.span();
        let lit = |k: Literal, s: Span| Expr {
            kind: ExprKind::Literal(k),
            span: s,
        };
        match t {
            Tok::Long(v) => {
                self.bump();
                Ok(lit(Literal::Long(v), start))
            }
            Tok::Real(v) => {
                self.bump();
                Ok(lit(Literal::Real(v), start))
            }
            Tok::Timespan(v) => {
                self.bump();
                Ok(lit(Literal::Timespan(v), start))
            }
            Tok::Str(s) => {
                self.bump();
                let mut s = s;
                while let Tok::Str(more) = self.peek().clone() {
                    self.bump();
                    s.push_str(&more);
                }
                Ok(lit(
                    Literal::String(s),
                    Span::new(start.start, self.prev_end()),
                ))
            }
            Tok::Typed(ty, raw) => {
                self.bump();
                if ty == "dynamic" {
                    let v = parse_dynamic(&raw, start)?;
                    return Ok(lit(Literal::Dynamic(v), start));
                }
                let text = if raw.trim().is_empty() || raw.trim() == "null" {
                    None
                } else {
                    Some(raw)
                };
                Ok(lit(
                    Literal::Typed {
                        ty: TypeName {
                            name: ty,
                            span: start,
                        },
                        text,
                    },
                    start,
                ))
            }
            Tok::Placeholder(n) => {
                self.bump();
                Ok(Expr {
                    kind: ExprKind::Placeholder(n),
                    span: start,
                })
            }
            Tok::QuotedIdent(n) => {
                self.bump();
                Ok(Expr {
                    kind: ExprKind::Name(n),
                    span: start,
                })
            }
            Tok::P("(") => {
                self.bump();
                let inner = self.piped()?;
                self.expect_p(")")?;
                let span = Span::new(start.start, self.prev_end());
                Ok(match inner {
                    Piped::Scalar(e) => Expr {
                        kind: ExprKind::Paren(Box::new(e)),
                        span,
                    },
                    Piped::Tabular(t) => Expr {
                        kind: ExprKind::Tabular(Box::new(t)),
                        span,
                    },
                })
            }
            Tok::P("*") => {
                self.bump();
                Ok(Expr {
                    kind: ExprKind::Star,
                    span: start,
                })
            }
            Tok::Ident(name) => {
                match name.as_str() {
                    "$left" => {
                        self.bump();
                        return Ok(Expr {
                            kind: ExprKind::JoinSide(JoinSide::Left),
                            span: start,
                        });
                    }
                    "$right" => {
                        self.bump();
                        return Ok(Expr {
                            kind: ExprKind::JoinSide(JoinSide::Right),
                            span: start,
                        });
                    }
                    _ => {}
                }
                if !self.is_p_at(1, "(") {
                    match name.to_ascii_lowercase().as_str() {
                        "true" => {
                            self.bump();
                            return Ok(lit(Literal::Bool(true), start));
                        }
                        "false" => {
                            self.bump();
                            return Ok(lit(Literal::Bool(false), start));
                        }
                        "null" if name == "null" => {
                            self.bump();
                            return Ok(lit(Literal::Null, start));
                        }
                        _ => {}
                    }
                }
                // Tabular-only sources in expression position (e.g. inside toscalar()).
                if matches!(
                    name.as_str(),
                    "datatable"
                        | "print"
                        | "range"
                        | "union"
                        | "find"
                        | "externaldata"
                        | "external_data"
                ) && let Some(src) = self.tabular_source()?
                {
                    let span = Span::new(start.start, self.prev_end());
                    return Ok(Expr {
                        kind: ExprKind::Tabular(Box::new(TabularExpr {
                            source: src,
                            ops: vec![],
                            span,
                        })),
                        span,
                    });
                }
                let call_ok = self.is_p_at(1, "(")
                    && matches!(name.as_str(), "toscalar" | "totable" | "materialize");
                if !call_ok {
                    self.check_ref(self.pos)?;
                }
                self.bump();
                let id = Ident { name, span: start };
                if self.is_p("(") {
                    self.bump();
                    let args = self.call_args()?;
                    let span = Span::new(start.start, self.prev_end());
                    return Ok(Expr {
                        kind: ExprKind::Call { name: id, args },
                        span,
                    });
                }
                Ok(Expr {
                    kind: ExprKind::Name(id.name),
                    span: start,
                })
            }
            _ => Err(self.err_expected("an expression")),
        }
    }
}

fn bin(op: BinaryOp, l: Expr, r: Expr) -> Expr {
    let span = l.span.to(r.span);
    Expr {
        kind: ExprKind::Binary(op, Box::new(l), Box::new(r)),
        span,
    }
}

/// Parses the inside of `dynamic(...)`: JSON with typed literals and either quote style.
fn parse_dynamic(raw: &str, span: Span) -> PResult<DynValue> {
    if raw.trim().is_empty() || raw.trim() == "null" {
        return Ok(DynValue::Null);
    }
    let toks = lex(raw)
        .map_err(|d| Diagnostic::new(format!("in dynamic literal: {}", d.message), span))?;
    let mut pos = 0;
    let v = dyn_value(raw, &toks, &mut pos, span, 0)?;
    if !matches!(toks.get(pos).map(|t| &t.tok), Some(Tok::Eof) | None) {
        return Err(Diagnostic::new(
            "unexpected text after the dynamic value",
            span,
        ));
    }
    Ok(v)
}

fn dyn_value(
    raw: &str,
    toks: &[Token],
    pos: &mut usize,
    span: Span,
    depth: usize,
) -> PResult<DynValue> {
    if depth > MAX_DEPTH {
        return Err(Diagnostic::new("dynamic literal nests too deeply", span));
    }
    let bad = |m: &str| Diagnostic::new(format!("invalid dynamic literal: {m}"), span);
    let Some(t) = toks.get(*pos) else {
        return Err(bad("unexpected end"));
    };
    *pos += 1;
    Ok(match &t.tok {
        Tok::P("-") => match toks.get(*pos).map(|t| &t.tok) {
            Some(Tok::Long(v)) => {
                *pos += 1;
                DynValue::Long(v.wrapping_neg())
            }
            Some(Tok::Real(v)) => {
                *pos += 1;
                DynValue::Real(-v)
            }
            _ => return Err(bad("expected a number after '-'")),
        },
        Tok::Long(v) => DynValue::Long(*v),
        Tok::Real(v) => DynValue::Real(*v),
        Tok::Str(s) => DynValue::String(s.clone()),
        Tok::Timespan(v) => DynValue::Typed {
            ty: "timespan".into(),
            text: Some(format!("{}tick", v)),
        },
        Tok::Typed(ty, inner) if ty == "dynamic" => parse_dynamic(inner, span)?,
        Tok::Typed(ty, inner) => DynValue::Typed {
            ty: ty.clone(),
            text: if inner == "null" {
                None
            } else {
                Some(inner.clone())
            },
        },
        // `{"k": dynamic({...})}`: after a ':' the lexer leaves typed words as names.
        Tok::Ident(w)
            if crate::lexer::TYPED.contains(&w.to_ascii_lowercase().as_str())
                && matches!(toks.get(*pos).map(|t| &t.tok), Some(Tok::P("("))) =>
        {
            let ty = w.to_ascii_lowercase();
            let open = *pos;
            let mut level = 0usize;
            let mut close = None;
            for (k, t) in toks.iter().enumerate().skip(open) {
                match t.tok {
                    Tok::P("(") => level += 1,
                    Tok::P(")") => {
                        level = level.saturating_sub(1);
                        if level == 0 {
                            close = Some(k);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let Some(close) = close else {
                return Err(bad("unclosed '('"));
            };
            let inner = raw
                .get(toks[open].span.end..toks[close].span.start)
                .unwrap_or("")
                .trim()
                .to_string();
            *pos = close + 1;
            if ty == "dynamic" {
                parse_dynamic(&inner, span)?
            } else {
                DynValue::Typed {
                    ty,
                    text: if inner.is_empty() || inner == "null" {
                        None
                    } else {
                        Some(inner)
                    },
                }
            }
        }
        Tok::Ident(w) => match w.to_ascii_lowercase().as_str() {
            "true" => DynValue::Bool(true),
            "false" => DynValue::Bool(false),
            "null" => DynValue::Null,
            _ => return Err(bad(&format!("unexpected '{w}'"))),
        },
        Tok::P("[") => {
            let mut items = Vec::new();
            while !matches!(toks.get(*pos).map(|t| &t.tok), Some(Tok::P("]"))) {
                items.push(dyn_value(raw, toks, pos, span, depth + 1)?);
                if matches!(toks.get(*pos).map(|t| &t.tok), Some(Tok::P(","))) {
                    *pos += 1;
                    if matches!(toks.get(*pos).map(|t| &t.tok), Some(Tok::P("]"))) {
                        return Err(bad("expected a value after ','"));
                    }
                } else {
                    break;
                }
            }
            if !matches!(toks.get(*pos).map(|t| &t.tok), Some(Tok::P("]"))) {
                return Err(bad("expected ']'"));
            }
            *pos += 1;
            DynValue::Array(items)
        }
        Tok::QuotedIdent(s) => DynValue::Array(vec![DynValue::String(s.clone())]),
        Tok::P("{") => {
            let mut items = Vec::new();
            while !matches!(toks.get(*pos).map(|t| &t.tok), Some(Tok::P("}"))) {
                let key = match toks.get(*pos).map(|t| &t.tok) {
                    Some(Tok::Str(s)) | Some(Tok::Ident(s)) => s.clone(),
                    _ => return Err(bad("expected a key")),
                };
                *pos += 1;
                if !matches!(toks.get(*pos).map(|t| &t.tok), Some(Tok::P(":"))) {
                    return Err(bad("expected ':'"));
                }
                *pos += 1;
                items.push((key, dyn_value(raw, toks, pos, span, depth + 1)?));
                if matches!(toks.get(*pos).map(|t| &t.tok), Some(Tok::P(","))) {
                    *pos += 1;
                    if matches!(toks.get(*pos).map(|t| &t.tok), Some(Tok::P("}"))) {
                        return Err(bad("expected a key after ','"));
                    }
                } else {
                    break;
                }
            }
            if !matches!(toks.get(*pos).map(|t| &t.tok), Some(Tok::P("}"))) {
                return Err(bad("expected '}'"));
            }
            *pos += 1;
            DynValue::Object(items)
        }
        other => return Err(bad(&format!("unexpected {}", describe(other)))),
    })
}
