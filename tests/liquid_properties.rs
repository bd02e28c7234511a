//! Property tests of the Liquid engine: any template, however broken, parses and renders (or
//! fails) without a panic and within a bounded time.

use nudge_edge::liquid::{Category, Template, PARSE_LIMIT};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Far above what any template takes (a few ms); a render that hangs or runs away fails.
const TIME_BOUND: Duration = Duration::from_secs(5);

/// Pieces templates are made of: delimiters, tag and filter names, operators, literals,
/// variable paths, and odd text.
fn fragment() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(vec![
        "{{",
        "}}",
        "{%",
        "%}",
        "{{-",
        "-}}",
        "{%-",
        "-%}",
        "|",
        ":",
        ",",
        "'",
        "\"",
        "(",
        ")",
        "..",
        "[",
        "]",
        ".",
        " ",
        "\n",
        "\t",
        "-",
        "=",
        "==",
        "!=",
        "<",
        ">=",
        "contains",
        "and",
        "or",
        "not",
        "if",
        "elsif",
        "else",
        "endif",
        "unless",
        "endunless",
        "assign",
        "capture",
        "endcapture",
        "raw",
        "endraw",
        "comment",
        "endcomment",
        "liquid",
        "echo",
        "cycle",
        "increment",
        "decrement",
        "block",
        "endblock",
        "break",
        "continue",
        "#",
        "for",
        "case",
        "when",
        "true",
        "false",
        "nil",
        "empty",
        "blank",
        "0",
        "1",
        "-1",
        "2.5",
        "1e21",
        "999999999",
        "(1..3)",
        "(1..100000000)",
        "x",
        "y",
        "event",
        "properties.tags",
        "properties.tags[-1]",
        "a.b.c",
        "size",
        "first",
        "last",
        "upcase",
        "append",
        "split",
        "join",
        "date",
        "truncate",
        "slice",
        "where",
        "default",
        "json",
        "url_decode",
        "base64_decode",
        "replace",
        "round",
        "plus",
        "times",
        "modulo",
        "strip_html",
        "slugify",
        "sort",
        "map",
        "%Y-%m-%d",
        "%999999999Y",
        "%N",
        "\\u",
        "\\ud83c",
        "🎉",
        "é",
        "ß",
        "日本",
        "\u{2028}",
        "\u{feff}",
    ])
    .prop_map(str::to_string);
    prop_oneof![8 => fixed, 1 => any::<String>(), 1 => "[a-z {}%|:'\"-]{0,8}"]
}

fn template() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..40).prop_map(|parts| parts.concat())
}

fn event() -> Value {
    json!({
        "event": "Order Completed 🎉", "userId": "u_1", "n": 3, "big": 1e21,
        "properties": {"tags": ["red", "green"], "price": 19.99, "nested": {"a": {"b": [1, {"c": null}]}},
                       "date": "2024-03-05T14:07:09.123Z", "empty": "", "nil": null},
        "x": {"y": [[1, 2], [3]]}
    })
}

fn render(source: &str, data: &Value) -> Duration {
    let start = Instant::now();
    if let Ok(template) = Template::parse(source) {
        let _ = template.render(data, 0.0);
    }
    start.elapsed()
}

proptest! {
    // 512 cases by default; PROPTEST_CASES asks for more.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn any_template_parses_and_renders_without_panic(source in template()) {
        let took = render(&source, &event());
        prop_assert!(took < TIME_BOUND, "{source:?} took {took:?}");
    }

    #[test]
    fn any_text_is_a_template_or_an_error(source in any::<String>()) {
        prop_assert!(render(&source, &event()) < TIME_BOUND);
    }
}

/// Templates written to use as much time, memory and stack as a 1,000-character template can:
/// each ends in Segment's limits or renders, quickly.
#[test]
fn worst_case_templates_stay_bounded() {
    let doubling = "{% assign a = a | append: a %}";
    let cases = [
        format!(
            "{{% assign a = 'xxxxxxxxxx' %}}{}{{{{ a | size }}}}",
            doubling.repeat(30)
        ),
        "{{ (1..99999999) | join }}".to_string(),
        "{{ (-9007199254740992..9007199254740993) | size }}".to_string(),
        "{{ 'now' | date: '%999999999Y' }}".to_string(),
        "{{ 'x' | truncate: 99999999999, '' }}".to_string(),
        format!("{{{{ {}x{} }}}}", "[".repeat(490), "]".repeat(490)),
        format!("{}x{}", "{%if 1%}".repeat(55), "{%endif%}".repeat(55)),
        format!(
            "{{{{ x{} }}}}",
            " | append: 'xxxxxxxx' | split: '' | join: 'yyyyyy'".repeat(18)
        ),
        format!("{{{{ event{} }}}}", " | url_encode | url_encode".repeat(30)),
    ];
    for source in &cases {
        assert!(source.encode_utf16().count() <= PARSE_LIMIT, "{source}");
        let took = render(source, &event());
        assert!(took < TIME_BOUND, "{source} took {took:?}");
    }
    let t = Template::parse(&cases[0]).unwrap();
    assert_eq!(
        t.render(&event(), 0.0).unwrap_err().category(),
        Category::Limit
    );
}

/// Deep nesting within the 1,000-character limit must not exhaust the stack of a thread the
/// size of wasm32's (1 MB).
#[test]
fn deep_nesting_fits_a_small_stack() {
    let brackets = format!("{{{{ {}x{} }}}}", "[".repeat(495), "]".repeat(495));
    let ifs = format!("{}{}", "{%if 1%}".repeat(55), "{%endif%}".repeat(55));
    let child = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(move || {
            for source in [brackets, ifs] {
                let template = Template::parse(&source).expect("parses");
                template.render(&event(), 0.0).expect("renders");
            }
        })
        .expect("thread starts");
    child.join().expect("no stack overflow");
}
