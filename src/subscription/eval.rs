//! Evaluating a parsed subscription against an event, with Segment's comparison rules
//! (`=` compares strings exactly, `<` needs a number on the event side, `contains` needs a
//! string).

use super::ast::{Condition, GroupOperator, Literal, Operator, Target};
use crate::js::{self, Root};
use crate::value::Resolved;

/// Whether `event` matches `condition`.
pub fn matches(condition: &Condition, event: Root<'_>) -> bool {
    match condition {
        Condition::Group {
            operator: GroupOperator::And,
            children,
        } => children.iter().all(|c| matches(c, event)),
        Condition::Group {
            operator: GroupOperator::Or,
            children,
        } => children.iter().any(|c| matches(c, event)),
        Condition::Compare {
            target,
            operator,
            value,
        } => compare(&actual(target, event), *operator, value.as_ref()),
    }
}

/// Splits a nested field name at `.`, `[` and `]` (`a.b[0]` → `a`, `b`, `0`).
fn field_path(name: &str) -> Vec<&str> {
    name.split(['.', '[', ']'])
        .filter(|s| !s.is_empty())
        .collect()
}

fn actual(target: &Target, event: Root<'_>) -> Resolved {
    let top = |key: &str| js::get(event, &[key]);
    let nested = |key: &str, name: &str| {
        let mut path = field_path(name);
        path.insert(0, key);
        js::get(event, &path)
    };
    match target {
        Target::EventType => top("type"),
        Target::Event => top("event"),
        Target::Name => top("name"),
        Target::UserId => top("userId"),
        Target::Property(name) => nested("properties", name),
        Target::Trait(name) => nested("traits", name),
        Target::Context(name) => nested("context", name),
    }
}

fn compare(actual: &Resolved, operator: Operator, expected: Option<&Literal>) -> bool {
    use Operator::*;
    let expected_str = || {
        expected
            .map(Literal::to_js_string)
            .unwrap_or_else(|| "undefined".into())
    };
    let expected_num = || expected.map_or(f64::NAN, Literal::to_number);
    let number = match actual {
        Resolved::Number(n) => Some(js::json_number_value(n)),
        _ => None,
    };
    let string = match actual {
        Resolved::String(s) => Some(s.as_str()),
        _ => None,
    };
    match operator {
        Equals => string.is_some_and(|s| s == expected_str()),
        NotEquals => string.is_none_or(|s| s != expected_str()),
        NumberEquals => number.is_some_and(|n| n == expected_num()),
        NumberNotEquals => number.is_some_and(|n| n != expected_num()),
        LessThan => number.is_some_and(|n| n < expected_num()),
        LessThanOrEqual => number.is_some_and(|n| n <= expected_num()),
        GreaterThan => number.is_some_and(|n| n > expected_num()),
        GreaterThanOrEqual => number.is_some_and(|n| n >= expected_num()),
        Contains => string.is_some_and(|s| s.contains(&expected_str())),
        NotContains => string.is_some_and(|s| !s.contains(&expected_str())),
        StartsWith => string.is_some_and(|s| s.starts_with(&expected_str())),
        NotStartsWith => string.is_some_and(|s| !s.starts_with(&expected_str())),
        EndsWith => string.is_some_and(|s| s.ends_with(&expected_str())),
        NotEndsWith => string.is_some_and(|s| !s.ends_with(&expected_str())),
        Exists => !actual.is_nullish(),
        NotExists => actual.is_nullish(),
        IsTrue => *actual == Resolved::Bool(true),
        IsFalse => *actual == Resolved::Bool(false),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;
    use serde_json::{json, Value};

    fn m(fql: &str, event: Value) -> bool {
        matches(&parse(fql).unwrap(), Root::Json(&event))
    }

    #[test]
    fn string_and_number_comparisons() {
        let e = json!({"type": "track", "event": "Order Completed", "properties": {"total": 12, "s": "12", "plan": "pro"}});
        assert!(m(r#"type = "track""#, e.clone()));
        assert!(m(r#"event != "Signed Up""#, e.clone()));
        assert!(m("properties.total = 12", e.clone()));
        assert!(!m("properties.s = 12", e.clone()));
        assert!(m(r#"properties.s = "12""#, e.clone()));
        assert!(m(r#"properties.total > "11""#, e.clone()));
        assert!(!m("properties.s > 11", e.clone()));
        assert!(!m("properties.missing != 3", e.clone()));
        assert!(m(r#"properties.missing != "3""#, e.clone()));
        assert!(m(r#"name != "Home""#, e.clone()));
    }

    #[test]
    fn existence_booleans_and_functions() {
        let e = json!({"userId": "u1", "traits": {"vip": true, "email": "a@b.co"}, "context": {"page": {"path": "/pricing"}}});
        assert!(m("userId != null", e.clone()));
        assert!(m("traits.plan = null", e.clone()));
        assert!(m("traits.vip = true", e.clone()));
        assert!(!m("traits.vip = false", e.clone()));
        assert!(m(r#"contains(context.page.path, "pric")"#, e.clone()));
        assert!(m(r#"match(traits.email, "a@*")"#, e.clone()));
        assert!(m(r#"match(traits.email, "*.co")"#, e.clone()));
        assert!(!m(r#"!contains(traits.missing, "x")"#, e.clone()));
        assert!(m(r#"event != null"#, e.clone()));
    }

    #[test]
    fn nested_groups_evaluate() {
        let e = json!({"type": "page", "name": "Home"});
        assert!(m(
            r#"type = "track" or (name = "Home" and (type = "page" or (event = "x")))"#,
            e.clone()
        ));
        assert!(!m(
            r#"type = "page" and (name = "Pricing" or (userId != null))"#,
            e
        ));
    }
}
