//! The `nudge-edge` binary, driven as a user would.

mod common;

use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn cli(args: &[&str], stdin: &str) -> Output {
    common::run(Path::new(env!("CARGO_BIN_EXE_nudge-edge")), args, stdin)
}

fn temp_file(name: &str, content: &str) -> String {
    let dir = std::env::temp_dir().join(format!("nudge-edge-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write temp file");
    path.to_string_lossy().into_owned()
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[test]
fn plan_reads_ndjson_from_stdin_and_redacts_the_key() {
    let config = temp_file("config.json", r#"{"settings": {"apikey": "secret-key"}}"#);
    let events = "{\"type\":\"track\",\"userId\":\"U 1\",\"event\":\"Signed Up\",\"timestamp\":\"2025-05-14T07:30:00+05:30\"}\n{\"type\":\"page\"}\n";
    let out = cli(&["plan", "--config", &config], events);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan = stdout_json(&out);
    assert_eq!(
        plan["requests"][0]["body"],
        json!([{"name": "signed_up", "ext_id": "u_1", "occurred_at": "2025-05-14T02:00:00.000Z"}])
    );
    assert_eq!(plan["requests"][0]["headers"]["apikey"], "[redacted]");
    assert_eq!(plan["results"][1]["status"], "unmatched");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("secret-key"));
}

#[test]
fn plan_reads_an_events_file() {
    let config = temp_file("config2.json", r#"{"settings": {"apikey": "k"}}"#);
    let events = temp_file(
        "events.json",
        r#"[{"type": "identify", "userId": "a"}, {"type": "identify"}]"#,
    );
    let out = cli(&["plan", "--config", &config, &events], "");
    assert!(out.status.success());
    let plan = stdout_json(&out);
    assert_eq!(plan["requests"][0]["method"], "PUT");
    assert_eq!(plan["results"][1]["errors"][0]["field"], "ext_id");
}

#[test]
fn transform_prints_the_result_or_null() {
    let mapping = temp_file("mapping.json", r#"{"id": {"@path": "$.userId"}}"#);
    let out = cli(
        &["transform", "--mapping", &mapping, "-"],
        r#"{"userId": "u"}"#,
    );
    assert_eq!(stdout_json(&out), json!({"id": "u"}));
    let nothing = temp_file("nothing.json", r#"{"@path": "$.missing"}"#);
    let out = cli(&["transform", "--mapping", &nothing], "{}");
    assert_eq!(stdout_json(&out), Value::Null);
}

#[test]
fn transform_rejects_a_bad_mapping_with_its_path() {
    let mapping = temp_file(
        "bad.json",
        r#"{"f3": {"@case": {"operator": "lower", "value": {"a": 1}}}}"#,
    );
    let out = cli(&["transform", "--mapping", &mapping], "{}");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/f3/@case/value"));
}

#[test]
fn match_answers_and_rejects_bad_subscriptions() {
    let out = cli(
        &["match", r#"type = "track" and properties.total > 10"#],
        r#"{"type": "track", "properties": {"total": 12}}"#,
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "true");
    let out = cli(&["match", r#"type = "page""#], r#"{"type": "track"}"#);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "false");
    let out = cli(&["match", r#"type = "#], "{}");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("column 8"));
}

#[test]
fn check_config_lists_every_problem() {
    let config = temp_file(
        "bad-config.json",
        r#"{"settings": {}, "mappings": [{"action": "nope"}, {"action": "trackEvent", "subscription": "type = \"track"}]}"#,
    );
    let out = cli(&["check-config", &config], "");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/settings/apikey")
            && err.contains("/mappings/0/action")
            && err.contains("/mappings/1/subscription"),
        "{err}"
    );
    let good = temp_file("good-config.json", r#"{"settings": {"apikey": "k"}}"#);
    assert_eq!(
        String::from_utf8_lossy(&cli(&["check-config", &good], "").stdout).trim(),
        "ok"
    );
}

#[test]
fn unreadable_input_exits_2_with_one_line() {
    let out = cli(&["check-config", "/nonexistent/config.json"], "");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim().lines().count(),
        1
    );
    let out = cli(&["match", "type = \"x\""], "{not json");
    assert_eq!(out.status.code(), Some(2));
    let out = cli(&["frobnicate"], "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn ndjson_streams_in_chunks_numbered_as_in_the_whole_input() {
    let config = temp_file(
        "stream-config.json",
        r#"{"settings": {"apikey": "secret-key"}, "mappings": [
            {"action": "trackEvent", "enable_batching": true, "batch_size": 2},
            {"action": "identifyUser"}]}"#,
    );
    let track = r#"{"type":"track","userId":"u","event":"E","timestamp":"2025-05-14T07:30:00Z"}"#;
    let events = [
        track,
        track,
        "",
        r#"{"type":"identify","userId":"v"}"#,
        track,
        "{\"type\":\"page\"}",
    ];
    let out = cli(
        &["plan", "--config", &config, "--ndjson"],
        &events.join("\n"),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("secret-key"));
    let plans: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Chunks of the largest batch size (2): events 0-1, 2-3, 4.
    assert_eq!(plans.len(), 3);
    assert_eq!(plans[0]["requests"][0]["events"], json!([0, 1]));
    // Requests in mapping order: the track mapping's, then the identify mapping's.
    assert_eq!(plans[1]["requests"][0]["events"], json!([3]));
    assert_eq!(plans[1]["requests"][1]["method"], "PUT");
    assert_eq!(plans[1]["requests"][1]["events"], json!([2]));
    assert_eq!(plans[2]["results"][0]["index"], 4);
    assert_eq!(plans[2]["results"][0]["status"], "unmatched");
    let one_at_a_time = cli(
        &["plan", "--ndjson", "--chunk", "1", "--config", &config],
        &events.join("\n"),
    );
    assert_eq!(
        String::from_utf8_lossy(&one_at_a_time.stdout)
            .lines()
            .count(),
        5
    );
}

#[test]
fn ndjson_plans_leave_before_the_input_ends() {
    let config = temp_file("live-config.json", r#"{"settings": {"apikey": "k"}}"#);
    let mut child = Command::new(env!("CARGO_BIN_EXE_nudge-edge"))
        .args(["plan", "--config", &config, "--ndjson"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    for user in ["a", "b"] {
        writeln!(stdin, r#"{{"type":"identify","userId":"{user}"}}"#).expect("write a line");
        stdin.flush().expect("flush");
        // Standard input is still open: the plan of this line comes out now.
        let mut line = String::new();
        std::io::BufRead::read_line(&mut stdout, &mut line).expect("a plan");
        let plan: Value = serde_json::from_str(&line).expect("one plan per line");
        assert_eq!(plan["requests"][0]["body"]["ext_id"], user);
    }
    drop(stdin);
    assert!(child.wait().expect("the binary finishes").success());
}

#[test]
fn ndjson_stops_at_a_line_that_is_not_json() {
    let config = temp_file("bad-line-config.json", r#"{"settings": {"apikey": "k"}}"#);
    let events = "{\"type\":\"identify\",\"userId\":\"a\"}\n{nope\n{\"type\":\"identify\"}\n";
    let out = cli(&["plan", "--config", &config, "--ndjson"], events);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        1,
        "the plan before it is out"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("events line 2: not JSON"));
    for args in [
        &["plan", "--config", &config, "--chunk", "2"][..],
        &["plan", "--config", &config, "--ndjson", "--chunk", "0"],
        &["plan", "--config", &config, "--ndjson", "--bogus"],
    ] {
        let out = cli(args, events);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let out = cli(&["plan", "--config", &config, "--ndjson"], "\n \n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the events input is empty"));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let config = temp_file("pipe-config.json", r#"{"settings": {"apikey": "k"}}"#);
    let event = r#"{"type":"identify","userId":"u","traits":{"name":"A"}}"#;
    let events = format!("[{}]", vec![event; 2_000].join(","));
    let mut child = Command::new(env!("CARGO_BIN_EXE_nudge-edge"))
        .args(["plan", "--config", &config])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // The reader goes away before anything is written, as `| head` does after its lines.
    drop(child.stdout.take());
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(events.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("the binary finishes");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn standard_input_is_read_once() {
    let config = r#"{"settings": {"apikey": "k"}}"#;
    for args in [
        &["plan", "--config", "-"][..],
        &["plan", "--config", "-", "-"],
        &["transform", "--mapping", "-"],
        &["transform", "-", "--mapping", "-"],
    ] {
        let out = cli(args, config);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("cannot both be read from standard input"),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
    // One of them from standard input is fine.
    let events = temp_file(
        "once-events.json",
        r#"[{"type": "identify", "userId": "a"}]"#,
    );
    let out = cli(&["plan", "--config", "-", &events], config);
    assert_eq!(stdout_json(&out)["results"][0]["status"], "sent");
}

#[test]
fn empty_input_says_so() {
    let config = temp_file("empty-config.json", r#"{"settings": {"apikey": "k"}}"#);
    let empty = temp_file("empty-events.json", " \n");
    for (args, stdin) in [
        (vec!["plan", "--config", &config], ""),
        (vec!["plan", "--config", &config, &empty], ""),
        (vec!["plan", "--config", &config, "-"], "\n\n"),
    ] {
        let out = cli(&args, stdin);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        assert!(String::from_utf8_lossy(&out.stderr).contains("the events input is empty"));
    }
    let out = cli(&["match", "type = \"x\""], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the event is empty"));
    let out = cli(&["check-config", &empty], "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("is empty"));
    // An explicit empty list is a list of no events.
    let out = cli(&["plan", "--config", &config], "[]");
    assert_eq!(stdout_json(&out), json!({"requests": [], "results": []}));
}

#[test]
fn help_and_version() {
    for flag in ["--help", "-h", "help"] {
        let out = cli(&[flag], "");
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.starts_with("usage:") && text.contains("Exit status"),
            "{text}"
        );
    }
    for flag in ["--version", "-V"] {
        let out = cli(&[flag], "");
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("nudge-edge {}", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn hostile_inputs_are_refused_not_crashed() {
    let deep_fql = format!("{}type = \"a\"{}", "(".repeat(5_000), ")".repeat(5_000));
    let out = cli(&["match", &deep_fql], "{}");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nested more than 64 deep"));
    // Events are read in place, as the planner reads them: any depth is read, none recursed.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let out = cli(
        &["match", "type = \"x\""],
        &format!(r#"{{"type":"x","d":{deep}}}"#),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "true");
    let out = cli(&["match", "type = \"x\""], &format!("{deep}]"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the event is not JSON"));
    let config = temp_file(
        "absurd-config.json",
        r#"{"settings": {"apikey": "k"}, "mappings": [{"action": "trackEvent", "enable_batching": true, "batch_size": 4294967296}]}"#,
    );
    let out = cli(&["check-config", &config], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/mappings/0/batch_size"));
}

/// Every `@liquid` conformance case through `nudge-edge transform`: the same answers as
/// Segment's library, errors as exit status 1.
#[test]
fn transform_renders_every_liquid_conformance_case() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/conformance/liquid.jsonl"
    );
    let text = std::fs::read_to_string(file).expect("liquid.jsonl");
    let mut failures = Vec::new();
    let mut total = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        total += 1;
        let case: Value = serde_json::from_str(line).expect("case is JSON");
        let id = case["id"].as_str().unwrap_or_default();
        let mapping = temp_file(&format!("{id}.json"), &case["mapping"].to_string());
        let out = cli(
            &["transform", "--mapping", &mapping],
            &case["payload"].to_string(),
        );
        let expect = &case["expect"];
        if expect.get("error").is_some() {
            if out.status.code() != Some(1) {
                failures.push(format!(
                    "{id}: expected exit status 1, got {:?}",
                    out.status
                ));
            }
            continue;
        }
        let want = if expect["undefined"] == Value::Bool(true) {
            Value::Null
        } else {
            expect["output"].clone()
        };
        if !out.status.success() || stdout_json(&out) != want {
            failures.push(format!(
                "{id}: got {} {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    eprintln!(
        "liquid through the CLI: {}/{total} cases pass",
        total - failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The odd inputs every shell must read as `JSON.parse` does (tests/readers/odd-inputs.json:
/// lone surrogates, numbers beyond a double, duplicate keys, deep nesting), in configurations
/// and events alike: the plans the npm package and the Worker give for the same text.
#[test]
fn plan_reads_odd_inputs_as_the_other_shells_do() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/readers/odd-inputs.json");
    let text = std::fs::read_to_string(file).expect("odd-inputs.json");
    // The core's reader: serde_json refuses the lone surrogates of the expected plans.
    let fixture = nudge_edge::json::read::tree(&text).expect("odd-inputs.json is JSON");
    let cases = fixture["cases"].as_array().expect("cases");
    assert!(cases.len() >= 5, "the fixture lost its cases");
    for (i, case) in cases.iter().enumerate() {
        let name = case["name"].as_str().unwrap_or_default();
        let mappings = case["mappings"].as_str().expect("mappings text");
        let config = format!(
            r#"{{"settings":{{"apikey":{}}},"mappings":{mappings}}}"#,
            case["apikey"]
        );
        let config = temp_file(&format!("odd-{i}-config.json"), &config);
        let events = temp_file(
            &format!("odd-{i}-events.json"),
            case["events"].as_str().expect("events text"),
        );
        let out = cli(&["plan", "--config", &config, &events], "");
        let stderr = String::from_utf8_lossy(&out.stderr);
        if let Some(error) = case["expect"]["error"].as_str() {
            assert_eq!(out.status.code(), Some(2), "{name}");
            assert!(stderr.contains(error), "{name}: {stderr}");
            continue;
        }
        assert!(out.status.success(), "{name}: {stderr}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let plan = nudge_edge::json::read::tree(&stdout).expect("the plan is JSON");
        // As text, so that the order of members counts too.
        assert_eq!(
            plan.to_string(),
            case["expect"]["plan"].to_string(),
            "{name}"
        );
    }
}

/// `transform` reads its payload in place, as the npm package does: a lone surrogate stays,
/// `1e400` is Infinity (a template prints it), the last of repeated keys wins, and the payload
/// may nest deeper than a JSON tree; the result is indented as serde_json indents.
#[test]
fn transform_reads_the_payload_as_the_npm_package_does() {
    let mapping = temp_file(
        "odd-mapping.json",
        r#"{"s": {"@path": "$.s"}, "big": {"@template": "{{big}}"}, "k": {"@path": "$.k"},
            "deep": {"@path": "$.deep"}, "empty": {"o": {}, "a": []}}"#,
    );
    let deep = format!("{}1{}", "[".repeat(300), "]".repeat(300));
    let payload = format!(r#"{{"s": "a\ud800", "big": 1e400, "k": 1, "k": 2, "deep": {deep}}}"#);
    let out = cli(&["transform", "--mapping", &mapping], &payload);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let compact: String = stdout.chars().filter(|c| !c.is_whitespace()).collect();
    for part in [
        r#""s":"a\ud800""#,
        r#""big":"Infinity""#,
        r#""k":2"#,
        &format!(r#""deep":{deep}"#),
    ] {
        assert!(compact.contains(part), "{part} in {compact}");
    }
    // A mapping of literals maps to itself.
    let plain = json!({"a": [1, {"b": "c"}], "o": {}, "e": [], "s": "x\"y"});
    let plain_mapping = temp_file("plain-mapping.json", &plain.to_string());
    let out = cli(&["transform", "--mapping", &plain_mapping], "{}");
    let printed = String::from_utf8_lossy(&out.stdout);
    let expected = serde_json::to_string_pretty(&plain).expect("pretty");
    assert_eq!(printed, format!("{expected}\n"));
}
