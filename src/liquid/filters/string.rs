//! String filters: `append`, `prepend`, `capitalize`, `downcase`, `upcase`, `lstrip`,
//! `rstrip`, `strip`, `strip_newlines`, `squish`, `normalize_whitespace`, `remove`,
//! `remove_first`, `remove_last`, `replace`, `replace_first`, `replace_last`, `split`,
//! `truncate`, `truncatewords`, `number_of_words`.
//!
//! Lengths and positions are in UTF-16 code units except where liquidjs counts code points
//! (`truncate`'s length, the character sets of `strip` and friends).

use super::{arg, charged_input as charged, Error};
use crate::liquid::error::Code;
use crate::liquid::render::Context;
use crate::liquid::text;
use crate::liquid::value::{js_le, slice_range, to_integer, Value};

type Out<'d> = Result<Value<'d>, Error>;

fn str_arg(args: &[Value], i: usize) -> Result<Vec<u16>, Error> {
    Ok(match args.get(i) {
        Some(v) => v.stringify()?,
        None => Vec::new(),
    })
}

/// `append: text` (exactly one argument).
pub(crate) fn append<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    if args.len() != 1 {
        return Err(Code::ArgumentCount("append").into());
    }
    let mut s = v.stringify()?;
    let rhs = str_arg(args, 0)?;
    cx.charge((s.len() + rhs.len()) as f64)?;
    s.extend(rhs);
    Ok(Value::units(s))
}

/// `prepend: text` (exactly one argument).
pub(crate) fn prepend<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    if args.len() != 1 {
        return Err(Code::ArgumentCount("prepend").into());
    }
    let lhs = v.stringify()?;
    let mut s = str_arg(args, 0)?;
    cx.charge((s.len() + lhs.len()) as f64)?;
    s.extend(lhs);
    Ok(Value::units(s))
}

/// First character upper case, the rest lower case (the first UTF-16 unit, as liquidjs).
pub(crate) fn capitalize<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    let s = charged(cx, &v)?;
    let Some((&first, rest)) = s.split_first() else {
        return Ok(Value::units(s));
    };
    let mut out = text::change_case(&[first], true);
    out.extend(text::change_case(rest, false));
    Ok(Value::units(out))
}

pub(crate) fn downcase<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    let s = charged(cx, &v)?;
    Ok(Value::units(text::change_case(&s, false)))
}

pub(crate) fn upcase<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    let s = charged(cx, &v)?;
    Ok(Value::units(text::change_case(&s, true)))
}

/// The code points of a `strip`-family character set.
fn char_set(chars: &[u16]) -> Vec<&[u16]> {
    // Deduplicated by sorting (code point, position) pairs: the one sort the wasm has
    // (`crate::sort`); sorting the slices themselves would add 5 KB.
    let points = text::code_points(chars);
    let mut keyed: Vec<(usize, usize)> = points
        .iter()
        .enumerate()
        .map(|(i, cp)| match **cp {
            [hi, lo] => (
                0x10000 + (usize::from(hi & 0x3FF) << 10 | usize::from(lo & 0x3FF)),
                i,
            ),
            _ => (cp.first().map_or(0, |&u| usize::from(u)), i),
        })
        .collect();
    crate::sort::sort_pairs(&mut keyed);
    keyed.dedup_by_key(|k| k.0);
    keyed.into_iter().map(|(_, i)| points[i]).collect()
}

fn trim_start_set(s: &[u16], set: &[&[u16]]) -> usize {
    let mut start = 0;
    for cp in text::code_points(s) {
        if !set.contains(&cp) {
            break;
        }
        start += cp.len();
    }
    start
}

fn trim_end_set(s: &[u16], set: &[&[u16]], start: usize) -> usize {
    let mut end = s.len();
    while end > start {
        let size = if end - start >= 2 && text::is_pair_at(s, end - 2) {
            2
        } else {
            1
        };
        if !set.contains(&&s[end - size..end]) {
            break;
        }
        end -= size;
    }
    end
}

/// `lstrip`, or `lstrip: chars`.
pub(crate) fn lstrip<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let s = charged(cx, &v)?;
    match args.first().filter(|c| c.js_truthy()) {
        Some(chars) => {
            let chars = chars.stringify()?;
            cx.charge(chars.len() as f64)?;
            let start = trim_start_set(&s, &char_set(&chars));
            Ok(Value::units(s[start..].to_vec()))
        }
        None => Ok(Value::units(text::trim_start(&s).to_vec())),
    }
}

/// `rstrip`, or `rstrip: chars`.
pub(crate) fn rstrip<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let s = charged(cx, &v)?;
    match args.first().filter(|c| c.js_truthy()) {
        Some(chars) => {
            let chars = chars.stringify()?;
            cx.charge(chars.len() as f64)?;
            let end = trim_end_set(&s, &char_set(&chars), 0);
            Ok(Value::units(s[..end].to_vec()))
        }
        None => Ok(Value::units(text::trim_end(&s).to_vec())),
    }
}

/// `strip`, or `strip: chars`.
pub(crate) fn strip<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let s = charged(cx, &v)?;
    match args.first().filter(|c| c.js_truthy()) {
        Some(chars) => {
            let chars = chars.stringify()?;
            let set = char_set(&chars);
            cx.charge(set.len() as f64)?;
            let start = trim_start_set(&s, &set);
            let end = trim_end_set(&s, &set, start);
            Ok(Value::units(s[start..end].to_vec()))
        }
        None => Ok(Value::units(text::trim(&s).to_vec())),
    }
}

/// Removes `\n` and `\r\n`.
pub(crate) fn strip_newlines<'d>(
    cx: &mut Context<'_, 'd>,
    v: Value<'d>,
    _: &[Value<'d>],
) -> Out<'d> {
    let s = charged(cx, &v)?;
    let mut out = Vec::with_capacity(s.len());
    for (i, &u) in s.iter().enumerate() {
        let before_newline = u == 0x0D && s.get(i + 1) == Some(&0x0A);
        if u != 0x0A && !before_newline {
            out.push(u);
        }
    }
    Ok(Value::units(out))
}

/// Runs of white space become one space, and the ends are trimmed.
pub(crate) fn squish<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    let s = charged(cx, &v)?;
    Ok(Value::units(
        text::trim(&text::collapse_spaces(&s)).to_vec(),
    ))
}

/// Runs of white space become one space.
pub(crate) fn normalize_whitespace<'d>(
    cx: &mut Context<'_, 'd>,
    v: Value<'d>,
    _: &[Value<'d>],
) -> Out<'d> {
    let s = charged(cx, &v)?;
    Ok(Value::units(text::collapse_spaces(&s)))
}

/// Every occurrence removed.
pub(crate) fn remove<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let s = v.stringify()?;
    let pattern = str_arg(args, 0)?;
    cx.charge((s.len() + pattern.len()) as f64)?;
    Ok(Value::units(text::join(&text::split(&s, &pattern), &[])))
}

/// Which occurrence `replace_one` changes.
#[derive(Clone, Copy)]
enum Occurrence {
    First,
    Last,
}

/// One occurrence of the first argument replaced by the second (`None`: removed).
fn replace_one<'d>(
    cx: &mut Context<'_, 'd>,
    v: &Value<'d>,
    args: &[Value<'d>],
    with_replacement: bool,
    which: Occurrence,
) -> Out<'d> {
    let s = v.stringify()?;
    let pattern = str_arg(args, 0)?;
    let replacement = if with_replacement {
        str_arg(args, 1)?
    } else {
        Vec::new()
    };
    cx.charge((s.len() + pattern.len() + replacement.len()) as f64)?;
    let at = match which {
        Occurrence::First => text::index_of(&s, &pattern, 0),
        Occurrence::Last => text::last_index_of(&s, &pattern),
    };
    Ok(Value::units(replace_at(&s, &pattern, &replacement, at)))
}

/// The first occurrence removed.
pub(crate) fn remove_first<'d>(
    cx: &mut Context<'_, 'd>,
    v: Value<'d>,
    args: &[Value<'d>],
) -> Out<'d> {
    replace_one(cx, &v, args, false, Occurrence::First)
}

/// The last occurrence removed.
pub(crate) fn remove_last<'d>(
    cx: &mut Context<'_, 'd>,
    v: Value<'d>,
    args: &[Value<'d>],
) -> Out<'d> {
    replace_one(cx, &v, args, false, Occurrence::Last)
}

/// `s` with `pattern` at `at` (if found) replaced.
fn replace_at(s: &[u16], pattern: &[u16], replacement: &[u16], at: Option<usize>) -> Vec<u16> {
    match at {
        Some(i) => {
            let mut out = s[..i].to_vec();
            out.extend_from_slice(replacement);
            out.extend_from_slice(&s[i + pattern.len()..]);
            out
        }
        None => s.to_vec(),
    }
}

/// Every occurrence replaced (an empty pattern goes between every two code units).
pub(crate) fn replace<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let s = v.stringify()?;
    let pattern = str_arg(args, 0)?;
    let replacement = str_arg(args, 1)?;
    let parts = text::split(&s, &pattern);
    let size = s.len() as f64
        + (parts.len() as f64 - 1.0) * (replacement.len() as f64 - pattern.len() as f64);
    cx.charge(size)?;
    Ok(Value::units(text::join(&parts, &replacement)))
}

/// The first occurrence replaced.
pub(crate) fn replace_first<'d>(
    cx: &mut Context<'_, 'd>,
    v: Value<'d>,
    args: &[Value<'d>],
) -> Out<'d> {
    replace_one(cx, &v, args, true, Occurrence::First)
}

/// The last occurrence replaced.
pub(crate) fn replace_last<'d>(
    cx: &mut Context<'_, 'd>,
    v: Value<'d>,
    args: &[Value<'d>],
) -> Out<'d> {
    replace_one(cx, &v, args, true, Occurrence::Last)
}

/// `split: separator`, trailing empty strings dropped (as Ruby does).
pub(crate) fn split<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let s = charged(cx, &v)?;
    let separator = str_arg(args, 0)?;
    let mut parts = text::split(&s, &separator);
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    Ok(Value::array(
        parts
            .into_iter()
            .map(|p| Value::units(p.to_vec()))
            .collect(),
    ))
}

/// `truncate: length, ellipsis` (50 and `...` by default; the length is in code points and
/// includes the ellipsis). A value short enough is returned as it is, not as a string.
pub(crate) fn truncate<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let s = v.stringify()?;
    let limit = arg(args, 0).cloned().unwrap_or(Value::Number(50.0));
    let ellipsis = match arg(args, 1) {
        Some(e) => e.stringify()?,
        None => text::utf16("..."),
    };
    cx.charge((s.len() + ellipsis.len()) as f64)?;
    let count = limit.to_number()?;
    if js_le(&Value::Number(s.len() as f64), &limit)?
        || text::advance_code_points(&s, 0, count) >= s.len()
    {
        return Ok(v);
    }
    // A NaN length keeps nothing, as a zero one does.
    let keep = (count - text::code_point_len(&ellipsis) as f64).max(0.0);
    let mut out = s[..text::advance_code_points(&s, 0, keep)].to_vec();
    out.extend(ellipsis);
    Ok(Value::units(out))
}

/// `truncatewords: words, ellipsis` (15 and `...` by default). The ellipsis is added whenever
/// there are at least that many words, as in liquidjs.
pub(crate) fn truncatewords<'d>(
    cx: &mut Context<'_, 'd>,
    v: Value<'d>,
    args: &[Value<'d>],
) -> Out<'d> {
    let s = v.stringify()?;
    let ellipsis = match arg(args, 1) {
        Some(e) => e.stringify()?,
        None => text::utf16("..."),
    };
    cx.charge((s.len() + ellipsis.len()) as f64)?;
    let words = text::split_on_spaces(text::trim_start(&s));
    let mut n = arg(args, 0).cloned().unwrap_or(Value::Number(15.0));
    if js_le(&n, &Value::Number(0.0))? {
        n = Value::Number(1.0);
    }
    let range = slice_range(words.len(), 0.0, to_integer(&n)?);
    let mut out = text::join(&words[range], &[0x20]);
    if js_le(&n, &Value::Number(words.len() as f64))? {
        out.extend(ellipsis);
    }
    Ok(Value::units(out))
}

fn is_cjk(c: u32) -> bool {
    matches!(c, 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x3400..=0x4DBF | 0x3040..=0x309F | 0x30A0..=0x30FF | 0xAC00..=0xD7AF)
}

/// `number_of_words`, or `number_of_words: 'cjk'` / `'auto'` (CJK characters count as words).
pub(crate) fn number_of_words<'d>(
    cx: &mut Context<'_, 'd>,
    v: Value<'d>,
    args: &[Value<'d>],
) -> Out<'d> {
    let s = charged(cx, &v)?;
    let s = text::trim(&s);
    if s.is_empty() {
        return Ok(Value::Number(0.0));
    }
    let mode = match args.first() {
        Some(Value::Str(m)) => text::rust_string(m),
        _ => String::new(),
    };
    let cjk_count = || {
        let (mut cjk, mut runs, mut in_run) = (0, 0, false);
        for c in char::decode_utf16(s.iter().copied()) {
            let c = c.map_or_else(|e| u32::from(e.unpaired_surrogate()), u32::from);
            let space = u16::try_from(c).is_ok_and(text::is_space);
            if is_cjk(c) {
                cjk += 1;
            }
            let word = !is_cjk(c) && !space;
            if word && !in_run {
                runs += 1;
            }
            in_run = word;
        }
        (cjk + runs) as f64
    };
    let has_cjk = || s.iter().any(|&u| is_cjk(u32::from(u)));
    let n = match mode.as_str() {
        "cjk" => cjk_count(),
        "auto" if has_cjk() => cjk_count(),
        _ => text::split_on_spaces(s).len() as f64,
    };
    Ok(Value::Number(n))
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn joining_and_case() {
        check(&[
            (
                "{{ name | append: '!' | prepend: '¡' }}",
                "¡Ünïcödé Straße!",
            ),
            (
                "{{ name | append }}",
                "error: append expect 2 arguments, line:1, col:1",
            ),
            (
                "{{ name | append: 1, 2 }}",
                "error: append expect 2 arguments, line:1, col:1",
            ),
            (
                "{{ name | upcase }}|{{ name | downcase }}",
                "ÜNÏCÖDÉ STRASSE|ünïcödé straße",
            ),
            (
                "{{ 'ÉMILIE zola' | capitalize }}|{{ '' | capitalize }}",
                "Émilie zola|",
            ),
            ("{{ price | append: 1 }}", "19.991"),
            ("{{ tags | upcase }}", "REDGREENBLUE"),
        ]);
    }

    #[test]
    fn stripping() {
        check(&[
            (
                "[{{ '  a b  ' | strip }}][{{ '  a ' | lstrip }}][{{ ' a  ' | rstrip }}]",
                "[a b][a ][ a]",
            ),
            (
                "{{ 'xxaxyx' | strip: 'xy' }}|{{ '🎉a🎉' | lstrip: '🎉' }}",
                "a|a🎉",
            ),
            ("{{ 'a\r\nb\nc\rd' | strip_newlines }}", "abc\rd"),
            (
                "[{{ '  a \n b ' | squish }}][{{ ' a \n b ' | normalize_whitespace }}]",
                "[a b][ a b ]",
            ),
        ]);
    }

    #[test]
    fn replacing() {
        check(&[
            ("{{ 'a-b-c' | remove: '-' }}|{{ 'a-b-c' | remove_first: '-' }}|{{ 'a-b-c' | remove_last: '-' }}", "abc|ab-c|a-bc"),
            ("{{ 'abc' | replace: '', '-' }}|{{ 'aaa' | replace: 'a', 'bb' }}", "a-b-c|bbbbbb"),
            ("{{ 'a.b.c' | replace_first: '.', '$&' }}|{{ 'a.b.c' | replace_last: '.', '!' }}", "a$&b.c|a.b!c"),
            ("{{ 'abc' | replace_first: '', 'x' }}|{{ 'abc' | replace_last: '', 'x' }}", "xabc|abcx"),
        ]);
    }

    #[test]
    fn splitting() {
        check(&[
            ("{{ 'a,b,,' | split: ',' | size }}", "2"),
            ("{{ 'abc' | split: '' | join: '-' }}", "a-b-c"),
            ("{{ '' | split: ',' | size }}", "0"),
            ("{{ name | split: ' ' | first }}", "Ünïcödé"),
        ]);
    }

    #[test]
    fn truncating() {
        check(&[
            ("{{ 'https://example.com' | truncate: 5, '--' }}", "htt--"),
            ("{{ 'abcdef' | truncate: 3 }}|{{ 'abc' | truncate: 3 }}|{{ 'abcdef' | truncate: 2 }}", "...|abc|..."),
            ("{{ '🎉🎉🎉🎉' | truncate: 3, '' }}", "🎉🎉🎉"),
            ("{{ n | truncate: 0 }}|{{ n | truncate: 1 }}", "...|3"),
            ("{{ 'abcdef' | truncate: 'x' }}", "..."),
            ("{{ 'one two three four' | truncatewords: 2 }}", "one two..."),
            ("{{ 'one two three' | truncatewords: 3 }}", "one two three..."),
            ("{{ 'one two' | truncatewords: 3 }}", "one two"),
            ("{{ 'one two' | truncatewords: 0, '' }}", "one"),
            ("{{ '  one   two ' | truncatewords: 5, '!' }}|{{ ' one two ' | truncatewords: 3, '!' }}", "one two |one two !"),
        ]);
    }

    #[test]
    fn counting_words() {
        check(&[
            ("{{ ' one two  three ' | number_of_words }}", "3"),
            ("{{ '你好world 日本' | number_of_words: 'cjk' }}", "5"),
            ("{{ 'hello world' | number_of_words: 'auto' }}", "2"),
            ("{{ '' | number_of_words }}", "0"),
        ]);
    }
}
