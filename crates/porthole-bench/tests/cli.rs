//! The binary's command line, as people meet it. Also makes `cargo test
//! --workspace` build the binary, which CI then runs in smoke mode.

use std::process::Command;

#[test]
fn help_explains_every_flag_and_lists_the_scenarios() {
    let output = Command::new(env!("CARGO_BIN_EXE_porthole-bench")).arg("--help").output().expect("runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--shipments",
        "--seed",
        "--smoke",
        "--connections",
        "--warmup",
        "--duration",
        "--scenarios",
        "--json",
        "--explain",
        "--regenerate",
        "--generate-only",
        "--porthole",
        "--data-dir",
    ] {
        assert!(help.contains(flag), "{flag} is not in --help:\n{help}");
    }
    for scenario in ["healthz", "share-page", "share-open", "portal-detail", "portal-list-deep", "ingest", "login"] {
        assert!(help.contains(scenario), "{scenario} is not listed:\n{help}");
    }
}

#[test]
fn an_unknown_scenario_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let output = Command::new(env!("CARGO_BIN_EXE_porthole-bench"))
        .args(["--scenarios", "nap", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no scenario is called 'nap'"));
    assert_eq!(std::fs::read_dir(dir.path()).expect("readable").count(), 0, "nothing was generated");
}
