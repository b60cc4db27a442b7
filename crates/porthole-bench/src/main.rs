//! `porthole-bench`: generates (or reuses) a dataset, starts the real
//! `porthole serve` on it over SQLite, drives each scenario with concurrent
//! keep-alive connections over loopback, and reports throughput, latency
//! percentiles, each scenario's share of the `/healthz` ceiling, and the
//! server's peak RSS.

mod codes;
mod dataset;
mod explain;
mod load;
mod loader;
mod report;
mod rows;
mod scenarios;
mod server;
mod world;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{CommandFactory, FromArgMatches, Parser};

use crate::dataset::CacheKey;
use crate::load::LoadSettings;
use crate::report::{Report, ScenarioResult};
use crate::scenarios::{CEILING, Fixture, KINDS};
use crate::server::{Environment, Server};
use crate::world::{Plan, World};

/// Benchmarks Porthole end to end: a generated dataset, the real `porthole
/// serve` on SQLite, and concurrent HTTP load over loopback.
///
/// The dataset is generated once per (shipments, seed, generator version,
/// migrations) and cached under target/bench-data/; each run works on a
/// fresh copy of it. The server is built in this benchmark's own profile:
/// `cargo run --release -p porthole-bench` benchmarks a release server.
/// Results go to stdout as a Markdown table; progress and the server's
/// build to stderr. Exits non-zero when any request got an unexpected
/// answer.
#[derive(Debug, Parser)]
#[command(name = "porthole-bench")]
struct Args {
    /// Shipments in the dataset. About 10 events each; organizations
    /// (1 per 50 shipments), tracking users of all four roles (1 per 10),
    /// share links (1 per 10) and the big customer's shipments (1 per 10,
    /// at most 10,000) scale with it. [default: 1000000, or 3000 with
    /// --smoke]
    #[arg(long, value_name = "N")]
    shipments: Option<u64>,

    /// Seed of the dataset: the same seed makes the same data, and the
    /// load generator's choices follow it too.
    #[arg(long, value_name = "N", default_value_t = 42)]
    seed: u64,

    /// Smoke test: a small dataset, 8 connections and about a second per
    /// scenario. Proves every scenario gets the answers it expects; judges
    /// no speed. Exits non-zero on any unexpected answer.
    #[arg(long)]
    smoke: bool,

    /// Concurrent keep-alive HTTP/1.1 connections. [default: 64, or 8 with
    /// --smoke]
    #[arg(long, value_name = "N")]
    connections: Option<usize>,

    /// Seconds of warm-up per scenario, not measured. [default: 3, or 0.2
    /// with --smoke]
    #[arg(long, value_name = "SECONDS")]
    warmup: Option<f64>,

    /// Seconds measured per scenario. [default: 10, or 1 with --smoke]
    #[arg(long, value_name = "SECONDS")]
    duration: Option<f64>,

    /// Run only these scenarios (comma-separated names, listed below). The
    /// ceiling, healthz, always runs, first.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    scenarios: Vec<String>,

    /// Also write the results as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,

    /// After the run, print SQLite's EXPLAIN QUERY PLAN for the queries on
    /// the benchmarked paths, asked of the run's database.
    #[arg(long)]
    explain: bool,

    /// Generate the dataset again even when a cached one exists.
    #[arg(long)]
    regenerate: bool,

    /// Generate (or find) the cached dataset, print its path and stop.
    #[arg(long)]
    generate_only: bool,

    /// Serve with this `porthole` binary instead of building one with
    /// `cargo build -p porthole-server` in this benchmark's profile.
    #[arg(long, value_name = "PATH")]
    porthole: Option<PathBuf>,

    /// Where datasets are cached and each run's database and server log
    /// are kept. [default: target/bench-data]
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

fn scenario_list() -> String {
    let mut text = String::from("Scenarios:\n");
    for kind in KINDS {
        text.push_str(&format!("  {:<18} {}\n", kind.name, kind.what));
    }
    text
}

fn parse_args() -> Args {
    let command = Args::command().after_help(scenario_list());
    let matches = command.get_matches();
    Args::from_arg_matches(&matches).unwrap_or_else(|error| error.exit())
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    match run(args).await {
        Ok(0) => {}
        Ok(_) => std::process::exit(1),
        Err(error) => {
            eprintln!("porthole-bench: {error:#}");
            std::process::exit(2);
        }
    }
}

fn seconds(value: f64, what: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(value).with_context(|| format!("--{what} must be a number of seconds, not {value}"))
}

/// Runs the benchmark; returns how many requests got unexpected answers.
async fn run(args: Args) -> Result<u64> {
    let smoke = args.smoke;
    let shipments = args.shipments.unwrap_or(if smoke { 3_000 } else { 1_000_000 });
    let connections = args.connections.unwrap_or(if smoke { 8 } else { 64 });
    let warmup = seconds(args.warmup.unwrap_or(if smoke { 0.2 } else { 3.0 }), "warmup")?;
    let measure = seconds(args.duration.unwrap_or(if smoke { 1.0 } else { 10.0 }), "duration")?;
    if connections == 0 {
        bail!("--connections must be at least 1");
    }
    let selected = selected_scenarios(&args.scenarios)?;

    let plan = Plan::for_shipments(shipments);
    let key = CacheKey::new(plan, args.seed);
    let data_dir = args.data_dir.clone().unwrap_or_else(|| server::target_dir().join("bench-data"));
    let dataset = dataset::ensure(&data_dir, &key, args.regenerate).await?;
    if args.generate_only {
        println!("{}", dataset.display());
        return Ok(0);
    }

    let binary = match &args.porthole {
        // Commands run in the run's folder: a relative path would miss.
        Some(path) => path.canonicalize().with_context(|| format!("no porthole binary at {}", path.display()))?,
        None => tokio::task::spawn_blocking(server::build_porthole).await??,
    };
    let run_dir = data_dir.join(format!("run-{}", plan.shipments));
    eprintln!("Copying the dataset to {}", run_dir.display());
    let database = dataset::working_copy(&dataset, &run_dir)?;
    let environment = Environment::new(&database, &run_dir);
    let api_key = server::create_api_key(&binary, &environment)?;
    let server = Server::start(&binary, &environment)?;
    eprintln!(
        "porthole serve (pid {}) listens on {}; its log is {}",
        server.pid(),
        server.address,
        server.log.display()
    );

    let world = World::new(args.seed, plan);
    eprintln!("Setting up and checking every scenario through the server");
    let fixture = Arc::new(Fixture::prepare(server.address, world, api_key, smoke).await?);
    for check in &fixture.checks {
        eprintln!("  ok: {check}");
    }

    let settings = LoadSettings { connections, warmup, measure, seed: args.seed, server_pid: Some(server.pid()) };
    let mut results: Vec<ScenarioResult> = Vec::new();
    let mut ceiling = None;
    for kind in KINDS.iter().filter(|k| selected.contains(&k.name)) {
        eprintln!(
            "Running {} for {:.1} s + {:.1} s warm-up: {}",
            kind.name,
            measure.as_secs_f64(),
            warmup.as_secs_f64(),
            kind.what
        );
        let scenario = fixture.scenario(kind.name, connections)?;
        let units = scenario.units_per_request();
        let measured = load::run(server.address, scenario, settings).await?;
        if kind.name == CEILING {
            ceiling = Some(measured.requests_per_second);
        }
        let peak = server.peak_rss_kib()?;
        eprintln!(
            "  {:.1} req/s, p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, {} errors; server CPU {:.3} ms/request; \
             load generator {:.0}% of a core; peak RSS {:.1} MiB",
            measured.requests_per_second,
            measured.p50_ms,
            measured.p99_ms,
            measured.p999_ms,
            measured.errors,
            measured.server_cpu_ms_per_request.unwrap_or(f64::NAN),
            measured.load_generator_cpu_share.unwrap_or(f64::NAN) * 100.0,
            peak as f64 / 1024.0
        );
        for sample in &measured.error_samples {
            eprintln!("  error: {sample}");
        }
        results.push(ScenarioResult {
            name: kind.name.to_owned(),
            what: kind.what.to_owned(),
            ratio_to_ceiling: ceiling.filter(|c| *c > 0.0).map(|c| measured.requests_per_second / c),
            units_per_second: (units > 0).then_some(measured.requests_per_second * units as f64),
            peak_rss_kib_after: peak,
            measured,
        });
    }
    let peak_rss_kib = server.peak_rss_kib()?;
    server.stop()?;

    let report = Report {
        shipments: plan.shipments,
        seed: args.seed,
        plan,
        profile: if cfg!(debug_assertions) { "dev" } else { "release" },
        cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        connections,
        warmup_seconds: warmup.as_secs_f64(),
        measure_seconds: measure.as_secs_f64(),
        scenarios: results,
        peak_rss_kib,
        setup_checks: fixture.checks.clone(),
    };
    println!("{}", report.markdown());
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.explain {
        println!("## Query plans\n\n{}", explain::plans(&database, &fixture.world)?);
    }
    let errors = report.errors();
    if errors > 0 {
        eprintln!("porthole-bench: {errors} requests got unexpected answers; see the table above");
    } else if smoke {
        eprintln!("porthole-bench: smoke run passed: every scenario got the answers it expects");
    }
    Ok(errors)
}

/// The scenarios to run, the ceiling always among them.
fn selected_scenarios(names: &[String]) -> Result<Vec<&'static str>> {
    if names.is_empty() {
        return Ok(KINDS.iter().map(|k| k.name).collect());
    }
    let mut selected = vec![CEILING];
    for name in names {
        let kind = KINDS
            .iter()
            .find(|k| k.name == name.trim())
            .with_context(|| format!("no scenario is called '{name}'\n{}", scenario_list()))?;
        if !selected.contains(&kind.name) {
            selected.push(kind.name);
        }
    }
    Ok(selected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_always_runs_and_unknown_names_are_refused() {
        assert_eq!(selected_scenarios(&[]).expect("all").len(), KINDS.len());
        assert_eq!(selected_scenarios(&["login".into()]).expect("one"), vec![CEILING, "login"]);
        assert!(selected_scenarios(&["nap".into()]).is_err());
    }

    #[test]
    fn the_arguments_parse() {
        Args::command().debug_assert();
        let args = Args::try_parse_from(["porthole-bench", "--smoke", "--scenarios", "login,ingest"]).expect("parses");
        assert!(args.smoke);
        assert_eq!(args.scenarios, vec!["login".to_owned(), "ingest".to_owned()]);
    }
}
