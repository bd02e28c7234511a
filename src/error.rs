//! Errors are values: each says what went wrong and where.

use crate::subscription::lexer::Token;
use serde::Serialize;
use std::fmt;

/// A problem in a mapping, found when checking it or when running it on an event.
///
/// Its location is the list of keys (and array indexes) from the mapping's root to the
/// offending directive; it prints as Segment writes it (`/f3/@case/value`). What went wrong is
/// a private reason with one message per kind; [`MappingError::code`] classifies it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MappingError {
    reason: Reason,
    path: Vec<String>,
}

/// Stable names for the kinds of mapping errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MappingErrorCode {
    /// A value of the wrong type where the mapping language expects another.
    InvalidType,
    /// An object with more than one `@` key, or `@` keys beside other keys.
    TooManyKeys,
    /// A `@` key that names no directive.
    UnknownDirective,
    /// A directive without an option it needs.
    MissingOption,
    /// An option outside its allowed lengths or values.
    InvalidValue,
    /// A mapping run on something that is not an object.
    DataNotObject,
    /// A mapping nested beyond what is checked and run (see [`crate::mapping::MAX_DEPTH`]).
    TooDeep,
    /// A mapping that builds more than its call's budget (see [`crate::mapping::Budget`]).
    BudgetExhausted,
    /// A Liquid template that does not parse or render.
    InvalidTemplate,
    /// An object made text where JavaScript cannot make it text (its own `toString` member is
    /// no function): Segment's mapping throws a `TypeError` there.
    NoPrimitive,
}

impl MappingErrorCode {
    /// The code as text (`"invalid_type"`).
    pub fn as_str(self) -> &'static str {
        match self {
            MappingErrorCode::InvalidType => "invalid_type",
            MappingErrorCode::TooManyKeys => "too_many_keys",
            MappingErrorCode::UnknownDirective => "unknown_directive",
            MappingErrorCode::MissingOption => "missing_option",
            MappingErrorCode::InvalidValue => "invalid_value",
            MappingErrorCode::DataNotObject => "data_not_object",
            MappingErrorCode::TooDeep => "too_deep",
            MappingErrorCode::BudgetExhausted => "budget_exhausted",
            MappingErrorCode::InvalidTemplate => "invalid_template",
            MappingErrorCode::NoPrimitive => "no_primitive",
        }
    }
}

/// What a mapping value should have been, in Segment's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Expected {
    Object,
    DirectiveObject,
    DirectiveOrValue,
    StringOrDirective,
    ObjectOrDirective,
    String,
    Boolean,
    Array,
}

impl Expected {
    fn text(self) -> &'static str {
        match self {
            Expected::Object => "an object",
            Expected::DirectiveObject => "a directive object",
            Expected::DirectiveOrValue => "a mapping directive or a JSON value",
            Expected::StringOrDirective => "a string or a mapping directive",
            Expected::ObjectOrDirective => "a object or a mapping directive",
            Expected::String => "a string",
            Expected::Boolean => "a boolean",
            Expected::Array => "an array",
        }
    }
}

/// Why a mapping fails; each prints the message Segment's mapping-kit gives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Reason {
    /// `should be … but it is …` (`found` is a type name or `directive`).
    ShouldBe {
        expected: Expected,
        found: &'static str,
    },
    /// `should only have one @-prefixed key but it has N keys`.
    TooManyKeys(usize),
    /// `has an invalid directive: @x` (when checking).
    InvalidDirective(String),
    /// `@x is not a valid directive` (when running an unchecked one).
    NotADirective(String),
    /// `should have field "x" but it doesn't`.
    MissingField(&'static str),
    /// `should be a string of length N or greater`.
    TooShort(usize),
    /// `should be a string of length N or less`.
    TooLong(usize),
    /// `should be one of a, b but it is "c"`.
    NotOneOf {
        allowed: &'static [&'static str],
        found: String,
    },
    /// A directive's options missing or unusable when it runs, in Segment's fixed wording
    /// (`@if requires an "exists" key or a "blank" key`).
    Requires(&'static str),
    /// `@x: expected string, got y`.
    ExpectedString {
        directive: &'static str,
        found: &'static str,
    },
    /// `@arrayPath expected array, got y`.
    ArrayPathNotArray(&'static str),
    /// `@merge: expected opts.array, got y`.
    MergeObjectsNotArray(&'static str),
    /// `@replace requires a "pattern" less than N characters` (and the same for
    /// `replacement`).
    ReplaceTooLong { option: &'static str, max: usize },
    /// `data must be an object, got y`.
    DataNotObject(&'static str),
    /// Nested beyond the bound.
    TooDeep(usize),
    /// Built more than a call's budget allows (see [`crate::mapping::Budget`]).
    BudgetExhausted,
    /// A Liquid template that does not parse or render: liquidjs's message, with the line and
    /// column in the template.
    Template(String),
    /// `liquid template value must be a string` (when running an unchecked `@liquid`).
    TemplateNotString,
    /// `liquid template values are limited to N characters`.
    TemplateTooLong(usize),
    /// `Cannot convert object to primitive value` (V8's `TypeError` where ToPrimitive finds
    /// neither `toString` nor `valueOf` giving a primitive).
    NoPrimitive,
}

fn article(type_name: &str) -> &'static str {
    if type_name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::ShouldBe { expected, found } => write!(
                f,
                "should be {} but it is {} {found}",
                expected.text(),
                article(found)
            ),
            Reason::TooManyKeys(n) => {
                write!(f, "should only have one @-prefixed key but it has {n} keys")
            }
            Reason::InvalidDirective(name) => write!(f, "has an invalid directive: {name}"),
            Reason::NotADirective(name) => write!(f, "{name} is not a valid directive"),
            Reason::MissingField(name) => write!(f, "should have field \"{name}\" but it doesn't"),
            Reason::TooShort(min) => write!(f, "should be a string of length {min} or greater"),
            Reason::TooLong(max) => write!(f, "should be a string of length {max} or less"),
            Reason::NotOneOf { allowed, found } => {
                // Quoted as JSON by the core's writer (serde_json's stays out of the npm
                // package).
                let mut quoted = String::new();
                crate::json::write::write_str(found, &mut quoted);
                f.write_str("should be one of ")?;
                for (i, name) in allowed.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(name)?;
                }
                write!(f, " but it is {quoted}")
            }
            Reason::Requires(message) => f.write_str(message),
            Reason::ExpectedString { directive, found } => {
                write!(f, "{directive}: expected string, got {found}")
            }
            Reason::ArrayPathNotArray(found) => write!(f, "@arrayPath expected array, got {found}"),
            Reason::MergeObjectsNotArray(found) => {
                write!(f, "@merge: expected opts.array, got {found}")
            }
            Reason::ReplaceTooLong { option, max } => write!(
                f,
                "@replace requires a \"{option}\" less than {max} characters"
            ),
            Reason::DataNotObject(found) => write!(f, "data must be an object, got {found}"),
            Reason::TooDeep(max) => write!(f, "is nested more than {max} levels deep"),
            Reason::Template(message) => f.write_str(message),
            Reason::TemplateNotString => f.write_str("liquid template value must be a string"),
            Reason::TemplateTooLong(max) => {
                write!(f, "liquid template values are limited to {max} characters")
            }
            Reason::NoPrimitive => f.write_str("Cannot convert object to primitive value"),
            Reason::BudgetExhausted => f.write_str(
                "builds a result longer than this input allows (8 MiB plus 64 times the input's size)",
            ),
        }
    }
}

impl MappingError {
    /// An error at the root of the mapping (see [`MappingError::within`]).
    pub(crate) fn new(reason: Reason) -> Self {
        MappingError {
            reason,
            path: Vec::new(),
        }
    }

    /// An error at `path` (the keys from the mapping's root).
    pub(crate) fn at<S: AsRef<str>>(path: &[S], reason: Reason) -> Self {
        MappingError {
            reason,
            path: path.iter().map(|s| s.as_ref().to_string()).collect(),
        }
    }

    /// The same error seen from one level up: `key` goes in front of the path.
    pub fn within(mut self, key: &str) -> Self {
        self.path.insert(0, key.to_string());
        self
    }

    /// What kind of error it is.
    pub fn code(&self) -> MappingErrorCode {
        match &self.reason {
            Reason::ShouldBe { .. }
            | Reason::ExpectedString { .. }
            | Reason::ArrayPathNotArray(_)
            | Reason::MergeObjectsNotArray(_) => MappingErrorCode::InvalidType,
            Reason::TooManyKeys(_) => MappingErrorCode::TooManyKeys,
            Reason::InvalidDirective(_) | Reason::NotADirective(_) => {
                MappingErrorCode::UnknownDirective
            }
            Reason::MissingField(_) | Reason::Requires(_) => MappingErrorCode::MissingOption,
            Reason::TooShort(_)
            | Reason::TooLong(_)
            | Reason::NotOneOf { .. }
            | Reason::ReplaceTooLong { .. } => MappingErrorCode::InvalidValue,
            Reason::DataNotObject(_) => MappingErrorCode::DataNotObject,
            Reason::TooDeep(_) => MappingErrorCode::TooDeep,
            Reason::BudgetExhausted => MappingErrorCode::BudgetExhausted,
            Reason::Template(_) => MappingErrorCode::InvalidTemplate,
            Reason::TemplateNotString => MappingErrorCode::InvalidType,
            Reason::TemplateTooLong(_) => MappingErrorCode::InvalidValue,
            Reason::NoPrimitive => MappingErrorCode::NoPrimitive,
        }
    }

    /// The keys and array indexes from the mapping's root to the problem.
    pub fn segments(&self) -> &[String] {
        &self.path
    }

    /// The location as Segment writes it: `/f3/@case/value` (`/` for the root).
    pub fn path(&self) -> String {
        // Written out: `join` links a generic copier of its own into the npm package.
        let mut out = String::from("/");
        for (i, segment) in self.path.iter().enumerate() {
            if i > 0 {
                out.push('/');
            }
            out.push_str(segment);
        }
        out
    }

    /// The top-level key where it happened: the payload field it fails (`""` at the root).
    pub fn field(&self) -> &str {
        self.path.first().map_or("", String::as_str)
    }

    /// What is wrong there, for people.
    pub fn message(&self) -> String {
        self.reason.to_string()
    }
}

impl fmt::Display for MappingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.path(), self.reason)
    }
}

impl Serialize for MappingError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("MappingError", 3)?;
        out.serialize_field("path", &self.path())?;
        out.serialize_field("code", &self.code())?;
        out.serialize_field("message", &self.message())?;
        out.end()
    }
}

impl std::error::Error for MappingError {}

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

/// One problem with a destination configuration; `path` locates it in the config document
/// (`/mappings/2/subscription`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigError {
    /// JSON-pointer location in the configuration.
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

impl ConfigError {
    /// Appends the error as JSON, as its `Serialize` writes it (without serde's serialiser,
    /// which the npm package does not carry).
    pub fn write_json(&self, out: &mut String) {
        out.push_str("{\"path\":");
        crate::json::write::write_str(&self.path, out);
        out.push_str(",\"message\":");
        crate::json::write::write_str(&self.message, out);
        out.push('}');
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem found in a configuration (never just the first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid configuration: ")?;
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}
