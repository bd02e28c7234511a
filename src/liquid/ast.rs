//! A parsed template: nodes (text, `{{ output }}`, tags) and the expressions inside them.
//!
//! Positions are offsets into the template in UTF-16 code units, as liquidjs counts them; an
//! error that happens while a node renders is reported at the node's start.

use super::filters::FilterFn;
use super::tags::Tag;
use super::text::JsStr;

/// One piece of a template.
pub(crate) enum Node {
    /// Text outside tags and outputs (start and end offsets, after whitespace control).
    Text(u32, u32),
    /// `{{ value }}`.
    Output(FilteredValue, u32),
    /// `{% tag %}` (with its body, for block tags).
    Tag(Box<Tag>, u32),
}

/// An expression followed by filters: `price | times: 2 | round`.
pub(crate) struct FilteredValue {
    /// The expression in postfix order.
    pub(crate) expr: Vec<ExprToken>,
    pub(crate) filters: Vec<Filter>,
    /// Start and end offsets of its source text.
    pub(crate) span: (u32, u32),
}

/// A token of an expression in postfix order.
pub(crate) enum ExprToken {
    Operand(Operand),
    Operator(Operator),
}

/// `==`, `contains`, `and`, … (`not` is unary).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Operator {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Contains,
    Not,
    And,
    Or,
}

impl Operator {
    /// liquidjs's precedences: comparisons bind tighter than `not`, which binds tighter than
    /// `and` and `or` (which are equal, and group to the right).
    pub(crate) fn precedence(self) -> u8 {
        match self {
            Operator::And | Operator::Or => 0,
            Operator::Not => 1,
            _ => 2,
        }
    }
}

/// A value in an expression.
pub(crate) enum Operand {
    /// `true`, `false`, `nil`/`null`, `empty`, `blank`.
    Literal(Literal),
    Number(f64),
    /// A quoted string, escapes resolved.
    Quoted(JsStr),
    /// A bare word used as a property name (`b` in `a.b`).
    Word(JsStr),
    /// `(low..high)`.
    Range(Box<Operand>, Box<Operand>),
    /// `a.b[c]`: a property path, from a variable (`base` is `None`) or from a literal
    /// (`"abc".size`).
    Access {
        base: Option<Box<Operand>>,
        props: Vec<Operand>,
    },
}

/// The literal words.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Literal {
    True,
    False,
    Nil,
    Empty,
    Blank,
}

/// `| name: arg, key: value`.
pub(crate) struct Filter {
    pub(crate) name: String,
    pub(crate) kind: FilterKind,
    pub(crate) args: Vec<FilterArg>,
}

/// What a filter name stands for in Segment's engine.
#[derive(Clone, Copy)]
pub(crate) enum FilterKind {
    Known(FilterFn),
    /// One of the filters Segment disables: an error when it runs.
    Disabled,
    /// Not a filter at all: liquidjs passes the value through unchanged.
    Unknown,
}

/// A filter argument.
pub(crate) enum FilterArg {
    Positional(Operand),
    /// `key: value`, which liquidjs hands to the filter as the array `[key, value]` (`key` is
    /// the source text).
    Named(JsStr, Option<Operand>),
}
