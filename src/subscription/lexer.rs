//! FQL tokens, each with the column where it starts.

use crate::error::{SubscriptionError, SubscriptionReason};

/// One FQL token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A field path or bare word: `properties.total`, `true`, `contains`.
    Ident(String),
    /// A quoted string: `"…"` without its quotes, `'…'` with them (as Segment reads them); no
    /// escapes, as in Segment.
    Str(String),
    /// A number as written: `12`, `-3`, `99.5`.
    Number(String),
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
        }
    }
}

/// A token and its 1-based column.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned {
    /// The token.
    pub token: Token,
    /// 1-based column (in characters) of its first character.
    pub column: usize,
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'
}

/// Splits `source` into tokens.
pub fn tokenize(source: &str) -> Result<Vec<Spanned>, SubscriptionError> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let err = SubscriptionError::new;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let mut push = |token: Token, len: usize, i: &mut usize| {
            tokens.push(Spanned { token, column });
            *i += len;
        };
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => push(Token::ParenLeft, 1, &mut i),
            ')' => push(Token::ParenRight, 1, &mut i),
            ',' => push(Token::Comma, 1, &mut i),
            '=' => push(Token::Op("="), 1, &mut i),
            '!' if chars.get(i + 1) == Some(&'=') => push(Token::Op("!="), 2, &mut i),
            '!' => push(Token::Bang, 1, &mut i),
            '<' | '>' => {
                let with_eq = chars.get(i + 1) == Some(&'=');
                let op = match (c, with_eq) {
                    ('<', true) => "<=",
                    ('<', false) => "<",
                    (_, true) => ">=",
                    _ => ">",
                };
                push(Token::Op(op), if with_eq { 2 } else { 1 }, &mut i)
            }
            '"' | '\'' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|ch| *ch == c)
                    .ok_or_else(|| err(column, SubscriptionReason::UnterminatedString))?;
                // Segment strips double quotes only: a single-quoted value keeps its quotes.
                let from = if c == '"' { i + 1 } else { i };
                let text: String = chars[from..i + 2 + end - (from - i)].iter().collect();
                push(Token::Str(text), end + 2, &mut i)
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' => {
                let len = 1 + chars[i + 1..]
                    .iter()
                    .take_while(|ch| ch.is_ascii_digit() || **ch == '.')
                    .count();
                let text: String = chars[i..i + len].iter().collect();
                if text.matches('.').count() > 1
                    || text.ends_with('.')
                    || text.len() == 1 && !c.is_ascii_digit()
                {
                    return Err(err(column, SubscriptionReason::MalformedNumber(text)));
                }
                push(Token::Number(text), len, &mut i)
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == '\\' => {
                let mut word = String::new();
                let mut j = i;
                while j < chars.len() {
                    if chars[j] == '\\' {
                        let escaped = chars
                            .get(j + 1)
                            .ok_or_else(|| err(j + 1, SubscriptionReason::UnterminatedEscape))?;
                        word.push(*escaped);
                        j += 2;
                    } else if is_word_char(chars[j]) {
                        word.push(chars[j]);
                        j += 1;
                    } else {
                        break;
                    }
                }
                if word.ends_with('.') || word.contains("..") {
                    return Err(err(column, SubscriptionReason::MalformedField(word)));
                }
                let token = match word.as_str() {
                    "and" => Token::And,
                    "or" => Token::Or,
                    "null" => Token::Null,
                    _ => Token::Ident(word),
                };
                push(token, j - i, &mut i)
            }
            other => return Err(err(column, SubscriptionReason::UnexpectedCharacter(other))),
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Token> {
        tokenize(s).unwrap().into_iter().map(|t| t.token).collect()
    }

    #[test]
    fn tokenizes_expressions() {
        assert_eq!(
            kinds(r#"properties.total >= -3 and !contains(event, "x")"#),
            vec![
                Token::Ident("properties.total".into()),
                Token::Op(">="),
                Token::Number("-3".into()),
                Token::And,
                Token::Bang,
                Token::Ident("contains".into()),
                Token::ParenLeft,
                Token::Ident("event".into()),
                Token::Comma,
                Token::Str("x".into()),
                Token::ParenRight,
            ]
        );
        assert_eq!(
            kinds("order = null"),
            vec![Token::Ident("order".into()), Token::Op("="), Token::Null]
        );
    }

    #[test]
    fn reports_positions() {
        assert_eq!(tokenize(r#"type = "track"#).unwrap_err().position(), 8);
        assert_eq!(tokenize("type = $").unwrap_err().position(), 8);
        assert_eq!(tokenize("x = 1.2.3").unwrap_err().position(), 5);
    }
}
