//! Splitting FQL text into tokens, each with the column where it starts.

use super::error::{SubscriptionError, SubscriptionReason};
use super::token::{Spanned, Token};

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'
}

/// Whether `c` starts a number.
fn starts_number(c: char) -> bool {
    c.is_ascii_digit() || c == '-' || c == '+'
}

/// Whether `c` (`None`: the end) ends a token where Segment's lexer checks for it: after a
/// number's decimal point.
fn is_terminator(c: Option<&char>) -> bool {
    c.is_none_or(|c| c.is_whitespace() || matches!(c, ',' | ']' | ')'))
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
            tokens.push(Spanned {
                token,
                column,
                end: column + len,
            });
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
            c if starts_number(c) => {
                // As Segment's lexer reads numbers: a sign or digit, then digits and at most one
                // point, which must not come last before white space, `,`, `]`, `)` or the end.
                let len = 1 + chars[i + 1..]
                    .iter()
                    .take_while(|ch| ch.is_ascii_digit() || **ch == '.')
                    .count();
                let text: String = chars[i..i + len].iter().collect();
                if text.matches('.').count() > 1
                    || text.ends_with('.') && is_terminator(chars.get(i + len))
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
                    } else if chars[j] == '.' && chars.get(j + 1).is_some_and(|c| starts_number(*c))
                    {
                        break;
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
                push(token, j - i, &mut i);
                if chars.get(j) == Some(&'.') {
                    // The word stopped before a segment that starts a number.
                    tokens.push(Spanned {
                        token: Token::Dot,
                        column: j + 1,
                        end: j + 2,
                    });
                    i += 1;
                }
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
    fn reads_numbers_and_misread_segments_as_segments_lexer_does() {
        // A bare sign is a number (NaN), and a point may end one before more text.
        assert_eq!(
            kinds("x = - or y = +"),
            vec![
                Token::Ident("x".into()),
                Token::Op("="),
                Token::Number("-".into()),
                Token::Or,
                Token::Ident("y".into()),
                Token::Op("="),
                Token::Number("+".into()),
            ]
        );
        // A path segment that starts with a digit or a sign ends the path: `.`, the number,
        // and the rest of the segment as pieces glued to it.
        let spanned = tokenize("properties.a.1b.c-2 = 1").unwrap();
        let pieces: Vec<(Token, usize, usize)> = spanned
            .into_iter()
            .map(|t| (t.token, t.column, t.end))
            .collect();
        assert_eq!(
            pieces,
            vec![
                (Token::Ident("properties.a".into()), 1, 13),
                (Token::Dot, 13, 14),
                (Token::Number("1".into()), 14, 15),
                (Token::Ident("b.c-2".into()), 15, 20),
                (Token::Op("="), 21, 22),
                (Token::Number("1".into()), 23, 24),
            ]
        );
        assert_eq!(
            kinds("traits.0.b"),
            vec![
                Token::Ident("traits".into()),
                Token::Dot,
                Token::Number("0.".into()),
                Token::Ident("b".into()),
            ]
        );
        // An escaped digit stays in the path, as in Segment.
        assert_eq!(
            kinds("properties.\\0"),
            vec![Token::Ident("properties.0".into())]
        );
        // A point before white space, `,`, `)` or the end, or a second point, is an error.
        for bad in [
            "x = 1.",
            "x = 1. ",
            "contains(x, 1.)",
            "x = 1.2.3",
            "x = 1..a",
        ] {
            let e = tokenize(bad).unwrap_err();
            assert_eq!(
                e.code(),
                crate::subscription::SubscriptionErrorCode::MalformedNumber,
                "{bad}"
            );
        }
    }

    #[test]
    fn reports_positions() {
        assert_eq!(tokenize(r#"type = "track"#).unwrap_err().position(), 8);
        assert_eq!(tokenize("type = $").unwrap_err().position(), 8);
        assert_eq!(tokenize("x = 1.2.3").unwrap_err().position(), 5);
    }
}
