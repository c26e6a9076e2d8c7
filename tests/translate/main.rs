//! Golden corpus for the translator: `cases/*.txt`, one block per case.
//!
//! ```text
//! #! target: iris 2025.1          (file default; also "sqlite", "iris 2024.1 noexact",
//!                                  "iris 2025.1 unenforced-checks",
//!                                  "iris 2025.1 vectors=items.embedding,t.v": known vector columns,
//!                                  "iris 2025.1 ddl=t(id+int,+j+jsonb)": a table created earlier,
//!                                  "iris 2025.1 view=v:SELECT+a+FROM+t": a view created earlier)
//! === case name [@ target]
//! <PostgreSQL input, any number of lines>
//! ---
//! <expected output: backend statements, session actions or "ERROR <sqlstate>">
//! ```
//! Output lines: each backend statement, then `-- params: $2, $1` when it binds client
//! parameters (`$c0`: a value captured from the statement marked `-- captured`);
//! `-- rowcount: sum` / `-- returns rows` for multi-statement emulations; `-- declared types:`
//! the OIDs that result columns take from their tables' declared types (`-` for none);
//! `;` between client statements. `BLESS=1 cargo test --test translate` rewrites the
//! expected blocks from the current output (review the diff before committing).
//! Every produced statement must re-parse (see `reparse`).

mod props;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use _core::error::PgResult;
use _core::translate::{
    translate, Action, Capture, IrisOptions, KnownColumns, RowCount, Tag, Target, Translated, CAPTURED, CAPTURED_LIST,
};

pub fn target_from(spec: &str) -> Target {
    let words: Vec<&str> = spec.split_whitespace().collect();
    match words.first().copied() {
        Some("sqlite") => Target::Sqlite,
        Some("iris") => {
            let mut o = IrisOptions::default();
            if let Some(v) = words.get(1).and_then(|v| IrisOptions::parse_version(v)) {
                o.version = v;
            }
            if words.contains(&"noexact") {
                o.exact_strings = false;
            }
            if words.contains(&"unenforced-checks") {
                o.unenforced_checks = true;
            }
            if let Some(cols) = words.iter().find_map(|w| w.strip_prefix("vectors=")) {
                let keys: Vec<&str> = cols.split(',').collect();
                o.columns = std::sync::Arc::new(KnownColumns::with_vectors(&keys));
            }
            // Tables created earlier through the gateway: each `ddl=` spec is one CREATE TABLE,
            // `+` for a space (`ddl=t(id+int,+j+jsonb)`), so result columns get declared types.
            for ddl in words.iter().filter_map(|w| w.strip_prefix("ddl=")) {
                let sql = format!("CREATE TABLE {}", ddl.replace('+', " "));
                if let Some(k) = o.columns.after_ddl(&sql) {
                    o.columns = std::sync::Arc::new(k);
                }
            }
            // Views created earlier through the gateway: `view=v:SELECT+a+FROM+t`.
            for view in words.iter().filter_map(|w| w.strip_prefix("view=")) {
                let (name, query) = view.split_once(':').expect("view=name:query");
                let sql = format!("CREATE VIEW {name} AS {}", query.replace('+', " "));
                if let Some(k) = o.columns.after_ddl(&sql) {
                    o.columns = std::sync::Arc::new(k);
                }
            }
            Target::Iris(o)
        }
        _ => panic!("unknown target spec {spec:?}"),
    }
}

pub fn render(result: &PgResult<Vec<Translated>>) -> String {
    let ts = match result {
        Err(e) => return format!("ERROR {}", e.code),
        Ok(ts) => ts,
    };
    let mut out = String::new();
    for (i, t) in ts.iter().enumerate() {
        if i > 0 {
            out.push_str(";\n");
        }
        render_one(t, &mut out);
    }
    if ts.is_empty() {
        out.push_str("EMPTY\n");
    }
    out.trim_end().to_string()
}

/// A permissive dialect for re-parsing output: IRIS names may start with `%` or `$`.
#[derive(Debug)]
pub struct ReparseDialect;

impl sqlparser::dialect::Dialect for ReparseDialect {
    fn is_identifier_start(&self, ch: char) -> bool {
        ch.is_alphabetic() || ch == '_' || ch == '%' || ch == '$'
    }
    fn is_identifier_part(&self, ch: char) -> bool {
        ch.is_alphanumeric() || ch == '_' || ch == '$'
    }
    // SQLite output uses both (IRIS output never contains FILTER).
    fn supports_filter_during_aggregation(&self) -> bool {
        true
    }
    fn supports_comma_separated_trim(&self) -> bool {
        true
    }
}

/// Output must parse again as SQL. IRIS-only spellings sqlparser cannot express are
/// normalised first (`TOP ALL`, `IDENTITY` columns, `%DESCRIPTION`); HNSW index DDL is checked by shape.
pub fn reparse(sql: &str) -> Result<(), String> {
    if sql.starts_with("CREATE INDEX ") && sql.contains(" AS HNSW(") {
        return Ok(());
    }
    let mut s = iris_alter_as_pg(sql).replace("TOP ALL", "TOP 1").replace(" IDENTITY", "");
    // Column descriptions (`%DESCRIPTION 'pgtype:jsonb'`) are IRIS's own column option.
    while let Some(at) = s.find(" %DESCRIPTION '") {
        let end = s[at + 15..].find('\'').map_or(s.len(), |e| at + 16 + e);
        s.replace_range(at..end, "");
    }
    sqlparser::parser::Parser::parse_sql(&ReparseDialect, &s).map(|_| ()).map_err(|e| format!("{e}"))
}

/// IRIS's ALTER TABLE spellings (`ALTER COLUMN f NULL | NOT NULL | datatype | DEFAULT x |
/// RENAME new`, `RENAME newtable`) in PostgreSQL's, so their names, types and expressions
/// are still checked by the re-parse.
fn iris_alter_as_pg(sql: &str) -> String {
    let Some(rest) = sql.strip_prefix("ALTER TABLE ") else { return sql.to_string() };
    let ident = |s: &str| -> usize {
        // A name, quoted or not, possibly qualified: up to the first space outside quotes.
        let mut quoted = false;
        s.char_indices()
            .find(|&(_, c)| {
                quoted ^= c == '"';
                c == ' ' && !quoted
            })
            .map_or(s.len(), |(i, _)| i)
    };
    let table = &rest[..ident(rest)];
    let after = rest[table.len()..].trim_start();
    let pg_form = ["RENAME TO ", "RENAME COLUMN ", "SET ", "TYPE ", "DROP NOT NULL"];
    if let Some(new) = after.strip_prefix("RENAME ").filter(|_| !pg_form.iter().any(|p| after.starts_with(p))) {
        return format!("ALTER TABLE {table} RENAME TO {new}");
    }
    let Some(col_rest) = after.strip_prefix("ALTER COLUMN ") else { return sql.to_string() };
    let column = &col_rest[..ident(col_rest)];
    let action = col_rest[column.len()..].trim_start();
    let head = format!("ALTER TABLE {table}");
    if pg_form.iter().any(|p| action.starts_with(p)) {
        return sql.to_string();
    }
    match action {
        "NULL" => format!("{head} ALTER COLUMN {column} DROP NOT NULL"),
        "NOT NULL" => format!("{head} ALTER COLUMN {column} SET NOT NULL"),
        "DROP DEFAULT" => format!("{head} ALTER COLUMN {column} DROP DEFAULT"),
        a if a.starts_with("DEFAULT ") => format!("{head} ALTER COLUMN {column} SET {a}"),
        a if a.starts_with("RENAME ") => format!("{head} RENAME COLUMN {column} TO {}", &a[7..]),
        a => format!("{head} ALTER COLUMN {column} TYPE {a}"),
    }
}

struct Case {
    name: String,
    target: String,
    input: String,
    expected: String,
}

fn parse_file(text: &str) -> (Vec<String>, Vec<Case>) {
    let mut header = Vec::new();
    let mut cases = Vec::new();
    let mut default_target = String::from("iris 2025.1");
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(t) = line.strip_prefix("#! target:") {
            default_target = t.trim().to_string();
            header.push(line.to_string());
            continue;
        }
        let Some(head) = line.strip_prefix("=== ") else {
            if cases.is_empty() {
                header.push(line.to_string());
            }
            continue;
        };
        let (name, target) = match head.split_once(" @ ") {
            Some((n, t)) => (n.trim().to_string(), t.trim().to_string()),
            None => (head.trim().to_string(), default_target.clone()),
        };
        let mut input = Vec::new();
        for l in lines.by_ref() {
            if l == "---" {
                break;
            }
            input.push(l);
        }
        let mut expected = Vec::new();
        while let Some(l) = lines.peek() {
            if l.starts_with("=== ") {
                break;
            }
            expected.push(*l);
            lines.next();
        }
        cases.push(Case {
            name,
            target,
            input: input.join("\n"),
            expected: expected.join("\n").trim_end().to_string(),
        });
    }
    (header, cases)
}

fn case_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/translate/cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("cases dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    files
}

#[test]
fn golden_corpus() {
    let bless = std::env::var_os("BLESS").is_some();
    let mut total = 0;
    let mut failures = Vec::new();
    for file in case_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let (header, cases) = parse_file(&text);
        let mut blessed = header.join("\n");
        for c in &cases {
            total += 1;
            let result = translate(&c.input, &target_from(&c.target));
            let actual = render(&result);
            if let Ok(ts) = &result {
                for t in ts {
                    if let Action::Execute { statements, .. } = &t.action {
                        // TUNE TABLE is IRIS's own utility statement: no SQL grammar to check it against.
                        for s in statements.iter().filter(|s| !s.sql.starts_with("TUNE TABLE ")) {
                            if let Err(e) = reparse(&s.sql) {
                                failures.push(format!(
                                    "{}: {}: output does not re-parse: {e}\n  {}",
                                    file.display(),
                                    c.name,
                                    s.sql
                                ));
                            }
                        }
                    }
                }
            }
            if actual != c.expected && !bless {
                failures.push(format!(
                    "{}: {} @ {}\n--- input\n{}\n--- expected\n{}\n--- actual\n{}\n",
                    file.file_name().unwrap().to_string_lossy(),
                    c.name,
                    c.target,
                    c.input,
                    c.expected,
                    actual
                ));
            }
            let _ = write!(
                blessed,
                "\n=== {}{}\n{}\n---\n{}\n",
                c.name,
                target_suffix(&header, &c.target),
                c.input,
                actual
            );
        }
        if bless {
            std::fs::write(&file, blessed.trim_start_matches('\n')).unwrap();
        }
    }
    assert!(total >= 400 || bless, "the corpus needs at least 400 cases, has {total}");
    assert!(failures.is_empty(), "{} of {total} cases failed:\n{}", failures.len(), failures.join("\n"));
}

fn target_suffix(header: &[String], target: &str) -> String {
    let default = header
        .iter()
        .find_map(|l| l.strip_prefix("#! target:").map(|t| t.trim().to_string()))
        .unwrap_or_else(|| "iris 2025.1".into());
    if default == target {
        String::new()
    } else {
        format!(" @ {target}")
    }
}

/// One client statement's action, as the golden files show it.
fn render_one(t: &Translated, out: &mut String) {
    for n in &t.notices {
        let _ = writeln!(out, "-- notice: {n}");
    }
    match &t.action {
        Action::Execute { statements, returns_rows, rowcount } => {
            for s in statements {
                out.push_str(&s.sql);
                if !s.params.is_empty() {
                    let ps: Vec<String> = s
                        .params
                        .iter()
                        .map(|p| match p.checked_sub(CAPTURED) {
                            _ if *p == CAPTURED_LIST => "$cl".to_owned(),
                            Some(k) => format!("$c{k}"),
                            None => format!("${}", p + 1),
                        })
                        .collect();
                    let _ = write!(out, "  -- params: {}", ps.join(", "));
                }
                match s.capture {
                    Some(Capture::One) => out.push_str("  -- captured"),
                    Some(Capture::All) => out.push_str("  -- captured list"),
                    None => {}
                }
                if s.after_result {
                    out.push_str("  -- after the result");
                }
                if let Some(g) = &s.guard {
                    let _ = write!(out, "  -- guard: {}", g.sqlstate);
                }
                out.push('\n');
            }
            if statements.is_empty() {
                out.push_str("-- nothing to run\n");
            }
            if *rowcount == RowCount::Sum {
                out.push_str("-- rowcount: sum\n");
            }
            if *returns_rows && t.tag != Tag::Select {
                out.push_str("-- returns rows\n");
            }
            if let Some(declared) = &t.declared_types {
                let oids: Vec<String> =
                    declared.iter().map(|d| d.as_ref().map_or("-".into(), |d| d.oid.to_string())).collect();
                let _ = writeln!(out, "-- declared types: {}", oids.join(", "));
            }
        }
        Action::Begin { modes, settings } => {
            out.push_str("BEGIN\n");
            for m in modes {
                let _ = writeln!(out, "{}", m.sql);
            }
            for (name, value) in settings {
                let _ = writeln!(out, "-- set local {name} = {value}");
            }
        }
        Action::Commit => out.push_str("COMMIT\n"),
        Action::Rollback => out.push_str("ROLLBACK\n"),
        Action::Catalog(q) => {
            let _ = writeln!(out, "CATALOG {}", q.sql);
            if !q.params.is_empty() {
                let ps: Vec<String> = q.params.iter().map(|p| format!("${}", p + 1)).collect();
                let _ = writeln!(out, "-- params: {}", ps.join(", "));
            }
        }
        Action::Local(items) => {
            let names: Vec<&str> = items.iter().map(|(n, _)| n.as_str()).collect();
            let _ = writeln!(out, "LOCAL SELECT {}", names.join(", "));
        }
        Action::Deallocate(name) => {
            let _ = writeln!(out, "DEALLOCATE {}", name.as_deref().unwrap_or("ALL"));
        }
        Action::Discard { all } => {
            let _ = writeln!(out, "DISCARD{}", if *all { " ALL" } else { "" });
        }
        Action::Set { name, value, local } => {
            let _ = writeln!(
                out,
                "SET{} {name} = {}",
                if *local { " LOCAL" } else { "" },
                value.as_deref().unwrap_or("DEFAULT")
            );
        }
        Action::Show { name } => {
            let _ = writeln!(out, "SHOW {name}");
        }
        Action::Reset { name } => {
            let _ = writeln!(out, "RESET {name}");
        }
        Action::Copy(c) => {
            let _ = writeln!(
                out,
                "COPY {} {:?} ({})",
                if c.from { "FROM STDIN" } else { "TO STDOUT" },
                c.options.format,
                c.select_sql()
            );
        }
        Action::Declare(d) => {
            let _ = writeln!(
                out,
                "DECLARE {}{}{} FOR",
                d.name,
                if d.binary { " BINARY" } else { "" },
                if d.hold { " WITH HOLD" } else { "" }
            );
            render_one(&d.query, out);
        }
        Action::Fetch(f) => {
            let _ = writeln!(out, "{} {:?} {}", if f.skip { "MOVE" } else { "FETCH" }, f.direction, f.name);
        }
        Action::CloseCursor(name) => {
            let _ = writeln!(out, "CLOSE {}", name.as_deref().unwrap_or("ALL"));
        }
        Action::Prepare(p) => {
            let _ = writeln!(out, "PREPARE {} {:?} AS", p.name, p.param_types);
            render_one(&p.statement, out);
        }
        Action::ExecutePrepared { name, args } => {
            let _ = writeln!(out, "EXECUTE {name} {args:?}");
        }
        Action::Listen(channel) => {
            let _ = writeln!(out, "LISTEN {channel:?}");
        }
        Action::Unlisten(channel) => {
            let _ = writeln!(out, "UNLISTEN {}", channel.as_ref().map_or("*".into(), |c| format!("{c:?}")));
        }
        Action::Notify { channel, payload } => {
            let _ = writeln!(out, "NOTIFY {channel:?} {payload:?}");
        }
        Action::NotifyRows { name, rows } => {
            let _ = writeln!(out, "NOTIFY PER ROW ({name}) OF");
            for s in rows {
                let _ = writeln!(out, "{}", s.sql);
            }
        }
    }
}
