//! The real `porthole` binary: built (or given), an API key made with its
//! own CLI, and `porthole serve` started on the run's database, on a free
//! loopback port.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The workspace this crate belongs to, where `cargo build` runs.
pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..");
    root.canonicalize().unwrap_or(root)
}

/// Where cargo puts what it builds: `CARGO_TARGET_DIR`, else the
/// workspace's `target/`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), PathBuf::from)
}

/// Builds `porthole` in the profile this benchmark was built in (release
/// under `cargo run --release`, else dev) and returns the executable.
pub fn build_porthole() -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(workspace_root()).args([
        "build",
        "-p",
        "porthole-server",
        "--bin",
        "porthole",
        "--message-format=json-render-diagnostics",
    ]);
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    eprintln!("Building porthole ({} profile)", if cfg!(debug_assertions) { "dev" } else { "release" });
    let output = command.stderr(Stdio::inherit()).output().context("cannot run cargo build")?;
    if !output.status.success() {
        bail!("cargo build of porthole failed ({})", output.status);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact" && message["target"]["name"] == "porthole")
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .context("cargo build did not name the porthole executable")
}

/// The settings every `porthole` command of a run gets, as environment
/// variables over the built-in defaults.
#[derive(Debug, Clone)]
pub struct Environment {
    pub vars: Vec<(String, String)>,
    pub dir: PathBuf,
}

impl Environment {
    pub fn new(database: &Path, run_dir: &Path) -> Environment {
        let mut vars: Vec<(String, String)> = vec![
            ("PORTHOLE__DATABASE__URL".into(), crate::dataset::sqlite_url(database)),
            ("PORTHOLE__HTTP__BIND".into(), "127.0.0.1:0".into()),
            ("PORTHOLE__HTTP__PUBLIC_URL".into(), "http://127.0.0.1:8080".into()),
            ("PORTHOLE__MAIL__DIR".into(), run_dir.join("mail").display().to_string()),
            // The mail worker would dispatch the causes that ingest records;
            // it is left out so each scenario measures its request alone.
            ("PORTHOLE__NOTIFICATIONS__WORKER".into(), "false".into()),
        ];
        // Every request comes from 127.0.0.1: the per-process sign-in and
        // code limits would otherwise refuse the load, not measure it.
        for key in [
            "PORTAL__SIGN_IN_BURST_PER_ACCOUNT",
            "PORTAL__SIGN_IN_PER_MINUTE_PER_ACCOUNT",
            "PORTAL__SIGN_IN_BURST_PER_ADDRESS",
            "PORTAL__SIGN_IN_PER_MINUTE_PER_ADDRESS",
            "SHARE__CODE_BURST_PER_LINK",
            "SHARE__CODE_PER_MINUTE_PER_LINK",
            "SHARE__CODE_BURST_PER_ADDRESS",
            "SHARE__CODE_PER_MINUTE_PER_ADDRESS",
        ] {
            vars.push((format!("PORTHOLE__{key}"), "1000000000".into()));
        }
        Environment { vars, dir: run_dir.to_owned() }
    }

    fn command(&self, binary: &Path) -> Command {
        let mut command = Command::new(binary);
        command.current_dir(&self.dir).env_remove("RUST_LOG").env_remove("PORTHOLE_CONFIG");
        for (key, value) in &self.vars {
            command.env(key, value);
        }
        command
    }
}

/// A staff key with the general manager's role, made by `porthole api-key
/// create`, which prints the key on its last line.
pub fn create_api_key(binary: &Path, environment: &Environment) -> Result<String> {
    let output = environment
        .command(binary)
        .args(["api-key", "create", "--name", "bench", "--role", "general_manager"])
        .stdin(Stdio::null())
        .output()
        .context("cannot run porthole api-key create")?;
    if !output.status.success() {
        bail!("porthole api-key create failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .map(|line| line.trim().to_owned())
        .filter(|key| key.starts_with("ph_"))
        .context("porthole api-key create printed no key")
}

/// A running `porthole serve`.
#[derive(Debug)]
pub struct Server {
    child: Child,
    pub address: SocketAddr,
    pub log: PathBuf,
}

impl Server {
    /// Starts `porthole serve`, its log going to `serve.log` in the run's
    /// folder, and waits until it says where it listens.
    pub fn start(binary: &Path, environment: &Environment) -> Result<Server> {
        let log = environment.dir.join("serve.log");
        let log_file = File::create(&log).with_context(|| format!("cannot create {}", log.display()))?;
        let child = environment
            .command(binary)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file))
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let mut server = Server { child, address: SocketAddr::from(([127, 0, 0, 1], 0)), log };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(address) = listening_address(&server.log)? {
                server.address = address;
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("porthole serve exited ({status}) before listening; see {}", server.log.display());
            }
            if Instant::now() > deadline {
                bail!("porthole serve did not say where it listens within 2 minutes; see {}", server.log.display());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's peak resident set so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> Result<u64> {
        proc_status_kib(self.pid(), "VmHWM")
    }

    /// Stops the server with SIGTERM, as an operator would, and waits.
    pub fn stop(mut self) -> Result<()> {
        let pid = self.pid().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().context("cannot run kill")?;
        if !sent.success() {
            bail!("kill -TERM {pid} failed");
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait()? {
                if !status.success() {
                    bail!("porthole serve stopped with {status}; see {}", self.log.display());
                }
                return Ok(());
            }
            if Instant::now() > deadline {
                self.child.kill()?;
                bail!("porthole serve did not stop within a minute of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The address in the server's "porthole is listening on http://ADDR"
/// line, once it is logged.
fn listening_address(log: &Path) -> Result<Option<SocketAddr>> {
    let file = File::open(log).with_context(|| format!("cannot read {}", log.display()))?;
    for line in BufReader::new(file).lines() {
        let line = line?;
        if let Some(rest) = line.split("listening on http://").nth(1)
            && let Some(address) = rest.split_whitespace().next()
        {
            return Ok(Some(address.parse().with_context(|| format!("not an address: {address}"))?));
        }
    }
    Ok(None)
}

/// CPU time (user and system) the process has used so far, in seconds,
/// threads that have ended included.
pub fn cpu_seconds(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("cannot read /proc/{pid}/stat"))?;
    parse_cpu_seconds(&stat).with_context(|| format!("cannot read the CPU times in /proc/{pid}/stat"))
}

/// `utime` and `stime`, the 14th and 15th fields, in USER_HZ (100 per
/// second on Linux); the command name before them may hold spaces, so
/// fields are counted after its closing parenthesis.
fn parse_cpu_seconds(stat: &str) -> Option<f64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// A `kB` field of `/proc/PID/status`, such as `VmHWM` or `VmRSS`.
pub fn proc_status_kib(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status"))?;
    parse_status_kib(&status, field).with_context(|| format!("/proc/{pid}/status has no {field}"))
}

fn parse_status_kib(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kib_fields_of_proc_status() {
        let status = "Name:\tporthole\nVmPeak:\t  912340 kB\nVmHWM:\t  123456 kB\nVmRSS:\t   99999 kB\n";
        assert_eq!(parse_status_kib(status, "VmHWM"), Some(123_456));
        assert_eq!(parse_status_kib(status, "VmRSS"), Some(99_999));
        assert_eq!(parse_status_kib(status, "VmSwap"), None);
    }

    #[test]
    fn reads_cpu_times_of_proc_stat() {
        let stat = "4242 (tokio rt (x)) S 1 4242 4242 0 -1 4194560 1 0 0 0 250 130 0 0 20 0 9 0 1 1 1";
        assert_eq!(parse_cpu_seconds(stat), Some(3.8));
        assert_eq!(parse_cpu_seconds("garbage"), None);
    }

    #[test]
    fn finds_the_address_in_the_servers_log() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let log = dir.path().join("serve.log");
        std::fs::write(&log, "starting\n").expect("write");
        assert_eq!(listening_address(&log).expect("readable"), None);
        std::fs::write(
            &log,
            "INFO porthole_server: porthole is listening on http://127.0.0.1:41234 address=127.0.0.1:41234\n",
        )
        .expect("write");
        assert_eq!(listening_address(&log).expect("readable"), Some(SocketAddr::from(([127, 0, 0, 1], 41_234))));
    }
}
