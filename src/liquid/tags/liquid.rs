//! `{% liquid … %}`: one tag per line, without delimiters.

use super::Result;
use crate::liquid::ast::Node;
use crate::liquid::parser::Parser;
use crate::liquid::render::Context;
use crate::liquid::tokenizer::TagToken;

pub(crate) struct Liquid {
    body: Vec<Node>,
}

pub(super) fn parse(p: &mut Parser, t: &TagToken) -> Result<Liquid> {
    let tokens = t.args(p.input).read_liquid_tag_tokens()?;
    Ok(Liquid {
        body: Parser::new(p.input, tokens).parse_all()?,
    })
}

impl Liquid {
    pub(super) fn render(&self, cx: &mut Context<'_, '_>, out: &mut Vec<u16>) -> Result<()> {
        cx.render(&self.body, out)
    }
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn lines_are_tags() {
        check(&[
            (
                "{% liquid\nassign x = name | downcase\necho x\n%}",
                "ünïcödé straße",
            ),
            (
                "{% liquid\nif n > 2\necho 'big'\nelse\necho 'small'\nendif\n%}",
                "big",
            ),
            ("{% liquid\n# note\necho n %}", "3"),
            (
                "{% liquid\nif n\necho 1 %}",
                "error: tag if n\n not closed, line:2, col:1",
            ),
            (
                "{% liquid\n{{ n }} %}",
                "error: illegal liquid tag syntax, line:2, col:1",
            ),
        ]);
    }
}
