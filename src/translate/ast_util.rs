//! Small constructors and accessors for sqlparser AST nodes, shared by the rewrite families.

use sqlparser::ast::{
    self, BinaryOperator, DataType, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList,
    FunctionArguments, Ident, ObjectName, ObjectNamePart, Value,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::error::PgError;

/// The 0A000 error every refusal uses: the message names the construct, the hint says what to do.
pub fn refuse(construct: &str, hint: &str) -> PgError {
    PgError::unsupported(format!("{construct} is not supported by this backend")).with_hint(hint.to_string())
}

pub fn num(n: impl ToString) -> Expr {
    Expr::Value(Value::Number(n.to_string(), false).into())
}

pub fn string(s: impl Into<String>) -> Expr {
    Expr::Value(Value::SingleQuotedString(s.into()).into())
}

/// Move an expression out of the tree, leaving NULL in its place.
pub fn take(e: &mut Expr) -> Expr {
    std::mem::replace(e, null())
}

/// Move a query out of the tree, leaving `SELECT 1` in its place.
pub fn take_query(q: &mut sqlparser::ast::Query) -> sqlparser::ast::Query {
    let placeholder = sqlparser::parser::Parser::new(&sqlparser::dialect::GenericDialect {})
        .try_with_sql("SELECT 1")
        .and_then(|mut p| p.parse_query())
        .expect("static query");
    std::mem::replace(q, *placeholder)
}

pub fn null() -> Expr {
    Expr::Value(Value::Null.into())
}

pub fn ident(s: &str) -> Ident {
    Ident::new(s)
}

pub fn name(s: &str) -> ObjectName {
    ObjectName(vec![ObjectNamePart::Identifier(Ident::new(s))])
}

pub fn nested(e: Expr) -> Expr {
    match e {
        Expr::Nested(_) | Expr::Value(_) | Expr::Identifier(_) | Expr::CompoundIdentifier(_) | Expr::Function(_) => e,
        other => Expr::Nested(Box::new(other)),
    }
}

pub fn binop(left: Expr, op: BinaryOperator, right: Expr) -> Expr {
    Expr::BinaryOp { left: Box::new(left), op, right: Box::new(right) }
}

pub fn func(fname: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: name(fname),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args.into_iter().map(|a| FunctionArg::Unnamed(FunctionArgExpr::Expr(a))).collect(),
            clauses: Vec::new(),
        }),
        within_group: Vec::new(),
        filter: None,
        null_treatment: None,
        over: None,
    })
}

/// A niladic SQL function written without parentheses, e.g. `CURRENT_TIMESTAMP`.
pub fn keyword_func(fname: &str) -> Expr {
    Expr::Function(Function {
        name: name(fname),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::None,
        within_group: Vec::new(),
        filter: None,
        null_treatment: None,
        over: None,
    })
}

pub fn cast(e: Expr, ty: DataType) -> Expr {
    Expr::Cast { kind: sqlparser::ast::CastKind::Cast, expr: Box::new(e), data_type: ty, format: None }
}

/// Parse an expression template written in PostgreSQL syntax (used for fixed shapes only).
pub fn parse_expr(sql: &str) -> Expr {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_expr())
        .unwrap_or_else(|e| panic!("bad expression template {sql:?}: {e}"))
}

/// The function's unqualified lower-case name; `pg_catalog.` qualified names count as unqualified.
pub fn func_name(f: &Function) -> Option<String> {
    let parts: Vec<&ObjectNamePart> = f.name.0.iter().collect();
    let last = match parts.as_slice() {
        [ObjectNamePart::Identifier(i)] => i,
        [ObjectNamePart::Identifier(s), ObjectNamePart::Identifier(i)]
            if s.value.eq_ignore_ascii_case("pg_catalog") =>
        {
            i
        }
        _ => return None,
    };
    if last.quote_style.is_some() && last.value.chars().any(|c| c.is_ascii_uppercase()) {
        return None;
    }
    Some(last.value.to_ascii_lowercase())
}

/// Plain positional arguments, or None if the call uses DISTINCT, ORDER BY, named args or `*`.
pub fn plain_args(f: &Function) -> Option<Vec<Expr>> {
    match &f.args {
        FunctionArguments::None => Some(Vec::new()),
        FunctionArguments::List(list) if list.duplicate_treatment.is_none() && list.clauses.is_empty() => list
            .args
            .iter()
            .map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// True for a plain call (no FILTER, OVER, WITHIN GROUP).
pub fn is_plain_call(f: &Function) -> bool {
    f.filter.is_none() && f.over.is_none() && f.within_group.is_empty() && f.null_treatment.is_none()
}

/// The string value of a string literal expression.
pub fn string_literal(e: &Expr) -> Option<&str> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::EscapedStringLiteral(s) => Some(s),
            Value::DollarQuotedString(d) => Some(&d.value),
            _ => None,
        },
        _ => None,
    }
}

/// A non-negative integer literal.
pub fn int_literal(e: &Expr) -> Option<u64> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// `$n` placeholder number.
pub fn placeholder(e: &Expr) -> Option<usize> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Placeholder(p) => p.strip_prefix('$')?.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// Drops a `text_pattern_ops` / `varchar_pattern_ops` / `bpchar_pattern_ops` operator class
/// (Django adds one to the index of every indexed or unique CharField, for LIKE 'x%'): it
/// changes only which comparisons a PostgreSQL B-tree serves under a non-C collation, never
/// a result, so the index is built plain. False for any other operator class (refused).
pub fn drop_pattern_ops(c: &mut sqlparser::ast::IndexColumn) -> bool {
    let pattern = c.operator_class.as_ref().is_some_and(|o| {
        let last = o.0.last().and_then(|p| p.as_ident()).map(|i| i.value.to_ascii_lowercase());
        matches!(last.as_deref(), Some("text_pattern_ops" | "varchar_pattern_ops" | "bpchar_pattern_ops"))
    });
    if pattern {
        c.operator_class = None;
    }
    c.operator_class.is_none()
}

/// Drop a leading `public.` schema: `public` is the backend's default schema.
pub fn strip_public(n: &mut ObjectName) {
    if n.0.len() == 2 {
        if let ObjectNamePart::Identifier(s) = &n.0[0] {
            if s.value.eq_ignore_ascii_case("public") && s.quote_style.is_none() || s.value == "public" {
                n.0.remove(0);
            }
        }
    }
}

/// `GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY` among a column's options.
pub fn is_identity(options: &[ast::ColumnOptionDef]) -> bool {
    options.iter().any(|o| {
        matches!(
            o.option,
            ast::ColumnOption::Generated {
                generated_as: ast::GeneratedAs::Always | ast::GeneratedAs::ByDefault,
                generation_expr: None,
                ..
            }
        )
    })
}

/// A number literal under signs (`- -5`): its text with the signs folded in, as
/// PostgreSQL's parser folds them (doNegate) before typing the constant.
pub fn signed_number(e: &Expr) -> Option<String> {
    match e {
        Expr::UnaryOp { op: sqlparser::ast::UnaryOperator::Minus, expr } => {
            let inner = signed_number(expr)?;
            Some(inner.strip_prefix('-').map_or_else(|| format!("-{inner}"), str::to_owned))
        }
        Expr::UnaryOp { op: sqlparser::ast::UnaryOperator::Plus, expr } => signed_number(expr),
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => Some(n.clone()),
            _ => None,
        },
        _ => None,
    }
}
