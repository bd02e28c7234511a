//! `{% if %}…{% elsif %}…{% else %}…{% endif %}`.

use super::{assert_no_arguments, Result};
use crate::liquid::ast::{FilteredValue, Node};
use crate::liquid::error::Code;
use crate::liquid::parser::{Event, Flow, Parser};
use crate::liquid::render::Context;
use crate::liquid::tokenizer::TagToken;

pub(crate) struct If {
    branches: Vec<(FilteredValue, Vec<Node>)>,
    otherwise: Option<Vec<Node>>,
}

pub(super) fn parse(p: &mut Parser, t: &TagToken) -> Result<If> {
    let input = p.input;
    let condition = t.args(input).read_filtered_value()?;
    let mut tag = If {
        branches: vec![(condition, Vec::new())],
        otherwise: None,
    };
    p.stream(t, &mut |event| {
        match event {
            Event::Tag(inner) => match inner.name.as_str() {
                "elsif" => {
                    if tag.otherwise.is_some() {
                        return Err(Code::ElsifAfterElse.into());
                    }
                    let condition = inner.args(input).read_filtered_value()?;
                    tag.branches.push((condition, Vec::new()));
                }
                "else" => {
                    assert_no_arguments(input, inner)?;
                    if tag.otherwise.is_some() {
                        return Err(Code::DuplicatedElse.into());
                    }
                    tag.otherwise = Some(Vec::new());
                }
                "endif" => {
                    assert_no_arguments(input, inner)?;
                    return Ok(Flow::Stop);
                }
                _ => return Ok(Flow::NotMine),
            },
            Event::Node(node) => match (&mut tag.otherwise, tag.branches.last_mut()) {
                (Some(nodes), _) | (None, Some((_, nodes))) => nodes.push(node),
                (None, None) => {}
            },
        }
        Ok(Flow::Next)
    })?;
    Ok(tag)
}

impl If {
    pub(super) fn render(&self, cx: &mut Context<'_, '_>, out: &mut Vec<u16>) -> Result<()> {
        for (condition, body) in &self.branches {
            if cx.eval_filtered(condition)?.is_truthy() {
                return cx.render(body, out);
            }
        }
        match &self.otherwise {
            Some(body) => cx.render(body, out),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn branches() {
        check(&[
            ("{% if zero %}0 is truthy{% endif %}", "0 is truthy"),
            ("{% if nil %}a{% elsif n > 2 %}b{% else %}c{% endif %}", "b"),
            (
                "{% if '' %}empty string is truthy{% endif %}",
                "empty string is truthy",
            ),
            ("{% if missing %}a{% else %}b{% endif %}", "b"),
            ("{% if tags contains 'red' and n == 3 %}y{% endif %}", "y"),
            (
                "{% if false and false or true %}y{% else %}n{% endif %}",
                "n",
            ),
            ("{% if not false %}y{% endif %}", "y"),
            ("{% if obj == empty %}e{% else %}ne{% endif %}", "ne"),
            (
                "{% if missing == blank and '  ' == blank and '' == empty %}y{% endif %}",
                "y",
            ),
            ("{% if nil == blank %}y{% else %}n{% endif %}", "n"),
            (
                "{% if 'b' > 'a' and '10' > 9 and nil < 1 %}y{% else %}n{% endif %}",
                "n",
            ),
            ("{% if name contains 'Str' %}y{% endif %}", "y"),
            ("{% if products == products %}same{% endif %}", "same"),
        ]);
    }

    #[test]
    fn malformed() {
        check(&[
            (
                "{% if n %}yes",
                "error: tag {% if n %} not closed, line:1, col:1",
            ),
            (
                "{% if (n) %}x{% endif %}",
                "error: invalid range syntax, line:1, col:9",
            ),
            (
                "{% if n %}{% else %}{% else %}{% endif %}",
                "error: duplicated else, line:1, col:1",
            ),
            (
                "{% if n %}{% else %}{% elsif n %}{% endif %}",
                "error: unexpected elsif after else, line:1, col:1",
            ),
            (
                "{% if n %}{% endif x %}",
                "error: unexpected \"x\", line:1, col:1",
            ),
            (
                "{% if n %}a{% endunless %}",
                "error: tag \"endunless\" not found, line:1, col:12",
            ),
        ]);
    }
}
