//! Mapping errors: what went wrong in a mapping, found when checking it or running it, and
//! where (the keys from the mapping's root to the directive).

use crate::value::NoPrimitive;
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

/// `String(value)` of an object JavaScript cannot make a primitive of.
impl From<NoPrimitive> for MappingError {
    fn from(_: NoPrimitive) -> MappingError {
        MappingError::new(Reason::NoPrimitive)
    }
}
