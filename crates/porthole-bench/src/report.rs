//! The results: a Markdown table on stdout, and optionally JSON.

use serde::Serialize;

use crate::load::Measured;
use crate::world::Plan;

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    pub name: String,
    pub what: String,
    #[serde(flatten)]
    pub measured: Measured,
    /// Requests per second as a share of the ceiling's (`/healthz`).
    pub ratio_to_ceiling: Option<f64>,
    /// Events per second, for ingest.
    pub units_per_second: Option<f64>,
    /// The server's peak RSS once this scenario had run.
    pub peak_rss_kib_after: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub shipments: u64,
    pub seed: u64,
    pub plan: Plan,
    pub profile: &'static str,
    pub cpus: usize,
    pub connections: usize,
    pub warmup_seconds: f64,
    pub measure_seconds: f64,
    pub scenarios: Vec<ScenarioResult>,
    pub peak_rss_kib: u64,
    pub setup_checks: Vec<String>,
}

impl Report {
    pub fn errors(&self) -> u64 {
        self.scenarios.iter().map(|s| s.measured.errors).sum()
    }

    pub fn markdown(&self) -> String {
        let mut out = format!(
            "Dataset: {} shipments (seed {}), {} organizations, {} tracking users, {} share links, big customer \
             with {} shipments. Server: `porthole serve` ({} build) on SQLite; load: {} connections, {:.1} s warm-up, \
             {:.1} s measured; {} CPUs shared by server and load generator.\n\n",
            self.plan.shipments,
            self.seed,
            self.plan.organizations,
            self.plan.users,
            self.plan.share_links,
            self.plan.big_customer_shipments,
            self.profile,
            self.connections,
            self.warmup_seconds,
            self.measure_seconds,
            self.cpus,
        );
        out.push_str(
            "| scenario | requests/s | p50 ms | p99 ms | p99.9 ms | × ceiling | errors | server CPU ms/req | \
             load gen. CPU |\n",
        );
        out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for s in &self.scenarios {
            let m = &s.measured;
            let throughput = match s.units_per_second {
                Some(units) => format!("{:.1} ({units:.0} events/s)", m.requests_per_second),
                None => format!("{:.1}", m.requests_per_second),
            };
            let ratio = s.ratio_to_ceiling.map_or_else(|| "—".to_owned(), |r| format!("{r:.3}"));
            let errors = if m.errors > 0 { format!("**{} ERRORS**", m.errors) } else { "0".to_owned() };
            let cpu = m.server_cpu_ms_per_request.map_or_else(|| "—".to_owned(), |c| format!("{c:.3}"));
            let load_cpu = m.load_generator_cpu_share.map_or_else(|| "—".to_owned(), |c| format!("{:.0}%", c * 100.0));
            out.push_str(&format!(
                "| {} | {throughput} | {} | {} | {} | {ratio} | {errors} | {cpu} | {load_cpu} |\n",
                s.name,
                ms(m.p50_ms),
                ms(m.p99_ms),
                ms(m.p999_ms)
            ));
        }
        out.push_str(&format!("\nServer peak RSS (VmHWM): {:.1} MiB.\n", self.peak_rss_kib as f64 / 1024.0));
        for s in self.scenarios.iter().filter(|s| s.measured.errors > 0) {
            out.push_str(&format!(
                "\n**{} had {} errors of {} requests.** First ones:\n",
                s.name, s.measured.errors, s.measured.requests
            ));
            for sample in &s.measured.error_samples {
                out.push_str(&format!("- {sample}\n"));
            }
        }
        out
    }
}

/// Milliseconds with the precision that matters at their size.
fn ms(value: f64) -> String {
    if value < 10.0 { format!("{value:.2}") } else { format!("{value:.1}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::percentile_ms;

    fn measured(requests: u64, errors: u64, micros: &[u64]) -> Measured {
        let mut histogram = hdrhistogram::Histogram::new_with_bounds(1, 600_000_000, 3).expect("histogram");
        for m in micros {
            histogram.record(*m).expect("in range");
        }
        Measured {
            requests,
            errors,
            seconds: 1.0,
            requests_per_second: requests as f64,
            p50_ms: percentile_ms(&histogram, 50.0),
            p99_ms: percentile_ms(&histogram, 99.0),
            p999_ms: percentile_ms(&histogram, 99.9),
            max_ms: 0.0,
            server_cpu_ms_per_request: Some(0.05),
            load_generator_cpu_share: None,
            error_samples: vec!["status 503 (expected 200)".to_owned()],
        }
    }

    #[test]
    fn the_table_shows_ratios_units_and_flags_errors() {
        let scenario = |name: &str, m: Measured, ratio, units| ScenarioResult {
            name: name.to_owned(),
            what: String::new(),
            measured: m,
            ratio_to_ceiling: ratio,
            units_per_second: units,
            peak_rss_kib_after: 1024,
        };
        let report = Report {
            shipments: 1_000,
            seed: 1,
            plan: Plan::for_shipments(1_000),
            profile: "release",
            cpus: 2,
            connections: 64,
            warmup_seconds: 3.0,
            measure_seconds: 10.0,
            scenarios: vec![
                scenario("healthz", measured(10_000, 0, &[1_000; 10]), Some(1.0), None),
                scenario("ingest", measured(40, 2, &[25_000; 10]), Some(0.004), Some(20_000.0)),
            ],
            peak_rss_kib: 200 * 1024,
            setup_checks: Vec::new(),
        };
        let table = report.markdown();
        assert!(table.contains("| healthz | 10000.0 | 1.00 | 1.00 | 1.00 | 1.000 | 0 | 0.050 | — |"), "{table}");
        assert!(table.contains("| ingest | 40.0 (20000 events/s) | 25.0 | 25.0 | 25.0 | 0.004 | **2 ERRORS** |"));
        assert!(table.contains("peak RSS (VmHWM): 200.0 MiB"));
        assert!(table.contains("**ingest had 2 errors of 40 requests.**"));
        assert_eq!(report.errors(), 2);
    }
}
