//! The AST walk both targets share, and the refusals that hold for every backend.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Distinct, Expr, ObjectName, Query, SetExpr, Statement, Value, ValueWithSpan,
    VisitMut, VisitorMut,
};

use super::ast_util::{refuse, strip_public};
use crate::error::{PgError, PgResult};

/// Rewrites a target applies to every expression and every (sub)query, children first.
pub trait Pass {
    fn expr(&mut self, _e: &mut Expr) -> PgResult<()> {
        Ok(())
    }
    fn query(&mut self, _q: &mut Query) -> PgResult<()> {
        Ok(())
    }
}

/// Run `pass` over the statement, after the shared normalisation and refusals.
pub fn run<P: Pass>(stmt: &mut Statement, pass: &mut P) -> PgResult<()> {
    struct Walk<'a, P> {
        pass: &'a mut P,
        error: Option<PgError>,
    }
    impl<P: Pass> Walk<'_, P> {
        fn check(&mut self, r: PgResult<()>) -> ControlFlow<()> {
            match r {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    self.error = Some(e);
                    ControlFlow::Break(())
                }
            }
        }
    }
    impl<P: Pass> VisitorMut for Walk<'_, P> {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            any_array_to_in(e);
            ControlFlow::Continue(())
        }
        fn post_visit_value(&mut self, v: &mut ValueWithSpan) -> ControlFlow<()> {
            normalize_string(&mut v.value);
            ControlFlow::Continue(())
        }
        fn post_visit_relation(&mut self, n: &mut ObjectName) -> ControlFlow<()> {
            strip_public(n);
            ControlFlow::Continue(())
        }
        fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            let r = refuse_expr(e).and_then(|_| self.pass.expr(e));
            self.check(r)
        }
        fn post_visit_query(&mut self, q: &mut Query) -> ControlFlow<()> {
            let r = refuse_query(q).and_then(|_| self.pass.query(q));
            self.check(r)
        }
    }
    let mut w = Walk { pass, error: None };
    let _ = stmt.visit(&mut w);
    match w.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// `x = ANY (ARRAY[a, b])` is exactly `x IN (a, b)` (and `x <> ALL (ARRAY[..])` is
/// `x NOT IN (..)`): drivers and ORMs write the first, neither target has arrays.
fn any_array_to_in(e: &mut Expr) {
    let (left, right, negated) = match e {
        Expr::AnyOp { left, compare_op: BinaryOperator::Eq, right, .. } => (left, right, false),
        Expr::AllOp { left, compare_op: BinaryOperator::NotEq, right } => (left, right, true),
        _ => return,
    };
    let right = match right.as_mut() {
        Expr::Nested(inner) => inner.as_mut(),
        other => other,
    };
    let Expr::Array(array) = right else { return };
    let list = std::mem::take(&mut array.elem);
    let expr = std::mem::replace(left, Box::new(Expr::Value(Value::Null.into())));
    *e = Expr::In { expr, target: sqlparser::ast::InTarget::List(list), negated, global: false };
}

/// E'..', $$..$$, N'..' and U&'..' become plain literals: sqlparser already decoded them,
/// and neither SQLite nor IRIS accepts those spellings.
fn normalize_string(v: &mut Value) {
    let s = match v {
        Value::EscapedStringLiteral(s) | Value::NationalStringLiteral(s) | Value::UnicodeStringLiteral(s) => {
            std::mem::take(s)
        }
        Value::DollarQuotedString(d) => std::mem::take(&mut d.value),
        _ => return,
    };
    *v = Value::SingleQuotedString(s);
}

fn refuse_expr(e: &Expr) -> PgResult<()> {
    match e {
        Expr::BinaryOp { op, .. } => match op {
            BinaryOperator::PGRegexMatch
            | BinaryOperator::PGRegexIMatch
            | BinaryOperator::PGRegexNotMatch
            | BinaryOperator::PGRegexNotIMatch => Err(refuse(
                "regular expression match (~, ~*, !~, !~*)",
                "use LIKE or ILIKE patterns, or filter in the client",
            )),
            BinaryOperator::Question | BinaryOperator::QuestionAnd | BinaryOperator::QuestionPipe => Err(refuse(
                "jsonb key-existence operators (?, ?|, ?&)",
                "compare extracted JSON values instead",
            )),
            BinaryOperator::AtArrow | BinaryOperator::ArrowAt => {
                Err(refuse("containment operators (@>, <@)", "compare the elements explicitly"))
            }
            BinaryOperator::PGLikeMatch
            | BinaryOperator::PGILikeMatch
            | BinaryOperator::PGNotLikeMatch
            | BinaryOperator::PGNotILikeMatch => Err(refuse("~~ style LIKE operators", "write LIKE / ILIKE")),
            _ => Ok(()),
        },
        Expr::SimilarTo { .. } => Err(refuse("SIMILAR TO", "use LIKE patterns")),
        Expr::RLike { .. } => Err(refuse("regular expression match", "use LIKE patterns")),
        Expr::Like { any: true, .. } | Expr::ILike { any: true, .. } => {
            Err(refuse("LIKE ANY", "combine several LIKE conditions with OR"))
        }
        Expr::Array(_) => Err(refuse("array values", "pass the elements as separate parameters")),
        Expr::CompoundFieldAccess { .. } => Err(refuse("array subscripts and field access", "select the column itself")),
        Expr::AllOp { .. } => Err(refuse("ALL (array)", "use NOT EXISTS or NOT IN with a subquery")),
        Expr::AnyOp { right, .. } if !matches!(right.as_ref(), Expr::Subquery(_)) => {
            Err(refuse("= ANY (array)", "use IN (...) with one parameter per element"))
        }
        Expr::AtTimeZone { .. } => Err(refuse("AT TIME ZONE", "convert time zones in the client")),
        Expr::Overlay { .. } => Err(refuse("OVERLAY", "use SUBSTRING and ||")),
        Expr::GroupingSets(_) | Expr::Cube(_) | Expr::Rollup(_) => {
            Err(refuse("GROUPING SETS / CUBE / ROLLUP", "run one GROUP BY query per grouping"))
        }
        Expr::Lambda(_) | Expr::Map(_) | Expr::Dictionary(_) | Expr::Struct { .. } => {
            Err(refuse("this expression syntax", "rewrite it in standard SQL"))
        }
        _ => Ok(()),
    }
}

fn refuse_query(q: &Query) -> PgResult<()> {
    if let SetExpr::Select(s) = q.body.as_ref() {
        if matches!(s.distinct, Some(Distinct::On(_))) {
            return Err(refuse(
                "DISTINCT ON",
                "use a subquery with ROW_NUMBER() OVER (PARTITION BY ...) = 1",
            ));
        }
    }
    Ok(())
}

/// Positive evidence a `$n` parameter is never used inside an identifier-like context.
pub fn is_literal_or_param(e: &Expr) -> bool {
    matches!(e, Expr::Value(_))
}
