//! Statements the gateway answers itself, for every backend: SHOW and SELECTs of
//! session functions.

use super::columns::{field, resolve_formats};
use super::{Done, Session};
use crate::error::PgResult;
use crate::protocol::backend::{self as be, FieldDescription};
use crate::translate::SessionFn;
use crate::types::{self, PgType};

/// Rows computed by the gateway: each value in text form, None for NULL.
type TextRows = Vec<Vec<Option<String>>>;
type TextColumns = Vec<(String, &'static PgType)>;

impl Session {
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
