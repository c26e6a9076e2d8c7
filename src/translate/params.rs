//! Parameter markers: the client writes `$n`, backends take positional `?`.
//!
//! Rewrites keep `$n` in the AST (so duplicated or reordered expressions keep their
//! parameter), and this pass turns the rendered text into `?` markers plus, for each
//! marker in text order, the 0-based client parameter it binds.

use std::ops::ControlFlow;

use sqlparser::ast::{Statement, Value, ValueWithSpan, Visit, Visitor};

use super::iris::limits::{SLOT_PREFIX, TOP_ALL};
use super::{InlineSlot, CAPTURED, CAPTURED_LIST, ID_LIST};
use crate::error::{sqlstate, PgError, PgResult};

/// Highest `$n` in the statement (PostgreSQL's parameter count), refusing `$0` and `?`.
pub fn max_placeholder(stmt: &Statement) -> PgResult<usize> {
    struct V(PgResult<usize>);
    impl Visitor for V {
        type Break = ();
        fn pre_visit_value(&mut self, value: &ValueWithSpan) -> ControlFlow<()> {
            if let Value::Placeholder(p) = &value.value {
                match p.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
                    Some(n) if n >= 1 => {
                        if let Ok(max) = &mut self.0 {
                            *max = (*max).max(n);
                        }
                    }
                    _ => {
                        self.0 = Err(PgError::new(sqlstate::SYNTAX_ERROR, format!("syntax error at or near \"{p}\"")));
                        return ControlFlow::Break(());
                    }
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut v = V(Ok(0));
    let _ = stmt.visit(&mut v);
    v.0
}

/// Replace every `$n` outside quotes with `?` and list the client parameter of each
/// (`$c<k>`, a value captured from an earlier statement, is `CAPTURED + k`; `$cl`, the
/// captured list, stays in the text as `ID_LIST` and is `CAPTURED_LIST`).
pub fn to_question_marks(sql: &str) -> (String, Vec<usize>) {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut params = Vec::new();
    let mut i = 0;
    let mut start = 0;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"') => {
                // Rendered literals escape quotes by doubling, so a closing quote followed by
                // another quote simply reopens: scanning quote to quote is enough.
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += 1;
                }
                i += 1;
            }
            b'$' if sql[i..].starts_with("$cl") && !bytes.get(i + 3).is_some_and(|b| b.is_ascii_alphanumeric()) => {
                out.push_str(&sql[start..i]);
                out.push_str(ID_LIST);
                params.push(CAPTURED_LIST);
                i += 3;
                start = i;
            }
            b'$' if i + 1 < bytes.len()
                && (bytes[i + 1].is_ascii_digit()
                    || (bytes[i + 1] == b'c' && bytes.get(i + 2).is_some_and(|b| b.is_ascii_digit()))) =>
            {
                let captured = bytes[i + 1] == b'c';
                let first = i + 1 + usize::from(captured);
                let mut j = first;
                while j < bytes.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                }
                let n: usize = sql[first..j].parse().unwrap_or(0);
                out.push_str(&sql[start..i]);
                out.push('?');
                params.push(if captured { CAPTURED + n } else { n.saturating_sub(1) });
                i = j;
                start = j;
            }
            _ => i += 1,
        }
    }
    out.push_str(&sql[start.min(sql.len())..]);
    (out, params)
}

/// Collect the inline slots `limits.rs` left in the SQL (`__pgw_inline_p0_p1_c5__`) and
/// spell `TOP ALL`.
pub fn inline_slots(sql: String) -> (String, Vec<InlineSlot>) {
    let sql = if sql.contains(TOP_ALL) { sql.replace(&format!("TOP ({TOP_ALL})"), "TOP ALL") } else { sql };
    let mut slots: Vec<InlineSlot> = Vec::new();
    let mut rest = sql.as_str();
    while let Some(at) = rest.find(SLOT_PREFIX) {
        let after = &rest[at + SLOT_PREFIX.len()..];
        let Some(end) = after.find("__") else { break };
        let token = format!("{SLOT_PREFIX}{}__", &after[..end]);
        let mut slot = InlineSlot { token: token.clone(), params: Vec::new(), constant: 0 };
        for part in after[..end].split('_') {
            if let Some(p) = part.strip_prefix('p') {
                slot.params.push(p.parse().unwrap_or(0));
            } else if let Some(c) = part.strip_prefix('c') {
                slot.constant = c.parse().unwrap_or(0);
            }
        }
        if !slots.iter().any(|s| s.token == token) {
            slots.push(slot);
        }
        rest = &after[end + 2..];
    }
    (sql, slots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_in_order_with_duplicates() {
        let (sql, params) = to_question_marks("SELECT $2, '$1', \"$3\", $1 + $2");
        assert_eq!(sql, "SELECT ?, '$1', \"$3\", ? + ?");
        assert_eq!(params, vec![1, 0, 1]);
    }

    #[test]
    fn doubled_quotes() {
        let (sql, params) = to_question_marks("SELECT 'it''s $1', $1");
        assert_eq!(sql, "SELECT 'it''s $1', ?");
        assert_eq!(params, vec![0]);
    }
}
