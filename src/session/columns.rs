//! Result columns as clients see them: format codes, RowDescription fields, and the
//! merge of the backend's column types with what the SQL text says.

use crate::backend::Column;
use crate::error::{PgError, PgResult};
use crate::protocol::backend::FieldDescription;
use crate::translate::{DeclaredType, InferredColumn, Typmod};
use crate::types::{self, Format};

/// Result format codes from Bind: none = all text, one = all columns, else one per column.
pub(super) fn resolve_formats(codes: &[i16], ncols: usize) -> PgResult<Vec<Format>> {
    match codes.len() {
        0 => Ok(vec![Format::Text; ncols]),
        1 => Ok(vec![Format::from_code(codes[0])?; ncols]),
        n if n == ncols => codes.iter().map(|c| Format::from_code(*c)).collect(),
        n => Err(PgError::protocol(format!("bind message has {n} result formats but query has {ncols} columns"))),
    }
}

pub(super) fn field(name: &str, ty: &types::PgType, typmod: i32, format: Format) -> FieldDescription {
    FieldDescription {
        name: name.to_owned(),
        table_oid: 0,
        column_attr: 0,
        type_oid: ty.oid,
        type_len: ty.typlen,
        type_modifier: typmod,
        format,
    }
}

pub(super) fn fields_for(columns: &[Column], formats: &[Format]) -> Vec<FieldDescription> {
    columns.iter().zip(formats).map(|(c, f)| field(&c.name, column_type(c), c.typmod, *f)).collect()
}

pub(super) fn column_type(c: &Column) -> &'static types::PgType {
    c.ty.unwrap_or(&types::TEXT)
}

/// Combine the backend's columns with what the SQL says: PostgreSQL's names for
/// expression columns and case-folded identifiers, and the expression types the
/// backend could not give. Untyped columns end up as text.
pub(super) fn resolve_columns(backend: Vec<Column>, inferred: Option<&[InferredColumn]>) -> Vec<Column> {
    let inferred = inferred.filter(|c| c.len() == backend.len());
    backend
        .into_iter()
        .enumerate()
        .map(|(i, col)| {
            let hint = inferred.map(|c| &c[i]);
            // An expression's type is the one PostgreSQL gives it, whatever the backend
            // computed it as (IRIS: a predicate is a CASE giving BIT or an int, `$1::int * 2`
            // over a VARCHAR marker is VARCHAR); the encoder coerces the values.
            let sql_type = hint.filter(|h| h.typmod != Typmod::Column).and_then(|h| h.type_oid).and_then(types::by_oid);
            let ty = sql_type
                .or(col.ty)
                .or_else(|| hint.and_then(|h| h.type_oid).and_then(types::by_oid))
                .unwrap_or(&types::TEXT);
            let typmod = match hint.map(|h| (h.typmod, h.type_oid)) {
                None | Some((Typmod::Column, _)) if col.ty.is_some() => col.typmod,
                Some((Typmod::Cast(m), Some(oid))) if oid == ty.oid => m,
                _ => -1,
            };
            Column { name: hint.map_or(col.name, |h| h.name.clone()), ty: Some(ty), typmod }
        })
        .collect()
}

/// IRIS: a column that plainly references a table column with a declared type
/// (translate/iris/declared.rs) takes that type instead of the stand-in's; a column of a `*`
/// only while its name is the one the gateway knows (the table may have changed since).
pub(super) fn apply_declared(columns: &mut [Column], declared: Option<&[Option<DeclaredType>]>) {
    let Some(declared) = declared.filter(|d| d.len() == columns.len()) else { return };
    for (c, d) in columns.iter_mut().zip(declared) {
        let Some(d) = d else { continue };
        if d.wildcard_column.as_ref().is_some_and(|n| !n.eq_ignore_ascii_case(&c.name)) {
            continue;
        }
        if let Some(ty) = types::by_oid(d.oid) {
            (c.ty, c.typmod) = (Some(ty), d.typmod);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend_col(name: &str, ty: Option<&'static types::PgType>, typmod: i32) -> Column {
        Column { name: name.into(), ty, typmod }
    }

    fn hint(name: &str, type_oid: Option<types::Oid>, typmod: Typmod) -> InferredColumn {
        InferredColumn { name: name.into(), type_oid, typmod }
    }

    #[test]
    fn modifiers_stay_on_column_references_only() {
        let numeric = types::by_oid(1700);
        let typmod = (10 << 16) + 2 + 4; // numeric(10,2)
        let cols = vec![backend_col("A", numeric, typmod), backend_col("Aggregate_2", numeric, typmod)];
        let got = resolve_columns(cols, Some(&[hint("a", None, Typmod::Column), hint("sum", None, Typmod::None)]));
        assert_eq!((got[0].name.as_str(), got[0].typmod), ("a", typmod));
        assert_eq!((got[1].name.as_str(), got[1].typmod), ("sum", -1), "an expression's values may exceed the scale");
    }

    #[test]
    fn wildcard_queries_keep_backend_columns() {
        let cols = vec![backend_col("a", types::by_oid(1700), 655366), backend_col("b", None, -1)];
        let got = resolve_columns(cols, None);
        assert_eq!(got[0].typmod, 655366);
        assert_eq!(got[1].ty.map(|t| t.oid), Some(25), "untyped columns are text");
    }

    #[test]
    fn inferred_types_carry_no_modifier() {
        let cols = vec![backend_col("x", None, 42)];
        let got = resolve_columns(cols, Some(&[hint("x", Some(23), Typmod::None)]));
        assert_eq!((got[0].ty.map(|t| t.oid), got[0].typmod), (Some(23), -1));
    }

    #[test]
    fn expression_types_are_postgresql_s() {
        // IRIS: `$1::text is null` runs as a CASE typed BIT/int, `$1::int * 2` as VARCHAR.
        let cols = vec![
            backend_col("N", types::by_oid(23), -1),
            backend_col("V", types::by_oid(1043), 10),
            backend_col("A", types::by_oid(1043), 10),
        ];
        let hints =
            [hint("n", Some(16), Typmod::None), hint("v", Some(23), Typmod::None), hint("a", Some(25), Typmod::Column)];
        let got: Vec<_> =
            resolve_columns(cols, Some(&hints)).into_iter().map(|c| (c.ty.map(|t| t.oid), c.typmod)).collect();
        assert_eq!(
            got,
            vec![(Some(16), -1), (Some(23), -1), (Some(1043), 10)],
            "a column reference keeps the backend's"
        );
    }

    #[test]
    fn casts_give_their_modifier() {
        let numeric_10_2 = (10 << 16) + 2 + 4;
        let cols = vec![backend_col("a", None, -1), backend_col("b", types::by_oid(25), -1)];
        let hints = [hint("numeric", Some(1700), Typmod::Cast(numeric_10_2)), hint("b", None, Typmod::Cast(7))];
        let got = resolve_columns(cols, Some(&hints));
        assert_eq!((got[0].ty.map(|t| t.oid), got[0].typmod), (Some(1700), numeric_10_2));
        assert_eq!(got[1].typmod, -1, "a modifier only for the type it was written for");
    }

    #[test]
    fn declared_types_replace_stand_ins() {
        let declared = |oid, wildcard: Option<&str>| {
            Some(DeclaredType { oid, typmod: -1, wildcard_column: wildcard.map(str::to_owned) })
        };
        let mut cols = vec![
            backend_col("j", types::by_oid(25), -1),
            backend_col("n", types::by_oid(23), -1),
            backend_col("renamed", types::by_oid(701), -1),
        ];
        apply_declared(&mut cols, Some(&[declared(3802, Some("J")), None, declared(700, Some("f"))]));
        let oids: Vec<_> = cols.iter().map(|c| c.ty.map(|t| t.oid)).collect();
        assert_eq!(oids, vec![Some(3802), Some(23), Some(701)], "a * column whose name changed keeps the backend's");
        apply_declared(&mut cols, Some(&[None]));
        assert_eq!(cols[0].ty.map(|t| t.oid), Some(3802), "a count mismatch changes nothing");
    }

    #[test]
    fn result_format_codes() {
        assert_eq!(resolve_formats(&[], 2).unwrap(), vec![Format::Text; 2]);
        assert_eq!(resolve_formats(&[1], 2).unwrap(), vec![Format::Binary; 2]);
        assert_eq!(resolve_formats(&[0, 1], 2).unwrap(), vec![Format::Text, Format::Binary]);
        assert!(resolve_formats(&[0, 1, 0], 2).is_err());
    }
}
