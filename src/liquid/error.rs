//! Errors of the Liquid engine: a private code per kind of problem, a message for people
//! (liquidjs's wording, so that Segment users recognise it), and where in the template it
//! happened.

use std::fmt;

/// A template that does not parse, or a render that fails.
///
/// `Display` gives liquidjs's message with the position, e.g.
/// `filter "sort" is disabled, line:1, col:7`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiquidError {
    code: Code,
    line: u32,
    column: u32,
}

/// The broad kind of a [`LiquidError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// The template is not valid Liquid, or uses a tag Segment does not allow.
    Syntax,
    /// A filter failed while rendering (a disabled filter, bad input, wrong arguments).
    Filter,
    /// The template or its render went over one of Segment's limits.
    Limit,
}

impl LiquidError {
    /// 1-based line of the template where the problem is.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// 1-based column (in UTF-16 code units, as liquidjs counts) of the problem.
    pub fn column(&self) -> u32 {
        self.column
    }

    /// What kind of problem this is.
    pub fn category(&self) -> Category {
        use Code::*;
        match self.code {
            FilterDisabled(_) | ArgumentCount(_) | UriMalformed | InvalidBase64 | NotAnEntry(_)
            | TimeZone(_) | NoPrimitive => Category::Filter,
            ParseLimit | MemoryLimit | RenderLimit => Category::Limit,
            _ => Category::Syntax,
        }
    }

    /// The message without the position.
    pub fn message(&self) -> String {
        self.code.to_string()
    }
}

impl fmt::Display for LiquidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, line:{}, col:{}", self.code, self.line, self.column)
    }
}

impl std::error::Error for LiquidError {}

/// Every way a template can fail. Strings carry the part of the template or value the
/// message quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Code {
    // Reading the template.
    /// `tag "…" not closed` / `tag {% if x %} not closed` (the quoted part is preformatted).
    TagNotClosed(String),
    OutputNotClosed(String),
    RawNotClosed(String),
    TagNameExpected,
    LiquidTagSyntax,
    TagNotFound(String),
    TagDisabled(String),
    InvalidValueExpression(String),
    ExpectedPipe,
    ExpectedFilterName,
    ExpectedColon,
    UnexpectedCharacter(String),
    BracketNotClosed,
    InvalidRange,
    ValueExpected(String),
    ExpectedVariableName,
    ExpectedEquals,
    InvalidCaptureName,
    EmptyCycle(String),
    UnexpectedArguments(String),
    ElsifAfterElse,
    DuplicatedElse,
    InlineComment,
    /// A `\u` escape at the very end of an unclosed string, where liquidjs crashes.
    UnreadableEscape,
    /// A data object with its own `toString` member, where a string or number is needed.
    NoPrimitive,
    // Rendering.
    FilterDisabled(String),
    ArgumentCount(&'static str),
    UriMalformed,
    InvalidBase64,
    NotAnEntry(String),
    TimeZone(String),
    // Limits.
    ParseLimit,
    MemoryLimit,
    RenderLimit,
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Code::*;
        match self {
            TagNotClosed(t) => write!(f, "tag {t} not closed"),
            OutputNotClosed(t) => write!(f, "output {t} not closed"),
            RawNotClosed(t) => write!(f, "raw {t} not closed"),
            TagNameExpected => f.write_str("illegal tag syntax, tag name expected"),
            LiquidTagSyntax => f.write_str("illegal liquid tag syntax"),
            TagNotFound(name) => write!(f, "tag \"{name}\" not found"),
            TagDisabled(name) => write!(f, "tag \"{name}\" is disabled"),
            InvalidValueExpression(t) => write!(f, "invalid value expression: {t}"),
            ExpectedPipe => f.write_str("expected \"|\" before filter"),
            ExpectedFilterName => f.write_str("expected filter name"),
            ExpectedColon => f.write_str("expected \":\" after filter name"),
            UnexpectedCharacter(t) => write!(f, "unexpected character {t}"),
            BracketNotClosed => f.write_str("[ not closed"),
            InvalidRange => f.write_str("invalid range syntax"),
            ValueExpected(t) => write!(f, "unexpected token {t}, value expected"),
            ExpectedVariableName => f.write_str("expected variable name"),
            ExpectedEquals => f.write_str("expected \"=\""),
            InvalidCaptureName => f.write_str("invalid capture name"),
            EmptyCycle(t) => write!(f, "empty candidates: \"{t}\""),
            UnexpectedArguments(t) => write!(f, "unexpected {t}"),
            ElsifAfterElse => f.write_str("unexpected elsif after else"),
            DuplicatedElse => f.write_str("duplicated else"),
            InlineComment => {
                f.write_str("every line of an inline comment must start with a '#' character")
            }
            UnreadableEscape => {
                f.write_str("Cannot read properties of undefined (reading 'charCodeAt')")
            }
            NoPrimitive => f.write_str("Cannot convert object to primitive value"),
            FilterDisabled(name) => write!(f, "filter \"{name}\" is disabled"),
            ArgumentCount(name) => write!(f, "{name} expect 2 arguments"),
            UriMalformed => f.write_str("URI malformed"),
            InvalidBase64 => f.write_str("invalid base64 provided to base64_decode"),
            NotAnEntry(v) => write!(f, "Iterator value {v} is not an entry object"),
            TimeZone(name) => write!(f, "Invalid time zone specified: {name}"),
            ParseLimit => f.write_str("parse length limit exceeded"),
            MemoryLimit => f.write_str("memory alloc limit exceeded"),
            RenderLimit => f.write_str("template render limit exceeded"),
        }
    }
}

/// An error inside the engine: its code and, once known, the offset (UTF-16 code units) in
/// the template it belongs to. Boxed, so that results stay small on the hot paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Error(Box<Inner>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    code: Code,
    at: Option<u32>,
}

impl Error {
    /// An error at offset `at`.
    pub(crate) fn at(code: Code, at: usize) -> Error {
        Error(Box::new(Inner {
            code,
            at: Some(at as u32),
        }))
    }

    /// The error's code.
    #[cfg(test)]
    pub(crate) fn code(&self) -> &Code {
        &self.0.code
    }

    /// Where it is, if known.
    #[cfg(test)]
    pub(crate) fn offset(&self) -> Option<u32> {
        self.0.at
    }

    /// The error with offset `at` unless it already has one (liquidjs reports a failure at
    /// the innermost node that was rendering).
    pub(crate) fn or_at(mut self, at: u32) -> Error {
        self.0.at.get_or_insert(at);
        self
    }

    /// The error without its offset (it belonged to another text).
    pub(crate) fn unplaced(mut self) -> Error {
        self.0.at = None;
        self
    }

    /// The public error, with the offset turned into line and column of `source`.
    pub(crate) fn locate(self, source: &[u16]) -> LiquidError {
        let at = (self.0.at.unwrap_or(0) as usize).min(source.len());
        let before = &source[..at];
        let line = 1 + before.iter().filter(|&&u| u == 0x0A).count();
        let column = 1 + before.iter().rev().take_while(|&&u| u != 0x0A).count();
        LiquidError {
            code: self.0.code,
            line: line as u32,
            column: column as u32,
        }
    }
}

impl From<super::value::NoPrimitive> for Error {
    fn from(_: super::value::NoPrimitive) -> Error {
        Code::NoPrimitive.into()
    }
}

impl From<Code> for Error {
    fn from(code: Code) -> Error {
        Error(Box::new(Inner { code, at: None }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::liquid::text::utf16;

    #[test]
    fn positions_count_lines_and_utf16_columns() {
        let src = utf16("ab\n🎉x{{");
        let e = Error::at(Code::OutputNotClosed("\"{{\"".into()), 6).locate(&src);
        assert_eq!((e.line(), e.column()), (2, 4));
        assert_eq!(e.to_string(), "output \"{{\" not closed, line:2, col:4");
        assert_eq!(e.category(), Category::Syntax);
    }
}
