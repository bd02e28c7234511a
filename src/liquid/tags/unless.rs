//! `{% unless %}…{% elsif %}…{% else %}…{% endunless %}`: the first branch runs when its
//! condition is false, `elsif` branches when theirs are true. As in liquidjs, an `elsif`
//! after `else` and anything after a second `else` are dropped.

use super::Result;
use crate::liquid::ast::{FilteredValue, Node};
use crate::liquid::parser::{Event, Flow, Parser};
use crate::liquid::render::Context;
use crate::liquid::tokenizer::TagToken;

pub(crate) struct Unless {
    /// Condition, whether a true condition (rather than a false one) selects the branch, body.
    branches: Vec<(FilteredValue, bool, Vec<Node>)>,
    otherwise: Vec<Node>,
}

/// Where the body's nodes go.
enum Into {
    Branch,
    Else,
    Nowhere,
}

pub(super) fn parse(p: &mut Parser, t: &TagToken) -> Result<Unless> {
    let input = p.input;
    let condition = t.args(input).read_filtered_value()?;
    let mut tag = Unless {
        branches: vec![(condition, false, Vec::new())],
        otherwise: Vec::new(),
    };
    let mut elses = 0;
    let mut into = Into::Branch;
    p.stream(t, &mut |event| {
        match event {
            Event::Tag(inner) => match inner.name.as_str() {
                "elsif" if elses > 0 => into = Into::Nowhere,
                "elsif" => {
                    let condition = inner.args(input).read_filtered_value()?;
                    tag.branches.push((condition, true, Vec::new()));
                    into = Into::Branch;
                }
                "else" => {
                    elses += 1;
                    into = Into::Else;
                }
                "endunless" => return Ok(Flow::Stop),
                _ => return Ok(Flow::NotMine),
            },
            Event::Node(node) => match into {
                Into::Branch => {
                    if let Some((_, _, nodes)) = tag.branches.last_mut() {
                        nodes.push(node);
                    }
                }
                Into::Else if elses == 1 => tag.otherwise.push(node),
                _ => {}
            },
        }
        Ok(Flow::Next)
    })?;
    Ok(tag)
}

impl Unless {
    pub(super) fn render(&self, cx: &mut Context<'_, '_>, out: &mut Vec<u16>) -> Result<()> {
        for (condition, when_true, body) in &self.branches {
            if cx.eval_filtered(condition)?.is_truthy() == *when_true {
                return cx.render(body, out);
            }
        }
        cx.render(&self.otherwise, out)
    }
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn branches() {
        check(&[
            (
                "{% unless tags contains 'red' %}a{% else %}b{% endunless %}",
                "b",
            ),
            ("{% unless false %}a{% endunless %}", "a"),
            (
                "{% unless true %}a{% elsif n == 3 %}b{% else %}c{% endunless %}",
                "b",
            ),
            (
                "{% unless true %}a{% else %}b{% else %}c{% endunless %}",
                "b",
            ),
            (
                "{% unless true %}a{% else %}b{% elsif true %}c{% endunless %}",
                "b",
            ),
            (
                "{% unless n %}",
                "error: tag {% unless n %} not closed, line:1, col:1",
            ),
        ]);
    }
}
