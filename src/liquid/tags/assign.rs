//! `{% assign name = value | filters %}`.

use super::Result;
use crate::liquid::ast::FilteredValue;
use crate::liquid::error::Code;
use crate::liquid::parser::Parser;
use crate::liquid::render::Context;
use crate::liquid::tokenizer::TagToken;

pub(crate) struct Assign {
    name: Vec<u16>,
    value: FilteredValue,
}

pub(super) fn parse(p: &mut Parser, t: &TagToken) -> Result<Assign> {
    let mut lx = t.args(p.input);
    let name = lx.read_identifier();
    if name.0 == name.1 {
        return Err(lx.error(Code::ExpectedVariableName));
    }
    lx.skip_blank();
    if lx.peek() != Some(u16::from(b'=')) {
        return Err(lx.error(Code::ExpectedEquals));
    }
    lx.p += 1;
    Ok(Assign {
        name: lx.slice(name).to_vec(),
        value: lx.read_filtered_value()?,
    })
}

impl Assign {
    pub(super) fn render(&self, cx: &mut Context<'_, '_>) -> Result<()> {
        let value = cx.eval_filtered(&self.value)?;
        cx.set_local(self.name.clone(), value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn assigns_with_filters() {
        check(&[
            (
                "{% assign a = 'x' %}{% assign a = a | append: a %}{{ a }}{{ a | size }}",
                "xx2",
            ),
            ("{% assign n = n | plus: 1 %}{{ n }}", "4"),
            (
                "{% assign x = nil %}[{{ x }}]{% if x == nil %}nil{% endif %}",
                "[]nil",
            ),
            ("{% assign x %}", "error: expected \"=\", line:1, col:12"),
            (
                "{% assign = 1 %}",
                "error: expected variable name, line:1, col:11",
            ),
            (
                "{% assign x = %}",
                "error: invalid value expression: \"\", line:1, col:14",
            ),
        ]);
    }
}
