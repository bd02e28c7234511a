//! Running a checked mapping on a payload: one function per directive.
//!
//! Directive options are read the way Segment reads them, including its truthiness checks
//! on the raw options (an `@if` whose `else` is `""` has no else branch) and runtime errors
//! for options the checker lets through (an `@case` without `operator`).

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

/// Resolves any mapping value against `payload`.
pub fn resolve(mapping: &Value, payload: Root<'_>) -> Run {
    match mapping {
        Value::Object(map) if is_directive(map) => run_directive(map, payload),
        Value::Object(map) => {
            let mut out = ObjectMap::with_capacity_and_hasher(map.len(), Default::default());
            for (k, v) in map {
                out.insert(k.clone(), resolve(v, payload).map_err(|e| e.within(k))?);
            }
            Ok(Resolved::Object(out))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| resolve(v, payload).map_err(|e| e.within(&i.to_string())))
            .collect::<Result<Vec<_>, _>>()
            .map(Resolved::Array),
        scalar => Ok(Resolved::from(scalar)),
    }
}

/// Resolves an optional option (`undefined` stays `undefined`), naming it in errors.
fn resolve_opt(opts: &Map<String, Value>, key: &str, payload: Root<'_>) -> Run {
    match opts.get(key) {
        Some(v) => resolve(v, payload).map_err(|e| e.within(key)),
        None => Ok(Resolved::Undefined),
    }
}

fn run_directive(map: &Map<String, Value>, payload: Root<'_>) -> Run {
    let Some(name) = map.keys().find(|k| k.starts_with('@')) else {
        return Err(fail("is not a directive"));
    };
    let options = &map[name];
    let result = match name.as_str() {
        "@if" => run_if(options, payload),
        "@case" => run_case(options, payload),
        "@replace" => run_replace(options, payload),
        "@arrayPath" => run_array_path(options, payload),
        "@path" => resolve_string("@path", options, payload).map(|p| lookup(payload, &p)),
        "@template" => resolve_string("@template", options, payload)
            .map(|t| Resolved::String(render_template(&t, payload))),
        "@literal" => resolve(options, payload),
        "@flatten" => run_flatten(options, payload),
        "@json" => run_json(options, payload),
        "@merge" => run_merge(options, payload),
        "@transform" => run_transform(options, payload),
        "@excludeWhenNull" => resolve(options, payload).map(exclude_nulls),
        "@liquid" => super::liquid::run(options, payload),
        other => Err(fail(format!("{other} is not a valid directive"))),
    };
    result.map_err(|e| e.within(name))
}

fn options<'v>(v: &'v Value, message: &str) -> Result<&'v Map<String, Value>, MappingError> {
    v.as_object().ok_or_else(|| fail(message))
}

fn resolve_string(name: &str, v: &Value, payload: Root<'_>) -> Result<String, MappingError> {
    match resolve(v, payload)? {
        Resolved::String(s) => Ok(s),
        other => Err(fail(format!(
            "{name}: expected string, got {}",
            other.type_name()
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

fn run_if(v: &Value, payload: Root<'_>) -> Run {
    let opts = options(v, "@if requires an object with an \"exists\" key")?;
    let (exists, blank) = (opts.get("exists"), opts.get("blank"));
    if !truthy(exists) && !truthy(blank) {
        return Err(fail("@if requires an \"exists\" key or a \"blank\" key"));
    }
    let condition = if exists.is_some() {
        !resolve_opt(opts, "exists", payload)?.is_nullish()
    } else {
        let value = resolve_opt(opts, "blank", payload)?;
        !value.is_nullish() && !loosely_empty(&value)
    };
    if condition && opts.contains_key("then") {
        resolve_opt(opts, "then", payload)
    } else if !condition && truthy(opts.get("else")) {
        resolve_opt(opts, "else", payload)
    } else {
        Ok(Resolved::Undefined)
    }
}

fn run_case(v: &Value, payload: Root<'_>) -> Run {
    let opts = options(v, "@case requires an object with a \"operator\" key")?;
    if !truthy(opts.get("operator")) {
        return Err(fail("@case requires a \"operator\" key"));
    }
    if !truthy(opts.get("value")) {
        return Ok(Resolved::Undefined);
    }
    match resolve_opt(opts, "value", payload)? {
        Resolved::String(s) => match opts.get("operator").and_then(Value::as_str) {
            Some("lower") => Ok(Resolved::String(s.to_lowercase())),
            Some("upper") => Ok(Resolved::String(s.to_uppercase())),
            _ => Err(fail(
                "operator key should have a value of \"lower\" or \"upper\"",
            )),
        },
        other => Ok(other),
    }
}

fn run_replace(v: &Value, payload: Root<'_>) -> Run {
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
    let text = match resolve_opt(opts, "value", payload)? {
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
    let mut out = replace_checked(&text, pattern, &replacement, flags)?;
    if truthy(opts.get("pattern2")) {
        let replacement2 = or_default("replacement2", Value::from(""));
        if let (Some(Value::String(pattern2)), Value::String(replacement2)) =
            (opts.get("pattern2"), replacement2)
        {
            out = replace_checked(&out, pattern2, &replacement2, flags)?;
        }
    }
    Ok(Resolved::String(out))
}

fn replace_checked(
    text: &str,
    pattern: &str,
    replacement: &str,
    flags: ReplaceFlags,
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
    Ok(replace_text(text, pattern, replacement, flags))
}

fn run_array_path(v: &Value, payload: Root<'_>) -> Run {
    let Value::Array(items) = v else {
        return Err(fail(format!(
            "@arrayPath expected array, got {}",
            real_type_of(Some(v))
        )));
    };
    let root = match items.first() {
        Some(Value::String(path)) => lookup(payload, path),
        Some(other) => resolve(other, payload).map_err(|e| e.within("0"))?,
        None => Resolved::Undefined,
    };
    let shape = items
        .get(1)
        .filter(|s| s.as_object().is_some_and(|o| !o.is_empty()));
    match (shape, root) {
        (Some(shape), Resolved::Array(list)) => map_shape(shape, &list),
        (Some(shape), root @ Resolved::Object(_)) => map_shape(shape, std::slice::from_ref(&root)),
        (_, root) => Ok(root),
    }
}

fn map_shape(shape: &Value, items: &[Resolved]) -> Run {
    items
        .iter()
        .map(|item| resolve(shape, Root::Resolved(item)).map_err(|e| e.within("1")))
        .collect::<Result<Vec<_>, _>>()
        .map(Resolved::Array)
}

fn run_flatten(v: &Value, payload: Root<'_>) -> Run {
    let opts = options(v, "@flatten requires an object with a \"separator\" key")?;
    if !truthy(opts.get("separator")) {
        return Err(fail("@flatten requires a \"separator\" key"));
    }
    let Resolved::String(separator) = resolve_opt(opts, "separator", payload)? else {
        return Err(fail("@flatten requires a string separator"));
    };
    let value = resolve_opt(opts, "value", payload)?;
    let mut out = ObjectMap::default();
    flatten_into(
        &mut out,
        value,
        "",
        &separator,
        truthy(opts.get("omitArrays")),
    );
    Ok(Resolved::Object(out))
}

fn flatten_into(
    out: &mut ObjectMap,
    input: Resolved,
    prefix: &str,
    separator: &str,
    omit_arrays: bool,
) {
    let key_for = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}{separator}{k}")
        }
    };
    match input {
        Resolved::Object(map) => {
            for (k, v) in crate::value::js_order_owned(map) {
                flatten_into(out, v, &key_for(&k), separator, omit_arrays);
            }
        }
        Resolved::Array(items) if !omit_arrays => {
            for (i, v) in items.into_iter().enumerate() {
                flatten_into(out, v, &key_for(&i.to_string()), separator, omit_arrays);
            }
        }
        leaf => {
            out.insert(prefix.to_string(), leaf);
        }
    }
}

fn run_json(v: &Value, payload: Root<'_>) -> Run {
    let opts = options(v, "@json requires an object with a \"value\" key")?;
    if !truthy(opts.get("mode")) {
        return Err(fail("@json requires a \"mode\" key"));
    }
    if !truthy(opts.get("value")) {
        return Err(fail("@json requires a \"value\" key"));
    }
    let value = resolve_opt(opts, "value", payload)?;
    Ok(match opts.get("mode").and_then(Value::as_str) {
        Some("encode") => value
            .stringify()
            .map_or(Resolved::Undefined, Resolved::String),
        Some("decode") => match value {
            Resolved::String(s) => {
                serde_json::from_str::<Value>(&s).map_or(Resolved::String(s), Resolved::from)
            }
            other => other,
        },
        _ => Resolved::Undefined,
    })
}

fn run_merge(v: &Value, payload: Root<'_>) -> Run {
    let opts = options(
        v,
        "@merge requires an object with an \"objects\" key and a \"direction\" key",
    )?;
    if !truthy(opts.get("direction")) {
        return Err(fail("@merge requires a \"direction\" key"));
    }
    let direction = resolve_opt(opts, "direction", payload)?;
    let objects = match opts.get("objects") {
        Some(Value::Array(objects)) => objects,
        other if !truthy(other) => return Err(fail("@merge requires a \"objects\" key")),
        Some(other) => {
            return Err(fail(format!(
                "@merge: expected opts.array, got {}",
                js_typeof(other)
            )))
        }
        None => return Err(fail("@merge requires a \"objects\" key")),
    };
    let mut sources = objects
        .iter()
        .enumerate()
        .map(|(i, o)| resolve(o, payload).map_err(|e| e.within(&i.to_string()).within("objects")))
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
            Resolved::String(s) => out.extend(s.encode_utf16().enumerate().map(|(i, unit)| {
                (
                    i.to_string(),
                    Resolved::String(String::from_utf16_lossy(&[unit])),
                )
            })),
            _ => {}
        }
    }
    Ok(Resolved::Object(out))
}

fn js_typeof(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        _ => "object",
    }
}

fn run_transform(v: &Value, payload: Root<'_>) -> Run {
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
    let new_payload = transform_resolved(apply, payload).map_err(|e| e.within("apply"))?;
    resolve_opt(opts, "mapping", Root::Resolved(&new_payload))
}

/// Segment's `transform` on an arbitrary payload: the payload must be an object, the mapping
/// is checked, resolved, and cleared of `undefined` members.
pub fn transform_resolved(mapping: &Value, payload: Root<'_>) -> Run {
    if let Err(mut errors) = check_mapping(mapping) {
        return Err(errors.swap_remove(0));
    }
    Ok(run_checked(mapping, payload)?.remove_undefined())
}

/// Runs a mapping already checked by [`check_mapping`] on `payload`, which must be an object.
/// `undefined` members are left for the caller's conversion to JSON to drop.
pub fn run_checked(mapping: &Value, payload: Root<'_>) -> Run {
    let payload_type = match payload {
        Root::Json(v) => real_type_of(Some(v)),
        Root::Resolved(r) => r.type_name(),
    };
    if payload_type != "object" {
        return Err(fail(format!("data must be an object, got {payload_type}")));
    }
    resolve(mapping, payload)
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
