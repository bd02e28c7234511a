//! `{% capture name %}…{% endcapture %}`: renders the body into a variable.

use super::Result;
use crate::liquid::ast::Node;
use crate::liquid::error::Code;
use crate::liquid::parser::Parser;
use crate::liquid::render::Context;
use crate::liquid::tokenizer::TagToken;
use crate::liquid::value::Value;

pub(crate) struct Capture {
    name: Vec<u16>,
    body: Vec<Node>,
}

pub(super) fn parse(p: &mut Parser, t: &TagToken) -> Result<Capture> {
    let mut lx = t.args(p.input);
    let id = lx.read_identifier();
    let name = if id.1 > id.0 {
        lx.slice(id).to_vec()
    } else if let Some(quoted) = lx.read_quoted()? {
        quoted.to_vec()
    } else {
        return Err(lx.error(Code::InvalidCaptureName));
    };
    Ok(Capture {
        name,
        body: p.body_until(t, "endcapture")?,
    })
}

impl Capture {
    pub(super) fn render(&self, cx: &mut Context<'_, '_>) -> Result<()> {
        let mut captured = Vec::new();
        cx.render(&self.body, &mut captured)?;
        cx.set_local(self.name.clone(), Value::units(captured));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn captures_the_rendered_body() {
        check(&[
            (
                "{% capture c %}  {{ price }}  {% endcapture %}{{ c | size }}",
                "9",
            ),
            ("{% capture 'q' %}x{% endcapture %}{{ q }}", "x"),
            (
                "{% capture e %}{% endcapture %}{{ e | default: 'blank' }}",
                "blank",
            ),
            (
                "{% capture %}x{% endcapture %}",
                "error: invalid capture name, line:1, col:11",
            ),
            (
                "{% capture c %}{{ n }}",
                "error: tag {% capture c %} not closed, line:1, col:1",
            ),
        ]);
    }
}
