//! Running a checked mapping on a payload: one function per directive.
//!
//! Directive options are read the way Segment reads them, including its truthiness checks
//! on the raw options (an `@if` whose `else` is `""` has no else branch) and runtime errors
//! for options the checker lets through (an `@case` without `operator`).

use super::budget::{resolved_size, Budget, VALUE_BYTES};
use super::check::{check_mapping, is_directive};
use super::path::{lookup, render_template};
use super::replace::{replace_text, ReplaceFlags};
use crate::error::MappingError;
use crate::js::{self, real_type_of, truthy, Root};
use crate::value::{ObjectMap, Resolved};
use serde_json::{Map, Value};

type Run = Result<Resolved, MappingError>;

fn fail(message: impl Into<String>) -> MappingError {
    MappingError::at::<&str>(&[], message)
}

/// One run of a mapping: the payload it reads and the budget it builds from.
#[derive(Clone, Copy)]
struct Cx<'a> {
    payload: Root<'a>,
    budget: &'a Budget,
}

impl<'a> Cx<'a> {
    /// The same run reading another payload (`@arrayPath` items, `@transform`'s `apply`).
    fn reading<'b>(&self, payload: Root<'b>) -> Cx<'b>
    where
        'a: 'b,
    {
        Cx {
            payload,
            budget: self.budget,
        }
    }

    /// `value`, paid for.
    fn built(&self, value: Resolved) -> Run {
        self.budget.spend(resolved_size(&value))?;
        Ok(value)
    }

    /// A string, paid for.
    fn text(&self, text: String) -> Run {
        self.budget.spend(text.len().saturating_add(VALUE_BYTES))?;
        Ok(Resolved::String(text))
    }
}

/// Resolves any mapping value against the payload.
fn resolve(mapping: &Value, cx: Cx<'_>) -> Run {
    match mapping {
        Value::Object(map) if is_directive(map) => run_directive(map, cx),
        Value::Object(map) => {
            let mut out = ObjectMap::with_capacity_and_hasher(map.len(), Default::default());
            for (k, v) in map {
                cx.budget.spend(k.len().saturating_add(VALUE_BYTES))?;
                out.insert(k.clone(), resolve(v, cx).map_err(|e| e.within(k))?);
            }
            Ok(Resolved::Object(out))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| resolve(v, cx).map_err(|e| e.within(&i.to_string())))
            .collect::<Result<Vec<_>, _>>()
            .map(Resolved::Array),
        scalar => cx.built(Resolved::from(scalar)),
    }
}

/// Resolves an optional option (`undefined` stays `undefined`), naming it in errors.
fn resolve_opt(opts: &Map<String, Value>, key: &str, cx: Cx<'_>) -> Run {
    match opts.get(key) {
        Some(v) => resolve(v, cx).map_err(|e| e.within(key)),
        None => Ok(Resolved::Undefined),
    }
}

fn run_directive(map: &Map<String, Value>, cx: Cx<'_>) -> Run {
    let Some(name) = map.keys().find(|k| k.starts_with('@')) else {
        return Err(fail("is not a directive"));
    };
    let options = &map[name];
    let result = match name.as_str() {
        "@if" => run_if(options, cx),
        "@case" => run_case(options, cx),
        "@replace" => run_replace(options, cx),
        "@arrayPath" => run_array_path(options, cx),
        "@path" => {
            resolve_string("@path", options, cx).and_then(|p| cx.built(lookup(cx.payload, &p)))
        }
        "@template" => resolve_string("@template", options, cx).and_then(|t| {
            render_template(&t, cx.payload, cx.budget.left())
                .ok_or_else(|| cx.budget.exhausted())
                .and_then(|text| cx.text(text))
        }),
        "@literal" => resolve(options, cx),
        "@flatten" => run_flatten(options, cx),
        "@json" => run_json(options, cx),
        "@merge" => run_merge(options, cx),
        "@transform" => run_transform(options, cx),
        "@excludeWhenNull" => resolve(options, cx).map(exclude_nulls),
        other => Err(fail(format!("{other} is not a valid directive"))),
    };
    result.map_err(|e| e.within(name))
}

fn options<'v>(v: &'v Value, message: &str) -> Result<&'v Map<String, Value>, MappingError> {
    v.as_object().ok_or_else(|| fail(message))
}

fn resolve_string(name: &str, v: &Value, cx: Cx<'_>) -> Result<String, MappingError> {
    match resolve(v, cx)? {
        Resolved::String(s) => Ok(s),
        other => Err(fail(format!(
            "{name}: expected string, got {}",
            Root::Resolved(&other).type_name()
        ))),
    }
}

/// `v == ''` with JavaScript's loose equality.
fn loosely_empty(v: &Resolved) -> bool {
    match v {
        Resolved::Number(n) => js::json_number_value(n) == 0.0,
        Resolved::Bool(b) => !b,
        Resolved::String(s) => s.is_empty(),
        Resolved::Array(_) => v.to_js_string().is_empty(),
        _ => false,
    }
}

fn run_if(v: &Value, cx: Cx<'_>) -> Run {
    let opts = options(v, "@if requires an object with an \"exists\" key")?;
    let (exists, blank) = (opts.get("exists"), opts.get("blank"));
    if !truthy(exists) && !truthy(blank) {
        return Err(fail("@if requires an \"exists\" key or a \"blank\" key"));
    }
    let condition = if exists.is_some() {
        !resolve_opt(opts, "exists", cx)?.is_nullish()
    } else {
        let value = resolve_opt(opts, "blank", cx)?;
        !value.is_nullish() && !loosely_empty(&value)
    };
    if condition && opts.contains_key("then") {
        resolve_opt(opts, "then", cx)
    } else if !condition && truthy(opts.get("else")) {
        resolve_opt(opts, "else", cx)
    } else {
        Ok(Resolved::Undefined)
    }
}

fn run_case(v: &Value, cx: Cx<'_>) -> Run {
    let opts = options(v, "@case requires an object with a \"operator\" key")?;
    if !truthy(opts.get("operator")) {
        return Err(fail("@case requires a \"operator\" key"));
    }
    if !truthy(opts.get("value")) {
        return Ok(Resolved::Undefined);
    }
    match resolve_opt(opts, "value", cx)? {
        Resolved::String(s) => match opts.get("operator").and_then(Value::as_str) {
            Some("lower") => cx.text(s.to_lowercase()),
            Some("upper") => cx.text(s.to_uppercase()),
            _ => Err(fail(
                "operator key should have a value of \"lower\" or \"upper\"",
            )),
        },
        other => Ok(other),
    }
}

fn run_replace(v: &Value, cx: Cx<'_>) -> Run {
    let opts = options(v, "@replace requires an object with a \"pattern\" key")?;
    if !truthy(opts.get("pattern")) {
        return Err(fail("@replace requires a \"pattern\" key"));
    }
    if !truthy(opts.get("value")) {
        return Ok(Resolved::Undefined);
    }
    let or_default = |key: &str, default: Value| match opts.get(key) {
        None | Some(Value::Null) => default,
        Some(v) => v.clone(),
    };
    let replacement = or_default("replacement", Value::from(""));
    let ignore_case = or_default("ignorecase", Value::Bool(false));
    let global = or_default("global", Value::Bool(true));
    let text = match resolve_opt(opts, "value", cx)? {
        Resolved::Bool(b) => Some(b.to_string()),
        Resolved::Number(n) => Some(js::json_number_to_string(&n)),
        Resolved::String(s) => Some(s),
        _ => None,
    };
    let (
        Some(text),
        Some(Value::String(pattern)),
        Value::String(replacement),
        Value::Bool(ignore_case),
        Value::Bool(global),
    ) = (text, opts.get("pattern"), replacement, ignore_case, global)
    else {
        return Ok(Resolved::String(String::new()));
    };
    let flags = ReplaceFlags {
        global,
        ignore_case,
    };
    let mut out = replace_checked(&text, pattern, &replacement, flags, cx)?;
    if truthy(opts.get("pattern2")) {
        let replacement2 = or_default("replacement2", Value::from(""));
        if let (Some(Value::String(pattern2)), Value::String(replacement2)) =
            (opts.get("pattern2"), replacement2)
        {
            out = replace_checked(&out, pattern2, &replacement2, flags, cx)?;
        }
    }
    cx.text(out)
}

fn replace_checked(
    text: &str,
    pattern: &str,
    replacement: &str,
    flags: ReplaceFlags,
    cx: Cx<'_>,
) -> Result<String, MappingError> {
    use super::check::{MAX_PATTERN_LENGTH, MAX_REPLACEMENT_LENGTH};
    if js::utf16_len(pattern) > MAX_PATTERN_LENGTH {
        return Err(fail(format!(
            "@replace requires a \"pattern\" less than {MAX_PATTERN_LENGTH} characters"
        )));
    }
    if js::utf16_len(replacement) > MAX_REPLACEMENT_LENGTH {
        return Err(fail(format!(
            "@replace requires a \"replacement\" less than {MAX_REPLACEMENT_LENGTH} characters"
        )));
    }
    // `$\`` and `$'` repeat the text around each match: the result can grow with the square of
    // the text, so it is built within what the budget has left.
    replace_text(text, pattern, replacement, flags, cx.budget.left())
        .ok_or_else(|| cx.budget.exhausted())
}

fn run_array_path(v: &Value, cx: Cx<'_>) -> Run {
    let Value::Array(items) = v else {
        return Err(fail(format!(
            "@arrayPath expected array, got {}",
            real_type_of(Some(v))
        )));
    };
    let root = match items.first() {
        Some(Value::String(path)) => cx.built(lookup(cx.payload, path))?,
        Some(other) => resolve(other, cx).map_err(|e| e.within("0"))?,
        None => Resolved::Undefined,
    };
    let shape = items
        .get(1)
        .filter(|s| s.as_object().is_some_and(|o| !o.is_empty()));
    match (shape, root) {
        (Some(shape), Resolved::Array(list)) => map_shape(shape, &list, cx),
        (Some(shape), root @ Resolved::Object(_)) => {
            map_shape(shape, std::slice::from_ref(&root), cx)
        }
        (_, root) => Ok(root),
    }
}

fn map_shape(shape: &Value, items: &[Resolved], cx: Cx<'_>) -> Run {
    items
        .iter()
        .map(|item| resolve(shape, cx.reading(Root::Resolved(item))).map_err(|e| e.within("1")))
        .collect::<Result<Vec<_>, _>>()
        .map(Resolved::Array)
}

fn run_flatten(v: &Value, cx: Cx<'_>) -> Run {
    let opts = options(v, "@flatten requires an object with a \"separator\" key")?;
    if !truthy(opts.get("separator")) {
        return Err(fail("@flatten requires a \"separator\" key"));
    }
    let Resolved::String(separator) = resolve_opt(opts, "separator", cx)? else {
        return Err(fail("@flatten requires a string separator"));
    };
    let value = resolve_opt(opts, "value", cx)?;
    let mut out = ObjectMap::default();
    let flat = Flattening {
        separator: &separator,
        omit_arrays: truthy(opts.get("omitArrays")),
        cx,
    };
    flat.add(&mut out, value, "")?;
    Ok(Resolved::Object(out))
}

/// `@flatten`'s options while it walks a value.
struct Flattening<'a> {
    separator: &'a str,
    omit_arrays: bool,
    cx: Cx<'a>,
}

impl Flattening<'_> {
    /// Adds the leaves of `input` to `out`, their keys starting with `prefix`. Every key repeats
    /// the prefix and the separator, so keys are paid for as they are built.
    fn add(&self, out: &mut ObjectMap, input: Resolved, prefix: &str) -> Result<(), MappingError> {
        let key_for = |k: &str| {
            let key = if prefix.is_empty() {
                k.to_string()
            } else {
                format!("{prefix}{}{k}", self.separator)
            };
            self.cx.budget.spend(key.len()).map(|()| key)
        };
        match input {
            Resolved::Object(map) => {
                for (k, v) in crate::value::js_order_owned(map) {
                    self.add(out, v, &key_for(&k)?)?;
                }
            }
            Resolved::Array(items) if !self.omit_arrays => {
                for (i, v) in items.into_iter().enumerate() {
                    self.add(out, v, &key_for(&i.to_string())?)?;
                }
            }
            leaf => {
                out.insert(prefix.to_string(), leaf);
            }
        }
        Ok(())
    }
}

fn run_json(v: &Value, cx: Cx<'_>) -> Run {
    let opts = options(v, "@json requires an object with a \"value\" key")?;
    if !truthy(opts.get("mode")) {
        return Err(fail("@json requires a \"mode\" key"));
    }
    if !truthy(opts.get("value")) {
        return Err(fail("@json requires a \"value\" key"));
    }
    let value = resolve_opt(opts, "value", cx)?;
    match opts.get("mode").and_then(Value::as_str) {
        Some("encode") => value
            .stringify()
            .map_or(Ok(Resolved::Undefined), |s| cx.text(s)),
        // serde_json parses at most 128 levels deep; deeper text stays text, as unparsable text does.
        Some("decode") => match value {
            Resolved::String(s) => match serde_json::from_str::<Value>(&s) {
                Ok(decoded) => cx.built(Resolved::from(decoded)),
                Err(_) => Ok(Resolved::String(s)),
            },
            other => Ok(other),
        },
        _ => Ok(Resolved::Undefined),
    }
}

fn run_merge(v: &Value, cx: Cx<'_>) -> Run {
    let opts = options(
        v,
        "@merge requires an object with an \"objects\" key and a \"direction\" key",
    )?;
    if !truthy(opts.get("direction")) {
        return Err(fail("@merge requires a \"direction\" key"));
    }
    let direction = resolve_opt(opts, "direction", cx)?;
    let objects = match opts.get("objects") {
        Some(Value::Array(objects)) => objects,
        other if !truthy(other) => return Err(fail("@merge requires a \"objects\" key")),
        Some(other) => {
            // `typeof` in Segment's message; for a truthy value that is no array it is the
            // same name as `realTypeOf`'s.
            return Err(fail(format!(
                "@merge: expected opts.array, got {}",
                real_type_of(Some(other))
            )));
        }
        None => return Err(fail("@merge requires a \"objects\" key")),
    };
    let mut sources = objects
        .iter()
        .enumerate()
        .map(|(i, o)| resolve(o, cx).map_err(|e| e.within(&i.to_string()).within("objects")))
        .collect::<Result<Vec<_>, _>>()?;
    if direction == Resolved::String("left".into()) {
        sources.reverse();
    }
    // `Object.assign({}, ...sources)`: later sources win, `undefined` members included.
    let mut out = ObjectMap::default();
    for source in sources {
        match source {
            Resolved::Object(map) => out.extend(
                map.into_iter()
                    .filter(|(k, _)| k != crate::value::PROTO_KEY),
            ),
            Resolved::Array(items) => out.extend(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (i.to_string(), v)),
            ),
            Resolved::String(s) => {
                // One member per UTF-16 unit: many times the string's own size.
                let units = js::utf16_len(&s);
                cx.budget.spend(units.saturating_mul(3 * VALUE_BYTES))?;
                out.extend(s.encode_utf16().enumerate().map(|(i, unit)| {
                    (
                        i.to_string(),
                        Resolved::String(String::from_utf16_lossy(&[unit])),
                    )
                }))
            }
            _ => {}
        }
    }
    Ok(Resolved::Object(out))
}

fn run_transform(v: &Value, cx: Cx<'_>) -> Run {
    let opts = options(
        v,
        "@transform requires an object with an \"apply\" key and a \"mapping\" key",
    )?;
    if !truthy(opts.get("mapping")) {
        return Err(fail("@transform requires a \"mapping\" key"));
    }
    let Some(apply) = opts.get("apply").filter(|a| truthy(Some(a))) else {
        return Err(fail("@transform requires a \"apply\" key"));
    };
    if !apply.is_object() {
        return Err(fail("@transform \"apply\" key should be an object"));
    }
    let new_payload =
        transform_resolved(apply, cx.payload, cx.budget).map_err(|e| e.within("apply"))?;
    resolve_opt(opts, "mapping", cx.reading(Root::Resolved(&new_payload)))
}

/// Segment's `transform` on an arbitrary payload: the payload must be an object, the mapping
/// is checked, resolved within `budget`, and cleared of `undefined` members.
pub fn transform_resolved(mapping: &Value, payload: Root<'_>, budget: &Budget) -> Run {
    if let Err(mut errors) = check_mapping(mapping) {
        return Err(errors.swap_remove(0));
    }
    Ok(run_checked(mapping, payload, budget)?.remove_undefined())
}

/// Runs a mapping already checked by [`check_mapping`] on `payload`, which must be an object,
/// building within `budget`. `undefined` members are left for the caller's conversion to JSON
/// to drop.
pub fn run_checked(mapping: &Value, payload: Root<'_>, budget: &Budget) -> Run {
    let payload_type = payload.type_name();
    if payload_type != "object" {
        return Err(fail(format!("data must be an object, got {payload_type}")));
    }
    resolve(mapping, Cx { payload, budget })
}

/// `@excludeWhenNull`: `null` becomes `undefined`, and `null` members of objects (at any
/// object depth) are dropped.
fn exclude_nulls(value: Resolved) -> Resolved {
    match value {
        Resolved::Null => Resolved::Undefined,
        Resolved::Object(map) => Resolved::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Resolved::Null => Resolved::Undefined,
                        obj @ Resolved::Object(_) => exclude_nulls(obj),
                        other => other,
                    };
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}
