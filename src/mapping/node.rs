//! A mapping compiled once: raw values, objects and arrays of nodes, and directives with their
//! options already read. Compiling is total — any JSON compiles — so what Segment only finds
//! when it runs (an unchecked directive inside an array, an option that fails at run time)
//! fails when the node runs, at the same point and with the same message.

use super::budget::{resolved_size, Budget, VALUE_BYTES};
use super::check::{is_directive, MAX_DEPTH};
use super::directives::Directive;
use crate::js::PROTO_KEY;
use crate::mapping::error::{MappingError, Reason};
use crate::property::Root;
use crate::value::{ObjectMap, Resolved};
use serde_json::Value;

/// The result of running a node.
pub type Run = Result<Resolved, MappingError>;

/// One run of a mapping: the payload it reads and the budget it builds from.
#[derive(Clone, Copy)]
pub struct Cx<'a> {
    /// What paths read.
    pub payload: Root<'a>,
    /// What the run may still build.
    pub budget: &'a Budget,
    /// The run's time (what `@liquid`'s `"now"` is), milliseconds since the epoch, given by
    /// the shell.
    pub now_ms: f64,
}

impl<'a> Cx<'a> {
    /// The same run reading another payload (`@arrayPath` items, `@transform`'s result).
    pub fn reading<'b>(&self, payload: Root<'b>) -> Cx<'b>
    where
        'a: 'b,
    {
        Cx {
            payload,
            budget: self.budget,
            now_ms: self.now_ms,
        }
    }

    /// `value`, paid for.
    pub fn built(&self, value: Resolved) -> Run {
        self.budget.spend(resolved_size(&value))?;
        Ok(value)
    }

    /// A string, paid for.
    pub fn text(&self, text: String) -> Run {
        self.budget.spend(text.len().saturating_add(VALUE_BYTES))?;
        Ok(Resolved::String(text))
    }
}

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
    pub fn resolve_within(&self, key: &str, cx: Cx<'_>) -> Run {
        self.resolve(cx).map_err(|e| e.within(key))
    }

    /// Resolves the node against the run's payload, paying for what it builds.
    pub fn resolve(&self, cx: Cx<'_>) -> Run {
        match self {
            Node::Value(v) => cx.built(v.clone()),
            Node::Object(members) => {
                let mut out =
                    ObjectMap::with_capacity_and_hasher(members.len(), Default::default());
                for (k, node) in members {
                    cx.budget.spend(k.len().saturating_add(VALUE_BYTES))?;
                    let value = node.resolve(cx).map_err(|e| e.within(k))?;
                    // `resolved[key] = value` in mapping-kit: for `__proto__` that sets the
                    // prototype, no member (what it lends to lookups is not kept).
                    if k != PROTO_KEY {
                        out.insert(k.clone(), value);
                    }
                }
                Ok(Resolved::Object(out))
            }
            Node::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, node)| node.resolve(cx).map_err(|e| e.within(&i.to_string())))
                .collect::<Result<Vec<_>, _>>()
                .map(Resolved::Array),
            Node::Directive(d) => d.run(cx),
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
pub fn resolve_opt(option: &Option<Node>, key: &str, cx: Cx<'_>) -> Run {
    match option {
        Some(node) => node.resolve_within(key, cx),
        None => Ok(Resolved::Undefined),
    }
}

/// Resolves `node` on a payload that must be an object, as Segment's `transform(mapping, data
/// = {})` requires: a missing payload (`undefined`, what an `@transform` whose `apply` found
/// nothing gives a nested one) is the empty object.
pub(super) fn run_on_object(node: &Node, cx: Cx<'_>) -> Run {
    match cx.payload.type_name() {
        "object" => node.resolve(cx),
        "undefined" => {
            let empty = Resolved::Object(crate::value::ObjectMap::default());
            node.resolve(cx.reading(Root::Resolved(&empty)))
        }
        other => Err(MappingError::new(Reason::DataNotObject(other))),
    }
}
