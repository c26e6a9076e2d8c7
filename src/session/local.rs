//! Statements the gateway answers itself, for every backend: SHOW, SELECTs of
//! session functions, and asyncpg's type introspection (from the type registry).

use super::columns::{field, resolve_formats};
use super::{Done, Session};
use crate::backend::Column;
use crate::error::{PgError, PgResult};
use crate::protocol::backend::{self as be, FieldDescription};
use crate::translate::{Action, SessionFn};
use crate::types::{self, Param, PgType};

/// Result columns of asyncpg's introspection query (`typeinfo_tree` plus the three
/// `*_name` columns), in its order. `kind` and `elemdelim` are PostgreSQL's "char";
/// text decodes the same in asyncpg.
const TYPE_INFO_COLUMNS: [(&str, &PgType); 14] = [
    ("oid", &types::OID),
    ("ns", &types::NAME),
    ("name", &types::NAME),
    ("kind", &types::TEXT),
    ("basetype", &types::OID),
    ("elemtype", &types::OID),
    ("elemdelim", &types::TEXT),
    ("range_subtype", &types::OID),
    ("attrtypoids", &types::OID_ARRAY),
    ("attrnames", &types::TEXT_ARRAY),
    ("depth", &types::INT4),
    ("basetype_name", &types::TEXT),
    ("elemtype_name", &types::TEXT),
    ("range_subtype_name", &types::TEXT),
];

/// Rows computed by the gateway: each value in text form, None for NULL.
type TextRows = Vec<Vec<Option<String>>>;
type TextColumns = Vec<(String, &'static PgType)>;

/// The columns of SHOW ALL.
const SHOW_ALL_COLUMNS: [&str; 3] = ["name", "setting", "description"];

/// Result columns of a statement the gateway answers itself (None for others): what
/// Describe announces and what Execute sends, from this one place.
pub(super) fn columns(action: &Action) -> Option<Vec<Column>> {
    Some(text_columns(action)?.into_iter().map(|(name, ty)| Column::new(name, Some(ty))).collect())
}

fn text_columns(action: &Action) -> Option<TextColumns> {
    Some(match action {
        Action::Show { name } if name == "all" => {
            SHOW_ALL_COLUMNS.iter().map(|c| (c.to_string(), &types::TEXT)).collect()
        }
        Action::Show { name } => vec![(name.clone(), &types::TEXT)],
        Action::Local(items) => items.iter().map(|(name, f)| (name.clone(), session_fn_type(f))).collect(),
        Action::TypeInfo => TYPE_INFO_COLUMNS.iter().map(|(n, t)| (n.to_string(), *t)).collect(),
        _ => return None,
    })
}

/// The type of a session function's value.
fn session_fn_type(f: &SessionFn) -> &'static PgType {
    match f {
        SessionFn::CurrentSchema | SessionFn::CurrentDatabase | SessionFn::CurrentUser => &types::NAME,
        SessionFn::BackendPid => &types::INT4,
        SessionFn::Version | SessionFn::Setting(_) | SessionFn::SetConfig { .. } => &types::TEXT,
    }
}

/// `regtype` output of a type: the SQL-standard spelling where PostgreSQL has one.
fn regtype_name(t: &PgType) -> &'static str {
    match t.name {
        "int2" => "smallint",
        "int4" => "integer",
        "int8" => "bigint",
        "float4" => "real",
        "float8" => "double precision",
        "bool" => "boolean",
        "varchar" => "character varying",
        "bpchar" => "character",
        "timestamp" => "timestamp without time zone",
        "timestamptz" => "timestamp with time zone",
        "time" => "time without time zone",
        "timetz" => "time with time zone",
        other => other,
    }
}

/// One `typeinfo_tree` row of a registry type.
fn type_info_row(t: &PgType, depth: i32) -> Vec<Option<String>> {
    let elem = t.element();
    vec![
        Some(t.oid.to_string()),
        Some(t.namespace().into()),
        Some(t.name.into()),
        Some("b".into()),
        None,
        Some(elem.map_or(0, |e| e.oid).to_string()),
        elem.map(|_| ",".to_string()),
        None,
        None,
        None,
        Some(depth.to_string()),
        None,
        Some(elem.map_or("-", regtype_name).to_string()),
        None,
    ]
}

fn requested_oids(params: &[Param]) -> PgResult<Vec<u32>> {
    let bad = || PgError::protocol("type introspection expects one oid[] parameter");
    let Some(Param::Array(items)) = params.first() else {
        return Err(bad());
    };
    items
        .iter()
        .filter_map(|p| match p {
            Param::Null => None,
            Param::Int(i) => Some(u32::try_from(*i).map_err(|_| bad())),
            Param::Text(s) | Param::Decimal(s) => Some(s.trim().parse().map_err(|_| bad())),
            _ => Some(Err(bad())),
        })
        .collect()
}

impl Session {
    /// Answer SHOW, a SELECT of session functions, or the type introspection query.
    pub(super) fn answer_locally(
        &mut self,
        action: &Action,
        params: &[Param],
        result_formats: &[i16],
        describe_rows: bool,
    ) -> PgResult<Done> {
        let (rows, tag) = match action {
            Action::Show { name } => (self.show(name)?, "SHOW".to_string()),
            Action::Local(items) => (vec![self.local_select(items)?], "SELECT 1".to_string()),
            Action::TypeInfo => {
                let rows = type_info(params)?;
                let tag = format!("SELECT {}", rows.len());
                (rows, tag)
            }
            _ => return Err(PgError::internal("not a statement the gateway answers")),
        };
        let columns = text_columns(action).expect("answered locally");
        self.send_text_rows(&columns, &rows, result_formats, describe_rows)?;
        Ok(Done { tag })
    }
}

/// asyncpg's type introspection: the requested types (depth 0) and the element
/// types of arrays among them (depth 1), deepest first, as PostgreSQL returns
/// them. Unknown OIDs give no row, as in PostgreSQL.
fn type_info(params: &[Param]) -> PgResult<TextRows> {
    let mut top = Vec::new();
    let mut elements = Vec::new();
    for oid in requested_oids(params)? {
        let Some(t) = types::by_oid(oid) else {
            continue;
        };
        let row = type_info_row(t, 0);
        if !top.contains(&row) {
            top.push(row);
        }
        if let Some(e) = t.element() {
            let row = type_info_row(e, 1);
            if !elements.contains(&row) {
                elements.push(row);
            }
        }
    }
    elements.extend(top);
    Ok(elements)
}

impl Session {
    fn show(&mut self, name: &str) -> PgResult<TextRows> {
        Ok(if name == "all" {
            self.settings.all().into_iter().map(|(n, v)| vec![Some(n), Some(v), Some(String::new())]).collect()
        } else {
            vec![vec![Some(self.settings.show(name)?)]]
        })
    }

    /// Evaluate a SELECT of session functions (`version()`, `current_setting()`, ...).
    fn local_select(&mut self, items: &[(String, SessionFn)]) -> PgResult<Vec<Option<String>>> {
        let mut row = Vec::with_capacity(items.len());
        for (_, f) in items {
            let value = match f {
                SessionFn::Version => format!(
                    "PostgreSQL {} on x86_64-pc-linux-gnu, compiled by iris-pgwire {}",
                    self.settings.show("server_version")?,
                    env!("CARGO_PKG_VERSION")
                ),
                SessionFn::CurrentSchema => "public".to_owned(),
                SessionFn::CurrentDatabase => self.database.clone(),
                SessionFn::CurrentUser => self.user.clone(),
                SessionFn::BackendPid => self.pid.to_string(),
                SessionFn::Setting(n) => self.settings.show(n)?,
                SessionFn::SetConfig { name, value, local } => {
                    if let Some((n, v)) = self.settings.set(name, Some(value), *local)? {
                        be::parameter_status(&mut self.conn.out, &n, &v);
                    }
                    self.settings.show(name)?
                }
            };
            row.push(Some(value));
        }
        Ok(row)
    }

    /// Send rows computed by the gateway (values in text form).
    fn send_text_rows(
        &mut self,
        columns: &[(String, &'static types::PgType)],
        rows: &[Vec<Option<String>>],
        result_formats: &[i16],
        describe_rows: bool,
    ) -> PgResult<()> {
        let formats = resolve_formats(result_formats, columns.len())?;
        if describe_rows {
            let fields: Vec<FieldDescription> =
                columns.iter().zip(&formats).map(|((c, ty), f)| field(c, ty, -1, *f)).collect();
            be::row_description(&mut self.conn.out, &fields);
        }
        for row in rows {
            let start = be::begin_data_row(&mut self.conn.out, row.len() as i16);
            for ((v, (_, ty)), f) in row.iter().zip(columns).zip(&formats) {
                let Some(v) = v else {
                    be::data_row_null(&mut self.conn.out);
                    continue;
                };
                let value = if ty.oid == types::INT4.oid {
                    types::Value::Int(v.parse().unwrap_or_default())
                } else {
                    types::Value::Text(v)
                };
                let ctx = self.settings.type_ctx();
                be::data_row_value(&mut self.conn.out, |b| types::encode(&value, ty, *f, ctx, b))?;
            }
            be::finish_data_row(&mut self.conn.out, start);
        }
        Ok(())
    }
}
