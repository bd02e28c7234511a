//! Liquid templates exactly as Segment renders them: a small interpreter for the subset of
//! liquidjs (10.30.1) that Segment's `@liquid` directive allows.
//!
//! Segment's engine is liquidjs with limits (templates of at most 1,000 characters, a 500 ms
//! render limit, a memory limit of 10⁸) and with six tags and twenty filters disabled. This
//! module follows liquidjs's algorithms closely, because Segment's users write templates
//! against its behaviour: missing variables print nothing, unknown filters pass the value
//! through, only `false` and `nil` are falsy, numbers print as JavaScript prints them, strings
//! are measured in UTF-16 code units, dates are shown in UTC.
//!
//! Where liquidjs depends on the machine, the engine is deterministic instead: the render
//! limit is a budget of work ([`render::WORK_LIMIT`]) rather than a clock, `sample` picks
//! the first items rather than random ones, and `"now"` is the time the caller gives.
//!
//! ```
//! use nudge_edge::liquid::Template;
//! let template = Template::parse("{{ name | upcase }} x{{ qty | times: 2 }}").unwrap();
//! let event = serde_json::json!({"name": "hat", "qty": 1.5});
//! assert_eq!(template.render(&event, 0.0).unwrap(), "HAT x3");
//! ```

mod ast;
mod data;
mod error;
mod expression;
mod filters;
mod parser;
mod render;
mod tags;
mod text;
mod tokenizer;
mod value;

pub use data::{Data, DataKind};
pub use error::{Category, LiquidError};
pub use filters::DISABLED as DISABLED_FILTERS;
pub use tags::DISABLED as DISABLED_TAGS;

use ast::Node;
use error::{Code, Error};
use render::Context;
use value::Value;

/// Longest template Segment accepts, in UTF-16 code units: its engine's `parseLimit`, and the
/// limit its mapping validation checks first (the `@liquid` directive does the same).
pub const PARSE_LIMIT: usize = 1000;

/// A parsed template, ready to render any number of times.
pub struct Template {
    source: Box<[u16]>,
    nodes: Vec<Node>,
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template")
            .field("source", &text::rust_string(&self.source))
            .finish_non_exhaustive()
    }
}

impl Template {
    /// The template's text.
    pub fn source(&self) -> String {
        text::rust_string(&self.source)
    }

    /// Parses `source`. Disabled tags are errors here, wherever they are in the template.
    pub fn parse(source: &str) -> Result<Template, LiquidError> {
        let units: Box<[u16]> = text::utf16(source).into();
        if units.len() > PARSE_LIMIT {
            return Err(Error::at(Code::ParseLimit, 0).locate(&units));
        }
        let nodes = parser::parse(&units).map_err(|e| e.locate(&units))?;
        Ok(Template {
            source: units,
            nodes,
        })
    }

    /// Renders the template with `data` as its variables (`{{ a.b }}` reads member `b` of
    /// member `a`), at `now_ms` (what `"now" | date` shows; milliseconds since the epoch).
    /// Disabled filters are errors when they run.
    pub fn render(&self, data: &dyn Data, now_ms: f64) -> Result<String, LiquidError> {
        let mut cx = Context::new(&self.source, Value::from_data(data), now_ms);
        let mut out = Vec::new();
        cx.render(&self.nodes, &mut out)
            .map_err(|e| e.locate(&self.source))?;
        Ok(text::rust_string(&out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_against_json() {
        let t = Template::parse("Hi {{ user.name | default: 'there' }}!").unwrap();
        assert_eq!(
            t.render(&json!({"user": {"name": "Ann"}}), 0.0).unwrap(),
            "Hi Ann!"
        );
        assert_eq!(t.render(&json!({}), 0.0).unwrap(), "Hi there!");
    }

    #[test]
    fn an_object_with_its_own_to_string_has_no_text() {
        // JavaScript finds no primitive value for it: liquidjs fails where it prints it.
        let data = json!({"o": {"toString": 1}, "p": {"valueOf": 1}});
        let render = |s: &str| Template::parse(s).unwrap().render(&data, 0.0);
        assert_eq!(
            render("{{ o }}").unwrap_err().message(),
            "Cannot convert object to primitive value"
        );
        assert!(render("{{ o | plus: 1 }}").is_err());
        assert_eq!(
            render("{{ p }}|{{ o.toString }}|{{ o | json }}").unwrap(),
            "[object Object]|1|{\"toString\":1}"
        );
    }

    #[test]
    fn limits() {
        let long = "x".repeat(PARSE_LIMIT + 1);
        let e = Template::parse(&long).unwrap_err();
        assert_eq!(e.category(), Category::Limit);
        assert_eq!(e.message(), "parse length limit exceeded");
        let t =
            Template::parse(&"{% assign a = a | append: 'xxxxxxxxxx' | append: a %}".repeat(18))
                .unwrap();
        let e = t.render(&json!({}), 0.0).unwrap_err();
        assert_eq!(e.category(), Category::Limit);
        let t = Template::parse("{{ (1..100000000) | size }}").unwrap();
        assert_eq!(
            t.render(&json!({}), 0.0).unwrap_err().category(),
            Category::Limit
        );
    }

    #[test]
    fn templates_are_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Template>();
    }
}
