//! `nudge-edge`: the core from the command line.
//!
//! ```text
//! nudge-edge plan --config CONFIG [EVENTS]        plan (API key redacted) as JSON
//! nudge-edge transform --mapping MAPPING [PAYLOAD] mapped JSON, or null
//! nudge-edge match SUBSCRIPTION [EVENT]            true or false
//! nudge-edge check-config CONFIG                   every problem, or "ok"
//! ```
//! A file argument of `-`, or none, reads standard input (at most one input per command can).
//! Exit status: 0 done (also when the reader of the output went away early), 1 the input is
//! well-formed but wrong (a bad mapping, subscription or config), 2 the input is unreadable,
//! empty, or the command line is wrong.

use nudge_edge::{transform, Config, Planner, Subscription};
use serde_json::Value;
use std::io::{ErrorKind, Read, Write};
use std::process::ExitCode;

const USAGE: &str = "usage:
  nudge-edge plan --config CONFIG [EVENTS]
  nudge-edge transform --mapping MAPPING [PAYLOAD]
  nudge-edge match SUBSCRIPTION [EVENT]
  nudge-edge check-config CONFIG
  nudge-edge --help | --version
EVENTS may be a JSON array, one JSON object, or NDJSON. A file of `-`, or none, reads standard
input; only one input of a command can come from it.
Exit status: 0 done, 1 the input is read but wrong (a bad mapping, subscription or
configuration), 2 the input cannot be read, is empty, or the command line is wrong.";

/// Why the command stopped.
enum Failure {
    /// The input was read but is wrong (exit 1).
    Invalid(String),
    /// The input could not be read or parsed, or the command line is wrong (exit 2).
    Unreadable(String),
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (message, code) = match run(&args) {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            return match writeln!(stdout, "{out}").and_then(|()| stdout.flush()) {
                // The reader went away (`nudge-edge plan … | head`): nothing is left to do.
                Err(e) if e.kind() == ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    report(&format!("nudge-edge: cannot write the result: {e}"));
                    ExitCode::from(2)
                }
                Ok(()) => ExitCode::SUCCESS,
            };
        }
        Err(Failure::Invalid(msg)) => (msg, 1),
        Err(Failure::Unreadable(msg)) => (format!("nudge-edge: {msg}"), 2),
    };
    report(&message);
    ExitCode::from(code)
}

/// Writes to standard error; if even that is closed there is no one left to tell.
fn report(message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{message}");
}

fn run(args: &[String]) -> Result<String, Failure> {
    let usage = || Failure::Unreadable(USAGE.to_string());
    let (command, rest) = args.split_first().ok_or_else(usage)?;
    match command.as_str() {
        "plan" => {
            let (config_path, events_path) = flag_and_input(rest, "--config")?;
            one_from_stdin(
                &config_path,
                events_path.as_deref(),
                "the configuration",
                "events",
            )?;
            let config = load_config(&config_path)?;
            let events = parse_events(&read_input(events_path.as_deref())?)?;
            pretty(&Planner::new(config).plan(&Value::Array(events)).redacted())
        }
        "transform" => {
            let (mapping_path, payload_path) = flag_and_input(rest, "--mapping")?;
            one_from_stdin(
                &mapping_path,
                payload_path.as_deref(),
                "the mapping",
                "payload",
            )?;
            let mapping = parse_json(&read_input(Some(&mapping_path))?, &mapping_path)?;
            let payload = parse_json(&read_input(payload_path.as_deref())?, "the payload")?;
            match transform(&mapping, &payload) {
                Ok(out) => pretty(&out.unwrap_or(Value::Null)),
                Err(e) => Err(Failure::Invalid(format!("invalid mapping: {e}"))),
            }
        }
        "match" => {
            let (fql, event_path) = match rest {
                [fql] => (fql, None),
                [fql, path] => (fql, Some(path.as_str())),
                _ => return Err(usage()),
            };
            let subscription = Subscription::parse(fql)
                .map_err(|e| Failure::Invalid(format!("invalid subscription: {e}")))?;
            let event = parse_json(&read_input(event_path)?, "the event")?;
            Ok(subscription.matches(&event).to_string())
        }
        "check-config" => match rest {
            [path] => load_config(path).map(|_| "ok".to_string()),
            _ => Err(usage()),
        },
        "-h" | "--help" | "help" => Ok(USAGE.to_string()),
        "-V" | "--version" => Ok(format!("nudge-edge {}", env!("CARGO_PKG_VERSION"))),
        other => Err(Failure::Unreadable(format!(
            "unknown command {other:?}\n{USAGE}"
        ))),
    }
}

/// `--flag VALUE [INPUT]` in either order.
fn flag_and_input(rest: &[String], flag: &str) -> Result<(String, Option<String>), Failure> {
    let mut value = None;
    let mut input = None;
    let mut iter = rest.iter();
    while let Some(arg) = iter.next() {
        if arg == flag {
            value = Some(
                iter.next()
                    .ok_or_else(|| Failure::Unreadable(format!("{flag} needs a value\n{USAGE}")))?
                    .clone(),
            );
        } else if input.is_none() {
            input = Some(arg.clone());
        } else {
            return Err(Failure::Unreadable(format!(
                "unexpected argument {arg:?}\n{USAGE}"
            )));
        }
    }
    let value = value.ok_or_else(|| Failure::Unreadable(format!("{flag} is required\n{USAGE}")))?;
    Ok((value, input))
}

/// Whether an input argument (`-`, or none at all) means standard input.
fn is_stdin(path: Option<&str>) -> bool {
    matches!(path, None | Some("-"))
}

/// Standard input can be read once: a command whose two inputs both name it is refused.
fn one_from_stdin(
    flag_value: &str,
    input: Option<&str>,
    flag_what: &str,
    input_what: &str,
) -> Result<(), Failure> {
    if is_stdin(Some(flag_value)) && is_stdin(input) {
        return Err(Failure::Unreadable(format!(
            "{flag_what} and the {input_what} cannot both be read from standard input; \
             give one of them as a file\n{USAGE}"
        )));
    }
    Ok(())
}

fn read_input(path: Option<&str>) -> Result<String, Failure> {
    match path.filter(|p| !is_stdin(Some(p))) {
        None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Failure::Unreadable(format!("cannot read stdin: {e}")))?;
            Ok(text)
        }
        Some(p) => std::fs::read_to_string(p)
            .map_err(|e| Failure::Unreadable(format!("cannot read {p}: {e}"))),
    }
}

fn parse_json(text: &str, what: &str) -> Result<Value, Failure> {
    if text.trim().is_empty() {
        return Err(Failure::Unreadable(format!("{what} is empty")));
    }
    serde_json::from_str(text).map_err(|e| Failure::Unreadable(format!("{what} is not JSON: {e}")))
}

/// A JSON array, one JSON value, or one JSON value per line.
fn parse_events(text: &str) -> Result<Vec<Value>, Failure> {
    if text.trim().is_empty() {
        return Err(Failure::Unreadable(
            "the events input is empty: give a JSON array, one JSON object, or NDJSON".into(),
        ));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => Ok(items),
        Ok(single) => Ok(vec![single]),
        Err(whole) => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l).map_err(|e| {
                    Failure::Unreadable(format!(
                        "events line {}: not JSON ({e}); as one document: {whole}",
                        i + 1
                    ))
                })
            })
            .collect(),
    }
}

fn load_config(path: &str) -> Result<Config, Failure> {
    let doc = parse_json(&read_input(Some(path))?, path)?;
    Config::from_json(&doc).map_err(|errors| {
        let lines: Vec<String> = errors.0.iter().map(|e| format!("  {e}")).collect();
        Failure::Invalid(format!(
            "invalid configuration ({} problems):\n{}",
            lines.len(),
            lines.join("\n")
        ))
    })
}

fn pretty<T: serde::Serialize>(value: &T) -> Result<String, Failure> {
    serde_json::to_string_pretty(value)
        .map_err(|e| Failure::Unreadable(format!("cannot print the result: {e}")))
}
