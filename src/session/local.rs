//! Statements the gateway answers itself, for every backend: SHOW, SELECTs of
//! session functions, and asyncpg's type introspection (from the type registry).

use super::columns::{field, resolve_formats};
use super::{Done, Session};
use crate::error::{PgError, PgResult};
use crate::protocol::backend::{self as be, FieldDescription};
use crate::python::backend::Column;
use crate::translate::SessionFn;
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

/// The columns Describe reports for the type introspection query.
pub(super) fn type_info_columns() -> Vec<Column> {
    TYPE_INFO_COLUMNS.iter().map(|(n, t)| Column::new(*n, Some(*t))).collect()
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
    /// asyncpg's type introspection: the requested types (depth 0) and the element
    /// types of arrays among them (depth 1), deepest first, as PostgreSQL returns
    /// them. Unknown OIDs give no row, as in PostgreSQL.
    pub(super) fn type_info(
        &mut self,
        params: &[Param],
        result_formats: &[i16],
        describe_rows: bool,
    ) -> PgResult<Done> {
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
        let columns: TextColumns = TYPE_INFO_COLUMNS.iter().map(|(n, t)| (n.to_string(), *t)).collect();
        self.send_text_rows(&columns, &elements, result_formats, describe_rows)?;
        Ok(Done { tag: format!("SELECT {}", elements.len()) })
    }

    pub(super) fn show(&mut self, name: &str, result_formats: &[i16], describe_rows: bool) -> PgResult<Done> {
        let (columns, rows): (TextColumns, TextRows) = if name == "all" {
            let rows =
                self.settings.all().into_iter().map(|(n, v)| vec![Some(n), Some(v), Some(String::new())]).collect();
            (["name", "setting", "description"].iter().map(|c| (c.to_string(), &types::TEXT)).collect(), rows)
        } else {
            (vec![(name.to_owned(), &types::TEXT)], vec![vec![Some(self.settings.show(name)?)]])
        };
        self.send_text_rows(&columns, &rows, result_formats, describe_rows)?;
        Ok(Done { tag: "SHOW".into() })
    }

    /// Evaluate a SELECT of session functions (`version()`, `current_setting()`, ...).
    pub(super) fn local_select(
        &mut self,
        items: &[(String, SessionFn)],
        result_formats: &[i16],
        describe_rows: bool,
    ) -> PgResult<Done> {
        let mut columns = Vec::with_capacity(items.len());
        let mut row = Vec::with_capacity(items.len());
        for (name, f) in items {
            let (ty, value) = match f {
                SessionFn::Version => (
                    &types::TEXT,
                    format!(
                        "PostgreSQL {} on x86_64-pc-linux-gnu, compiled by iris-pgwire {}",
                        self.settings.show("server_version")?,
                        env!("CARGO_PKG_VERSION")
                    ),
                ),
                SessionFn::CurrentSchema => (&types::NAME, "public".to_owned()),
                SessionFn::CurrentDatabase => (&types::NAME, self.database.clone()),
                SessionFn::CurrentUser => (&types::NAME, self.user.clone()),
                SessionFn::BackendPid => (&types::INT4, self.pid.to_string()),
                SessionFn::Setting(n) => (&types::TEXT, self.settings.show(n)?),
                SessionFn::SetConfig { name, value, local } => {
                    if let Some((n, v)) = self.settings.set(name, Some(value), *local)? {
                        be::parameter_status(&mut self.conn.out, &n, &v);
                    }
                    (&types::TEXT, self.settings.show(name)?)
                }
            };
            columns.push((name.clone(), ty));
            row.push(Some(value));
        }
        self.send_text_rows(&columns, &[row], result_formats, describe_rows)?;
        Ok(Done { tag: "SELECT 1".into() })
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
