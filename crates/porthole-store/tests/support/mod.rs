//! Fresh, migrated databases for the contract stories, and fixtures.
//!
//! SQLite: a file in its own temporary directory per test. PostgreSQL: a
//! database with a random name per test on the server that
//! `PORTHOLE_TEST_POSTGRES_URL` points to, dropped afterwards.

pub mod world;

use std::collections::BTreeSet;
use std::future::Future;

use chrono::{DateTime, FixedOffset, Utc};
use porthole_domain::party::{PeriodicReport, ReportFrequency};
use porthole_domain::{
    Cargo, Charge, ChargeSide, Classifier, Container, ContainerNumber, DisplaySettings, Document, Email, EventCode,
    Location, Master, MasterId, Mode, NotificationPreferences, Organization, OrganizationId, Shipment, ShipmentId,
    ShipmentReference, Status, TrackingEvent, TrackingRole, TrackingUser, TrackingUserId, TransportLeg, UnLocode,
    UserId, UserState,
};
use porthole_store::Store;
use sea_orm::{ConnectionTrait, Database};

pub const POSTGRES_URL_VAR: &str = "PORTHOLE_TEST_POSTGRES_URL";

/// Runs `story` against a fresh SQLite file.
pub async fn run_sqlite<F, Fut>(story: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_sqlite_from(Schema::Current, story).await;
}

/// Runs `story` against a fresh PostgreSQL database, or passes with a note
/// when no server is configured.
pub async fn run_postgres<F, Fut>(story: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_postgres_from(Schema::Current, story).await;
}

/// What a fresh database holds before its story starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Every migration applied.
    Current,
    /// Nothing at all: the story migrates.
    Empty,
}

async fn prepare(store: &Store, schema: Schema) {
    if schema == Schema::Current {
        store.migrate().await.expect("migrate");
    }
}

pub async fn run_sqlite_from<F, Fut>(schema: Schema, story: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("porthole.db").display());
    let store = Store::connect(&url).await.expect("connect to SQLite");
    prepare(&store, schema).await;
    let outcome = tokio::spawn(story(store.clone())).await;
    store.connection().clone().close().await.expect("close SQLite pool");
    drop(dir);
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}

pub async fn run_postgres_from<F, Fut>(schema: Schema, story: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
        eprintln!("note: {POSTGRES_URL_VAR} is not set; PostgreSQL story skipped");
        return;
    };
    let name = format!("porthole_test_{:016x}", rand::random::<u64>());
    let admin = Database::connect(&admin_url).await.expect("connect to the PostgreSQL server");
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");

    let store = Store::connect(&database_url(&admin_url, &name)).await.expect("connect to the test database");
    let outcome = async {
        prepare(&store, schema).await;
        tokio::spawn(story(store.clone())).await
    };
    let outcome = outcome.await;
    store.connection().clone().close().await.expect("close PostgreSQL pool");
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .expect("drop test database");
    admin.close().await.expect("close admin connection");
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}

/// `admin_url` with its database replaced by `name`, query kept.
fn database_url(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url.split_once('?').map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let (scheme, rest) = base.split_once("://").expect("a URL with a scheme");
    let authority = rest.split_once('/').map_or(rest, |(authority, _)| authority);
    match query {
        Some(query) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

// ---- Fixtures -------------------------------------------------------------

pub fn time(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).expect("valid RFC 3339 fixture")
}

pub fn utc(text: &str) -> DateTime<Utc> {
    time(text).with_timezone(&Utc)
}

pub fn place(code: &str, name: &str) -> Location {
    Location { unlocode: UnLocode::parse(code).expect("valid UN/LOCODE fixture"), name: name.to_owned() }
}

pub fn cat_lai() -> Location {
    place("VNSGN", "Cat Lai")
}

pub fn long_beach() -> Location {
    place("USLGB", "Long Beach")
}

/// A valid container number for an owner code and serial: the check digit
/// is found, not hard-coded.
pub fn container_number(owner_and_serial: &str) -> ContainerNumber {
    (0..10)
        .find_map(|digit| ContainerNumber::parse(&format!("{owner_and_serial}{digit}")).ok())
        .expect("some check digit fits")
}

pub fn container(owner_and_serial: &str, iso_type: &str, seal: Option<&str>) -> Container {
    Container {
        number: container_number(owner_and_serial),
        iso_type: iso_type.to_owned(),
        seal: seal.map(str::to_owned),
    }
}

pub fn organization(id: &str, code: &str, name: &str) -> Organization {
    Organization {
        id: OrganizationId::new(id),
        code: code.to_owned(),
        name: name.to_owned(),
        portal_enabled: true,
        show_charges: false,
    }
}

pub fn master(id: &str, mbl_no: &str, agent: Option<&str>) -> Master {
    Master {
        id: MasterId::new(id),
        mbl_no: mbl_no.to_owned(),
        carrier: Some("ONE".to_owned()),
        vessel: Some("ONE HARMONY".to_owned()),
        voyage: Some("012E".to_owned()),
        overseas_agent_id: agent.map(OrganizationId::new),
    }
}

/// The demo's sea FCL export, Cat Lai to Long Beach, with every optional
/// part filled so a round trip exercises every column.
pub fn shipment(id: &str, reference: &str, customer: &str) -> Shipment {
    Shipment {
        id: ShipmentId::new(id),
        reference: ShipmentReference::parse(reference).expect("valid reference fixture"),
        hbl_no: Some(format!("HBL-{id}")),
        master_id: None,
        mode: Mode::SeaFcl,
        status: Status::Confirmed,
        customer_id: OrganizationId::new(customer),
        shipper_id: None,
        consignee_id: None,
        pol: cat_lai(),
        pod: long_beach(),
        place_of_receipt: Some(place("VNBDG", "Binh Duong")),
        place_of_delivery: None,
        planned_etd: Some(time("2025-05-10T18:00:00+07:00")),
        planned_eta: Some(time("2025-05-25T08:00:00-07:00")),
        cargo: Some(Cargo {
            packages: 1_200,
            weight_kg: 18_250.5,
            volume_m3: 67.35,
            description: "Laptops".to_owned(),
        }),
        containers: vec![container("CSQU305438", "45G1", Some("SL-1")), container("MSCU123456", "22G1", None)],
        legs: vec![TransportLeg {
            sequence: 1,
            mode: Mode::SeaFcl,
            from: cat_lai(),
            to: long_beach(),
            vessel: Some("ONE HARMONY".to_owned()),
            voyage: Some("012E".to_owned()),
            etd: Some(time("2025-05-10T18:00:00+07:00")),
            eta: Some(time("2025-05-25T08:00:00-07:00")),
        }],
        customer_note: Some("Handle with care".to_owned()),
        internal_note: Some("Margin is thin".to_owned()),
        charges: vec![
            Charge {
                side: ChargeSide::Sell,
                description: "Ocean freight".to_owned(),
                amount_minor: 250_000,
                currency: "USD".to_owned(),
            },
            Charge {
                side: ChargeSide::Buy,
                description: "Carrier rate".to_owned(),
                amount_minor: 180_000,
                currency: "USD".to_owned(),
            },
        ],
        documents: vec![Document {
            id: "doc-1".to_owned(),
            name: "HBL.pdf".to_owned(),
            kind: "hbl".to_owned(),
            published: true,
        }],
    }
}

pub fn event(
    event_id: &str,
    code: EventCode,
    classifier: Classifier,
    at: &str,
    location: Option<Location>,
) -> TrackingEvent {
    TrackingEvent {
        event_id: event_id.to_owned(),
        code,
        classifier,
        event_time: time(at),
        recorded_at: utc("2025-05-01T00:00:00Z"),
        location,
        container_number: None,
        vessel: None,
        voyage: None,
        delay_reason: None,
        remark: None,
        published: true,
        retracts: None,
    }
}

pub fn tracking_user(
    id: &str,
    user_id: &str,
    role: TrackingRole,
    orgs: &[&str],
    agent_customers: &[&str],
) -> TrackingUser {
    let set = |ids: &[&str]| ids.iter().map(|id| OrganizationId::new(*id)).collect::<BTreeSet<_>>();
    TrackingUser {
        id: TrackingUserId::new(id),
        user_id: UserId::parse(user_id).expect("valid user id fixture"),
        first_name: "Lan".to_owned(),
        last_name: Some("Nguyen".to_owned()),
        email: Email::parse(&format!("{user_id}@example.com")).expect("valid e-mail fixture"),
        additional_emails: vec![Email::parse("ops@example.com").expect("valid e-mail fixture")],
        role,
        organization_ids: set(orgs),
        agent_customer_ids: set(agent_customers),
        notifications: NotificationPreferences {
            journey_updated: true,
            eta_changed: true,
            document_status: false,
            periodic_report: Some(PeriodicReport {
                frequency: ReportFrequency::Weekly,
                columns: vec!["eta".to_owned()],
            }),
        },
        display: DisplaySettings { doc_center: true, shipper_info: true, mbl_number: false },
        state: UserState::Active,
    }
}

#[test]
fn database_url_replaces_only_the_database() {
    assert_eq!(database_url("postgres://postgres@127.0.0.1:5432/test", "x"), "postgres://postgres@127.0.0.1:5432/x");
    assert_eq!(database_url("postgres://u:p@h/db?sslmode=disable", "x"), "postgres://u:p@h/x?sslmode=disable");
    assert_eq!(database_url("postgres://h:5432", "x"), "postgres://h:5432/x");
}
