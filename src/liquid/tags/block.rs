//! `{% block %}…{% endblock %}`: without layouts (which Segment disables) it renders its body,
//! where `block` is a variable (`{{ block.super }}` is empty).

use super::Result;
use crate::liquid::ast::Node;
use crate::liquid::parser::Parser;
use crate::liquid::render::Context;
use crate::liquid::tokenizer::TagToken;

pub(crate) struct Block {
    body: Vec<Node>,
}

pub(super) fn parse(p: &mut Parser, t: &TagToken) -> Result<Block> {
    Ok(Block {
        body: p.body_until(t, "endblock")?,
    })
}

impl Block {
    pub(super) fn render(&self, cx: &mut Context<'_, '_>, out: &mut Vec<u16>) -> Result<()> {
        cx.blocks += 1;
        let r = cx.render(&self.body, out);
        cx.blocks -= 1;
        r
    }
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn renders_its_body() {
        check(&[
            ("{% block x %}a{{ block.super }}{{ n }}{% endblock %}", "a3"),
            ("{% block %}{{ block }}{% endblock %}", "[object Object]"),
            (
                "{% block %}a",
                "error: tag {% block %} not closed, line:1, col:1",
            ),
        ]);
    }
}
