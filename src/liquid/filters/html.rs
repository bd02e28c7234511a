//! HTML filters: `escape` (and its alias `xml_escape`), `escape_once`, `strip_html`.

use super::{charged_input, Error};
use crate::liquid::render::Context;
use crate::liquid::text;
use crate::liquid::value::Value;

type Out<'d> = Result<Value<'d>, Error>;

const ENTITIES: [(u8, &str); 5] = [
    (b'&', "&amp;"),
    (b'<', "&lt;"),
    (b'>', "&gt;"),
    (b'"', "&#34;"),
    (b'\'', "&#39;"),
];

fn escape_units(s: &[u16]) -> Vec<u16> {
    let mut out = Vec::with_capacity(s.len());
    for &u in s {
        match ENTITIES.iter().find(|(c, _)| u16::from(*c) == u) {
            Some((_, entity)) => out.extend(text::utf16(entity)),
            None => out.push(u),
        }
    }
    out
}

fn unescape_units(s: &[u16]) -> Vec<u16> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    'scan: while i < s.len() {
        if s[i] == u16::from(b'&') {
            for (c, entity) in ENTITIES {
                if s[i..].starts_with(&text::utf16(entity)) {
                    out.push(u16::from(c));
                    i += entity.len();
                    continue 'scan;
                }
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

/// `& < > " '` as entities (`"` is `&#34;`).
pub(crate) fn escape<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    let s = charged_input(cx, &v)?;
    Ok(Value::units(escape_units(&s)))
}

/// Escapes, leaving existing entities alone.
pub(crate) fn escape_once<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    let s = charged_input(cx, &v)?;
    let unescaped = unescape_units(&s);
    cx.charge(unescaped.len() as f64)?;
    Ok(Value::units(escape_units(&unescaped)))
}

/// Removes tags, comments, and `<script>`/`<style>` blocks, in liquidjs's single pass: an
/// opener whose closer never comes is tried no more, and an unclosed `<` ends the scan.
pub(crate) fn strip_html<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    let s = charged_input(cx, &v)?;
    let mut blocks: Vec<(Vec<u16>, Vec<u16>)> = [
        ("<script", "</script>"),
        ("<style", "</style>"),
        ("<!--", "-->"),
        ("<", ">"),
    ]
    .iter()
    .map(|(o, c)| (text::utf16(o), text::utf16(c)))
    .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let Some(lt) = text::index_of(&s, &[u16::from(b'<')], i) else {
            out.extend_from_slice(&s[i..]);
            return Ok(Value::units(out));
        };
        out.extend_from_slice(&s[i..lt]);
        let mut k = 0;
        while k < blocks.len() {
            let (opener, closer) = &blocks[k];
            if !s[lt..].starts_with(opener) {
                k += 1;
                continue;
            }
            if let Some(e) = text::index_of(&s, closer, lt + opener.len()) {
                i = e + closer.len();
                break;
            }
            blocks.remove(k);
        }
        if i <= lt {
            out.extend_from_slice(&s[lt..]);
            return Ok(Value::units(out));
        }
    }
    Ok(Value::units(out))
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn escaping() {
        check(&[
            (
                "{{ html | escape }}",
                "&lt;b&gt;Big&lt;/b&gt; &amp; &#34;bold&#34; &#39;deal&#39;",
            ),
            ("{{ '&lt; & <' | escape_once }}", "&lt; &amp; &lt;"),
            ("{{ html | xml_escape | size }}", "58"),
        ]);
    }

    #[test]
    fn stripping_tags() {
        check(&[
            ("{{ html | strip_html }}", "Big & \"bold\" 'deal'"),
            (
                "{{ 'a<script>x</script>b<!-- c -->d<e' | strip_html }}",
                "abd<e",
            ),
            (
                "{{ 'a<style>x b' | strip_html }}|{{ 'a<style x b' | strip_html }}",
                "ax b|a<style x b",
            ),
        ]);
    }
}
