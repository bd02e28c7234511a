//! Agreement with Node.js on the JavaScript rules the core re-implements: V8's `Date.parse`
//! (`src/datetime/v8.rs`), Segment's dayjs reading of timestamps, `toISOString` and
//! `String(number)`.
//!
//! `tests/node_agreement.mjs` generates the cases (from a fixed seed) and prints what Node
//! makes of them; this test runs it with `TZ=UTC` and compares every answer. It needs `node`
//! and the root `node_modules` (`npm install`, which `scripts/test.sh` runs first).
//! `NODE_AGREEMENT_COUNT` sets the number of date strings (default 20,000; instants and
//! numbers are a quarter of that each); the full check is
//! `NODE_AGREEMENT_COUNT=400000 cargo test --release --test node_agreement -- --nocapture`.

use nudge_edge::{datetime, js};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const DEFAULT_COUNT: usize = 20_000;

fn node_cases(count: usize) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node_agreement.mjs");
    let output = Command::new("node")
        .arg(&script)
        .arg(count.to_string())
        .env("TZ", "UTC")
        .output()
        .expect("this test needs `node` on the PATH");
    assert!(
        output.status.success(),
        "{} failed (run `npm install` at the repository root first):\n{}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the cases are UTF-8")
}

fn ms(v: &Value) -> Option<i64> {
    v.as_f64().map(|f| f as i64)
}

/// Compares one case; `Err` describes a disagreement.
fn check(case: &[Value]) -> Result<(), String> {
    match case {
        [kind, text, parsed, valid, dayjs] if kind == "date" => {
            let text = text.as_str().ok_or("text")?;
            let ours = datetime::date_parse(text);
            if ours != ms(parsed) {
                return Err(format!(
                    "Date.parse({text:?}): node {parsed}, core {ours:?}"
                ));
            }
            let segment = datetime::parse_text(text);
            if segment.is_some() != valid.as_bool().unwrap_or(false) {
                return Err(format!(
                    "Segment's date check of {text:?}: node {valid}, core {segment:?}"
                ));
            }
            if let Some(expected) = ms(dayjs) {
                if segment != Some(expected) {
                    return Err(format!(
                        "dayjs({text:?}): node {expected}, core {segment:?}"
                    ));
                }
            }
            Ok(())
        }
        [kind, instant, iso] if kind == "iso" => {
            let instant = instant.as_i64().ok_or("instant")?;
            let ours = datetime::to_iso_string(instant);
            if ours.as_deref() != iso.as_str() {
                return Err(format!("toISOString({instant}): node {iso}, core {ours:?}"));
            }
            Ok(())
        }
        [kind, bits, printed] if kind == "number" => {
            let bits =
                u64::from_str_radix(bits.as_str().ok_or("bits")?, 16).map_err(|e| e.to_string())?;
            let n = f64::from_bits(bits);
            let ours = js::number_to_string(n);
            if Some(ours.as_str()) != printed.as_str() {
                return Err(format!("String({n:e}): node {printed}, core {ours:?}"));
            }
            Ok(())
        }
        other => Err(format!("unknown case {other:?}")),
    }
}

#[test]
fn date_parsing_iso_strings_and_number_printing_agree_with_node() {
    let count = std::env::var("NODE_AGREEMENT_COUNT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_COUNT);
    let cases = node_cases(count);
    let mut counts = [0usize; 3];
    let mut failures = Vec::new();
    for line in cases.lines() {
        let case: Vec<Value> = serde_json::from_str(line).expect("a JSON array");
        let slot = match case.first().and_then(Value::as_str) {
            Some("date") => 0,
            Some("iso") => 1,
            _ => 2,
        };
        counts[slot] += 1;
        if let Err(failure) = check(&case) {
            failures.push(failure);
        }
    }
    let [dates, instants, numbers] = counts;
    assert_eq!(dates, count, "every date string was checked");
    assert!(instants > 0 && numbers > 0);
    assert!(
        failures.is_empty(),
        "{} disagreements with Node, the first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(30)].join("\n")
    );
    eprintln!("agree with Node: {dates} date strings, {instants} instants, {numbers} numbers");
}
