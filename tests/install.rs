//! The CLI as users install it: `cargo install --path .` into a temporary root, then the
//! installed binary run by its name. A release build takes a minute or two, so plain
//! `cargo test` leaves it out; `scripts/test.sh` runs it (`cargo test --test install --
//! --ignored`), building in `target/install` so that later runs only relink.

mod common;

use common::run;
use std::path::Path;
use std::process::Command;

#[test]
#[ignore = "a release build: scripts/test.sh runs it"]
fn cargo_install_gives_a_working_nudge_edge() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = std::env::temp_dir().join(format!("nudge-edge-install-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let status = Command::new(env!("CARGO"))
        .args(["install", "--locked", "--quiet", "--path"])
        .arg(manifest)
        .arg("--root")
        .arg(&root)
        .env("CARGO_TARGET_DIR", manifest.join("target/install"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo install --path . failed");
    let bin = root
        .join("bin")
        .join(format!("nudge-edge{}", std::env::consts::EXE_SUFFIX));

    let version = run(&bin, &["--version"], "");
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("nudge-edge {}", env!("CARGO_PKG_VERSION"))
    );
    let help = run(&bin, &["--help"], "");
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("Exit status: 0 done, 1"));

    let config = root.join("config.json");
    std::fs::write(&config, r#"{"settings": {"apikey": "k"}}"#).expect("write config");
    let config = config.to_string_lossy();
    let plan = run(
        &bin,
        &["plan", "--config", &config],
        r#"{"type": "track", "userId": "U 1", "event": "Signed Up", "timestamp": "2025-05-14T07:30:00+05:30"}"#,
    );
    assert_eq!(plan.status.code(), Some(0));
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).expect("a JSON plan");
    assert_eq!(plan["requests"][0]["body"][0]["name"], "signed_up");
    assert_eq!(plan["requests"][0]["headers"]["apikey"], "[redacted]");

    // The documented exit statuses: 1 wrong input, 2 unreadable input or command line.
    assert_eq!(run(&bin, &["match", "type ="], "{}").status.code(), Some(1));
    assert_eq!(
        run(&bin, &["plan", "--config", &config], "").status.code(),
        Some(2)
    );
    assert_eq!(run(&bin, &["frobnicate"], "").status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&root);
}
