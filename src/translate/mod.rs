//! PostgreSQL SQL in, target-dialect SQL out.
//!
//! `translate` parses client SQL with sqlparser's PostgreSQL dialect, classifies
//! each statement (command tag, transaction control, session settings answered
//! by the gateway) and renders what the backend must run for the target.
//! Results are cached by SQL text (`Translator::translate`).

mod ast_util;
mod cache;
mod catalog;
mod common;
mod common_type;
mod database_names;
mod datetime_literals;
mod derived_columns;
mod dml;
mod iris;
mod param_types;
mod params;
mod pgtype;
mod projection;
mod session_fns;
mod sqlite;
mod srf_projection;
mod statements;
mod type_of;

use sqlparser::ast::Statement;

use crate::error::{PgError, PgResult};

pub use cache::Translator;
pub use catalog::CatalogQuery;
pub use iris::declared::{DeclaredType, KnownColumn, KnownColumns, DESCRIPTION_PREFIX};
pub use iris::own_ddl::{ColumnsStep, OwnDdl};
pub use param_types::ParamProbe;
pub use projection::{expr_type_in, projection_in, Env, InferredColumn, Typmod};
pub use statements::copy::CopyStatement;
pub use statements::cursors::{DeclareCursor, FetchCursor, FetchDirection, PrepareStatement};

/// Keys (`Env::columns`) of the column references `column_probe` selects, in order.
pub fn nested_refs(stmt: &Statement) -> Vec<String> {
    projection::nested_column_refs(stmt).iter().map(projection::column_key).collect()
}
pub use session_fns::{AdvisoryOp, FnArg, SessionFn, Sleep, SleepKind};
pub use type_of::TypeofArg;

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
    /// Compare strings case-sensitively like PostgreSQL: `%EXACT` on columns compared with
    /// string literals, `COLLATE %EXACT` on string columns the gateway creates.
    pub exact_strings: bool,
    /// Length given to `text` and length-less `varchar` columns (IRIS VARCHAR defaults to 1).
    pub default_varchar_length: u32,
    /// Schema that `public` stands for (dropped from names when it is the IRIS default `SQLUser`).
    pub default_schema: String,
    /// Accept CHECK constraints (which IRIS does not have) by leaving them out, with a
    /// NOTICE; off: refused with 0A000 (`--iris-unenforced-checks`).
    pub unenforced_checks: bool,
    /// The tables and columns the gateway knows (catalog snapshots and its own DDL): a
    /// parameter or literal stored into a vector column is `TO_VECTOR`ed, and a result
    /// column that is a column with a declared type (`%DESCRIPTION`) has that type.
    pub columns: std::sync::Arc<KnownColumns>,
}

impl Default for IrisOptions {
    fn default() -> Self {
        IrisOptions {
            version: (2025, 1),
            exact_strings: true,
            default_varchar_length: 65535,
            default_schema: "SQLUser".into(),
            unenforced_checks: false,
            columns: Default::default(),
        }
    }
}

impl IrisOptions {
    pub fn with_version(version: (u16, u16)) -> Self {
        IrisOptions { version, ..IrisOptions::default() }
    }

    /// Parse "2025.1" style versions; "2025" alone is 2025.0, the conservative reading
    /// (features that arrived in 2025.1, such as LIMIT, are then not relied on).
    pub fn parse_version(v: &str) -> Option<(u16, u16)> {
        let mut it = v.trim().split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next().unwrap_or("0").parse().ok()?;
        Some((major, minor))
    }
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
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetSql {
    pub sql: String,
    /// For each `?` marker in `sql`, in order, the 0-based index of the client parameter (`$n` -> n-1).
    pub params: Vec<usize>,
    /// Row-limit slots IRIS cannot take as markers (empty for most statements): call
    /// `bind_inline` with the bound values before running the statement.
    pub inline: Vec<InlineSlot>,
    /// The statement's result is captured for later statements to bind: one value
    /// (`params` entries `CAPTURED + k` are the k-th), the ids of a multi-row INSERT ..
    /// RETURNING; or every row's value as one list (`CAPTURED_LIST`), the ids an UPDATE ..
    /// RETURNING changes.
    pub capture: Option<Capture>,
    /// The statement returns one integer, and anything but 0 fails the client statement
    /// with this error (a condition PostgreSQL raises that the emulation checks first).
    pub guard: Option<Guard>,
    /// Runs after the statement whose rows are the result, once those are read in full
    /// (DELETE .. RETURNING on IRIS: the rows are read, then deleted).
    pub after_result: bool,
}

/// The error a guard statement (`TargetSql::guard`) raises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    pub sqlstate: &'static str,
    pub message: std::borrow::Cow<'static, str>,
}

/// `TargetSql::params` entries from `CAPTURED` up bind values captured from earlier
/// statements of the same client statement (written `$c0`, `$c1`, .. by the translator).
pub const CAPTURED: usize = 1 << 30;

/// The `TargetSql::params` entry of the captured list (written `$cl` by the translator):
/// `ID_LIST` in the SQL becomes one marker per value (`NULL` for none) when bound. A
/// statement that binds it and returns no rows must change exactly that many rows (else
/// another transaction changed them in between: 40001).
pub const CAPTURED_LIST: usize = CAPTURED - 1;
pub const ID_LIST: &str = "__pgw_ids__";

/// What a statement's result leaves for later statements (`TargetSql::capture`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture {
    /// Its one value.
    One,
    /// The first column of every row.
    All,
}

/// A place in `TargetSql::sql` that must hold an integer literal: `constant` plus the
/// values of the client parameters `params` (e.g. TOP m+n for LIMIT $1 OFFSET $2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineSlot {
    /// The token in `sql` to replace.
    pub token: String,
    pub params: Vec<usize>,
    pub constant: i64,
}

impl TargetSql {
    pub fn new(sql: impl Into<String>) -> Self {
        TargetSql {
            sql: sql.into(),
            params: Vec::new(),
            inline: Vec::new(),
            capture: None,
            guard: None,
            after_result: false,
        }
    }

    /// The SQL to describe before parameters are bound: inline slots as 0 (a row
    /// limit changes no column), the captured list as `NULL`.
    pub fn sql_for_describe(&self) -> String {
        let sql = match self.inline.is_empty() {
            true => self.sql.clone(),
            false => self.bind_inline(|_| Some(0)).unwrap_or_else(|_| self.sql.clone()),
        };
        match sql.contains(ID_LIST) {
            true => sql.replace(ID_LIST, "NULL"),
            false => sql,
        }
    }

    /// Replace inline slots with integers. `value(i)` is client parameter i as an integer
    /// (None for NULL or a non-integer). Errors as PostgreSQL reports a bad LIMIT/OFFSET.
    pub fn bind_inline(&self, value: impl Fn(usize) -> Option<i64>) -> PgResult<String> {
        let mut sql = self.sql.clone();
        for slot in &self.inline {
            let mut total = slot.constant;
            for &p in &slot.params {
                let v = value(p).ok_or_else(|| {
                    PgError::unsupported("LIMIT/OFFSET parameter must be a non-NULL integer for this backend")
                        .with_hint("bind an integer, or omit LIMIT")
                })?;
                if v < 0 {
                    return Err(PgError::new("2201W", "LIMIT/OFFSET must not be negative"));
                }
                total = total.saturating_add(v);
            }
            sql =
                sql.replace(&format!("({})", slot.token), &total.to_string()).replace(&slot.token, &total.to_string());
        }
        Ok(sql)
    }
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
    /// Run these on the backend in order, inside one transaction when there are several.
    Execute {
        statements: Vec<TargetSql>,
        /// The last statement returns rows (a query or `RETURNING`).
        returns_rows: bool,
        rowcount: RowCount,
    },
    /// BEGIN / START TRANSACTION; `modes` are already rendered for the target (may be empty);
    /// `settings` the transaction's characteristics its modes give (`transaction_isolation`,
    /// `transaction_read_only`: name, value), set for the transaction alone.
    Begin { modes: Vec<TargetSql>, settings: Vec<(String, String)> },
    /// COMMIT / END.
    Commit,
    /// ROLLBACK / ABORT (not `ROLLBACK TO SAVEPOINT`, which is `Execute`).
    Rollback,
    /// `SET [SESSION|LOCAL] name = value`; `value` None means DEFAULT.
    Set { name: String, value: Option<String>, local: bool },
    /// A SELECT of session functions only (`version()`, `current_setting(..)`), answered locally.
    Local(Vec<(String, SessionFn)>),
    /// `DEALLOCATE name` (None: `DEALLOCATE ALL`): forget prepared statements.
    Deallocate(Option<String>),
    /// `DISCARD ALL | PLANS | TEMP | SEQUENCES`: reset session state (connection poolers send it).
    Discard { all: bool },
    /// `SHOW name` (`all` for SHOW ALL).
    Show { name: String },
    /// `RESET name` (`all` for RESET ALL).
    Reset { name: String },
    /// COPY .. FROM STDIN / TO STDOUT: the session runs the copy sub-protocol.
    Copy(Box<CopyStatement>),
    /// A query of pg_catalog / information_schema, run on the catalog engine (src/catalog/).
    Catalog(CatalogQuery),
    /// `DECLARE name CURSOR FOR query`: a SQL-level cursor (src/session/cursors.rs).
    Declare(Box<DeclareCursor>),
    /// `FETCH` / `MOVE` on a SQL-level cursor.
    Fetch(FetchCursor),
    /// `CLOSE name` (None: `CLOSE ALL`).
    CloseCursor(Option<String>),
    /// `PREPARE name [(types)] AS statement` (src/session/prepare.rs).
    Prepare(Box<PrepareStatement>),
    /// `EXECUTE name [(args)]`: the arguments in text form (None: NULL).
    ExecutePrepared { name: String, args: Vec<Option<String>> },
    /// `LISTEN channel` (the name folded as an identifier): session state (src/notify.rs).
    Listen(String),
    /// `UNLISTEN channel` (None: `UNLISTEN *`).
    Unlisten(Option<String>),
    /// `NOTIFY channel [, 'payload']`.
    Notify { channel: String, payload: String },
    /// `SELECT pg_notify(a, b) [AS name] FROM ..`: run `rows` (`SELECT a, b FROM ..`) on the
    /// backend and notify once per row; the result is one void column `name` per row.
    NotifyRows { name: String, rows: Vec<TargetSql> },
}

/// One client statement, classified and translated.
#[derive(Debug, Clone, PartialEq)]
pub struct Translated {
    pub tag: Tag,
    pub action: Action,
    /// Highest `$n` the statement uses.
    pub param_count: usize,
    /// Types of `$1..$n` the statement itself fixes (casts, literals, LIMIT); None where it does not.
    pub param_types: Vec<Option<crate::types::Oid>>,
    /// A query whose description gives the types of parameters used against columns.
    pub param_probe: Option<ParamProbe>,
    /// Result columns as far as the SQL text determines them (names, literal/cast types).
    pub columns: Option<Vec<InferredColumn>>,
    /// For row-returning statements: the parsed statement, to type expression
    /// columns once column and parameter types are known (`projection_in`).
    pub source: Option<std::sync::Arc<Statement>>,
    /// `SELECT <columns used inside projection expressions> FROM ..`: their types
    /// let `sum(qty)` or `id * 100` be typed like PostgreSQL does.
    pub column_probe: Option<ParamProbe>,
    /// For DML with RETURNING: a SELECT with the same result columns, described
    /// in its place so that Describe never runs the statement.
    pub returning_probe: Option<String>,
    /// (IRIS) per result column, the PostgreSQL type declared for the table column it
    /// references, where the gateway recorded one (it wins over the backend's stand-in).
    pub declared_types: Option<Vec<Option<DeclaredType>>>,
    /// The statement only reads (it may run outside a transaction).
    pub read_only: bool,
    /// NOTICE messages the session sends when the statement runs (what an emulation
    /// leaves out, e.g. unenforced CHECK constraints on IRIS).
    pub notices: Vec<String>,
    /// pg_typeof calls, markers `$(param_count + 1)`.. the session binds (type_of.rs).
    pub typeof_args: Vec<TypeofArg>,
    /// (IRIS) what the statement does to the known columns once it succeeds: DDL, or a
    /// savepoint step of the session's uncommitted DDL (iris/own_ddl.rs).
    pub columns_step: Option<ColumnsStep>,
    /// (IRIS) parameters stored into enum columns: the session refuses a value that is not
    /// a label (22P02) before running the statement, as IRIS has no CHECK.
    pub enum_params: Vec<EnumParam>,
}

/// A client parameter whose value must be a label of an enum type.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumParam {
    /// 0-based.
    pub param: usize,
    pub type_name: String,
    pub labels: Vec<String>,
}

impl EnumParam {
    /// PostgreSQL's enum_in error for a value that is not a label.
    pub fn check(&self, value: &str) -> PgResult<()> {
        if self.labels.iter().any(|l| l == value) {
            return Ok(());
        }
        Err(PgError::new(
            crate::error::sqlstate::INVALID_TEXT_REPRESENTATION,
            format!("invalid input value for enum {}: \"{value}\"", self.type_name),
        ))
    }
}

impl Translated {
    /// DDL: cached statement shapes must be checked again once it has run.
    pub fn changes_schema(&self) -> bool {
        matches!(&self.tag, Tag::Fixed(t) if ["CREATE", "ALTER", "DROP", "COMMENT"].iter().any(|w| t.starts_with(w)))
    }

    /// CREATE TEMPORARY TABLE / VIEW: the object lives on the backend connection it was
    /// made on (only sqlite has them; IRIS refuses them at translation).
    pub fn creates_temporary(&self) -> bool {
        let Action::Execute { statements, .. } = &self.action else { return false };
        self.changes_schema()
            && statements.iter().any(|s| {
                let mut words = s.sql.split_ascii_whitespace();
                words.next().is_some_and(|w| w.eq_ignore_ascii_case("CREATE"))
                    && words
                        .next()
                        .is_some_and(|w| w.eq_ignore_ascii_case("TEMPORARY") || w.eq_ignore_ascii_case("TEMP"))
            })
    }
}

/// Translate a query string (possibly several `;`-separated statements).
pub fn translate(sql: &str, target: &Target) -> PgResult<Vec<Translated>> {
    let statements = statements::copy::parse_statements(sql).map_err(statements::copy::parse_error)?;
    statements
        .into_iter()
        .map(|s| match s {
            statements::copy::Parsed::Sql(s) => translate_statement(s, target),
            statements::copy::Parsed::Copy(c) => Ok(statements::copy::translate_copy(c)),
            statements::copy::Parsed::Vacuum(v) => Ok(statements::copy::translate_vacuum(v, target)),
            statements::copy::Parsed::Fetch(f) => Ok(statements::cursors::translate_fetch(f)),
        })
        .collect()
}

/// What a target produced for one statement, markers still written `$n`.
pub(crate) struct Output {
    pub statements: Vec<String>,
    pub returns_rows: bool,
    pub rowcount: RowCount,
    /// Statements whose result is captured (`TargetSql::capture`), by index.
    pub captures: Vec<(usize, Capture)>,
    /// Statements that check a condition first (`TargetSql::guard`), by index.
    pub guards: Vec<(usize, Guard)>,
    /// The statement whose rows are the result, when it is not the last: the ones after it
    /// run once its rows are read in full (`TargetSql::after_result`).
    pub result_at: Option<usize>,
}

impl Output {
    pub fn one(sql: String, returns_rows: bool) -> Self {
        Output { returns_rows, ..Output::commands(vec![sql]) }
    }

    /// Statements run in order, none returning rows, the count of the last one reported.
    pub fn commands(statements: Vec<String>) -> Self {
        Output {
            statements,
            returns_rows: false,
            rowcount: RowCount::Last,
            captures: vec![],
            guards: vec![],
            result_at: None,
        }
    }

    /// Statements run in order, none returning rows, their counts summed (one INSERT per row).
    pub fn summed(statements: Vec<String>) -> Self {
        Output { rowcount: RowCount::Sum, ..Output::commands(statements) }
    }

    /// Nothing to send to the backend: the statement's effect is already there (or none).
    pub fn nothing() -> Self {
        Output::commands(vec![])
    }
}

fn translate_statement(mut stmt: Statement, target: &Target) -> PgResult<Translated> {
    database_names::strip(&mut stmt);
    if let Some(t) = statements::cursors::translate(&stmt, target)? {
        return Ok(t);
    }
    let param_count = params::max_placeholder(&stmt)?;
    let tag = statements::utility::tag(&stmt);
    // What the PostgreSQL text says about parameter and result types, before any rewrite.
    let (mut param_types, param_probe) = param_types::infer(&stmt);
    param_types.resize(param_count.max(param_types.len()), None);
    let columns = projection::projection(&stmt);
    let source = columns.as_ref().map(|_| std::sync::Arc::new(stmt.clone()));
    let column_probe = param_types::column_probe(&stmt, &projection::nested_column_refs(&stmt));
    let returning_probe = param_types::returning_probe(&stmt);
    let read_only = statements::utility::is_read_only(&stmt);
    let columns_step = match target {
        Target::Iris(_) => iris::own_ddl::columns_step(&stmt),
        Target::Sqlite => None,
    };
    let declared_types = match target {
        Target::Iris(o) => iris::declared::result_types(&stmt, &o.columns),
        Target::Sqlite => None,
    };
    // After the inference above, which types the calls (regtype) from the client's text.
    let typeof_args = type_of::take(&mut stmt, param_count)?;
    let described = |action| Translated {
        tag: tag.clone(),
        action,
        param_count,
        param_types: param_types.clone(),
        param_probe: param_probe.clone(),
        columns: columns.clone(),
        source: source.clone(),
        column_probe: column_probe.clone(),
        returning_probe: returning_probe.clone(),
        declared_types: declared_types.clone(),
        read_only,
        notices: vec![],
        enum_params: vec![],
        typeof_args: typeof_args.clone(),
        columns_step: None,
    };
    if let Some(items) = session_fns::local_select(&stmt) {
        let mut t = described(Action::Local(items.clone()));
        for (n, ty) in session_fns::param_types(&items) {
            if let Some(slot) = t.param_types.get_mut(n) {
                *slot = Some(ty.oid);
            }
        }
        return Ok(t);
    }
    if let Some((name, rows)) = session_fns::notify_over_rows(&stmt) {
        if let Action::Execute { statements, .. } = translate_statement(rows, target)?.action {
            return Ok(described(Action::NotifyRows { name, rows: statements }));
        }
    }
    if let Some(q) = catalog::catalog_query(&stmt)? {
        let mut t = described(Action::Catalog(q.clone()));
        for (slot, ty) in t.param_types.iter_mut().zip(q.param_types) {
            *slot = slot.or(ty);
        }
        // The backend knows nothing of catalog relations: no probes there.
        (t.param_probe, t.column_probe) = (None, None);
        return Ok(t);
    }
    if let Some(action) = statements::utility::session_action(&stmt, target)? {
        return Ok(described(action));
    }
    let mut notices = vec![];
    if matches!(target, Target::Iris(o) if o.unenforced_checks) && iris::ddl::has_check(&stmt) {
        notices.push(
            "CHECK constraints are not enforced: IRIS has none, so they were left out (--iris-unenforced-checks)"
                .into(),
        );
    }
    if let (Target::Iris(_), Statement::CreateIndex(ci)) = (target, &stmt) {
        notices.extend(iris::ddl::index_left_out(ci).map(str::to_owned));
    }
    if matches!(target, Target::Iris(_)) && iris::ddl::deferrable_keys(&stmt) {
        notices.push("DEFERRABLE foreign keys are checked at once: IRIS has no deferred constraints".into());
    }
    let source_stmt = stmt.clone();
    let out = match statements::enums::translate(&stmt, target)? {
        Some(out) => out,
        None => match target {
            Target::Sqlite => sqlite::translate(stmt)?,
            Target::Iris(opts) => iris::translate(stmt, opts)?,
        },
    };
    let statements = out
        .statements
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (sql, params) = params::to_question_marks(s);
            let (sql, inline) = params::inline_slots(sql);
            let guard = out.guards.iter().find(|(k, _)| *k == i).map(|(_, g)| g.clone());
            let capture = out.captures.iter().find(|(k, _)| *k == i).map(|(_, c)| *c);
            let after_result = out.result_at.is_some_and(|r| i > r);
            TargetSql { sql, params, inline, capture, guard, after_result }
        })
        .collect();
    let action = Action::Execute { statements, returns_rows: out.returns_rows, rowcount: out.rowcount };
    let enum_params = match target {
        Target::Iris(o) => iris::enums::stored_params(&source_stmt, &o.columns),
        Target::Sqlite => vec![],
    };
    Ok(Translated { notices, enum_params, columns_step, ..described(action) })
}
