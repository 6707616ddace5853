//! The KQL abstract syntax tree. Every node that a diagnostic may point at carries a [`Span`].
//!
//! The tree is deliberately close to the surface syntax: the planner, not the parser, decides
//! what names refer to and what types expressions have.

use std::fmt;

/// A byte range in the query text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A name with where it was written. `name` is already unquoted (`['a b']` → `a b`).
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A whole query: statements separated by `;`, the last tabular expression being the result.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `let name = expr;` where expr is scalar or tabular (the parser cannot always tell; the
    /// planner decides). A function definition is `Let { value: LetValue::Function(..) }`.
    Let {
        name: Ident,
        value: LetValue,
        span: Span,
    },
    /// `declare query_parameters(name:type = default, ...);`
    DeclareQueryParameters { params: Vec<Param>, span: Span },
    /// `set name = value;` (accepted and ignored by the engine)
    Set {
        name: String,
        value: Option<String>,
        span: Span,
    },
    /// A tabular expression whose result is returned (normally the last statement).
    Query(TabularExpr),
    /// Any other expression used as a statement (e.g. `print` is tabular; this covers oddities).
    Expr(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum LetValue {
    /// `let x = <expression>`: may be a scalar expression or a tabular expression.
    Expr(Expr),
    /// `let f = (a:long, b:string = "x") { body }`
    Function(FunctionDef),
    /// `let T = view () { ... }` is treated as a function with no parameters.
    /// `let T = materialize(expr)` is parsed as `Expr(Call materialize)`.
    Tabular(TabularExpr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    pub params: Vec<Param>,
    /// Statements of the body: `let`s followed by the final expression.
    pub body: Vec<Statement>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: ParamType,
    pub default: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamType {
    /// A scalar type name such as `long`, `string`, `datetime`.
    Scalar(TypeName),
    /// `(*)` or `(a:long, b:string)` or `(a:long, *)`: a tabular parameter.
    Tabular {
        columns: Vec<(Ident, TypeName)>,
        open: bool,
    },
}

/// A type name as written: `int`, `long`, `real`/`double`, `decimal`, `string`, `bool`/`boolean`,
/// `datetime`/`date`, `timespan`/`time`, `guid`/`uniqueid`, `dynamic`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeName {
    pub name: String,
    pub span: Span,
}

/// A tabular expression: a source followed by `| operator` stages.
#[derive(Debug, Clone, PartialEq)]
pub struct TabularExpr {
    pub source: Source,
    pub ops: Vec<Operator>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A table, a `let`-bound tabular name, or a function call returning a table:
    /// `SigninLogs`, `T`, `f(1, 2)`, `materialize(T)`, `table('x')`, `_GetWatchlist('w')`.
    /// Bare names are `Expr::Name`, calls are `Expr::Call`.
    Expr(Expr),
    /// `datatable(a:long, b:string) [1, "x", 2, "y"]`
    Datatable {
        columns: Vec<(Ident, TypeName)>,
        values: Vec<Expr>,
        span: Span,
    },
    /// `print a = 1, 2` (no input)
    Print { columns: Vec<NamedExpr>, span: Span },
    /// `range x from 1 to 10 step 1`
    Range {
        name: Ident,
        from: Expr,
        to: Expr,
        step: Expr,
        span: Span,
    },
    /// `union T1, T2` at the start of a pipeline.
    Union(UnionOp),
    /// `search ...` at the start of a pipeline (over all tables or `in (T1, T2)`).
    Search(SearchOp),
    /// `find ...` is not supported; `evaluate` may appear as a source too.
    Evaluate(EvaluateOp),
    /// `(tabular expression)`
    Paren(Box<TabularExpr>),
    /// A `{{Name}}` template placeholder standing for a whole table expression.
    Placeholder { name: String, span: Span },
    /// `find [in (T, ...)] where predicate [project ...]` at the start of a pipeline.
    Find(FindOp),
    /// `externaldata (a:string, ...) ["url", ...] [with (format="csv", ...)]`
    ExternalData {
        columns: Vec<(Ident, TypeName)>,
        urls: Vec<Expr>,
        with: Vec<OpParam>,
        span: Span,
    },
}

/// `find [withsource=C] [in (T1, T2*)] where predicate [project a, b | project-smart]`
#[derive(Debug, Clone, PartialEq)]
pub struct FindOp {
    pub params: Vec<OpParam>,
    pub tables: Vec<UnionLeg>,
    pub predicate: Expr,
    /// `project a, b` columns; `project-smart` is `smart: true` with no columns.
    pub project: Vec<ColumnPattern>,
    pub smart: bool,
}

/// `name = expr` or just `expr` (the planner derives the name), or `(a, b) = expr` for
/// functions returning several columns.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedExpr {
    pub names: Vec<Ident>,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    /// None = default (descending for sort/order/top).
    pub ascending: Option<bool>,
    /// None = default (nulls last for desc, first for asc).
    pub nulls_first: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    pub kind: OperatorKind,
    pub span: Span,
}

/// Operator parameters like `kind=inner`, `hint.strategy=shuffle`, `withsource=T`.
#[derive(Debug, Clone, PartialEq)]
pub struct OpParam {
    pub name: String,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OperatorKind {
    Where(Expr),
    Project(Vec<NamedExpr>),
    ProjectAway(Vec<ColumnPattern>),
    ProjectKeep(Vec<ColumnPattern>),
    ProjectRename(Vec<(Ident, Ident)>),
    ProjectReorder(Vec<(ColumnPattern, Option<SortOrderWord>)>),
    Extend(Vec<NamedExpr>),
    Summarize {
        params: Vec<OpParam>,
        aggs: Vec<NamedExpr>,
        by: Vec<NamedExpr>,
    },
    Count {
        name: Option<Ident>,
    },
    Distinct(Vec<DistinctItem>),
    Take(Expr),
    Top {
        count: Expr,
        by: SortKey,
    },
    TopNested(Vec<TopNestedLevel>),
    TopHitters {
        count: Expr,
        of: Expr,
        by: Option<Expr>,
    },
    Sort(Vec<SortKey>),
    Join(JoinOp),
    Lookup(LookupOp),
    Union(UnionOp),
    MvExpand(MvExpandOp),
    MvApply(MvApplyOp),
    Parse(ParseOp),
    ParseKv(ParseKvOp),
    MakeSeries(MakeSeriesOp),
    Serialize(Vec<NamedExpr>),
    As {
        name: Ident,
        params: Vec<OpParam>,
    },
    Invoke(Expr),
    GetSchema,
    Sample(Expr),
    SampleDistinct {
        count: Expr,
        column: Expr,
    },
    Search(SearchOp),
    Evaluate(EvaluateOp),
    /// `render chart [with (name=value, ...)]` or the legacy `render chart kind=value`.
    Render {
        chart: String,
        props: Vec<OpParam>,
    },
    /// `project-by-names "a", cols_expr`
    ProjectByNames(Vec<Expr>),
    /// `find ...` applied to the piped input.
    Find(FindOp),
    Consume,
    Scan(ScanOp),
    /// Operators whose syntax is checked but whose content is not kept (`facet`, `fork`,
    /// `partition`, `reduce`, `macro-expand`, `assert-schema`, `make-graph` and the graph
    /// operators); the engine refuses them with a clear error.
    Unsupported {
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum SortOrderWord {
    Asc,
    Desc,
    GranularAsc,
    GranularDesc,
}

/// A column name or a wildcard pattern such as `Prop*`.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnPattern {
    pub pattern: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DistinctItem {
    Star,
    Expr(NamedExpr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TopNestedLevel {
    pub count: Option<Expr>,
    pub of: NamedExpr,
    pub others: Option<Expr>,
    pub by: NamedExpr,
    pub ascending: Option<bool>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JoinOp {
    /// `kind=...`, `hint.*` and other parameters, in order.
    pub params: Vec<OpParam>,
    pub right: TabularExpr,
    pub on: Vec<JoinCondition>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JoinCondition {
    /// `on Col` (same name both sides)
    Column(Ident),
    /// `$left.A == $right.B` or any other expression (`where`-like conditions) over `$left.`
    /// and `$right.` columns.
    Expr(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct LookupOp {
    pub params: Vec<OpParam>,
    pub right: TabularExpr,
    pub on: Vec<JoinCondition>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnionOp {
    pub params: Vec<OpParam>,
    pub tables: Vec<UnionLeg>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UnionLeg {
    /// A table name, possibly with wildcards (`Signin*`), or a let-bound name.
    Pattern(ColumnPattern),
    /// A parenthesized tabular expression or a function call.
    Tabular(TabularExpr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct MvExpandOp {
    pub params: Vec<OpParam>,
    /// each item: `Col`, `Col to typeof(long)`, `name = expr to typeof(string)`
    pub items: Vec<MvExpandItem>,
    pub limit: Option<Expr>,
    pub with_itemindex: Option<Ident>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MvExpandItem {
    pub expr: NamedExpr,
    pub to_type: Option<TypeName>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MvApplyOp {
    pub params: Vec<OpParam>,
    pub items: Vec<MvExpandItem>,
    pub limit: Option<Expr>,
    pub with_itemindex: Option<Ident>,
    /// `on (subquery)` — the pipeline starts with an implicit source (the expanded rows).
    pub on: Vec<Operator>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParseOp {
    /// `parse` or `parse-where`
    pub where_: bool,
    /// `kind=simple|regex|relaxed`, `flags=...`
    pub params: Vec<OpParam>,
    pub source: Expr,
    pub pattern: Vec<ParsePart>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParsePart {
    /// A string literal to match.
    Literal(String),
    /// `*`: skip anything.
    Star,
    /// `name` or `name:type`
    Column { name: Ident, ty: Option<TypeName> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParseKvOp {
    pub source: Expr,
    pub columns: Vec<(Ident, TypeName)>,
    /// `with (pair_delimiter=',', kv_delimiter='=', quote='"', escape='\\', greedy=true, regex=...)`
    pub with: Vec<OpParam>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MakeSeriesOp {
    pub params: Vec<OpParam>,
    /// `name = agg(x) default = value`
    pub aggs: Vec<(NamedExpr, Option<Expr>)>,
    pub on: Expr,
    /// `from start to end step s` or `in range(start, end, step)`
    pub from: Option<Expr>,
    pub to: Option<Expr>,
    pub step: Expr,
    pub by: Vec<NamedExpr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchOp {
    pub params: Vec<OpParam>,
    /// `in (T1, T2)` table patterns
    pub tables: Vec<ColumnPattern>,
    pub predicate: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EvaluateOp {
    pub params: Vec<OpParam>,
    /// `bag_unpack(col, 'prefix')`, `pivot(col, agg, ...)`, `narrow()`...
    pub plugin: Ident,
    pub args: Vec<Expr>,
    /// optional output schema `: (a:long, b:string)` or `: (*, a:long)`
    pub schema: Option<(Vec<(Ident, TypeName)>, bool)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScanOp {
    pub params: Vec<OpParam>,
    /// `order by` keys and `partition by` columns written before `declare`/`with`.
    pub order: Vec<SortKey>,
    pub partition: Vec<Expr>,
    pub declare: Vec<Param>,
    pub steps: Vec<ScanStep>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScanStep {
    pub name: Ident,
    pub optional: bool,
    pub condition: Expr,
    pub assignments: Vec<(Ident, Expr)>,
}

/// Scalar expressions.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// A column, let-bound name, or parameter.
    Name(String),
    /// `$left` / `$right` in join conditions.
    JoinSide(JoinSide),
    /// `a.b` (also `$left.x`)
    Member(Box<Expr>, Ident),
    /// `a[expr]` or `a['key']`
    Index(Box<Expr>, Box<Expr>),
    /// `f(args)`; `name` may be dotted like `ipv4_is_private`; a namespaced call
    /// such as `database('x').T` appears as Member over Call.
    Call {
        name: Ident,
        args: Vec<Expr>,
    },
    /// `*` as a function argument (`count(*)`, `arg_max(x, *)`, `pack_all()` has none).
    Star,
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `x between (a .. b)` / `!between`
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    /// `x in (a, b)`, `in~`, `!in`, `!in~`, `has_any (...)`, `has_all`: the list may be a
    /// tabular expression (`in (T | project x)`), captured as `InList::Tabular`.
    In {
        expr: Box<Expr>,
        op: InOp,
        list: InList,
    },
    /// A tabular expression in a scalar position, e.g. `toscalar(T | count)` args or
    /// the right side of `in`.
    Tabular(Box<TabularExpr>),
    /// `{{Name}}` template placeholder.
    Placeholder(String),
    /// `target.name(args)`, e.g. `cluster("c").database("d")`.
    MethodCall {
        target: Box<Expr>,
        name: Ident,
        args: Vec<Expr>,
    },
    /// `(expr)`; kept so that pretty-printing and naming can tell.
    Paren(Box<Expr>),
    /// Named argument `name = value` inside a call, e.g. `bag_unpack(d, columnsConflict='keep')`.
    NamedArg(Ident, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinSide {
    Left,
    Right,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InList {
    Exprs(Vec<Expr>),
    Tabular(Box<TabularExpr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InOp {
    In,
    InCi,
    NotIn,
    NotInCi,
    HasAny,
    HasAll,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Plus,
    Not,
}

/// Binary operators. String operators keep their exact spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    /// `=~`
    EqCi,
    /// `!~`
    NotEqCi,
    And,
    Or,
    Str(StrOp),
}

/// String operators; each has a case-sensitive (`_cs`) form and a negated form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StrOp {
    pub kind: StrOpKind,
    pub case_sensitive: bool,
    pub negated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StrOpKind {
    Has,
    HasPrefix,
    HasSuffix,
    Contains,
    StartsWith,
    EndsWith,
    /// `matches regex`
    MatchesRegex,
    /// `like` is not KQL; this covers `has_cs` etc. via flags. `hasprefix`...
    Equals,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `null` alone (rare); typed nulls are `Typed { value: None }`.
    Null,
    Bool(bool),
    /// An integer literal that fits in i64 (`int` when written `int(1)`).
    Long(i64),
    Real(f64),
    String(String),
    /// `datetime(...)`, `timespan` literals like `1d`, `time(1:00)`, `guid(...)`, `dynamic(...)`,
    /// `int(1)`, `long(null)`, `real(nan)`, `decimal(1.5)`, `bool(null)`: the type name and the raw
    /// text inside the parentheses (None for null).
    Typed {
        ty: TypeName,
        text: Option<String>,
    },
    /// A timespan literal written with a unit: `10m`, `1.5h`, `100ms`, `2d` → 100-ns ticks.
    Timespan(i64),
    /// `dynamic(...)` with its parsed JSON-like value.
    Dynamic(DynValue),
}

/// A `dynamic(...)` literal value. Numbers keep whether they were integral.
#[derive(Debug, Clone, PartialEq)]
pub enum DynValue {
    Null,
    Bool(bool),
    Long(i64),
    Real(f64),
    String(String),
    Array(Vec<DynValue>),
    Object(Vec<(String, DynValue)>),
    /// A typed scalar inside a dynamic literal, e.g. `dynamic([datetime(2020-01-01)])`.
    Typed {
        ty: String,
        text: Option<String>,
    },
}

impl fmt::Display for BinaryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Eq => "==",
            BinaryOp::NotEq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::EqCi => "=~",
            BinaryOp::NotEqCi => "!~",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
            BinaryOp::Str(op) => return write!(f, "{op}"),
        };
        f.write_str(s)
    }
}

impl fmt::Display for StrOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base = match self.kind {
            StrOpKind::Has => "has",
            StrOpKind::HasPrefix => "hasprefix",
            StrOpKind::HasSuffix => "hassuffix",
            StrOpKind::Contains => "contains",
            StrOpKind::StartsWith => "startswith",
            StrOpKind::EndsWith => "endswith",
            StrOpKind::MatchesRegex => "matches regex",
            StrOpKind::Equals => "==",
        };
        if self.negated {
            f.write_str("!")?;
        }
        f.write_str(base)?;
        if self.case_sensitive && self.kind != StrOpKind::MatchesRegex {
            f.write_str("_cs")?;
        }
        Ok(())
    }
}
