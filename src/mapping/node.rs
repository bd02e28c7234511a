//! A mapping compiled once: raw values, objects and arrays of nodes, and directives with their
//! options already read. Compiling is total — any JSON compiles — so what Segment only finds
//! when it runs (an unchecked directive inside an array, an option that fails at run time)
//! fails when the node runs, at the same point and with the same message.

use super::directives::Directive;
use super::{is_directive, MAX_DEPTH};
use crate::error::{MappingError, Reason};
use crate::js::Root;
use crate::value::{ObjectMap, Resolved};
use serde_json::Value;

/// The result of running a node.
pub type Run = Result<Resolved, MappingError>;

/// One compiled mapping value.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A JSON scalar, used as it is.
    Value(Resolved),
    /// A raw object: each member resolved in turn.
    Object(Vec<(String, Node)>),
    /// A raw array: each item resolved in turn.
    Array(Vec<Node>),
    /// A directive with its options.
    Directive(Box<Directive>),
    /// Nested beyond [`MAX_DEPTH`]: fails when it runs.
    TooDeep,
}

impl Node {
    /// Compiles any mapping value.
    pub fn compile(v: &Value) -> Node {
        Node::compile_at(v, 0)
    }

    /// Compiles a value found `depth` levels below the mapping's root.
    pub fn compile_at(v: &Value, depth: usize) -> Node {
        if depth > MAX_DEPTH {
            return Node::TooDeep;
        }
        match v {
            Value::Object(map) if is_directive(map) => {
                Node::Directive(Box::new(Directive::compile(map, depth)))
            }
            Value::Object(map) => Node::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Node::compile_at(v, depth + 1)))
                    .collect(),
            ),
            Value::Array(items) => Node::Array(
                items
                    .iter()
                    .map(|v| Node::compile_at(v, depth + 1))
                    .collect(),
            ),
            scalar => Node::Value(Resolved::from(scalar)),
        }
    }

    /// Resolves the node as the option `key` of a directive: errors are placed under `key`.
    pub fn resolve_within(&self, key: &str, payload: Root<'_>) -> Run {
        self.resolve(payload).map_err(|e| e.within(key))
    }

    /// Resolves the node against `payload`.
    pub fn resolve(&self, payload: Root<'_>) -> Run {
        match self {
            Node::Value(v) => Ok(v.clone()),
            Node::Object(members) => {
                let mut out =
                    ObjectMap::with_capacity_and_hasher(members.len(), Default::default());
                for (k, node) in members {
                    out.insert(k.clone(), node.resolve(payload).map_err(|e| e.within(k))?);
                }
                Ok(Resolved::Object(out))
            }
            Node::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, node)| node.resolve(payload).map_err(|e| e.within(&i.to_string())))
                .collect::<Result<Vec<_>, _>>()
                .map(Resolved::Array),
            Node::Directive(d) => d.run(payload),
            Node::TooDeep => Err(MappingError::new(Reason::TooDeep(MAX_DEPTH))),
        }
    }
}

/// An option of a directive: compiled when given, `undefined` when left out.
pub fn compile_opt(
    options: &serde_json::Map<String, Value>,
    key: &str,
    depth: usize,
) -> Option<Node> {
    options.get(key).map(|v| Node::compile_at(v, depth + 1))
}

/// Resolves an option, naming it in errors; `undefined` when it was left out.
pub fn resolve_opt(option: &Option<Node>, key: &str, payload: Root<'_>) -> Run {
    match option {
        Some(node) => node.resolve_within(key, payload),
        None => Ok(Resolved::Undefined),
    }
}
