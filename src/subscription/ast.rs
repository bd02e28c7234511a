//! The parsed form of a subscription, serialised in Segment's shape:
//! `{type: "group", operator, children}` and
//! `{type: "event-type" | "event" | "name" | "userId" | "event-property" | "event-trait" |
//! "event-context", name?, operator, value?}`.

use crate::js;
use crate::json::write::write_str;
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::borrow::Cow;

/// `and` or `or`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupOperator {
    /// Every child must match.
    And,
    /// At least one child must match.
    Or,
}

/// What part of the event a condition looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `type`.
    EventType,
    /// `event`.
    Event,
    /// `name`.
    Name,
    /// `userId`.
    UserId,
    /// `properties.<name>`.
    Property(String),
    /// `traits.<name>`.
    Trait(String),
    /// `context.<name>`.
    Context(String),
}

/// Segment's condition operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `=` on strings.
    Equals,
    /// `!=` on strings.
    NotEquals,
    /// `=` with a number.
    NumberEquals,
    /// `!=` with a number.
    NumberNotEquals,
    /// `<`.
    LessThan,
    /// `<=`.
    LessThanOrEqual,
    /// `>`.
    GreaterThan,
    /// `>=`.
    GreaterThanOrEqual,
    /// `contains(…)`.
    Contains,
    /// `!contains(…)`.
    NotContains,
    /// `match(…, "prefix*")`.
    StartsWith,
    /// `!match(…, "prefix*")`.
    NotStartsWith,
    /// `match(…, "*suffix")`.
    EndsWith,
    /// `!match(…, "*suffix")`.
    NotEndsWith,
    /// `!= null`.
    Exists,
    /// `= null`.
    NotExists,
    /// `= true`.
    IsTrue,
    /// `= false`.
    IsFalse,
    /// `.`: Segment's reading of a path segment that starts with a digit or a sign
    /// (`properties.0 = "a"`), the `.` taken for the operator and the number after it for the
    /// value. No event matches it (Segment's `validate` knows no such operator).
    Dot,
}

impl Operator {
    /// The name Segment's AST uses.
    pub fn as_str(self) -> &'static str {
        use Operator::*;
        match self {
            Equals => "=",
            NotEquals => "!=",
            NumberEquals => "number_equals",
            NumberNotEquals => "number_not_equals",
            LessThan => "<",
            LessThanOrEqual => "<=",
            GreaterThan => ">",
            GreaterThanOrEqual => ">=",
            Contains => "contains",
            NotContains => "not_contains",
            StartsWith => "starts_with",
            NotStartsWith => "not_starts_with",
            EndsWith => "ends_with",
            NotEndsWith => "not_ends_with",
            Exists => "exists",
            NotExists => "not_exists",
            IsTrue => "is_true",
            IsFalse => "is_false",
            Dot => ".",
        }
    }
}

/// A literal on the right-hand side of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A string.
    Str(String),
    /// A number.
    Number(f64),
    /// `true` or `false`.
    Bool(bool),
}

impl Literal {
    /// JS `String(value)` (a string borrowed: events are matched against it one by one).
    pub fn to_js_string(&self) -> Cow<'_, str> {
        match self {
            Literal::Str(s) => Cow::Borrowed(s),
            Literal::Number(n) => Cow::Owned(js::number_to_string(*n)),
            Literal::Bool(true) => Cow::Borrowed("true"),
            Literal::Bool(false) => Cow::Borrowed("false"),
        }
    }

    /// JS `Number(value)`.
    pub fn to_number(&self) -> f64 {
        match self {
            Literal::Str(s) => js::string_to_number(s),
            Literal::Number(n) => *n,
            Literal::Bool(b) => f64::from(u8::from(*b)),
        }
    }
}

/// One node of a parsed subscription.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Children joined by `and` / `or`.
    Group {
        /// How the children combine.
        operator: GroupOperator,
        /// The children, in source order.
        children: Vec<Condition>,
    },
    /// What Segment's parser leaves of a group whose only conditions were `contains()` or
    /// `match()` on `type` (which add none): `undefined` in its parent's children, printed
    /// `null`. Segment's `validate` throws when it reaches one, and its destination runtime
    /// then delivers nothing; see [`super::eval::matches`].
    EmptyGroup,
    /// One test on the event.
    Compare {
        /// The field tested.
        target: Target,
        /// The test.
        operator: Operator,
        /// The literal compared with, where the operator takes one.
        value: Option<Literal>,
    },
}

impl Target {
    /// Segment's `type` of a condition on this target, and its `name` where it has one.
    fn kind_and_name(&self) -> (&'static str, Option<&str>) {
        match self {
            Target::EventType => ("event-type", None),
            Target::Event => ("event", None),
            Target::Name => ("name", None),
            Target::UserId => ("userId", None),
            Target::Property(n) => ("event-property", Some(n)),
            Target::Trait(n) => ("event-trait", Some(n)),
            Target::Context(n) => ("event-context", Some(n)),
        }
    }
}

impl GroupOperator {
    /// The name Segment's AST uses.
    fn as_str(self) -> &'static str {
        match self {
            GroupOperator::And => "and",
            GroupOperator::Or => "or",
        }
    }
}

impl Literal {
    /// Appends the literal as JSON: the number JavaScript reads back is the one serde's
    /// `Serialize` below writes (whole numbers as integers, the rest in shortest round-trip
    /// digits, the non-finite as `null`).
    fn write_json(&self, out: &mut String) {
        match self {
            Literal::Str(v) => write_str(v, out),
            Literal::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Literal::Number(n) if n.fract() == 0.0 && n.abs() < 9e15 => {
                out.push_str(itoa::Buffer::new().format(*n as i64));
            }
            Literal::Number(n) if n.is_finite() => out.push_str(&js::number_to_string(*n)),
            Literal::Number(_) => out.push_str("null"),
        }
    }
}

impl Condition {
    /// Appends the condition as JSON, in the shape its `Serialize` writes, without serde's
    /// serialiser (which the npm package does not carry).
    pub fn write_json(&self, out: &mut String) {
        match self {
            Condition::EmptyGroup => out.push_str("null"),
            Condition::Group { operator, children } => {
                out.push_str("{\"type\":\"group\",\"operator\":\"");
                out.push_str(operator.as_str());
                out.push_str("\",\"children\":[");
                for (i, child) in children.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    child.write_json(out);
                }
                out.push_str("]}");
            }
            Condition::Compare {
                target,
                operator,
                value,
            } => {
                let (kind, name) = target.kind_and_name();
                out.push_str("{\"type\":\"");
                out.push_str(kind);
                out.push('"');
                if let Some(name) = name {
                    out.push_str(",\"name\":");
                    write_str(name, out);
                }
                out.push_str(",\"operator\":");
                write_str(operator.as_str(), out);
                if let Some(value) = value {
                    out.push_str(",\"value\":");
                    value.write_json(out);
                }
                out.push('}');
            }
        }
    }
}

impl Serialize for Literal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Literal::Str(v) => s.serialize_str(v),
            Literal::Bool(b) => s.serialize_bool(*b),
            Literal::Number(n) if n.fract() == 0.0 && n.abs() < 9e15 => s.serialize_i64(*n as i64),
            Literal::Number(n) => s.serialize_f64(*n),
        }
    }
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Condition::EmptyGroup => s.serialize_unit(),
            Condition::Group { operator, children } => {
                let mut map = s.serialize_map(Some(3))?;
                map.serialize_entry("type", "group")?;
                map.serialize_entry("operator", operator.as_str())?;
                map.serialize_entry("children", children)?;
                map.end()
            }
            Condition::Compare {
                target,
                operator,
                value,
            } => {
                let mut map = s.serialize_map(None)?;
                let (kind, name) = target.kind_and_name();
                map.serialize_entry("type", kind)?;
                if let Some(name) = name {
                    map.serialize_entry("name", name)?;
                }
                map.serialize_entry("operator", operator.as_str())?;
                if let Some(value) = value {
                    map.serialize_entry("value", value)?;
                }
                map.end()
            }
        }
    }
}
