//! `base64_encode` and `base64_decode` (text as UTF-8, as Node's `Buffer` has it: a lone
//! surrogate is U+FFFD).

use super::{charged_input, Error};
use crate::liquid::error::Code;
use crate::liquid::render::Context;
use crate::liquid::text;
use crate::liquid::value::Value;
use base64::Engine;

type Out<'d> = Result<Value<'d>, Error>;

pub(crate) fn base64_encode<'d>(
    cx: &mut Context<'_, 'd>,
    v: Value<'d>,
    _: &[Value<'d>],
) -> Out<'d> {
    let s = charged_input(cx, &v)?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text::utf8(&s));
    Ok(Value::str(&encoded))
}

/// Standard base64; white space is ignored, the padding optional. Bytes that are not UTF-8
/// become U+FFFD.
pub(crate) fn base64_decode<'d>(
    cx: &mut Context<'_, 'd>,
    v: Value<'d>,
    _: &[Value<'d>],
) -> Out<'d> {
    let s = charged_input(cx, &v)?;
    let mut compact: Vec<u8> = Vec::with_capacity(s.len());
    for &u in &s {
        match u {
            0x09 | 0x0A | 0x0C | 0x0D | 0x20 => {}
            u => compact.push(u8::try_from(u).map_err(|_| Error::from(Code::InvalidBase64))?),
        }
    }
    if compact.len().is_multiple_of(4) {
        let pad = compact
            .iter()
            .rev()
            .take(2)
            .take_while(|&&b| b == b'=')
            .count();
        compact.truncate(compact.len() - pad);
    }
    let alphabet = |b: &u8| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/';
    if compact.len() % 4 == 1 || !compact.iter().all(alphabet) {
        return Err(Code::InvalidBase64.into());
    }
    let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(&compact)
        .or_else(|_| lenient_decode(&compact))?;
    Ok(Value::str(&String::from_utf8_lossy(&decoded)))
}

/// Node ignores the bits left over after the last whole byte, which the strict decoder
/// rejects.
fn lenient_decode(compact: &[u8]) -> Result<Vec<u8>, Error> {
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone),
    );
    engine
        .decode(compact)
        .map_err(|_| Error::from(Code::InvalidBase64))
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn round_trips_utf8() {
        check(&[
            ("{{ name | base64_encode }}", "w5xuw69jw7Zkw6kgU3RyYcOfZQ=="),
            // A lone surrogate is U+FFFD in UTF-8, as in Node's Buffer.
            (r"{{ 'a\ud83c' | base64_encode }}", "Ye+/vQ=="),
            (
                "{{ 'SGVsbG8g8J+OiQ==' | base64_decode }}|{{ 'SGk' | base64_decode }}",
                "Hello 🎉|Hi",
            ),
            (
                "{{ ' SG Vs\nbG8= ' | base64_decode }}|{{ 'SGl=' | base64_decode }}",
                "Hello|Hi",
            ),
            (
                "{{ '!!' | base64_decode }}",
                "error: invalid base64 provided to base64_decode, line:1, col:1",
            ),
            (
                "{{ 'SGVsb' | base64_decode }}",
                "error: invalid base64 provided to base64_decode, line:1, col:1",
            ),
            ("{{ '/w==' | base64_decode }}", "\u{FFFD}"),
        ]);
    }
}
