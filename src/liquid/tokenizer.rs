//! Reading a template the way liquidjs's `Tokenizer` reads it: its character classes, a
//! cursor over the template, and the top-level tokens (text, `{% tags %}`, `{{ outputs }}`,
//! with whitespace control). Values, expressions and filters inside a tag or output are read
//! with the same cursor, in [`super::expression`].
//!
//! The algorithm follows liquidjs step by step, including its exact character classes (`-`
//! and `?` are word characters, `+` starts a number), because templates that Segment accepts
//! must be accepted here and read the same way.

use super::error::{Code, Error};
use super::text::{self, JsStr};

type Result<T> = std::result::Result<T, Error>;

const WORD: u8 = 1;
const BLANK: u8 = 4;
const QUOTE: u8 = 8;
pub(super) const NUMBER: u8 = 32;
pub(super) const SIGN: u8 = 64;

/// liquidjs's character classes (its `TYPES` table).
fn class(u: u16) -> u8 {
    match u {
        0x09 | 0x0D | 0x20 => 20,
        0x0A..=0x0C => BLANK,
        0x21 | 0x3C..=0x3E => 2,
        0x22 | 0x27 => QUOTE,
        0x2B => SIGN,
        0x2D => SIGN | WORD,
        0x30..=0x39 => NUMBER | WORD,
        0x3F | 0x41..=0x5A | 0x5F | 0x61..=0x7A => WORD,
        0xA0 | 0x1680 | 0x180E | 0x2000..=0x200A | 0x2028 | 0x2029 | 0x202F | 0x205F | 0x3000 => {
            BLANK
        }
        0x201C | 0x201D => 128,
        _ => 0,
    }
}

/// liquidjs's `isWord`: ASCII letters, digits, `_`, `-`, `?`, and nearly everything
/// non-ASCII.
pub(super) fn is_word(u: Option<u16>) -> bool {
    match u {
        None => false,
        Some(u) if u >= 128 => class(u) == 0,
        Some(u) => class(u) & WORD != 0,
    }
}

/// Whether a code unit is blank (white space liquidjs skips between tokens).
pub(crate) fn is_blank(u: u16) -> bool {
    class(u) & BLANK != 0
}

/// A cursor over `input[p..n]` (a whole template, or the inside of one tag).
pub(crate) struct Tokenizer<'s> {
    pub(crate) input: &'s [u16],
    pub(crate) p: usize,
    pub(crate) n: usize,
}

impl<'s> Tokenizer<'s> {
    pub(crate) fn new(input: &'s [u16], p: usize, n: usize) -> Tokenizer<'s> {
        Tokenizer { input, p, n }
    }

    pub(crate) fn end(&self) -> bool {
        self.p >= self.n
    }

    pub(crate) fn peek_at(&self, k: usize) -> Option<u16> {
        let i = self.p + k;
        if i >= self.n {
            None
        } else {
            self.input.get(i).copied()
        }
    }

    pub(crate) fn peek(&self) -> Option<u16> {
        self.peek_at(0)
    }

    pub(super) fn peek_is(&self, c: u8) -> bool {
        self.peek() == Some(u16::from(c))
    }

    pub(super) fn peek_class(&self, k: usize) -> u8 {
        self.peek_at(k).map_or(0, class)
    }

    /// `input[p++]`, which (as in liquidjs) may read past `n`.
    pub(super) fn read(&mut self) -> Option<u16> {
        let u = self.input.get(self.p).copied();
        self.p += 1;
        u
    }

    pub(crate) fn skip_blank(&mut self) {
        while self.peek_class(0) & BLANK != 0 {
            self.p += 1;
        }
    }

    pub(crate) fn error(&self, code: Code) -> Error {
        Error::at(code, self.p)
    }

    /// liquidjs's `snapshot`: the rest of the input from `begin`, at most 32 characters, as
    /// a JSON string.
    pub(crate) fn snapshot(&self, begin: usize) -> String {
        let rest = self.input.get(begin..self.n.max(begin)).unwrap_or(&[]);
        let mut shown = rest.to_vec();
        if shown.len() > 32 {
            shown.truncate(29);
            shown.extend(text::utf16("..."));
        }
        let mut out = Vec::new();
        text::json_quote(&shown, &mut out);
        text::rust_string(&out)
    }

    /// Whether `word` starts at `p` (looking past `n`, as liquidjs does).
    fn matches(&self, word: &str) -> bool {
        word.bytes()
            .enumerate()
            .all(|(i, b)| self.input.get(self.p + i) == Some(&u16::from(b)))
    }

    /// Whether `word` ends just before `p`.
    fn rmatches(&self, word: &str) -> bool {
        let len = word.len();
        self.p >= len
            && word
                .bytes()
                .enumerate()
                .all(|(i, b)| self.input.get(self.p - len + i) == Some(&u16::from(b)))
    }

    /// Advances past the next `word`; its end, or `None` (at `n`).
    pub(crate) fn read_to(&mut self, word: &str) -> Option<usize> {
        while self.p < self.n {
            self.p += 1;
            if self.rmatches(word) {
                return Some(self.p);
            }
        }
        None
    }

    fn read_to_delimiter(&mut self, word: &str, respect_quoted: bool) -> Option<usize> {
        self.skip_blank();
        while self.p < self.n {
            if respect_quoted && self.peek_class(0) & QUOTE != 0 {
                // Only the extent matters here; the string is read again later.
                let _ = self.read_quoted();
                continue;
            }
            self.p += 1;
            if self.rmatches(word) {
                return Some(self.p);
            }
        }
        None
    }

    /// The longest of `words` at `p` (within `n`), as liquidjs's tries find it; a word that
    /// ends in a word character must not be followed by one (`android` holds no `and`).
    pub(super) fn match_word<T: Copy>(&self, words: &[(&str, T)]) -> Option<(usize, T)> {
        let mut best: Option<(usize, T)> = None;
        for &(w, v) in words {
            let fits = self.p + w.len() <= self.n && self.matches(w);
            if fits && best.is_none_or(|(len, _)| w.len() > len) {
                best = Some((w.len(), v));
            }
        }
        let (len, value) = best?;
        let needs_boundary = is_word(self.input.get(self.p + len - 1).copied());
        if needs_boundary && is_word(self.peek_at(len)) {
            return None;
        }
        Some((self.p + len, value))
    }

    // ---- Identifiers and tag names -------------------------------------------------------

    /// liquidjs's `readIdentifier`: a run of word characters (possibly empty).
    pub(crate) fn read_identifier(&mut self) -> (usize, usize) {
        self.skip_blank();
        let begin = self.p;
        while !self.end() && is_word(self.peek()) {
            self.p += 1;
        }
        (begin, self.p)
    }

    pub(crate) fn slice(&self, (begin, end): (usize, usize)) -> &'s [u16] {
        self.input.get(begin..end.max(begin)).unwrap_or(&[])
    }

    pub(super) fn read_non_empty_identifier(&mut self) -> Option<JsStr> {
        let span = self.read_identifier();
        (span.1 > span.0).then(|| self.slice(span).into())
    }

    /// A tag's name: `#` (inline comment) or an identifier.
    pub(crate) fn read_tag_name(&mut self) -> String {
        self.skip_blank();
        if self.input.get(self.p) == Some(&u16::from(b'#')) {
            self.p += 1;
            return "#".into();
        }
        let span = self.read_identifier();
        text::rust_string(self.slice(span))
    }

    /// A quoted string (which runs to `n` when it is not closed), escapes resolved.
    pub(crate) fn read_quoted(&mut self) -> Result<Option<JsStr>> {
        self.skip_blank();
        let begin = self.p;
        if self.peek_class(0) & QUOTE == 0 {
            return Ok(None);
        }
        self.p += 1;
        let mut escaped = false;
        while self.p < self.n {
            self.p += 1;
            let u = self.input[self.p - 1];
            if u == self.input[begin] && !escaped {
                break;
            }
            if escaped {
                escaped = false;
            } else if u == u16::from(b'\\') {
                escaped = true;
            }
        }
        match string_literal(&self.input[begin..self.p]) {
            Ok(units) => Ok(Some(units.into())),
            Err(code) => Err(Error::at(code, begin)),
        }
    }
}

/// liquidjs's `parseStringLiteral`: the text between the first and the last character, with
/// `\n`-style, `\uXXXX` and octal escapes resolved and any other escaped character kept.
fn string_literal(quoted: &[u16]) -> std::result::Result<Vec<u16>, Code> {
    let hex = |u: Option<&u16>| {
        u.and_then(|&u| char::from_u32(u32::from(u)))
            .and_then(|c| c.to_digit(16))
    };
    let is_oct = |u: Option<&u16>| u.is_some_and(|&u| (0x30..=0x37).contains(&u));
    let mut out = Vec::new();
    let last = quoted.len().saturating_sub(1);
    let mut i = 1;
    while i < last {
        if quoted[i] != u16::from(b'\\') {
            out.push(quoted[i]);
            i += 1;
            continue;
        }
        let next = quoted.get(i + 1).copied();
        let simple = next.and_then(|u| match u8::try_from(u).ok()? {
            b'b' => Some(0x08),
            b'f' => Some(0x0C),
            b'n' => Some(0x0A),
            b'r' => Some(0x0D),
            b't' => Some(0x09),
            b'v' => Some(0x0B),
            _ => None,
        });
        if let Some(u) = simple {
            out.push(u);
            i += 2;
        } else if next == Some(u16::from(b'u')) {
            let mut value: u32 = 0;
            let mut j = i + 2;
            while j <= i + 5 {
                if j >= quoted.len() {
                    // liquidjs tests the text "undefined" (which has hex digits) and then
                    // reads the character that is not there: a TypeError.
                    return Err(Code::UnreadableEscape);
                }
                let Some(digit) = hex(quoted.get(j)) else {
                    break;
                };
                value = value * 16 + digit;
                j += 1;
            }
            i = j;
            out.push(value as u16);
        } else if !is_oct(next.as_ref()) {
            out.extend(next);
            i += 2;
        } else {
            let mut value: u16 = 0;
            let mut j = i + 1;
            while j <= i + 3 && is_oct(quoted.get(j)) {
                value = value * 8 + (quoted[j] - 0x30);
                j += 1;
            }
            i = j;
            out.push(value);
        }
    }
    Ok(out)
}

// ---- Top-level tokens ----------------------------------------------------------------------

/// A `{% %}` or `{{ }}` token: its extent, the extent of its content (delimiters, `-` and
/// blanks removed) and whether it trims the text around it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Delimited {
    pub(crate) begin: usize,
    pub(crate) end: usize,
    pub(crate) content: (usize, usize),
    trim_left: bool,
    trim_right: bool,
}

impl Delimited {
    fn new(input: &[u16], begin: usize, end: usize, content: (usize, usize)) -> Delimited {
        let dash = u16::from(b'-');
        let tl = input.get(content.0) == Some(&dash);
        let tr = content.1 > 0 && input.get(content.1 - 1) == Some(&dash);
        let mut l = if tl { content.0 + 1 } else { content.0 };
        let mut r = if tr { content.1 - 1 } else { content.1 };
        while l < r && is_blank(input[l]) {
            l += 1;
        }
        while r > l && is_blank(input[r - 1]) {
            r -= 1;
        }
        Delimited {
            begin,
            end,
            content: (l, r),
            trim_left: tl,
            trim_right: tr,
        }
    }
}

/// A tag token: name, and where its arguments start.
#[derive(Clone, Debug)]
pub(crate) struct TagToken {
    pub(crate) d: Delimited,
    pub(crate) name: String,
    pub(crate) args_at: usize,
}

impl TagToken {
    fn new(input: &[u16], d: Delimited, liquid_line: bool) -> Result<TagToken> {
        let mut cursor = Tokenizer::new(input, d.content.0, d.content.1);
        let name = cursor.read_tag_name();
        if name.is_empty() {
            let code = if liquid_line {
                Code::LiquidTagSyntax
            } else {
                Code::TagNameExpected
            };
            return Err(cursor.error(code));
        }
        cursor.skip_blank();
        Ok(TagToken {
            d,
            name,
            args_at: cursor.p,
        })
    }

    /// A tokenizer over the tag's arguments.
    pub(crate) fn args<'s>(&self, input: &'s [u16]) -> Tokenizer<'s> {
        Tokenizer::new(input, self.args_at, self.d.content.1)
    }

    /// The tag's arguments as text.
    pub(crate) fn args_text<'s>(&self, input: &'s [u16]) -> &'s [u16] {
        input.get(self.args_at..self.d.content.1).unwrap_or(&[])
    }

    /// The whole tag as written.
    pub(crate) fn text<'s>(&self, input: &'s [u16]) -> &'s [u16] {
        input.get(self.d.begin..self.d.end).unwrap_or(&[])
    }
}

/// A top-level token.
#[derive(Clone, Debug)]
pub(crate) enum Token {
    /// Text, with how much whitespace control took off each end.
    Html {
        begin: usize,
        end: usize,
        trim_left: usize,
        trim_right: usize,
    },
    Tag(TagToken),
    Output(Delimited),
}

impl Token {
    /// The token as written (what `{% raw %}` prints).
    pub(crate) fn text<'s>(&self, input: &'s [u16]) -> &'s [u16] {
        let (begin, end) = match self {
            Token::Html { begin, end, .. } => (*begin, *end),
            Token::Tag(t) => (t.d.begin, t.d.end),
            Token::Output(d) => (d.begin, d.end),
        };
        input.get(begin..end).unwrap_or(&[])
    }
}

/// Splits a template into its top-level tokens and applies whitespace control.
pub(crate) fn tokenize(input: &[u16]) -> Result<Vec<Token>> {
    let mut cursor = Tokenizer::new(input, 0, input.len());
    let mut raw_begin: Option<usize> = None;
    let mut tokens = Vec::new();
    while cursor.p < cursor.n {
        let token = if let Some(rb) = raw_begin {
            cursor.read_endraw_or_raw_content(rb, &mut raw_begin)?
        } else if cursor.matches("{%") {
            let begin = cursor.p;
            if cursor.read_to_delimiter("%}", false).is_none() {
                return Err(Error::at(Code::TagNotClosed(cursor.snapshot(begin)), begin));
            }
            let d = Delimited::new(input, begin, cursor.p, (begin + 2, cursor.p - 2));
            let tag = TagToken::new(input, d, false)?;
            if tag.name == "raw" {
                raw_begin = Some(begin);
            }
            Token::Tag(tag)
        } else if cursor.matches("{{") {
            let begin = cursor.p;
            if cursor.read_to_delimiter("}}", true).is_none() {
                return Err(Error::at(
                    Code::OutputNotClosed(cursor.snapshot(begin)),
                    begin,
                ));
            }
            Token::Output(Delimited::new(
                input,
                begin,
                cursor.p,
                (begin + 2, cursor.p - 2),
            ))
        } else {
            let begin = cursor.p;
            while cursor.p < cursor.n && !cursor.matches("{%") && !cursor.matches("{{") {
                cursor.p += 1;
            }
            Token::Html {
                begin,
                end: cursor.p,
                trim_left: 0,
                trim_right: 0,
            }
        };
        tokens.push(token);
    }
    whitespace_control(input, &mut tokens);
    Ok(tokens)
}

impl Tokenizer<'_> {
    /// Inside `{% raw %}`: the text up to the `{% endraw %}`, then that tag.
    fn read_endraw_or_raw_content(
        &mut self,
        raw_begin: usize,
        state: &mut Option<usize>,
    ) -> Result<Token> {
        let begin = self.p;
        let mut left = self.read_to("{%").map_or(-3, |p| p as isize - 2);
        while self.p < self.n {
            let id = self.read_identifier();
            if !text::eq_ascii(self.slice(id), "endraw") {
                left = self.read_to("{%").map_or(-3, |p| p as isize - 2);
                continue;
            }
            while self.p <= self.n {
                if self.rmatches("%}") {
                    let end = self.p;
                    if begin as isize == left {
                        *state = None;
                        let d = Delimited::new(self.input, begin, end, (begin + 2, end - 2));
                        return TagToken::new(self.input, d, false).map(Token::Tag);
                    }
                    self.p = left.max(0) as usize;
                    return Ok(Token::Html {
                        begin,
                        end: self.p,
                        trim_left: 0,
                        trim_right: 0,
                    });
                }
                if self.rmatches("{%") {
                    break;
                }
                self.p += 1;
            }
        }
        Err(Error::at(
            Code::RawNotClosed(self.snapshot(raw_begin)),
            begin,
        ))
    }

    /// The lines of `{% liquid %}`, each a tag token.
    pub(crate) fn read_liquid_tag_tokens(&mut self) -> Result<Vec<Token>> {
        let mut tokens = Vec::new();
        while self.p < self.n {
            self.skip_blank();
            if self.end() {
                break;
            }
            let begin = self.p;
            self.read_to_delimiter("\n", false);
            let d = Delimited::new(self.input, begin, self.p, (begin, self.p));
            tokens.push(Token::Tag(TagToken::new(self.input, d, true)?));
        }
        Ok(tokens)
    }
}

/// `{%-`, `-%}`, `{{-`, `-}}`: blanks (new lines included) next to the marker are removed
/// from the neighbouring text, except inside `{% raw %}`.
fn whitespace_control(input: &[u16], tokens: &mut [Token]) {
    let blank_at = |i: isize| i >= 0 && input.get(i as usize).is_some_and(|&u| is_blank(u));
    let mut in_raw = false;
    for i in 0..tokens.len() {
        let (d, name) = match &tokens[i] {
            Token::Tag(t) => (t.d, Some(t.name.clone())),
            Token::Output(d) => (*d, None),
            Token::Html { .. } => continue,
        };
        if !in_raw && d.trim_left && i > 0 {
            if let Token::Html {
                end, trim_right, ..
            } = &mut tokens[i - 1]
            {
                while blank_at(*end as isize - 1 - *trim_right as isize) {
                    *trim_right += 1;
                }
            }
        }
        match name.as_deref() {
            Some("raw") => in_raw = true,
            Some("endraw") => in_raw = false,
            _ => {}
        }
        if !in_raw && d.trim_right {
            if let Some(Token::Html {
                begin, trim_left, ..
            }) = tokens.get_mut(i + 1)
            {
                while blank_at((*begin + *trim_left) as isize) {
                    *trim_left += 1;
                }
            }
        }
    }
}

/// Where the text of a text token is after whitespace control (start and end offsets).
pub(crate) fn html_content(token: &Token) -> (usize, usize) {
    match token {
        Token::Html {
            begin,
            end,
            trim_left,
            trim_right,
        } => {
            let from = begin + trim_left;
            (from, end.saturating_sub(*trim_right).max(from))
        }
        _ => (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(s: &str) -> Vec<u16> {
        text::utf16(s)
    }

    #[test]
    fn string_literals_resolve_escapes_like_liquidjs() {
        let lit = |s: &str| text::rust_string(&string_literal(&lex(s)).unwrap());
        assert_eq!(lit(r#""a\nb""#), "a\nb");
        assert_eq!(lit(r#""\u0041\101\q""#), "AAq");
        assert_eq!(lit(r#""unclosed"#), "unclose");
        assert_eq!(string_literal(&lex(r#""\ud83c""#)).unwrap(), [0xD83C]);
        assert_eq!(string_literal(&lex(r#""\u1"#)), Err(Code::UnreadableEscape));
    }

    #[test]
    fn top_level_tokens_and_whitespace_control() {
        let src = lex("a \n{%- if x -%}\n b {{ y }}");
        let tokens = tokenize(&src).unwrap();
        assert_eq!(tokens.len(), 4);
        let content = |t: &Token| {
            let (a, b) = html_content(t);
            text::rust_string(&src[a..b])
        };
        assert_eq!(content(&tokens[0]), "a");
        assert_eq!(content(&tokens[2]), "b ");
        let Token::Tag(tag) = &tokens[1] else {
            panic!("a tag")
        };
        assert_eq!(tag.name, "if");
        assert_eq!(text::rust_string(tag.args_text(&src)), "x");
    }

    #[test]
    fn unclosed_delimiters_are_errors_at_their_start() {
        let e = tokenize(&lex("ab{{ x")).unwrap_err();
        assert_eq!(e.offset(), Some(2));
        assert!(matches!(e.code(), Code::OutputNotClosed(_)));
        assert!(matches!(
            tokenize(&lex("{% raw %}x")).unwrap_err().code(),
            Code::RawNotClosed(_)
        ));
    }

    #[test]
    fn raw_content_is_one_text_token() {
        let src = lex("{% raw %}{{ x }}{% endraw %}");
        let tokens = tokenize(&src).unwrap();
        assert_eq!(tokens.len(), 3);
        assert_eq!(text::rust_string(tokens[1].text(&src)), "{{ x }}");
    }
}
