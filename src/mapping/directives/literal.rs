//! `@literal`: its option resolved as a mapping value (`{"@literal": "{{not a template}}"}`
//! gives the text as written; a directive inside it still runs, as in Segment).

use super::super::check::{Checker, Rule};
use super::super::node::{Cx, Node, Run};
use serde_json::Value;

/// The directive's name.
pub const NAME: &str = "@literal";

/// Its option: any JSON value or a directive.
pub fn check(c: &mut Checker, options: Option<&Value>) -> bool {
    c.rule(options, Rule::DirectiveOrRaw)
}

/// A compiled `@literal`.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal(Node);

impl Literal {
    /// Reads the option.
    pub fn compile(options: &Value, depth: usize) -> Literal {
        Literal(Node::compile_at(options, depth + 1))
    }

    /// The option's value.
    pub fn run(&self, cx: Cx<'_>) -> Run {
        self.0.resolve(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::t;
    use serde_json::json;

    #[test]
    fn keeps_text_as_written() {
        assert_eq!(
            t(
                json!({"lit": {"@literal": "{{userId}}"}, "obj": {"@literal": {"a": {"@path": "$.userId"}}}})
            ),
            Some(json!({"lit": "{{userId}}", "obj": {"a": "User Two"}}))
        );
    }
}
