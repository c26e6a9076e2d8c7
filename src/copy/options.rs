//! COPY options as PostgreSQL 15 accepts and checks them (ProcessCopyOptions in
//! src/backend/commands/copy.c), in the modern `WITH (name value, ...)` form and the
//! pre-9.0 keyword form that psql's `\copy` users still write.

use crate::error::{sqlstate, PgError, PgResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFormat {
    Text,
    Csv,
    Binary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    No,
    Yes,
    /// COPY FROM only: the header line must name the columns, in order.
    Match,
}

/// An option's argument as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptValue {
    None,
    /// An identifier, keyword or number.
    Word(String),
    /// A quoted string.
    Str(String),
    /// `*` (FORCE_QUOTE *).
    Star,
    /// A parenthesized column list.
    List(Vec<String>),
}

/// Columns an option applies to: all, or named ones.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Columns {
    #[default]
    Nothing,
    All,
    Named(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyOptions {
    pub format: CopyFormat,
    pub delimiter: u8,
    pub null: String,
    pub header: Header,
    pub quote: u8,
    pub escape: u8,
    pub force_quote: Columns,
    pub force_not_null: Columns,
    pub force_null: Columns,
    /// Accepted and ignored: no backend has PostgreSQL's frozen-tuple shortcut.
    pub freeze: bool,
}

fn syntax(message: impl Into<String>) -> PgError {
    PgError::new(sqlstate::SYNTAX_ERROR, message)
}

fn unsupported(message: &str) -> PgError {
    PgError::new(sqlstate::FEATURE_NOT_SUPPORTED, message)
}

fn invalid(message: impl Into<String>) -> PgError {
    PgError::new(sqlstate::INVALID_PARAMETER_VALUE, message)
}

fn string_arg(name: &str, v: &OptValue) -> PgResult<String> {
    match v {
        OptValue::Str(s) | OptValue::Word(s) => Ok(s.clone()),
        _ => Err(syntax(format!("{name} requires a parameter"))),
    }
}

/// defGetBoolean: true/false/on/off/1/0/yes/no, or no argument for true.
fn bool_arg(name: &str, v: &OptValue) -> PgResult<bool> {
    let word = match v {
        OptValue::None => return Ok(true),
        OptValue::Str(s) | OptValue::Word(s) => s.to_ascii_lowercase(),
        _ => return Err(syntax(format!("{name} requires a Boolean value"))),
    };
    match word.as_str() {
        "true" | "on" | "1" | "yes" => Ok(true),
        "false" | "off" | "0" | "no" => Ok(false),
        _ => Err(syntax(format!("{name} requires a Boolean value"))),
    }
}

fn columns_arg(name: &str, v: &OptValue, star: bool) -> PgResult<Columns> {
    match v {
        OptValue::List(names) => Ok(Columns::Named(names.clone())),
        OptValue::Star if star => Ok(Columns::All),
        _ => Err(syntax(format!("argument to option \"{name}\" must be a list of column names"))),
    }
}

fn one_byte(s: &str, what: &str) -> PgResult<u8> {
    match s.as_bytes() {
        [b] if b.is_ascii() => Ok(*b),
        _ => Err(unsupported(&format!("COPY {what} must be a single one-byte character"))),
    }
}

impl CopyOptions {
    /// Check the options of a COPY FROM (`from`) or COPY TO, and fill in the defaults.
    pub fn parse(items: &[(String, OptValue)], from: bool) -> PgResult<CopyOptions> {
        let mut seen = std::collections::HashSet::new();
        let (mut format, mut freeze, mut header) = (None, false, Header::No);
        let (mut delimiter, mut null, mut quote, mut escape) = (None, None, None, None);
        let (mut force_quote, mut force_not_null, mut force_null) =
            (Columns::Nothing, Columns::Nothing, Columns::Nothing);
        for (name, value) in items {
            let name = name.to_ascii_lowercase();
            if !seen.insert(name.clone()) {
                return Err(syntax("conflicting or redundant options"));
            }
            match name.as_str() {
                "format" => {
                    let f = string_arg("format", value)?;
                    format = Some(match f.to_ascii_lowercase().as_str() {
                        "text" => CopyFormat::Text,
                        "csv" => CopyFormat::Csv,
                        "binary" => CopyFormat::Binary,
                        _ => return Err(invalid(format!("COPY format \"{f}\" not recognized"))),
                    });
                }
                "freeze" => freeze = bool_arg("freeze", value)?,
                "delimiter" => delimiter = Some(string_arg("delimiter", value)?),
                "null" => null = Some(string_arg("null", value)?),
                "quote" => quote = Some(string_arg("quote", value)?),
                "escape" => escape = Some(string_arg("escape", value)?),
                "header" => {
                    header = match value {
                        OptValue::Word(w) | OptValue::Str(w) if w.eq_ignore_ascii_case("match") => {
                            if !from {
                                return Err(unsupported("cannot use \"match\" with HEADER in COPY TO"));
                            }
                            Header::Match
                        }
                        v if bool_arg("header", v)? => Header::Yes,
                        _ => Header::No,
                    }
                }
                "force_quote" => force_quote = columns_arg("force_quote", value, true)?,
                "force_not_null" => force_not_null = columns_arg("force_not_null", value, false)?,
                "force_null" => force_null = columns_arg("force_null", value, false)?,
                "encoding" => {
                    let e = string_arg("encoding", value)?;
                    let norm: String = e.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
                    if !norm.eq_ignore_ascii_case("utf8") && !norm.eq_ignore_ascii_case("unicode") {
                        return Err(unsupported("COPY ENCODING other than UTF8 is not supported")
                            .with_hint("convert the data to UTF-8, the gateway's only encoding"));
                    }
                }
                other => return Err(syntax(format!("option \"{other}\" not recognized"))),
            }
        }
        let format = format.unwrap_or(CopyFormat::Text);
        let csv = format == CopyFormat::Csv;
        if format == CopyFormat::Binary {
            if delimiter.is_some() {
                return Err(syntax("cannot specify DELIMITER in BINARY mode"));
            }
            if null.is_some() {
                return Err(syntax("cannot specify NULL in BINARY mode"));
            }
            if header != Header::No {
                return Err(syntax("cannot specify HEADER in BINARY mode"));
            }
        }
        let delimiter = one_byte(delimiter.as_deref().unwrap_or(if csv { "," } else { "\t" }), "delimiter")?;
        let null = null.unwrap_or_else(|| if csv { String::new() } else { "\\N".into() });
        if delimiter == b'\n' || delimiter == b'\r' {
            return Err(invalid("COPY delimiter cannot be newline or carriage return"));
        }
        if null.contains(['\n', '\r']) {
            return Err(invalid("COPY null representation cannot use newline or carriage return"));
        }
        if !csv && b"\\.abcdefghijklmnopqrstuvwxyz0123456789".contains(&delimiter) {
            return Err(invalid(format!("COPY delimiter cannot be \"{}\"", delimiter as char)));
        }
        if !csv && quote.is_some() {
            return Err(unsupported("COPY quote available only in CSV mode"));
        }
        let quote = one_byte(quote.as_deref().unwrap_or("\""), "quote")?;
        if csv && delimiter == quote {
            return Err(invalid("COPY delimiter and quote must be different"));
        }
        if !csv && escape.is_some() {
            return Err(unsupported("COPY escape available only in CSV mode"));
        }
        let escape = match escape {
            Some(e) => one_byte(&e, "escape")?,
            None => quote,
        };
        for (cols, name, wanted_from) in [
            (&force_quote, "force quote", false),
            (&force_not_null, "force not null", true),
            (&force_null, "force null", true),
        ] {
            if *cols == Columns::Nothing {
                continue;
            }
            if !csv {
                return Err(unsupported(&format!("COPY {name} available only in CSV mode")));
            }
            if from != wanted_from {
                let using = if wanted_from { "COPY FROM" } else { "COPY TO" };
                return Err(unsupported(&format!("COPY {name} only available using {using}")));
            }
        }
        if format != CopyFormat::Binary && null.as_bytes().contains(&delimiter) {
            return Err(unsupported("COPY delimiter must not appear in the NULL specification"));
        }
        if csv && null.as_bytes().contains(&quote) {
            return Err(unsupported("CSV quote character must not appear in the NULL specification"));
        }
        Ok(CopyOptions {
            format,
            delimiter,
            null,
            header,
            quote,
            escape,
            force_quote,
            force_not_null,
            force_null,
            freeze,
        })
    }

    /// One flag per column of `names` for a FORCE_* option: 42703 for a column the table
    /// lacks (`table` lists its columns), 42P10 for one the COPY does not name.
    pub fn flags(&self, which: &Columns, option: &str, names: &[String], table: &[String]) -> PgResult<Vec<bool>> {
        match which {
            Columns::Nothing => Ok(vec![false; names.len()]),
            Columns::All => Ok(vec![true; names.len()]),
            Columns::Named(wanted) => {
                let mut flags = vec![false; names.len()];
                for w in wanted {
                    if !table.contains(w) && !names.contains(w) {
                        return Err(PgError::new(sqlstate::UNDEFINED_COLUMN, format!("column \"{w}\" does not exist")));
                    }
                    let i = names.iter().position(|n| n == w).ok_or_else(|| {
                        PgError::new(
                            sqlstate::INVALID_COLUMN_REFERENCE,
                            format!("{option} column \"{w}\" not referenced by COPY"),
                        )
                    })?;
                    flags[i] = true;
                }
                Ok(flags)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(items: &[(&str, OptValue)], from: bool) -> PgResult<CopyOptions> {
        let items: Vec<_> = items.iter().map(|(n, v)| (n.to_string(), v.clone())).collect();
        CopyOptions::parse(&items, from)
    }

    #[test]
    fn defaults_per_format() {
        let t = opts(&[], true).unwrap();
        assert_eq!((t.delimiter, t.null.as_str()), (b'\t', "\\N"));
        let c = opts(&[("format", OptValue::Word("csv".into()))], true).unwrap();
        assert_eq!((c.delimiter, c.null.as_str(), c.quote, c.escape), (b',', "", b'"', b'"'));
    }

    #[test]
    fn postgres_refusals() {
        let csv = ("format", OptValue::Word("csv".into()));
        let code = |r: PgResult<CopyOptions>| r.unwrap_err().code;
        assert_eq!(code(opts(&[("quote", OptValue::Str("'".into()))], true)), "0A000");
        assert_eq!(code(opts(&[csv.clone(), ("force_quote", OptValue::Star)], true)), "0A000");
        assert_eq!(code(opts(&[("delimiter", OptValue::Str("ab".into()))], true)), "0A000");
        assert_eq!(code(opts(&[("delimiter", OptValue::Str("a".into()))], true)), "22023");
        assert_eq!(code(opts(&[("bogus", OptValue::None)], true)), "42601");
        assert_eq!(code(opts(&[("freeze", OptValue::None), ("freeze", OptValue::None)], true)), "42601");
        assert_eq!(
            code(opts(&[("format", OptValue::Word("binary".into())), ("null", OptValue::Str("x".into()))], true)),
            "42601"
        );
        assert!(opts(&[csv, ("force_quote", OptValue::Star)], false).is_ok());
        assert!(opts(&[("freeze", OptValue::Word("on".into()))], true).unwrap().freeze);
    }
}
