//! `nudge-edge`: the core from the command line.
//!
//! ```text
//! nudge-edge plan --config CONFIG [EVENTS]        plan (API key redacted) as JSON
//! nudge-edge plan --config CONFIG --ndjson [--chunk N] [EVENTS]
//!                                                  NDJSON in, one plan per chunk out, streamed
//! nudge-edge transform --mapping MAPPING [PAYLOAD] mapped JSON, or null
//! nudge-edge match SUBSCRIPTION [EVENT]            true or false
//! nudge-edge check-config CONFIG                   every problem, or "ok"
//! ```
//! A file argument of `-`, or none, reads standard input (at most one input per command can).
//! Every input is read as the npm package and the Worker read it, as `JSON.parse` would:
//! configurations and mappings with [`json::read::tree`], events and payloads in place (so a
//! number beyond a double is ±Infinity, a lone surrogate is kept, the last of repeated keys
//! wins, and events may nest to any depth).
//! Exit status: 0 done (also when the reader of the output went away early), 1 the input is
//! well-formed but wrong (a bad mapping, subscription or config), 2 the input is unreadable,
//! empty, or the command line is wrong.

use nudge_edge::event::event_in;
use nudge_edge::json;
use nudge_edge::mapping::transform_event;
use nudge_edge::{Config, Planner, Subscription};
use serde_json::value::RawValue;
use serde_json::Value;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::process::ExitCode;

const USAGE: &str = "usage:
  nudge-edge plan --config CONFIG [EVENTS]
  nudge-edge plan --config CONFIG --ndjson [--chunk N] [EVENTS]
  nudge-edge transform --mapping MAPPING [PAYLOAD]
  nudge-edge match SUBSCRIPTION [EVENT]
  nudge-edge check-config CONFIG
  nudge-edge --help | --version
EVENTS may be a JSON array, one JSON object, or NDJSON. A file of `-`, or none, reads standard
input; only one input of a command can come from it.
--ndjson streams: events are read one line at a time and planned N at a time through one
planner (N: the configuration's largest batch_size, else 1), one plan per line on standard
output, numbered as in the whole input.
Exit status: 0 done, 1 the input is read but wrong (a bad mapping, subscription or
configuration), 2 the input cannot be read, is empty, or the command line is wrong.";

/// Why the command stopped.
enum Failure {
    /// The input was read but is wrong (exit 1).
    Invalid(String),
    /// The input could not be read or parsed, or the command line is wrong (exit 2).
    Unreadable(String),
    /// Whoever read the output went away (`nudge-edge plan … | head`): nothing is left to do
    /// (exit 0).
    Closed,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut stdout = std::io::stdout().lock();
    let result = run(&args, &mut stdout).and_then(|()| stdout.flush().map_err(written));
    match result {
        Ok(()) | Err(Failure::Closed) => ExitCode::SUCCESS,
        Err(Failure::Invalid(msg)) => {
            report(&msg);
            ExitCode::from(1)
        }
        Err(Failure::Unreadable(msg)) => {
            report(&format!("nudge-edge: {msg}"));
            ExitCode::from(2)
        }
    }
}

/// Writes to standard error; if even that is closed there is no one left to tell.
/// The time `@liquid`'s `"now"` stands for: the system clock, in milliseconds since the epoch.
fn system_clock() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_millis() as f64)
}

fn report(message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{message}");
}

/// What a failed write of the output means.
fn written(e: std::io::Error) -> Failure {
    match e.kind() {
        ErrorKind::BrokenPipe => Failure::Closed,
        _ => Failure::Unreadable(format!("cannot write the result: {e}")),
    }
}

fn print(out: &mut impl Write, text: &str) -> Result<(), Failure> {
    writeln!(out, "{text}").map_err(written)
}

fn run(args: &[String], out: &mut impl Write) -> Result<(), Failure> {
    let usage = || Failure::Unreadable(USAGE.to_string());
    let (command, rest) = args.split_first().ok_or_else(usage)?;
    match command.as_str() {
        "plan" => {
            let options = Options::read(rest, &["--config", "--chunk"], &["--ndjson"])?;
            let config_path = options.required("--config")?;
            let events_path = options.input.as_deref();
            one_from_stdin(config_path, events_path, "the configuration", "events")?;
            let planner = Planner::new(load_config(config_path)?).with_clock(system_clock);
            let chunk = match (options.value("--chunk"), options.switch("--ndjson")) {
                (Some(n), true) => match n.parse::<usize>() {
                    Ok(n) if n > 0 => n,
                    _ => {
                        return Err(Failure::Unreadable(format!(
                            "--chunk needs a count of events, not {n:?}\n{USAGE}"
                        )))
                    }
                },
                (Some(_), false) => {
                    return Err(Failure::Unreadable(format!(
                        "--chunk goes with --ndjson\n{USAGE}"
                    )))
                }
                (None, true) => planner.config().largest_batch_size(),
                (None, false) => {
                    let plan = plan_all(&planner, &read_input(events_path)?)?;
                    return print(out, &pretty(&plan.redacted())?);
                }
            };
            stream(&planner, open_input(events_path)?, chunk, out)
        }
        "transform" => {
            let options = Options::read(rest, &["--mapping"], &[])?;
            let mapping_path = options.required("--mapping")?;
            let payload_path = options.input.as_deref();
            one_from_stdin(mapping_path, payload_path, "the mapping", "payload")?;
            let mapping = parse_json(&read_input(Some(mapping_path))?, mapping_path)?;
            let text = read_input(payload_path)?;
            not_empty(&text, "the payload")?;
            let payload = event_in(&text).map_err(|e| not_json("the payload", &e))?;
            let mapped = transform_event(&mapping, &payload, system_clock())
                .map_err(|e| Failure::Invalid(format!("invalid mapping: {e}")))?;
            // Written as `JSON.stringify` writes it (lone surrogates as `\udXXX`, ±Infinity
            // as null), then indented.
            let mut written = String::new();
            match mapped.write_json(&mut written) {
                Ok(true) => print(out, &indent(&written)),
                Ok(false) => print(out, "null"),
                Err(e) => Err(Failure::Unreadable(format!("cannot print the result: {e}"))),
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
            let text = read_input(event_path)?;
            not_empty(&text, "the event")?;
            // Read in place, as the planner reads events: any depth of nesting.
            let event = event_in(&text).map_err(|e| not_json("the event", &e))?;
            print(out, &subscription.matches_event(&event).to_string())
        }
        "check-config" => match rest {
            [path] => load_config(path).and_then(|_| print(out, "ok")),
            _ => Err(usage()),
        },
        "-h" | "--help" | "help" => print(out, USAGE),
        "-V" | "--version" => print(out, &format!("nudge-edge {}", env!("CARGO_PKG_VERSION"))),
        other => Err(Failure::Unreadable(format!(
            "unknown command {other:?}\n{USAGE}"
        ))),
    }
}

/// A command's flags (`--flag VALUE`), switches (`--switch`) and one input file, in any order.
struct Options {
    values: Vec<(&'static str, String)>,
    switches: Vec<&'static str>,
    input: Option<String>,
}

impl Options {
    fn read(
        rest: &[String],
        flags: &[&'static str],
        switches: &[&'static str],
    ) -> Result<Options, Failure> {
        let mut options = Options {
            values: Vec::new(),
            switches: Vec::new(),
            input: None,
        };
        let mut iter = rest.iter();
        while let Some(arg) = iter.next() {
            if let Some(flag) = flags.iter().find(|f| **f == arg) {
                let value = iter
                    .next()
                    .ok_or_else(|| Failure::Unreadable(format!("{flag} needs a value\n{USAGE}")))?;
                options.values.push((flag, value.clone()));
            } else if let Some(switch) = switches.iter().find(|s| **s == arg) {
                options.switches.push(switch);
            } else if options.input.is_none() && (arg == "-" || !arg.starts_with("--")) {
                options.input = Some(arg.clone());
            } else {
                return Err(Failure::Unreadable(format!(
                    "unexpected argument {arg:?}\n{USAGE}"
                )));
            }
        }
        Ok(options)
    }

    fn value(&self, flag: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(f, _)| *f == flag)
            .map(|(_, v)| v.as_str())
    }

    fn required(&self, flag: &str) -> Result<&str, Failure> {
        self.value(flag)
            .ok_or_else(|| Failure::Unreadable(format!("{flag} is required\n{USAGE}")))
    }

    fn switch(&self, switch: &str) -> bool {
        self.switches.contains(&switch)
    }
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

/// The input named by `path` (standard input for `-` or none), to be read as it comes.
fn open_input(path: Option<&str>) -> Result<Box<dyn BufRead>, Failure> {
    match path.filter(|p| !is_stdin(Some(p))) {
        None => Ok(Box::new(BufReader::new(std::io::stdin()))),
        Some(p) => std::fs::File::open(p)
            .map(|f| Box::new(BufReader::new(f)) as Box<dyn BufRead>)
            .map_err(|e| Failure::Unreadable(format!("cannot read {p}: {e}"))),
    }
}

fn read_input(path: Option<&str>) -> Result<String, Failure> {
    let mut text = String::new();
    open_input(path)?
        .read_to_string(&mut text)
        .map_err(|e| unreadable_input(path, &e))?;
    Ok(text)
}

fn unreadable_input(path: Option<&str>, e: &std::io::Error) -> Failure {
    let name = path.filter(|p| !is_stdin(Some(p))).unwrap_or("stdin");
    Failure::Unreadable(format!("cannot read {name}: {e}"))
}

fn not_json(what: &str, e: &serde_json::Error) -> Failure {
    Failure::Unreadable(format!("{what} is not JSON: {e}"))
}

fn not_empty(text: &str, what: &str) -> Result<(), Failure> {
    if text.trim().is_empty() {
        return Err(Failure::Unreadable(format!("{what} is empty")));
    }
    Ok(())
}

/// A configuration or a mapping, read as the npm package and the Worker read them.
fn parse_json(text: &str, what: &str) -> Result<Value, Failure> {
    not_empty(text, what)?;
    json::read::tree(text).map_err(|e| not_json(what, &e))
}

const EMPTY_EVENTS: &str =
    "the events input is empty: give a JSON array, one JSON object, or NDJSON";

/// Plans a whole input: a JSON array, one JSON value, or one JSON value per line.
fn plan_all(planner: &Planner, text: &str) -> Result<nudge_edge::Plan, Failure> {
    if text.trim().is_empty() {
        return Err(Failure::Unreadable(EMPTY_EVENTS.into()));
    }
    let whole = match planner.plan_text(text) {
        Ok(plan) => return Ok(plan),
        Err(whole) => whole,
    };
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l))
        .collect();
    let events = read_lines(&lines).map_err(|e| match e {
        Failure::Unreadable(m) => Failure::Unreadable(format!("{m}; as one document: {whole}")),
        other => other,
    })?;
    Ok(planner.plan_raw(&events))
}

/// NDJSON lines (with their line numbers) read in place.
fn read_lines<'a>(lines: &[(usize, &'a str)]) -> Result<Vec<&'a RawValue>, Failure> {
    lines
        .iter()
        .map(|(n, line)| {
            serde_json::from_str(line)
                .map_err(|e| Failure::Unreadable(format!("events line {n}: not JSON ({e})")))
        })
        .collect()
}

/// Plans NDJSON as it arrives, `chunk` events at a time through one planner, and writes each
/// chunk's plan as one line with the events numbered as in the whole input. Memory holds one
/// chunk; a line that is not JSON stops the stream (the plans before it are out).
fn stream(
    planner: &Planner,
    mut input: Box<dyn BufRead>,
    chunk: usize,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let mut lines: Vec<(usize, String)> = Vec::with_capacity(chunk.min(10_000));
    let (mut line_number, mut planned) = (0, 0);
    loop {
        let mut line = String::new();
        let read = input
            .read_line(&mut line)
            .map_err(|e| Failure::Unreadable(format!("events line {}: {e}", line_number + 1)))?;
        line_number += 1;
        if read > 0 && !line.trim().is_empty() {
            lines.push((line_number, line));
        }
        if lines.len() == chunk || (read == 0 && !lines.is_empty()) {
            let borrowed: Vec<(usize, &str)> =
                lines.iter().map(|(n, l)| (*n, l.as_str())).collect();
            let plan = planner.plan_raw(&read_lines(&borrowed)?);
            print(out, &plan.redacted().numbered_from(planned).to_json())?;
            planned += lines.len();
            lines.clear();
        }
        if read == 0 {
            break;
        }
    }
    if planned == 0 {
        return Err(Failure::Unreadable(EMPTY_EVENTS.into()));
    }
    Ok(())
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

/// Compact JSON text indented as `serde_json::to_string_pretty` indents (two spaces, `": "`,
/// `{}` and `[]` when empty), strings copied as they are, escapes included.
fn indent(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    let mut chars = compact.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' if matches!(chars.peek(), Some('}' | ']')) => {
                out.push(c);
                out.extend(chars.next());
            }
            '{' | '[' => {
                out.push(c);
                depth += 1;
                newline(&mut out, depth);
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}
