//! Session settings (GUCs) answered by the gateway: SET, SHOW, RESET and
//! ParameterStatus. They follow a session, not a backend connection.

use std::collections::BTreeMap;

use crate::config::Config;
use crate::error::{sqlstate, PgError, PgResult};
use crate::types::datestyle::DateStyle;
use crate::types::{TimeZone, TypeCtx};

/// Settings PostgreSQL reports to the client with ParameterStatus whenever they change.
const REPORTED: &[&str] = &[
    "application_name",
    "client_encoding",
    "DateStyle",
    "default_transaction_read_only",
    "in_hot_standby",
    "integer_datetimes",
    "IntervalStyle",
    "is_superuser",
    "server_encoding",
    "server_version",
    "session_authorization",
    "standard_conforming_strings",
    "TimeZone",
];

/// Defaults: (canonical name, value).
fn defaults(server_version: &str) -> Vec<(&'static str, String)> {
    vec![
        ("application_name", String::new()),
        ("client_encoding", "UTF8".into()),
        ("DateStyle", "ISO, MDY".into()),
        ("default_transaction_deferrable", "off".into()),
        ("default_transaction_isolation", "read committed".into()),
        ("default_transaction_read_only", "off".into()),
        ("extra_float_digits", "1".into()),
        ("idle_in_transaction_session_timeout", "0".into()),
        ("in_hot_standby", "off".into()),
        ("integer_datetimes", "on".into()),
        ("IntervalStyle", "postgres".into()),
        ("is_superuser", "on".into()),
        // No JIT here. asyncpg reads and sets it before each type introspection, and an
        // unknown setting there aborts the client's open transaction.
        ("jit", "off".into()),
        ("lock_timeout", "0".into()),
        ("max_identifier_length", "63".into()),
        ("search_path", "\"$user\", public".into()),
        ("server_encoding", "UTF8".into()),
        ("server_version", server_version.into()),
        ("server_version_num", server_version_num(server_version)),
        ("session_authorization", String::new()),
        ("standard_conforming_strings", "on".into()),
        ("statement_timeout", "0".into()),
        ("TimeZone", "UTC".into()),
        ("transaction_deferrable", "off".into()),
        ("transaction_isolation", "read committed".into()),
        ("transaction_read_only", "off".into()),
    ]
}

/// "16.4 (iris-pgwire)" -> "160004".
fn server_version_num(version: &str) -> String {
    let mut parts = version.split(|c: char| !c.is_ascii_digit()).filter(|p| !p.is_empty());
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(16);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    format!("{}", major * 10000 + minor)
}

/// Transaction characteristics and the session defaults they take when no BEGIN or SET
/// TRANSACTION gave them.
const TRANSACTION_DEFAULTS: &[(&str, &str)] = &[
    ("transaction_deferrable", "default_transaction_deferrable"),
    ("transaction_isolation", "default_transaction_isolation"),
    ("transaction_read_only", "default_transaction_read_only"),
];

/// Settings that cannot be changed by a client.
const READ_ONLY: &[&str] = &[
    "server_version",
    "server_version_num",
    "server_encoding",
    "integer_datetimes",
    "max_identifier_length",
    "in_hot_standby",
    "is_superuser",
];

#[derive(Debug, Clone)]
pub struct Settings {
    /// Keyed by lower-case name: (canonical name, value).
    values: BTreeMap<String, (String, String)>,
    defaults: BTreeMap<String, String>,
    /// Values to restore at transaction end (SET LOCAL).
    local_saved: Vec<(String, (String, String))>,
    /// What the type codecs need (TimeZone), kept in step with `values`.
    type_ctx: TypeCtx,
}

impl Settings {
    pub fn new(server_version: &str) -> Self {
        let mut values = BTreeMap::new();
        let mut defaults_map = BTreeMap::new();
        for (name, value) in defaults(server_version) {
            values.insert(name.to_ascii_lowercase(), (name.to_string(), value.clone()));
            defaults_map.insert(name.to_ascii_lowercase(), value);
        }
        Settings { values, defaults: defaults_map, local_saved: Vec::new(), type_ctx: TypeCtx::default() }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        let key = canonical_key(name);
        // A transaction's characteristics are its BEGIN's (or SET TRANSACTION's, both
        // SET LOCAL), else the session's defaults, as PostgreSQL reports them.
        if let Some(default) = TRANSACTION_DEFAULTS.iter().find(|(k, _)| *k == key).map(|(_, d)| d) {
            if !self.local_saved.iter().any(|(k, _)| *k == key) {
                return self.values.get(*default).map(|(_, v)| v.as_str());
            }
        }
        self.values.get(&key).map(|(_, v)| v.as_str())
    }

    /// The (name, value) pairs sent as ParameterStatus after authentication.
    pub fn reported(&self) -> Vec<(String, String)> {
        REPORTED
            .iter()
            .filter_map(|n| self.values.get(&n.to_ascii_lowercase()).map(|(c, v)| (c.clone(), v.clone())))
            .collect()
    }

    /// Apply a startup-packet parameter as the session's starting value (RESET returns to
    /// it). `options` carries `-c name=value` (or `--name=value`) words, as libpq's
    /// PGOPTIONS; a bad value there is an error (PostgreSQL refuses the connection). Other
    /// unknown parameters are kept as custom settings.
    pub fn apply_startup(&mut self, name: &str, value: &str) -> PgResult<()> {
        match name {
            "user" | "database" | "replication" => {}
            "options" => {
                for (name, value) in command_line_settings(value) {
                    self.set_initial(&name, &value)?;
                }
            }
            _ => {
                let _ = self.set_initial(name, value);
            }
        }
        Ok(())
    }

    /// A session's own starting value (a role setting, a startup parameter): SET, and
    /// what RESET returns to.
    pub fn set_initial(&mut self, name: &str, value: &str) -> PgResult<()> {
        self.set(name, Some(value), false)?;
        let key = canonical_key(name);
        if let Some((_, value)) = self.values.get(&key) {
            let value = value.clone();
            self.defaults.insert(key, value);
        }
        Ok(())
    }

    /// A server-wide default (a command-line flag): what RESET and DEFAULT return to.
    pub fn set_default(&mut self, name: &str, value: &str) -> PgResult<()> {
        let key = canonical_key(name);
        let value = normalize(&key, value)?;
        let canonical = self.values.get(&key).map_or_else(|| key.clone(), |(c, _)| c.clone());
        self.defaults.insert(key.clone(), value.clone());
        self.values.insert(key, (canonical, value));
        Ok(())
    }

    /// A session's settings before its startup parameters: the defaults and the server's flags.
    pub fn for_server(config: &Config) -> PgResult<Settings> {
        let mut settings = Settings::new(&config.server_version);
        settings.set_default("idle_in_transaction_session_timeout", &config.idle_in_transaction_session_timeout)?;
        for (name, value) in &config.session_defaults {
            settings.set_default(name, value)?;
        }
        Ok(settings)
    }

    /// SET name = value (None: DEFAULT). Returns the ParameterStatus to send, if reported.
    pub fn set(&mut self, name: &str, value: Option<&str>, local: bool) -> PgResult<Option<(String, String)>> {
        let key = canonical_key(name);
        if READ_ONLY.contains(&key.as_str()) || READ_ONLY.iter().any(|r| r.eq_ignore_ascii_case(&key)) {
            return Err(PgError::new(
                sqlstate::CANT_CHANGE_RUNTIME_PARAM,
                format!("parameter \"{name}\" cannot be changed"),
            ));
        }
        let value = match value {
            Some(v) if key == "datestyle" => {
                let current = DateStyle::from_name(self.get("datestyle").unwrap_or_default());
                let reset = DateStyle::from_name(self.defaults.get("datestyle").map_or("", |s| s.as_str()));
                DateStyle::parse(v, current, reset)?.name()
            }
            Some(v) => normalize(&key, v)?,
            None => self.defaults.get(&key).cloned().unwrap_or_default(),
        };
        let canonical = self.values.get(&key).map(|(c, _)| c.clone()).unwrap_or_else(|| key.clone());
        let previous = self.values.insert(key.clone(), (canonical.clone(), value.clone()));
        if local {
            self.local_saved.push((key.clone(), previous.unwrap_or_else(|| (canonical.clone(), String::new()))));
        }
        self.refresh_type_ctx();
        Ok(REPORTED.iter().any(|r| r.eq_ignore_ascii_case(&key)).then_some((canonical, value)))
    }

    /// RESET name / RESET ALL.
    pub fn reset(&mut self, name: &str) -> PgResult<Vec<(String, String)>> {
        if name.eq_ignore_ascii_case("all") {
            let keys: Vec<String> = self
                .defaults
                .keys()
                .filter(|k| !READ_ONLY.iter().any(|r| r.eq_ignore_ascii_case(k)))
                .cloned()
                .collect();
            let mut reported = Vec::new();
            for k in keys {
                reported.extend(self.set(&k, None, false)?);
            }
            return Ok(reported);
        }
        Ok(self.set(name, None, false)?.into_iter().collect())
    }

    /// SHOW name: the value, or 42704 for an unknown setting.
    pub fn show(&self, name: &str) -> PgResult<String> {
        self.get(name).map(str::to_owned).ok_or_else(|| {
            PgError::new(sqlstate::UNDEFINED_OBJECT, format!("unrecognized configuration parameter \"{name}\""))
        })
    }

    /// statement_timeout in milliseconds (0 = none), from PostgreSQL's spellings
    /// (`5000`, `5s`, `500ms`, `1min`).
    pub fn statement_timeout_ms(&self) -> i64 {
        parse_duration_ms(self.get("statement_timeout").unwrap_or("0")).unwrap_or(0)
    }

    /// lock_timeout in milliseconds (0 = none).
    pub fn lock_timeout_ms(&self) -> i64 {
        parse_duration_ms(self.get("lock_timeout").unwrap_or("0")).unwrap_or(0)
    }

    /// idle_in_transaction_session_timeout, None when 0 (off).
    pub fn idle_in_transaction_timeout(&self) -> Option<std::time::Duration> {
        let ms = parse_duration_ms(self.get("idle_in_transaction_session_timeout").unwrap_or("0")).unwrap_or(0);
        (ms > 0).then(|| std::time::Duration::from_millis(ms as u64))
    }

    /// All settings for SHOW ALL: (name, value).
    pub fn all(&self) -> Vec<(String, String)> {
        self.values.iter().map(|(k, (c, v))| (c.clone(), self.get(k).unwrap_or(v).to_owned())).collect()
    }

    /// Transaction end: undo SET LOCAL. Returns changed reported settings.
    pub fn end_transaction(&mut self) -> Vec<(String, String)> {
        let mut reported = Vec::new();
        while let Some((key, prev)) = self.local_saved.pop() {
            if REPORTED.iter().any(|r| r.eq_ignore_ascii_case(&key)) {
                reported.push(prev.clone());
            }
            self.values.insert(key, prev);
        }
        self.refresh_type_ctx();
        reported
    }

    /// Session context for the type codecs (encode / decode_param).
    pub fn type_ctx(&self) -> &TypeCtx {
        &self.type_ctx
    }

    fn refresh_type_ctx(&mut self) {
        let tz = self.get("timezone").and_then(|v| TimeZone::parse(v).ok()).unwrap_or_default();
        if tz != self.type_ctx.time_zone {
            self.type_ctx.time_zone = tz;
        }
        self.type_ctx.date_style = DateStyle::from_name(self.get("datestyle").unwrap_or_default());
    }
}

/// A PostgreSQL time setting in ms: a bare number is ms; units us, ms, s, min, h, d.
fn parse_duration_ms(value: &str) -> Option<i64> {
    let v = value.trim().trim_matches('\'');
    let split = v.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: f64 = num.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "ms" => 1.0,
        "us" => 0.001,
        "s" => 1000.0,
        "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => return None,
    };
    // PostgreSQL rounds to the nearest unit with rint() (ties to even): 1400us is 1ms.
    Some((n * factor).round_ties_even() as i64)
}

/// The `name=value` pairs of a startup `options` string: words split at unescaped
/// spaces (backslash escapes the next character), `-c name=value` or `--name=value`;
/// `-` in names reads as `_`, as PostgreSQL's command line does.
fn command_line_settings(options: &str) -> Vec<(String, String)> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = options.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => word.extend(chars.next()),
            c if c.is_ascii_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut pairs = Vec::new();
    let mut words = words.into_iter();
    while let Some(w) = words.next() {
        let setting = match w.as_str() {
            "-c" => words.next(),
            _ => w.strip_prefix("--").map(str::to_string).or_else(|| w.strip_prefix("-c").map(str::to_string)),
        };
        if let Some((name, value)) = setting.as_deref().and_then(|s| s.split_once('=')) {
            pairs.push((name.replace('-', "_"), value.to_string()));
        }
    }
    pairs
}

/// A time setting as PostgreSQL shows it: in the largest unit that holds it exactly
/// (`300ms`, `5s`, `2min`, `1h`, `1d`), `0` when off.
fn format_ms(ms: i64) -> String {
    if ms == 0 {
        return "0".into();
    }
    let units = [(86_400_000, "d"), (3_600_000, "h"), (60_000, "min"), (1000, "s")];
    match units.iter().find(|(size, _)| ms % size == 0) {
        Some((size, unit)) => format!("{}{unit}", ms / size),
        None => format!("{ms}ms"),
    }
}

/// SQL spellings of settings: `SHOW TRANSACTION ISOLATION LEVEL`, `SET TIME ZONE`.
fn canonical_key(name: &str) -> String {
    let key = name.trim().to_ascii_lowercase();
    match key.as_str() {
        "transaction isolation level" => "transaction_isolation".into(),
        "time zone" => "timezone".into(),
        "session authorization" => "session_authorization".into(),
        _ => key,
    }
}

/// Normalise values the way PostgreSQL reports them back.
fn normalize(key: &str, value: &str) -> PgResult<String> {
    Ok(match key {
        "client_encoding" => {
            let v = value.to_ascii_uppercase().replace(['-', '_'], "");
            if v != "UTF8" && v != "UNICODE" {
                return Err(PgError::new(
                    sqlstate::FEATURE_NOT_SUPPORTED,
                    format!("client encoding \"{value}\" is not supported"),
                )
                .with_hint("iris-pgwire speaks UTF8 only."));
            }
            "UTF8".into()
        }
        // The codecs write intervals in the postgres style only; accepting another style
        // would tell clients (ParameterStatus) a format the values are not in.
        "intervalstyle" => match value.trim().trim_matches('\'').to_ascii_lowercase().as_str() {
            "postgres" => "postgres".into(),
            "postgres_verbose" | "sql_standard" | "iso_8601" => {
                return Err(PgError::new(
                    sqlstate::FEATURE_NOT_SUPPORTED,
                    format!("IntervalStyle \"{}\" is not supported", value.trim()),
                )
                .with_hint("iris-pgwire writes intervals in the postgres style (IntervalStyle \"postgres\")."))
            }
            _ => {
                return Err(PgError::new(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    format!("invalid value for parameter \"IntervalStyle\": \"{}\"", value.trim()),
                ))
            }
        },
        // (SET takes the session's current value into account: Settings::set.)
        "datestyle" => DateStyle::parse(value, DateStyle::default(), DateStyle::default())?.name(),
        crate::otel::SETTING => {
            let v = value.trim();
            if !v.is_empty() && !crate::otel::valid_traceparent(v) {
                return Err(PgError::new(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    format!("invalid value for parameter \"{key}\": \"{value}\""),
                )
                .with_hint("A W3C traceparent: 00-<32 hex digits>-<16 hex digits>-<2 hex digits>, or '' for none."));
            }
            v.to_owned()
        }
        "timezone" if value.eq_ignore_ascii_case("utc") => "UTC".into(),
        // Refuse zones the codecs cannot apply, as PostgreSQL does (22023).
        "timezone" => TimeZone::parse(value)?.name().to_owned(),
        "transaction_isolation" | "default_transaction_isolation" => value.to_ascii_lowercase(),
        "transaction_read_only"
        | "default_transaction_read_only"
        | "transaction_deferrable"
        | "default_transaction_deferrable" => {
            let on = crate::types::number::parse_bool(value.trim_matches('\'')).map_err(|_| {
                PgError::new(sqlstate::INVALID_PARAMETER_VALUE, format!("parameter \"{key}\" requires a Boolean value"))
            })?;
            if on { "on" } else { "off" }.into()
        }
        "idle_in_transaction_session_timeout" | "statement_timeout" | "lock_timeout" => {
            match parse_duration_ms(value) {
                Some(ms) if (0..=i64::from(i32::MAX)).contains(&ms) => format_ms(ms),
                _ => {
                    return Err(PgError::new(
                        sqlstate::INVALID_PARAMETER_VALUE,
                        format!("invalid value for parameter \"{key}\": \"{value}\""),
                    )
                    .with_hint("Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\"."))
                }
            }
        }
        _ => value.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_style_follows_set_and_reaches_the_codecs() {
        let mut s = Settings::new("16.4");
        assert_eq!(
            s.set("DateStyle", Some("German"), false).unwrap(),
            Some(("DateStyle".into(), "German, DMY".into()))
        );
        assert_eq!(s.set("datestyle", Some("YMD"), false).unwrap().unwrap().1, "German, YMD");
        assert_eq!(s.type_ctx().date_style.name(), "German, YMD");
        assert_eq!(s.set("datestyle", Some("ISO, SQL"), false).unwrap_err().code, sqlstate::INVALID_PARAMETER_VALUE);
        assert_eq!(s.set("datestyle", Some("nonsense"), false).unwrap_err().code, sqlstate::INVALID_PARAMETER_VALUE);
        s.set("datestyle", Some("SQL, DMY"), true).unwrap();
        s.end_transaction();
        assert_eq!(s.show("DateStyle").unwrap(), "German, YMD");
        s.reset("DateStyle").unwrap();
        assert_eq!(s.show("DateStyle").unwrap(), "ISO, MDY");
        assert_eq!(s.type_ctx().date_style, Default::default());
        s.set_initial("DateStyle", "iso").unwrap();
        assert_eq!(s.show("DateStyle").unwrap(), "ISO, MDY");
        assert_eq!(
            s.set("IntervalStyle", Some("sql_standard"), false).unwrap_err().code,
            sqlstate::FEATURE_NOT_SUPPORTED
        );
        assert_eq!(s.set("IntervalStyle", Some("wat"), false).unwrap_err().code, sqlstate::INVALID_PARAMETER_VALUE);
        assert_eq!(s.set("IntervalStyle", Some("Postgres"), false).unwrap().unwrap().1, "postgres");
    }

    #[test]
    fn set_show_reset_and_local() {
        let mut s = Settings::new("16.4");
        assert_eq!(s.show("server_version_num").unwrap(), "160004");
        assert_eq!(
            s.set("application_name", Some("app"), false).unwrap(),
            Some(("application_name".into(), "app".into()))
        );
        assert_eq!(s.show("APPLICATION_NAME").unwrap(), "app");
        s.set("statement_timeout", Some("5s"), true).unwrap();
        assert_eq!(s.show("statement_timeout").unwrap(), "5s");
        s.end_transaction();
        assert_eq!(s.show("statement_timeout").unwrap(), "0");
        s.reset("application_name").unwrap();
        assert_eq!(s.show("application_name").unwrap(), "");
        assert_eq!(s.show("nope").unwrap_err().code, sqlstate::UNDEFINED_OBJECT);
        assert!(s.set("server_version", Some("1"), false).is_err());
        s.set("statement_timeout", Some("1.5s"), false).unwrap();
        assert_eq!(s.statement_timeout_ms(), 1500);
        s.set("statement_timeout", Some("250"), false).unwrap();
        assert_eq!(s.statement_timeout_ms(), 250);
        s.set("statement_timeout", Some("2min"), false).unwrap();
        assert_eq!(s.statement_timeout_ms(), 120_000);
    }

    #[test]
    fn idle_in_transaction_timeout_from_flag_startup_options_and_set() {
        let mut s = Settings::new("16.4");
        assert_eq!(s.idle_in_transaction_timeout(), None);
        s.set_default("idle_in_transaction_session_timeout", "2s").unwrap();
        assert_eq!(s.idle_in_transaction_timeout(), Some(std::time::Duration::from_secs(2)));
        s.apply_startup("options", "-c idle_in_transaction_session_timeout=300  --application-name=my\\ app").unwrap();
        assert_eq!(s.show("idle_in_transaction_session_timeout").unwrap(), "300ms");
        assert_eq!(s.show("application_name").unwrap(), "my app");
        for (set, shown) in [("90000", "90s"), ("'1.5min'", "90s"), ("2h", "2h"), ("1500us", "2ms"), ("0", "0")] {
            s.set("idle_in_transaction_session_timeout", Some(set), false).unwrap();
            assert_eq!(s.show("idle_in_transaction_session_timeout").unwrap(), shown, "{set}");
        }
        assert_eq!(s.idle_in_transaction_timeout(), None);
        // RESET returns to the session's starting value (its startup options), as in PostgreSQL.
        s.reset("idle_in_transaction_session_timeout").unwrap();
        assert_eq!(s.show("idle_in_transaction_session_timeout").unwrap(), "300ms");
        for bad in ["abc", "-1", "5 parsecs"] {
            let err = s.set("idle_in_transaction_session_timeout", Some(bad), false).unwrap_err();
            assert_eq!(err.code, sqlstate::INVALID_PARAMETER_VALUE, "{bad}");
        }
        assert!(s.set_default("idle_in_transaction_session_timeout", "soon").is_err());
    }
}
