//! Values, expressions and filters inside a tag or an output, read into the AST as
//! liquidjs's `Tokenizer` reads them (`readValue`, `readExpression`, `readFilteredValue`),
//! leniencies included: text after a complete expression is ignored, `{{ a b }}` is `a`.

use super::ast::{ExprToken, Filter, FilterArg, FilteredValue, Literal, Operand, Operator};
use super::error::{Code, Error};
use super::filters;
use super::text::{self, JsStr};
use super::tokenizer::{is_word, Tokenizer, NUMBER, SIGN};

type Result<T> = std::result::Result<T, Error>;

const OPERATORS: [(&str, Operator); 10] = [
    ("==", Operator::Eq),
    ("!=", Operator::Ne),
    (">=", Operator::Ge),
    ("<=", Operator::Le),
    (">", Operator::Gt),
    ("<", Operator::Lt),
    ("contains", Operator::Contains),
    ("not", Operator::Not),
    ("and", Operator::And),
    ("or", Operator::Or),
];

const LITERALS: [(&str, Literal); 6] = [
    ("true", Literal::True),
    ("false", Literal::False),
    ("nil", Literal::Nil),
    ("null", Literal::Nil),
    ("empty", Literal::Empty),
    ("blank", Literal::Blank),
];

impl Tokenizer<'_> {
    /// liquidjs's `readValue`: a literal, quoted string, number or range, or a property path,
    /// or `None` when nothing here is a value.
    pub(crate) fn read_value(&mut self) -> Result<Option<Operand>> {
        self.skip_blank();
        let mut base = match self.read_literal() {
            Some(l) => Some(Operand::Literal(l)),
            None => self.read_quoted()?.map(Operand::Quoted),
        };
        if base.is_none() {
            base = self.read_number().map(Operand::Number);
        }
        if base.is_none() && self.peek_is(b'(') {
            base = Some(self.read_range()?);
        }
        let props = self.read_properties(base.is_none())?;
        Ok(if props.is_empty() {
            base
        } else {
            Some(Operand::Access {
                base: base.map(Box::new),
                props,
            })
        })
    }

    fn read_value_or_throw(&mut self) -> Result<Operand> {
        match self.read_value()? {
            Some(v) => Ok(v),
            None => Err(self.error(Code::ValueExpected(self.snapshot(self.p)))),
        }
    }

    /// A property path with no base (`where`'s property argument).
    pub(crate) fn read_scope_value(&mut self) -> Result<Option<Operand>> {
        self.skip_blank();
        let props = self.read_properties(true)?;
        Ok((!props.is_empty()).then_some(Operand::Access { base: None, props }))
    }

    fn read_properties(&mut self, is_begin: bool) -> Result<Vec<Operand>> {
        let mut props = Vec::new();
        loop {
            if self.peek_is(b'[') {
                self.p += 1;
                let prop = self
                    .read_value()?
                    .unwrap_or_else(|| Operand::Word(JsStr::from([])));
                if self.read_to("]").is_none() {
                    return Err(self.error(Code::BracketNotClosed));
                }
                props.push(prop);
                continue;
            }
            if is_begin && props.is_empty() {
                if let Some(word) = self.read_non_empty_identifier() {
                    props.push(Operand::Word(word));
                    continue;
                }
            }
            if self.peek_is(b'.') && self.peek_at(1) != Some(u16::from(b'.')) {
                self.p += 1;
                match self.read_non_empty_identifier() {
                    Some(word) => {
                        props.push(Operand::Word(word));
                        continue;
                    }
                    None => break,
                }
            }
            break;
        }
        Ok(props)
    }

    fn read_number(&mut self) -> Option<f64> {
        self.skip_blank();
        let mut n = 0;
        let (mut decimal, mut digit) = (false, false);
        if self.peek_class(0) & SIGN != 0 {
            n += 1;
        }
        while self.p + n <= self.n {
            if self.peek_class(n) & NUMBER != 0 {
                digit = true;
                n += 1;
            } else if self.peek_at(n) == Some(u16::from(b'.'))
                && self.peek_at(n + 1) != Some(u16::from(b'.'))
            {
                if decimal || !digit {
                    return None;
                }
                decimal = true;
                n += 1;
            } else {
                break;
            }
        }
        if digit && !is_word(self.peek_at(n)) {
            let value = text::to_number(&self.input[self.p..self.p + n]);
            self.p += n;
            return Some(value);
        }
        None
    }

    fn read_literal(&mut self) -> Option<Literal> {
        self.skip_blank();
        let (end, literal) = self.match_word(&LITERALS)?;
        self.p = end;
        Some(literal)
    }

    /// `(low..high)`; with liquidjs's default options a parenthesised group that is not a
    /// range is an error.
    fn read_range(&mut self) -> Result<Operand> {
        self.skip_blank();
        self.p += 1;
        let low = self.read_value_or_throw()?;
        self.skip_blank();
        if self.peek_is(b'.') && self.peek_at(1) == Some(u16::from(b'.')) {
            self.p += 2;
            let high = self.read_value_or_throw()?;
            self.skip_blank();
            if self.read() != Some(u16::from(b')')) {
                return Err(self.error(Code::InvalidRange));
            }
            return Ok(Operand::Range(Box::new(low), Box::new(high)));
        }
        Err(self.error(Code::InvalidRange))
    }

    // ---- Expressions and filters ---------------------------------------------------------

    fn read_operator(&mut self) -> Option<Operator> {
        self.skip_blank();
        let (end, op) = self.match_word(&OPERATORS)?;
        self.p = end;
        Some(op)
    }

    /// Operators and operands up to the first thing that is neither, in postfix order
    /// (liquidjs's shunting-yard: a pending operator is emitted only before one of lower
    /// precedence, so `and`/`or` chains group from the right).
    fn read_expression(&mut self) -> Result<Vec<ExprToken>> {
        let mut out = Vec::new();
        let mut ops: Vec<Operator> = Vec::new();
        while self.p < self.n {
            if let Some(op) = self.read_operator() {
                while ops
                    .last()
                    .is_some_and(|top| top.precedence() > op.precedence())
                {
                    out.extend(ops.pop().map(ExprToken::Operator));
                }
                ops.push(op);
                continue;
            }
            match self.read_value()? {
                Some(v) => out.push(ExprToken::Operand(v)),
                None => break,
            }
        }
        out.extend(ops.into_iter().rev().map(ExprToken::Operator));
        Ok(out)
    }

    /// An expression and its filters (`{{ … }}`, `assign`, `if` conditions, `echo`).
    pub(crate) fn read_filtered_value(&mut self) -> Result<FilteredValue> {
        let begin = self.p;
        let expr = self.read_expression()?;
        if expr.is_empty() {
            return Err(self.error(Code::InvalidValueExpression(self.snapshot(self.p))));
        }
        let mut filters = Vec::new();
        while let Some(filter) = self.read_filter()? {
            filters.push(filter);
        }
        Ok(FilteredValue {
            expr,
            filters,
            span: (begin as u32, self.p as u32),
        })
    }

    fn read_filter(&mut self) -> Result<Option<Filter>> {
        self.skip_blank();
        if self.end() || self.peek_is(b')') || self.peek_is(b',') {
            return Ok(None);
        }
        if self.read() != Some(u16::from(b'|')) {
            return Err(self.error(Code::ExpectedPipe));
        }
        let name_span = self.read_identifier();
        if name_span.1 == name_span.0 {
            if !self.end() {
                return Err(self.error(Code::ExpectedFilterName));
            }
            return Ok(None);
        }
        let name = text::rust_string(self.slice(name_span));
        let mut args = Vec::new();
        self.skip_blank();
        if self.peek_is(b':') {
            loop {
                self.p += 1;
                if let Some(arg) = self.read_filter_arg()? {
                    args.push(arg);
                }
                self.skip_blank();
                let ok =
                    self.end() || self.peek_is(b',') || self.peek_is(b'|') || self.peek_is(b')');
                if !ok {
                    return Err(self.error(Code::UnexpectedCharacter(self.snapshot(self.p))));
                }
                if !self.peek_is(b',') {
                    break;
                }
            }
        } else if !(self.end() || self.peek_is(b'|') || self.peek_is(b')') || self.peek_is(b',')) {
            return Err(self.error(Code::ExpectedColon));
        }
        let kind = filters::lookup(&name);
        Ok(Some(Filter { name, kind, args }))
    }

    fn read_filter_arg(&mut self) -> Result<Option<FilterArg>> {
        self.skip_blank();
        let begin = self.p;
        let Some(key) = self.read_value()? else {
            return Ok(None);
        };
        let key_text: JsStr = self.slice((begin, self.p)).into();
        self.skip_blank();
        if !self.peek_is(b':') {
            return Ok(Some(FilterArg::Positional(key)));
        }
        self.p += 1;
        let value = self.read_value()?;
        Ok(Some(FilterArg::Named(key_text, value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_numbers_and_operators() {
        let src = text::utf16("-1.5 a-b? 1abc +2");
        let mut l = Tokenizer::new(&src, 0, src.len());
        assert!(matches!(l.read_value().unwrap(), Some(Operand::Number(n)) if n == -1.5));
        assert!(
            matches!(l.read_value().unwrap(), Some(Operand::Access { base: None, props }) if props.len() == 1)
        );
        assert!(matches!(
            l.read_value().unwrap(),
            Some(Operand::Access { .. })
        ));
        assert!(matches!(l.read_value().unwrap(), Some(Operand::Number(n)) if n == 2.0));
        let src = text::utf16("android and x");
        let mut l = Tokenizer::new(&src, 0, src.len());
        assert_eq!(l.read_operator(), None);
        l.p = 8;
        assert_eq!(l.read_operator(), Some(Operator::And));
    }
}
