//! Tags: one file per tag (or pair of tags), each with its parsing and its rendering.
//!
//! Segment's engine has liquidjs's tags except six it disables; those fail when the template
//! is parsed, even where they could never run.

mod assign;
mod block;
mod capture;
mod comment;
mod counter;
mod cycle;
mod echo;
mod if_;
mod liquid;
mod raw;
mod unless;

use super::error::{Code, Error};
use super::parser::Parser;
use super::render::Context;
use super::text;
use super::tokenizer::TagToken;

type Result<T> = std::result::Result<T, Error>;

/// The tags Segment turns off.
pub const DISABLED: [&str; 6] = ["case", "for", "include", "layout", "render", "tablerow"];

/// A parsed tag.
pub(crate) enum Tag {
    Assign(assign::Assign),
    Block(block::Block),
    Capture(capture::Capture),
    Comment,
    Counter(counter::Counter),
    Cycle(cycle::Cycle),
    Echo(echo::Echo),
    If(if_::If),
    /// `{% break %}` and `{% continue %}`: outside a loop (and Segment disables `for`) both
    /// stop the rest of the render.
    Interrupt,
    Liquid(liquid::Liquid),
    Raw(raw::Raw),
    Unless(unless::Unless),
}

/// Parses the tag `t` (and, for block tags, its body from `p`).
pub(crate) fn parse(p: &mut Parser, t: &TagToken) -> Result<Tag> {
    Ok(match t.name.as_str() {
        "assign" => Tag::Assign(assign::parse(p, t)?),
        "block" => Tag::Block(block::parse(p, t)?),
        "capture" => Tag::Capture(capture::parse(p, t)?),
        "comment" => comment::parse(p, t)?,
        "#" => comment::parse_inline(p, t)?,
        "increment" | "decrement" => Tag::Counter(counter::parse(p, t)),
        "cycle" => Tag::Cycle(cycle::parse(p, t)?),
        "echo" => Tag::Echo(echo::parse(p, t)?),
        "if" => Tag::If(if_::parse(p, t)?),
        "break" | "continue" => Tag::Interrupt,
        "liquid" => Tag::Liquid(liquid::parse(p, t)?),
        "raw" => Tag::Raw(raw::parse(p, t)?),
        "unless" => Tag::Unless(unless::parse(p, t)?),
        name if DISABLED.contains(&name) => return Err(Code::TagDisabled(name.into()).into()),
        name => return Err(Code::TagNotFound(name.into()).into()),
    })
}

impl Tag {
    pub(crate) fn render(&self, cx: &mut Context<'_, '_>, out: &mut Vec<u16>) -> Result<()> {
        match self {
            Tag::Assign(t) => t.render(cx),
            Tag::Block(t) => t.render(cx, out),
            Tag::Capture(t) => t.render(cx),
            Tag::Comment => Ok(()),
            Tag::Counter(t) => t.render(cx, out),
            Tag::Cycle(t) => t.render(cx, out),
            Tag::Echo(t) => t.render(cx, out),
            Tag::If(t) => t.render(cx, out),
            Tag::Interrupt => {
                cx.interrupted = true;
                Ok(())
            }
            Tag::Liquid(t) => t.render(cx, out),
            Tag::Raw(t) => t.render(cx, out),
            Tag::Unless(t) => t.render(cx, out),
        }
    }
}

/// liquidjs's `assertEmpty` on a tag's arguments (`{% else %}` and `{% endif %}` take none).
fn assert_no_arguments(p_input: &[u16], t: &TagToken) -> Result<()> {
    let args = t.args_text(p_input);
    if args.is_empty() {
        return Ok(());
    }
    let mut quoted = Vec::new();
    text::json_quote(args, &mut quoted);
    Err(Code::UnexpectedArguments(text::rust_string(&quoted)).into())
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn disabled_and_unknown_tags_fail_when_parsed() {
        check(&[
            (
                "{% for x in tags %}{{ x }}{% endfor %}",
                "error: tag \"for\" is disabled, line:1, col:1",
            ),
            (
                "{% if false %}\n {% case n %}{% endcase %}{% endif %}",
                "error: tag \"case\" is disabled, line:2, col:2",
            ),
            (
                "{% tablerow x in tags %}",
                "error: tag \"tablerow\" is disabled, line:1, col:1",
            ),
            (
                "ab{% section 'x' %}",
                "error: tag \"section\" not found, line:1, col:3",
            ),
            (
                "{% endif %}",
                "error: tag \"endif\" not found, line:1, col:1",
            ),
            (
                "{% %}",
                "error: illegal tag syntax, tag name expected, line:1, col:4",
            ),
        ]);
    }

    #[test]
    fn break_and_continue_stop_the_rest_of_the_template() {
        check(&[
            ("a{% break %}b", "a"),
            ("a{% if true %}b{% continue %}c{% endif %}d", "ab"),
            ("{% capture x %}a{% break %}b{% endcapture %}[{{ x }}]", ""),
        ]);
    }
}
