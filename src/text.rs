//! Cutting text that is quoted back or kept, in one place: by characters where a person reads
//! it (what a sender sent), by bytes where a store's limit counts (dead letters, samples).

/// Most characters of a sender's text quoted back in an answer.
pub const QUOTED_CHARS: usize = 100;

/// The first `max` characters of `text`.
pub fn clip_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => text[..end].to_string(),
        None => text.to_string(),
    }
}

/// `text` cut to at most `max` bytes, on a character boundary.
pub fn clip_bytes(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Text from a request quoted back, at most [`QUOTED_CHARS`] characters of it.
pub fn quoted(text: &str) -> String {
    clip_chars(text, QUOTED_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_on_boundaries() {
        assert_eq!(clip_chars("héllo", 2), "hé");
        assert_eq!(clip_chars("hé", 5), "hé");
        assert_eq!(clip_bytes("hé", 2), "h");
        assert_eq!(clip_bytes("hé", 3), "hé");
        assert_eq!(clip_bytes("", 0), "");
        assert_eq!(quoted(&"x".repeat(300)).len(), QUOTED_CHARS);
    }
}
