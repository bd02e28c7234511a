//! Checking a mapping before it runs: the shape of every directive, with the JSON path of
//! each problem (`/f3/@case/value should be a string or a mapping directive …`).
//!
//! The rules are Segment's: directive options are checked field by field, raw objects are
//! checked key by key, and arrays are accepted as they are (their items are only looked at
//! when the mapping runs).

use crate::error::MappingError;
use crate::js::real_type_of;
use serde_json::{Map, Value};

/// Longest `@replace` pattern, in UTF-16 code units.
pub const MAX_PATTERN_LENGTH: usize = 10;
/// Longest `@replace` replacement, in UTF-16 code units.
pub const MAX_REPLACEMENT_LENGTH: usize = 10;

/// Every directive name the mapping language knows.
pub const DIRECTIVES: &[&str] = &[
    "@if",
    "@path",
    "@template",
    "@literal",
    "@arrayPath",
    "@case",
    "@replace",
    "@merge",
    "@transform",
    "@flatten",
    "@json",
    "@excludeWhenNull",
    "@liquid",
];

/// Checks a whole mapping; every problem is reported.
pub fn check_mapping(mapping: &Value) -> Result<(), Vec<MappingError>> {
    let mut checker = Checker {
        stack: Vec::new(),
        errors: Vec::new(),
    };
    checker.any(Some(mapping));
    if checker.errors.is_empty() {
        return Ok(());
    }
    // Options objects are checked as raw objects and then field by field, which can find the
    // same problem twice; report each once.
    let mut unique: Vec<MappingError> = Vec::with_capacity(checker.errors.len());
    for e in checker.errors {
        if !unique.contains(&e) {
            unique.push(e);
        }
    }
    Err(unique)
}

/// Whether an object is a directive: at least one `@` key and nothing else but `_metadata`.
pub fn is_directive(map: &Map<String, Value>) -> bool {
    map.keys().any(|k| k.starts_with('@'))
        && map.keys().all(|k| k.starts_with('@') || k == "_metadata")
}

fn kind(v: Option<&Value>) -> &'static str {
    match v {
        Some(Value::Object(map)) if map.keys().any(|k| k.starts_with('@')) => "directive",
        other => real_type_of(other),
    }
}

fn article(type_name: &str) -> &'static str {
    if type_name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn it_is(v: Option<&Value>) -> String {
    let k = kind(v);
    format!("it is {} {k}", article(k))
}

/// What a directive option must be.
#[derive(Clone, Copy)]
enum Rule {
    DirectiveOrRaw,
    DirectiveOrString,
    DirectiveOrObject,
    Str,
    StrLen(usize, usize),
    Boolean,
    OneOf(&'static [&'static str]),
    Array,
}

struct Field {
    name: &'static str,
    required: bool,
    rule: Rule,
}

const fn opt(name: &'static str, rule: Rule) -> Field {
    Field {
        name,
        required: false,
        rule,
    }
}

const fn req(name: &'static str, rule: Rule) -> Field {
    Field {
        name,
        required: true,
        rule,
    }
}

struct Checker {
    stack: Vec<String>,
    errors: Vec<MappingError>,
}

impl Checker {
    fn fail(&mut self, message: String) -> bool {
        self.errors.push(MappingError::at(&self.stack, message));
        false
    }

    fn nested<R>(&mut self, key: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        self.stack.push(key.to_string());
        let r = f(self);
        self.stack.pop();
        r
    }

    /// Any mapping value: directives and raw objects are checked, everything else is fine.
    fn any(&mut self, v: Option<&Value>) -> bool {
        match kind(v) {
            "directive" => self.directive(v),
            "object" => self.object(v),
            _ => true,
        }
    }

    fn object(&mut self, v: Option<&Value>) -> bool {
        let Some(Value::Object(map)) = v.filter(|_| kind(v) == "object") else {
            return self.fail(format!("should be an object but {}", it_is(v)));
        };
        let mut ok = true;
        for (k, item) in map {
            ok &= self.nested(k, |c| c.any(Some(item)));
        }
        ok
    }

    fn directive(&mut self, v: Option<&Value>) -> bool {
        let Some(Value::Object(map)) = v else {
            return self.fail(format!("should be a directive object but {}", it_is(v)));
        };
        let directive_keys: Vec<&String> = map.keys().filter(|k| k.starts_with('@')).collect();
        if directive_keys.len() > 1 {
            return self.fail(format!(
                "should only have one @-prefixed key but it has {} keys",
                directive_keys.len()
            ));
        }
        if map.keys().any(|k| !k.starts_with('@') && k != "_metadata") {
            return self.fail(format!(
                "should only have one @-prefixed key but it has {} keys",
                map.len()
            ));
        }
        let name = directive_keys[0].as_str();
        if !DIRECTIVES.contains(&name) {
            return self.fail(format!("has an invalid directive: {name}"));
        }
        let options = map.get(name);
        self.nested(name, |c| c.directive_options(name, options))
    }

    fn directive_options(&mut self, name: &str, v: Option<&Value>) -> bool {
        use Rule::*;
        match name {
            "@if" => self.fields(
                v,
                &[
                    opt("exists", DirectiveOrRaw),
                    opt("then", DirectiveOrRaw),
                    opt("else", DirectiveOrRaw),
                ],
            ),
            "@case" => self.fields(v, &[opt("operator", Str), opt("value", DirectiveOrString)]),
            "@replace" => self.fields(
                v,
                &[
                    req("pattern", StrLen(1, MAX_PATTERN_LENGTH)),
                    opt("replacement", StrLen(0, MAX_REPLACEMENT_LENGTH)),
                    req("value", DirectiveOrString),
                    opt("ignorecase", Boolean),
                    opt("global", Boolean),
                ],
            ),
            "@arrayPath" => {
                let Some(Value::Array(items)) = v else {
                    return self.fail(format!("should be an array but {}", it_is(v)));
                };
                self.rule(items.first(), DirectiveOrString) && self.any(items.get(1))
            }
            "@path" | "@template" => self.rule(v, DirectiveOrString),
            "@literal" | "@excludeWhenNull" => self.rule(v, DirectiveOrRaw),
            "@liquid" => self.rule(v, Str),
            "@json" => self.fields(
                v,
                &[
                    req("value", DirectiveOrRaw),
                    req("mode", OneOf(&["encode", "decode"])),
                ],
            ),
            "@flatten" => self.fields(v, &[opt("separator", Str), req("value", DirectiveOrRaw)]),
            "@merge" => {
                let ok = self.fields(
                    v,
                    &[
                        opt("direction", OneOf(&["left", "right"])),
                        req("objects", Array),
                    ],
                );
                let Some(Value::Array(objects)) = v.and_then(|o| o.get("objects")) else {
                    return ok;
                };
                self.nested("objects", |c| {
                    let mut all = ok;
                    for (i, item) in objects.iter().enumerate() {
                        all &= c.nested(&i.to_string(), |c| c.rule(Some(item), DirectiveOrObject));
                    }
                    all
                })
            }
            "@transform" => self.fields(
                v,
                &[
                    req("apply", DirectiveOrObject),
                    req("mapping", DirectiveOrObject),
                ],
            ),
            _ => self.fail(format!("has an invalid directive: {name}")),
        }
    }

    /// Options given as an object: the object itself is checked like a raw object, then each
    /// listed field against its rule.
    fn fields(&mut self, v: Option<&Value>, fields: &[Field]) -> bool {
        if !self.object(v) {
            return false;
        }
        let mut ok = true;
        for field in fields {
            let value = v.and_then(|o| o.get(field.name));
            match value {
                None if field.required => {
                    ok &= self.fail(format!(
                        "should have field \"{}\" but it doesn't",
                        field.name
                    ));
                }
                None => {}
                Some(_) => ok &= self.nested(field.name, |c| c.rule(value, field.rule)),
            }
        }
        ok
    }

    fn rule(&mut self, v: Option<&Value>, rule: Rule) -> bool {
        let k = kind(v);
        match rule {
            Rule::DirectiveOrRaw => match k {
                "directive" => self.directive(v),
                "undefined" => self.fail(format!(
                    "should be a mapping directive or a JSON value but {}",
                    it_is(v)
                )),
                _ => true,
            },
            Rule::DirectiveOrString => match k {
                "directive" => self.directive(v),
                "string" => true,
                _ => self.fail(format!(
                    "should be a string or a mapping directive but {}",
                    it_is(v)
                )),
            },
            Rule::DirectiveOrObject => match k {
                "directive" => self.directive(v),
                "object" => self.object(v),
                _ => self.fail(format!(
                    "should be a object or a mapping directive but {}",
                    it_is(v)
                )),
            },
            Rule::Str => k == "string" || self.fail(format!("should be a string but {}", it_is(v))),
            Rule::StrLen(min, max) => {
                let Some(Value::String(s)) = v else {
                    return self.fail(format!("should be a string but {}", it_is(v)));
                };
                let len = crate::js::utf16_len(s);
                if len < min {
                    self.fail(format!("should be a string of length {min} or greater"))
                } else if len > max {
                    self.fail(format!("should be a string of length {max} or less"))
                } else {
                    true
                }
            }
            Rule::Boolean => {
                k == "boolean" || self.fail(format!("should be a boolean but {}", it_is(v)))
            }
            Rule::OneOf(allowed) => {
                let Some(Value::String(s)) = v else {
                    return self.fail(format!("should be a string but {}", it_is(v)));
                };
                allowed.contains(&s.to_lowercase().as_str())
                    || self.fail(format!(
                        "should be one of {} but it is {}",
                        allowed.join(", "),
                        Value::String(s.clone())
                    ))
            }
            Rule::Array => {
                k == "array" || self.fail(format!("should be an array but {}", it_is(v)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(m: Value) -> Vec<String> {
        check_mapping(&m)
            .err()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn accepts_valid_mappings() {
        assert!(
            errors(json!({"a": {"@path": "$.x"}, "b": [1, {"@bogus": 1}], "c": "raw"})).is_empty()
        );
        assert!(errors(json!({"a": {"@if": {"exists": {"@path": "$.x"}, "then": 1}}})).is_empty());
    }

    #[test]
    fn names_the_exact_path() {
        assert_eq!(
            errors(json!({"f3": {"@case": {"operator": "lower", "value": {"a": 1}}}})),
            ["/f3/@case/value should be a string or a mapping directive but it is an object"]
        );
        assert_eq!(
            errors(json!({"f": {"x": {"@replace": {"pattern": "abcdefghijk", "value": "v"}}}})),
            ["/f/x/@replace/pattern should be a string of length 10 or less"]
        );
    }

    #[test]
    fn reports_every_problem() {
        let e =
            errors(json!({"a": {"@nope": 1}, "b": {"@path": 5}, "c": {"@path": "x", "extra": 1}}));
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].starts_with("/a has an invalid directive: @nope"));
        assert!(e[1]
            .starts_with("/b/@path should be a string or a mapping directive but it is a number"));
        assert!(e[2].starts_with("/c should only have one @-prefixed key"));
    }

    #[test]
    fn checks_merge_objects_and_json_mode() {
        assert_eq!(
            errors(json!({"m": {"@merge": {"objects": [1], "direction": "left"}}})).len(),
            1
        );
        assert_eq!(
            errors(json!({"j": {"@json": {"value": 1, "mode": "both"}}})).len(),
            1
        );
        assert!(errors(json!({"j": {"@json": {"value": 1, "mode": "ENCODE"}}})).is_empty());
    }
}
