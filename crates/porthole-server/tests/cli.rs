//! The `porthole` binary as an operator runs it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The binary with a clean environment (no stray `PORTHOLE__*` or
/// `RUST_LOG` from the caller) over a database in `dir`.
fn porthole(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_porthole"));
    command
        .env_clear()
        .current_dir(dir)
        .env("PORTHOLE__DATABASE__URL", format!("sqlite://{}?mode=rwc", dir.join("porthole.db").display()));
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("porthole runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

#[test]
fn api_key_create_prints_the_key_alone_as_the_last_line() {
    let dir = scratch();
    let output = run(porthole(dir.path()).args(["api-key", "create", "--name", "tms", "--role", "operator"]));
    assert!(output.status.success(), "{}", text(&output.stderr));

    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.len() > 1, "an explanation comes first: {stdout}");
    let key = lines.last().copied().unwrap_or_default();
    assert!(key.starts_with("ph_") && key.len() == 3 + 64, "the last line is the key alone: {key:?}");
    assert!(key[3..].chars().all(|c| c.is_ascii_hexdigit()), "{key:?}");
    assert!(!text(&output.stderr).contains(key), "the key is never logged");
}

#[test]
fn migrate_brings_a_new_database_up_to_date() {
    let dir = scratch();
    let output = run(porthole(dir.path()).arg("migrate"));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("up to date"), "{}", text(&output.stdout));
    assert!(dir.path().join("porthole.db").exists());
}

#[test]
fn a_bad_setting_stops_startup_with_one_line_naming_the_key() {
    let dir = scratch();
    let output = run(porthole(dir.path()).env("PORTHOLE__HTTP__BIND", "everywhere").arg("serve"));
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("porthole: "), "{stderr}");
    assert!(stderr.contains("http.bind") && stderr.contains("PORTHOLE__HTTP__BIND"), "{stderr}");
}

#[test]
fn an_unopenable_database_is_named_in_one_line() {
    let dir = scratch();
    let missing = dir.path().join("no-such-dir").join("porthole.db");
    let url = format!("sqlite://{}?mode=rwc", missing.display());
    let output = run(porthole(dir.path()).env("PORTHOLE__DATABASE__URL", &url).arg("serve"));
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with(&format!("porthole: cannot open database {url}")), "{stderr}");
}

#[test]
fn a_missing_config_file_is_refused() {
    let dir = scratch();
    let output = run(porthole(dir.path()).args(["--config", "absent.toml", "migrate"]));
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("absent.toml"), "{}", text(&output.stderr));
}

#[cfg(unix)]
#[test]
fn serve_answers_then_stops_gracefully_on_sigterm() {
    let dir = scratch();
    let mut child = porthole(dir.path())
        .env("PORTHOLE__HTTP__BIND", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("porthole serve starts");

    let (lines_tx, lines) = mpsc::channel::<String>();
    let stderr = child.stderr.take().expect("stderr is piped");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });

    let mut log = Vec::new();
    let address = loop {
        let Ok(line) = lines.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            panic!("serve did not report its address: {log:#?}");
        };
        let found = line.split("listening on http://").nth(1).and_then(|rest| rest.split_whitespace().next());
        if let Some(address) = found.map(str::to_owned) {
            break address;
        }
        log.push(line);
    };

    let mut stream = TcpStream::connect(&address).expect("the server accepts connections");
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: porthole\r\nConnection: close\r\n\r\n").expect("request sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill runs");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait on porthole") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve did not stop within 30 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "a graceful stop exits 0, got {status}");
    let rest: Vec<String> = lines.try_iter().collect();
    assert!(rest.iter().any(|line| line.contains("SIGTERM received")), "{rest:#?}");
}
