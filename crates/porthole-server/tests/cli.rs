//! The `porthole` binary as an operator runs it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The binary with a clean environment (no stray `PORTHOLE__*` or
/// `RUST_LOG` from the caller) over a database in `dir`. Weekly reports
/// fall on a day three days away, so no test's mail count depends on
/// which day it runs (the demo's users ask for weekly reports).
fn porthole(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_porthole"));
    let report_day = (chrono::Utc::now() + chrono::Duration::days(3)).format("%A").to_string();
    command
        .env_clear()
        .current_dir(dir)
        .env("PORTHOLE__DATABASE__URL", format!("sqlite://{}?mode=rwc", dir.join("porthole.db").display()))
        .env("PORTHOLE__NOTIFICATIONS__REPORT_WEEKDAY", report_day);
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

#[test]
fn help_lists_demo_and_check() {
    let dir = scratch();
    let output = run(porthole(dir.path()).arg("--help"));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let help = text(&output.stdout);
    assert!(help.contains("demo") && help.contains("check"), "{help}");

    let output = run(porthole(dir.path()).args(["check", "isolation", "--help"]));
    let help = text(&output.stdout);
    assert!(help.contains("--json") && help.contains("Exits with 1"), "{help}");

    let output = run(porthole(dir.path()).args(["demo", "--help"]));
    assert!(text(&output.stdout).contains("--seed-only"), "{}", text(&output.stdout));
}

#[test]
fn a_bad_portal_setting_is_refused_naming_the_key() {
    let dir = scratch();
    let output = run(porthole(dir.path()).env("PORTHOLE__PORTAL__MIN_PASSWORD_LENGTH", "4").arg("serve"));
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("portal.min_password_length"), "{stderr}");
}

#[test]
fn a_bad_share_setting_is_refused_naming_the_key() {
    let cases = [
        ("PORTHOLE__SHARE__DELIVERY_GRACE_HOURS", "a week", "share.delivery_grace_hours"),
        ("PORTHOLE__SHARE__CODE_BURST_PER_LINK", "0", "share.code_burst_per_link"),
    ];
    for (var, value, key) in cases {
        let dir = scratch();
        let output = run(porthole(dir.path()).env(var, value).arg("serve"));
        assert!(!output.status.success(), "{var}={value} was accepted");
        let stderr = text(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("porthole: ") && stderr.contains(key), "{var}={value}: {stderr}");
        assert!(!dir.path().join("porthole.db").exists(), "refused before touching the database");
    }
}

#[test]
fn an_smtp_transport_without_a_usable_url_is_refused_naming_mail_smtp_url() {
    let cases = [None, Some("smtp://mailer:smtp-pass@:587"), Some("smtps://mailer:smtp-pass@relay.internal?tls=none")];
    for url in cases {
        let dir = scratch();
        let mut command = porthole(dir.path());
        command.env("PORTHOLE__MAIL__TRANSPORT", "smtp");
        if let Some(url) = url {
            command.env("PORTHOLE__MAIL__SMTP_URL", url);
        }
        let output = run(command.arg("serve"));
        assert!(!output.status.success(), "{url:?} was accepted");
        let stderr = text(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("porthole: ") && stderr.contains("mail.smtp_url"), "{url:?}: {stderr}");
        assert!(!stderr.contains("smtp-pass"), "{stderr}");
        assert!(!dir.path().join("porthole.db").exists(), "refused before touching the database");
    }
}

#[test]
fn an_smtp_transport_builds_without_reaching_the_server_and_logs_it_without_the_password() {
    let dir = scratch();
    let output = run(porthole(dir.path())
        .env("PORTHOLE__MAIL__TRANSPORT", "smtp")
        .env("PORTHOLE__MAIL__SMTP_URL", "smtp://mailer:smtp-pass@smtp.example-forwarder.com:587")
        .args(["api-key", "create", "--name", "tms", "--role", "operator"]));
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("smtp://mailer:***@smtp.example-forwarder.com:587"), "{stderr}");
    assert!(!stderr.contains("smtp-pass"), "{stderr}");
}

/// `porthole check isolation --json` over the database in `dir`.
fn isolation_report(dir: &Path) -> (Output, serde_json::Value) {
    let output = run(porthole(dir).args(["check", "isolation", "--json"]));
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("the report is JSON ({e}): {}\n{}", text(&output.stdout), text(&output.stderr)));
    (output, report)
}

#[test]
fn demo_seeds_once_and_passes_the_isolation_check() {
    let dir = scratch();
    let first = run(porthole(dir.path()).args(["demo", "--seed-only"]));
    let stdout = text(&first.stdout);
    assert!(first.status.success(), "{stdout}\n{}", text(&first.stderr));
    assert!(stdout.contains("http://127.0.0.1:8080/portal/login"), "{stdout}");
    for login in ["saigontech", "mekong", "pacifichome", "bdfactory", "lbagent", "porthole-demo"] {
        assert!(stdout.contains(login), "{login} is listed: {stdout}");
    }
    assert!(stdout.contains("/api/docs"), "{stdout}");
    assert!(stdout.contains("SGTECHX"), "the look-alike warning is shown: {stdout}");
    assert!(stdout.contains("http://127.0.0.1:8080/t/"), "the share link is printed: {stdout}");
    assert!(stdout.contains("logistics@pacifichome.example") && stdout.contains("code"), "{stdout}");
    let key = stdout.split_whitespace().find(|word| word.starts_with("ph_")).unwrap_or_default();
    assert_eq!(key.len(), 3 + 64, "the API key is printed: {stdout}");
    let mails = std::fs::read_dir(dir.path().join("mail")).map(Iterator::count).unwrap_or_default();
    assert_eq!(mails, 2, "the invited user's setup e-mail and the share link's are in the mail folder");
    assert_eq!(mails_to(dir.path(), "thu.pham@saigontech.example"), 1);
    assert_eq!(mails_to(dir.path(), "logistics@pacifichome.example"), 1);
    let counts = outbox_counts(dir.path(), &format!("sqlite://{}?mode=rwc", dir.path().join("porthole.db").display()));
    assert_eq!((counts["causes_waiting"].as_u64(), counts["sent"].as_u64()), (Some(0), Some(2)), "{counts}");

    let (_, before) = isolation_report(dir.path());
    let second = run(porthole(dir.path()).args(["demo", "--seed-only"]));
    let stdout = text(&second.stdout);
    assert!(second.status.success(), "{stdout}\n{}", text(&second.stderr));
    assert!(stdout.contains("already"), "{stdout}");
    assert!(stdout.contains("saigontech"), "the logins are printed again: {stdout}");
    assert!(!stdout.contains("ph_"), "no new key: {stdout}");
    assert!(!stdout.contains("/t/"), "no new share link: {stdout}");
    assert!(stdout.contains("1 link to it still works") && stdout.contains("/api/v1/share/links"), "{stdout}");

    let (output, report) = isolation_report(dir.path());
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(report, before, "nothing was added the second time");
    assert_eq!(report["clean"], true, "{report:#}");
    assert_eq!(report["mismatches"].as_array().map(Vec::len), Some(0), "{report:#}");
    assert_eq!(report["users"], 6, "{report:#}");
    assert_eq!(report["active_users"], 5, "{report:#}");
    assert_eq!(report["shipments"], 5, "{report:#}");
    // saigontech 2, mekong 2, pacifichome, bdfactory and lbagent 1 each.
    assert_eq!(report["visible_pairs"], 7, "{report:#}");

    let output = run(porthole(dir.path()).args(["check", "isolation"]));
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", text(&output.stderr));
    assert!(stdout.contains("mismatches      0"), "{stdout}");
    let look_alike = stdout.lines().find(|line| line.contains("saigontech") && line.contains("SGTECHX"));
    assert!(look_alike.is_some(), "the SGTECH/SGTECHX look-alike is flagged: {stdout}");
    assert!(text(&output.stderr).contains("Checked"), "progress goes to stderr: {}", text(&output.stderr));
}

/// A `porthole` process serving on a random port, its log lines arriving
/// on `log`.
struct Serving {
    child: Child,
    address: String,
    log: mpsc::Receiver<String>,
}

impl Serving {
    /// Starts `command` (bound to port 0) and waits until it says where it
    /// listens.
    fn start(command: &mut Command) -> Serving {
        let mut child = command
            .env("PORTHOLE__HTTP__BIND", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("porthole starts");
        let (lines_tx, log) = mpsc::channel::<String>();
        let stderr = child.stderr.take().expect("stderr is piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        let address = loop {
            let Ok(line) = log.recv_timeout(Duration::from_secs(60)) else {
                let _ = child.kill();
                panic!("porthole did not report its address: {seen:#?}");
            };
            let found = line.split("listening on http://").nth(1).and_then(|rest| rest.split_whitespace().next());
            if let Some(address) = found.map(str::to_owned) {
                break address;
            }
            seen.push(line);
        };
        Serving { child, address, log }
    }

    /// One GET over plain HTTP/1.1, answered whole.
    fn get(&self, path: &str, bearer: Option<&str>) -> String {
        let mut stream = TcpStream::connect(&self.address).expect("the server accepts connections");
        let authorization = bearer.map(|key| format!("Authorization: Bearer {key}\r\n")).unwrap_or_default();
        let request = format!("GET {path} HTTP/1.1\r\nHost: porthole\r\n{authorization}Connection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).expect("request sent");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("response read");
        response
    }
}

impl Serving {
    /// One JSON POST over plain HTTP/1.1 with a staff key, answered whole.
    fn post_json(&self, path: &str, key: &str, body: &str) -> String {
        let mut stream = TcpStream::connect(&self.address).expect("the server accepts connections");
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: porthole\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).expect("request sent");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("response read");
        response
    }

    /// Sends SIGTERM and waits for a graceful exit.
    #[cfg(unix)]
    fn stop(mut self) {
        let killed = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill runs");
        assert!(killed.success());
        let status = self.child.wait().expect("wait on porthole");
        assert!(status.success(), "a graceful stop exits 0, got {status}");
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn demo_serves_after_seeding() {
    let dir = scratch();
    let serving = Serving::start(porthole(dir.path()).arg("demo"));
    let health = serving.get("/healthz", None);
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
}

#[test]
fn the_demo_api_key_reads_the_showcase_shipment_and_the_share_link_asks_for_an_address() {
    let dir = scratch();
    let seeded = run(porthole(dir.path()).args(["demo", "--seed-only"]));
    let stdout = text(&seeded.stdout);
    assert!(seeded.status.success(), "{stdout}\n{}", text(&seeded.stderr));
    let curl = stdout.lines().find(|line| line.contains("curl -H 'Authorization: Bearer ph_")).unwrap_or_default();
    let key = curl.split_whitespace().find(|word| word.starts_with("ph_")).unwrap_or_default();
    let key = key.trim_end_matches('\'');
    let path = curl.split("127.0.0.1:8080").nth(1).unwrap_or_default().trim();
    assert!(path.starts_with("/api/v1/shipments/shp_"), "{curl}");

    let share_path = stdout
        .split_whitespace()
        .filter_map(|word| word.strip_prefix("http://127.0.0.1:8080"))
        .find(|path| path.starts_with("/t/"))
        .unwrap_or_else(|| panic!("no share link printed: {stdout}"));

    let serving = Serving::start(porthole(dir.path()).arg("serve"));
    let response = serving.get(path, Some(key));
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("SHP/202505/00080") && response.contains("in_transit"), "{response}");

    let share = serving.get(share_path, None);
    assert!(share.starts_with("HTTP/1.1 200"), "the link asks for an e-mail first: {share}");
    assert!(share.contains("<form") && share.contains("email"), "{share}");
    assert!(
        !share.contains("MSCU4721357") && !share.contains("MSDU7810425"),
        "no shipment data before verification: {share}"
    );
}

#[cfg(unix)]
#[test]
fn serve_answers_then_stops_gracefully_on_sigterm() {
    let dir = scratch();
    let mut serving = Serving::start(porthole(dir.path()).arg("serve"));
    let response = serving.get("/healthz", None);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    let killed = Command::new("kill").args(["-TERM", &serving.child.id().to_string()]).status().expect("kill runs");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = serving.child.try_wait().expect("wait on porthole") {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop within 30 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "a graceful stop exits 0, got {status}");
    // The process has exited, so its log ends: read it all.
    let rest: Vec<String> = serving.log.iter().collect();
    assert!(rest.iter().any(|line| line.contains("SIGTERM received")), "{rest:#?}");
}

/// The `.eml` files in the mail folder whose `To:` header names `address`.
fn mails_to(dir: &Path, address: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(dir.join("mail")) else { return 0 };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .filter(|mail| {
            mail.lines()
                .take_while(|line| !line.is_empty())
                .any(|line| line.to_ascii_lowercase().starts_with("to:") && line.contains(address))
        })
        .count()
}

fn outbox_counts(dir: &Path, database: &str) -> serde_json::Value {
    let output = run(porthole(dir).env("PORTHOLE__DATABASE__URL", database).args(["outbox", "list", "--json"]));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("outbox list --json is JSON ({e}): {}", text(&output.stdout)));
    report["counts"].clone()
}

/// The SPEC §7 demo, then SPEC §5's promise: a change committed just before
/// the process is killed is mailed after the restart, exactly once, to
/// exactly the Saigon Tech users who asked for it.
#[cfg(unix)]
#[test]
fn an_eta_change_committed_before_a_kill_is_mailed_once_after_the_restart() {
    const ANH: &str = "anh.nguyen@saigontech.example";
    const CONSIGNEE: &str = "jessica.park@pacifichome.example";
    const MEKONG: &str = "minh.tran@mekonggarments.example";
    const INVITED: &str = "thu.pham@saigontech.example";
    let dir = scratch();
    let database = TestDatabase::create(dir.path());
    let porthole = |dir: &Path| {
        let mut command = porthole(dir);
        command.env("PORTHOLE__DATABASE__URL", &database.url);
        command
    };
    let seeded = run(porthole(dir.path()).args(["demo", "--seed-only"]));
    let stdout = text(&seeded.stdout);
    assert!(seeded.status.success(), "{stdout}\n{}", text(&seeded.stderr));
    let curl = stdout.lines().find(|line| line.contains("curl -H 'Authorization: Bearer ph_")).unwrap_or_default();
    let key = curl.split_whitespace().find(|word| word.starts_with("ph_")).unwrap_or_default().trim_end_matches('\'');
    let shipment = curl.split("/api/v1/shipments/").nth(1).unwrap_or_default().trim();
    assert!(shipment.starts_with("shp_") && key.len() == 67, "{stdout}");
    assert_eq!(mails_to(dir.path(), INVITED), 1, "the seeding's setup mail went out before the welcome");

    // Committed, then killed before the worker could send: the coalescing
    // window keeps the change waiting.
    let serving =
        Serving::start(porthole(dir.path()).env("PORTHOLE__NOTIFICATIONS__COALESCE_SECONDS", "3600").arg("serve"));
    let batch = r#"{"events": [{"event_id": "crash-eta", "event_type": "TRANSPORT", "event_code": "ARRI",
        "classifier": "EST", "event_time": "2025-05-27T09:00:00-07:00",
        "location": {"unlocode": "USLGB", "name": "Long Beach"}, "published": true}]}"#;
    let answer = serving.post_json(&format!("/api/v1/shipments/{shipment}/events"), key, batch);
    assert!(answer.starts_with("HTTP/1.1 200") && answer.contains("\"accepted\":1"), "{answer}");
    drop(serving); // SIGKILL
    assert_eq!(mails_to(dir.path(), ANH), 0, "nothing was sent before the kill");
    assert_eq!(outbox_counts(dir.path(), &database.url)["causes_waiting"], 1, "the change waits in the outbox");

    // Restarted: the worker sends it.
    let serving = Serving::start(
        porthole(dir.path())
            .env("PORTHOLE__NOTIFICATIONS__COALESCE_SECONDS", "0")
            .env("PORTHOLE__NOTIFICATIONS__POLL_INTERVAL_MS", "100")
            .arg("serve"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while mails_to(dir.path(), ANH) == 0 || mails_to(dir.path(), CONSIGNEE) == 0 {
        assert!(Instant::now() < deadline, "no ETA mail within 30 s of the restart");
        std::thread::sleep(Duration::from_millis(100));
    }
    serving.stop();
    let counts = outbox_counts(dir.path(), &database.url);
    assert_eq!((counts["causes_waiting"].as_u64(), counts["pending"].as_u64()), (Some(0), Some(0)), "{counts}");

    // Run again: nothing more goes out.
    let serving =
        Serving::start(porthole(dir.path()).env("PORTHOLE__NOTIFICATIONS__POLL_INTERVAL_MS", "100").arg("serve"));
    std::thread::sleep(Duration::from_millis(1500));
    serving.stop();
    assert_eq!(mails_to(dir.path(), ANH), 1, "exactly once to the customer who asked for ETA mails");
    assert_eq!(mails_to(dir.path(), CONSIGNEE), 1, "and once to the consignee who did");
    assert_eq!(mails_to(dir.path(), MEKONG), 0, "never to the other customer");
    assert_eq!(mails_to(dir.path(), INVITED), 1, "not to a user who has not signed in yet");
}

/// The database of a test that also runs on PostgreSQL: with
/// `PORTHOLE_TEST_POSTGRES_URL` set, a new database next to the one it
/// names (made and dropped with `psql`), else a SQLite file in the test's
/// folder.
struct TestDatabase {
    url: String,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    fn create(dir: &Path) -> TestDatabase {
        let sqlite = format!("sqlite://{}?mode=rwc", dir.join("porthole.db").display());
        let Some(admin) = std::env::var("PORTHOLE_TEST_POSTGRES_URL").ok().filter(|url| !url.trim().is_empty()) else {
            return TestDatabase { url: sqlite, postgres: None };
        };
        let (server, base) = admin.rsplit_once('/').expect("a postgres://HOST/DB URL");
        let base = base.split('?').next().unwrap_or(base);
        let name = format!("{base}_cli_{}", std::process::id());
        psql(&admin, &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        psql(&admin, &format!("CREATE DATABASE \"{name}\""));
        TestDatabase { url: format!("{server}/{name}"), postgres: Some((admin, name)) }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.postgres {
            psql(admin, &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
    }
}

fn psql(url: &str, sql: &str) {
    let output = Command::new("psql").args([url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql]).output();
    let output = output.expect("psql runs (PORTHOLE_TEST_POSTGRES_URL is set)");
    assert!(output.status.success(), "psql {sql}: {}", text(&output.stderr));
}
