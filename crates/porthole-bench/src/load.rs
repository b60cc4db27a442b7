//! The load generator: a fixed number of HTTP/1.1 keep-alive connections
//! (hyper's client connection), each sending its next request as soon as
//! the previous answer is read whole (a closed loop). A warm-up is thrown
//! away; then every answer is timed into an HDR histogram and checked
//! against what the scenario expects.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use tokio::net::TcpStream;

pub type Body = Full<Bytes>;

/// An answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body).with_context(|| format!("not JSON ({}): {}", self.status, self.text()))
    }

    /// The value the answer sets for cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers.get_all(hyper::header::SET_COOKIE).iter().find_map(|value| {
            let text = value.to_str().ok()?;
            let pair = text.split(';').next()?.trim();
            let (key, value) = pair.split_once('=')?;
            (key == name).then(|| value.to_owned())
        })
    }
}

/// One keep-alive HTTP/1.1 connection.
#[derive(Debug)]
pub struct Connection {
    sender: SendRequest<Body>,
    host: HeaderValue,
}

impl Connection {
    pub async fn open(address: SocketAddr) -> Result<Connection> {
        let stream = TcpStream::connect(address).await.with_context(|| format!("cannot connect to {address}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            // Ends when the server closes the connection or the sender is
            // dropped; the next send reports it.
            let _ = connection.await;
        });
        let host = HeaderValue::from_str(&address.to_string())?;
        Ok(Connection { sender, host })
    }

    pub async fn send(&mut self, mut request: Request<Body>) -> Result<Answer> {
        request.headers_mut().insert(hyper::header::HOST, self.host.clone());
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Answer { status: parts.status, headers: parts.headers, body })
    }
}

/// A request to send, and what its answer must be.
#[derive(Debug)]
pub struct Planned {
    pub request: Request<Body>,
    pub expect: Expect,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    Status(StatusCode),
    /// The status, and a `Set-Cookie` for this cookie.
    StatusAndCookie(StatusCode, &'static str),
    /// 200 with an event batch outcome of exactly these counts.
    Ingested {
        accepted: u64,
        duplicates: u64,
    },
}

impl Expect {
    /// `Ok` when `answer` is what was expected, else why not.
    pub fn check(&self, answer: &Answer) -> Result<(), String> {
        let wanted = match self {
            Expect::Status(status) | Expect::StatusAndCookie(status, _) => *status,
            Expect::Ingested { .. } => StatusCode::OK,
        };
        if answer.status != wanted {
            return Err(format!("status {} (expected {wanted})", answer.status.as_u16()));
        }
        match self {
            Expect::Status(_) => Ok(()),
            Expect::StatusAndCookie(_, name) => {
                answer.cookie(name).map(drop).ok_or_else(|| format!("no {name} cookie set"))
            }
            Expect::Ingested { accepted, duplicates } => {
                let outcome = answer.json().map_err(|e| e.to_string())?;
                let got = (outcome["accepted"].as_u64(), outcome["duplicates"].as_u64());
                if got == (Some(*accepted), Some(*duplicates)) {
                    Ok(())
                } else {
                    Err(format!("ingested {got:?}, expected ({accepted}, {duplicates})"))
                }
            }
        }
    }
}

/// What a scenario sends next. `worker` is the connection's number; `rng`
/// is that connection's own, seeded.
pub trait Scenario: Send + Sync {
    fn next(&self, worker: usize, rng: &mut ChaCha8Rng) -> Result<Planned>;

    /// Units of work per request beyond the request itself (events in an
    /// ingest batch); 0 when a request is the unit.
    fn units_per_request(&self) -> u64 {
        0
    }
}

#[derive(Debug, Clone, Copy)]
pub struct LoadSettings {
    pub connections: usize,
    pub warmup: Duration,
    pub measure: Duration,
    pub seed: u64,
    /// The server's process, whose CPU time is counted over the measured
    /// time.
    pub server_pid: Option<u32>,
}

/// What one scenario measured.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    pub requests: u64,
    pub errors: u64,
    pub seconds: f64,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    /// CPU time the server spent per measured request, in milliseconds:
    /// what a request costs, whatever the load generator took.
    pub server_cpu_ms_per_request: Option<f64>,
    /// CPU time of this process (the load generator) over the measured
    /// time, as a share of one core.
    pub load_generator_cpu_share: Option<f64>,
    /// A few of the errors, to say what went wrong.
    pub error_samples: Vec<String>,
}

struct WorkerResult {
    histogram: Histogram<u64>,
    requests: u64,
    errors: u64,
    error_samples: Vec<String>,
    last_finish: Instant,
}

fn new_histogram() -> Result<Histogram<u64>> {
    // Microseconds, from 1 µs to 10 minutes, three significant digits.
    Histogram::new_with_bounds(1, 600_000_000, 3).context("histogram bounds")
}

/// Runs `scenario` over `settings.connections` connections for the
/// warm-up and then the measured time.
pub async fn run(address: SocketAddr, scenario: Arc<dyn Scenario>, settings: LoadSettings) -> Result<Measured> {
    let start = Instant::now();
    let measure_from = start + settings.warmup;
    let stop_at = measure_from + settings.measure;
    let mut workers = Vec::with_capacity(settings.connections);
    for worker in 0..settings.connections {
        let scenario = Arc::clone(&scenario);
        let seed = settings.seed.wrapping_add(worker as u64);
        workers.push(tokio::spawn(async move {
            drive(address, scenario.as_ref(), worker, seed, measure_from, stop_at).await
        }));
    }
    tokio::time::sleep_until(measure_from.into()).await;
    let cpu_at_start = cpu_now(settings.server_pid);
    let mut histogram = new_histogram()?;
    let (mut requests, mut errors) = (0, 0);
    let mut error_samples = Vec::new();
    let mut last_finish = measure_from;
    for worker in workers {
        let result = worker.await.context("a load worker stopped")??;
        histogram.add(&result.histogram).context("merging histograms")?;
        requests += result.requests;
        errors += result.errors;
        last_finish = last_finish.max(result.last_finish);
        for sample in result.error_samples {
            if error_samples.len() < 5 {
                error_samples.push(sample);
            }
        }
    }
    let cpu_at_end = cpu_now(settings.server_pid);
    let seconds = last_finish.duration_since(measure_from).as_secs_f64().max(f64::EPSILON);
    let used = |start: Option<f64>, end: Option<f64>| end.zip(start).map(|(end, start)| end - start);
    let server_cpu = used(cpu_at_start.0, cpu_at_end.0);
    let own_cpu = used(cpu_at_start.1, cpu_at_end.1);
    Ok(Measured {
        requests,
        errors,
        seconds,
        requests_per_second: requests as f64 / seconds,
        p50_ms: percentile_ms(&histogram, 50.0),
        p99_ms: percentile_ms(&histogram, 99.0),
        p999_ms: percentile_ms(&histogram, 99.9),
        max_ms: histogram.max() as f64 / 1_000.0,
        server_cpu_ms_per_request: server_cpu.filter(|_| requests > 0).map(|cpu| cpu * 1_000.0 / requests as f64),
        load_generator_cpu_share: own_cpu.map(|cpu| cpu / seconds),
        error_samples,
    })
}

/// CPU seconds so far of the server (when its pid is known) and of this
/// process.
fn cpu_now(server: Option<u32>) -> (Option<f64>, Option<f64>) {
    let server = server.and_then(|pid| crate::server::cpu_seconds(pid).ok());
    (server, crate::server::cpu_seconds(std::process::id()).ok())
}

/// The latency at `quantile` percent, in milliseconds; 0 with no samples.
pub fn percentile_ms(histogram: &Histogram<u64>, percent: f64) -> f64 {
    if histogram.is_empty() {
        return 0.0;
    }
    histogram.value_at_quantile(percent / 100.0) as f64 / 1_000.0
}

async fn drive(
    address: SocketAddr,
    scenario: &dyn Scenario,
    worker: usize,
    seed: u64,
    measure_from: Instant,
    stop_at: Instant,
) -> Result<WorkerResult> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut result = WorkerResult {
        histogram: new_histogram()?,
        requests: 0,
        errors: 0,
        error_samples: Vec::new(),
        last_finish: measure_from,
    };
    let mut connection = None;
    while Instant::now() < stop_at {
        let planned = scenario.next(worker, &mut rng)?;
        let connection_now = match connection.as_mut() {
            Some(open) => open,
            None => match Connection::open(address).await {
                Ok(opened) => connection.insert(opened),
                Err(error) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    note(&mut result, Instant::now() >= measure_from, format!("connect: {error:#}"));
                    continue;
                }
            },
        };
        let sent_at = Instant::now();
        let answer = connection_now.send(planned.request).await;
        let finished = Instant::now();
        let measured = sent_at >= measure_from;
        if measured {
            result.requests += 1;
            result.last_finish = finished;
            let micros = u64::try_from(finished.duration_since(sent_at).as_micros()).unwrap_or(u64::MAX);
            result.histogram.saturating_record(micros.max(1));
        }
        match answer {
            Ok(answer) => {
                if let Err(why) = planned.expect.check(&answer) {
                    let body: String = answer.text().chars().take(200).collect();
                    note(&mut result, measured, format!("{why}: {body}"));
                }
            }
            Err(error) => {
                connection = None;
                note(&mut result, measured, format!("transport: {error:#}"));
            }
        }
    }
    Ok(result)
}

/// Counts an error of the measured time, keeping the first few messages.
/// Warm-up errors are kept as samples too: a scenario that fails at once
/// should say why.
fn note(result: &mut WorkerResult, measured: bool, message: String) {
    if measured {
        result.errors += 1;
    }
    if result.error_samples.len() < 3 {
        result.error_samples.push(message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_histogram_in_milliseconds() {
        let mut histogram = new_histogram().expect("histogram");
        for micros in 1..=1_000 {
            histogram.record(micros * 10).expect("in range");
        }
        // Three significant digits: within 0.2% of the exact ranks.
        let near = |percent: f64, exact_ms: f64| {
            let got = percentile_ms(&histogram, percent);
            assert!((got - exact_ms).abs() <= exact_ms * 0.002, "p{percent}: {got} ms, not {exact_ms}");
        };
        near(50.0, 5.0);
        near(99.0, 9.9);
        near(99.9, 10.0);
        assert_eq!(percentile_ms(&new_histogram().expect("histogram"), 99.0), 0.0);
    }

    fn answer(status: u16, body: &str, cookie: Option<&str>) -> Answer {
        let mut headers = HeaderMap::new();
        if let Some(cookie) = cookie {
            headers.append(hyper::header::SET_COOKIE, HeaderValue::from_str(cookie).expect("header"));
        }
        Answer { status: StatusCode::from_u16(status).expect("status"), headers, body: Bytes::from(body.to_owned()) }
    }

    #[test]
    fn expectations_check_status_cookie_and_ingest_counts() {
        assert!(Expect::Status(StatusCode::OK).check(&answer(200, "", None)).is_ok());
        assert!(Expect::Status(StatusCode::OK).check(&answer(503, "", None)).is_err());
        let cookie = "porthole_link=ls_1; Path=/share/lnk_1; HttpOnly";
        let expect = Expect::StatusAndCookie(StatusCode::SEE_OTHER, "porthole_link");
        assert!(expect.check(&answer(303, "", Some(cookie))).is_ok());
        assert!(expect.check(&answer(303, "", None)).is_err());
        assert_eq!(answer(303, "", Some(cookie)).cookie("porthole_link").as_deref(), Some("ls_1"));
        let ingested = Expect::Ingested { accepted: 0, duplicates: 500 };
        assert!(ingested.check(&answer(200, r#"{"accepted": 0, "duplicates": 500}"#, None)).is_ok());
        assert!(ingested.check(&answer(200, r#"{"accepted": 500, "duplicates": 0}"#, None)).is_err());
    }
}
