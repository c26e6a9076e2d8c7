//! PostgreSQL SQL in, target-dialect SQL out.
//!
//! `translate` parses client SQL with sqlparser's PostgreSQL dialect, classifies
//! each statement (command tag, transaction control, session settings answered
//! by the gateway) and renders what the backend must run for the target.
//! Results are cached by SQL text (`Translator::translate`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlparser::ast::{self, Statement, VisitMut, VisitorMut};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use std::ops::ControlFlow;

use crate::error::{sqlstate, PgError, PgResult};

mod params;
mod projection;
pub use params::ParamProbe;
pub use projection::InferredColumn;

/// The SQL dialect a backend speaks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Sqlite,
    Iris(IrisOptions),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IrisOptions {
    /// (major, minor), e.g. (2025, 1): LIMIT/OFFSET are native from 2025.1.
    pub version: (u16, u16),
}

/// The command a client statement reports in CommandComplete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    /// `SELECT n`
    Select,
    /// `INSERT 0 n`
    Insert,
    /// `UPDATE n`
    Update,
    /// `DELETE n`
    Delete,
    /// A tag without a row count, e.g. `CREATE TABLE`, `SAVEPOINT`.
    Fixed(String),
}

impl Tag {
    pub fn render(&self, rows: u64) -> String {
        match self {
            Tag::Select => format!("SELECT {rows}"),
            Tag::Insert => format!("INSERT 0 {rows}"),
            Tag::Update => format!("UPDATE {rows}"),
            Tag::Delete => format!("DELETE {rows}"),
            Tag::Fixed(s) => s.clone(),
        }
    }
}

/// One statement for the backend, with `?` markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSql {
    pub sql: String,
    /// For each `?` marker in `sql`, in order, the 0-based index of the client parameter (`$n` -> n-1).
    pub params: Vec<usize>,
}

/// How the row count of a multi-statement translation is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowCount {
    /// The last backend statement's rows or rowcount.
    Last,
    /// The sum of all backend statements' rowcounts (e.g. multi-row VALUES split into inserts).
    Sum,
}

/// What the session does for one client statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// An empty statement (only comments or `;`).
    Empty,
    /// Run these on the backend in order, inside one transaction when there are several.
    Execute {
        statements: Vec<TargetSql>,
        /// The last statement returns rows (a query or `RETURNING`).
        returns_rows: bool,
        rowcount: RowCount,
    },
    /// BEGIN / START TRANSACTION; `modes` are already rendered for the target (may be empty).
    Begin { modes: Vec<TargetSql> },
    /// COMMIT / END.
    Commit,
    /// ROLLBACK / ABORT (not `ROLLBACK TO SAVEPOINT`, which is `Execute`).
    Rollback,
    /// `SET [SESSION|LOCAL] name = value`; `value` None means DEFAULT.
    Set { name: String, value: Option<String>, local: bool },
    /// `SHOW name` (`all` for SHOW ALL).
    Show { name: String },
    /// `RESET name` (`all` for RESET ALL).
    Reset { name: String },
}

/// One client statement, classified and translated.
#[derive(Debug, Clone, PartialEq)]
pub struct Translated {
    pub tag: Tag,
    pub action: Action,
    /// Highest `$n` the statement uses.
    pub param_count: usize,
    /// Result columns as far as the SQL text determines them (names, literal/cast types).
    pub columns: Option<Vec<InferredColumn>>,
    /// Types of `$1..$n` the statement itself fixes (casts, literals, LIMIT); None where it does not.
    pub param_types: Vec<Option<crate::types::Oid>>,
    /// A query whose description gives the types of parameters used against columns.
    pub param_probe: Option<ParamProbe>,
}

/// Translate a query string (possibly several `;`-separated statements).
pub fn translate(sql: &str, target: &Target) -> PgResult<Vec<Translated>> {
    let statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).map_err(|e| {
        PgError::new(sqlstate::SYNTAX_ERROR, format!("syntax error: {e}"))
    })?;
    statements.into_iter().map(|s| translate_statement(s, target)).collect()
}

fn translate_statement(mut stmt: Statement, target: &Target) -> PgResult<Translated> {
    let (tag, kind) = classify(&stmt);
    let (param_types, param_probe) = params::infer(&stmt);
    let columns = projection::projection(&stmt);
    let param_count = renumber_placeholders(&mut stmt);
    let action = match kind {
        Kind::Begin => Action::Begin { modes: Vec::new() },
        Kind::Commit => Action::Commit,
        Kind::Rollback => Action::Rollback,
        Kind::Set { name, value, local } => Action::Set { name, value, local },
        Kind::Show(name) => Action::Show { name },
        Kind::Reset(name) => Action::Reset { name },
        Kind::Backend { returns_rows } => {
            let _ = target;
            Action::Execute {
                statements: vec![TargetSql { sql: stmt.to_string(), params: (0..param_count).collect() }],
                returns_rows,
                rowcount: RowCount::Last,
            }
        }
    };
    let mut param_types = param_types;
    param_types.resize(param_count.max(param_types.len()), None);
    Ok(Translated { tag, action, param_count, param_types, param_probe, columns })
}

enum Kind {
    Backend { returns_rows: bool },
    Begin,
    Commit,
    Rollback,
    Set { name: String, value: Option<String>, local: bool },
    Show(String),
    Reset(String),
}

fn classify(stmt: &Statement) -> (Tag, Kind) {
    let backend = |tag: Tag, returns_rows| (tag, Kind::Backend { returns_rows });
    match stmt {
        Statement::Query(_) => backend(Tag::Select, true),
        Statement::Insert(i) => backend(Tag::Insert, i.returning.is_some()),
        Statement::Update(u) => backend(Tag::Update, u.returning.is_some()),
        Statement::Delete(d) => backend(Tag::Delete, d.returning.is_some()),
        Statement::StartTransaction { .. } => (Tag::Fixed("BEGIN".into()), Kind::Begin),
        Statement::Commit { .. } => (Tag::Fixed("COMMIT".into()), Kind::Commit),
        Statement::Rollback { savepoint: None, .. } => (Tag::Fixed("ROLLBACK".into()), Kind::Rollback),
        Statement::Rollback { savepoint: Some(_), .. } => backend(Tag::Fixed("ROLLBACK".into()), false),
        Statement::Savepoint { .. } => backend(Tag::Fixed("SAVEPOINT".into()), false),
        Statement::ReleaseSavepoint { .. } => backend(Tag::Fixed("RELEASE".into()), false),
        Statement::CreateTable(_) => backend(Tag::Fixed("CREATE TABLE".into()), false),
        Statement::CreateIndex(_) => backend(Tag::Fixed("CREATE INDEX".into()), false),
        Statement::CreateView { .. } => backend(Tag::Fixed("CREATE VIEW".into()), false),
        Statement::Drop { object_type, .. } => backend(Tag::Fixed(format!("DROP {object_type}")), false),
        Statement::Truncate { .. } => backend(Tag::Fixed("TRUNCATE TABLE".into()), false),
        Statement::AlterTable { .. } => backend(Tag::Fixed("ALTER TABLE".into()), false),
        Statement::ShowVariable { variable } => {
            let name = variable.iter().map(|i| i.value.to_ascii_lowercase()).collect::<Vec<_>>().join(" ");
            (Tag::Fixed("SHOW".into()), Kind::Show(name))
        }
        Statement::Set(set) => classify_set(set),
        Statement::Reset(r) => {
            let name = match &r.reset {
                ast::Reset::ALL => "all".to_owned(),
                ast::Reset::SessionAuthorization => "session_authorization".to_owned(),
                ast::Reset::ConfigurationParameter(n) => n.to_string().to_ascii_lowercase(),
            };
            (Tag::Fixed("RESET".into()), Kind::Reset(name))
        }
        other => {
            // Tag from the statement's leading keywords, e.g. "CREATE SCHEMA".
            let text = other.to_string();
            let words: Vec<&str> = text.split_whitespace().take(2).collect();
            backend(Tag::Fixed(words.join(" ").to_ascii_uppercase()), false)
        }
    }
}

fn classify_set(set: &ast::Set) -> (Tag, Kind) {
    let set_tag = || Tag::Fixed("SET".into());
    match set {
        ast::Set::SingleAssignment { scope, variable, values, .. } => {
            let name = variable.to_string().to_ascii_lowercase();
            let value = values
                .iter()
                .map(render_set_value)
                .collect::<Vec<_>>()
                .join(", ");
            let value = if value.eq_ignore_ascii_case("default") { None } else { Some(value) };
            let local = matches!(scope, Some(ast::ContextModifier::Local));
            (set_tag(), Kind::Set { name, value, local })
        }
        ast::Set::SetTimeZone { local, value } => {
            (set_tag(), Kind::Set { name: "timezone".into(), value: Some(render_set_value(value)), local: *local })
        }
        ast::Set::SetNames { charset_name, .. } => (
            set_tag(),
            Kind::Set { name: "client_encoding".into(), value: Some(charset_name.to_string()), local: false },
        ),
        ast::Set::SetTransaction { modes, session, .. } => {
            // Recorded for SHOW; the backend's isolation is set when a pool hands out a connection.
            let prefix = if *session { "default_" } else { "" };
            let (name, value) = match modes.first() {
                Some(ast::TransactionMode::IsolationLevel(level)) => ("transaction_isolation", level.to_string()),
                Some(ast::TransactionMode::AccessMode(mode)) => (
                    "transaction_read_only",
                    if mode.to_string().eq_ignore_ascii_case("READ ONLY") { "on".into() } else { "off".into() },
                ),
                None => ("transaction_isolation", "read committed".into()),
            };
            (set_tag(), Kind::Set { name: format!("{prefix}{name}"), value: Some(value.to_lowercase()), local: !*session })
        }
        other => (set_tag(), Kind::Set { name: other.to_string(), value: None, local: false }),
    }
}

/// The value of a SET as PostgreSQL would store it: string literals unquoted.
fn render_set_value(expr: &ast::Expr) -> String {
    match expr {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        ast::Expr::Identifier(i) => i.value.clone(),
        other => other.to_string(),
    }
}

/// Rewrite `$n` markers to `?n` and return the highest n.
fn renumber_placeholders(stmt: &mut Statement) -> usize {
    struct V(usize);
    impl VisitorMut for V {
        type Break = ();
        fn post_visit_value(&mut self, value: &mut ast::ValueWithSpan) -> ControlFlow<()> {
            if let ast::Value::Placeholder(p) = &mut value.value {
                if let Some(n) = p.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
                    self.0 = self.0.max(n);
                    *p = format!("?{n}");
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut v = V(0);
    let _ = stmt.visit(&mut v);
    v.0
}

/// Translation cache keyed by SQL text, so a repeated statement costs one lookup.
pub struct Translator {
    target: Target,
    cache: Mutex<HashMap<String, Arc<Vec<Translated>>>>,
    capacity: usize,
}

impl Translator {
    pub fn new(target: Target, capacity: usize) -> Self {
        Translator { target, cache: Mutex::new(HashMap::new()), capacity }
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    pub fn translate(&self, sql: &str) -> PgResult<Arc<Vec<Translated>>> {
        if let Some(hit) = self.cache.lock().unwrap().get(sql) {
            return Ok(hit.clone());
        }
        let result = Arc::new(translate(sql, &self.target)?);
        let mut cache = self.cache.lock().unwrap();
        if cache.len() >= self.capacity {
            cache.clear();
        }
        cache.insert(sql.to_owned(), result.clone());
        Ok(result)
    }
}
