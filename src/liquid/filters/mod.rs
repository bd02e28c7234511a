//! Filters: liquidjs's built-in filters as Segment's engine has them, one file per family.
//!
//! Each filter takes the value, the evaluated arguments (as liquidjs passes them: `key: value`
//! arguments arrive as `[key, value]` arrays) and the render context for its memory charges.
//! A missing or `undefined` argument takes the filter's default, as a JavaScript default
//! parameter does.

mod array;
mod base64;
mod crypto;
mod date;
mod html;
mod math;
mod misc;
mod string;
mod time_zone;
mod url;

use super::ast::FilterKind;
use super::error::Error;
use super::render::Context;
use super::value::Value;

/// A filter's implementation.
pub(crate) type FilterFn = for<'c, 't, 'd> fn(
    &'c mut Context<'t, 'd>,
    Value<'d>,
    &[Value<'d>],
) -> Result<Value<'d>, Error>;

/// The filters Segment turns off: using one is an error when it runs (`type` is not a
/// liquidjs filter; Segment registers it as disabled all the same).
pub const DISABLED: [&str; 20] = [
    "array_to_sentence_string",
    "concat",
    "find",
    "find_exp",
    "find_index",
    "find_index_exp",
    "group_by",
    "group_by_exp",
    "has",
    "has_exp",
    "map",
    "newline_to_br",
    "reject",
    "reject_exp",
    "reverse",
    "sort",
    "sort_natural",
    "uniq",
    "where_exp",
    "type",
];

/// Every enabled filter, by name.
const FILTERS: &[(&str, FilterFn)] = &[
    ("abs", math::abs),
    ("append", string::append),
    ("at_least", math::at_least),
    ("at_most", math::at_most),
    ("base64_decode", base64::base64_decode),
    ("base64_encode", base64::base64_encode),
    ("capitalize", string::capitalize),
    ("ceil", math::ceil),
    ("cgi_escape", url::cgi_escape),
    ("compact", array::compact),
    ("date", date::date),
    ("date_to_long_string", date::date_to_long_string),
    ("date_to_rfc822", date::date_to_rfc822),
    ("date_to_string", date::date_to_string),
    ("date_to_xmlschema", date::date_to_xmlschema),
    ("default", misc::default),
    ("divided_by", math::divided_by),
    ("downcase", string::downcase),
    ("escape", html::escape),
    ("escape_once", html::escape_once),
    ("first", array::first),
    ("floor", math::floor),
    ("hmac_sha256", crypto::hmac_sha256),
    ("inspect", misc::json),
    ("join", array::join),
    ("json", misc::json),
    ("jsonify", misc::json),
    ("last", array::last),
    ("lstrip", string::lstrip),
    ("minus", math::minus),
    ("modulo", math::modulo),
    ("normalize_whitespace", string::normalize_whitespace),
    ("number_of_words", string::number_of_words),
    ("plus", math::plus),
    ("pop", array::pop),
    ("prepend", string::prepend),
    ("push", array::push),
    ("raw", misc::raw),
    ("remove", string::remove),
    ("remove_first", string::remove_first),
    ("remove_last", string::remove_last),
    ("replace", string::replace),
    ("replace_first", string::replace_first),
    ("replace_last", string::replace_last),
    ("round", math::round),
    ("rstrip", string::rstrip),
    ("sample", array::sample),
    ("sha256", crypto::sha256),
    ("shift", array::shift),
    ("size", array::size),
    ("slice", array::slice),
    ("slugify", url::slugify),
    ("split", string::split),
    ("squish", string::squish),
    ("strip", string::strip),
    ("strip_html", html::strip_html),
    ("strip_newlines", string::strip_newlines),
    ("sum", array::sum),
    ("times", math::times),
    ("to_integer", misc::to_integer),
    ("truncate", string::truncate),
    ("truncatewords", string::truncatewords),
    ("unshift", array::unshift),
    ("upcase", string::upcase),
    ("uri_escape", url::uri_escape),
    ("url_decode", url::url_decode),
    ("url_encode", url::url_encode),
    ("where", array::where_),
    ("xml_escape", html::escape),
];

/// What `name` stands for in Segment's engine.
pub(crate) fn lookup(name: &str) -> FilterKind {
    if DISABLED.contains(&name) {
        return FilterKind::Disabled;
    }
    FILTERS
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .map_or(FilterKind::Unknown, |i| FilterKind::Known(FILTERS[i].1))
}

/// Argument `i`, unless it is missing or `undefined` (when a JavaScript default parameter
/// would apply).
pub(crate) fn arg<'a, 'd>(args: &'a [Value<'d>], i: usize) -> Option<&'a Value<'d>> {
    args.get(i).filter(|v| !matches!(v, Value::Undefined))
}

/// The string form of `v` (liquidjs's `stringify`), charged to the memory limit as most
/// filters charge their input.
pub(crate) fn charged_input(cx: &mut Context, v: &Value) -> Result<Vec<u16>, Error> {
    let s = v.stringify()?;
    cx.charge(s.len() as f64)?;
    Ok(s)
}

/// Argument `i` as given (`undefined` when missing).
pub(crate) fn raw_arg<'d>(args: &[Value<'d>], i: usize) -> Value<'d> {
    args.get(i).cloned().unwrap_or(Value::Undefined)
}

#[cfg(test)]
pub(crate) mod testing {
    //! Renders one-line templates against a small JSON event, for the filters' tests.

    use crate::liquid::Template;
    use serde_json::{json, Value as Json};

    /// The event the filter tests read.
    pub(crate) fn event() -> Json {
        json!({
            "name": "Ünïcödé Straße", "n": 3, "price": 19.99, "neg": -2.5, "zero": 0,
            "tags": ["red", "green", "blue"], "mixed": ["x", 1, null, [2, 3]],
            "products": [{"sku": "A-1", "qty": 2, "ok": true}, {"sku": "B-2", "qty": 0}],
            "obj": {"a": 1}, "html": "<b>Big</b> & \"bold\" 'deal'",
            "ts": "2024-03-05T14:07:09.123Z", "emoji": "a🎉b", "nil": null
        })
    }

    /// `template` rendered against [`event`], or the error message.
    pub(crate) fn render(template: &str) -> String {
        match Template::parse(template).and_then(|t| t.render(&event(), 0.0)) {
            Ok(s) => s,
            Err(e) => format!("error: {e}"),
        }
    }

    /// Checks each `(template, expected)` pair.
    pub(crate) fn check(cases: &[(&str, &str)]) {
        for (template, expected) in cases {
            assert_eq!(render(template), *expected, "{template}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_table_is_sorted_and_disjoint_from_disabled() {
        assert!(FILTERS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(FILTERS.iter().all(|(n, _)| !DISABLED.contains(n)));
    }

    #[test]
    fn disabled_filters_fail_when_they_run_unknown_ones_pass_through() {
        testing::check(&[
            (
                "{{ tags | sort }}",
                "error: filter \"sort\" is disabled, line:1, col:1",
            ),
            ("x{% if false %}{{ tags | uniq }}{% endif %}", "x"),
            ("{{ name | money | t: 1 }}", "Ünïcödé Straße"),
        ]);
    }
}
