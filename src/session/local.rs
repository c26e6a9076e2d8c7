//! Statements the gateway answers itself, for every backend: SHOW and SELECTs of
//! session functions, pg_notify() and pg_listening_channels() among them (catalog queries
//! run on the catalog engine: session/catalog.rs).

use super::columns::{field, resolve_formats};
use super::{Done, Session};
use crate::advisory::Key;
use crate::backend::Column;
use crate::error::{sqlstate, PgError, PgResult};
use crate::protocol::backend::{self as be, FieldDescription};
use crate::translate::{Action, AdvisoryOp, FnArg, SessionFn, Sleep, SleepKind};
use crate::types::{self, Param, PgType};

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
        Action::NotifyRows { name, .. } => vec![(name.clone(), &types::VOID)],
        _ => return None,
    })
}

/// The type of a session function's value.
fn session_fn_type(f: &SessionFn) -> &'static PgType {
    match f {
        SessionFn::CurrentSchema | SessionFn::CurrentDatabase | SessionFn::CurrentUser => &types::NAME,
        SessionFn::BackendPid => &types::INT4,
        SessionFn::Advisory { op: AdvisoryOp::Lock { .. }, .. } => &types::VOID,
        SessionFn::Advisory { .. } => &types::BOOL,
        SessionFn::Notify { .. } | SessionFn::AdvisoryUnlockAll | SessionFn::Sleep(_) => &types::VOID,
        SessionFn::Version | SessionFn::Setting(_) | SessionFn::SetConfig { .. } | SessionFn::ListeningChannels => {
            &types::TEXT
        }
    }
}

impl Session {
    /// Answer SHOW, a SELECT of session functions, or the type introspection query.
    pub(super) async fn answer_locally(
        &mut self,
        action: &Action,
        params: &[Param],
        result_formats: &[i16],
        describe_rows: bool,
    ) -> PgResult<Done> {
        let (rows, tag) = match action {
            Action::Show { name } => (self.show(name)?, "SHOW".to_string()),
            Action::Local(items) => {
                let rows = self.local_select(items, params).await?;
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

impl Session {
    fn show(&mut self, name: &str) -> PgResult<TextRows> {
        Ok(if name == "all" {
            self.settings.all().into_iter().map(|(n, v)| vec![Some(n), Some(v), Some(String::new())]).collect()
        } else {
            vec![vec![Some(self.settings.show(name)?)]]
        })
    }

    /// Evaluate a SELECT of session functions (`version()`, `current_setting()`, ...): one
    /// row, or one per channel with `pg_listening_channels()` (a set-returning function).
    async fn local_select(&mut self, items: &[(String, SessionFn)], params: &[Param]) -> PgResult<TextRows> {
        let mut row = Vec::with_capacity(items.len());
        let mut srf = None;
        for (i, (_, f)) in items.iter().enumerate() {
            let value = match f {
                SessionFn::Sleep(sleep) => {
                    row.push(self.sleep(sleep, params).await?);
                    continue;
                }
                SessionFn::Version => format!(
                    "PostgreSQL {} on x86_64-pc-linux-gnu, compiled by iris-pgwire {}",
                    self.settings.show("server_version")?,
                    env!("CARGO_PKG_VERSION")
                ),
                SessionFn::CurrentSchema => "public".to_owned(),
                SessionFn::CurrentDatabase => self.database.clone(),
                SessionFn::CurrentUser => self.user.clone(),
                SessionFn::BackendPid => self.pid.to_string(),
                SessionFn::Setting(n) => match self.fn_arg(n, params) {
                    Some(name) => self.settings.show(&name)?,
                    None => {
                        row.push(None); // current_setting is strict
                        continue;
                    }
                },
                SessionFn::SetConfig { name, value, local } => {
                    let name = &self.fn_arg(name, params).ok_or_else(|| {
                        PgError::new(sqlstate::INVALID_PARAMETER_VALUE, "SET requires parameter name")
                    })?;
                    let value = self.fn_arg(value, params);
                    if let Some((n, v)) = self.settings.set(name, value.as_deref(), *local)? {
                        be::parameter_status(&mut self.conn.out, &n, &v);
                    }
                    self.settings.show(name)?
                }
                SessionFn::Notify { channel, payload } => {
                    self.pg_notify(channel, payload, params)?;
                    String::new()
                }
                SessionFn::AdvisoryUnlockAll => {
                    self.ctx.advisory.unlock_all(self.pid);
                    String::new()
                }
                SessionFn::Advisory { op, key } => {
                    row.push(self.advisory(*op, key, params).await?);
                    continue;
                }
                SessionFn::ListeningChannels => {
                    srf = Some(i);
                    String::new()
                }
            };
            row.push(Some(value));
        }
        let Some(i) = srf else { return Ok(vec![row]) };
        Ok(self
            .notify
            .channels()
            .iter()
            .map(|c| {
                let mut r = row.clone();
                r[i] = Some(c.clone());
                r
            })
            .collect())
    }

    /// pg_advisory_lock and friends on the gateway's locks (src/advisory.rs). A wait ends
    /// early with 57014 on a CancelRequest, statement_timeout or shutdown. NULL key: NULL.
    async fn advisory(&mut self, op: AdvisoryOp, key: &[FnArg], params: &[Param]) -> PgResult<Option<String>> {
        let mut parts = Vec::with_capacity(key.len());
        for arg in key {
            let Some(text) = self.fn_arg(arg, params) else { return Ok(None) };
            let ty = if key.len() == 1 { "bigint" } else { "integer" };
            let n: i64 = text.trim().parse().map_err(|_| {
                PgError::new(
                    sqlstate::INVALID_TEXT_REPRESENTATION,
                    format!("invalid input syntax for type {ty}: \"{text}\""),
                )
            })?;
            parts.push(n);
        }
        let key = match parts.as_slice() {
            [k] => Key::One(*k),
            [a, b] => {
                let int = |n: i64| {
                    i32::try_from(n)
                        .map_err(|_| PgError::new(sqlstate::NUMERIC_VALUE_OUT_OF_RANGE, "integer out of range"))
                };
                Key::Two(int(*a)?, int(*b)?)
            }
            _ => return Err(PgError::internal("advisory lock key of 1 or 2 values")),
        };
        let locks = &self.ctx.advisory;
        Ok(Some(match op {
            AdvisoryOp::Lock { xact } => {
                self.cancel.interruptible(locks.lock(key, self.pid, xact)).await??;
                String::new()
            }
            AdvisoryOp::TryLock { xact } => bool_text(locks.try_lock(key, self.pid, xact)),
            AdvisoryOp::Unlock => {
                let released = locks.unlock(key, self.pid);
                if !released {
                    let warning = PgError::new("01000", "you don't own a lock of type ExclusiveLock");
                    be::notice_response(&mut self.conn.out, "WARNING", &warning);
                }
                bool_text(released)
            }
        }))
    }

    /// pg_sleep, pg_sleep_for, pg_sleep_until: wait here, interruptible by CancelRequest,
    /// statement_timeout and shutdown. Void: an empty value, NULL for a NULL argument.
    async fn sleep(&mut self, sleep: &Sleep, params: &[Param]) -> PgResult<Option<String>> {
        let ctx = self.settings.type_ctx();
        let arg = match &sleep.arg {
            FnArg::Text(None) => Param::Null,
            FnArg::Text(Some(t)) => {
                types::decode_param(Some(t.as_bytes()), sleep.kind.arg_type().oid, types::Format::Text, ctx)?
            }
            FnArg::Param(n) => params.get(*n).cloned().unwrap_or(Param::Null),
        };
        let seconds = match (sleep.kind, &arg) {
            (_, Param::Null) => return Ok(None),
            (SleepKind::Seconds, Param::Float(s)) => *s,
            (SleepKind::Seconds, Param::Int(s)) => *s as f64,
            // pg_sleep_for adds the interval to the clock: a month is taken as 30 days.
            (SleepKind::For, Param::Interval(i)) => {
                (i.months as f64 * 30.0 + i.days as f64) * 86_400.0 + i.micros as f64 / 1e6
            }
            (SleepKind::Until, Param::TimestampTz(t)) => {
                let now = types::dtparse::parse_timestamptz("now", &ctx.time_zone)?;
                (*t as f64 - now as f64) / 1e6
            }
            (_, other) => return Err(PgError::internal(format!("unexpected sleep argument {other:?}"))),
        };
        // As PostgreSQL: a negative or NaN delay returns at once, infinity waits for a cancel.
        if seconds.is_nan() || seconds <= 0.0 {
            return Ok(Some(String::new()));
        }
        let d = std::time::Duration::try_from_secs_f64(seconds).unwrap_or(std::time::Duration::MAX / 2);
        self.cancel.sleep(d).await?;
        Ok(Some(String::new()))
    }

    /// Send rows computed by the gateway (values in text form).
    pub(super) fn send_text_rows(
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
        let ctx = self.settings.type_ctx();
        for row in rows {
            be::data_row(&mut self.conn.out, row.len() as i16, |out| {
                for ((v, (_, ty)), f) in row.iter().zip(columns).zip(&formats) {
                    let Some(v) = v else {
                        be::data_row_null(out);
                        continue;
                    };
                    let value = if ty.oid == types::INT4.oid || ty.oid == types::INT8.oid {
                        types::Value::Int(v.parse().unwrap_or_default())
                    } else if ty.oid == types::BOOL.oid {
                        types::Value::Bool(v == "t")
                    } else {
                        types::Value::Text(v)
                    };
                    be::data_row_value(out, |b| types::encode(&value, ty, *f, ctx, b))?;
                }
                Ok(())
            })?;
        }
        Ok(())
    }
}

/// A bool in PostgreSQL's text form.
fn bool_text(b: bool) -> String {
    (if b { "t" } else { "f" }).to_owned()
}
