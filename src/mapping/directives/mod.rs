//! The thirteen directives of Segment's mapping language, one file each: its name, the check of its
//! options, its compiled form, how it runs, and examples as tests.
//!
//! A directive is an object with one `@` key (`{"@path": "$.userId"}`). Its options are
//! read once, when the mapping is compiled; what Segment decides from the raw options at run
//! time (its truthiness tests, its run-time errors) is decided then too and kept, so that
//! running gives exactly Segment's results and errors in Segment's order.

mod array_path;
mod case;
mod exclude_when_null;
mod flatten;
#[path = "if.rs"]
mod if_;
mod json;
mod liquid;
mod literal;
mod merge;
mod path;
mod replace;
mod template;
mod transform;

use super::check::Checker;
use super::node::{Cx, Run};
use crate::mapping::error::{MappingError, Reason};
use serde_json::{Map, Value};

pub use replace::{MAX_PATTERN_LENGTH, MAX_REPLACEMENT_LENGTH};

/// Every directive name the mapping language knows.
pub const NAMES: &[&str] = &[
    if_::NAME,
    path::NAME,
    template::NAME,
    literal::NAME,
    array_path::NAME,
    case::NAME,
    replace::NAME,
    merge::NAME,
    transform::NAME,
    flatten::NAME,
    json::NAME,
    exclude_when_null::NAME,
    liquid::NAME,
];

/// Checks the options of the directive `name` (one of [`NAMES`]).
pub fn check(name: &str, c: &mut Checker, options: Option<&Value>) -> bool {
    match name {
        if_::NAME => if_::check(c, options),
        path::NAME => path::check(c, options),
        template::NAME => template::check(c, options),
        literal::NAME => literal::check(c, options),
        array_path::NAME => array_path::check(c, options),
        case::NAME => case::check(c, options),
        replace::NAME => replace::check(c, options),
        merge::NAME => merge::check(c, options),
        transform::NAME => transform::check(c, options),
        flatten::NAME => flatten::check(c, options),
        json::NAME => json::check(c, options),
        exclude_when_null::NAME => exclude_when_null::check(c, options),
        liquid::NAME => liquid::check(c, options),
        _ => c.fail(Reason::InvalidDirective(name.to_string())),
    }
}

/// A compiled directive.
#[derive(Debug, Clone, PartialEq)]
pub enum Directive {
    /// `@if`
    If(if_::If),
    /// `@path`
    Path(path::Path),
    /// `@template`
    Template(template::Template),
    /// `@literal`
    Literal(literal::Literal),
    /// `@arrayPath`
    ArrayPath(array_path::ArrayPath),
    /// `@case`
    Case(case::Case),
    /// `@replace`
    Replace(replace::Replace),
    /// `@merge`
    Merge(merge::Merge),
    /// `@transform`
    Transform(transform::Transform),
    /// `@flatten`
    Flatten(flatten::Flatten),
    /// `@json`
    Json(json::Json),
    /// `@excludeWhenNull`
    ExcludeWhenNull(exclude_when_null::ExcludeWhenNull),
    /// `@liquid`
    Liquid(liquid::Liquid),
    /// An `@` key that names no directive (left unchecked inside an array): fails when run.
    Unknown(String),
}

impl Directive {
    /// Compiles a directive object (see [`super::is_directive`]) found `depth` levels down.
    pub fn compile(map: &Map<String, Value>, depth: usize) -> Directive {
        let Some((name, options)) = map.iter().find(|(k, _)| k.starts_with('@')) else {
            return Directive::Unknown(String::new());
        };
        match name.as_str() {
            if_::NAME => Directive::If(if_::If::compile(options, depth)),
            path::NAME => Directive::Path(path::Path::compile(options, depth)),
            template::NAME => Directive::Template(template::Template::compile(options, depth)),
            literal::NAME => Directive::Literal(literal::Literal::compile(options, depth)),
            array_path::NAME => {
                Directive::ArrayPath(array_path::ArrayPath::compile(options, depth))
            }
            case::NAME => Directive::Case(case::Case::compile(options, depth)),
            replace::NAME => Directive::Replace(replace::Replace::compile(options, depth)),
            merge::NAME => Directive::Merge(merge::Merge::compile(options, depth)),
            transform::NAME => Directive::Transform(transform::Transform::compile(options, depth)),
            flatten::NAME => Directive::Flatten(flatten::Flatten::compile(options, depth)),
            json::NAME => Directive::Json(json::Json::compile(options, depth)),
            exclude_when_null::NAME => Directive::ExcludeWhenNull(
                exclude_when_null::ExcludeWhenNull::compile(options, depth),
            ),
            liquid::NAME => Directive::Liquid(liquid::Liquid::compile(options, depth)),
            other => Directive::Unknown(other.to_string()),
        }
    }

    /// The directive's name (`@path`).
    pub fn name(&self) -> &str {
        match self {
            Directive::If(_) => if_::NAME,
            Directive::Path(_) => path::NAME,
            Directive::Template(_) => template::NAME,
            Directive::Literal(_) => literal::NAME,
            Directive::ArrayPath(_) => array_path::NAME,
            Directive::Case(_) => case::NAME,
            Directive::Replace(_) => replace::NAME,
            Directive::Merge(_) => merge::NAME,
            Directive::Transform(_) => transform::NAME,
            Directive::Flatten(_) => flatten::NAME,
            Directive::Json(_) => json::NAME,
            Directive::ExcludeWhenNull(_) => exclude_when_null::NAME,
            Directive::Liquid(_) => liquid::NAME,
            Directive::Unknown(name) => name,
        }
    }

    /// Runs the directive on `payload`; errors are placed under its name.
    pub fn run(&self, cx: Cx<'_>) -> Run {
        let result = match self {
            Directive::If(d) => d.run(cx),
            Directive::Path(d) => d.run(cx),
            Directive::Template(d) => d.run(cx),
            Directive::Literal(d) => d.run(cx),
            Directive::ArrayPath(d) => d.run(cx),
            Directive::Case(d) => d.run(cx),
            Directive::Replace(d) => d.run(cx),
            Directive::Merge(d) => d.run(cx),
            Directive::Transform(d) => d.run(cx),
            Directive::Flatten(d) => d.run(cx),
            Directive::Json(d) => d.run(cx),
            Directive::ExcludeWhenNull(d) => d.run(cx),
            Directive::Liquid(d) => d.run(cx),
            Directive::Unknown(name) => Err(MappingError::new(Reason::NotADirective(name.clone()))),
        };
        result.map_err(|e| e.within(self.name()))
    }
}

/// A directive's options as an object, or the run-time error Segment gives when they are not
/// one (kept to be raised when the directive runs).
fn options_object<'v>(
    options: &'v Value,
    requires: &'static str,
) -> Result<&'v Map<String, Value>, MappingError> {
    options
        .as_object()
        .ok_or_else(|| MappingError::new(Reason::Requires(requires)))
}

/// A run-time error at the directive itself.
fn requires(message: &'static str) -> MappingError {
    MappingError::new(Reason::Requires(message))
}

/// A value that must resolve to a string (`@path`, `@template`, `@flatten`'s separator).
fn expect_string(
    name: &'static str,
    value: crate::value::Resolved,
) -> Result<String, MappingError> {
    match value {
        crate::value::Resolved::String(s) => Ok(s),
        other => Err(MappingError::new(Reason::ExpectedString {
            directive: name,
            found: crate::property::Root::Resolved(&other).type_name(),
        })),
    }
}

#[cfg(test)]
mod test_support {
    use crate::mapping::transform;
    use serde_json::{json, Value};

    /// The event the directives' examples run on.
    pub fn event() -> Value {
        json!({
            "userId": "User Two", "event": "Order Completed",
            "properties": {"price": 3, "empty": "", "nil": null, "flag": false, "zero": 0, "json": "{\"a\":1}",
                           "products": [{"sku": "A-1", "qty": 2}, {"sku": "B-2", "qty": null}],
                           "nested": {"a": {"b": 1, "c": [1, {"d": 2}]}, "e": "f"}},
            "traits": {"name": "ÉMILIE Zola"}
        })
    }

    /// Runs `mapping` on [`event`], read both as a tree and in place from its text, and checks
    /// that the two agree.
    pub fn t(mapping: Value) -> Option<Value> {
        let tree = transform(&mapping, &event(), 0.0).expect("transform");
        let text = crate::event::to_text(&event());
        let raw: &serde_json::value::RawValue = serde_json::from_str(&text).expect("event text");
        let event = crate::event::Event::new(raw);
        let mapping = crate::mapping::Mapping::parse(mapping).expect("valid mapping");
        let in_place = mapping
            .run(
                crate::property::Root::Event(&event),
                &crate::mapping::Budget::for_input(0),
                0.0,
            )
            .expect("runs in place")
            .into_json();
        assert_eq!(tree, in_place, "read as a tree and in place");
        tree
    }

    /// What `mapping` gives on the event in `text` (read in place) as Segment's `transform`
    /// gives it, as JSON text, or the error's message.
    pub fn on_text(mapping: Value, text: &str) -> Result<Option<String>, String> {
        let event = crate::event::event_in(text).expect("event text");
        let mut out = String::new();
        crate::mapping::transform_event(&mapping, &event, 0.0)
            .map(|r| matches!(r.write_json(&mut out), Ok(true)).then_some(out))
            .map_err(|e| e.message())
    }

    /// The error (path and message) `mapping` gives on [`event`].
    pub fn err(mapping: Value) -> String {
        transform(&mapping, &event(), 0.0)
            .expect_err("should fail")
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::on_text;
    use serde_json::json;

    #[test]
    fn lone_surrogates_go_through_every_string_directive() {
        // As JavaScript keeps them: one UTF-16 unit each, no case, printed as `\udXXX`.
        let text = r#"{"s": "a\ud800B", "k": {"\udfff": 1}, "p": "🎉"}"#;
        let mapping = json!({
            "path": {"@path": "$.s"},
            "len": {"@path": "$.s.length"},
            "unit": {"@path": "$.s.1"},
            "half": {"@path": "$.p.0"},
            "upper": {"@case": {"operator": "upper", "value": {"@path": "$.s"}}},
            "lower": {"@case": {"operator": "lower", "value": {"@path": "$.s"}}},
            "replaced": {"@replace": {"pattern": "B", "replacement": "-", "value": {"@path": "$.s"}}},
            "template": {"@template": "<{{s}}>"},
            "encoded": {"@json": {"mode": "encode", "value": {"@path": "$.k"}}},
            "decoded": {"@json": {"mode": "decode", "value": "[\"\\ud800\"]"}},
            "flat": {"@flatten": {"value": {"@path": "$.k"}, "separator": "."}},
            // A path in the mapping holds the stand-in where the event's key has the escape.
            "key": {"@path": "$.k.\u{10FFFF}"}
        });
        assert_eq!(
            on_text(mapping, text).unwrap().unwrap(),
            concat!(
                r#"{"path":"a\ud800B","len":3,"unit":"\ud800","half":"\ud83c","#,
                r#""upper":"A\ud800B","lower":"a\ud800b","replaced":"a\ud800-","#,
                r#""template":"<a\ud800B>","encoded":"{\"\\udfff\":1}","decoded":["\ud800"],"#,
                r#""flat":{"\udfff":1},"key":1}"#
            )
        );
    }

    #[test]
    fn proto_members_are_own_until_an_assignment_copies_them() {
        // JSON.parse (the event, @json decode) and @flatten make own `__proto__` members, which
        // JSON.stringify prints; assignment (mapping objects, @merge, @excludeWhenNull and the
        // final removeUndefined) makes them prototypes, which it does not.
        let text = r#"{"p": {"__proto__": {"x": 1}, "a": 2}, "s": {"__proto__": 5}}"#;
        let mapping = json!({
            "path": {"@path": "$.p"},
            "own": {"@path": "$.p.__proto__.x"},
            "enc": {"@json": {"mode": "encode", "value": {"@path": "$.p"}}},
            "flat": {"@json": {"mode": "encode", "value": {"@flatten": {"value": {"@path": "$.s"}, "separator": "."}}}},
            "merged": {"@json": {"mode": "encode", "value": {"@merge": {"direction": "right", "objects": [{"@path": "$.p"}]}}}},
            "built": {"@json": {"mode": "encode", "value": {"__proto__": {"y": 1}, "b": 1}}},
            "kept": {"@json": {"mode": "encode", "value": {"@excludeWhenNull": {"@path": "$.p"}}}},
            "decoded": {"@json": {"mode": "decode", "value": "{\"__proto__\": 1, \"c\": 2}"}}
        });
        assert_eq!(
            on_text(mapping, text).unwrap().unwrap(),
            concat!(
                r#"{"path":{"a":2},"own":1,"enc":"{\"__proto__\":{\"x\":1},\"a\":2}","#,
                r#""flat":"{\"__proto__\":5}","merged":"{\"a\":2}","built":"{\"b\":1}","#,
                r#""kept":"{\"a\":2}","decoded":{"c":2}}"#
            )
        );
    }

    #[test]
    fn numbers_beyond_a_double_are_infinity() {
        // JSON.parse reads `1e400` as Infinity: `null` in JSON, "Infinity" as text.
        let text = r#"{"n": 1e400, "m": [-1e400], "j": "{\"a\": 1e400}"}"#;
        let mapping = json!({
            "n": {"@path": "$.n"},
            "m": {"@path": "$.m"},
            "text": {"@template": "{{n}} {{m}}"},
            "upper": {"@replace": {"pattern": "I", "replacement": "i", "value": {"@path": "$.n"}}},
            "exists": {"@if": {"blank": {"@path": "$.n"}, "then": "number", "else": "blank"}},
            "merged": {"@merge": {"direction": "right", "objects": [{"@path": "$.m"}]}}
        });
        assert_eq!(
            on_text(mapping, text).unwrap().unwrap(),
            concat!(
                r#"{"n":null,"m":[null],"text":"Infinity -Infinity","upper":"infinity","#,
                r#""exists":"number","merged":{"0":null}}"#
            )
        );
        let decoded = json!({"d": {"@transform": {
            "apply": {"v": {"@json": {"mode": "decode", "value": {"@path": "$.j"}}}},
            "mapping": {"t": {"@template": "{{v.a}}"}, "v": {"@path": "$.v"}}
        }}});
        assert_eq!(
            on_text(decoded, text).unwrap().unwrap(),
            r#"{"d":{"t":"Infinity","v":{"a":null}}}"#
        );
    }
}
