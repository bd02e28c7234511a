//! Evaluating a parsed subscription against an event, with Segment's comparison rules
//! (`=` compares strings exactly, `<` needs a number on the event side, `contains` needs a
//! string).

use super::ast::{Condition, GroupOperator, Literal, Operator, Target};
use crate::js;
use crate::property::{self, Root};
use crate::value::Resolved;
use std::borrow::Cow;

/// Whether `event` matches `condition`.
///
/// Children are tested in order, and a group stops at the first that decides it, as Segment's
/// `every`/`some` do. Reaching an [`Condition::EmptyGroup`] is where Segment's `validate` throws
/// (it reads `.type` of `undefined`); its destination runtime then fails the subscription, so
/// the event is not delivered: no match.
pub fn matches(condition: &Condition, event: Root<'_>) -> bool {
    test(condition, event).unwrap_or(false)
}

/// Whether `event` matches `condition`; `None` where Segment's `validate` throws.
fn test(condition: &Condition, event: Root<'_>) -> Option<bool> {
    match condition {
        Condition::EmptyGroup => None,
        Condition::Group { operator, children } => {
            // `and` stops at the first false child, `or` at the first true one.
            let decisive = *operator == GroupOperator::Or;
            for child in children {
                if test(child, event)? == decisive {
                    return Some(decisive);
                }
            }
            Some(!decisive)
        }
        Condition::Compare {
            target,
            operator,
            value,
        } => Some(compare(&actual(target, event), *operator, value.as_ref())),
    }
}

/// Splits a nested field name at `.`, `[` and `]` (`a.b[0]` → `a`, `b`, `0`).
fn field_path(name: &str) -> Vec<&str> {
    name.split(['.', '[', ']'])
        .filter(|s| !s.is_empty())
        .collect()
}

fn actual(target: &Target, event: Root<'_>) -> Resolved {
    let top = |key: &str| property::get(event, &[key]);
    let nested = |key: &str, name: &str| {
        let mut path = field_path(name);
        path.insert(0, key);
        property::get(event, &path)
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
    let expected_str = || expected.map_or(Cow::Borrowed("undefined"), Literal::to_js_string);
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
        Contains => string.is_some_and(|s| s.contains(expected_str().as_ref())),
        NotContains => string.is_some_and(|s| !s.contains(expected_str().as_ref())),
        StartsWith => string.is_some_and(|s| s.starts_with(expected_str().as_ref())),
        NotStartsWith => string.is_some_and(|s| !s.starts_with(expected_str().as_ref())),
        EndsWith => string.is_some_and(|s| s.ends_with(expected_str().as_ref())),
        NotEndsWith => string.is_some_and(|s| !s.ends_with(expected_str().as_ref())),
        Exists => !actual.is_nullish(),
        NotExists => actual.is_nullish(),
        IsTrue => *actual == Resolved::Bool(true),
        IsFalse => *actual == Resolved::Bool(false),
        Dot => false,
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
    fn an_empty_group_reached_matches_nothing() {
        // Segment's validate throws where it reaches the empty group; the event is not
        // delivered. Before it, a decided group never reaches it.
        let fql = r#"event = "E" or (contains(type, "a")) or userId = "u""#;
        assert!(m(fql, json!({"event": "E"})));
        assert!(!m(fql, json!({"event": "X", "userId": "u"})));
        let and = r#"event = "x" and (match(type, "t*")) and userId = "u""#;
        assert!(!m(and, json!({"event": "y", "userId": "u"})));
        assert!(!m(and, json!({"event": "x", "userId": "u"})));
        assert!(!m(
            r#"(contains(type, "a")) or event = "E""#,
            json!({"event": "E"})
        ));
    }

    #[test]
    fn misread_segments_and_bare_signs_compare_as_in_segment() {
        // The `.` operator matches nothing, whatever the path holds.
        let e = json!({"properties": {"0": "a", "properties": "x0"}, "traits": {"x": 1}});
        assert!(!m(r#"properties.0 = "a""#, e.clone()));
        assert!(!m(r#"properties.0 != "a""#, e.clone()));
        // `contains(properties.0, "a")` tests properties.properties for "0".
        assert!(m(r#"contains(properties.0, "a")"#, e.clone()));
        // NaN: equal to nothing, different from every number.
        assert!(!m("traits.x = -", e.clone()));
        assert!(m("traits.x != +", e.clone()));
        assert!(!m("traits.x != -", json!({"traits": {"x": "1"}})));
        assert!(!m("traits.x < - or traits.x >= -", e));
        assert!(m("event = -", json!({"event": "NaN"})));
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
