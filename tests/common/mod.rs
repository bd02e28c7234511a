//! What the CLI tests share: running a `nudge-edge` binary as a user would.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `bin` with `args`, `stdin` as its standard input, and waits for its output.
pub fn run(bin: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let written = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    // A command may finish without reading its input (a bad subscription is refused first).
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    child.wait_with_output().expect("the binary finishes")
}
