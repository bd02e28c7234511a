//! `{% echo value | filters %}`: `{{ }}` as a tag (for `{% liquid %}`).

use super::Result;
use crate::liquid::ast::FilteredValue;
use crate::liquid::parser::Parser;
use crate::liquid::render::Context;
use crate::liquid::tokenizer::TagToken;

pub(crate) struct Echo {
    value: Option<FilteredValue>,
}

pub(super) fn parse(p: &mut Parser, t: &TagToken) -> Result<Echo> {
    let mut lx = t.args(p.input);
    lx.skip_blank();
    let value = if lx.end() {
        None
    } else {
        Some(lx.read_filtered_value()?)
    };
    Ok(Echo { value })
}

impl Echo {
    pub(super) fn render(&self, cx: &mut Context<'_, '_>, out: &mut Vec<u16>) -> Result<()> {
        if let Some(value) = &self.value {
            let printed = cx.eval_filtered(value)?.stringify()?;
            cx.write(out, &printed)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn echoes() {
        check(&[
            ("{% echo name | upcase %}", "ÜNÏCÖDÉ STRASSE"),
            ("[{% echo %}]", "[]"),
            ("{% echo false %}", "false"),
        ]);
    }
}
