//! Statements sqlparser does not parse the PostgreSQL way: COPY (all its option forms,
//! `FREEZE ON`, `FORCE_QUOTE *`, `HEADER MATCH`, the pre-9.0 keywords psql's `\copy`
//! passes through) and VACUUM. `parse_statements` splits a query string like
//! `Parser::parse_sql`, handing these two to their own parsers here.

use sqlparser::ast::{Ident, ObjectName, Statement};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{IsOptional, Parser, ParserError};
use sqlparser::tokenizer::Token;

use crate::copy::{CopyOptions, OptValue};
use crate::error::{sqlstate, PgError};
use crate::translate::{Action, RowCount, Tag, Target, TargetSql, Translated};

/// `COPY table [(columns)] FROM STDIN` or `COPY table [(columns)] | (query) TO STDOUT`.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyStatement {
    pub from: bool,
    /// The table as written (PostgreSQL SQL), when the COPY names one.
    pub table: Option<String>,
    /// The relation's name as PostgreSQL reports it in error contexts (`COPY t, line 3`).
    pub relation: String,
    /// The column list as written (SQL) and as names (case-folded), possibly empty.
    pub column_sql: Vec<String>,
    pub column_names: Vec<String>,
    /// COPY (query) TO: the query (PostgreSQL SQL).
    pub query: Option<String>,
    pub options: CopyOptions,
}

impl CopyStatement {
    /// The PostgreSQL query whose rows COPY TO sends, or whose columns COPY FROM fills.
    pub fn select_sql(&self) -> String {
        if let Some(q) = &self.query {
            return q.clone();
        }
        let cols = if self.column_sql.is_empty() { "*".to_string() } else { self.column_sql.join(", ") };
        format!("SELECT {cols} FROM {}", self.table.as_deref().unwrap_or_default())
    }
}

/// One statement of a query string.
pub enum Parsed {
    Sql(Statement),
    Copy(CopyStatement),
    Vacuum(Vacuum),
    Fetch(crate::translate::FetchCursor),
}

/// `VACUUM [(options)] [FULL] [FREEZE] [VERBOSE] [ANALYZE] [table [(columns)], ...]`.
pub struct Vacuum {
    analyze: bool,
    tables: Vec<ObjectName>,
}

/// Split and parse a query string (as `Parser::parse_sql`, plus COPY and VACUUM).
pub fn parse_statements(sql: &str) -> Result<Vec<Parsed>, ParserError> {
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect).try_with_sql(sql)?;
    let mut out = Vec::new();
    let mut expecting_delimiter = false;
    loop {
        while parser.consume_token(&Token::SemiColon) {
            expecting_delimiter = false;
        }
        if parser.peek_token_ref().token == Token::EOF {
            return Ok(out);
        }
        if expecting_delimiter {
            return parser.expected("end of statement", parser.peek_token());
        }
        out.push(if parser.parse_keyword(Keyword::COPY) {
            Parsed::Copy(parse_copy(&mut parser)?)
        } else if parser.parse_keyword(Keyword::VACUUM) {
            Parsed::Vacuum(parse_vacuum(&mut parser)?)
        } else if super::cursors::at_fetch(&parser) {
            Parsed::Fetch(super::cursors::parse_fetch(&mut parser)?)
        } else {
            Parsed::Sql(parser.parse_statement()?)
        });
        expecting_delimiter = true;
    }
}

fn folded(ident: &Ident) -> String {
    if ident.quote_style.is_some() {
        ident.value.clone()
    } else {
        ident.value.to_lowercase()
    }
}

/// COPY's own errors surface when the statement runs, as in PostgreSQL; carried as text here.
fn parse_copy(p: &mut Parser<'_>) -> Result<CopyStatement, ParserError> {
    let (mut table, mut relation, mut columns, mut query) = (None, String::new(), Vec::new(), None);
    if p.consume_token(&Token::LParen) {
        query = Some(p.parse_query()?.to_string());
        p.expect_token(&Token::RParen)?;
    } else {
        let name = p.parse_object_name(false)?;
        relation = name.0.last().and_then(|part| part.as_ident()).map(folded).unwrap_or_default();
        table = Some(name.to_string());
        columns = p.parse_parenthesized_column_list(IsOptional::Optional, false)?;
    }
    let from = if p.parse_keyword(Keyword::FROM) {
        true
    } else if p.parse_keyword(Keyword::TO) {
        false
    } else {
        return p.expected("FROM or TO", p.peek_token());
    };
    if from && query.is_some() {
        return Err(ParserError::ParserError("COPY FROM does not take a query".into()));
    }
    let endpoint = if from { Keyword::STDIN } else { Keyword::STDOUT };
    if !p.parse_keyword(endpoint) {
        return Err(ParserError::ParserError(format!(
            "COPY {} a file or program on the server is not supported: use {} (psql: \\copy)",
            if from { "FROM" } else { "TO" },
            if from { "STDIN" } else { "STDOUT" }
        )));
    }
    let _ = p.parse_keyword(Keyword::WITH);
    let items = if p.consume_token(&Token::LParen) { option_list(p)? } else { legacy_options(p)? };
    if let Token::CopyData { data, .. } = &p.peek_token_ref().token {
        if !data.trim().is_empty() {
            return Err(ParserError::ParserError(
                "COPY data inside the query string is not supported: send it as CopyData".into(),
            ));
        }
        p.next_token();
    }
    let options = match CopyOptions::parse(&items, from) {
        Ok(o) => o,
        Err(e) => return Err(ParserError::ParserError(format!("{}\u{0}{}", e.code, e.message))),
    };
    Ok(CopyStatement {
        from,
        table,
        relation,
        column_sql: columns.iter().map(|c| c.to_string()).collect(),
        column_names: columns.iter().map(folded).collect(),
        query,
        options,
    })
}

fn option_value(p: &mut Parser<'_>) -> Result<OptValue, ParserError> {
    let token = p.peek_token();
    let value = match token.token {
        Token::Comma | Token::RParen => return Ok(OptValue::None),
        Token::SingleQuotedString(s) | Token::EscapedStringLiteral(s) => OptValue::Str(s),
        Token::Number(n, _) => OptValue::Word(n),
        Token::Mul => OptValue::Star,
        Token::Word(w) => OptValue::Word(w.value),
        Token::LParen => {
            let cols = p.parse_parenthesized_column_list(IsOptional::Mandatory, false)?;
            return Ok(OptValue::List(cols.iter().map(folded).collect()));
        }
        _ => return p.expected("an option value", token),
    };
    p.next_token();
    Ok(value)
}

/// `( name [value], ... )`, after the opening parenthesis.
fn option_list(p: &mut Parser<'_>) -> Result<Vec<(String, OptValue)>, ParserError> {
    let mut items = Vec::new();
    loop {
        let token = p.next_token();
        let Token::Word(w) = token.token else { return p.expected("a COPY option", token) };
        items.push((w.value.to_ascii_lowercase(), option_value(p)?));
        if !p.consume_token(&Token::Comma) {
            p.expect_token(&Token::RParen)?;
            return Ok(items);
        }
    }
}

/// The pre-9.0 syntax: `BINARY`, `CSV`, `HEADER`, `DELIMITER [AS] 'x'`, `NULL [AS] 'x'`,
/// `QUOTE [AS] 'x'`, `ESCAPE [AS] 'x'`, `FORCE QUOTE cols|*`, `FORCE NOT NULL cols`.
fn legacy_options(p: &mut Parser<'_>) -> Result<Vec<(String, OptValue)>, ParserError> {
    let mut items = Vec::new();
    loop {
        let item = if p.parse_keyword(Keyword::BINARY) {
            ("format", OptValue::Word("binary".into()))
        } else if p.parse_keyword(Keyword::CSV) {
            ("format", OptValue::Word("csv".into()))
        } else if p.parse_keyword(Keyword::HEADER) {
            ("header", OptValue::None)
        } else if let Some(k) =
            p.parse_one_of_keywords(&[Keyword::DELIMITER, Keyword::NULL, Keyword::QUOTE, Keyword::ESCAPE])
        {
            let _ = p.parse_keyword(Keyword::AS);
            let name = match k {
                Keyword::DELIMITER => "delimiter",
                Keyword::NULL => "null",
                Keyword::QUOTE => "quote",
                _ => "escape",
            };
            (name, OptValue::Str(p.parse_literal_string()?))
        } else if p.parse_keyword(Keyword::FORCE) {
            if p.parse_keyword(Keyword::QUOTE) {
                let value = if p.consume_token(&Token::Mul) { OptValue::Star } else { legacy_columns(p)? };
                ("force_quote", value)
            } else {
                p.expect_keyword(Keyword::NOT)?;
                p.expect_keyword(Keyword::NULL)?;
                ("force_not_null", legacy_columns(p)?)
            }
        } else {
            return Ok(items);
        };
        items.push((item.0.to_string(), item.1));
    }
}

/// A legacy FORCE column list: bare names separated by commas.
fn legacy_columns(p: &mut Parser<'_>) -> Result<OptValue, ParserError> {
    let mut names = vec![folded(&p.parse_identifier()?)];
    while p.consume_token(&Token::Comma) {
        names.push(folded(&p.parse_identifier()?));
    }
    Ok(OptValue::List(names))
}

fn parse_vacuum(p: &mut Parser<'_>) -> Result<Vacuum, ParserError> {
    let mut analyze = false;
    if p.consume_token(&Token::LParen) {
        for (name, value) in option_list(p)? {
            if name == "analyze" {
                analyze = !matches!(&value, OptValue::Word(w) if ["false", "off", "0", "no"].contains(&w.to_ascii_lowercase().as_str()));
            }
        }
    }
    while let Some(k) = p.parse_one_of_keywords(&[Keyword::FULL, Keyword::FREEZE, Keyword::VERBOSE, Keyword::ANALYZE]) {
        analyze |= k == Keyword::ANALYZE;
    }
    let mut tables = Vec::new();
    if !matches!(p.peek_token_ref().token, Token::EOF | Token::SemiColon) {
        loop {
            tables.push(p.parse_object_name(false)?);
            let _ = p.parse_parenthesized_column_list(IsOptional::Optional, false)?;
            if !p.consume_token(&Token::Comma) {
                break;
            }
        }
    }
    Ok(Vacuum { analyze, tables })
}

/// A parse error of COPY's options carries its SQLSTATE (see `parse_copy`).
pub fn parse_error(e: ParserError) -> PgError {
    let text = e.to_string();
    let text = text.strip_prefix("sql parser error: ").unwrap_or(&text);
    if let Some((code, message)) = text.split_once('\u{0}') {
        let code = match code {
            sqlstate::FEATURE_NOT_SUPPORTED => sqlstate::FEATURE_NOT_SUPPORTED,
            sqlstate::INVALID_PARAMETER_VALUE => sqlstate::INVALID_PARAMETER_VALUE,
            _ => sqlstate::SYNTAX_ERROR,
        };
        return PgError::new(code, message);
    }
    if text.starts_with("COPY FROM a file") || text.starts_with("COPY TO a file") {
        return PgError::unsupported(text.to_string()).with_hint("psql's \\copy reads and writes files on the client");
    }
    PgError::new(sqlstate::SYNTAX_ERROR, format!("syntax error: {e}"))
}

pub(super) fn bare(action: Action, tag: &str) -> Translated {
    Translated {
        tag: Tag::Fixed(tag.into()),
        action,
        param_count: 0,
        param_types: Vec::new(),
        param_probe: None,
        columns: None,
        source: None,
        column_probe: None,
        returning_probe: None,
        declared_types: None,
        read_only: false,
        notices: vec![],
        typeof_args: vec![],
        columns_step: None,
    }
}

pub fn translate_copy(stmt: CopyStatement) -> Translated {
    bare(Action::Copy(Box::new(stmt)), "COPY")
}

/// VACUUM has nothing to do on either backend; its ANALYZE refreshes the optimizer's
/// statistics: SQLite's ANALYZE, IRIS's TUNE TABLE (verify the spelling per version).
pub fn translate_vacuum(v: Vacuum, target: &Target) -> Translated {
    let name = |n: &ObjectName| {
        let parts: Vec<String> = n.0.iter().map(|p| p.to_string()).collect();
        match parts.as_slice() {
            [schema, table] if schema.eq_ignore_ascii_case("public") => table.clone(),
            _ => parts.join("."),
        }
    };
    let statements = if !v.analyze {
        Vec::new()
    } else {
        match target {
            Target::Sqlite if v.tables.is_empty() => vec![TargetSql::new("ANALYZE")],
            Target::Sqlite => v
                .tables
                .iter()
                .map(|t| TargetSql::new(format!("ANALYZE {}", crate::translate::sqlite::schemas::stored(t))))
                .collect(),
            Target::Iris(_) => v.tables.iter().map(|t| TargetSql::new(format!("TUNE TABLE {}", name(t)))).collect(),
        }
    };
    bare(Action::Execute { statements, returns_rows: false, rowcount: RowCount::Last }, "VACUUM")
}
