//! `{% cycle 'a', 'b' %}` and `{% cycle group: 'a', 'b' %}`: each render of the same cycle
//! (same group and the same candidate texts) gives the next candidate.

use super::Result;
use crate::liquid::ast::{FilteredValue, Operand};
use crate::liquid::error::Code;
use crate::liquid::parser::Parser;
use crate::liquid::render::Context;
use crate::liquid::text;
use crate::liquid::tokenizer::TagToken;
use crate::liquid::value::Value;

pub(crate) struct Cycle {
    group: Option<Operand>,
    candidates: Vec<FilteredValue>,
}

pub(super) fn parse(p: &mut Parser, t: &TagToken) -> Result<Cycle> {
    let mut lx = t.args(p.input);
    let begin = lx.p;
    let mut group = lx.read_value()?;
    lx.skip_blank();
    if group.is_some() {
        if lx.peek() == Some(u16::from(b':')) {
            lx.p += 1;
        } else {
            group = None;
            lx.p = begin;
        }
    }
    let mut candidates = Vec::new();
    while !lx.end() {
        candidates.push(lx.read_filtered_value()?);
        lx.read_to(",");
    }
    if candidates.is_empty() {
        return Err(lx.error(Code::EmptyCycle(text::rust_string(t.text(p.input)))));
    }
    Ok(Cycle { group, candidates })
}

impl Cycle {
    pub(super) fn render(&self, cx: &mut Context<'_, '_>, out: &mut Vec<u16>) -> Result<()> {
        let group = match &self.group {
            Some(g) => cx.eval(g)?,
            None => Value::Undefined,
        };
        let mut key = text::utf16("cycle:");
        key.extend(group.js_string()?);
        key.push(u16::from(b':'));
        for (i, c) in self.candidates.iter().enumerate() {
            if i > 0 {
                key.push(u16::from(b','));
            }
            key.extend_from_slice(cx.source_text(c.span));
        }
        let index = match cx.cycles.iter_mut().find(|(k, _)| *k == key) {
            Some((_, i)) => {
                let current = *i;
                *i = (current + 1) % self.candidates.len();
                current
            }
            None => {
                cx.cycles.push((key, 1 % self.candidates.len()));
                0
            }
        };
        let value = cx.eval_filtered(&self.candidates[index])?.to_value();
        // liquidjs writes a tag's result only when it is truthy: a cycle to 0 prints nothing.
        if value.js_truthy() {
            cx.write(out, &value.stringify()?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn cycles_through_candidates() {
        check(&[
            (
                "{% cycle 'a', 'b' %}{% cycle 'a', 'b' %}{% cycle 'a', 'b' %}",
                "aba",
            ),
            ("{% cycle 'a', 'b' %}{% cycle 'a','b' %}", "aa"),
            ("{% cycle g: 'a', 'b' %}{% cycle g: 'a', 'b' %}", "ab"),
            ("{% cycle 0, 1 %}{% cycle 0, 1 %}", "1"),
            ("{% cycle name | upcase, 'x' %}", "ÜNÏCÖDÉ STRASSE"),
            (
                "{% cycle %}",
                "error: empty candidates: \"{% cycle %}\", line:1, col:9",
            ),
        ]);
    }
}
