//! Reading a request body with bounded resources: the headers are checked first (content
//! encoding, a declared `Content-Length` over the limit is refused before a byte is read), then
//! the body is taken chunk by chunk into a [`BodyReader`] that never holds more than
//! [`MAX_REQUEST_BYTES`], counted after gzip decoding as well as on the wire.
//!
//! The content type is judged by the body, not the label: senders mislabel JSON
//! (RudderStack's Node SDK posts its gzip JSON as `application/x-www-form-urlencoded`, because
//! axios labels any Buffer so), and refusing them loses every event, as an SDK does not retry
//! a 4xx. So a body that is JSON is taken under any type; one that is not is 400 under a JSON
//! type (`application/json`, `+json`, `text/plain`, or none) and 415 under any other.
//! Segment's API documents only `application/json` and answers JSON errors 400.

use super::gzip::{GzipBody, GzipError};
use super::{IngestError, MAX_REQUEST_BYTES};

/// Most bytes of a refused body read (and dropped, never kept) after the refusal, so that the
/// connection it came on stays usable.
pub const DRAIN_MAX_BYTES: usize = 8 << 20;
/// Longest time spent on that.
pub const DRAIN_MAX_MS: u64 = 1_000;

/// The request headers that decide how a body is read.
#[derive(Debug, Clone, Copy, Default)]
pub struct BodyHead<'a> {
    /// `Content-Type`.
    pub content_type: Option<&'a str>,
    /// `Content-Encoding`.
    pub content_encoding: Option<&'a str>,
    /// `Content-Length`, when the sender declared one.
    pub content_length: Option<&'a str>,
}

/// A body being read: what has arrived so far, decoded, within the limits.
pub struct BodyReader {
    wire_bytes: usize,
    decoded: Decoded,
    /// The `Content-Type` (clipped) when it does not name JSON: the body must then prove to
    /// be JSON, or it is 415.
    other_type: Option<String>,
}

enum Decoded {
    Identity(Vec<u8>),
    Gzip(Box<GzipBody>),
}

impl BodyReader {
    /// Checks the headers; a reader for the body when they allow it.
    pub fn for_request(head: BodyHead<'_>) -> Result<BodyReader, IngestError> {
        let other_type = head.content_type.filter(|ct| !names_json(ct)).map(clip);
        let gzip = gzip_encoded(head.content_encoding)?;
        if let Some(declared) = head.content_length {
            let length = declared.trim().parse::<u64>().map_err(|_| {
                IngestError::Malformed(format!("Content-Length {declared:?} is not a number"))
            })?;
            if length > MAX_REQUEST_BYTES as u64 {
                return Err(IngestError::RequestTooLarge(Some(length)));
            }
        }
        Ok(BodyReader {
            other_type,
            wire_bytes: 0,
            decoded: if gzip {
                Decoded::Gzip(Box::new(GzipBody::new(MAX_REQUEST_BYTES)))
            } else {
                Decoded::Identity(Vec::new())
            },
        })
    }

    /// Takes the next chunk of the body; an error means: stop reading, answer it.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), IngestError> {
        self.wire_bytes = self.wire_bytes.saturating_add(chunk.len());
        if self.wire_bytes > MAX_REQUEST_BYTES {
            return Err(IngestError::RequestTooLarge(None));
        }
        match &mut self.decoded {
            Decoded::Identity(bytes) => {
                bytes.extend_from_slice(chunk);
                Ok(())
            }
            Decoded::Gzip(body) => body.push(chunk).map_err(gzip_error),
        }
    }

    /// The whole body, decoded; under a type that does not name JSON, only when it is JSON.
    pub fn finish(self) -> Result<Vec<u8>, IngestError> {
        let bytes = match self.decoded {
            Decoded::Identity(bytes) => bytes,
            Decoded::Gzip(body) => body.finish().map_err(gzip_error)?,
        };
        match self.other_type {
            Some(other) if !is_json(&bytes) => Err(IngestError::UnsupportedContentType(other)),
            _ => Ok(bytes),
        }
    }
}

fn gzip_error(e: GzipError) -> IngestError {
    match e {
        GzipError::TooLarge => IngestError::DecodedTooLarge,
        GzipError::Corrupt(why) => {
            IngestError::Malformed(format!("the gzip body cannot be decoded: {why}"))
        }
    }
}

/// Whether a `Content-Type` names JSON in one of the forms Segment's SDKs send:
/// `application/json`, `+json` types, and `text/plain`, which analytics.js sends so that
/// browsers need no preflight for the type.
fn names_json(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    media == "application/json" || media == "text/plain" || media.ends_with("+json")
}

/// Whether the bytes are one JSON text (read without building it; the envelope is read later).
fn is_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
}

/// Whether the body is gzip (`gzip`, or `x-gzip` as old clients write it); `identity` and no
/// header mean as is; anything else is refused.
fn gzip_encoded(content_encoding: Option<&str>) -> Result<bool, IngestError> {
    let Some(encoding) = content_encoding else {
        return Ok(false);
    };
    match encoding.trim().to_ascii_lowercase().as_str() {
        "" | "identity" => Ok(false),
        "gzip" | "x-gzip" => Ok(true),
        _ => Err(IngestError::UnsupportedEncoding(clip(encoding))),
    }
}

use crate::text::quoted as clip;

#[cfg(test)]
mod tests {
    use super::super::gzip::compress;
    use super::*;

    fn read(head: BodyHead<'_>, body: &[u8], chunk: usize) -> Result<Vec<u8>, IngestError> {
        let mut reader = BodyReader::for_request(head)?;
        for part in body.chunks(chunk.max(1)) {
            reader.push(part)?;
        }
        reader.finish()
    }

    const JSON: BodyHead<'static> = BodyHead {
        content_type: Some("application/json"),
        content_encoding: None,
        content_length: None,
    };

    #[test]
    fn plain_and_gzip_bodies() {
        let text = br#"{"type":"track"}"#;
        assert_eq!(read(JSON, text, 3).unwrap(), text);
        let gzip = BodyHead {
            content_encoding: Some("gzip"),
            ..JSON
        };
        assert_eq!(read(gzip, &compress(text), 5).unwrap(), text);
        let x_gzip = BodyHead {
            content_encoding: Some(" X-Gzip "),
            content_type: Some("text/plain;charset=UTF-8"),
            ..JSON
        };
        assert_eq!(read(x_gzip, &compress(text), 64).unwrap(), text);
        let identity = BodyHead {
            content_encoding: Some("identity"),
            content_type: None,
            ..JSON
        };
        assert_eq!(read(identity, text, 64).unwrap(), text);
    }

    #[test]
    fn refuses_by_the_headers_before_reading() {
        let declared = BodyHead {
            content_length: Some("3000000"),
            ..JSON
        };
        assert_eq!(
            BodyReader::for_request(declared).err(),
            Some(IngestError::RequestTooLarge(Some(3_000_000)))
        );
        let at_limit = MAX_REQUEST_BYTES.to_string();
        assert!(BodyReader::for_request(BodyHead {
            content_length: Some(&at_limit),
            ..JSON
        })
        .is_ok());
        for (head, status) in [
            (
                BodyHead {
                    content_length: Some("-1"),
                    ..JSON
                },
                400,
            ),
            (
                BodyHead {
                    content_length: Some("99999999999999999999999"),
                    ..JSON
                },
                400,
            ),
            (
                BodyHead {
                    content_encoding: Some("br"),
                    ..JSON
                },
                415,
            ),
            (
                BodyHead {
                    content_encoding: Some("gzip, gzip"),
                    ..JSON
                },
                415,
            ),
        ] {
            assert_eq!(
                BodyReader::for_request(head).err().map(|e| e.status()),
                Some(status)
            );
        }
    }

    #[test]
    fn json_is_taken_under_any_type_and_anything_else_only_under_a_json_type() {
        let text = br#"{"batch":[]}"#;
        for content_type in [
            "application/x-www-form-urlencoded",
            "application/octet-stream",
            "multipart/form-data; boundary=x",
            "",
            "nonsense",
        ] {
            let head = BodyHead {
                content_type: Some(content_type),
                ..JSON
            };
            assert_eq!(read(head, text, 4).unwrap(), text, "{content_type:?}");
            // RudderStack's Node SDK: gzip JSON labelled as a form.
            let gzip = BodyHead {
                content_encoding: Some("gzip"),
                ..head
            };
            assert_eq!(read(gzip, &compress(text), 7).unwrap(), text);
            // Not JSON under a type that is not JSON: 415, after the whole body was read.
            assert_eq!(
                read(head, b"a=1&b=2", 3).map_err(|e| e.status()),
                Err(415),
                "{content_type:?}"
            );
            assert_eq!(
                read(gzip, &compress(b"<event/>"), 3).map_err(|e| e.status()),
                Err(415)
            );
        }
        // Not JSON under a JSON type (or none) is the envelope's to call malformed: 400 later.
        for content_type in [Some("application/json"), Some("Text/Plain"), None] {
            let head = BodyHead {
                content_type,
                ..JSON
            };
            assert_eq!(read(head, b"a=1", 2).unwrap(), b"a=1");
        }
        let long = "x".repeat(10_000);
        let Err(IngestError::UnsupportedContentType(quoted)) = read(
            BodyHead {
                content_type: Some(&long),
                ..JSON
            },
            b"x",
            1,
        ) else {
            panic!("refused")
        };
        assert_eq!(quoted.len(), 100, "a header is quoted back only in part");
    }

    #[test]
    fn never_holds_more_than_the_limit() {
        // Without Content-Length (chunked), 3 MB: refused at the first chunk past the limit.
        let mut reader = BodyReader::for_request(JSON).unwrap();
        let chunk = vec![b' '; 64 << 10];
        let mut taken = 0;
        let refused = loop {
            match reader.push(&chunk) {
                Ok(()) => taken += chunk.len(),
                Err(e) => break e,
            }
            assert!(taken <= MAX_REQUEST_BYTES);
        };
        assert_eq!(refused, IngestError::RequestTooLarge(None));
        assert_eq!(refused.status(), 413);
        // A declared length that lies is no way around it.
        let lying = BodyHead {
            content_length: Some("10"),
            ..JSON
        };
        assert_eq!(
            read(lying, &vec![b' '; MAX_REQUEST_BYTES + 1], 1 << 16),
            Err(IngestError::RequestTooLarge(None))
        );
    }

    #[test]
    fn gzip_limits_apply_to_the_decoded_size() {
        let gzip = BodyHead {
            content_encoding: Some("gzip"),
            ..JSON
        };
        let bomb = compress(&vec![b' '; 20 << 20]);
        assert_eq!(
            read(gzip, &bomb, 8 << 10),
            Err(IngestError::DecodedTooLarge)
        );
        assert_eq!(IngestError::DecodedTooLarge.status(), 413);
        let just_over = compress(&vec![b' '; MAX_REQUEST_BYTES + 1]);
        assert_eq!(
            read(gzip, &just_over, 8 << 10),
            Err(IngestError::DecodedTooLarge)
        );
        let at_limit = compress(&vec![b' '; MAX_REQUEST_BYTES]);
        assert_eq!(
            read(gzip, &at_limit, 8 << 10).unwrap().len(),
            MAX_REQUEST_BYTES
        );
        let not_gzip = read(gzip, br#"{"type":"track"}"#, 64).unwrap_err();
        assert_eq!(not_gzip.status(), 400);
        assert!(
            not_gzip.message().contains("gzip"),
            "{}",
            not_gzip.message()
        );
    }
}
