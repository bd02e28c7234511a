//! Subscription errors: an FQL text that cannot be parsed, where (the column) and why.

use super::token::Token;
use serde::Serialize;
use std::fmt;

/// A subscription (FQL) that cannot be parsed.
///
/// Where: [`SubscriptionError::position`], the 1-based column in characters. What: a private
/// reason holding what each message needs; [`SubscriptionError::code`] classifies it and
/// [`SubscriptionError::message`] words it for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionError {
    reason: SubscriptionReason,
    position: usize,
}

/// Stable names for the kinds of subscription errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionErrorCode {
    /// Nothing but white space.
    Empty,
    /// A quote that is never closed.
    UnterminatedString,
    /// A `\` at the very end, escaping nothing.
    UnterminatedEscape,
    /// A number with two decimal points, or one before white space, `,` or `)`.
    MalformedNumber,
    /// A field path with an empty segment (`properties..a`, `traits.x.`).
    MalformedField,
    /// A character FQL has no use for (`$`, `;`).
    UnexpectedCharacter,
    /// A field FQL does not know (`anonymousId`, `type.x`).
    UnknownField,
    /// A condition missing: nothing before or after `and`/`or`, empty parentheses, the end.
    ExpectedCondition,
    /// No comparison operator after a field.
    ExpectedOperator,
    /// No value after an operator or as the second argument of a function.
    ExpectedValue,
    /// No field as the first argument of a function.
    ExpectedField,
    /// Two conditions side by side without `and`/`or`, or text after a complete condition.
    ExpectedJoiner,
    /// A `(`, `,` or `)` of a function call or a group missing.
    ExpectedPunctuation,
    /// `!` before something other than `contains(…)` or `match(…)`.
    InvalidNegation,
    /// `contains()`/`match()` on `type` where that leaves no condition to test.
    UntestableType,
    /// Parentheses nested beyond [`crate::subscription::MAX_DEPTH`].
    TooDeep,
}

impl SubscriptionErrorCode {
    /// The code as text (`"unknown_field"`).
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionErrorCode::Empty => "empty",
            SubscriptionErrorCode::UnterminatedString => "unterminated_string",
            SubscriptionErrorCode::UnterminatedEscape => "unterminated_escape",
            SubscriptionErrorCode::MalformedNumber => "malformed_number",
            SubscriptionErrorCode::MalformedField => "malformed_field",
            SubscriptionErrorCode::UnexpectedCharacter => "unexpected_character",
            SubscriptionErrorCode::UnknownField => "unknown_field",
            SubscriptionErrorCode::ExpectedCondition => "expected_condition",
            SubscriptionErrorCode::ExpectedOperator => "expected_operator",
            SubscriptionErrorCode::ExpectedValue => "expected_value",
            SubscriptionErrorCode::ExpectedField => "expected_field",
            SubscriptionErrorCode::ExpectedJoiner => "expected_joiner",
            SubscriptionErrorCode::ExpectedPunctuation => "expected_punctuation",
            SubscriptionErrorCode::InvalidNegation => "invalid_negation",
            SubscriptionErrorCode::UntestableType => "untestable_type",
            SubscriptionErrorCode::TooDeep => "too_deep",
        }
    }
}

/// What the parser looked for where it found something else (or the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sought {
    Condition,
    Operator,
    Value,
    Field,
    /// The function after a `!`.
    NegatedFunction,
    /// `(` after `contains`/`match`.
    CallOpen(&'static str),
    /// `,` between a function's arguments.
    CallComma(&'static str),
    /// `)` closing a function call.
    CallClose(&'static str),
    /// `)` closing a group.
    GroupClose,
}

impl Sought {
    fn code(self) -> SubscriptionErrorCode {
        match self {
            Sought::Condition => SubscriptionErrorCode::ExpectedCondition,
            Sought::Operator => SubscriptionErrorCode::ExpectedOperator,
            Sought::Value => SubscriptionErrorCode::ExpectedValue,
            Sought::Field => SubscriptionErrorCode::ExpectedField,
            Sought::NegatedFunction => SubscriptionErrorCode::InvalidNegation,
            Sought::CallOpen(_)
            | Sought::CallComma(_)
            | Sought::CallClose(_)
            | Sought::GroupClose => SubscriptionErrorCode::ExpectedPunctuation,
        }
    }
}

impl fmt::Display for Sought {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sought::Condition => f.write_str("a condition"),
            Sought::Operator => f.write_str("an operator (=, !=, <, <=, >, >=)"),
            Sought::Value => f.write_str("a value"),
            Sought::Field => f.write_str("a field"),
            Sought::NegatedFunction => f.write_str("`contains(…)` or `match(…)` after `!`"),
            Sought::CallOpen(name) => write!(f, "`(` after {name}"),
            Sought::CallComma(name) => write!(f, "`,` between the arguments of {name}()"),
            Sought::CallClose(name) => write!(f, "`)` closing {name}()"),
            Sought::GroupClose => f.write_str("`)`"),
        }
    }
}

/// A token as messages show it; `None` is the end of the text.
struct Shown<'a>(&'a Option<Token>);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(token) => f.write_str(&token.describe()),
            None => f.write_str("the end"),
        }
    }
}

/// Why a subscription cannot be parsed; each prints one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SubscriptionReason {
    /// `empty subscription`.
    Empty,
    /// `unterminated string`.
    UnterminatedString,
    /// `expected a character after `\``.
    UnterminatedEscape,
    /// `malformed number `1.2.3``.
    MalformedNumber(String),
    /// `malformed field path `a..b``.
    MalformedField(String),
    /// `unexpected character `$``.
    UnexpectedCharacter(char),
    /// `expected a value, found `and`` (`found` `None`: the end).
    Expected {
        sought: Sought,
        found: Option<Token>,
    },
    /// `expected a condition before `and``.
    ConditionBefore(Token),
    /// `expected a condition after `or``, at the end.
    ConditionAfter(Token),
    /// `expected `and` or `or` before `type``.
    JoinerBefore(Token),
    /// `unexpected `type` after a complete condition`.
    AfterComplete(Token),
    /// `empty parentheses`.
    EmptyParentheses,
    /// `no condition left: …` (every condition at a level was a function on `type`).
    NoConditionLeft,
    /// `` `contains`() cannot test `type` `` (where nested groups are read).
    UntestableType(Token),
    /// `` `type` has no sub-fields (found `type.x`) ``.
    NoSubFields { head: String, path: String },
    /// `unknown field `foo`; expected …`.
    UnknownField(String),
    /// `parentheses nested more than N deep`.
    TooDeep(usize),
}

impl fmt::Display for SubscriptionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use SubscriptionReason as R;
        match self {
            R::Empty => f.write_str("empty subscription"),
            R::UnterminatedString => f.write_str("unterminated string"),
            R::UnterminatedEscape => f.write_str("expected a character after `\\`"),
            R::MalformedNumber(text) => write!(f, "malformed number `{text}`"),
            R::MalformedField(path) => write!(f, "malformed field path `{path}`"),
            R::UnexpectedCharacter(c) => write!(f, "unexpected character `{c}`"),
            R::Expected {
                sought: Sought::NegatedFunction,
                found: Some(token),
            } => write!(
                f,
                "`!` can only negate contains(…) or match(…), found {}",
                token.describe()
            ),
            R::Expected { sought, found } => write!(f, "expected {sought}, found {}", Shown(found)),
            R::ConditionBefore(joiner) => {
                write!(f, "expected a condition before {}", joiner.describe())
            }
            R::ConditionAfter(joiner) => {
                write!(f, "expected a condition after {}", joiner.describe())
            }
            R::JoinerBefore(token) => {
                write!(f, "expected `and` or `or` before {}", token.describe())
            }
            R::AfterComplete(token) => write!(
                f,
                "unexpected {} after a complete condition",
                token.describe()
            ),
            R::EmptyParentheses => f.write_str("empty parentheses"),
            R::NoConditionLeft => {
                f.write_str("no condition left: contains() and match() do not test `type`")
            }
            R::UntestableType(function) => {
                write!(f, "{}() cannot test `type`", function.describe())
            }
            R::NoSubFields { head, path } => {
                write!(f, "`{head}` has no sub-fields (found `{path}`)")
            }
            R::UnknownField(path) => write!(
                f,
                "unknown field `{path}`; expected type, event, name, userId, properties.…, traits.… or context.…"
            ),
            R::TooDeep(max) => write!(f, "parentheses nested more than {max} deep"),
        }
    }
}

impl SubscriptionError {
    /// An error at `position` (1-based, in characters).
    pub(crate) fn new(position: usize, reason: SubscriptionReason) -> Self {
        SubscriptionError { reason, position }
    }

    /// What kind of error it is.
    pub fn code(&self) -> SubscriptionErrorCode {
        use SubscriptionReason as R;
        match &self.reason {
            R::Empty => SubscriptionErrorCode::Empty,
            R::UnterminatedString => SubscriptionErrorCode::UnterminatedString,
            R::UnterminatedEscape => SubscriptionErrorCode::UnterminatedEscape,
            R::MalformedNumber(_) => SubscriptionErrorCode::MalformedNumber,
            R::MalformedField(_) => SubscriptionErrorCode::MalformedField,
            R::UnexpectedCharacter(_) => SubscriptionErrorCode::UnexpectedCharacter,
            R::Expected { sought, .. } => sought.code(),
            R::ConditionBefore(_) | R::ConditionAfter(_) | R::EmptyParentheses => {
                SubscriptionErrorCode::ExpectedCondition
            }
            R::JoinerBefore(_) | R::AfterComplete(_) => SubscriptionErrorCode::ExpectedJoiner,
            R::NoConditionLeft | R::UntestableType(_) => SubscriptionErrorCode::UntestableType,
            R::NoSubFields { .. } | R::UnknownField(_) => SubscriptionErrorCode::UnknownField,
            R::TooDeep(_) => SubscriptionErrorCode::TooDeep,
        }
    }

    /// The 1-based column (in characters) where the problem starts.
    pub fn position(&self) -> usize {
        self.position
    }

    /// What was expected or found there, for people.
    pub fn message(&self) -> String {
        self.reason.to_string()
    }
}

impl fmt::Display for SubscriptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at column {}", self.reason, self.position)
    }
}

impl Serialize for SubscriptionError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("SubscriptionError", 3)?;
        out.serialize_field("position", &self.position)?;
        out.serialize_field("code", &self.code())?;
        out.serialize_field("message", &self.message())?;
        out.end()
    }
}

impl std::error::Error for SubscriptionError {}
