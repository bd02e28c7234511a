//! Segment's own answers (`tests/conformance/*.jsonl`, see its README) replayed through the core.
//!
//! Set `NUDGE_CONFORMANCE_DIR` to a folder of more case files of the same names: their cases
//! run after the repository's own.

use nudge_edge::{plan, transform, Config, Subscription};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The repository's cases of one kind, then those of `NUDGE_CONFORMANCE_DIR` if it has the file.
fn cases(file: &str) -> Vec<Value> {
    let own = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut cases = read_cases(&own.join(file));
    assert!(
        !cases.is_empty(),
        "{file} has no cases in {}",
        own.display()
    );
    if let Some(extra) = std::env::var_os("NUDGE_CONFORMANCE_DIR").map(PathBuf::from) {
        let path = extra.join(file);
        if path.exists() {
            cases.extend(read_cases(&path));
        }
    }
    cases
}

fn read_cases(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("case is JSON"))
        .collect()
}

fn report(kind: &str, total: usize, failures: Vec<String>) {
    let passed = total - failures.len();
    eprintln!("{kind}: {passed}/{total} cases pass");
    assert!(
        failures.is_empty(),
        "{kind}: {} of {total} cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn mapping_kit() {
    mapping_cases("mapping-kit", "mapping-kit.jsonl");
}

/// The `@liquid` cases: the same format, the same runner.
#[test]
fn liquid() {
    mapping_cases("liquid", "liquid.jsonl");
}

/// Replays mapping-kit cases (`{id, mapping, payload, expect}`) through `transform`.
fn mapping_cases(kind: &str, file: &str) {
    let cases = cases(file);
    let mut failures = Vec::new();
    for case in &cases {
        let id = &case["id"];
        let got = transform(&case["mapping"], &case["payload"], 0.0);
        let expect = &case["expect"];
        match (got, expect.get("error")) {
            (Err(_), Some(_)) => {}
            (Ok(out), None) => {
                let want = if expect["undefined"] == Value::Bool(true) {
                    None
                } else {
                    expect.get("output").cloned()
                };
                if out != want {
                    failures.push(format!("{id}: got {} want {}", json(&out), json(&want)));
                }
            }
            (Ok(out), Some(e)) => failures.push(format!(
                "{id}: got {} but Segment rejects it: {}",
                json(&out),
                first_line(e)
            )),
            (Err(e), None) => failures.push(format!(
                "{id}: error {e} but Segment gives {}",
                expect["output"]
            )),
        }
    }
    report(kind, cases.len(), failures);
}

#[test]
fn subscriptions() {
    let cases = cases("subscriptions.jsonl");
    let mut failures = Vec::new();
    for case in &cases {
        let id = &case["id"];
        let want = case["expect"]["matches"]
            .as_bool()
            .expect("matches is a boolean");
        let fql = case["subscription"]
            .as_str()
            .expect("subscription is a string");
        match Subscription::parse(fql) {
            Ok(sub) if sub.matches(&case["event"]) == want => {}
            Ok(_) => failures.push(format!("{id}: {fql} should give {want}")),
            Err(e) => failures.push(format!("{id}: {fql} does not parse: {e}")),
        }
    }
    report("subscriptions", cases.len(), failures);
}

#[test]
fn nudge_plans() {
    let cases = cases("nudge-plans.jsonl");
    let mut failures = Vec::new();
    for case in &cases {
        let id = &case["id"];
        let config = match Config::from_json(&case["config"]) {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{id}: config rejected: {e}"));
                continue;
            }
        };
        let got = serde_json::to_value(plan(&case["events"], &config)).expect("plan serialises");
        let expect = &case["expect"];
        let got_requests: Vec<Value> = got["requests"]
            .as_array()
            .into_iter()
            .flatten()
            .map(comparable_request)
            .collect();
        let want_requests: Vec<Value> = expect["requests"]
            .as_array()
            .into_iter()
            .flatten()
            .map(comparable_request)
            .collect();
        if got_requests != want_requests {
            failures.push(format!(
                "{id}: requests\n  got  {}\n  want {}",
                json(&got_requests),
                json(&want_requests)
            ));
        }
        let got_results: Vec<Value> = got["results"]
            .as_array()
            .into_iter()
            .flatten()
            .map(comparable_result)
            .collect();
        let want_results: Vec<Value> = expect["results"]
            .as_array()
            .into_iter()
            .flatten()
            .map(comparable_result)
            .collect();
        if got_results != want_results {
            failures.push(format!(
                "{id}: results\n  got  {}\n  want {}",
                json(&got_results),
                json(&want_results)
            ));
        }
    }
    report("nudge-plans", cases.len(), failures);
}

/// Requests compare by method, url, `apikey` and `p` headers, and body.
fn comparable_request(r: &Value) -> Value {
    serde_json::json!({
        "method": r["method"], "url": r["url"],
        "apikey": r["headers"]["apikey"], "p": r["headers"]["p"], "body": r["body"],
    })
}

/// Results compare by index, status and the set of error fields.
fn comparable_result(r: &Value) -> Value {
    let fields: BTreeSet<String> = match r.get("fields") {
        Some(Value::Array(f)) => f
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => r["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["field"].as_str().map(String::from))
            .collect(),
    };
    serde_json::json!({"index": r["index"], "status": r["status"], "fields": fields})
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn first_line(v: &Value) -> String {
    v.as_str()
        .unwrap_or_default()
        .trim()
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}
