//! Write keys, as Segment's API takes them: HTTP Basic with the key as user name (empty
//! password), or `writeKey` at the top of the body (segment-analytics-python and
//! analytics-kotlin send it only there).
//!
//! Keys are compared by their SHA-256 digests, every accepted key each time, with a
//! constant-time comparison of the fixed-size digests: the time taken says nothing about a
//! key's content or its length.

use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The user name of an `Authorization: Basic …` header (Segment's write key); `None` for any
/// other scheme or a header that does not decode.
pub fn basic_auth_user(header: &str) -> Option<String> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let user = text.split_once(':').map_or(text.as_str(), |(u, _)| u);
    (!user.is_empty()).then(|| user.to_string())
}

/// The accepted write keys (the `WRITE_KEYS` secret), kept as digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteKeys {
    digests: Vec<[u8; 32]>,
}

impl WriteKeys {
    /// Keys separated by commas, spaces or newlines.
    pub fn parse(secret: &str) -> WriteKeys {
        WriteKeys {
            digests: secret
                .split([',', ' ', '\n', '\r', '\t'])
                .filter(|k| !k.is_empty())
                .map(digest)
                .collect(),
        }
    }

    /// One key taken whole, spaces and commas included (`ADMIN_KEY`, a bearer secret); only
    /// surrounding whitespace is trimmed, and an empty key is no key.
    pub fn one(secret: &str) -> WriteKeys {
        let key = secret.trim();
        WriteKeys {
            digests: if key.is_empty() {
                Vec::new()
            } else {
                vec![digest(key)]
            },
        }
    }

    /// Whether no key is configured (then nobody is let in).
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Whether `candidate` is one of the keys.
    pub fn accepts(&self, candidate: &str) -> bool {
        let candidate = digest(candidate);
        self.digests
            .iter()
            .fold(subtle::Choice::from(0), |found, key| {
                found | key.ct_eq(&candidate)
            })
            .into()
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// What the `Authorization` header says about the caller, before the body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderAuth {
    /// A Basic header with an accepted key.
    Accepted,
    /// A Basic header with a key that is not accepted: refused without reading the body.
    Refused,
    /// No usable Basic header: the body's `writeKey` decides.
    Absent,
}

impl HeaderAuth {
    /// Reads the `Authorization` header.
    pub fn of(authorization: Option<&str>, keys: &WriteKeys) -> HeaderAuth {
        match authorization.and_then(basic_auth_user) {
            Some(key) if keys.accepts(&key) => HeaderAuth::Accepted,
            Some(_) => HeaderAuth::Refused,
            None => HeaderAuth::Absent,
        }
    }

    /// Whether the caller is let in, given the body's `writeKey` (used only when the header
    /// had none).
    pub fn with_body_key(self, body_key: Option<&str>, keys: &WriteKeys) -> bool {
        match self {
            HeaderAuth::Accepted => true,
            HeaderAuth::Refused => false,
            HeaderAuth::Absent => body_key.is_some_and(|k| keys.accepts(k)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:"))
        )
    }

    #[test]
    fn basic_header() {
        assert_eq!(basic_auth_user("Basic d2stMTo="), Some("wk-1".into()));
        assert_eq!(basic_auth_user("basic d2stMQ=="), Some("wk-1".into()));
        assert_eq!(basic_auth_user("BASIC  d2stMTo= "), Some("wk-1".into()));
        assert_eq!(basic_auth_user("Bearer x"), None);
        assert_eq!(basic_auth_user("Basic !!!"), None);
        assert_eq!(basic_auth_user("Basic Og=="), None, "empty user name");
        assert_eq!(basic_auth_user("Basic"), None);
    }

    #[test]
    fn keys_match_whole_and_exactly() {
        let keys = WriteKeys::parse("wk-1, wk-2\nwk-3,,");
        assert_eq!(keys.digests.len(), 3);
        assert!(keys.accepts("wk-2") && keys.accepts("wk-3"));
        for wrong in ["wk-", "wk-22", "WK-2", "", " wk-2", "wk-1,wk-2"] {
            assert!(!keys.accepts(wrong), "{wrong:?}");
        }
        assert!(WriteKeys::parse(" , \n").is_empty());
        let one = WriteKeys::one(" adm in,key \n");
        assert!(one.accepts("adm in,key") && !one.accepts("adm") && !one.accepts("key"));
        assert!(WriteKeys::one("  ").is_empty() && !WriteKeys::one("").accepts(""));
        assert!(!WriteKeys::parse("").accepts(""));
    }

    #[test]
    fn header_then_body() {
        let keys = WriteKeys::parse("wk-1");
        let accepted = HeaderAuth::of(Some(&basic("wk-1")), &keys);
        assert_eq!(accepted, HeaderAuth::Accepted);
        assert!(
            accepted.with_body_key(Some("other"), &keys),
            "the header wins"
        );
        let refused = HeaderAuth::of(Some(&basic("wk-2")), &keys);
        assert_eq!(refused, HeaderAuth::Refused);
        assert!(
            !refused.with_body_key(Some("wk-1"), &keys),
            "a wrong header is not rescued"
        );
        let absent = HeaderAuth::of(Some("Bearer token"), &keys);
        assert_eq!(absent, HeaderAuth::Absent);
        assert!(absent.with_body_key(Some("wk-1"), &keys));
        assert!(!absent.with_body_key(Some("wk-2"), &keys));
        assert!(!HeaderAuth::of(None, &keys).with_body_key(None, &keys));
    }
}
