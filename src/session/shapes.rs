//! What the gateway learns about a statement from the backend, cached across executions
//! and sessions: its parameter types and result columns.
//!
//! Describing costs backend calls (a describe, and probes for expression and parameter
//! types), so it is done once per client statement text (and parameter types) and schema epoch. The epoch advances
//! whenever DDL runs through the gateway (`ServerCtx::schema_changed`). A cached shape of
//! an older epoch is still used, but checked: the statement runs with the backend typing
//! its result, and the shape is kept only if the types are unchanged. Even within an epoch
//! every execution compares the result's column names and count with the shape (free:
//! the backend reports them anyway), so DDL from outside the gateway is noticed too.

use std::sync::Arc;

use crate::backend::Column;
use crate::bounded_map::BoundedMap;
use crate::types::Oid;

/// A statement's result columns.
#[derive(Debug, PartialEq)]
pub struct ResultColumns {
    /// As the backend described them: what an executed result is checked against.
    pub backend: Vec<Column>,
    /// As clients see them: PostgreSQL names, types and modifiers.
    pub columns: Vec<Column>,
}

/// A statement's parameter types and result columns, as of a schema epoch.
#[derive(Debug)]
pub struct Shape {
    pub epoch: u64,
    pub param_types: Vec<Oid>,
    /// None: the statement returns no rows.
    pub result: Option<Arc<ResultColumns>>,
}

impl Shape {
    /// The same shape, confirmed for another epoch.
    pub fn at(&self, epoch: u64) -> Arc<Shape> {
        Arc::new(Shape { epoch, param_types: self.param_types.clone(), result: self.result.clone() })
    }
}

/// Shapes by (the client's statement text, parameter types the client gave).
pub type ShapeKey = (String, Vec<Oid>);

pub struct Shapes {
    map: BoundedMap<ShapeKey, Arc<Shape>>,
}

impl Shapes {
    pub fn new(capacity: usize) -> Self {
        Shapes { map: BoundedMap::new(capacity) }
    }

    pub fn get(&self, key: &ShapeKey) -> Option<Arc<Shape>> {
        self.map.get(key)
    }

    pub fn put(&self, key: ShapeKey, shape: Arc<Shape>) {
        self.map.insert(key, shape);
    }
}
