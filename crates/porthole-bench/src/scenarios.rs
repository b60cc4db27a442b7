//! The scenarios, and the fixture they need: sessions signed in through
//! the portal API, the big customer's deep cursors and container numbers,
//! share links opened through `/t/{token}`, shipments to send events to.
//! Setting up checks, through the server, that each scenario's requests
//! get the answers they should, before any is timed.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail, ensure};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use porthole_domain::{Audience, MilestoneState, Status, TrackingRole};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::load::{Answer, Body, Connection, Expect, Planned, Scenario};
use crate::world::{GenShipment, PASSWORD, World};

/// One scenario: its name on the command line and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub name: &'static str,
    pub what: &'static str,
}

pub const CEILING: &str = "healthz";

/// Every scenario, in the order they run: the ceiling first, reads before
/// writes, sign-in (argon2) last.
pub const KINDS: &[Kind] = &[
    Kind { name: CEILING, what: "GET /healthz (no database): the ceiling" },
    Kind { name: "share-page", what: "GET /share/{link} with the link's cookie (page + access-log row)" },
    Kind { name: "share-open", what: "GET /t/{token} → 303 + cookie (starts a link session)" },
    Kind { name: "portal-detail", what: "GET /api/portal/v1/shipments/{id}, users of all four roles" },
    Kind { name: "portal-list", what: "GET …/shipments?limit=50, big customer, first page" },
    Kind { name: "portal-list-deep", what: "the same with a cursor 50–99% deep into the big customer's list" },
    Kind { name: "portal-search", what: "GET …/shipments?q=CONTAINER&limit=50, big customer" },
    Kind { name: "ingest", what: "POST /api/v1/shipments/{id}/events, 500 events; every 5th a re-send" },
    Kind { name: "login", what: "POST /api/portal/v1/session (argon2id m=19 MiB t=2 p=1)" },
];

/// Events per ingest batch.
pub const BATCH: u64 = 500;
/// Every this-many-th ingest request of a connection re-sends one of its
/// earlier batches, which must come back as all duplicates.
const RESEND_EVERY: u64 = 5;
/// How many users of each role the detail scenario reads for.
const USERS_PER_ROLE: usize = 8;

/// What the scenarios draw their requests from.
#[derive(Debug)]
pub struct Fixture {
    pub world: World,
    pub api_key: String,
    big_sessions: Vec<String>,
    deep_cursors: Vec<String>,
    search_terms: Vec<String>,
    detail: Vec<(String, String)>,
    link_tokens: Vec<String>,
    link_sessions: Vec<(String, String)>,
    logins: Vec<String>,
    /// What setting up checked, for the report.
    pub checks: Vec<String>,
}

fn get(path: &str) -> Result<Request<Body>> {
    Ok(Request::builder().method(Method::GET).uri(path).body(Body::new(Bytes::new()))?)
}

fn with_cookie(path: &str, name: &str, value: &str) -> Result<Request<Body>> {
    Ok(Request::builder()
        .method(Method::GET)
        .uri(path)
        .header(hyper::header::COOKIE, format!("{name}={value}"))
        .body(Body::new(Bytes::new()))?)
}

fn post_json(path: &str, bearer: Option<&str>, body: Bytes) -> Result<Request<Body>> {
    let mut request =
        Request::builder().method(Method::POST).uri(path).header(hyper::header::CONTENT_TYPE, "application/json");
    if let Some(key) = bearer {
        request = request.header(hyper::header::AUTHORIZATION, format!("Bearer {key}"));
    }
    Ok(request.body(Body::new(body))?)
}

fn sign_in_body(login: &str) -> Bytes {
    Bytes::from(json!({ "login": login, "password": PASSWORD }).to_string())
}

const SESSION_COOKIE: &str = "porthole_session";
const LINK_COOKIE: &str = "porthole_link";
const PORTAL_SHIPMENTS: &str = "/api/portal/v1/shipments";

fn expect_status(answer: &Answer, status: StatusCode, what: &str) -> Result<()> {
    ensure!(answer.status == status, "{what}: expected {status}, got {}: {}", answer.status, answer.text());
    Ok(())
}

/// What a viewer of the big customer sees: its shipments with an HBL
/// number that are not drafts, newest reference first.
fn big_customer_list(world: &World) -> Vec<GenShipment> {
    let mut visible: Vec<GenShipment> = world
        .plan
        .big_customer_shipment_indexes()
        .map(|i| world.shipment(i))
        .filter(|g| g.shipment.hbl_no.as_deref().is_some_and(|hbl| !hbl.trim().is_empty()))
        .filter(|g| MilestoneState::derive(&g.shipment, &g.events(), Audience::Viewer).status != Status::Draft)
        .collect();
    visible.reverse();
    visible
}

fn cursor_for(reference: &str) -> String {
    URL_SAFE_NO_PAD.encode(reference)
}

fn references(page: &serde_json::Value) -> Vec<String> {
    page["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|item| item["reference"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn ids(page: &serde_json::Value) -> Vec<String> {
    page["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|item| item["id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// The big customer's side of the fixture.
struct BigCustomer {
    sessions: Vec<String>,
    deep_cursors: Vec<String>,
    search_terms: Vec<String>,
    /// (session, shipment id) pairs to read in detail.
    detail: Vec<(String, String)>,
}

/// Share links that open at once, and sessions on some of them.
struct Links {
    tokens: Vec<String>,
    sessions: Vec<(String, String)>,
}

impl Fixture {
    /// Sets up every scenario through the server at `address`, checking
    /// each kind of request once.
    pub async fn prepare(address: SocketAddr, world: World, api_key: String, smoke: bool) -> Result<Fixture> {
        let mut conn = Connection::open(address).await?;
        let mut checks = Vec::new();
        let health = conn.send(get("/healthz")?).await?;
        expect_status(&health, StatusCode::OK, "GET /healthz")?;
        let big = big_customer(&mut conn, &world, &mut checks).await?;
        let (more_detail, mut logins) = users_of_every_role(&mut conn, &world, smoke, &mut checks).await?;
        // More people to sign in as, so one account is not signed in over
        // and over.
        for k in (world.plan.big_customer_users..world.plan.users).step_by(3) {
            let generated = world.user(k);
            if generated.may_sign_in(&world) {
                logins.push(generated.user.user_id.to_string());
            }
            if logins.len() >= 2_000 {
                break;
            }
        }
        let links = share_links(&mut conn, &world, smoke, &mut checks).await?;
        let mut fixture = Fixture {
            world,
            api_key,
            big_sessions: big.sessions,
            deep_cursors: big.deep_cursors,
            search_terms: big.search_terms,
            detail: big.detail.into_iter().chain(more_detail).collect(),
            link_tokens: links.tokens,
            link_sessions: links.sessions,
            logins,
            checks,
        };
        fixture.check_ingest(&mut conn).await?;
        Ok(fixture)
    }

    /// A batch is accepted whole, and sending it again changes nothing.
    async fn check_ingest(&mut self, conn: &mut Connection) -> Result<()> {
        let target = self.world.plan.shipments - 1;
        let (path, body) = batch(&self.world, target, "setup");
        let first = conn.send(post_json(&path, Some(&self.api_key), body.clone())?).await?;
        Expect::Ingested { accepted: BATCH, duplicates: 0 }.check(&first).map_err(anyhow::Error::msg)?;
        let again = conn.send(post_json(&path, Some(&self.api_key), body)?).await?;
        Expect::Ingested { accepted: 0, duplicates: BATCH }.check(&again).map_err(anyhow::Error::msg)?;
        self.checks.push(format!("a batch of {BATCH} events is accepted, and its re-send is all duplicates"));
        Ok(())
    }

    /// The scenario called `name`, for `connections` connections.
    pub fn scenario(self: &Arc<Self>, name: &str, connections: usize) -> Result<Arc<dyn Scenario>> {
        let fixture = Arc::clone(self);
        Ok(match name {
            CEILING => Arc::new(Healthz),
            "share-page" => Arc::new(SharePage(fixture)),
            "share-open" => Arc::new(ShareOpen(fixture)),
            "portal-detail" => Arc::new(PortalDetail(fixture)),
            "portal-list" => Arc::new(PortalList { fixture, deep: false }),
            "portal-list-deep" => Arc::new(PortalList { fixture, deep: true }),
            "portal-search" => Arc::new(PortalSearch(fixture)),
            "ingest" => Arc::new(Ingest {
                fixture,
                next_target: AtomicU64::new(0),
                sent: (0..connections).map(|_| Mutex::new(Batches::default())).collect(),
            }),
            "login" => Arc::new(Login(fixture)),
            other => bail!("no scenario is called {other}"),
        })
    }
}

/// Signs the big customer's users in and checks its first page, a deep
/// page and a container search against the list the world says it has.
async fn big_customer(conn: &mut Connection, world: &World, checks: &mut Vec<String>) -> Result<BigCustomer> {
    let visible = big_customer_list(world);
    ensure!(visible.len() > 150, "the big customer sees only {} shipments; use more shipments", visible.len());
    let mut sessions = Vec::new();
    for k in 0..world.plan.big_customer_users.max(1) {
        let login = world.user(k).user.user_id.to_string();
        sessions.push(sign_in(conn, &login).await?);
    }
    let first_page = with_cookie(&format!("{PORTAL_SHIPMENTS}?limit=50"), SESSION_COOKIE, &sessions[0])?;
    let first = conn.send(first_page).await?;
    expect_status(&first, StatusCode::OK, "the big customer's first page")?;
    let page = first.json()?;
    let expected: Vec<String> = visible.iter().take(50).map(|g| g.shipment.reference.to_string()).collect();
    ensure!(references(&page) == expected, "the big customer's first page is not the newest 50 shipments");
    ensure!(page["next_cursor"].is_string(), "the big customer's first page has no next cursor");
    checks.push(format!("big customer: {} visible shipments, first page = newest 50", visible.len()));

    // Cursors from halfway down the list to 51 before its end, so each
    // page is full.
    let deep_positions: Vec<usize> =
        (0..32).map(|n| visible.len() / 2 + n * (visible.len() / 2).saturating_sub(51) / 32).collect();
    let deep_cursors: Vec<String> =
        deep_positions.iter().map(|p| cursor_for(visible[*p].shipment.reference.as_str())).collect();
    let last = deep_positions.last().copied().unwrap_or_default();
    let path = format!("{PORTAL_SHIPMENTS}?limit=50&cursor={}", cursor_for(visible[last].shipment.reference.as_str()));
    let deep = conn.send(with_cookie(&path, SESSION_COOKIE, &sessions[0])?).await?;
    expect_status(&deep, StatusCode::OK, "a deep page")?;
    let expected: Vec<String> = visible[last + 1..].iter().take(50).map(|g| g.shipment.reference.to_string()).collect();
    ensure!(references(&deep.json()?) == expected, "the deep page at {last} is not the 50 shipments after it");
    checks.push(format!("deep cursors at positions {}–{last} return the next 50", deep_positions[0]));

    let with_containers: Vec<&GenShipment> =
        visible.iter().filter(|g| !g.shipment.containers.is_empty()).take(200).collect();
    let probe = with_containers.get(with_containers.len() / 2).context("no big-customer shipment has a container")?;
    let number = probe.shipment.containers[0].number.to_string();
    let path = format!("{PORTAL_SHIPMENTS}?limit=50&q={number}");
    let found = conn.send(with_cookie(&path, SESSION_COOKIE, &sessions[0])?).await?;
    expect_status(&found, StatusCode::OK, "a container search")?;
    let id = probe.shipment.id.to_string();
    ensure!(ids(&found.json()?).contains(&id), "searching {number} does not find {}", probe.shipment.reference);
    let search_terms: Vec<String> =
        with_containers.iter().map(|g| g.shipment.containers[0].number.to_string()).collect();
    checks.push(format!("container search finds its shipment ({} numbers)", search_terms.len()));

    let detail = visible
        .iter()
        .step_by((visible.len() / 64).max(1))
        .enumerate()
        .map(|(n, g)| (sessions[n % sessions.len()].clone(), g.shipment.id.to_string()))
        .collect();
    Ok(BigCustomer { sessions, deep_cursors, search_terms, detail })
}

/// Signs in up to [`USERS_PER_ROLE`] users of each role who see
/// shipments, reading one of them in detail; returns (session, shipment)
/// pairs for the detail scenario and the logins tried.
async fn users_of_every_role(
    conn: &mut Connection,
    world: &World,
    smoke: bool,
    checks: &mut Vec<String>,
) -> Result<(Vec<(String, String)>, Vec<String>)> {
    let mut detail = Vec::new();
    let mut logins = Vec::new();
    for role in [TrackingRole::Customer, TrackingRole::Shipper, TrackingRole::Consignee, TrackingRole::OverseasAgent] {
        let mut found = 0;
        let mut tried = 0;
        for k in (world.plan.big_customer_users..world.plan.users).step_by(7) {
            let generated = world.user(k);
            let user = &generated.user;
            if user.role != role || !generated.may_sign_in(world) {
                continue;
            }
            tried += 1;
            if found == USERS_PER_ROLE || tried > 200 {
                break;
            }
            let session = sign_in(conn, user.user_id.as_str()).await?;
            logins.push(user.user_id.to_string());
            let list = conn.send(with_cookie(&format!("{PORTAL_SHIPMENTS}?limit=50"), SESSION_COOKIE, &session)?);
            let list = list.await?;
            expect_status(&list, StatusCode::OK, "a user's list")?;
            let seen = ids(&list.json()?);
            let Some(one) = seen.first() else { continue };
            let shown = conn.send(with_cookie(&format!("{PORTAL_SHIPMENTS}/{one}"), SESSION_COOKIE, &session)?);
            expect_status(&shown.await?, StatusCode::OK, "a shipment of a user's list")?;
            detail.extend(seen.into_iter().take(8).map(|id| (session.clone(), id)));
            found += 1;
        }
        checks.push(format!("{}: {found} users with shipments read their detail", role.as_str()));
        // A small world may give an agent nobody's shipments; the full
        // one must have users of every role who see some.
        if !smoke || role == TrackingRole::Customer {
            ensure!(found > 0, "no {} user sees any shipment", role.as_str());
        }
    }
    Ok((detail, logins))
}

/// Opens links through `/t/{token}` as a browser would: a 303 to the
/// link's page with its cookie, and the page showing its shipment.
async fn share_links(conn: &mut Connection, world: &World, smoke: bool, checks: &mut Vec<String>) -> Result<Links> {
    let openable: Vec<_> =
        (0..world.plan.share_links).map(|j| world.share_link(j)).filter(|l| l.opens_at_once()).take(5_000).collect();
    ensure!(!openable.is_empty(), "no share link opens without a code");
    let mut sessions = Vec::new();
    for link in openable.iter().take(if smoke { 16 } else { 256 }) {
        let opened = conn.send(get(&format!("/t/{}", link.token))?).await?;
        expect_status(&opened, StatusCode::SEE_OTHER, "opening a share link")?;
        let page_path = format!("/share/{}", link.link.id);
        let location = opened.headers.get(hyper::header::LOCATION).and_then(|l| l.to_str().ok());
        ensure!(location == Some(page_path.as_str()), "a link sends to {location:?}, not {page_path}");
        let cookie = opened.cookie(LINK_COOKIE).context("opening a share link sets no cookie")?;
        let page = conn.send(with_cookie(&page_path, LINK_COOKIE, &cookie)?).await?;
        expect_status(&page, StatusCode::OK, "a share link's page")?;
        let reference = world.reference(link.shipment);
        ensure!(page.text().contains(&reference), "the page of {} does not show {reference}", link.link.id);
        sessions.push((link.link.id.to_string(), cookie));
    }
    checks.push(format!(
        "{} share links open at once; {} opened, each page shows its shipment",
        openable.len(),
        sessions.len()
    ));
    Ok(Links { tokens: openable.into_iter().map(|l| l.token).collect(), sessions })
}

async fn sign_in(conn: &mut Connection, login: &str) -> Result<String> {
    let answer = conn.send(post_json("/api/portal/v1/session", None, sign_in_body(login))?).await?;
    expect_status(&answer, StatusCode::OK, &format!("signing in as {login}"))?;
    answer.cookie(SESSION_COOKIE).with_context(|| format!("signing in as {login} set no session cookie"))
}

/// The path and body of a batch of [`BATCH`] new events for shipment `i`:
/// estimates and equipment moves at its ports, every id new.
fn batch(world: &World, i: u64, tag: &str) -> (String, Bytes) {
    let generated = world.shipment(i);
    let s = &generated.shipment;
    let container = s.containers.first().map(|c| c.number.to_string());
    let base = s.planned_eta.unwrap_or_else(|| chrono::Utc::now().fixed_offset());
    let events: Vec<serde_json::Value> = (0..BATCH)
        .map(|k| {
            let minutes = i64::try_from(k).unwrap_or(0) * 7;
            let time = |place_time: chrono::DateTime<chrono::FixedOffset>| {
                (place_time + chrono::Duration::minutes(minutes)).to_rfc3339()
            };
            let at = |location: &porthole_domain::Location| {
                json!({ "unlocode": location.unlocode.as_str(), "name": location.name })
            };
            let etd = s.planned_etd.unwrap_or(base);
            let id = format!("bench-{tag}-{k}");
            match k % 4 {
                0 => json!({"event_id": id, "event_type": "TRANSPORT", "event_code": "ARRI", "classifier": "EST",
                            "event_time": time(base), "location": at(&s.pod), "published": true}),
                1 => json!({"event_id": id, "event_type": "TRANSPORT", "event_code": "DEPA", "classifier": "EST",
                            "event_time": time(etd), "location": at(&s.pol), "published": true}),
                2 => json!({"event_id": id, "event_type": "EQUIPMENT", "event_code": "GTIN", "classifier": "ACT",
                            "event_time": time(etd), "location": at(&s.pol), "container_number": container,
                            "published": k % 40 != 2}),
                _ => json!({"event_id": id, "event_type": "EQUIPMENT", "event_code": "DISC", "classifier": "ACT",
                            "event_time": time(base), "location": at(&s.pod), "container_number": container,
                            "published": true, "remark": "bench"}),
            }
        })
        .collect();
    let path = format!("/api/v1/shipments/{}/events", s.id);
    (path, Bytes::from(json!({ "events": events }).to_string()))
}

fn pick<'a, T>(items: &'a [T], rng: &mut ChaCha8Rng) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

struct Healthz;

impl Scenario for Healthz {
    fn next(&self, _: usize, _: &mut ChaCha8Rng) -> Result<Planned> {
        Ok(Planned { request: get("/healthz")?, expect: Expect::Status(StatusCode::OK) })
    }
}

struct SharePage(Arc<Fixture>);

impl Scenario for SharePage {
    fn next(&self, _: usize, rng: &mut ChaCha8Rng) -> Result<Planned> {
        let (link, cookie) = pick(&self.0.link_sessions, rng);
        Ok(Planned {
            request: with_cookie(&format!("/share/{link}"), LINK_COOKIE, cookie)?,
            expect: Expect::Status(StatusCode::OK),
        })
    }
}

struct ShareOpen(Arc<Fixture>);

impl Scenario for ShareOpen {
    fn next(&self, _: usize, rng: &mut ChaCha8Rng) -> Result<Planned> {
        let token = pick(&self.0.link_tokens, rng);
        Ok(Planned {
            request: get(&format!("/t/{token}"))?,
            expect: Expect::StatusAndCookie(StatusCode::SEE_OTHER, LINK_COOKIE),
        })
    }
}

struct PortalDetail(Arc<Fixture>);

impl Scenario for PortalDetail {
    fn next(&self, _: usize, rng: &mut ChaCha8Rng) -> Result<Planned> {
        let (session, id) = pick(&self.0.detail, rng);
        Ok(Planned {
            request: with_cookie(&format!("{PORTAL_SHIPMENTS}/{id}"), SESSION_COOKIE, session)?,
            expect: Expect::Status(StatusCode::OK),
        })
    }
}

struct PortalList {
    fixture: Arc<Fixture>,
    deep: bool,
}

impl Scenario for PortalList {
    fn next(&self, _: usize, rng: &mut ChaCha8Rng) -> Result<Planned> {
        let session = pick(&self.fixture.big_sessions, rng);
        let path = if self.deep {
            format!("{PORTAL_SHIPMENTS}?limit=50&cursor={}", pick(&self.fixture.deep_cursors, rng))
        } else {
            format!("{PORTAL_SHIPMENTS}?limit=50")
        };
        Ok(Planned { request: with_cookie(&path, SESSION_COOKIE, session)?, expect: Expect::Status(StatusCode::OK) })
    }
}

struct PortalSearch(Arc<Fixture>);

impl Scenario for PortalSearch {
    fn next(&self, _: usize, rng: &mut ChaCha8Rng) -> Result<Planned> {
        let session = pick(&self.0.big_sessions, rng);
        let path = format!("{PORTAL_SHIPMENTS}?limit=50&q={}", pick(&self.0.search_terms, rng));
        Ok(Planned { request: with_cookie(&path, SESSION_COOKIE, session)?, expect: Expect::Status(StatusCode::OK) })
    }
}

/// The batches one connection sent, newest last.
#[derive(Debug, Default)]
struct Batches {
    sent: VecDeque<(String, Bytes)>,
    requests: u64,
}

struct Ingest {
    fixture: Arc<Fixture>,
    next_target: AtomicU64,
    /// Per connection: a connection re-sends only its own batches, whose
    /// answers it has already read, so the original is surely stored.
    sent: Vec<Mutex<Batches>>,
}

impl Scenario for Ingest {
    fn next(&self, worker: usize, rng: &mut ChaCha8Rng) -> Result<Planned> {
        let key = Some(self.fixture.api_key.as_str());
        let mut mine = self.sent[worker].lock().map_err(|_| anyhow::anyhow!("an ingest worker panicked"))?;
        mine.requests += 1;
        if mine.requests.is_multiple_of(RESEND_EVERY) && !mine.sent.is_empty() {
            let (path, body) = mine.sent[rng.random_range(0..mine.sent.len())].clone();
            return Ok(Planned {
                request: post_json(&path, key, body)?,
                expect: Expect::Ingested { accepted: 0, duplicates: BATCH },
            });
        }
        // Shipments in a scattered order, each taking one batch: the
        // store reads a shipment's events back after every batch.
        let world = &self.fixture.world;
        let n = self.next_target.fetch_add(1, Ordering::Relaxed);
        let target = n.wrapping_mul(2_654_435_761) % world.plan.shipments;
        let (path, body) = batch(world, target, &format!("w{worker}-n{n}"));
        mine.sent.push_back((path.clone(), body.clone()));
        if mine.sent.len() > 16 {
            mine.sent.pop_front();
        }
        Ok(Planned {
            request: post_json(&path, key, body)?,
            expect: Expect::Ingested { accepted: BATCH, duplicates: 0 },
        })
    }

    fn units_per_request(&self) -> u64 {
        BATCH
    }
}

struct Login(Arc<Fixture>);

impl Scenario for Login {
    fn next(&self, _: usize, rng: &mut ChaCha8Rng) -> Result<Planned> {
        let login = pick(&self.0.logins, rng);
        Ok(Planned {
            request: post_json("/api/portal/v1/session", None, sign_in_body(login))?,
            expect: Expect::StatusAndCookie(StatusCode::OK, SESSION_COOKIE),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::Plan;

    #[test]
    fn every_scenario_has_a_unique_name_and_the_ceiling_runs_first() {
        let names: std::collections::BTreeSet<&str> = KINDS.iter().map(|k| k.name).collect();
        assert_eq!(names.len(), KINDS.len());
        assert_eq!(KINDS[0].name, CEILING);
    }

    #[test]
    fn a_batch_holds_distinct_valid_events_for_its_shipment() {
        let world = World::new(5, Plan::for_shipments(500));
        let (path, body) = batch(&world, 17, "t");
        assert_eq!(path, format!("/api/v1/shipments/{}/events", world.shipment_id(17)));
        let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        let events = json["events"].as_array().expect("events");
        assert_eq!(events.len() as u64, BATCH);
        let ids: std::collections::BTreeSet<&str> = events.iter().filter_map(|e| e["event_id"].as_str()).collect();
        assert_eq!(ids.len() as u64, BATCH);
        for event in events {
            let time = event["event_time"].as_str().expect("time");
            assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok(), "{time}");
        }
    }

    #[test]
    fn the_big_customers_list_is_newest_first() {
        let world = World::new(5, Plan::for_shipments(3_000));
        let list = big_customer_list(&world);
        assert!(list.len() > 250, "{}", list.len());
        assert!(list.windows(2).all(|w| w[0].shipment.reference > w[1].shipment.reference));
        assert_eq!(cursor_for("SHP/202505/00080"), "U0hQLzIwMjUwNS8wMDA4MA");
    }
}
