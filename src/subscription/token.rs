//! FQL's tokens: what the lexer makes, the parser reads and errors name.

/// One FQL token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A field path or bare word: `properties.total`, `true`, `contains`.
    Ident(String),
    /// A quoted string: `"…"` without its quotes, `'…'` with them (as Segment reads them); no
    /// escapes, as in Segment.
    Str(String),
    /// A number as written: `12`, `-3`, `99.5`, and as Segment's lexer also takes them: a bare
    /// sign (`-`, read as `Number("-")`, NaN) and a trailing point before more text (`1.`).
    Number(String),
    /// `.` ending a path before a segment that starts with a digit or a sign (`properties.0`):
    /// Segment's lexer reads a number there, so the path stops at the `.`.
    Dot,
    /// `=`, `!=`, `<`, `<=`, `>`, `>=`.
    Op(&'static str),
    /// `!` before `contains(…)` or `match(…)`.
    Bang,
    /// `and`.
    And,
    /// `or`.
    Or,
    /// `null`.
    Null,
    /// `(`.
    ParenLeft,
    /// `)`.
    ParenRight,
    /// `,`.
    Comma,
}

impl Token {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Token::Ident(s) => format!("`{s}`"),
            Token::Str(s) => format!("\"{s}\""),
            Token::Number(n) => n.clone(),
            Token::Op(op) => format!("`{op}`"),
            Token::Bang => "`!`".into(),
            Token::And => "`and`".into(),
            Token::Or => "`or`".into(),
            Token::Null => "`null`".into(),
            Token::ParenLeft => "`(`".into(),
            Token::ParenRight => "`)`".into(),
            Token::Comma => "`,`".into(),
            Token::Dot => "`.`".into(),
        }
    }
}

/// A token and its 1-based columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned {
    /// The token.
    pub token: Token,
    /// 1-based column (in characters) of its first character.
    pub column: usize,
    /// 1-based column just after its last character (where a token glued to it starts).
    pub end: usize,
}
