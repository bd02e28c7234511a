//! JavaScript strings held in Rust strings.
//!
//! A JavaScript string is a sequence of UTF-16 code units, and it may hold a *lone surrogate*:
//! half of a surrogate pair without the other half (`JSON.parse('"\\ud800"')`, `"🎉"[0]`,
//! `Object.assign({}, "🎉")`). Segment keeps such strings and `JSON.stringify` writes them back
//! as `\ud800`. A Rust `String` cannot hold one, so each lone surrogate gets a *stand-in*
//! character: unit `0xD800 + k` (k < 2048) is U+10F800 + k, the last 2,048 code points of
//! Unicode. Reading JSON gives lone-surrogate escapes their stand-ins
//! ([`crate::json::read::unescape`]); the JSON writer writes every stand-in back as its `\udXXX` escape
//! ([`crate::json::write`]); lengths, indexes and UTF-16 views count a stand-in as the one unit
//! it stands for ([`len`], [`units`], [`unit_at`], [`from_units`]). Everything else in the core
//! (case mapping, `@replace`, templates, the Nudge field rules, comparisons) works on stand-ins
//! as on any other character, which is what JavaScript does with a lone surrogate: no case, no
//! white space, equal only to itself.
//!
//! Why stand-ins rather than a WTF-8 or UTF-16 string type: every string operation of the core
//! would need a second implementation for that type, the wasm package would grow, and
//! well-formed text (all real traffic) would pay for the conversions. With stand-ins,
//! well-formed text takes exactly the paths it took before; the cost is one byte test in the
//! writer's string loop and in [`len`].
//!
//! The price: a *genuine* character of U+10F800–U+10FFFF (raw in the text or escaped as a
//! pair) cannot be told from a stand-in, so it is read as the lone surrogate it stands for:
//! it counts one unit and is written back as `\udXXX`. That range is the end of plane 16's
//! private use area (code points with no public meaning) and the two noncharacters
//! U+10FFFE/U+10FFFF; the tests below pin this behaviour down.

/// The stand-in of the first surrogate unit, 0xD800.
const STAND_IN_BASE: u32 = 0x10_F800;

/// The lone surrogate unit `c` stands for, when `c` is a stand-in.
pub fn lone_surrogate(c: char) -> Option<u16> {
    let code = u32::from(c);
    // The range ends at char::MAX, so the difference is below 0x800.
    (code >= STAND_IN_BASE).then(|| (0xD800 + (code - STAND_IN_BASE)) as u16)
}

/// The character one UTF-16 unit is on its own: itself, or a surrogate's stand-in.
pub fn unit_char(unit: u16) -> char {
    let code = u32::from(unit);
    let code = if (0xD800..0xE000).contains(&code) {
        STAND_IN_BASE + (code - 0xD800)
    } else {
        code
    };
    // Every value here is a char: a BMP non-surrogate, or at most U+10FFFF.
    char::from_u32(code).unwrap_or('\u{FFFD}')
}

/// Whether the four bytes at `at` of a UTF-8 text start a stand-in (F4 8F A0..BF xx), for
/// scanners that look at bytes.
pub fn stand_in_at(bytes: &[u8], at: usize) -> bool {
    bytes.get(at) == Some(&0xF4)
        && bytes.get(at + 1) == Some(&0x8F)
        && bytes.get(at + 2).is_some_and(|b| *b >= 0xA0)
}

/// `s.length` in JavaScript: UTF-16 code units, a stand-in counting one.
pub fn len(s: &str) -> usize {
    if s.is_ascii() {
        return s.len();
    }
    s.chars()
        .map(|c| match lone_surrogate(c) {
            Some(_) => 1,
            None => c.len_utf16(),
        })
        .sum()
}

/// The UTF-16 code units JavaScript holds for `s`.
pub fn units(s: &str) -> Units<'_> {
    Units {
        chars: s.chars(),
        low: None,
    }
}

/// The iterator of [`units`].
#[derive(Clone)]
pub struct Units<'a> {
    chars: std::str::Chars<'a>,
    low: Option<u16>,
}

impl Iterator for Units<'_> {
    type Item = u16;

    fn next(&mut self) -> Option<u16> {
        if let Some(low) = self.low.take() {
            return Some(low);
        }
        let c = self.chars.next()?;
        if let Some(unit) = lone_surrogate(c) {
            return Some(unit);
        }
        let mut buf = [0u16; 2];
        let encoded = c.encode_utf16(&mut buf);
        if let [high, low] = encoded {
            self.low = Some(*low);
            return Some(*high);
        }
        Some(buf[0])
    }
}

/// A JavaScript string from its UTF-16 units: pairs become their character, lone surrogates
/// their stand-ins.
pub fn from_units(units: &[u16]) -> String {
    char::decode_utf16(units.iter().copied())
        .map(|c| c.unwrap_or_else(|lone| unit_char(lone.unpaired_surrogate())))
        .collect()
}

/// `s[i]` in JavaScript: the `i`-th code unit as a one-unit string (half of a pair is a lone
/// surrogate, so its stand-in).
pub fn unit_at(s: &str, i: usize) -> Option<char> {
    units(s).nth(i).map(unit_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_have_stand_ins_and_back() {
        assert_eq!(unit_char(0xD800), '\u{10F800}');
        assert_eq!(unit_char(0xDFFF), '\u{10FFFF}');
        assert_eq!(unit_char(0x41), 'A');
        assert_eq!(unit_char(0xFFFD), '\u{FFFD}');
        for unit in [0xD800, 0xDBFF, 0xDC00, 0xDFFF] {
            assert_eq!(lone_surrogate(unit_char(unit)), Some(unit));
            let s = unit_char(unit).to_string();
            assert!(stand_in_at(s.as_bytes(), 0));
        }
        assert_eq!(lone_surrogate('\u{10F7FF}'), None);
        assert!(!stand_in_at("\u{10F7FF}".as_bytes(), 0));
        assert!(!stand_in_at("🎉".as_bytes(), 0));
    }

    #[test]
    fn lengths_and_units_are_javascripts() {
        let lone = unit_char(0xD83C);
        let s = format!("a🎉{lone}é");
        assert_eq!(len(&s), 5);
        assert_eq!(len("abc"), 3);
        let u: Vec<u16> = units(&s).collect();
        assert_eq!(u, [0x61, 0xD83C, 0xDF89, 0xD83C, 0xE9]);
        assert_eq!(from_units(&u), s);
        // The halves of a pair, apart, are lone surrogates; together again, the pair.
        assert_eq!(unit_at("🎉", 0), Some(unit_char(0xD83C)));
        assert_eq!(unit_at("🎉", 1), Some(unit_char(0xDF89)));
        assert_eq!(unit_at("🎉", 2), None);
        assert_eq!(from_units(&[0xD83C, 0xDF89]), "🎉");
        assert_eq!(
            from_units(&[0xDF89, 0xD83C]),
            format!("{}{}", unit_char(0xDF89), lone)
        );
    }

    #[test]
    fn genuine_characters_of_the_range_are_read_as_lone_surrogates() {
        // The documented price of stand-ins: U+10FFFF is the stand-in of 0xDFFF.
        assert_eq!(len("\u{10FFFF}"), 1);
        assert_eq!(units("\u{10FFFF}").collect::<Vec<_>>(), [0xDFFF]);
        // Just below the range, plane 16 characters are pairs as ever.
        assert_eq!(len("\u{10F7FF}"), 2);
    }
}
