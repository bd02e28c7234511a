//! From tokens to nodes: text, outputs, and tags, which may take the tokens that follow them
//! as their body (`{% if %}…{% endif %}`), as liquidjs's `Parser` and `ParseStream` do.

use super::ast::Node;
use super::error::{Code, Error};
use super::tags;
use super::text;
use super::tokenizer::{self, TagToken, Token, Tokenizer};

type Result<T> = std::result::Result<T, Error>;

/// Parses a whole template.
pub(crate) fn parse(input: &[u16]) -> Result<Vec<Node>> {
    let tokens = tokenizer::tokenize(input)?;
    Parser::new(input, tokens).parse_all()
}

/// The tokens still to parse.
pub(crate) struct Parser<'s> {
    pub(crate) input: &'s [u16],
    /// In reverse order, so that the next one is popped.
    rest: Vec<Token>,
}

/// What a block tag's body reader sees.
pub(crate) enum Event<'a> {
    /// A tag the block tag may claim (`elsif`, `else`, `endif`…).
    Tag(&'a TagToken),
    /// Any other piece of the body, parsed.
    Node(Node),
}

/// What the block tag answers.
pub(crate) enum Flow {
    Next,
    Stop,
    /// The tag is not one of the block's: parse it as a node of the body.
    NotMine,
}

impl<'s> Parser<'s> {
    pub(crate) fn new(input: &'s [u16], mut tokens: Vec<Token>) -> Parser<'s> {
        tokens.reverse();
        Parser {
            input,
            rest: tokens,
        }
    }

    pub(crate) fn next(&mut self) -> Option<Token> {
        self.rest.pop()
    }

    /// Every remaining token, as nodes.
    pub(crate) fn parse_all(&mut self) -> Result<Vec<Node>> {
        let mut nodes = Vec::new();
        while let Some(token) = self.next() {
            nodes.push(self.parse_token(token)?);
        }
        Ok(nodes)
    }

    /// One token as a node; a tag may read further tokens. Errors without a position are
    /// reported at the token.
    pub(crate) fn parse_token(&mut self, token: Token) -> Result<Node> {
        match token {
            Token::Html { .. } => {
                let (begin, end) = tokenizer::html_content(&token);
                Ok(Node::Text(begin as u32, end as u32))
            }
            Token::Output(d) => {
                let mut cursor = Tokenizer::new(self.input, d.content.0, d.content.1);
                let value = cursor.read_filtered_value()?;
                Ok(Node::Output(value, d.begin as u32))
            }
            Token::Tag(t) => {
                let at = t.d.begin as u32;
                let tag = tags::parse(self, &t).map_err(|e| e.or_at(at))?;
                Ok(Node::Tag(Box::new(tag), at))
            }
        }
    }

    /// Reads a block tag's body (liquidjs's `parseStream`): tags go to `handler` first, the
    /// rest is parsed and handed over as nodes, until `handler` stops. Running out of tokens
    /// is an error: the block is not closed.
    pub(crate) fn stream(
        &mut self,
        opener: &TagToken,
        handler: &mut dyn FnMut(Event) -> Result<Flow>,
    ) -> Result<()> {
        loop {
            let Some(token) = self.next() else {
                return Err(self.not_closed(opener));
            };
            if let Token::Tag(t) = &token {
                match handler(Event::Tag(t))? {
                    Flow::Next => continue,
                    Flow::Stop => return Ok(()),
                    Flow::NotMine => {}
                }
            }
            let node = self.parse_token(token)?;
            handler(Event::Node(node))?;
        }
    }

    /// Nodes up to the tag named `end` (which is consumed), for `capture` and `block`.
    pub(crate) fn body_until(&mut self, opener: &TagToken, end: &str) -> Result<Vec<Node>> {
        let mut nodes = Vec::new();
        while let Some(token) = self.next() {
            if matches!(&token, Token::Tag(t) if t.name == end) {
                return Ok(nodes);
            }
            nodes.push(self.parse_token(token)?);
        }
        Err(self.not_closed(opener))
    }

    /// Tokens up to the tag named `end` (consumed), unparsed, for `comment` and `raw`.
    pub(crate) fn skip_until(&mut self, opener: &TagToken, end: &str) -> Result<Vec<Token>> {
        let mut skipped = Vec::new();
        while let Some(token) = self.next() {
            if matches!(&token, Token::Tag(t) if t.name == end) {
                return Ok(skipped);
            }
            skipped.push(token);
        }
        Err(self.not_closed(opener))
    }

    /// `tag {% if x %} not closed`.
    pub(crate) fn not_closed(&self, opener: &TagToken) -> Error {
        Code::TagNotClosed(text::rust_string(opener.text(self.input))).into()
    }
}
