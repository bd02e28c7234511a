//! URL filters: `url_encode`, `url_decode`, `cgi_escape`, `uri_escape` (JavaScript's
//! `encodeURIComponent`, `decodeURIComponent` and `encodeURI` with liquidjs's adjustments)
//! and `slugify`.

use super::{arg, Error};
use crate::host::is_letter_mark_or_digit;
use crate::liquid::error::Code;
use crate::liquid::render::Context;
use crate::liquid::text;
use crate::liquid::value::Value;

type Out<'d> = Result<Value<'d>, Error>;

/// `encodeURIComponent` (`keep` adds `encodeURI`'s reserved characters); a lone surrogate is
/// an error, as in JavaScript.
fn encode(s: &[u16], keep: &str) -> Result<Vec<u16>, Error> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(s.len());
    for c in char::decode_utf16(s.iter().copied()) {
        let c = c.map_err(|_| Error::from(Code::UriMalformed))?;
        if c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c) || keep.contains(c) {
            out.push(c as u16);
            continue;
        }
        let mut bytes = [0u8; 4];
        for b in c.encode_utf8(&mut bytes).bytes() {
            out.extend([b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]].map(u16::from));
        }
    }
    Ok(out)
}

/// `decodeURIComponent`: every `%XX` sequence must spell valid UTF-8.
fn decode(s: &[u16]) -> Result<Vec<u16>, Error> {
    let malformed = || Error::from(Code::UriMalformed);
    let hex = |i: usize| -> Option<u8> {
        let digit = |u: u16| char::from_u32(u32::from(u)).and_then(|c| c.to_digit(16));
        Some((digit(*s.get(i)?)? * 16 + digit(*s.get(i + 1)?)?) as u8)
    };
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] != u16::from(b'%') {
            out.push(s[i]);
            i += 1;
            continue;
        }
        let first = hex(i + 1).ok_or_else(malformed)?;
        let len = match first {
            0x00..=0x7F => 1,
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => return Err(malformed()),
        };
        let mut bytes = vec![first];
        for k in 1..len {
            let at = i + 3 * k;
            if s.get(at) != Some(&u16::from(b'%')) {
                return Err(malformed());
            }
            bytes.push(hex(at + 1).ok_or_else(malformed)?);
        }
        let decoded = std::str::from_utf8(&bytes).map_err(|_| malformed())?;
        out.extend(decoded.encode_utf16());
        i += 3 * len;
    }
    Ok(out)
}

/// `encodeURIComponent`, spaces as `+`.
pub(crate) fn url_encode<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    let s = v.stringify()?;
    cx.work(s.len() as u64)?;
    let encoded = encode(&s, "")?;
    Ok(Value::units(replace_all(&encoded, "%20", "+")))
}

/// `+` as a space, then `decodeURIComponent`.
pub(crate) fn url_decode<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    let s = v.stringify()?;
    cx.work(s.len() as u64)?;
    let spaced: Vec<u16> = s
        .iter()
        .map(|&u| if u == u16::from(b'+') { 0x20 } else { u })
        .collect();
    Ok(Value::units(decode(&spaced)?))
}

/// `url_encode`, and `! ' ( ) *` escaped too.
pub(crate) fn cgi_escape<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    let s = v.stringify()?;
    cx.work(s.len() as u64)?;
    let encoded = replace_all(&encode(&s, "")?, "%20", "+");
    let mut out = Vec::with_capacity(encoded.len());
    for u in encoded {
        match u8::try_from(u) {
            Ok(c @ (b'!' | b'\'' | b'(' | b')' | b'*')) => {
                out.extend(text::utf16(&format!("%{c:X}")));
            }
            _ => out.push(u),
        }
    }
    Ok(Value::units(out))
}

/// `encodeURI`, with `[` and `]` left as they are.
pub(crate) fn uri_escape<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    let s = v.stringify()?;
    cx.work(s.len() as u64)?;
    let encoded = encode(&s, ";/?:@&=+$,#")?;
    Ok(Value::units(replace_all(
        &replace_all(&encoded, "%5B", "["),
        "%5D",
        "]",
    )))
}

fn replace_all(s: &[u16], from: &str, to: &str) -> Vec<u16> {
    text::join(&text::split(s, &text::utf16(from)), &text::utf16(to))
}

/// Runs of characters that `keep` rejects become one `-`.
fn dash_runs(s: &[u16], keep: impl Fn(char) -> bool) -> Vec<u16> {
    let mut out = Vec::with_capacity(s.len());
    let mut in_run = false;
    for c in char::decode_utf16(s.iter().copied()) {
        match c {
            Ok(c) if keep(c) => {
                let mut buf = [0u16; 2];
                out.extend_from_slice(c.encode_utf16(&mut buf));
                in_run = false;
            }
            _ if in_run => {}
            _ => {
                out.push(u16::from(b'-'));
                in_run = true;
            }
        }
    }
    out
}

fn remove_accents(s: &[u16]) -> Vec<u16> {
    let mut out = String::new();
    for c in char::decode_utf16(s.iter().copied()).map(|c| c.unwrap_or('\u{FFFD}')) {
        match c {
            'à'..='å' => out.push('a'),
            'æ' => out.push_str("ae"),
            'ç' => out.push('c'),
            'è'..='ë' => out.push('e'),
            'ì'..='ï' => out.push('i'),
            'ð' => out.push('d'),
            'ñ' => out.push('n'),
            'ò'..='ö' | 'ø' => out.push('o'),
            'ù'..='ü' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'ß' => out.push_str("ss"),
            'œ' => out.push_str("oe"),
            'þ' => out.push_str("th"),
            'ẞ' => out.push_str("SS"),
            'Œ' => out.push_str("OE"),
            'Þ' => out.push_str("TH"),
            c => out.push(c),
        }
    }
    text::utf16(&out)
}

/// `slugify`, `slugify: mode` (`default`, `raw`, `pretty`, `ascii`, `latin`, `none`),
/// `slugify: mode, cased`.
pub(crate) fn slugify<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let mut s = v.stringify()?;
    cx.work(s.len() as u64)?;
    let mode = match arg(args, 0) {
        Some(m) => text::rust_string(&m.js_string()?),
        None => "default".to_string(),
    };
    let replaced = match mode.as_str() {
        "raw" => Some(text::join(&text::split_on_spaces(&s), &[u16::from(b'-')])),
        "default" => Some(dash_runs(&s, is_letter_mark_or_digit)),
        "latin" => Some(dash_runs(&remove_accents(&s), is_letter_mark_or_digit)),
        "pretty" => Some(dash_runs(&s, |c| {
            is_letter_mark_or_digit(c) || "._~!$&'()+,;=@".contains(c)
        })),
        "ascii" => Some(dash_runs(&s, |c| c.is_ascii_alphanumeric())),
        _ => None,
    };
    if let Some(mut r) = replaced {
        if r.first() == Some(&u16::from(b'-')) {
            r.remove(0);
        }
        if r.last() == Some(&u16::from(b'-')) {
            r.pop();
        }
        s = r;
    }
    let cased = args.get(1).is_some_and(Value::js_truthy);
    Ok(Value::units(if cased {
        s
    } else {
        text::change_case(&s, false)
    }))
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn encoding() {
        check(&[
            (
                "{{ name | url_encode }}",
                "%C3%9Cn%C3%AFc%C3%B6d%C3%A9+Stra%C3%9Fe",
            ),
            ("{{ \"a b!'()*~\" | cgi_escape }}", "a+b%21%27%28%29%2A~"),
            ("{{ 'a b/[x]?y=1#z' | uri_escape }}", "a%20b/[x]?y=1#z"),
            ("{{ emoji | url_encode }}", "a%F0%9F%8E%89b"),
        ]);
    }

    #[test]
    fn decoding() {
        check(&[
            ("{{ '%C3%89mile+Z%20%2B' | url_decode }}", "Émile Z +"),
            (
                "{{ '%E0%A4%A' | url_decode }}",
                "error: URI malformed, line:1, col:1",
            ),
            (
                "{{ '%ED%A0%80' | url_decode }}",
                "error: URI malformed, line:1, col:1",
            ),
            (
                "{{ '100%' | url_decode }}",
                "error: URI malformed, line:1, col:1",
            ),
        ]);
    }

    #[test]
    fn slugs() {
        check(&[
            ("{{ ' Hello, World! ' | slugify }}", "hello-world"),
            (
                "{{ 'Héllo Wörld' | slugify: 'latin' }}|{{ 'Héllo Wörld' | slugify: 'ascii' }}",
                "hello-world|h-llo-w-rld",
            ),
            (
                "{{ 'a  b.c' | slugify: 'raw' }}|{{ 'a b.c!' | slugify: 'pretty' }}",
                "a-b.c|a-b.c!",
            ),
            (
                "{{ 'A B' | slugify: 'none' }}|{{ 'A B' | slugify: 'default', true }}",
                "a b|A-B",
            ),
        ]);
    }
}
