//! `{% increment name %}` and `{% decrement name %}`: counters that liquidjs keeps in the
//! data itself (so `{{ name }}` sees them afterwards), starting from the data's number or 0.

use super::Result;
use crate::liquid::parser::Parser;
use crate::liquid::render::Context;
use crate::liquid::text;
use crate::liquid::tokenizer::TagToken;
use crate::liquid::value::Value;

pub(crate) struct Counter {
    name: Vec<u16>,
    decrement: bool,
}

pub(super) fn parse(p: &mut Parser, t: &TagToken) -> Counter {
    let mut lx = t.args(p.input);
    let id = lx.read_identifier();
    Counter {
        name: lx.slice(id).to_vec(),
        decrement: t.name == "decrement",
    }
}

impl Counter {
    pub(super) fn render(&self, cx: &mut Context<'_, '_>, out: &mut Vec<u16>) -> Result<()> {
        let current = match cx.env_own(&self.name) {
            Some(Value::Number(n)) => n,
            _ => 0.0,
        };
        let (stored, shown) = if self.decrement {
            (current - 1.0, current - 1.0)
        } else {
            (current + 1.0, current)
        };
        cx.set_env(&self.name, Value::Number(stored));
        cx.write(out, &text::number(shown))
    }
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn counters_live_in_the_data() {
        check(&[
            ("{% increment c %}{% increment c %}{{ c }}", "012"),
            ("{% decrement c %}{% decrement c %}", "-1-2"),
            ("{% increment n %}{{ n }}", "34"),
            ("{% assign c = 9 %}{% increment c %}{{ c }}", "09"),
            ("{% increment name %}{{ name }}", "01"),
        ]);
    }
}
