//! `{% comment %}…{% endcomment %}` (its body is not parsed) and the inline `{% # … %}`.

use super::{Result, Tag};
use crate::liquid::error::Code;
use crate::liquid::parser::Parser;
use crate::liquid::text;
use crate::liquid::tokenizer::TagToken;

pub(super) fn parse(p: &mut Parser, t: &TagToken) -> Result<Tag> {
    p.skip_until(t, "endcomment")?;
    Ok(Tag::Comment)
}

/// `{% # note %}`: every further line of the comment must start with `#` too.
pub(super) fn parse_inline(p: &mut Parser, t: &TagToken) -> Result<Tag> {
    let args = t.args_text(p.input);
    for (i, _) in args.iter().enumerate().filter(|(_, &u)| u == 0x0A) {
        let next = args[i + 1..].iter().find(|&&u| !text::is_space(u));
        if next.is_some_and(|&u| u != u16::from(b'#')) {
            return Err(Code::InlineComment.into());
        }
    }
    Ok(Tag::Comment)
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn comments_render_nothing() {
        check(&[
            ("{% comment %}{% for x in y %}{% oops %}{% endcomment %}ok", "ok"),
            ("{% comment %}{{ oops {% endcomment %}ok", "error: output \"{{ oops {% endcomment %}ok\" not closed, line:1, col:14"),
            ("{%- comment -%} note {%- endcomment -%}  {{ n }}", "3"),
            ("{% # inline %}{{ n }}", "3"),
            ("{% # one\n  # two %}x", "x"),
            ("{% # one\n two %}x", "error: every line of an inline comment must start with a '#' character, line:1, col:1"),
            ("{% comment %}x", "error: tag {% comment %} not closed, line:1, col:1"),
        ]);
    }
}
