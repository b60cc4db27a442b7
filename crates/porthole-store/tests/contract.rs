//! The store's contract: every story runs against SQLite always, and
//! against PostgreSQL when `PORTHOLE_TEST_POSTGRES_URL` names a server
//! (each test then gets a database of its own, dropped afterwards).
//!
//! A story is an `async fn(Store)` that starts from an empty, migrated
//! database; `contract!` turns each into `sqlite::<story>` and
//! `postgres::<story>`.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use porthole_app::input::{EventInput, LocationInput, OrganizationInput, ShipmentInput};
use porthole_app::ports::{
    ApiKey, ApiKeyRepository, AppendOutcome, HealthCheck, MasterRepository, OrganizationRepository, RandomIds,
    RepoError, ShipmentRepository, SystemClock, TrackingUserRepository, Upserted,
};
use porthole_app::secret::SecretDigest;
use porthole_app::{AppError, Porthole};
use porthole_domain::{
    Classifier, EventCode, OrganizationId, ShipmentId, ShipmentReference, StaffRole, Status, TrackingRole,
};
use porthole_store::entity::{shipment, tracking_event};
use porthole_store::{Backend, Store};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use support::*;

macro_rules! contract {
    ($($story:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $story() {
                    crate::support::run_sqlite(crate::$story).await;
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $story() {
                    crate::support::run_postgres(crate::$story).await;
                }
            )+
        }
    };
}

contract! {
    migrating_again_changes_nothing,
    organizations_insert_update_and_refuse_duplicates,
    masters_refuse_a_duplicate_mbl_number,
    shipment_upsert_creates_then_updates_keeping_its_id,
    shipment_record_round_trip_keeps_every_offset,
    append_events_counts_duplicates_and_publishes_the_viewer_state,
    append_to_a_missing_shipment_writes_nothing,
    an_event_batch_is_atomic,
    tracking_users_in_returns_whole_users,
    api_keys_are_found_by_digest_while_live,
    ping_answers,
    concurrent_writers_all_succeed,
    the_use_cases_run_on_the_store,
}

// ---- Helpers --------------------------------------------------------------

fn org_id(id: &str) -> OrganizationId {
    OrganizationId::new(id)
}

fn duplicate(field: &str) -> RepoError {
    RepoError::Duplicate { field: field.to_owned() }
}

async fn seed_parties(store: &Store) {
    for org in [
        organization("org_saigon", "SGTECH", "Saigon Tech Export"),
        organization("org_other", "OTHER", "Other Customer"),
        organization("org_agent", "LBAGENT", "Long Beach Agent"),
    ] {
        store.insert_organization(&org).await.expect("insert party");
    }
}

async fn shipment_row(store: &Store, id: &str) -> shipment::Model {
    shipment::Entity::find_by_id(id)
        .one(store.connection())
        .await
        .expect("read shipment row")
        .expect("shipment row exists")
}

async fn event_rows(store: &Store) -> u64 {
    tracking_event::Entity::find().count(store.connection()).await.expect("count events")
}

/// Same instant and same offset: `DateTime` equality alone ignores the
/// offset.
fn assert_same_time(stored: Option<&str>, expected: Option<DateTime<FixedOffset>>, what: &str) {
    let stored = stored.map(time);
    assert_eq!(stored, expected, "{what}: instant");
    assert_eq!(stored.map(|t| *t.offset()), expected.map(|t| *t.offset()), "{what}: offset");
}

/// The `published_*` columns hold exactly what the domain derives for
/// viewers from the stored record.
async fn assert_published_is_viewer_state(store: &Store, id: &str) {
    let record = store.shipment_record(&ShipmentId::new(id)).await.expect("load record").expect("record exists");
    let state = record.viewer_state();
    let row = shipment_row(store, id).await;
    assert_eq!(row.published_status, state.status.as_str(), "published_status");
    assert_same_time(row.published_etd.as_deref(), state.etd, "published_etd");
    assert_same_time(row.published_eta.as_deref(), state.eta, "published_eta");
    assert_same_time(row.published_atd.as_deref(), state.atd, "published_atd");
    assert_same_time(row.published_ata.as_deref(), state.ata, "published_ata");
}

// ---- Stories --------------------------------------------------------------

async fn migrating_again_changes_nothing(store: Store) {
    seed_parties(&store).await;
    store.migrate().await.expect("second migration is a no-op");
    let org = store.organization(&org_id("org_saigon")).await.expect("read");
    assert_eq!(org.map(|o| o.code), Some("SGTECH".to_owned()));
}

async fn organizations_insert_update_and_refuse_duplicates(store: Store) {
    let saigon = organization("org_saigon", "SGTECH", "Saigon Tech Export");
    store.insert_organization(&saigon).await.expect("insert");
    assert_eq!(store.organization(&saigon.id).await, Ok(Some(saigon.clone())));

    let clash = organization("org_clash", "SGTECH", "Saigon Tech (again)");
    assert_eq!(store.insert_organization(&clash).await, Err(duplicate("code")));
    assert_eq!(store.organization(&clash.id).await, Ok(None), "a refused insert writes nothing");
    let reused_id = organization("org_saigon", "FRESH", "Fresh code, reused id");
    assert_eq!(store.insert_organization(&reused_id).await, Err(duplicate("id")));

    let other = organization("org_other", "OTHER", "Other Customer");
    store.insert_organization(&other).await.expect("insert other");

    let renamed = porthole_domain::Organization {
        code: "SGTECH-EXP".to_owned(),
        name: "Saigon Tech Export JSC".to_owned(),
        portal_enabled: false,
        show_charges: true,
        ..saigon.clone()
    };
    store.update_organization(&renamed).await.expect("update");
    assert_eq!(store.organization(&saigon.id).await, Ok(Some(renamed.clone())));

    let taking_code = porthole_domain::Organization { code: "OTHER".to_owned(), ..renamed.clone() };
    assert_eq!(store.update_organization(&taking_code).await, Err(duplicate("code")));
    assert_eq!(store.organization(&saigon.id).await, Ok(Some(renamed)), "a refused update writes nothing");

    let ghost = organization("org_ghost", "GHOST", "Nobody");
    assert_eq!(store.update_organization(&ghost).await, Err(RepoError::NotFound));

    let mut found =
        store.organizations(&[saigon.id.clone(), org_id("org_missing"), other.id.clone()]).await.expect("list");
    found.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(found.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ["org_other", "org_saigon"]);
    assert_eq!(store.organizations(&[]).await, Ok(Vec::new()));
}

async fn masters_refuse_a_duplicate_mbl_number(store: Store) {
    seed_parties(&store).await;
    let first = master("mbl_1", "ONEYSGNB12345678", Some("org_agent"));
    store.insert_master(&first).await.expect("insert");
    assert_eq!(store.master(&first.id).await, Ok(Some(first.clone())));

    let again = master("mbl_2", "ONEYSGNB12345678", None);
    assert_eq!(store.insert_master(&again).await, Err(duplicate("mbl_no")));
    assert_eq!(store.master(&again.id).await, Ok(None));

    let unknown_agent = master("mbl_3", "ONEYSGNB99999999", Some("org_nowhere"));
    assert_eq!(store.insert_master(&unknown_agent).await, Err(RepoError::NotFound));
}

async fn shipment_upsert_creates_then_updates_keeping_its_id(store: Store) {
    seed_parties(&store).await;
    let original = shipment("shp_1", "SHP/202505/00080", "org_saigon");
    assert_eq!(store.upsert_shipment(&original).await, Ok(Upserted::Created));
    let created = shipment_row(&store, "shp_1").await;

    // A client that upserts by reference without knowing the id: the stored
    // id wins, and containers are replaced as a whole.
    let mut changed = shipment("shp_other_id", "SHP/202505/00080", "org_saigon");
    changed.containers = vec![container("TGHU000001", "45R1", Some("SEAL-9"))];
    changed.customer_note = Some("Moved to a reefer".to_owned());
    changed.internal_note = None;
    changed.consignee_id = Some(org_id("org_other"));
    changed.status = Status::InTransit;
    assert_eq!(store.upsert_shipment(&changed).await, Ok(Upserted::Updated));

    let stored = store.shipment_by_reference(&changed.reference).await.expect("read by reference").expect("exists");
    assert_eq!(stored.id.as_str(), "shp_1");
    assert_eq!(stored, porthole_domain::Shipment { id: ShipmentId::new("shp_1"), ..changed.clone() });
    assert_eq!(shipment::Entity::find().count(store.connection()).await.expect("count"), 1);
    let container_rows = porthole_store::entity::shipment_container::Entity::find()
        .count(store.connection())
        .await
        .expect("count containers");
    assert_eq!(container_rows, 1);

    let updated = shipment_row(&store, "shp_1").await;
    assert_eq!(updated.created_at, created.created_at);
    assert_eq!(updated.published_status, "in_transit");
    assert_published_is_viewer_state(&store, "shp_1").await;

    let missing = ShipmentReference::parse("SHP/NOPE").expect("valid");
    assert_eq!(store.shipment_by_reference(&missing).await, Ok(None));

    let orphan = shipment("shp_2", "SHP/202505/00081", "org_nobody");
    assert_eq!(store.upsert_shipment(&orphan).await, Err(RepoError::NotFound));
    assert_eq!(store.shipment_record(&orphan.id).await, Ok(None));
}

async fn shipment_record_round_trip_keeps_every_offset(store: Store) {
    seed_parties(&store).await;
    store.insert_master(&master("mbl_1", "ONEYSGNB12345678", Some("org_agent"))).await.expect("master");
    let mut sent = shipment("shp_1", "SHP/202505/00080", "org_saigon");
    sent.master_id = Some(porthole_domain::MasterId::new("mbl_1"));
    sent.shipper_id = Some(org_id("org_saigon"));
    sent.consignee_id = Some(org_id("org_other"));
    sent.place_of_delivery = Some(place("USLAX", "Los Angeles"));
    store.upsert_shipment(&sent).await.expect("upsert");

    let mut departed =
        event("evt-depa", EventCode::Depa, Classifier::Act, "2025-05-10T21:15:30.25+07:00", Some(cat_lai()));
    departed.recorded_at = utc("2025-05-10T14:20:00.123456789Z");
    departed.vessel = Some("ONE HARMONY".to_owned());
    departed.voyage = Some("012E".to_owned());
    departed.container_number = Some(container_number("CSQU305438"));
    departed.remark = Some("Sailed on schedule".to_owned());
    let mut estimate =
        event("evt-eta", EventCode::Arri, Classifier::Est, "2025-05-26T07:45:00-07:00", Some(long_beach()));
    estimate.delay_reason = Some("Port congestion".to_owned());
    let mut correction =
        event("evt-eta-2", EventCode::Arri, Classifier::Est, "2025-05-27T07:45:00-07:00", Some(long_beach()));
    correction.retracts = Some("evt-eta".to_owned());
    correction.published = false;
    correction.recorded_at = utc("2025-05-12T00:00:00Z");
    let customs = event("evt-hold", EventCode::Hold, Classifier::Act, "2025-05-28T10:00:00+05:45", None);
    let events = vec![departed, estimate, correction, customs];
    store.append_events(&sent.id, &events).await.expect("append");

    let record = store.shipment_record(&sent.id).await.expect("load").expect("exists");
    assert_eq!(record.shipment, sent);
    assert_eq!(record.master.as_ref().map(|m| m.mbl_no.as_str()), Some("ONEYSGNB12345678"));
    assert_eq!(record.customer.id.as_str(), "org_saigon");
    assert_eq!(record.shipper.as_ref().map(|o| o.id.as_str()), Some("org_saigon"));
    assert_eq!(record.consignee.as_ref().map(|o| o.id.as_str()), Some("org_other"));
    assert_eq!(record.events, events);

    // `==` on times compares instants only; the offsets must survive too.
    let offsets = |e: &[porthole_domain::TrackingEvent]| {
        e.iter()
            .map(|e| (e.event_id.clone(), e.event_time.to_rfc3339(), e.recorded_at.to_rfc3339()))
            .collect::<Vec<_>>()
    };
    assert_eq!(offsets(&record.events), offsets(&events));
    let planned = |s: &porthole_domain::Shipment| {
        let legs = s.legs.iter().map(|l| (l.etd.map(|t| t.to_rfc3339()), l.eta.map(|t| t.to_rfc3339())));
        (s.planned_etd.map(|t| t.to_rfc3339()), s.planned_eta.map(|t| t.to_rfc3339()), legs.collect::<Vec<_>>())
    };
    assert_eq!(planned(&record.shipment), planned(&sent));
    assert_eq!(record.shipment.planned_eta.map(|t| t.offset().local_minus_utc()), Some(-7 * 3600));

    let row = shipment_row(&store, "shp_1").await;
    assert_eq!(row.published_eta.as_deref(), Some("2025-05-26T07:45:00-07:00"), "unpublished correction ignored");
    assert_eq!(row.published_atd.as_deref(), Some("2025-05-10T21:15:30.250+07:00"));
    assert_published_is_viewer_state(&store, "shp_1").await;
}

async fn append_events_counts_duplicates_and_publishes_the_viewer_state(store: Store) {
    seed_parties(&store).await;
    let sent = shipment("shp_1", "SHP/202505/00080", "org_saigon");
    store.upsert_shipment(&sent).await.expect("upsert");
    assert_published_is_viewer_state(&store, "shp_1").await;
    assert_eq!(shipment_row(&store, "shp_1").await.published_status, "confirmed");

    // Staff-only: the departure counts for staff but must not reach viewers.
    let mut quiet_departure =
        event("evt-1", EventCode::Depa, Classifier::Act, "2025-05-10T20:00:00+07:00", Some(cat_lai()));
    quiet_departure.published = false;
    let outcome = store.append_events(&sent.id, &[quiet_departure.clone()]).await;
    assert_eq!(outcome, Ok(AppendOutcome { accepted: 1, duplicates: 0 }));
    let row = shipment_row(&store, "shp_1").await;
    assert_eq!(row.published_status, "confirmed");
    assert_eq!(row.published_atd, None);
    let record = store.shipment_record(&sent.id).await.expect("load").expect("exists");
    assert_eq!(record.staff_state().status, Status::InTransit);
    assert_published_is_viewer_state(&store, "shp_1").await;

    let estimate = event("evt-2", EventCode::Arri, Classifier::Est, "2025-05-26T09:00:00-07:00", Some(long_beach()));
    let outcome = store.append_events(&sent.id, &[quiet_departure.clone(), estimate]).await;
    assert_eq!(outcome, Ok(AppendOutcome { accepted: 1, duplicates: 1 }));
    assert_eq!(shipment_row(&store, "shp_1").await.published_eta.as_deref(), Some("2025-05-26T09:00:00-07:00"));
    assert_published_is_viewer_state(&store, "shp_1").await;

    // A duplicate changes nothing, even if its content differs.
    let mut altered = quiet_departure.clone();
    altered.published = true;
    assert_eq!(store.append_events(&sent.id, &[altered]).await, Ok(AppendOutcome { accepted: 0, duplicates: 1 }));
    assert_eq!(shipment_row(&store, "shp_1").await.published_status, "confirmed");

    let departure = event("evt-3", EventCode::Depa, Classifier::Act, "2025-05-10T21:00:00+07:00", Some(cat_lai()));
    assert_eq!(store.append_events(&sent.id, &[departure]).await, Ok(AppendOutcome { accepted: 1, duplicates: 0 }));
    let row = shipment_row(&store, "shp_1").await;
    assert_eq!(row.published_status, "in_transit");
    assert_eq!(row.published_atd.as_deref(), Some("2025-05-10T21:00:00+07:00"));
    assert_published_is_viewer_state(&store, "shp_1").await;
    assert_eq!(event_rows(&store).await, 3);

    // The same event_id on another shipment is another event.
    let twin = shipment("shp_2", "SHP/202505/00081", "org_other");
    store.upsert_shipment(&twin).await.expect("upsert twin");
    let same_id = event("evt-1", EventCode::Conf, Classifier::Act, "2025-05-01T09:00:00+07:00", None);
    assert_eq!(store.append_events(&twin.id, &[same_id]).await, Ok(AppendOutcome { accepted: 1, duplicates: 0 }));

    // An upsert recomputes from the events already stored: staff status
    // is older than what the published departure proves.
    let mut restated = sent.clone();
    restated.status = Status::Confirmed;
    restated.planned_eta = Some(time("2025-05-30T08:00:00-07:00"));
    store.upsert_shipment(&restated).await.expect("upsert again");
    let row = shipment_row(&store, "shp_1").await;
    assert_eq!(row.published_status, "in_transit");
    assert_eq!(row.published_eta.as_deref(), Some("2025-05-26T09:00:00-07:00"), "the event's estimate beats the plan");
    assert_published_is_viewer_state(&store, "shp_1").await;
}

async fn append_to_a_missing_shipment_writes_nothing(store: Store) {
    let arrival = event("evt-1", EventCode::Arri, Classifier::Act, "2025-05-25T08:00:00-07:00", Some(long_beach()));
    let outcome = store.append_events(&ShipmentId::new("shp_missing"), &[arrival]).await;
    assert_eq!(outcome, Err(RepoError::NotFound));
    assert_eq!(event_rows(&store).await, 0);
}

async fn an_event_batch_is_atomic(store: Store) {
    seed_parties(&store).await;
    let sent = shipment("shp_1", "SHP/202505/00080", "org_saigon");
    store.upsert_shipment(&sent).await.expect("upsert");
    let before = shipment_row(&store, "shp_1").await;

    // The database itself refuses one event late in a batch larger than one
    // INSERT, so earlier rows have been written when it fails.
    let poison_trigger: &[&str] = match store.backend() {
        Backend::Sqlite => &["CREATE TRIGGER reject_poison BEFORE INSERT ON tracking_events \
             WHEN NEW.event_id = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned event'); END"],
        Backend::Postgres => &[
            "CREATE FUNCTION reject_poison() RETURNS trigger AS $$ BEGIN \
             IF NEW.event_id = 'poison' THEN RAISE EXCEPTION 'poisoned event'; END IF; RETURN NEW; END \
             $$ LANGUAGE plpgsql",
            "CREATE TRIGGER reject_poison BEFORE INSERT ON tracking_events \
             FOR EACH ROW EXECUTE FUNCTION reject_poison()",
        ],
    };
    for statement in poison_trigger {
        store.connection().execute_unprepared(statement).await.expect("install trigger");
    }

    let mut batch: Vec<_> = (0..700)
        .map(|n| {
            let mut e = event(
                &format!("evt-{n}"),
                EventCode::Arri,
                Classifier::Est,
                "2025-05-28T08:00:00-07:00",
                Some(long_beach()),
            );
            e.recorded_at = utc("2025-05-02T00:00:00Z") + chrono::Duration::seconds(n);
            e
        })
        .collect();
    batch.push(event("poison", EventCode::Conf, Classifier::Act, "2025-05-01T09:00:00+07:00", None));
    let outcome = store.append_events(&sent.id, &batch).await;
    assert!(matches!(outcome, Err(RepoError::Unavailable(_))), "{outcome:?}");
    assert_eq!(event_rows(&store).await, 0, "no event of a failed batch is kept");
    assert_eq!(shipment_row(&store, "shp_1").await, before, "the shipment is untouched");

    batch.pop();
    assert_eq!(store.append_events(&sent.id, &batch).await, Ok(AppendOutcome { accepted: 700, duplicates: 0 }));
    assert_eq!(shipment_row(&store, "shp_1").await.published_eta.as_deref(), Some("2025-05-28T08:00:00-07:00"));
}

async fn tracking_users_in_returns_whole_users(store: Store) {
    seed_parties(&store).await;
    store.insert_organization(&organization("org_c", "CCC", "Consignee Co")).await.expect("org");
    let customer = tracking_user("tu_1", "saigon.ops", TrackingRole::Customer, &["org_saigon"], &[]);
    let consignee = tracking_user("tu_2", "multi.user", TrackingRole::Consignee, &["org_saigon", "org_c"], &[]);
    let agent =
        tracking_user("tu_3", "lb.agent", TrackingRole::OverseasAgent, &["org_agent"], &["org_saigon", "org_other"]);
    let elsewhere = tracking_user("tu_4", "other.ops", TrackingRole::Customer, &["org_other"], &[]);
    for user in [&customer, &consignee, &agent, &elsewhere] {
        store.insert_tracking_user(user).await.expect("insert user");
    }

    let by_id = |mut users: Vec<porthole_domain::TrackingUser>| {
        users.sort_by(|a, b| a.id.cmp(&b.id));
        users
    };
    let saigon = store.tracking_users_in(&[org_id("org_saigon")]).await.expect("query");
    assert_eq!(by_id(saigon), vec![customer.clone(), consignee.clone()]);
    let parties = store.tracking_users_in(&[org_id("org_c"), org_id("org_agent"), org_id("org_saigon")]).await;
    assert_eq!(parties.map(by_id), Ok(vec![customer.clone(), consignee.clone(), agent.clone()]));
    assert_eq!(store.tracking_users_in(&[org_id("org_nobody")]).await, Ok(Vec::new()));
    assert_eq!(store.tracking_users_in(&[]).await, Ok(Vec::new()));

    let same_login = tracking_user("tu_5", "saigon.ops", TrackingRole::Shipper, &["org_other"], &[]);
    assert_eq!(store.insert_tracking_user(&same_login).await, Err(duplicate("user_id")));

    // A link to an unknown organization refuses the whole user.
    let dangling = tracking_user("tu_6", "dangling", TrackingRole::Customer, &["org_other", "org_nowhere"], &[]);
    assert_eq!(store.insert_tracking_user(&dangling).await, Err(RepoError::NotFound));
    let others = store.tracking_users_in(&[org_id("org_other")]).await.expect("query");
    assert_eq!(others.iter().map(|u| u.id.as_str()).collect::<BTreeSet<_>>(), BTreeSet::from(["tu_4"]));
}

async fn api_keys_are_found_by_digest_while_live(store: Store) {
    let key = ApiKey {
        id: "key_1".to_owned(),
        name: "TMS feed".to_owned(),
        role: StaffRole::Operator,
        created_at: utc("2025-05-01T08:30:00.123456789Z"),
    };
    let digest = SecretDigest::of("ph_secret");
    store.insert_api_key(&key, &digest).await.expect("insert");
    assert_eq!(store.api_key_by_digest(&digest).await, Ok(Some(key.clone())));
    assert_eq!(store.api_key_by_digest(&SecretDigest::of("ph_other")).await, Ok(None));

    let twin = ApiKey { id: "key_2".to_owned(), ..key.clone() };
    assert_eq!(store.insert_api_key(&twin, &digest).await, Err(duplicate("digest")));

    porthole_store::entity::api_key::Entity::update_many()
        .col_expr(
            porthole_store::entity::api_key::Column::RevokedAt,
            sea_orm::sea_query::Expr::value("2025-05-02T00:00:00Z"),
        )
        .filter(porthole_store::entity::api_key::Column::Id.eq("key_1"))
        .exec(store.connection())
        .await
        .expect("revoke");
    assert_eq!(store.api_key_by_digest(&digest).await, Ok(None), "a revoked key is dead");
}

async fn ping_answers(store: Store) {
    assert_eq!(store.ping().await, Ok(()));
}

async fn concurrent_writers_all_succeed(store: Store) {
    const WRITERS: usize = 8;
    const ROUNDS: usize = 10;
    const EVENTS_PER_ROUND: usize = 5;
    seed_parties(&store).await;
    for n in 0..WRITERS {
        store.upsert_shipment(&shipment(&format!("shp_{n}"), &format!("SHP/C/{n}"), "org_saigon")).await.expect("seed");
    }

    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..WRITERS {
        let store = store.clone();
        tasks.spawn(async move {
            let id = ShipmentId::new(format!("shp_{n}"));
            for round in 0..ROUNDS {
                let events: Vec<_> = (0..EVENTS_PER_ROUND)
                    .map(|k| {
                        let mut e = event(
                            &format!("evt-{round}-{k}"),
                            EventCode::Arri,
                            Classifier::Est,
                            "2025-05-26T09:00:00-07:00",
                            Some(long_beach()),
                        );
                        e.recorded_at =
                            utc("2025-05-02T00:00:00Z") + chrono::Duration::seconds((round * 10 + k) as i64);
                        e
                    })
                    .collect();
                let outcome = store.append_events(&id, &events).await;
                assert_eq!(outcome, Ok(AppendOutcome { accepted: EVENTS_PER_ROUND, duplicates: 0 }), "writer {n}");
                let mut restated = shipment(id.as_str(), &format!("SHP/C/{n}"), "org_saigon");
                restated.customer_note = Some(format!("round {round}"));
                assert_eq!(store.upsert_shipment(&restated).await, Ok(Upserted::Updated), "writer {n}");
            }
        });
    }
    for n in 0..4 {
        let store = store.clone();
        tasks.spawn(async move {
            for _ in 0..ROUNDS {
                let record = store.shipment_record(&ShipmentId::new(format!("shp_{n}"))).await;
                assert!(matches!(record, Ok(Some(_))), "reader {n}: {record:?}");
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Err(failure) = joined {
            std::panic::resume_unwind(failure.into_panic());
        }
    }

    for n in 0..WRITERS {
        let stored = tracking_event::Entity::find()
            .filter(tracking_event::Column::ShipmentId.eq(format!("shp_{n}")))
            .count(store.connection())
            .await
            .expect("count");
        assert_eq!(stored, (ROUNDS * EVENTS_PER_ROUND) as u64);
        assert_published_is_viewer_state(&store, &format!("shp_{n}")).await;
    }
}

/// The store tests send no mail that anyone reads.
struct DiscardMail;

#[async_trait::async_trait]
impl porthole_app::ports::Mailer for DiscardMail {
    async fn send(&self, _mail: &porthole_app::ports::Mail) -> Result<(), porthole_app::ports::MailError> {
        Ok(())
    }
}

async fn the_use_cases_run_on_the_store(store: Store) {
    let app = Porthole::new(store.ports(Arc::new(SystemClock), Arc::new(RandomIds), Arc::new(DiscardMail)));
    app.ready().await.expect("ready");
    let customer = app
        .create_organization(OrganizationInput {
            code: "sgtech".into(),
            name: "Saigon Tech Export".into(),
            ..Default::default()
        })
        .await
        .expect("create organization");
    let clash = app
        .create_organization(OrganizationInput { code: "SGTECH".into(), name: "Again".into(), ..Default::default() })
        .await;
    assert!(matches!(clash, Err(AppError::Conflict { ref field, .. }) if field == "code"), "{clash:?}");

    let input = ShipmentInput {
        reference: "SHP/202505/00080".into(),
        hbl_no: Some("HBL80".into()),
        mode: "sea_fcl".into(),
        status: Some("confirmed".into()),
        customer_id: customer.id.to_string(),
        pol: LocationInput { unlocode: "VNSGN".into(), name: "Cat Lai".into() },
        pod: LocationInput { unlocode: "USLGB".into(), name: "Long Beach".into() },
        etd: Some("2025-05-10T18:00:00+07:00".into()),
        eta: Some("2025-05-25T08:00:00-07:00".into()),
        ..Default::default()
    };
    let created = app.upsert_shipment(input.clone()).await.expect("create shipment");
    assert_eq!(created.upserted, Upserted::Created);
    let again = app.upsert_shipment(input).await.expect("update shipment");
    assert_eq!(again.upserted, Upserted::Updated);
    let id = created.view.record.shipment.id.clone();
    assert_eq!(again.view.record.shipment.id, id);

    let departure = EventInput {
        event_id: "evt-1".into(),
        event_type: "TRANSPORT".into(),
        event_code: "DEPA".into(),
        classifier: "ACT".into(),
        event_time: "2025-05-10T21:00:00+07:00".into(),
        location: Some(LocationInput { unlocode: "VNSGN".into(), name: "Cat Lai".into() }),
        published: true,
        ..Default::default()
    };
    let outcome = app.ingest_events(&id, std::slice::from_ref(&departure)).await.expect("ingest");
    assert_eq!((outcome.accepted, outcome.duplicates), (1, 0));
    let outcome = app.ingest_events(&id, &[departure]).await.expect("ingest again");
    assert_eq!((outcome.accepted, outcome.duplicates), (0, 1));

    let view = app.staff_shipment(&id).await.expect("staff view");
    assert_eq!(view.viewer_state.status, Status::InTransit);
    assert_eq!(shipment_row(&store, id.as_str()).await.published_status, "in_transit");
    assert!(matches!(app.staff_shipment(&ShipmentId::new("shp_nope")).await, Err(AppError::NotFound)));
}

/// Every lookup the store (and the visibility queries to come) makes by a
/// column other than a primary key is served by an index. Checked on
/// SQLite, whose planner answers the same way on an empty table;
/// PostgreSQL's would rightly prefer a scan there.
#[tokio::test]
async fn sqlite_lookups_use_their_indexes() {
    support::run_sqlite(|store: Store| async move {
        let lookups = [
            ("SELECT id FROM organizations WHERE code = 'X'", "uq_organizations_code"),
            ("SELECT id FROM masters WHERE mbl_no = 'X'", "uq_masters_mbl_no"),
            ("SELECT id FROM masters WHERE overseas_agent_id = 'X'", "idx_masters_overseas_agent_id"),
            ("SELECT id FROM shipments WHERE reference = 'X'", "uq_shipments_reference"),
            ("SELECT id FROM shipments WHERE customer_id = 'X'", "idx_shipments_customer_id"),
            ("SELECT id FROM shipments WHERE shipper_id = 'X'", "idx_shipments_shipper_id"),
            ("SELECT id FROM shipments WHERE consignee_id = 'X'", "idx_shipments_consignee_id"),
            ("SELECT id FROM shipments WHERE master_id = 'X'", "idx_shipments_master_id"),
            ("SELECT shipment_id FROM shipment_containers WHERE number = 'X'", "idx_shipment_containers_number"),
            ("SELECT * FROM tracking_events WHERE shipment_id = 'X'", "uq_tracking_events_shipment_id_event_id"),
            ("SELECT id FROM tracking_users WHERE user_id = 'x'", "uq_tracking_users_user_id"),
            ("SELECT id FROM tracking_users WHERE email = 'x'", "idx_tracking_users_email"),
            (
                "SELECT tracking_user_id FROM tracking_user_organizations WHERE organization_id = 'X'",
                "idx_tracking_user_organizations_organization_id",
            ),
            ("SELECT id FROM api_keys WHERE digest = 'X'", "uq_api_keys_digest"),
        ];
        for (query, index) in lookups {
            let plan = store
                .connection()
                .query_all_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Sqlite,
                    format!("EXPLAIN QUERY PLAN {query}"),
                ))
                .await
                .expect("explain");
            let details: Vec<String> =
                plan.iter().map(|row| row.try_get::<String>("", "detail").expect("detail column")).collect();
            assert!(details.iter().any(|d| d.contains(index)), "{query} does not use {index}: {details:?}");
        }
    })
    .await;
}

async fn pragma(store: &Store, name: &str) -> String {
    let row = store
        .connection()
        .query_one_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, format!("PRAGMA {name}")))
        .await
        .expect("pragma")
        .expect("pragma row");
    row.try_get_by_index::<String>(0)
        .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
        .expect("pragma value")
}

#[tokio::test]
async fn sqlite_file_is_created_with_wal_and_foreign_keys() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("fresh.db");
    let store = Store::connect(&format!("sqlite://{}", path.display())).await.expect("connect");
    assert!(path.exists(), "the file is created when missing");
    assert_eq!(store.backend(), Backend::Sqlite);
    assert_eq!(pragma(&store, "journal_mode").await, "wal");
    assert_eq!(pragma(&store, "synchronous").await, "1", "NORMAL");
    assert_eq!(pragma(&store, "foreign_keys").await, "1");
    assert_eq!(pragma(&store, "busy_timeout").await, "10000");
    store.connection().clone().close().await.expect("close");
}

#[tokio::test]
async fn sqlite_in_memory_database_keeps_its_data() {
    let store = Store::connect("sqlite::memory:").await.expect("connect");
    store.migrate().await.expect("migrate");
    let org = organization("org_mem", "MEM", "In Memory");
    store.insert_organization(&org).await.expect("insert");
    assert_eq!(store.organization(&org.id).await, Ok(Some(org)));
}

#[tokio::test]
async fn other_url_schemes_are_refused() {
    let refused = Store::connect("mysql://root:secret@localhost/porthole").await;
    assert!(matches!(refused, Err(porthole_store::StoreError::UnsupportedScheme { ref scheme }) if scheme == "mysql"));
}
