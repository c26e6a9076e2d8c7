//! The result type of CASE, COALESCE, GREATEST/LEAST, UNION/INTERSECT/EXCEPT, VALUES and
//! ARRAY[]: PostgreSQL's `select_common_type` (parse_coerce.c; the docs' "UNION, CASE, and
//! Related Constructs"), over the type categories, preferred types and implicit casts of
//! the types the gateway speaks.
//!
//! Inputs are taken left to right. Unknown-type literals (`'..'`, NULL, a parameter of
//! no declared type) are ignored unless all inputs are unknown, which gives text. The
//! first typed input is the candidate; a later input of the same category replaces it
//! when the candidate casts to it implicitly but not back, unless the candidate is the
//! category's preferred type. So `CASE .. THEN 0 ELSE 1.5 END` is numeric, `COALESCE(1,
//! 2.5::float8)` float8, `SELECT 1 UNION SELECT 2.5` numeric.

use crate::types::{self, Oid};

/// One input of the resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The SQL gives the input this type.
    Known(Oid),
    /// An unknown-type literal: a string constant, NULL, an untyped parameter.
    Unknown,
    /// The SQL alone does not say (a column the backend types, an unknown function).
    Opaque,
}

/// The common type of `inputs`; None when an input's type is not known from the SQL
/// (the session then types the columns it refers to and asks again, or the backend says).
pub fn common_type(inputs: impl IntoIterator<Item = Input>) -> Option<Oid> {
    let mut candidate: Option<Oid> = None;
    let mut unknown = false;
    for input in inputs {
        let t = match input {
            Input::Known(t) => t,
            Input::Unknown => {
                unknown = true;
                continue;
            }
            Input::Opaque => return None,
        };
        candidate = Some(match candidate {
            None => t,
            Some(c) if c == t => c,
            // Different categories cannot be matched (PostgreSQL's 42804): the backend decides.
            Some(c) if category(c) != category(t) => return None,
            Some(c) if !preferred(c) && implicit(c, t) && !implicit(t, c) => t,
            Some(c) => c,
        });
    }
    match candidate {
        Some(c) => Some(c),
        None if unknown => Some(types::TEXT.oid),
        None => None,
    }
}

/// pg_type.typcategory.
fn category(t: Oid) -> char {
    use types::*;
    match types::by_oid(t) {
        Some(ty) => match ty.kind {
            Kind::Array => 'A',
            Kind::Int2 | Kind::Int4 | Kind::Int8 | Kind::Float4 | Kind::Float8 | Kind::Numeric | Kind::Oid => 'N',
            Kind::Text => 'S',
            Kind::Bool => 'B',
            Kind::Date | Kind::Time | Kind::TimeTz | Kind::Timestamp | Kind::TimestampTz => 'D',
            Kind::Interval => 'T',
            Kind::Unknown => 'X',
            Kind::Bytea | Kind::Uuid | Kind::Json | Kind::Jsonb | Kind::Vector => 'U',
        },
        None => 'U',
    }
}

/// pg_type.typispreferred.
fn preferred(t: Oid) -> bool {
    use types::*;
    [FLOAT8.oid, OID.oid, TEXT.oid, BOOL.oid, TIMESTAMPTZ.oid, INTERVAL.oid].contains(&t)
}

/// An implicit cast (pg_cast.castcontext 'i') from `from` to `to`, or binary coercion.
fn implicit(from: Oid, to: Oid) -> bool {
    use types::*;
    if from == to {
        return true;
    }
    // Arrays convert element-wise (array_coerce).
    if let (Some(f), Some(t)) = (by_oid(from).and_then(|t| t.element()), by_oid(to).and_then(|t| t.element())) {
        return implicit(f.oid, t.oid);
    }
    let rank =
        |t: Oid| [INT2.oid, INT4.oid, INT8.oid, NUMERIC.oid, FLOAT4.oid, FLOAT8.oid].iter().position(|x| *x == t);
    if let (Some(f), Some(t)) = (rank(from), rank(to)) {
        return f < t;
    }
    if to == OID.oid {
        return [INT2.oid, INT4.oid, INT8.oid].contains(&from);
    }
    let strings = [TEXT.oid, VARCHAR.oid, BPCHAR.oid, NAME.oid];
    if strings.contains(&from) && strings.contains(&to) {
        return true;
    }
    matches!(
        (from, to),
        (f, t) if (f == DATE.oid && (t == TIMESTAMP.oid || t == TIMESTAMPTZ.oid))
            || (f == TIMESTAMP.oid && t == TIMESTAMPTZ.oid)
            || (f == TIME.oid && t == TIMETZ.oid)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::*;
    use Input::*;

    #[test]
    fn numbers_widen_to_the_type_both_convert_to() {
        assert_eq!(common_type([Known(INT4.oid), Known(NUMERIC.oid)]), Some(NUMERIC.oid));
        assert_eq!(common_type([Known(NUMERIC.oid), Known(INT4.oid)]), Some(NUMERIC.oid));
        assert_eq!(common_type([Known(INT2.oid), Known(INT8.oid), Known(INT4.oid)]), Some(INT8.oid));
        assert_eq!(common_type([Known(FLOAT8.oid), Known(NUMERIC.oid)]), Some(FLOAT8.oid));
        assert_eq!(common_type([Known(NUMERIC.oid), Known(FLOAT4.oid)]), Some(FLOAT4.oid));
    }

    #[test]
    fn unknown_literals_follow_the_typed_inputs() {
        assert_eq!(common_type([Unknown, Known(INT4.oid)]), Some(INT4.oid));
        assert_eq!(common_type([Unknown, Unknown]), Some(TEXT.oid));
        assert_eq!(common_type([Unknown, Opaque]), None);
        assert_eq!(common_type([Known(DATE.oid), Known(TIMESTAMPTZ.oid)]), Some(TIMESTAMPTZ.oid));
        assert_eq!(common_type([Known(INT4.oid), Opaque]), None, "a column's type decides too");
    }

    #[test]
    fn preferred_types_stay_and_categories_do_not_mix() {
        assert_eq!(common_type([Known(TEXT.oid), Known(VARCHAR.oid)]), Some(TEXT.oid));
        assert_eq!(common_type([Known(TIMESTAMP.oid), Known(DATE.oid)]), Some(TIMESTAMP.oid));
        assert_eq!(common_type([Known(INT4.oid), Known(TEXT.oid)]), None);
        assert_eq!(common_type([Known(INT4_ARRAY.oid), Known(NUMERIC_ARRAY.oid)]), Some(NUMERIC_ARRAY.oid));
    }
}
