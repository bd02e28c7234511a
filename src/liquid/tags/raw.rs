//! `{% raw %}…{% endraw %}`: the body as written.

use super::Result;
use crate::liquid::parser::Parser;
use crate::liquid::render::Context;
use crate::liquid::tokenizer::TagToken;

pub(crate) struct Raw {
    text: Box<[u16]>,
}

pub(super) fn parse(p: &mut Parser, t: &TagToken) -> Result<Raw> {
    let tokens = p.skip_until(t, "endraw")?;
    let text: Vec<u16> = tokens
        .iter()
        .flat_map(|token| token.text(p.input).iter().copied())
        .collect();
    Ok(Raw { text: text.into() })
}

impl Raw {
    pub(super) fn render(&self, cx: &mut Context<'_, '_>, out: &mut Vec<u16>) -> Result<()> {
        cx.write(out, &self.text)
    }
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn keeps_liquid_as_text() {
        check(&[
            (
                "{% raw %}{{ n }} {% if %}{% endraw %}!",
                "{{ n }} {% if %}!",
            ),
            ("a {%- raw -%} b {% endraw -%} c", "a b c"),
            (
                "{% raw %}x{%- endraw %}",
                "error: raw \"{% raw %}x{%- endraw %}\" not closed, line:1, col:10",
            ),
        ]);
    }
}
