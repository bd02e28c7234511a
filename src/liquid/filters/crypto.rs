//! `sha256` and `hmac_sha256`: hex digests of the text's UTF-8 bytes, a lone surrogate
//! encoded as U+FFFD (what Node's `crypto` makes of a string).

use super::{charged_input, Error};
use crate::liquid::render::Context;
use crate::liquid::text;
use crate::liquid::value::Value;
use sha2::{Digest, Sha256};

type Out<'d> = Result<Value<'d>, Error>;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn sha256<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    let s = charged_input(cx, &v)?;
    Ok(Value::str(&hex(&Sha256::digest(text::utf8(&s)))))
}

/// `hmac_sha256: key` (RFC 2104).
pub(crate) fn hmac_sha256<'d>(
    cx: &mut Context<'_, 'd>,
    v: Value<'d>,
    args: &[Value<'d>],
) -> Out<'d> {
    let s = v.stringify()?;
    let key = match args.first() {
        Some(k) => k.stringify()?,
        None => Vec::new(),
    };
    cx.charge((s.len() + key.len()) as f64)?;
    let key = text::utf8(&key);
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(&key));
    } else {
        block[..key.len()].copy_from_slice(key.as_bytes());
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(text::utf8(&s))
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    Ok(Value::str(&hex(&outer)))
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn digests() {
        check(&[
            (
                "{{ tags | sha256 }}",
                "348ec859e74cd0935faa6922caefa9d4606c6f31c86d2f586821b266dac31259",
            ),
            (
                "{{ '' | sha256 }}",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            (
                "{{ tags | hmac_sha256: 'secret' }}",
                "06775e7375be60935fbf56d9e2bcd9c15781143563730059188f4c464df569fd",
            ),
            // Lone surrogates (liquidjs reads `\u` escapes in literals) hash as U+FFFD.
            (
                r"{{ 'a\ud83c' | sha256 }}",
                "51d277510ba4bf97b25f12d38513c1b620a2a33fc83b3beeeb0dd971bf429e6d",
            ),
            (
                r"{{ 'x' | hmac_sha256: '\ud83c' }}",
                "342d594056b8bb32da7c9a878942434b29e75c77b0b2f0e4e21ad6597fb533e4",
            ),
        ]);
    }
}
