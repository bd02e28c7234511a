//! FQL parser: tokens to [`Condition`].
//!
//! Segment's reading of a subscription is kept exactly, because that is what decides which
//! events a mapping receives in Segment:
//! - all the conditions at one level form one group, joined by the *last* `and`/`or` written
//!   at that level (`a and b or c` is `or(a, b, c)`);
//! - a parenthesised group ends at the first `)`, even one that closes `contains(` or
//!   `match(`, and a stray `)` after it is ignored;
//! - a group whose only conditions are `contains()`/`match()` on `type` (which add none) stays
//!   in its parent as [`Condition::EmptyGroup`], Segment's `undefined`; alone, it is an error;
//! - a path segment that starts with a digit or a sign (`properties.0 = "a"`) is read as
//!   Segment's lexer and parser read it: the path ends at the `.`, which becomes the operator,
//!   and the number after it the value; the operator and value written are passed over.
//!
//! Segment's parser gives up on a group inside a group. There nudge-edge goes on: the whole
//! subscription is read as nested expressions, `and` binding tighter than `or`, up to
//! [`MAX_DEPTH`] parentheses deep. Malformed text (a missing value, an unknown field, an
//! unclosed string or parenthesis, parentheses nested too deep) is an error naming its column.

use super::ast::{Condition, GroupOperator, Literal, Operator, Target};
use super::error::{Sought, SubscriptionError, SubscriptionReason as Reason};
use super::lexer::tokenize;
use super::token::{Spanned, Token};

/// Deepest nesting of parentheses read. The parser, the evaluator and the AST's printing recurse
/// once per level, so the bound keeps them within the smallest stack any target has (wasm32's
/// 1 MiB); Segment itself reads no group inside a group, so no subscription written for it
/// comes near.
pub const MAX_DEPTH: usize = 64;

/// The functions FQL knows: `contains(field, "text")` and `match(field, "pattern")`.
const FUNCTIONS: [&str; 2] = ["contains", "match"];

/// The first segments of the fields FQL knows (`properties` of `properties.total`).
const FIELDS: [&str; 7] = [
    "type",
    "event",
    "name",
    "userId",
    "properties",
    "traits",
    "context",
];

/// Whether Segment's parser starts a condition at this word: a function's name, or a field.
fn starts_condition(word: &str) -> bool {
    FUNCTIONS.contains(&word) || FIELDS.contains(&word.split('.').next().unwrap_or_default())
}

/// Parses a subscription; the result is always a group, as in Segment.
pub fn parse(source: &str) -> Result<Condition, SubscriptionError> {
    let tokens = tokenize(source)?;
    let end_column = source.chars().count() + 1;
    if tokens.is_empty() {
        return Err(SubscriptionError::new(1, Reason::Empty));
    }
    let ast = match Parser::new(tokens.clone(), end_column).segment_level()? {
        Level::Parsed(ast) => ast,
        Level::Empty { column } => {
            return Err(SubscriptionError::new(column, Reason::NoConditionLeft))
        }
        Level::NestedGroups => {
            let mut parser = Parser::new(tokens, end_column);
            let ast = parser.or_expr()?;
            if let Some(extra) = parser.peek() {
                return Err(parser.error_at(extra, Reason::AfterComplete(extra.token.clone())));
            }
            ast
        }
    };
    Ok(match ast {
        group @ Condition::Group { .. } => group,
        single => Condition::Group {
            operator: GroupOperator::And,
            children: vec![single],
        },
    })
}

/// The outcome of reading one level the way Segment does.
enum Level {
    Parsed(Condition),
    /// No condition: all were functions on `type`, or the only one was such a group. `column`
    /// is where the level (or that group) ends.
    Empty {
        column: usize,
    },
    /// A group inside a group: beyond Segment's parser, read as nested expressions instead.
    NestedGroups,
}

struct Parser {
    tokens: Vec<Spanned>,
    pos: usize,
    end_column: usize,
    /// Parentheses open around the current position (nested expressions only).
    depth: usize,
}

impl Parser {
    fn new(tokens: Vec<Spanned>, end_column: usize) -> Parser {
        Parser {
            tokens,
            pos: 0,
            end_column,
            depth: 0,
        }
    }

    /// The function's name if `t`, the token just taken, starts a `contains(…)` or `match(…)`
    /// call.
    fn call_at(&self, t: &Spanned) -> Option<&'static str> {
        let Token::Ident(word) = &t.token else {
            return None;
        };
        let name = FUNCTIONS.into_iter().find(|f| f == word)?;
        self.peek()
            .is_some_and(|n| n.token == Token::ParenLeft)
            .then_some(name)
    }

    /// One level read as Segment reads it (see the module documentation).
    fn segment_level(&mut self) -> Result<Level, SubscriptionError> {
        let mut nodes = Vec::new();
        let mut operator = GroupOperator::And;
        let mut last_joiner: Option<Spanned> = None;
        // Whether a condition was written at this level (a dropped one counts).
        let mut seen = false;
        // Where the first empty group in `nodes` ends.
        let mut empty_at = None;
        while let Some(t) = self.peek().cloned() {
            self.pos += 1;
            match &t.token {
                Token::And | Token::Or => {
                    if !seen || last_joiner.is_some() {
                        return Err(self.error_at(&t, Reason::ConditionBefore(t.token.clone())));
                    }
                    operator = if t.token == Token::And {
                        GroupOperator::And
                    } else {
                        GroupOperator::Or
                    };
                    last_joiner = Some(t);
                    continue;
                }
                Token::ParenRight => continue,
                _ if seen && last_joiner.is_none() => {
                    return Err(self.error_at(&t, Reason::JoinerBefore(t.token.clone())));
                }
                Token::ParenLeft => {
                    let Some(close) = self.tokens[self.pos..]
                        .iter()
                        .position(|x| x.token == Token::ParenRight)
                    else {
                        return Ok(Level::NestedGroups);
                    };
                    let inner: Vec<Spanned> = self.tokens[self.pos..self.pos + close].to_vec();
                    let close_column = self.tokens[self.pos + close].column;
                    self.pos += close + 1;
                    if inner.is_empty() {
                        return Err(self.error_at(&t, Reason::EmptyParentheses));
                    }
                    match Parser::new(inner, close_column).segment_level()? {
                        Level::Parsed(c) => nodes.push(c),
                        Level::Empty { column } => {
                            empty_at.get_or_insert(column);
                            nodes.push(Condition::EmptyGroup);
                        }
                        Level::NestedGroups => return Ok(Level::NestedGroups),
                    }
                }
                Token::Bang => nodes.extend(self.negated()?.1),
                Token::Ident(_) => match self.call_at(&t) {
                    Some(name) => nodes.extend(self.function(name, false)?),
                    None => nodes.push(self.comparison(&t)?),
                },
                other => {
                    return Err(self.error_at(
                        &t,
                        Reason::Expected {
                            sought: Sought::Condition,
                            found: Some(other.clone()),
                        },
                    ))
                }
            }
            last_joiner = None;
            seen = true;
        }
        if let Some(j) = last_joiner {
            return Err(SubscriptionError::new(
                self.end_column,
                Reason::ConditionAfter(j.token),
            ));
        }
        Ok(match nodes.len() {
            0 if seen => Level::Empty {
                column: self.end_column,
            },
            0 => {
                return Err(SubscriptionError::new(
                    self.end_column,
                    Reason::Expected {
                        sought: Sought::Condition,
                        found: None,
                    },
                ))
            }
            // Segment's level gives its only node as it is, `undefined` included.
            1 if matches!(nodes[0], Condition::EmptyGroup) => Level::Empty {
                column: empty_at.unwrap_or(self.end_column),
            },
            1 => Level::Parsed(nodes.remove(0)),
            _ => Level::Parsed(Condition::Group {
                operator,
                children: nodes,
            }),
        })
    }

    /// After a field, the rest of its path when a segment starts with a digit or a sign
    /// (`properties.0`, `properties.1a`): the number there (and its token), which Segment reads
    /// as the condition's value, its `.` as the operator. The rest of the segment, which
    /// Segment's lexer splits into pieces glued to the number, is passed over, as Segment's
    /// parser passes over it; a piece that would start a condition there (`type` of `0type`)
    /// is left, an error, but in a call (`in_call`), whose first piece Segment takes for the
    /// `)`.
    fn misread_segment(
        &mut self,
        in_call: bool,
    ) -> Result<Option<(Spanned, Literal)>, SubscriptionError> {
        if self.peek().is_none_or(|t| t.token != Token::Dot) {
            return Ok(None);
        }
        self.pos += 1;
        // A number: the lexer writes `.` only before one.
        let (number_token, number) = self.literal()?;
        let mut end = number_token.end;
        let mut first = true;
        while let Some(t) = self.peek().filter(|t| t.column == end) {
            let passed = match &t.token {
                Token::Number(_) | Token::Dot => true,
                Token::Ident(word) => in_call && first || !starts_condition(word),
                _ => false,
            };
            if !passed {
                break;
            }
            first = false;
            end = t.end;
            self.pos += 1;
        }
        Ok(Some((number_token, number)))
    }

    fn peek(&self) -> Option<&Spanned> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self, sought: Sought) -> Result<Spanned, SubscriptionError> {
        match self.tokens.get(self.pos) {
            Some(t) => {
                self.pos += 1;
                Ok(t.clone())
            }
            None => Err(SubscriptionError::new(
                self.end_column,
                Reason::Expected {
                    sought,
                    found: None,
                },
            )),
        }
    }

    fn error_at(&self, at: &Spanned, reason: Reason) -> SubscriptionError {
        SubscriptionError::new(at.column, reason)
    }

    /// `sought` found at `at` was something else.
    fn unexpected(&self, at: &Spanned, sought: Sought) -> SubscriptionError {
        self.error_at(
            at,
            Reason::Expected {
                sought,
                found: Some(at.token.clone()),
            },
        )
    }

    fn expect(&mut self, token: Token, sought: Sought) -> Result<(), SubscriptionError> {
        let t = self.next(sought)?;
        if t.token == token {
            Ok(())
        } else {
            Err(self.unexpected(&t, sought))
        }
    }

    fn or_expr(&mut self) -> Result<Condition, SubscriptionError> {
        self.joined(Token::Or, GroupOperator::Or, Self::and_expr)
    }

    fn and_expr(&mut self) -> Result<Condition, SubscriptionError> {
        self.joined(Token::And, GroupOperator::And, Self::unary)
    }

    fn joined(
        &mut self,
        joiner: Token,
        operator: GroupOperator,
        operand: fn(&mut Self) -> Result<Condition, SubscriptionError>,
    ) -> Result<Condition, SubscriptionError> {
        let mut children = vec![operand(self)?];
        while self.peek().is_some_and(|t| t.token == joiner) {
            self.pos += 1;
            children.push(operand(self)?);
        }
        Ok(if children.len() == 1 {
            children.remove(0)
        } else {
            Condition::Group { operator, children }
        })
    }

    fn unary(&mut self) -> Result<Condition, SubscriptionError> {
        let t = self.next(Sought::Condition)?;
        match &t.token {
            Token::ParenLeft => {
                if self.depth == MAX_DEPTH {
                    return Err(self.error_at(&t, Reason::TooDeep(MAX_DEPTH)));
                }
                self.depth += 1;
                let inner = self.or_expr()?;
                self.depth -= 1;
                self.expect(Token::ParenRight, Sought::GroupClose)?;
                Ok(inner)
            }
            Token::Bang => {
                let (f, condition) = self.negated()?;
                condition.ok_or_else(|| self.untestable_type(&f))
            }
            Token::Ident(_) => match self.call_at(&t) {
                Some(name) => self
                    .function(name, false)?
                    .ok_or_else(|| self.untestable_type(&t)),
                None => self.comparison(&t),
            },
            _ => Err(self.unexpected(&t, Sought::Condition)),
        }
    }

    /// `!contains(…)` / `!match(…)`, after the `!`; the function's token comes back for errors.
    fn negated(&mut self) -> Result<(Spanned, Option<Condition>), SubscriptionError> {
        let f = self.next(Sought::NegatedFunction)?;
        match self.call_at(&f) {
            Some(name) => {
                let condition = self.function(name, true)?;
                Ok((f, condition))
            }
            None => Err(self.unexpected(&f, Sought::NegatedFunction)),
        }
    }

    /// Nested groups are beyond Segment, so there a function on `type` is an error rather than
    /// a condition silently left out.
    fn untestable_type(&self, function: &Spanned) -> SubscriptionError {
        self.error_at(function, Reason::UntestableType(function.token.clone()))
    }

    fn target(&self, at: &Spanned) -> Result<Target, SubscriptionError> {
        let Token::Ident(path) = &at.token else {
            return Err(self.unexpected(at, Sought::Field));
        };
        let (head, rest) = match path.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (path.as_str(), None),
        };
        let target = match (head, rest) {
            ("type", None) => Target::EventType,
            ("event", None) => Target::Event,
            ("name", None) => Target::Name,
            ("userId", None) => Target::UserId,
            ("properties", Some(r)) => Target::Property(r.to_string()),
            ("traits", Some(r)) => Target::Trait(r.to_string()),
            ("context", Some(r)) => Target::Context(r.to_string()),
            // As in Segment, a bare `properties` looks for a member named "properties".
            ("properties", None) => Target::Property(head.to_string()),
            ("traits", None) => Target::Trait(head.to_string()),
            ("context", None) => Target::Context(head.to_string()),
            ("type" | "event" | "name" | "userId", Some(_)) => {
                return Err(self.error_at(
                    at,
                    Reason::NoSubFields {
                        head: head.to_string(),
                        path: path.clone(),
                    },
                ));
            }
            _ => return Err(self.error_at(at, Reason::UnknownField(path.clone()))),
        };
        Ok(target)
    }

    fn literal(&mut self) -> Result<(Spanned, Literal), SubscriptionError> {
        let t = self.next(Sought::Value)?;
        let lit = match &t.token {
            Token::Str(s) => Literal::Str(s.clone()),
            Token::Number(n) => Literal::Number(crate::js::string_to_number(n)),
            Token::Ident(b) if b == "true" || b == "false" => Literal::Bool(b == "true"),
            Token::Ident(word) => Literal::Str(word.clone()),
            Token::Null => Literal::Str("null".into()),
            _ => return Err(self.unexpected(&t, Sought::Value)),
        };
        Ok((t, lit))
    }

    fn comparison(&mut self, field: &Spanned) -> Result<Condition, SubscriptionError> {
        let target = self.target(field)?;
        let misread = self.misread_segment(false)?;
        let op_token = self.next(Sought::Operator)?;
        let Token::Op(op) = op_token.token else {
            return Err(self.unexpected(&op_token, Sought::Operator));
        };
        let (value_token, value) = self.literal()?;
        let base = match op {
            "=" => Operator::Equals,
            "!=" => Operator::NotEquals,
            "<" => Operator::LessThan,
            "<=" => Operator::LessThanOrEqual,
            ">" => Operator::GreaterThan,
            _ => Operator::GreaterThanOrEqual,
        };
        // Segment's reading of a misread segment: the `.` is the operator, the number the
        // value, and the operator and value written are passed over.
        let (base, value_token, value) = match misread {
            Some((number_token, number)) => (Operator::Dot, number_token, number),
            None => (base, value_token, value),
        };
        let is_null = value_token.token == Token::Null;
        let is_number = matches!(value_token.token, Token::Number(_));
        let compare = |operator, value| {
            Ok(Condition::Compare {
                target: target.clone(),
                operator,
                value,
            })
        };
        let as_string = Literal::Str(value.to_js_string().into_owned());
        // Segment's special forms: existence for everything but `type`/`event`, booleans for
        // userId and nested fields, numeric equality for nested fields.
        let nested = matches!(
            target,
            Target::Property(_) | Target::Trait(_) | Target::Context(_)
        );
        let existence = !matches!(target, Target::EventType | Target::Event);
        let booleans = nested || target == Target::UserId;
        match (base, &value) {
            (Operator::NotEquals, _) if is_null && existence => compare(Operator::Exists, None),
            (Operator::Equals, _) if is_null && existence => compare(Operator::NotExists, None),
            (Operator::Equals, Literal::Bool(true)) if booleans => compare(Operator::IsTrue, None),
            (Operator::Equals, Literal::Bool(false)) if booleans => {
                compare(Operator::IsFalse, None)
            }
            (Operator::Equals, _) if is_number && nested => {
                compare(Operator::NumberEquals, Some(value))
            }
            (Operator::NotEquals, _) if is_number && nested => {
                compare(Operator::NumberNotEquals, Some(value))
            }
            _ if nested => compare(base, Some(value)),
            _ => compare(base, Some(as_string)),
        }
    }

    /// `contains(field, value)` / `match(field, pattern)`; `None` for `type`, which Segment's
    /// functions do not test (the call adds no condition).
    fn function(
        &mut self,
        name: &'static str,
        negate: bool,
    ) -> Result<Option<Condition>, SubscriptionError> {
        self.expect(Token::ParenLeft, Sought::CallOpen(name))?;
        let field = self.next(Sought::Field)?;
        let target = self.target(&field)?;
        let misread = self.misread_segment(true)?;
        self.expect(Token::Comma, Sought::CallComma(name))?;
        let (_, value) = self.literal()?;
        // Inside a group Segment has already taken this `)` as the group's end.
        if self.peek().is_some() {
            self.expect(Token::ParenRight, Sought::CallClose(name))?;
        }
        // Segment takes a call's arguments by position: after a misread segment the `.`
        // stands where the `,` goes and the number is the value.
        let value = misread.map_or(value, |(_, number)| number);
        let text = value.to_js_string().into_owned();
        let (operator, value) = if name == "contains" {
            (
                if negate {
                    Operator::NotContains
                } else {
                    Operator::Contains
                },
                text,
            )
        } else if let Some(prefix) = text.strip_suffix('*') {
            (
                if negate {
                    Operator::NotStartsWith
                } else {
                    Operator::StartsWith
                },
                prefix.to_string(),
            )
        } else {
            let mut chars = text.chars();
            chars.next();
            (
                if negate {
                    Operator::NotEndsWith
                } else {
                    Operator::EndsWith
                },
                chars.as_str().to_string(),
            )
        };
        if target == Target::EventType {
            return Ok(None);
        }
        Ok(Some(Condition::Compare {
            target,
            operator,
            value: Some(Literal::Str(value)),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subscription::SubscriptionErrorCode;
    use serde_json::json;

    fn ast(s: &str) -> serde_json::Value {
        serde_json::to_value(parse(s).unwrap()).unwrap()
    }

    #[test]
    fn single_condition_is_wrapped_in_a_group() {
        assert_eq!(
            ast(r#"type = "track""#),
            json!({"type": "group", "operator": "and", "children": [{"type": "event-type", "operator": "=", "value": "track"}]})
        );
    }

    #[test]
    fn segment_special_forms() {
        assert_eq!(
            ast(
                r#"properties.total = 12 or traits.vip = true or userId != null or context.a.b != "x" or event = null"#
            )["children"],
            json!([
                {"type": "event-property", "name": "total", "operator": "number_equals", "value": 12},
                {"type": "event-trait", "name": "vip", "operator": "is_true"},
                {"type": "userId", "operator": "exists"},
                {"type": "event-context", "name": "a.b", "operator": "!=", "value": "x"},
                {"type": "event", "operator": "=", "value": "null"}
            ])
        );
        assert_eq!(
            ast(
                r#"match(event, "Order*") and !match(name, "*ing") and !contains(properties.x, "y")"#
            )["children"],
            json!([
                {"type": "event", "operator": "starts_with", "value": "Order"},
                {"type": "name", "operator": "not_ends_with", "value": "ing"},
                {"type": "event-property", "name": "x", "operator": "not_contains", "value": "y"}
            ])
        );
    }

    #[test]
    fn and_binds_tighter_than_or_and_parens_nest() {
        let a =
            ast(r#"type = "a" or type = "b" and (event = "c" or (name = "d" and (userId = "e")))"#);
        assert_eq!(a["operator"], "or");
        assert_eq!(a["children"][1]["operator"], "and");
        assert_eq!(a["children"][1]["children"][1]["operator"], "or");
        assert_eq!(
            a["children"][1]["children"][1]["children"][1]["children"][1]["type"],
            "userId"
        );
    }

    #[test]
    fn keeps_segments_reading_of_one_level() {
        // The last joiner applies to the whole level.
        let a = ast(r#"type = "a" and type = "b" or type = "c""#);
        assert_eq!(a["operator"], "or");
        assert_eq!(a["children"].as_array().map(Vec::len), Some(3));
        // A group ends at the `)` of `match(`; what follows joins the outer level.
        let b = ast(r#"name = "Home" and (match(userId, "u*") or match(properties.plan, "*ed"))"#);
        assert_eq!(b["operator"], "or");
        assert_eq!(b["children"].as_array().map(Vec::len), Some(3));
    }

    #[test]
    fn follows_segment_on_quotes_type_functions_and_bare_fields() {
        assert_eq!(ast("type = 'track'")["children"][0]["value"], "'track'");
        let dropped = ast(r#"match(type, "tr*") or userId = "nope""#);
        assert_eq!(
            dropped["children"],
            json!([{"type": "userId", "operator": "=", "value": "nope"}])
        );
        assert!(parse(r#"contains(type, "tr")"#).is_err());
        assert_eq!(
            ast("traits = null")["children"][0],
            json!({"type": "event-trait", "name": "traits", "operator": "not_exists"})
        );
    }

    #[test]
    fn errors_name_the_position() {
        let e = |s: &str| parse(s).unwrap_err();
        assert_eq!(e(r#"type = "a" and"#).position(), 15);
        assert_eq!(e(r#"foo = "a""#).position(), 1);
        assert_eq!(e(r#"(type = "a""#).message(), "expected `)`, found the end");
        assert_eq!(e(r#"type "a""#).position(), 6);
        assert_eq!(e(r#"type = "a" type = "b""#).position(), 12);
        assert_eq!(e("").position(), 1);
        assert_eq!(
            e(r#"!contains event, "x""#).message(),
            "`!` can only negate contains(…) or match(…), found `contains`"
        );
    }

    #[test]
    fn a_group_left_empty_stays_as_segments_undefined() {
        // `(contains(type, …)` ends at the call's `)`: the group holds no condition.
        assert_eq!(
            ast(r#"(contains(type, "a")) or event = "E""#),
            json!({"type": "group", "operator": "or", "children": [null, {"type": "event", "operator": "=", "value": "E"}]})
        );
        assert_eq!(
            ast(r#"(match(type, "t*") and type = "track")"#)["children"],
            json!([null, {"type": "event-type", "operator": "=", "value": "track"}])
        );
        assert_eq!(
            ast(r#"(!contains(type, "x")) and (contains(type, "y"))"#)["children"],
            json!([null, null])
        );
        // Alone, it is no subscription (Segment's parseFql fails on it too), at the same place.
        let alone = parse(r#"(contains(type, "a"))"#).unwrap_err();
        assert_eq!(
            (alone.code(), alone.position()),
            (SubscriptionErrorCode::UntestableType, 20)
        );
        let dropped = parse(r#"contains(type, "a")"#).unwrap_err();
        assert_eq!(dropped.code(), SubscriptionErrorCode::UntestableType);
    }

    #[test]
    fn misread_segments_read_as_segment_reads_them() {
        // The `.` is the operator, the number the value; what was written after is passed over.
        assert_eq!(
            ast(r#"properties.0 = "a""#)["children"],
            json!([{"type": "event-property", "name": "properties", "operator": ".", "value": 0}])
        );
        assert_eq!(
            ast(r#"traits.a.1b != "x" or userId.7 < 3"#)["children"],
            json!([
                {"type": "event-trait", "name": "a", "operator": ".", "value": 1},
                {"type": "userId", "operator": ".", "value": "7"}
            ])
        );
        assert_eq!(
            ast("context.0.b.c = - and properties.-1 = x")["children"],
            json!([
                {"type": "event-context", "name": "context", "operator": ".", "value": 0},
                {"type": "event-property", "name": "properties", "operator": ".", "value": -1}
            ])
        );
        // In a call the number is the value, taken by position.
        assert_eq!(
            ast(r#"contains(properties.0, "a") and !match(traits.12x, "1*")"#)["children"],
            json!([
                {"type": "event-property", "name": "properties", "operator": "contains", "value": "0"},
                {"type": "event-trait", "name": "traits", "operator": "not_ends_with", "value": "2"}
            ])
        );
        // Where Segment would start another condition inside the segment, it is an error.
        let glued = parse(r#"properties.0type = "a""#).unwrap_err();
        assert_eq!(
            (glued.code(), glued.position()),
            (SubscriptionErrorCode::ExpectedOperator, 13)
        );
        assert_eq!(
            ast(r#"match(properties.0type, "a")"#)["children"][0]["value"],
            ""
        );
        // Nested groups (beyond Segment) read them the same way.
        assert_eq!(
            ast(r#"(type = "a" or (properties.0 = 1))"#)["children"][1]["operator"],
            "."
        );
    }

    #[test]
    fn a_bare_sign_is_the_number_nan() {
        assert_eq!(
            ast("properties.x = - or properties.x != + or event = - or properties.x < -")
                ["children"],
            json!([
                {"type": "event-property", "name": "x", "operator": "number_equals", "value": null},
                {"type": "event-property", "name": "x", "operator": "number_not_equals", "value": null},
                {"type": "event", "operator": "=", "value": "NaN"},
                {"type": "event-property", "name": "x", "operator": "<", "value": null}
            ])
        );
        assert_eq!(
            ast("contains(userId, -) or match(name, +)")["children"],
            json!([
                {"type": "userId", "operator": "contains", "value": "NaN"},
                {"type": "name", "operator": "ends_with", "value": "aN"}
            ])
        );
    }

    #[test]
    fn every_error_code_has_an_input() {
        use SubscriptionErrorCode as C;
        let deep = format!("{}type = \"a\"{}", "(".repeat(65), ")".repeat(65));
        let cases: [(&str, C, usize); 17] = [
            ("", C::Empty, 1),
            (r#"type = "track"#, C::UnterminatedString, 8),
            ("properties.a\\", C::UnterminatedEscape, 13),
            ("properties.x = 1.2.3", C::MalformedNumber, 16),
            ("properties..a = 1", C::MalformedField, 1),
            ("type = $", C::UnexpectedCharacter, 8),
            (r#"anonymousId = "a""#, C::UnknownField, 1),
            (r#"type.x = "a""#, C::UnknownField, 1),
            (r#"type = "a" and"#, C::ExpectedCondition, 15),
            (r#"type "a""#, C::ExpectedOperator, 6),
            ("type =", C::ExpectedValue, 7),
            (r#"contains("a", "b")"#, C::ExpectedField, 10),
            (r#"type = "a" type = "b""#, C::ExpectedJoiner, 12),
            (r#"contains(event "x")"#, C::ExpectedPunctuation, 16),
            (r#"!contains event, "x""#, C::InvalidNegation, 2),
            (r#"contains(type, "tr")"#, C::UntestableType, 21),
            (&deep, C::TooDeep, 65),
        ];
        // Adding a code breaks this match: give it an input above.
        let index = |c: C| match c {
            C::Empty => 0,
            C::UnterminatedString => 1,
            C::UnterminatedEscape => 2,
            C::MalformedNumber => 3,
            C::MalformedField => 4,
            C::UnexpectedCharacter => 5,
            C::UnknownField => 6,
            C::ExpectedCondition => 7,
            C::ExpectedOperator => 8,
            C::ExpectedValue => 9,
            C::ExpectedField => 10,
            C::ExpectedJoiner => 11,
            C::ExpectedPunctuation => 12,
            C::InvalidNegation => 13,
            C::UntestableType => 14,
            C::TooDeep => 15,
        };
        let mut seen = [false; 16];
        for (text, code, position) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!((e.code(), e.position()), (code, position), "{text:?}: {e}");
            seen[index(code)] = true;
        }
        assert!(seen.iter().all(|s| *s), "a code without an input: {seen:?}");
        let e = parse("type =").unwrap_err();
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"position": 7, "code": "expected_value", "message": "expected a value, found the end"})
        );
        assert_eq!(e.to_string(), "expected a value, found the end at column 7");
    }

    #[test]
    fn nesting_is_bounded_with_a_position() {
        let nested = |depth: usize| {
            format!(
                "{}type = \"a\" or userId = \"u\"{}",
                "(".repeat(depth),
                ")".repeat(depth)
            )
        };
        assert_eq!(
            ast(&nested(MAX_DEPTH))["children"][1]["type"],
            "userId",
            "the deepest nesting allowed parses"
        );
        let too_deep = parse(&nested(MAX_DEPTH + 1)).unwrap_err();
        assert_eq!(
            (too_deep.position(), too_deep.message().as_str()),
            (MAX_DEPTH + 1, "parentheses nested more than 64 deep")
        );
        // What killed the wasm module: thousands of parentheses, closed or not.
        for text in [nested(5_000), "(".repeat(100_000), "!(".repeat(5_000)] {
            assert!(parse(&text).is_err());
        }
    }

    #[test]
    fn own_writer_gives_what_serde_gives() {
        for fql in [
            r#"type = "track""#,
            r#"type = "track" and (event = "A b" or properties.n > 1.5)"#,
            "event = \"tab\there\" or event = \"\u{1}\"",
            r#"properties.total = 12 or traits.vip = true or userId != null or context.a.b != "x""#,
            "properties.a >= -0 and properties.b < 1000000000000000000000 and properties.d = 0.1",
            "properties.a = 9007199254740993 and properties.b != -12.75 and properties.c = 0.000001",
            &format!("properties.c <= {} and properties.d > -{0}", "9".repeat(400)),
            r#"contains(properties.x, "y") and match(name, "a*") and !match(event, "*b")"#,
            r#"contains(type, "x") or type = "page""#,
            "properties.0 = 1",
            "traits.x = false and !contains(context.page.url, \"\u{1F600}\")",
        ] {
            let condition = parse(fql).unwrap();
            let mut own = String::new();
            condition.write_json(&mut own);
            // The same to JSON.parse (which reads `1.0` and `1` as one number).
            let serde = serde_json::to_string(&condition).unwrap();
            let own = crate::value::resolved(&own);
            assert!(own.is_some());
            assert_eq!(own, crate::value::resolved(&serde), "{fql}");
        }
    }
}
