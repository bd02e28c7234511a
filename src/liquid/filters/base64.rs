//! `base64_encode` and `base64_decode` (text as UTF-8, as Node's `Buffer` has it: a lone
//! surrogate is U+FFFD).

use super::{charged_input, Error};
use crate::liquid::error::Code;
use crate::liquid::render::Context;
use crate::liquid::text;
use crate::liquid::value::Value;

type Out<'d> = Result<Value<'d>, Error>;

pub(crate) fn base64_encode<'d>(
    cx: &mut Context<'_, 'd>,
    v: Value<'d>,
    _: &[Value<'d>],
) -> Out<'d> {
    let s = charged_input(cx, &v)?;
    Ok(Value::str(&encode(text::utf8(&s).as_bytes())))
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
    Ok(Value::str(&String::from_utf8_lossy(&decode(&compact))))
}

// The codec is written out rather than taken from the `base64` crate, whose generic engines
// cost the npm wasm 6 KB for these two filters.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with `=` padding.
fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The bytes of unpadded base64 whose characters are all in the alphabet. Bits left over
/// after the last whole byte are ignored, as Node does.
fn decode(compact: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(compact.len() / 4 * 3 + 2);
    let (mut bits, mut held) = (0u32, 0u32);
    for &c in compact {
        let sextet = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            _ => 63,
        };
        bits = (bits << 6 | u32::from(sextet)) & 0xFFFF;
        held += 6;
        if held >= 8 {
            held -= 8;
            out.push((bits >> held) as u8);
        }
    }
    out
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
            ("{{ '' | base64_encode }}|{{ 'a' | base64_encode }}|{{ 'ab' | base64_encode }}|{{ 'abc' | base64_encode }}", "|YQ==|YWI=|YWJj"),
            ("{{ 'YWJj' | base64_decode }}|{{ 'YWI' | base64_decode }}|{{ 'YQ' | base64_decode }}|{{ 'YR' | base64_decode }}", "abc|ab|a|a"),
        ]);
    }
}
