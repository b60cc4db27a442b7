//! The store's contract: every story runs against SQLite always, and
//! against PostgreSQL when `PORTHOLE_TEST_POSTGRES_URL` names a server
//! (each test then gets a database of its own, dropped afterwards).
//!
//! A story is an `async fn(Store)` that starts from an empty, migrated
//! database; `contract!` turns each into `sqlite::<story>` and
//! `postgres::<story>`.

mod support;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use porthole_app::input::{EventInput, LocationInput, OrganizationInput, ShipmentInput};
use porthole_app::ports::{
    ApiKey, ApiKeyRepository, AppendOutcome, AttemptOutcome, CauseId, Clock, CredentialRepository, HealthCheck,
    LinkAccess, LinkAccessEntry, LinkMailToken, LinkMailTokenPurpose, LinkSession, LoginToken, MailCause, MailContent,
    MailRecipient, MasterRepository, NewOutboxMail, OrganizationRepository, OutboxCounts, OutboxMailId,
    OutboxRepository, OutboxStatus, PendingCause, PortalSession, RandomIds, RepoError, ShareLinkRepository,
    ShipmentQuery, ShipmentRepository, ShipmentSearch, StoredShareLink, SystemClock, TokenPurpose,
    TrackingUserRepository, UnsubscribeToken, Upserted, VerificationCode,
};
use porthole_app::secret::SecretDigest;
use porthole_app::{AppError, LinkEntry, Porthole, ShareLinkOptions};
use porthole_domain::projection::{Dates, ShipmentSummary};
use porthole_domain::{
    Classifier, CodeState, Email, EventCode, NotificationCategory, OrganizationId, ReportFrequency, ShareLink,
    ShareLinkId, ShareRecipient, ShareSections, ShipmentAudience, ShipmentId, ShipmentReference, StaffRole, Status,
    TrackingRole, TrackingUserId, ViewerChange, ViewerDates, ViewerScope, scope_of, visible_to,
};
use porthole_store::entity::link_session as link_session_rows;
use porthole_store::entity::link_verification_code as link_verification_code_rows;
use porthole_store::entity::share_link as share_link_rows;
use porthole_store::entity::share_link_recipient as share_link_recipient_rows;
use porthole_store::entity::{shipment, tracking_event};
use porthole_store::{Backend, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use support::world::{GeneratedShipment, World};
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
    all_organizations_come_in_code_order,
    update_tracking_user_replaces_links_but_not_the_state,
    tracking_users_are_found_by_id_login_and_every_address,
    sessions_live_until_they_expire,
    a_session_holder_is_the_whole_user_with_its_organizations,
    disabling_a_user_ends_their_sessions_and_links,
    set_password_activates_and_ends_sessions,
    a_password_kills_pending_setup_links,
    a_new_primary_email_kills_links_and_sessions,
    update_notifications_changes_the_preferences_only,
    enabling_a_user_restores_the_state_their_password_allows,
    login_tokens_are_single_use_and_expire,
    a_new_setup_token_kills_the_old_one,
    concurrent_consumers_of_a_token_get_one_winner,
    concurrent_setup_resends_leave_one_live_link,
    complete_password_setup_uses_the_token_and_sets_the_password,
    shipments_in_scope_serve_exactly_what_the_rule_allows,
    shipment_summaries_walk_every_shipment_in_id_order,
    share_links_are_stored_whole_and_read_newest_first,
    a_batch_of_links_is_all_or_none,
    revoking_a_link_ends_its_sessions,
    a_new_token_kills_the_old_token_sessions_and_codes,
    link_sessions_live_until_they_expire,
    only_the_newest_code_counts_and_a_code_redeems_once,
    concurrent_code_entries_are_all_counted_and_one_redeems,
    concurrent_code_requests_leave_one_code,
    the_access_log_is_newest_first_and_limited,
    a_batch_of_views_is_written_in_order_without_missing_links,
    delivered_at_is_when_viewers_first_saw_the_shipment_done,
    existing_shipment_ids_name_only_existing_shipments,
    the_share_link_use_cases_run_on_the_store,
    unsubscribe_tokens_are_found_by_digest_and_go_with_their_user,
    tracking_users_and_links_record_their_causes_all_or_none,
    appended_events_record_what_viewers_saw_change,
    an_upsert_that_moves_a_date_records_a_change,
    due_causes_wait_for_a_burst_to_settle_and_return_it_whole,
    dispatching_marks_causes_once_and_queues_each_mail_once,
    a_cause_with_a_key_is_recorded_once,
    concurrent_claimers_never_share_a_mail,
    finishing_an_attempt_records_its_outcome,
    a_failed_mail_can_be_retried,
    mail_tokens_open_links_and_stop_updates,
    concurrent_appends_to_one_shipment_record_a_chain_of_changes,
    discarding_drops_only_waiting_shipment_changes,
}

/// Runs `additional_addresses_written_before_the_lookup_are_found`, which
/// starts from an empty database, on both backends.
mod from_an_empty_database {
    use crate::support::{Schema, run_postgres_from, run_sqlite_from};

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite_additional_addresses_written_before_the_lookup_are_found() {
        run_sqlite_from(Schema::Empty, crate::additional_addresses_written_before_the_lookup_are_found).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn postgres_additional_addresses_written_before_the_lookup_are_found() {
        run_postgres_from(Schema::Empty, crate::additional_addresses_written_before_the_lookup_are_found).await;
    }
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
        store.insert_tracking_user(user, &[]).await.expect("insert user");
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

    let mut same_login = tracking_user("tu_5", "saigon.ops", TrackingRole::Shipper, &["org_other"], &[]);
    same_login.email = porthole_domain::Email::parse("another.person@saigon.example").expect("email");
    assert_eq!(store.insert_tracking_user(&same_login, &[]).await, Err(duplicate("user_id")));
    let mut same_email = tracking_user("tu_7", "saigon.ops.two", TrackingRole::Shipper, &["org_other"], &[]);
    same_email.email = customer.email.clone();
    assert_eq!(
        store.insert_tracking_user(&same_email, &[]).await,
        Err(duplicate("email")),
        "a primary e-mail signs one user in"
    );

    // A link to an unknown organization refuses the whole user.
    let dangling = tracking_user("tu_6", "dangling", TrackingRole::Customer, &["org_other", "org_nowhere"], &[]);
    assert_eq!(store.insert_tracking_user(&dangling, &[]).await, Err(RepoError::NotFound));
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
            ("SELECT id FROM shipments WHERE customer_id = 'X'", "idx_shipments_customer_id_reference"),
            ("SELECT id FROM shipments WHERE shipper_id = 'X'", "idx_shipments_shipper_id_reference"),
            ("SELECT id FROM shipments WHERE consignee_id = 'X'", "idx_shipments_consignee_id_reference"),
            ("SELECT id FROM shipments WHERE master_id = 'X'", "idx_shipments_master_id"),
            ("SELECT shipment_id FROM shipment_containers WHERE number = 'X'", "idx_shipment_containers_number"),
            ("SELECT * FROM tracking_events WHERE shipment_id = 'X'", "uq_tracking_events_shipment_id_event_id"),
            ("SELECT id FROM tracking_users WHERE user_id = 'x'", "uq_tracking_users_user_id"),
            ("SELECT id FROM tracking_users WHERE email = 'x'", "uq_tracking_users_email"),
            (
                "SELECT tracking_user_id FROM tracking_user_organizations WHERE organization_id = 'X'",
                "idx_tracking_user_organizations_organization_id",
            ),
            ("SELECT id FROM api_keys WHERE digest = 'X'", "uq_api_keys_digest"),
            (
                "SELECT tracking_user_id FROM tracking_user_additional_emails WHERE email = 'x'",
                "idx_tracking_user_additional_emails_email",
            ),
            ("SELECT digest FROM login_tokens WHERE tracking_user_id = 'x'", "idx_login_tokens_tracking_user_id"),
            ("SELECT digest FROM portal_sessions WHERE tracking_user_id = 'x'", "idx_portal_sessions_tracking_user_id"),
            ("SELECT id FROM share_links WHERE token_digest = 'x'", "uq_share_links_token_digest"),
            (
                "SELECT id FROM share_links WHERE shipment_id = 'x' ORDER BY created_at DESC, id DESC",
                "idx_share_links_shipment_id_created_at",
            ),
            ("SELECT digest FROM link_sessions WHERE link_id = 'x'", "idx_link_sessions_link_id"),
            (
                "SELECT * FROM link_verification_codes WHERE link_id = 'x' AND email = 'y' ORDER BY sent_at DESC LIMIT 1",
                "idx_link_verification_codes_link_id_email_sent_at",
            ),
            (
                "SELECT * FROM link_access_log WHERE link_id = 'x' ORDER BY at DESC, id DESC LIMIT 500",
                "idx_link_access_log_link_id_at",
            ),
            ("SELECT digest FROM share_link_mail_tokens WHERE link_id = 'x'", "idx_share_link_mail_tokens_link_id"),
            ("SELECT id FROM outbox_causes WHERE dedupe_key = 'x'", "uq_outbox_causes_dedupe_key"),
            ("SELECT id FROM outbox_causes WHERE shipment_id = 'x'", "idx_outbox_causes_shipment_id"),
            ("SELECT id FROM outbox_mails WHERE dedupe_key = 'x'", "uq_outbox_mails_dedupe_key"),
            ("SELECT id FROM outbox_mails WHERE recipient_user_id = 'x'", "idx_outbox_mails_recipient_user_id"),
            ("SELECT id FROM outbox_mails WHERE recipient_link_id = 'x'", "idx_outbox_mails_recipient_link_id"),
            (
                "SELECT id FROM outbox_mails WHERE status = 'failed' ORDER BY created_at DESC, id DESC LIMIT 50",
                "idx_outbox_mails_status_created_at_id",
            ),
            (
                "SELECT id FROM outbox_mails ORDER BY created_at DESC, id DESC LIMIT 50",
                "idx_outbox_mails_created_at_id",
            ),
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
            // Ordered reads come in index order.
            assert!(!details.iter().any(|d| d.contains("TEMP B-TREE")), "{query} sorts: {details:?}");
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

// ---- Organizations and tracking users -------------------------------------

async fn all_organizations_come_in_code_order(store: Store) {
    assert_eq!(store.all_organizations().await, Ok(Vec::new()));
    seed_parties(&store).await;
    let codes: Vec<String> = store.all_organizations().await.expect("list").into_iter().map(|o| o.code).collect();
    assert_eq!(codes, ["LBAGENT", "OTHER", "SGTECH"]);
}

async fn update_tracking_user_replaces_links_but_not_the_state(store: Store) {
    seed_parties(&store).await;
    let agent = tracking_user("tu_1", "lb.agent", TrackingRole::OverseasAgent, &["org_agent"], &["org_saigon"]);
    let other = tracking_user("tu_2", "other.ops", TrackingRole::Customer, &["org_other"], &[]);
    store.insert_tracking_user(&agent, &[]).await.expect("insert agent");
    store.insert_tracking_user(&other, &[]).await.expect("insert other");

    let mut edited = agent.clone();
    edited.user_id = porthole_domain::UserId::parse("LB.Agent.2").expect("valid");
    edited.first_name = "Mai".to_owned();
    edited.last_name = None;
    edited.email = porthole_domain::Email::parse("mai@example.com").expect("valid");
    edited.additional_emails = vec![porthole_domain::Email::parse("desk@example.com").expect("valid")];
    edited.organization_ids = BTreeSet::from([org_id("org_agent"), org_id("org_other")]);
    edited.agent_customer_ids = BTreeSet::from([org_id("org_other")]);
    edited.display.mbl_number = true;
    edited.notifications.periodic_report = None;
    store.update_tracking_user(&edited).await.expect("update");
    assert_eq!(store.tracking_user(&agent.id).await, Ok(Some(edited.clone())));
    let by_old_address = store.tracking_users_by_email(&agent.additional_emails[0]).await.expect("by e-mail");
    assert_eq!(by_old_address.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(), ["tu_2"], "old address forgotten");
    let by_new_address = store.tracking_users_by_email(&edited.additional_emails[0]).await.expect("by e-mail");
    assert_eq!(by_new_address, vec![edited.clone()]);

    // State changes only through set_password and disable.
    let mut stale = edited.clone();
    stale.state = porthole_domain::UserState::Disabled;
    store.update_tracking_user(&stale).await.expect("update");
    assert_eq!(store.tracking_user(&agent.id).await.expect("read").map(|u| u.state), Some(edited.state));

    let mut taking_login = edited.clone();
    taking_login.user_id = other.user_id.clone();
    taking_login.first_name = "Refused".to_owned();
    assert_eq!(store.update_tracking_user(&taking_login).await, Err(duplicate("user_id")));
    let mut dangling = edited.clone();
    dangling.organization_ids.insert(org_id("org_nowhere"));
    assert_eq!(store.update_tracking_user(&dangling).await, Err(RepoError::NotFound));
    assert_eq!(store.tracking_user(&agent.id).await, Ok(Some(edited.clone())), "a refused update writes nothing");

    let ghost = tracking_user("tu_ghost", "ghost", TrackingRole::Customer, &["org_other"], &[]);
    assert_eq!(store.update_tracking_user(&ghost).await, Err(RepoError::NotFound));
    assert_eq!(store.tracking_user(&ghost.id).await, Ok(None));
}

async fn tracking_users_are_found_by_id_login_and_every_address(store: Store) {
    seed_parties(&store).await;
    let mut first = tracking_user("tu_a", "first.user", TrackingRole::Customer, &["org_saigon"], &[]);
    first.additional_emails = vec![];
    let mut second = tracking_user("tu_b", "second.user", TrackingRole::Consignee, &["org_other"], &[]);
    second.additional_emails = vec![first.email.clone()];
    let third = tracking_user("tu_c", "third.user", TrackingRole::Shipper, &["org_saigon", "org_other"], &[]);
    for user in [&third, &first, &second] {
        store.insert_tracking_user(user, &[]).await.expect("insert");
    }

    assert_eq!(store.tracking_user(&first.id).await, Ok(Some(first.clone())));
    assert_eq!(store.tracking_user(&porthole_domain::TrackingUserId::new("tu_none")).await, Ok(None));
    let login = porthole_domain::UserId::parse("SECOND.User").expect("valid");
    assert_eq!(store.tracking_user_by_login(&login).await, Ok(Some(second.clone())), "logins ignore case");
    let nobody = porthole_domain::UserId::parse("nobody").expect("valid");
    assert_eq!(store.tracking_user_by_login(&nobody).await, Ok(None));

    // Primary of one user, additional address of another.
    let shared = store.tracking_users_by_email(&first.email).await.expect("by e-mail");
    assert_eq!(shared, vec![first.clone(), second.clone()]);
    let unknown = porthole_domain::Email::parse("nobody@example.com").expect("valid");
    assert_eq!(store.tracking_users_by_email(&unknown).await, Ok(Vec::new()));

    let ids =
        |users: Vec<porthole_domain::TrackingUser>| users.into_iter().map(|u| u.id.to_string()).collect::<Vec<_>>();
    assert_eq!(store.tracking_users(None, 2).await.map(ids), Ok(vec!["tu_a".to_owned(), "tu_b".to_owned()]));
    let rest = store.tracking_users(Some(second.id.clone()), 2).await.expect("next page");
    assert_eq!(rest, vec![third.clone()], "whole users, after the cursor");
    assert_eq!(store.tracking_users(Some(third.id.clone()), 2).await, Ok(Vec::new()));
}

/// Users created before the additional-address lookup existed are found by
/// those addresses once it is migrated in.
async fn additional_addresses_written_before_the_lookup_are_found(store: Store) {
    use porthole_migrations::MigratorTrait;
    porthole_migrations::Migrator::up(store.connection(), Some(1)).await.expect("initial schema only");
    let insert_user = r#"INSERT INTO tracking_users
        (id, user_id, first_name, email, additional_emails, role, notifications, display, state, created_at)
        VALUES ('tu_old', 'old.user', 'Old', 'old@example.com', '["desk@example.com","night@example.com"]',
                'customer', '{"journey_updated":false,"eta_changed":false,"document_status":false,"periodic_report":null}',
                '{"doc_center":true,"shipper_info":false,"mbl_number":false}', 'active', '2025-05-01T00:00:00.000000000Z')"#;
    store.connection().execute_unprepared(insert_user).await.expect("a user of the old schema");
    store.migrate().await.expect("the rest of the migrations");

    for address in ["desk@example.com", "night@example.com", "old@example.com"] {
        let email = porthole_domain::Email::parse(address).expect("valid");
        let found = store.tracking_users_by_email(&email).await.expect("by e-mail");
        assert_eq!(found.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(), ["tu_old"], "{address}");
    }
}

// ---- Credentials ----------------------------------------------------------

fn login_token(digest: &SecretDigest, user: &str, purpose: TokenPurpose, at: &str, lifetime: Duration) -> LoginToken {
    LoginToken {
        digest: digest.clone(),
        tracking_user_id: TrackingUserId::new(user),
        purpose,
        created_at: utc(at),
        expires_at: utc(at) + lifetime,
    }
}

fn portal_session(digest: &SecretDigest, user: &str, at: &str, lifetime: Duration) -> PortalSession {
    PortalSession {
        digest: digest.clone(),
        tracking_user_id: TrackingUserId::new(user),
        created_at: utc(at),
        expires_at: utc(at) + lifetime,
    }
}

async fn seed_user(store: &Store, id: &str, state: porthole_domain::UserState) -> porthole_domain::TrackingUser {
    seed_parties(store).await;
    let mut user = tracking_user(id, &format!("user.{id}"), TrackingRole::Customer, &["org_saigon"], &[]);
    user.state = state;
    store.insert_tracking_user(&user, &[]).await.expect("insert user");
    user
}

async fn state_of(store: &Store, id: &TrackingUserId) -> Option<porthole_domain::UserState> {
    store.tracking_user(id).await.expect("read user").map(|u| u.state)
}

/// The session part of what `session_holder` answers.
async fn session_of(
    store: &Store,
    digest: &SecretDigest,
    now: DateTime<Utc>,
) -> Result<Option<PortalSession>, RepoError> {
    store.session_holder(digest, now).await.map(|holder| holder.map(|h| h.session))
}

async fn a_session_holder_is_the_whole_user_with_its_organizations(store: Store) {
    seed_parties(&store).await;
    let agent = tracking_user(
        "tu_agent",
        "agent.user",
        TrackingRole::OverseasAgent,
        &["org_agent"],
        &["org_saigon", "org_other"],
    );
    store.insert_tracking_user(&agent, &[]).await.expect("insert agent");
    let both = tracking_user("tu_both", "both.user", TrackingRole::Customer, &["org_saigon", "org_other"], &[]);
    store.insert_tracking_user(&both, &[]).await.expect("insert customer");
    let now = utc("2025-05-01T09:00:00Z");
    for (secret, owner) in [("ps_agent", "tu_agent"), ("ps_both", "tu_both")] {
        let session = portal_session(&SecretDigest::of(secret), owner, "2025-05-01T08:00:00Z", Duration::hours(12));
        store.insert_session(&session).await.expect("insert session");
    }

    let holder = store.session_holder(&SecretDigest::of("ps_agent"), now).await.expect("read").expect("live");
    assert_eq!(holder.user, agent, "the user, whole: organizations and agent customers apart");
    assert_eq!(holder.session.tracking_user_id, agent.id);
    let names: BTreeSet<_> = holder.organizations.iter().map(|org| org.id.as_str().to_owned()).collect();
    assert_eq!(names, BTreeSet::from(["org_agent".to_owned()]), "its own organizations, not its agent customers");
    assert_eq!(holder.organizations[0].name, "Long Beach Agent");

    let holder = store.session_holder(&SecretDigest::of("ps_both"), now).await.expect("read").expect("live");
    assert_eq!(holder.user, both);
    let names: BTreeSet<_> = holder.organizations.iter().map(|org| org.id.as_str().to_owned()).collect();
    assert_eq!(names, BTreeSet::from(["org_other".to_owned(), "org_saigon".to_owned()]));
}

async fn sessions_live_until_they_expire(store: Store) {
    let user = seed_user(&store, "tu_1", porthole_domain::UserState::Active).await;
    let digest = SecretDigest::of("ps_one");
    let session = portal_session(&digest, "tu_1", "2025-05-01T08:00:00Z", Duration::hours(12));
    store.insert_session(&session).await.expect("insert");

    assert_eq!(session_of(&store, &digest, utc("2025-05-01T08:00:00Z")).await, Ok(Some(session.clone())));
    let last_moment = session.expires_at - Duration::nanoseconds(1);
    assert_eq!(session_of(&store, &digest, last_moment).await, Ok(Some(session.clone())));
    assert_eq!(session_of(&store, &digest, session.expires_at).await, Ok(None), "expired at its expiry");
    assert_eq!(session_of(&store, &digest, utc("2026-01-01T00:00:00Z")).await, Ok(None));
    assert_eq!(session_of(&store, &SecretDigest::of("ps_other"), utc("2025-05-01T09:00:00Z")).await, Ok(None));

    // A later sign-in clears sessions that have expired, and only those.
    let later = SecretDigest::of("ps_later");
    store
        .insert_session(&portal_session(&later, "tu_1", "2025-05-02T08:00:00Z", Duration::hours(1)))
        .await
        .expect("insert");
    let within = SecretDigest::of("ps_within");
    store
        .insert_session(&portal_session(&within, "tu_1", "2025-05-02T08:30:00Z", Duration::hours(1)))
        .await
        .expect("insert");
    assert_eq!(session_rows(&store).await, 2, "the expired session row is gone, the live ones stay");

    store.delete_session(&later).await.expect("delete");
    assert_eq!(session_of(&store, &later, utc("2025-05-02T08:40:00Z")).await, Ok(None));
    assert!(session_of(&store, &within, utc("2025-05-02T08:40:00Z")).await.expect("read").is_some());
    store.delete_session(&later).await.expect("deleting a missing session is fine");

    let orphan =
        portal_session(&SecretDigest::of("ps_orphan"), "tu_nobody", "2025-05-01T08:00:00Z", Duration::hours(1));
    assert_eq!(store.insert_session(&orphan).await, Err(RepoError::NotFound));
    assert_eq!(state_of(&store, &user.id).await, Some(porthole_domain::UserState::Active));
}

async fn unsubscribe_tokens_are_found_by_digest_and_go_with_their_user(store: Store) {
    let user = seed_user(&store, "tu_1", porthole_domain::UserState::Active).await;
    let token = |secret: &str, category| UnsubscribeToken {
        digest: SecretDigest::of(secret),
        tracking_user_id: user.id.clone(),
        category,
        created_at: utc("2025-05-01T08:00:00Z"),
    };
    let tokens = [
        token("pu_first", NotificationCategory::EtaChanged),
        token("pu_second", NotificationCategory::EtaChanged),
        token("pu_report", NotificationCategory::PeriodicReport),
    ];
    for stored in &tokens {
        store.insert_unsubscribe_token(stored).await.expect("insert");
    }
    // An older mail's link keeps working after newer ones were minted.
    for stored in &tokens {
        assert_eq!(store.unsubscribe_token(&stored.digest).await, Ok(Some(stored.clone())));
    }
    assert_eq!(store.unsubscribe_token(&SecretDigest::of("pu_unknown")).await, Ok(None));

    let orphan = UnsubscribeToken {
        tracking_user_id: TrackingUserId::new("tu_nobody"),
        ..token("pu_orphan", NotificationCategory::JourneyUpdated)
    };
    assert_eq!(store.insert_unsubscribe_token(&orphan).await, Err(RepoError::NotFound));
    assert_eq!(store.unsubscribe_token(&orphan.digest).await, Ok(None));

    porthole_store::entity::tracking_user::Entity::delete_by_id(user.id.as_str())
        .exec(store.connection())
        .await
        .expect("delete user");
    for stored in &tokens {
        assert_eq!(store.unsubscribe_token(&stored.digest).await, Ok(None), "deleted with the user");
    }
}

async fn session_rows(store: &Store) -> u64 {
    porthole_store::entity::portal_session::Entity::find().count(store.connection()).await.expect("count sessions")
}

async fn disabling_a_user_ends_their_sessions_and_links(store: Store) {
    let user = seed_user(&store, "tu_1", porthole_domain::UserState::Active).await;
    let bystander = tracking_user("tu_2", "bystander", TrackingRole::Customer, &["org_other"], &[]);
    store.insert_tracking_user(&bystander, &[]).await.expect("insert bystander");
    let now = utc("2025-05-01T09:00:00Z");
    for (secret, owner) in [("ps_a", "tu_1"), ("ps_b", "tu_1"), ("ps_c", "tu_2")] {
        let session = portal_session(&SecretDigest::of(secret), owner, "2025-05-01T08:00:00Z", Duration::hours(12));
        store.insert_session(&session).await.expect("insert session");
    }
    let link = SecretDigest::of("pt_link");
    let token = login_token(&link, "tu_1", TokenPurpose::MagicLink, "2025-05-01T08:55:00Z", Duration::minutes(15));
    store.insert_login_token(&token).await.expect("insert token");

    store.disable_tracking_user(&user.id).await.expect("disable");
    assert_eq!(state_of(&store, &user.id).await, Some(porthole_domain::UserState::Disabled));
    for secret in ["ps_a", "ps_b"] {
        assert_eq!(session_of(&store, &SecretDigest::of(secret), now).await, Ok(None), "{secret} ended");
    }
    assert!(session_of(&store, &SecretDigest::of("ps_c"), now).await.expect("read").is_some(), "others keep theirs");
    assert_eq!(store.live_login_token(&link, TokenPurpose::MagicLink, now).await, Ok(None));

    let ghost = TrackingUserId::new("tu_ghost");
    assert_eq!(store.disable_tracking_user(&ghost).await, Err(RepoError::NotFound));
    assert_eq!(state_of(&store, &bystander.id).await, Some(porthole_domain::UserState::Active));
}

async fn set_password_activates_and_ends_sessions(store: Store) {
    let invited = seed_user(&store, "tu_1", porthole_domain::UserState::Invited).await;
    let mut disabled = tracking_user("tu_2", "disabled.user", TrackingRole::Customer, &["org_saigon"], &[]);
    disabled.state = porthole_domain::UserState::Disabled;
    store.insert_tracking_user(&disabled, &[]).await.expect("insert");
    assert_eq!(store.password_hash(&invited.id).await, Ok(None));
    let session = SecretDigest::of("ps_before");
    store
        .insert_session(&portal_session(&session, "tu_1", "2025-05-01T08:00:00Z", Duration::hours(12)))
        .await
        .expect("insert");

    store.set_password(&invited.id, "$argon2id$first").await.expect("set");
    assert_eq!(store.password_hash(&invited.id).await, Ok(Some("$argon2id$first".to_owned())));
    assert_eq!(state_of(&store, &invited.id).await, Some(porthole_domain::UserState::Active));
    assert_eq!(session_of(&store, &session, utc("2025-05-01T09:00:00Z")).await, Ok(None), "sessions ended");

    store.set_password(&invited.id, "$argon2id$second").await.expect("set again");
    assert_eq!(store.password_hash(&invited.id).await, Ok(Some("$argon2id$second".to_owned())));
    assert_eq!(state_of(&store, &invited.id).await, Some(porthole_domain::UserState::Active));

    store.set_password(&disabled.id, "$argon2id$third").await.expect("set for a disabled user");
    assert_eq!(state_of(&store, &disabled.id).await, Some(porthole_domain::UserState::Disabled), "stays disabled");
    assert_eq!(store.password_hash(&disabled.id).await, Ok(Some("$argon2id$third".to_owned())));

    let ghost = TrackingUserId::new("tu_ghost");
    assert_eq!(store.set_password(&ghost, "$argon2id$x").await, Err(RepoError::NotFound));
    assert_eq!(store.password_hash(&ghost).await, Ok(None));
}

async fn a_password_kills_pending_setup_links(store: Store) {
    let invited = seed_user(&store, "tu_1", porthole_domain::UserState::Invited).await;
    let setup = SecretDigest::of("pt_setup");
    let token = login_token(&setup, "tu_1", TokenPurpose::PasswordSetup, "2025-05-01T08:00:00Z", Duration::hours(24));
    store.insert_login_token(&token).await.expect("insert");
    let later = utc("2025-05-01T09:00:00Z");
    assert_eq!(store.live_login_token(&setup, TokenPurpose::PasswordSetup, later).await, Ok(Some(invited.id.clone())));

    let magic = SecretDigest::of("pt_magic");
    let sign_in = login_token(&magic, "tu_1", TokenPurpose::MagicLink, "2025-05-01T08:30:00Z", Duration::minutes(15));
    store.insert_login_token(&sign_in).await.expect("insert");

    store.set_password(&invited.id, "$argon2id$by-staff").await.expect("set");
    assert_eq!(store.live_login_token(&setup, TokenPurpose::PasswordSetup, later).await, Ok(None));
    let soon = utc("2025-05-01T08:35:00Z");
    assert_eq!(store.live_login_token(&magic, TokenPurpose::MagicLink, soon).await, Ok(None), "sign-in links die too");
    assert_eq!(store.complete_password_setup(&setup, "$argon2id$by-mail", later).await, Ok(None));
    assert_eq!(store.password_hash(&invited.id).await, Ok(Some("$argon2id$by-staff".to_owned())));
}

async fn a_new_primary_email_kills_links_and_sessions(store: Store) {
    let user = seed_user(&store, "tu_1", porthole_domain::UserState::Active).await;
    let setup = SecretDigest::of("pt_setup");
    let token = login_token(&setup, "tu_1", TokenPurpose::PasswordSetup, "2025-05-01T08:00:00Z", Duration::hours(24));
    store.insert_login_token(&token).await.expect("insert");
    let session = SecretDigest::of("ps_live");
    store
        .insert_session(&portal_session(&session, "tu_1", "2025-05-01T08:00:00Z", Duration::hours(12)))
        .await
        .expect("insert");
    let later = utc("2025-05-01T09:00:00Z");

    let mut renamed = user.clone();
    renamed.first_name = "Renamed".into();
    store.update_tracking_user(&renamed).await.expect("update without a new address");
    assert!(session_of(&store, &session, later).await.expect("read").is_some(), "other edits keep the session");
    assert!(store.live_login_token(&setup, TokenPurpose::PasswordSetup, later).await.expect("read").is_some());

    let mut readdressed = renamed.clone();
    readdressed.email = porthole_domain::Email::parse("right.address@saigon.example").expect("email");
    store.update_tracking_user(&readdressed).await.expect("update the address");
    assert_eq!(session_of(&store, &session, later).await, Ok(None));
    assert_eq!(store.live_login_token(&setup, TokenPurpose::PasswordSetup, later).await, Ok(None));
}

async fn update_notifications_changes_the_preferences_only(store: Store) {
    let user = seed_user(&store, "tu_1", porthole_domain::UserState::Active).await;
    let preferences = porthole_domain::NotificationPreferences {
        journey_updated: true,
        eta_changed: false,
        document_status: true,
        periodic_report: Some(porthole_domain::PeriodicReport {
            frequency: porthole_domain::ReportFrequency::Weekly,
            columns: vec!["reference".into(), "eta".into()],
        }),
    };
    store.update_notifications(&user.id, &preferences).await.expect("update");
    let stored = store.tracking_user(&user.id).await.expect("read").expect("present");
    assert_eq!(stored, porthole_domain::TrackingUser { notifications: preferences.clone(), ..user });
    let ghost = TrackingUserId::new("tu_ghost");
    assert_eq!(store.update_notifications(&ghost, &preferences).await, Err(RepoError::NotFound));
}

async fn enabling_a_user_restores_the_state_their_password_allows(store: Store) {
    let with_password = seed_user(&store, "tu_1", porthole_domain::UserState::Invited).await;
    store.set_password(&with_password.id, "$argon2id$x").await.expect("set");
    let without_password = tracking_user("tu_2", "no.password", TrackingRole::Customer, &["org_saigon"], &[]);
    store.insert_tracking_user(&without_password, &[]).await.expect("insert");
    for user in [&with_password, &without_password] {
        store.disable_tracking_user(&user.id).await.expect("disable");
        assert_eq!(state_of(&store, &user.id).await, Some(porthole_domain::UserState::Disabled));
        store.enable_tracking_user(&user.id).await.expect("enable");
    }
    assert_eq!(state_of(&store, &with_password.id).await, Some(porthole_domain::UserState::Active));
    assert_eq!(state_of(&store, &without_password.id).await, Some(porthole_domain::UserState::Invited));

    store.enable_tracking_user(&with_password.id).await.expect("enabling an enabled user changes nothing");
    assert_eq!(state_of(&store, &with_password.id).await, Some(porthole_domain::UserState::Active));
    assert_eq!(store.enable_tracking_user(&TrackingUserId::new("tu_ghost")).await, Err(RepoError::NotFound));
}

async fn login_tokens_are_single_use_and_expire(store: Store) {
    let user = seed_user(&store, "tu_1", porthole_domain::UserState::Active).await;
    let digest = SecretDigest::of("pt_magic");
    let token = login_token(&digest, "tu_1", TokenPurpose::MagicLink, "2025-05-01T08:00:00Z", Duration::minutes(15));
    store.insert_login_token(&token).await.expect("insert");
    let during = utc("2025-05-01T08:10:00Z");

    assert_eq!(store.live_login_token(&digest, TokenPurpose::MagicLink, during).await, Ok(Some(user.id.clone())));
    assert_eq!(
        store.live_login_token(&digest, TokenPurpose::MagicLink, during).await,
        Ok(Some(user.id.clone())),
        "looking does not use it"
    );
    assert_eq!(store.live_login_token(&digest, TokenPurpose::PasswordSetup, during).await, Ok(None), "wrong purpose");
    assert_eq!(
        store.consume_login_token(&digest, TokenPurpose::PasswordSetup, during).await,
        Ok(None),
        "wrong purpose"
    );
    assert_eq!(store.live_login_token(&digest, TokenPurpose::MagicLink, token.expires_at).await, Ok(None), "expired");
    assert_eq!(
        store.consume_login_token(&digest, TokenPurpose::MagicLink, token.expires_at).await,
        Ok(None),
        "expired"
    );

    assert_eq!(store.consume_login_token(&digest, TokenPurpose::MagicLink, during).await, Ok(Some(user.id.clone())));
    assert_eq!(store.consume_login_token(&digest, TokenPurpose::MagicLink, during).await, Ok(None), "single use");
    assert_eq!(store.live_login_token(&digest, TokenPurpose::MagicLink, during).await, Ok(None));

    let unknown = SecretDigest::of("pt_unknown");
    assert_eq!(store.consume_login_token(&unknown, TokenPurpose::MagicLink, during).await, Ok(None));
    let orphan =
        login_token(&unknown, "tu_nobody", TokenPurpose::MagicLink, "2025-05-01T08:00:00Z", Duration::minutes(15));
    assert_eq!(store.insert_login_token(&orphan).await, Err(RepoError::NotFound));
}

async fn a_new_setup_token_kills_the_old_one(store: Store) {
    let user = seed_user(&store, "tu_1", porthole_domain::UserState::Invited).await;
    let first = SecretDigest::of("pt_setup_1");
    let second = SecretDigest::of("pt_setup_2");
    let magic = SecretDigest::of("pt_magic");
    let day = Duration::hours(24);
    store
        .insert_login_token(&login_token(&first, "tu_1", TokenPurpose::PasswordSetup, "2025-05-01T08:00:00Z", day))
        .await
        .expect("first");
    store
        .insert_login_token(&login_token(
            &magic,
            "tu_1",
            TokenPurpose::MagicLink,
            "2025-05-01T08:30:00Z",
            Duration::minutes(15),
        ))
        .await
        .expect("magic");
    store
        .insert_login_token(&login_token(&second, "tu_1", TokenPurpose::PasswordSetup, "2025-05-01T08:35:00Z", day))
        .await
        .expect("second");

    let now = utc("2025-05-01T08:40:00Z");
    assert_eq!(
        store.live_login_token(&first, TokenPurpose::PasswordSetup, now).await,
        Ok(None),
        "resend kills the old link"
    );
    assert_eq!(store.consume_login_token(&first, TokenPurpose::PasswordSetup, now).await, Ok(None));
    assert_eq!(store.live_login_token(&second, TokenPurpose::PasswordSetup, now).await, Ok(Some(user.id.clone())));
    assert_eq!(
        store.live_login_token(&magic, TokenPurpose::MagicLink, now).await,
        Ok(Some(user.id.clone())),
        "other purposes live on"
    );
}

async fn concurrent_setup_resends_leave_one_live_link(store: Store) {
    const RESENDS: usize = 8;
    seed_user(&store, "tu_1", porthole_domain::UserState::Invited).await;
    let start = Arc::new(tokio::sync::Barrier::new(RESENDS));
    let mut resends = tokio::task::JoinSet::new();
    for n in 0..RESENDS {
        let (store, start) = (store.clone(), Arc::clone(&start));
        resends.spawn(async move {
            let digest = SecretDigest::of(&format!("pt_resend_{n}"));
            let token =
                login_token(&digest, "tu_1", TokenPurpose::PasswordSetup, "2025-05-01T08:00:00Z", Duration::hours(24));
            start.wait().await;
            store.insert_login_token(&token).await.expect("insert");
            digest
        });
    }
    let mut digests = Vec::new();
    while let Some(joined) = resends.join_next().await {
        digests.push(joined.expect("resend finished"));
    }
    let now = utc("2025-05-01T09:00:00Z");
    let mut live = 0;
    for digest in &digests {
        if store.live_login_token(digest, TokenPurpose::PasswordSetup, now).await.expect("read").is_some() {
            live += 1;
        }
    }
    assert_eq!(live, 1, "only the last resend's link lives");
}

async fn concurrent_consumers_of_a_token_get_one_winner(store: Store) {
    const CONSUMERS: usize = 8;
    const TOKENS: usize = 5;
    let user = seed_user(&store, "tu_1", porthole_domain::UserState::Active).await;
    let now = utc("2025-05-01T08:05:00Z");
    for round in 0..TOKENS {
        let digest = SecretDigest::of(&format!("pt_race_{round}"));
        let token =
            login_token(&digest, "tu_1", TokenPurpose::MagicLink, "2025-05-01T08:00:00Z", Duration::minutes(15));
        store.insert_login_token(&token).await.expect("insert");
        let start = Arc::new(tokio::sync::Barrier::new(CONSUMERS));
        let mut racers = tokio::task::JoinSet::new();
        for _ in 0..CONSUMERS {
            let (store, digest, start) = (store.clone(), digest.clone(), Arc::clone(&start));
            racers.spawn(async move {
                start.wait().await;
                store.consume_login_token(&digest, TokenPurpose::MagicLink, now).await
            });
        }
        let mut winners = Vec::new();
        while let Some(joined) = racers.join_next().await {
            if let Some(user) = joined.expect("racer finished").expect("consume answered") {
                winners.push(user);
            }
        }
        assert_eq!(winners, vec![user.id.clone()], "round {round}: exactly one winner");
    }
}

async fn complete_password_setup_uses_the_token_and_sets_the_password(store: Store) {
    let user = seed_user(&store, "tu_1", porthole_domain::UserState::Invited).await;
    let setup = SecretDigest::of("pt_setup");
    let token = login_token(&setup, "tu_1", TokenPurpose::PasswordSetup, "2025-05-01T08:00:00Z", Duration::hours(24));
    store.insert_login_token(&token).await.expect("insert");
    let session = SecretDigest::of("ps_old");
    store
        .insert_session(&portal_session(&session, "tu_1", "2025-05-01T08:00:00Z", Duration::hours(12)))
        .await
        .expect("insert");
    let magic = SecretDigest::of("pt_magic");
    store
        .insert_login_token(&login_token(
            &magic,
            "tu_1",
            TokenPurpose::MagicLink,
            "2025-05-01T08:00:00Z",
            Duration::minutes(15),
        ))
        .await
        .expect("insert");

    let now = utc("2025-05-01T08:05:00Z");
    assert_eq!(
        store.complete_password_setup(&magic, "$argon2id$wrong", now).await,
        Ok(None),
        "a magic link sets nothing"
    );
    assert_eq!(store.complete_password_setup(&setup, "$argon2id$late", token.expires_at).await, Ok(None), "expired");
    assert_eq!(store.password_hash(&user.id).await, Ok(None), "nothing written for a dead token");
    assert_eq!(state_of(&store, &user.id).await, Some(porthole_domain::UserState::Invited));
    assert!(store.live_login_token(&magic, TokenPurpose::MagicLink, now).await.expect("read").is_some(), "not used up");

    assert_eq!(store.complete_password_setup(&setup, "$argon2id$chosen", now).await, Ok(Some(user.id.clone())));
    assert_eq!(store.password_hash(&user.id).await, Ok(Some("$argon2id$chosen".to_owned())));
    assert_eq!(state_of(&store, &user.id).await, Some(porthole_domain::UserState::Active));
    assert_eq!(session_of(&store, &session, now).await, Ok(None), "sessions ended");

    assert_eq!(store.complete_password_setup(&setup, "$argon2id$again", now).await, Ok(None), "single use");
    assert_eq!(store.password_hash(&user.id).await, Ok(Some("$argon2id$chosen".to_owned())));
}

// ---- Shipments in a viewer's scope ------------------------------------------

/// Every page of `shipments_in_scope` for one scope and filter, in order.
async fn every_page(
    store: &Store,
    scope: &ViewerScope,
    status: Option<Status>,
    search: Option<&str>,
    page_size: u64,
    total: usize,
) -> Vec<ShipmentSummary> {
    let mut served: Vec<ShipmentSummary> = Vec::new();
    loop {
        let query = ShipmentQuery {
            status,
            search: search.map(|text| ShipmentSearch::of(text.to_owned())),
            before: served.last().map(|s| s.reference.clone()),
            limit: page_size,
        };
        let page = store.shipments_in_scope(scope, &query).await.expect("a page");
        assert!(page.len() as u64 <= page_size, "a page holds at most its limit");
        let last_page = (page.len() as u64) < page_size;
        served.extend(page);
        assert!(served.len() <= total, "paging never ends: {scope:?}");
        if last_page {
            return served;
        }
    }
}

fn ids_of<'a>(selected: impl Iterator<Item = &'a GeneratedShipment>) -> BTreeSet<&'a str> {
    selected.map(|s| s.shipment.id.as_str()).collect()
}

/// What a search finds, as `ShipmentSearch` documents it: a whole
/// container number only the shipments carrying it, other text references
/// and HBL numbers containing it and container numbers starting with it.
fn matches_search(shipment: &porthole_domain::Shipment, search: &str) -> bool {
    if let ShipmentSearch::Container(number) = ShipmentSearch::of(search.to_owned()) {
        return shipment.containers.iter().any(|c| c.number == number);
    }
    shipment.reference.as_str().to_uppercase().contains(search)
        || shipment.hbl_no.as_deref().is_some_and(|hbl| hbl.to_uppercase().contains(search))
        || shipment.containers.iter().any(|c| c.number.as_str().starts_with(search))
}

/// Searches that must be taken literally, or that start nothing, or many.
const LITERAL_SEARCHES: &[&str] = &["SH_", "S%", "%", "_", "SHP/", "ZZZ", "MSKU", "HB"];

/// Searches worth asking for a user: starts and middles of references, HBL
/// numbers, starts of container numbers (any length, whole ones included)
/// of shipments the user sees and of any shipment, plus two of
/// [`LITERAL_SEARCHES`].
fn searches(rng: &mut StdRng, visible: &[&GeneratedShipment], all: &[&GeneratedShipment]) -> Vec<String> {
    let start_of = |rng: &mut StdRng, text: &str| {
        let length = rng.random_range(1..=text.chars().count());
        text.chars().take(length).collect::<String>().to_uppercase()
    };
    let mut searches: Vec<String> =
        (0..2).map(|_| LITERAL_SEARCHES[rng.random_range(0..LITERAL_SEARCHES.len())].to_owned()).collect();
    let anyone = &all[rng.random_range(0..all.len())].shipment;
    searches.push(start_of(rng, anyone.reference.as_str()));
    let seen = if visible.is_empty() { anyone } else { &visible[rng.random_range(0..visible.len())].shipment };
    searches.push(start_of(rng, seen.reference.as_str()));
    // What people type: the running number at the end, "00080".
    let reference: Vec<char> = seen.reference.as_str().to_uppercase().chars().collect();
    let from = rng.random_range(0..reference.len());
    searches.push(reference[from..].iter().collect());
    if let Some(hbl) = seen.hbl_no.as_deref().filter(|h| !h.trim().is_empty()) {
        searches.push(start_of(rng, hbl));
    }
    if let Some(container) = seen.containers.first() {
        searches.push(container.number.as_str().to_owned());
        searches.push(start_of(rng, container.number.as_str()));
    }
    searches.sort();
    searches.dedup();
    searches
}

fn check_served(
    served: &[ShipmentSummary],
    expected: &BTreeSet<&str>,
    audiences: &HashMap<&str, &ShipmentAudience>,
    what: &str,
) {
    for pair in served.windows(2) {
        assert!(
            pair[0].reference > pair[1].reference,
            "{what}: references strictly descending, so no repeats: {pair:?}"
        );
    }
    let served_ids: BTreeSet<&str> = served.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(served_ids.len(), served.len(), "{what}: no shipment twice");
    assert_eq!(&served_ids, expected, "{what}");
    for summary in served {
        assert_eq!(Some(&&summary.audience), audiences.get(summary.id.as_str()), "{what}: facts of {}", summary.id);
    }
}

/// Stores a generated world through the ports, as staff would.
async fn insert_world(store: &Store, world: &World) {
    for org in &world.organizations {
        store.insert_organization(org).await.expect("insert organization");
    }
    for master in &world.masters {
        store.insert_master(master).await.expect("insert master");
    }
    for generated in &world.shipments {
        store.upsert_shipment(&generated.shipment).await.expect("upsert shipment");
        if !generated.events.is_empty() {
            store.append_events(&generated.shipment.id, &generated.events).await.expect("append events");
        }
    }
    for user in &world.users {
        store.insert_tracking_user(user, &[]).await.expect("insert user");
    }
}

/// Checks one user's pages, unfiltered and filtered, against the rule
/// applied in memory to `shipments`. Returns whether the user sees anything.
async fn check_user(
    store: &Store,
    seed: u64,
    user: &porthole_domain::TrackingUser,
    organizations: &[porthole_domain::Organization],
    shipments: &[&GeneratedShipment],
) -> bool {
    let mut rng = StdRng::seed_from_u64(seed);
    let audiences: HashMap<&str, &ShipmentAudience> =
        shipments.iter().map(|s| (s.shipment.id.as_str(), &s.audience)).collect();
    let total = shipments.len();
    let scope = scope_of(user, organizations);
    let visible: Vec<&GeneratedShipment> =
        shipments.iter().copied().filter(|s| visible_to(user, organizations, &s.audience).is_some()).collect();
    let page_size = rng.random_range(1..=4);
    let what = |filter: &str| format!("seed {seed:#x}, user {} ({:?}), {filter}", user.id, user.role);

    let served = every_page(store, &scope, None, None, page_size, total).await;
    check_served(&served, &ids_of(visible.iter().copied()), &audiences, &what("no filter"));

    for _ in 0..2 {
        let status = Status::ALL[rng.random_range(0..Status::ALL.len())];
        let served = every_page(store, &scope, Some(status), None, page_size, total).await;
        let expected = ids_of(visible.iter().copied().filter(|s| s.audience.status == status));
        check_served(&served, &expected, &audiences, &what(&format!("status {status:?}")));
    }
    for search in searches(&mut rng, &visible, shipments) {
        let served = every_page(store, &scope, None, Some(&search), page_size, total).await;
        let expected = ids_of(visible.iter().copied().filter(|s| matches_search(&s.shipment, &search)));
        check_served(&served, &expected, &audiences, &what(&format!("search {search:?}")));
    }
    let status = Status::ALL[rng.random_range(0..Status::ALL.len())];
    let search = "SHP";
    let served = every_page(store, &scope, Some(status), Some(search), page_size, total).await;
    let expected =
        ids_of(visible.iter().copied().filter(|s| s.audience.status == status && matches_search(&s.shipment, search)));
    check_served(&served, &expected, &audiences, &what(&format!("status {status:?} and search {search:?}")));
    !visible.is_empty()
}

/// The proof that the scoped query is the visibility rule: over random
/// worlds sharing one database, every user's pages hold exactly the
/// shipments `visible_to` allows (judged over every shipment of every
/// world), in strictly descending reference order with no repeats; the
/// same holds under status filters and searches, against the same filter
/// applied in memory. Worlds are written, and users checked, side by side.
async fn shipments_in_scope_serve_exactly_what_the_rule_allows(store: Store) {
    const WORLDS: u64 = 20;
    const BASE_SEED: u64 = 0x5eed_0000;
    let worlds: Arc<Vec<(u64, World)>> =
        Arc::new((0..WORLDS).map(|n| (BASE_SEED + n, World::generate(n, BASE_SEED + n))).collect());

    let mut writers = tokio::task::JoinSet::new();
    for index in 0..worlds.len() {
        let (store, worlds) = (store.clone(), Arc::clone(&worlds));
        writers.spawn(async move { insert_world(&store, &worlds[index].1).await });
    }
    while let Some(joined) = writers.join_next().await {
        if let Err(failure) = joined {
            std::panic::resume_unwind(failure.into_panic());
        }
    }

    let mut checkers = tokio::task::JoinSet::new();
    for index in 0..worlds.len() {
        let (store, worlds) = (store.clone(), Arc::clone(&worlds));
        checkers.spawn(async move {
            let organizations: Vec<_> = worlds.iter().flat_map(|(_, w)| w.organizations.iter().cloned()).collect();
            let shipments: Vec<&GeneratedShipment> = worlds.iter().flat_map(|(_, w)| w.shipments.iter()).collect();
            let (seed, world) = &worlds[index];
            let mut seeing_something = 0;
            for (n, user) in (0..).zip(&world.users) {
                let user_seed = seed.wrapping_mul(31).wrapping_add(n);
                if check_user(&store, user_seed, user, &organizations, &shipments).await {
                    seeing_something += 1;
                }
            }
            seeing_something
        });
    }
    let mut users_seeing_something = 0;
    while let Some(joined) = checkers.join_next().await {
        match joined {
            Ok(count) => users_seeing_something += count,
            Err(failure) => std::panic::resume_unwind(failure.into_panic()),
        }
    }
    // The worlds must exercise the rule, not just agree on empty sets.
    let users: usize = worlds.iter().map(|(_, w)| w.users.len()).sum();
    assert!(users_seeing_something * 3 >= users, "{users_seeing_something} of {users} users see something");
}

/// On a SQLite file the request path's reads run inline, through rusqlite;
/// everywhere else they run on sqlx's pool. Over a random world both must
/// answer alike: every record (with and without a master, events published
/// or not), every user's pages and session, and every share link and link
/// session, read both ways from the same file.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn inline_reads_answer_as_the_pool_does() {
    run_sqlite(|inline| async move {
        assert!(inline.reads_inline(), "a SQLite file is read inline");
        let pooled = inline.clone().without_inline_reads();
        assert!(!pooled.reads_inline());
        let world = World::generate(0, 0x5eed_2222);
        insert_world(&inline, &world).await;

        let mut ids: Vec<ShipmentId> = world.shipments.iter().map(|g| g.shipment.id.clone()).collect();
        ids.push(ShipmentId::new("shp_none"));
        let mut found = 0;
        for id in &ids {
            let record = inline.shipment_record(id).await.expect("inline record");
            found += usize::from(record.is_some());
            assert_eq!(record, pooled.shipment_record(id).await.expect("pooled record"), "{id}");
        }
        assert_eq!(found, world.shipments.len());

        let opened = "2025-05-01T08:00:00Z";
        let mut sessions_held = 0;
        for (n, user) in (0..).zip(&world.users) {
            let scope = scope_of(user, &world.organizations);
            for search in [None, Some("SHP"), Some("MSKU"), Some("shp-x")] {
                for status in [None, Some(Status::InTransit)] {
                    let total = world.shipments.len();
                    let served = every_page(&inline, &scope, status, search, 3, total).await;
                    assert_eq!(served, every_page(&pooled, &scope, status, search, 3, total).await, "{scope:?}");
                }
            }
            let digest = token(&format!("session-{n}"));
            inline
                .insert_session(&portal_session(&digest, user.id.as_str(), opened, Duration::hours(12)))
                .await
                .expect("session");
            for at in [utc("2025-05-01T09:00:00Z"), utc("2025-05-02T09:00:00Z")] {
                let holder = inline.session_holder(&digest, at).await.expect("inline holder");
                sessions_held += usize::from(holder.is_some());
                assert_eq!(holder, pooled.session_holder(&digest, at).await.expect("pooled holder"));
            }
        }
        assert_eq!(sessions_held, world.users.len(), "each session is live at 09:00 and over the next day");

        let recipients: [&[&str]; 3] = [&[], &["desk@buyer.example"], &["a@buyer.example", "b@buyer.example"]];
        let links: Vec<(ShareLink, SecretDigest)> = (0..)
            .zip(world.shipments.iter().take(6))
            .map(|(n, g)| {
                let link = new_link(&format!("lnk_{n}"), g.shipment.id.as_str(), opened, recipients[n % 3]);
                (link, token(&format!("link-{n}")))
            })
            .collect();
        inline.insert_share_links(&links, &[]).await.expect("links");
        for (n, (link, digest)) in (0..).zip(&links) {
            let by_id = inline.share_link(&link.id).await.expect("inline link");
            assert!(by_id.is_some());
            assert_eq!(by_id, pooled.share_link(&link.id).await.expect("pooled link"));
            assert_eq!(inline.share_link_by_token(digest).await, pooled.share_link_by_token(digest).await);
            let of_shipment = inline.share_links_of(&link.shipment_id).await;
            assert_eq!(of_shipment, pooled.share_links_of(&link.shipment_id).await);
            let email = link.recipients.first().map(|r| r.email.as_str().to_owned());
            let session =
                viewer_session(&format!("viewer-{n}"), link.id.as_str(), email.as_deref(), opened, Duration::hours(1));
            inline.insert_link_session(&session).await.expect("link session");
            let at = utc("2025-05-01T08:30:00Z");
            let read = inline.link_session(&session.digest, at).await.expect("inline link session");
            assert_eq!(read, Some(session.clone()));
            assert_eq!(read, pooled.link_session(&session.digest, at).await.expect("pooled link session"));
        }
    })
    .await;
}

async fn shipment_summaries_walk_every_shipment_in_id_order(store: Store) {
    let world = World::generate(0, 0x5eed_1111);
    insert_world(&store, &world).await;
    let mut walked: Vec<ShipmentSummary> = Vec::new();
    loop {
        let page = store.shipment_summaries(walked.last().map(|s| s.id.clone()), 7).await.expect("a page");
        if page.is_empty() {
            break;
        }
        walked.extend(page);
        assert!(walked.len() <= world.shipments.len(), "the walk ends");
    }
    let mut expected: Vec<&GeneratedShipment> = world.shipments.iter().collect();
    expected.sort_by(|a, b| a.shipment.id.cmp(&b.shipment.id));
    assert_eq!(walked.len(), expected.len());
    for (summary, generated) in walked.iter().zip(expected) {
        let record = store.shipment_record(&summary.id).await.expect("load").expect("exists");
        let state = record.viewer_state();
        assert_eq!(summary.id, generated.shipment.id);
        assert_eq!(summary.reference, generated.shipment.reference);
        assert_eq!(summary.hbl_no, generated.shipment.hbl_no.clone().unwrap_or_default(), "blank when missing");
        assert_eq!(summary.audience, generated.audience, "{}", summary.id);
        assert_eq!((&summary.pol, &summary.pod), (&generated.shipment.pol, &generated.shipment.pod));
        assert_eq!(summary.dates, Dates { etd: state.etd, eta: state.eta, atd: state.atd, ata: state.ata });
    }
}

/// A scope that admits nothing never reaches the database: it answers even
/// with the pool closed.
#[tokio::test]
async fn an_empty_scope_is_answered_without_the_database() {
    let store = Store::connect("sqlite::memory:").await.expect("connect");
    store.migrate().await.expect("migrate");
    store.connection().clone().close().await.expect("close");
    let query = ShipmentQuery { status: None, search: None, before: None, limit: 10 };
    assert_eq!(store.shipments_in_scope(&ViewerScope::Nothing, &query).await, Ok(Vec::new()));
    let agent_without_customers = ViewerScope::Parties {
        role: TrackingRole::OverseasAgent,
        organization_ids: vec![org_id("org_agent")],
        agent_customer_ids: Vec::new(),
    };
    assert_eq!(store.shipments_in_scope(&agent_without_customers, &query).await, Ok(Vec::new()));
    let customer = ViewerScope::Parties {
        role: TrackingRole::Customer,
        organization_ids: vec![org_id("org_saigon")],
        agent_customer_ids: Vec::new(),
    };
    assert!(
        matches!(store.shipments_in_scope(&customer, &query).await, Err(RepoError::Unavailable(_))),
        "a real scope does ask the closed pool"
    );
}

// ---- Share links ----------------------------------------------------------

fn address(text: &str) -> Email {
    Email::parse(text).expect("valid e-mail fixture")
}

/// A link with every field set: recipients in a given order (alternately
/// receiving updates), an expiry, delivery expiry and some sections.
fn new_link(id: &str, shipment: &str, created_at: &str, recipients: &[&str]) -> ShareLink {
    ShareLink {
        id: ShareLinkId::new(id),
        shipment_id: ShipmentId::new(shipment),
        recipients: recipients
            .iter()
            .zip([true, false].into_iter().cycle())
            .map(|(email, receives_updates)| ShareRecipient { email: address(email), receives_updates })
            .collect(),
        require_verification: !recipients.is_empty(),
        expires_at: Some(utc(created_at) + Duration::days(30)),
        expire_on_delivery: true,
        sections: ShareSections { containers: true, cargo: false, documents: true },
        created_at: utc(created_at),
        revoked_at: None,
    }
}

fn undelivered(link: &ShareLink) -> StoredShareLink {
    StoredShareLink { link: link.clone(), delivered_at: None }
}

fn token(name: &str) -> SecretDigest {
    SecretDigest::of(&format!("token-{name}"))
}

fn viewer_session(secret: &str, link: &str, email: Option<&str>, at: &str, lifetime: Duration) -> LinkSession {
    LinkSession {
        digest: SecretDigest::of(secret),
        link_id: ShareLinkId::new(link),
        email: email.map(address),
        created_at: utc(at),
        expires_at: utc(at) + lifetime,
    }
}

fn sent_code(link: &str, email: &str, code: &str, at: &str) -> VerificationCode {
    VerificationCode {
        link_id: ShareLinkId::new(link),
        email: address(email),
        digest: SecretDigest::of(&format!("{link}\n{email}\n{code}")),
        sent_at: utc(at),
    }
}

fn fresh_state(code: &VerificationCode) -> CodeState {
    CodeState { sent_at: code.sent_at, attempts: 0, used: false }
}

/// Two shipments to link to.
async fn seed_linkable(store: &Store) {
    seed_parties(store).await;
    store.upsert_shipment(&shipment("shp_1", "SHP/202505/00080", "org_saigon")).await.expect("upsert");
    store.upsert_shipment(&shipment("shp_2", "SHP/202505/00081", "org_other")).await.expect("upsert");
}

async fn rows<E: EntityTrait<Model: Sync>>(store: &Store) -> u64 {
    E::find().count(store.connection()).await.expect("count rows")
}

async fn code_state(store: &Store, link: &str, email: &str) -> Option<CodeState> {
    let found = store.verification_code(&ShareLinkId::new(link), &address(email)).await.expect("read code");
    found.map(|(_, state)| state)
}

async fn revoked_at(store: &Store, id: &ShareLinkId) -> Option<DateTime<Utc>> {
    store.share_link(id).await.expect("read link").expect("link exists").link.revoked_at
}

async fn share_links_are_stored_whole_and_read_newest_first(store: Store) {
    seed_linkable(&store).await;
    let first = new_link(
        "lnk_1",
        "shp_1",
        "2025-05-10T08:00:00.123456789Z",
        &["night@buyer.example", "desk@buyer.example", "ops@buyer.example"],
    );
    let mut second = new_link("lnk_2", "shp_1", "2025-05-11T08:00:00Z", &[]);
    second.expires_at = None;
    second.expire_on_delivery = false;
    second.sections = ShareSections::default();
    let other = new_link("lnk_3", "shp_2", "2025-05-12T08:00:00Z", &["desk@buyer.example"]);
    store
        .insert_share_links(
            &[(first.clone(), token("1")), (second.clone(), token("2")), (other.clone(), token("3"))],
            &[],
        )
        .await
        .expect("insert");

    assert_eq!(store.share_link(&first.id).await, Ok(Some(undelivered(&first))));
    assert_eq!(store.share_link(&ShareLinkId::new("lnk_none")).await, Ok(None));
    assert_eq!(store.share_link_by_token(&token("2")).await, Ok(Some(undelivered(&second))));
    assert_eq!(store.share_link_by_token(&token("3")).await, Ok(Some(undelivered(&other))));
    assert_eq!(store.share_link_by_token(&token("none")).await, Ok(None));
    assert_eq!(
        store.share_links_of(&ShipmentId::new("shp_1")).await,
        Ok(vec![undelivered(&second), undelivered(&first)]),
        "newest first, recipients in the order given"
    );
    assert_eq!(store.share_links_of(&ShipmentId::new("shp_2")).await, Ok(vec![undelivered(&other)]));
    assert_eq!(store.share_links_of(&ShipmentId::new("shp_none")).await, Ok(Vec::new()));
    assert_eq!(store.insert_share_links(&[], &[]).await, Ok(()));
}

async fn a_batch_of_links_is_all_or_none(store: Store) {
    // More links, and more recipients, than one INSERT carries: rows of
    // the batch are already written when its last link is refused.
    const BATCH: usize = 600;
    seed_linkable(&store).await;
    let kept = new_link("lnk_kept", "shp_2", "2025-05-01T00:00:00Z", &["desk@buyer.example"]);
    store.insert_share_links(&[(kept.clone(), token("kept"))], &[]).await.expect("insert");
    let recipients = ["a@buyer.example", "b@buyer.example", "c@buyer.example", "d@buyer.example", "e@buyer.example"];
    let batch: Vec<(ShareLink, SecretDigest)> = (0..BATCH)
        .map(|n| {
            let mut link = new_link(&format!("lnk_{n:03}"), "shp_1", "2025-05-10T00:00:00Z", &recipients);
            link.created_at += Duration::seconds(i64::try_from(n).expect("small"));
            (link, token(&n.to_string()))
        })
        .collect();
    let with_last = |last: ShareLink, digest: SecretDigest| {
        let mut refused = batch.clone();
        refused.push((last, digest));
        refused
    };

    let ghost_shipment = new_link("lnk_ghost", "shp_none", "2025-05-11T00:00:00Z", &[]);
    assert_eq!(
        store.insert_share_links(&with_last(ghost_shipment, token("ghost")), &[]).await,
        Err(RepoError::NotFound)
    );
    let taken_token = new_link("lnk_clash", "shp_1", "2025-05-11T00:00:00Z", &recipients);
    assert_eq!(store.insert_share_links(&with_last(taken_token, token("kept")), &[]).await, Err(duplicate("token")));
    let taken_id = new_link("lnk_kept", "shp_1", "2025-05-11T00:00:00Z", &[]);
    assert_eq!(store.insert_share_links(&with_last(taken_id, token("fresh")), &[]).await, Err(duplicate("id")));
    assert_eq!(rows::<share_link_rows::Entity>(&store).await, 1, "no link of a refused batch is kept");
    assert_eq!(rows::<share_link_recipient_rows::Entity>(&store).await, 1, "nor any recipient");
    assert_eq!(store.share_link(&kept.id).await, Ok(Some(undelivered(&kept))));

    store.insert_share_links(&batch, &[]).await.expect("the batch alone");
    let expected: Vec<StoredShareLink> = batch.iter().rev().map(|(link, _)| undelivered(link)).collect();
    assert_eq!(store.share_links_of(&ShipmentId::new("shp_1")).await, Ok(expected));
    let (last, last_token) = &batch[BATCH - 1];
    assert_eq!(store.share_link_by_token(last_token).await, Ok(Some(undelivered(last))));
}

async fn revoking_a_link_ends_its_sessions(store: Store) {
    seed_linkable(&store).await;
    let link = new_link("lnk_1", "shp_1", "2025-05-10T08:00:00Z", &["desk@buyer.example"]);
    let bystander = new_link("lnk_2", "shp_1", "2025-05-10T09:00:00Z", &[]);
    store
        .insert_share_links(&[(link.clone(), token("1")), (bystander.clone(), token("2"))], &[])
        .await
        .expect("insert");
    let now = utc("2025-05-10T10:30:00Z");
    for (secret, owner) in [("ls_a", "lnk_1"), ("ls_b", "lnk_1"), ("ls_c", "lnk_2")] {
        let session = viewer_session(secret, owner, None, "2025-05-10T10:00:00Z", Duration::hours(12));
        store.insert_link_session(&session).await.expect("insert session");
    }

    let at = utc("2025-05-10T11:00:00Z");
    store.revoke_share_link(&link.id, at).await.expect("revoke");
    assert_eq!(revoked_at(&store, &link.id).await, Some(at));
    for secret in ["ls_a", "ls_b"] {
        assert_eq!(store.link_session(&SecretDigest::of(secret), now).await, Ok(None), "{secret} ended");
    }
    assert!(store.link_session(&SecretDigest::of("ls_c"), now).await.expect("read").is_some(), "others keep theirs");
    assert_eq!(revoked_at(&store, &bystander.id).await, None);

    // A session that slipped in after the revocation ends with the next.
    let late = viewer_session("ls_late", "lnk_1", None, "2025-05-10T11:00:01Z", Duration::hours(12));
    store.insert_link_session(&late).await.expect("insert session");
    store.revoke_share_link(&link.id, at + Duration::hours(1)).await.expect("revoke again");
    assert_eq!(revoked_at(&store, &link.id).await, Some(at), "the earlier revocation stands");
    assert_eq!(store.link_session(&late.digest, now).await, Ok(None));

    let earlier = at - Duration::minutes(5);
    store.revoke_share_link(&link.id, earlier).await.expect("revoke as of earlier");
    assert_eq!(revoked_at(&store, &link.id).await, Some(earlier), "the earliest time is kept");

    assert_eq!(store.revoke_share_link(&ShareLinkId::new("lnk_none"), at).await, Err(RepoError::NotFound));
}

async fn a_new_token_kills_the_old_token_sessions_and_codes(store: Store) {
    seed_linkable(&store).await;
    let link = new_link("lnk_1", "shp_1", "2025-05-10T08:00:00Z", &["desk@buyer.example"]);
    let other = new_link("lnk_2", "shp_2", "2025-05-10T08:00:00Z", &["desk@buyer.example"]);
    store
        .insert_share_links(&[(link.clone(), token("old")), (other.clone(), token("other"))], &[])
        .await
        .expect("insert");
    let now = utc("2025-05-10T10:30:00Z");
    for (secret, owner) in [("ls_a", "lnk_1"), ("ls_b", "lnk_2")] {
        let session = viewer_session(secret, owner, None, "2025-05-10T10:00:00Z", Duration::hours(12));
        store.insert_link_session(&session).await.expect("insert session");
    }
    for owner in ["lnk_1", "lnk_2"] {
        let code = sent_code(owner, "desk@buyer.example", "123456", "2025-05-10T10:25:00Z");
        store.insert_verification_code(&code).await.expect("insert code");
    }

    store.replace_share_link_token(&link.id, &token("new")).await.expect("replace");
    assert_eq!(store.share_link_by_token(&token("old")).await, Ok(None), "the old token is dead");
    assert_eq!(store.share_link_by_token(&token("new")).await, Ok(Some(undelivered(&link))));
    assert_eq!(store.link_session(&SecretDigest::of("ls_a"), now).await, Ok(None), "sessions ended");
    assert_eq!(code_state(&store, "lnk_1", "desk@buyer.example").await, None, "pending codes dead");
    assert!(store.link_session(&SecretDigest::of("ls_b"), now).await.expect("read").is_some(), "other links untouched");
    assert!(code_state(&store, "lnk_2", "desk@buyer.example").await.is_some());

    assert_eq!(store.replace_share_link_token(&link.id, &token("other")).await, Err(duplicate("token")));
    assert_eq!(store.share_link_by_token(&token("new")).await, Ok(Some(undelivered(&link))));
    assert_eq!(store.share_link_by_token(&token("other")).await, Ok(Some(undelivered(&other))));
    assert!(code_state(&store, "lnk_2", "desk@buyer.example").await.is_some(), "a refused swap deletes nothing");

    let ghost = ShareLinkId::new("lnk_none");
    assert_eq!(store.replace_share_link_token(&ghost, &token("ghost")).await, Err(RepoError::NotFound));
    assert_eq!(store.share_link_by_token(&token("ghost")).await, Ok(None));
}

async fn link_sessions_live_until_they_expire(store: Store) {
    seed_linkable(&store).await;
    let link = new_link("lnk_1", "shp_1", "2025-05-10T08:00:00Z", &["desk@buyer.example"]);
    store.insert_share_links(&[(link.clone(), token("1"))], &[]).await.expect("insert");
    let session =
        viewer_session("ls_1", "lnk_1", Some("desk@buyer.example"), "2025-05-10T10:00:00Z", Duration::hours(12));
    store.insert_link_session(&session).await.expect("insert");

    assert_eq!(store.link_session(&session.digest, session.created_at).await, Ok(Some(session.clone())));
    let last_moment = session.expires_at - Duration::nanoseconds(1);
    assert_eq!(store.link_session(&session.digest, last_moment).await, Ok(Some(session.clone())));
    assert_eq!(store.link_session(&session.digest, session.expires_at).await, Ok(None), "expired at its expiry");
    assert_eq!(store.link_session(&SecretDigest::of("ls_other"), session.created_at).await, Ok(None));

    // A later session on the link clears its expired ones, and only those.
    let later = viewer_session("ls_2", "lnk_1", None, "2025-05-11T00:00:00Z", Duration::hours(1));
    store.insert_link_session(&later).await.expect("insert");
    let within = viewer_session("ls_3", "lnk_1", None, "2025-05-11T00:30:00Z", Duration::hours(1));
    store.insert_link_session(&within).await.expect("insert");
    assert_eq!(rows::<link_session_rows::Entity>(&store).await, 2);
    assert_eq!(store.link_session(&later.digest, within.created_at).await, Ok(Some(later)));

    let orphan = viewer_session("ls_orphan", "lnk_none", None, "2025-05-11T00:00:00Z", Duration::hours(1));
    assert_eq!(store.insert_link_session(&orphan).await, Err(RepoError::NotFound));
}

async fn only_the_newest_code_counts_and_a_code_redeems_once(store: Store) {
    seed_linkable(&store).await;
    let link = new_link("lnk_1", "shp_1", "2025-05-10T08:00:00Z", &["desk@buyer.example", "ops@buyer.example"]);
    let other = new_link("lnk_2", "shp_2", "2025-05-10T08:00:00Z", &["desk@buyer.example"]);
    store.insert_share_links(&[(link.clone(), token("1")), (other.clone(), token("2"))], &[]).await.expect("insert");
    let desk = address("desk@buyer.example");
    let now = utc("2025-05-10T10:06:00Z");

    let first = sent_code("lnk_1", "desk@buyer.example", "111111", "2025-05-10T10:00:00Z");
    store.insert_verification_code(&first).await.expect("insert");
    assert_eq!(store.verification_code(&link.id, &desk).await, Ok(Some((first.clone(), fresh_state(&first)))));
    assert_eq!(store.claim_code_attempt(&first.digest).await, Ok(true));
    assert_eq!(store.claim_code_attempt(&first.digest).await, Ok(true));
    assert_eq!(
        code_state(&store, "lnk_1", "desk@buyer.example").await,
        Some(CodeState { attempts: 2, ..fresh_state(&first) })
    );

    let for_ops = sent_code("lnk_1", "ops@buyer.example", "222222", "2025-05-10T10:01:00Z");
    store.insert_verification_code(&for_ops).await.expect("insert");
    let second = sent_code("lnk_1", "desk@buyer.example", "333333", "2025-05-10T10:02:00Z");
    store.insert_verification_code(&second).await.expect("insert");
    assert_eq!(store.verification_code(&link.id, &desk).await, Ok(Some((second.clone(), fresh_state(&second)))));
    let stale =
        viewer_session("ls_stale", "lnk_1", Some("desk@buyer.example"), "2025-05-10T10:03:00Z", Duration::hours(1));
    assert_eq!(store.redeem_verification_code(&first.digest, &stale).await, Ok(false), "a replaced code is dead");
    assert_eq!(store.link_session(&stale.digest, now).await, Ok(None), "and starts nothing");
    let ops = address("ops@buyer.example");
    assert_eq!(
        store.verification_code(&link.id, &ops).await,
        Ok(Some((for_ops.clone(), fresh_state(&for_ops)))),
        "another address keeps its code"
    );
    assert_eq!(store.verification_code(&other.id, &desk).await, Ok(None), "another link has none");

    // Six digits repeat sooner or later; the same digits again replace the
    // code they repeat.
    let repeat = sent_code("lnk_1", "desk@buyer.example", "333333", "2025-05-10T10:04:00Z");
    store.insert_verification_code(&repeat).await.expect("insert a repeated code");
    assert_eq!(store.verification_code(&link.id, &desk).await, Ok(Some((repeat.clone(), fresh_state(&repeat)))));

    // A code allows so many entries, then no more.
    for _ in 0..porthole_domain::share::CODE_ATTEMPTS {
        assert_eq!(store.claim_code_attempt(&repeat.digest).await, Ok(true));
    }
    assert_eq!(store.claim_code_attempt(&repeat.digest).await, Ok(false), "out of attempts");
    assert_eq!(
        code_state(&store, "lnk_1", "desk@buyer.example").await.map(|state| state.attempts),
        Some(porthole_domain::share::CODE_ATTEMPTS)
    );

    // A code starts sessions on its own link only.
    let elsewhere = sent_code("lnk_2", "desk@buyer.example", "555555", "2025-05-10T10:05:00Z");
    store.insert_verification_code(&elsewhere).await.expect("insert");
    let crossed = viewer_session("ls_crossed", "lnk_1", None, "2025-05-10T10:05:00Z", Duration::hours(1));
    assert_eq!(store.redeem_verification_code(&elsewhere.digest, &crossed).await, Ok(false));
    assert_eq!(code_state(&store, "lnk_2", "desk@buyer.example").await, Some(fresh_state(&elsewhere)));

    let session =
        viewer_session("ls_ok", "lnk_1", Some("ops@buyer.example"), "2025-05-10T10:06:00Z", Duration::hours(12));
    assert_eq!(store.redeem_verification_code(&for_ops.digest, &session).await, Ok(true));
    assert_eq!(store.link_session(&session.digest, now).await, Ok(Some(session.clone())));
    assert_eq!(
        code_state(&store, "lnk_1", "ops@buyer.example").await,
        Some(CodeState { used: true, ..fresh_state(&for_ops) })
    );
    let again =
        viewer_session("ls_again", "lnk_1", Some("ops@buyer.example"), "2025-05-10T10:06:00Z", Duration::hours(1));
    assert_eq!(store.redeem_verification_code(&for_ops.digest, &again).await, Ok(false), "single use");
    assert_eq!(store.link_session(&again.digest, now).await, Ok(None));

    let orphan = sent_code("lnk_none", "desk@buyer.example", "666666", "2025-05-10T10:05:00Z");
    assert_eq!(store.insert_verification_code(&orphan).await, Err(RepoError::NotFound));
}

async fn concurrent_code_entries_are_all_counted_and_one_redeems(store: Store) {
    const ENTRIES: usize = 8;
    const ROUNDS: usize = 5;
    seed_linkable(&store).await;
    let link = new_link("lnk_1", "shp_1", "2025-05-10T08:00:00Z", &["desk@buyer.example"]);
    store.insert_share_links(&[(link.clone(), token("1"))], &[]).await.expect("insert");

    let mistyped = sent_code("lnk_1", "desk@buyer.example", "999999", "2025-05-10T10:00:00Z");
    store.insert_verification_code(&mistyped).await.expect("insert");
    let start = Arc::new(tokio::sync::Barrier::new(ENTRIES));
    let mut failures = tokio::task::JoinSet::new();
    for _ in 0..ENTRIES {
        let (store, digest, start) = (store.clone(), mistyped.digest.clone(), Arc::clone(&start));
        failures.spawn(async move {
            start.wait().await;
            store.claim_code_attempt(&digest).await
        });
    }
    let mut claimed = 0;
    while let Some(joined) = failures.join_next().await {
        if joined.expect("entry finished").expect("entry counted") {
            claimed += 1;
        }
    }
    assert_eq!(claimed, porthole_domain::share::CODE_ATTEMPTS, "concurrent entries share the attempts");
    let counted = code_state(&store, "lnk_1", "desk@buyer.example").await.map(|state| state.attempts);
    assert_eq!(counted, Some(porthole_domain::share::CODE_ATTEMPTS), "no entry lost, none beyond the limit");

    for round in 0..ROUNDS {
        let code = sent_code("lnk_1", "desk@buyer.example", &format!("{round:06}"), "2025-05-10T10:00:00Z");
        store.insert_verification_code(&code).await.expect("insert");
        let start = Arc::new(tokio::sync::Barrier::new(ENTRIES));
        let mut racers = tokio::task::JoinSet::new();
        for n in 0..ENTRIES {
            let (store, digest, start) = (store.clone(), code.digest.clone(), Arc::clone(&start));
            let session = viewer_session(
                &format!("ls_{round}_{n}"),
                "lnk_1",
                Some("desk@buyer.example"),
                "2025-05-10T10:01:00Z",
                Duration::hours(12),
            );
            racers.spawn(async move {
                start.wait().await;
                store.redeem_verification_code(&digest, &session).await.map(|won| won.then_some(session))
            });
        }
        let mut winners = Vec::new();
        while let Some(joined) = racers.join_next().await {
            if let Some(session) = joined.expect("racer finished").expect("redeem answered") {
                winners.push(session);
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one winner");
        let now = utc("2025-05-10T10:02:00Z");
        assert_eq!(store.link_session(&winners[0].digest, now).await, Ok(Some(winners[0].clone())));
        let sessions = rows::<link_session_rows::Entity>(&store).await;
        assert_eq!(sessions, u64::try_from(round + 1).expect("small"), "round {round}: losers start nothing");
    }
}

async fn concurrent_code_requests_leave_one_code(store: Store) {
    const REQUESTS: usize = 8;
    seed_linkable(&store).await;
    let link = new_link("lnk_1", "shp_1", "2025-05-10T08:00:00Z", &["desk@buyer.example"]);
    store.insert_share_links(&[(link.clone(), token("1"))], &[]).await.expect("insert");
    let start = Arc::new(tokio::sync::Barrier::new(REQUESTS));
    let mut requests = tokio::task::JoinSet::new();
    for n in 0..REQUESTS {
        let (store, start) = (store.clone(), Arc::clone(&start));
        let code = sent_code("lnk_1", "desk@buyer.example", &format!("{n:06}"), "2025-05-10T10:00:00Z");
        requests.spawn(async move {
            start.wait().await;
            store.insert_verification_code(&code).await
        });
    }
    while let Some(joined) = requests.join_next().await {
        joined.expect("request finished").expect("code stored");
    }
    assert_eq!(rows::<link_verification_code_rows::Entity>(&store).await, 1, "only the last request's code lives");
}

async fn the_access_log_is_newest_first_and_limited(store: Store) {
    seed_linkable(&store).await;
    let link = new_link("lnk_1", "shp_1", "2025-05-10T08:00:00Z", &["desk@buyer.example"]);
    let other = new_link("lnk_2", "shp_2", "2025-05-10T08:00:00Z", &[]);
    store.insert_share_links(&[(link.clone(), token("1")), (other.clone(), token("2"))], &[]).await.expect("insert");
    let entry = |at: &str, access: LinkAccess, email: Option<&str>, client: Option<&str>| LinkAccessEntry {
        at: utc(at),
        access,
        email: email.map(address),
        client_address: client.map(str::to_owned),
    };
    let opened = entry("2025-05-10T10:00:00Z", LinkAccess::Opened, None, Some("203.0.113.7"));
    let verified = entry("2025-05-10T10:05:00Z", LinkAccess::Verified, Some("desk@buyer.example"), Some("2001:db8::1"));
    let same_instant = entry("2025-05-10T10:05:00Z", LinkAccess::Opened, Some("desk@buyer.example"), None);
    let recorded_late = entry("2025-05-10T09:00:00.5Z", LinkAccess::Opened, None, None);
    for logged in [&opened, &verified, &same_instant, &recorded_late] {
        store.record_link_access(&link.id, logged).await.expect("record");
    }
    let elsewhere = entry("2025-05-10T11:00:00Z", LinkAccess::Opened, None, None);
    store.record_link_access(&other.id, &elsewhere).await.expect("record");

    let newest_first = vec![same_instant.clone(), verified.clone(), opened.clone(), recorded_late.clone()];
    assert_eq!(store.link_access_log(&link.id, 10).await, Ok(newest_first), "ties in the order recorded, reversed");
    assert_eq!(store.link_access_log(&link.id, 2).await, Ok(vec![same_instant, verified]));
    assert_eq!(store.link_access_log(&other.id, 10).await, Ok(vec![elsewhere.clone()]));
    let ghost = ShareLinkId::new("lnk_none");
    assert_eq!(store.link_access_log(&ghost, 10).await, Ok(Vec::new()));
    assert_eq!(store.record_link_access(&ghost, &elsewhere).await, Err(RepoError::NotFound));
}

async fn a_batch_of_views_is_written_in_order_without_missing_links(store: Store) {
    seed_linkable(&store).await;
    let link = new_link("lnk_1", "shp_1", "2025-05-10T08:00:00Z", &[]);
    let other = new_link("lnk_2", "shp_2", "2025-05-10T08:00:00Z", &[]);
    store.insert_share_links(&[(link.clone(), token("1")), (other.clone(), token("2"))], &[]).await.expect("insert");
    let view = |at: &str, client: &str| LinkAccessEntry {
        at: utc(at),
        access: LinkAccess::Opened,
        email: None,
        client_address: Some(client.to_owned()),
    };
    let ghost = ShareLinkId::new("lnk_none");
    let batch = vec![
        (link.id.clone(), view("2025-05-10T10:00:00Z", "203.0.113.1")),
        (ghost.clone(), view("2025-05-10T10:00:00Z", "203.0.113.2")),
        (other.id.clone(), view("2025-05-10T10:00:00Z", "203.0.113.3")),
        (link.id.clone(), view("2025-05-10T10:00:00Z", "203.0.113.4")),
    ];
    store.record_link_accesses(&batch).await.expect("a batch with a missing link is written without it");
    assert_eq!(
        store.link_access_log(&link.id, 10).await,
        Ok(vec![batch[3].1.clone(), batch[0].1.clone()]),
        "in the batch's order (ties newest first)"
    );
    assert_eq!(store.link_access_log(&other.id, 10).await, Ok(vec![batch[2].1.clone()]));
    assert_eq!(store.link_access_log(&ghost, 10).await, Ok(Vec::new()));
    store.record_link_accesses(&[]).await.expect("an empty batch is nothing to do");

    let many: Vec<_> =
        (0..1_200).map(|i| (other.id.clone(), view("2025-05-10T11:00:00Z", &format!("10.0.0.{i}")))).collect();
    store.record_link_accesses(&many).await.expect("a batch beyond one INSERT");
    let logged = store.link_access_log(&other.id, 2_000).await.expect("read");
    assert_eq!(logged.len(), 1_201);
    assert_eq!(logged[0], many[1_199].1, "the last of the batch is the newest");
}

/// A clock the test moves by hand.
#[derive(Debug)]
struct HandClock(std::sync::Mutex<DateTime<Utc>>);

impl HandClock {
    fn at(text: &str) -> Self {
        Self(std::sync::Mutex::new(utc(text)))
    }

    fn set(&self, text: &str) -> DateTime<Utc> {
        let at = utc(text);
        *self.0.lock().expect("clock lock") = at;
        at
    }
}

impl Clock for HandClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

async fn delivered_at(store: &Store, id: &ShareLinkId) -> Option<DateTime<Utc>> {
    store.share_link(id).await.expect("read link").expect("link exists").delivered_at
}

async fn delivered_at_is_when_viewers_first_saw_the_shipment_done(store: Store) {
    seed_parties(&store).await;
    let clock = Arc::new(HandClock::at("2025-05-20T00:00:00Z"));
    let ports = store.ports(clock.clone(), Arc::new(RandomIds), Arc::new(DiscardMail));
    let sent = shipment("shp_1", "SHP/202505/00080", "org_saigon");
    ports.shipments.upsert_shipment(&sent).await.expect("upsert");
    let link = new_link("lnk_1", "shp_1", "2025-05-20T00:00:00Z", &[]);
    store.insert_share_links(&[(link.clone(), token("1"))], &[]).await.expect("insert");
    assert_eq!(delivered_at(&store, &link.id).await, None);

    clock.set("2025-05-30T09:00:00Z");
    let mut quiet_delivery =
        event("evt-pod-staff", EventCode::Dlvd, Classifier::Act, "2025-05-30T08:00:00-07:00", None);
    quiet_delivery.published = false;
    ports.shipments.append_events(&sent.id, &[quiet_delivery]).await.expect("append");
    let record = store.shipment_record(&sent.id).await.expect("load").expect("exists");
    assert_eq!(record.staff_state().status, Status::Done, "staff see it delivered");
    assert_eq!(delivered_at(&store, &link.id).await, None, "viewers do not, so links do not count from it");

    let delivered = clock.set("2025-05-30T10:00:00Z");
    let delivery = event("evt-pod", EventCode::Dlvd, Classifier::Act, "2025-05-30T09:30:00-07:00", None);
    ports.shipments.append_events(&sent.id, &[delivery]).await.expect("append");
    assert_eq!(shipment_row(&store, "shp_1").await.published_status, "done");
    assert_eq!(delivered_at(&store, &link.id).await, Some(delivered));
    let by_token = store.share_link_by_token(&token("1")).await.expect("read").map(|s| s.delivered_at);
    assert_eq!(by_token, Some(Some(delivered)));
    let of_shipment = store.share_links_of(&sent.id).await.expect("read");
    assert_eq!(of_shipment.iter().map(|s| s.delivered_at).collect::<Vec<_>>(), [Some(delivered)]);

    // Still Done: later events and restatements keep the first time.
    clock.set("2025-05-31T10:00:00Z");
    let late_estimate =
        event("evt-eta", EventCode::Arri, Classifier::Est, "2025-05-29T08:00:00-07:00", Some(long_beach()));
    ports.shipments.append_events(&sent.id, &[late_estimate]).await.expect("append");
    ports.shipments.upsert_shipment(&sent).await.expect("restate");
    assert_eq!(shipment_row(&store, "shp_1").await.published_status, "done");
    assert_eq!(delivered_at(&store, &link.id).await, Some(delivered), "the first Done counts");

    // The delivery was a mistake: retracting it takes Done away from viewers.
    clock.set("2025-06-01T10:00:00Z");
    let mut correction = event("evt-fix", EventCode::Arri, Classifier::Est, "2025-06-02T08:00:00-07:00", None);
    correction.retracts = Some("evt-pod".to_owned());
    ports.shipments.append_events(&sent.id, &[correction]).await.expect("append");
    assert_eq!(shipment_row(&store, "shp_1").await.published_status, "confirmed");
    assert_eq!(delivered_at(&store, &link.id).await, None);

    // Staff close it, restate it, then reopen it.
    let closed = clock.set("2025-06-03T10:00:00Z");
    let done = porthole_domain::Shipment { status: Status::Done, ..sent.clone() };
    ports.shipments.upsert_shipment(&done).await.expect("close");
    assert_eq!(delivered_at(&store, &link.id).await, Some(closed));
    clock.set("2025-06-04T10:00:00Z");
    ports.shipments.upsert_shipment(&done).await.expect("restate");
    assert_eq!(delivered_at(&store, &link.id).await, Some(closed));
    clock.set("2025-06-05T10:00:00Z");
    let reopened = porthole_domain::Shipment { status: Status::InTransit, ..sent.clone() };
    ports.shipments.upsert_shipment(&reopened).await.expect("reopen");
    assert_eq!(shipment_row(&store, "shp_1").await.published_status, "in_transit");
    assert_eq!(delivered_at(&store, &link.id).await, None, "reopened: not delivered any more");
    assert_eq!(shipment_row(&store, "shp_1").await.published_done_at, None);
}

async fn existing_shipment_ids_name_only_existing_shipments(store: Store) {
    seed_linkable(&store).await;
    store.upsert_shipment(&shipment("shp_3", "SHP/202505/00082", "org_saigon")).await.expect("upsert");
    let id = |text: &str| ShipmentId::new(text);
    // More ids than one lookup carries, the real ones spread among them.
    let mut asked: Vec<ShipmentId> = (0..2_500).map(|n| id(&format!("shp_missing_{n}"))).collect();
    asked.insert(0, id("shp_1"));
    asked.insert(1_200, id("shp_3"));
    asked.push(id("shp_2"));
    asked.push(id("shp_1"));
    let found: BTreeSet<ShipmentId> = store.existing_shipment_ids(&asked).await.expect("lookup").into_iter().collect();
    assert_eq!(found, BTreeSet::from([id("shp_1"), id("shp_2"), id("shp_3")]));
    assert_eq!(store.existing_shipment_ids(&[id("shp_missing")]).await, Ok(Vec::new()));
    assert_eq!(store.existing_shipment_ids(&[]).await, Ok(Vec::new()));
}

/// Keeps every mail, so a story can read the code it carries.
#[derive(Debug, Default)]
struct KeptMail(std::sync::Mutex<Vec<porthole_app::ports::Mail>>);

#[async_trait::async_trait]
impl porthole_app::ports::Mailer for KeptMail {
    async fn send(&self, mail: &porthole_app::ports::Mail) -> Result<(), porthole_app::ports::MailError> {
        self.0.lock().expect("mail lock").push(mail.clone());
        Ok(())
    }
}

impl KeptMail {
    /// The six-digit code of the last mail, on a line of its own.
    fn last_code(&self) -> String {
        let mails = self.0.lock().expect("mail lock");
        let text = &mails.last().expect("a mail was sent").text;
        let code = text.lines().map(str::trim).find(|l| l.len() == 6 && l.chars().all(|c| c.is_ascii_digit()));
        code.expect("a code line").to_owned()
    }
}

async fn the_share_link_use_cases_run_on_the_store(store: Store) {
    seed_parties(&store).await;
    store.upsert_shipment(&shipment("shp_1", "SHP/202505/00080", "org_saigon")).await.expect("upsert");
    let mail = Arc::new(KeptMail::default());
    let app = Porthole::new(store.ports(Arc::new(SystemClock), Arc::new(RandomIds), mail.clone()));
    let options = ShareLinkOptions {
        recipients: Some(vec!["desk@buyer.example".to_owned()]),
        require_verification: true,
        ..Default::default()
    };
    let issued = app.create_share_link("shp_1", &options).await.expect("create");
    let token = issued.url.rsplit_once("/t/").map(|(_, token)| token.to_owned()).expect("a token URL");
    let link_id = issued.link.id.clone();
    let entry = app.open_share_link(&token).await;
    assert!(matches!(entry, Ok(LinkEntry::NeedsVerification { ref link_id }) if *link_id == issued.link.id));

    app.request_link_code(&token, "desk@buyer.example", None).await.expect("request a code");
    let code = mail.last_code();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let rejected = app.verify_link_code(&token, "desk@buyer.example", wrong, None).await;
    assert!(matches!(rejected, Err(AppError::CodeRejected { attempts_left: 4 })), "{rejected:?}");
    let session = app.verify_link_code(&token, "desk@buyer.example", &code, None).await.expect("verify");
    let again = app.verify_link_code(&token, "desk@buyer.example", &code, None).await;
    assert!(matches!(again, Err(AppError::CodeExpired)), "single use: {again:?}");

    let view = app.shared_shipment(&link_id, session.secret.expose(), None).await.expect("the shared shipment");
    assert_eq!(view.reference.as_str(), "SHP/202505/00080");
    let details = app.share_link_details(&link_id).await.expect("details");
    let log: Vec<(LinkAccess, Option<&str>)> =
        details.access_log.iter().map(|e| (e.access, e.email.as_ref().map(Email::as_str))).collect();
    assert_eq!(
        log,
        [(LinkAccess::Opened, Some("desk@buyer.example")), (LinkAccess::Verified, Some("desk@buyer.example"))]
    );

    app.revoke_share_link(&link_id).await.expect("revoke");
    let after = app.shared_shipment(&link_id, session.secret.expose(), None).await;
    assert!(matches!(after, Err(AppError::NotFound)), "{after:?}");
    assert!(matches!(app.open_share_link(&token).await, Err(AppError::NotFound)));
}

// ---- The mail outbox --------------------------------------------------------

/// Long after anything a story records: every waiting change has settled.
const LATER: &str = "2100-01-01T00:00:00Z";

/// Every cause not yet dispatched, oldest first.
async fn waiting(outbox: &dyn OutboxRepository) -> Vec<PendingCause> {
    outbox.due_causes(utc(LATER), 10_000).await.expect("read waiting causes")
}

/// The changes among the waiting causes, oldest first.
async fn waiting_changes(outbox: &dyn OutboxRepository) -> Vec<(ShipmentId, ViewerChange)> {
    waiting(outbox)
        .await
        .into_iter()
        .filter_map(|pending| match pending.cause {
            MailCause::ShipmentChanged { shipment_id, change } => Some((shipment_id, change)),
            _ => None,
        })
        .collect()
}

fn new_event_ids(change: &ViewerChange) -> Vec<&str> {
    change.new_events.iter().map(|e| e.event_id.as_str()).collect()
}

async fn viewer_dates(store: &Store, id: &ShipmentId) -> ViewerDates {
    let record = store.shipment_record(id).await.expect("load").expect("exists");
    ViewerDates::of(&record.viewer_state())
}

fn ids_of_causes(causes: &[PendingCause]) -> Vec<CauseId> {
    causes.iter().map(|c| c.id).collect()
}

fn mail_to_user(key: &str, user: &str, content: MailContent) -> NewOutboxMail {
    NewOutboxMail { dedupe_key: key.to_owned(), recipient: MailRecipient::User(TrackingUserId::new(user)), content }
}

fn setup_cause(user: &str) -> MailCause {
    MailCause::PasswordSetup { tracking_user_id: TrackingUserId::new(user) }
}

async fn tracking_users_and_links_record_their_causes_all_or_none(store: Store) {
    seed_parties(&store).await;
    let user = tracking_user("tus_1", "lan.nguyen", TrackingRole::Customer, &["org_saigon"], &[]);
    store.insert_tracking_user(&user, &[setup_cause("tus_1")]).await.expect("insert user");
    let recorded = waiting(&store).await;
    assert_eq!(recorded.iter().map(|c| &c.cause).collect::<Vec<_>>(), [&setup_cause("tus_1")]);

    let same_login = porthole_domain::TrackingUser {
        id: TrackingUserId::new("tus_2"),
        email: address("other@example.com"),
        ..user.clone()
    };
    let refused = store.insert_tracking_user(&same_login, &[setup_cause("tus_2")]).await;
    assert_eq!(refused, Err(duplicate("user_id")));
    assert_eq!(waiting(&store).await, recorded, "a refused user owes no mail");

    let fresh = tracking_user("tus_3", "minh.tran", TrackingRole::Customer, &["org_saigon"], &[]);
    store.insert_tracking_user(&fresh, &[]).await.expect("insert without a cause");
    assert_eq!(waiting(&store).await, recorded, "no cause asked, none recorded");

    for (id, reference, customer) in
        [("shp_1", "SHP/202505/00080", "org_saigon"), ("shp_2", "SHP/202505/00081", "org_other")]
    {
        store.upsert_shipment(&shipment(id, reference, customer)).await.expect("upsert");
    }
    assert_eq!(waiting(&store).await, recorded, "a new shipment owes no mail");
    let first = new_link("lnk_1", "shp_1", "2025-05-10T08:00:00Z", &["desk@buyer.example"]);
    let second = new_link("lnk_2", "shp_2", "2025-05-10T09:00:00Z", &["ops@buyer.example"]);
    let shared = |id: &str| MailCause::LinkShared { link_id: ShareLinkId::new(id) };
    store
        .insert_share_links(
            &[(first.clone(), token("1")), (second.clone(), token("2"))],
            &[shared("lnk_1"), shared("lnk_2")],
        )
        .await
        .expect("insert links");
    let causes: Vec<MailCause> = waiting(&store).await.into_iter().map(|c| c.cause).collect();
    assert_eq!(causes, [setup_cause("tus_1"), shared("lnk_1"), shared("lnk_2")]);

    let clash = new_link("lnk_3", "shp_1", "2025-05-11T08:00:00Z", &["desk@buyer.example"]);
    let refused = store.insert_share_links(&[(clash, token("1"))], &[shared("lnk_3")]).await;
    assert_eq!(refused, Err(duplicate("token")));
    let after: Vec<MailCause> = waiting(&store).await.into_iter().map(|c| c.cause).collect();
    assert_eq!(after, causes, "a refused batch owes no mail");
    assert_eq!(store.outbox_counts().await.expect("counts").causes_waiting, 3);
}

async fn appended_events_record_what_viewers_saw_change(store: Store) {
    seed_parties(&store).await;
    let sent = shipment("shp_1", "SHP/202505/00080", "org_saigon");
    assert_eq!(store.upsert_shipment(&sent).await, Ok(Upserted::Created));
    assert_eq!(waiting(&store).await, Vec::new(), "a new shipment owes no mail");
    let confirmed = viewer_dates(&store, &sent.id).await;
    assert_eq!(confirmed.status, Status::Confirmed);
    assert_eq!((confirmed.atd, confirmed.eta), (None, sent.planned_eta));

    // Staff-only events change nothing viewers see.
    let mut quiet = event("evt-quiet", EventCode::Depa, Classifier::Act, "2025-05-10T20:00:00+07:00", Some(cat_lai()));
    quiet.published = false;
    let mut draft_bill = event("evt-bl-draft", EventCode::Issu, Classifier::Act, "2025-05-09T10:00:00+07:00", None);
    draft_bill.published = false;
    let outcome = store.append_events(&sent.id, &[quiet.clone(), draft_bill.clone()]).await;
    assert_eq!(outcome, Ok(AppendOutcome { accepted: 2, duplicates: 0 }));
    assert_eq!(waiting(&store).await, Vec::new(), "unpublished events owe no mail");

    // One batch: a duplicate, a departure (a milestone), a new estimate, a
    // bill issued (a document), a hold (neither) and an unpublished release.
    let departure = event("evt-dep", EventCode::Depa, Classifier::Act, "2025-05-10T21:00:00+07:00", Some(cat_lai()));
    let estimate = event("evt-eta", EventCode::Arri, Classifier::Est, "2025-05-27T09:00:00-07:00", Some(long_beach()));
    let bill = event("evt-bl", EventCode::Issu, Classifier::Act, "2025-05-11T10:00:00+07:00", None);
    let hold = event("evt-hold", EventCode::Hold, Classifier::Act, "2025-05-11T11:00:00+07:00", None);
    let mut quiet_release =
        event("evt-rels-staff", EventCode::Rels, Classifier::Act, "2025-05-12T10:00:00+07:00", None);
    quiet_release.published = false;
    let mut altered_quiet = quiet.clone();
    altered_quiet.published = true;
    let batch = [altered_quiet, departure.clone(), estimate.clone(), bill.clone(), hold.clone(), quiet_release];
    let outcome = store.append_events(&sent.id, &batch).await;
    assert_eq!(outcome, Ok(AppendOutcome { accepted: 5, duplicates: 1 }));
    let departed = viewer_dates(&store, &sent.id).await;
    assert_eq!(departed.status, Status::InTransit);
    assert_eq!(departed.atd, Some(departure.event_time));
    assert_eq!(departed.eta, Some(estimate.event_time));

    let changes = waiting_changes(&store).await;
    assert_eq!(changes.len(), 1, "one cause per write: {changes:?}");
    let (shipment_id, change) = &changes[0];
    assert_eq!(shipment_id, &sent.id);
    assert_eq!(change.before, confirmed, "what viewers saw before the batch");
    assert_eq!(change.after, departed, "what they see after it");
    assert_eq!(new_event_ids(change), ["evt-dep", "evt-bl"], "only new, published, actual and notable");
    let flags: Vec<(bool, bool)> = change.new_events.iter().map(|e| (e.milestone, e.document)).collect();
    assert_eq!(flags, [(true, false), (false, true)], "(milestone, document)");
    assert_eq!(change.new_events[0].label, "Departed");
    assert_eq!(change.new_events[0].event_time, departure.event_time);

    // Only duplicates: nothing is written, nothing owed.
    let outcome = store.append_events(&sent.id, &[departure.clone(), bill.clone()]).await;
    assert_eq!(outcome, Ok(AppendOutcome { accepted: 0, duplicates: 2 }));
    assert_eq!(waiting_changes(&store).await.len(), 1);

    // A duplicate of a notable event beside a new one: only the new one
    // counts, though the dates stay as they were.
    let release = event("evt-rels", EventCode::Rels, Classifier::Act, "2025-05-28T10:00:00-07:00", None);
    let outcome = store.append_events(&sent.id, &[departure.clone(), release.clone()]).await;
    assert_eq!(outcome, Ok(AppendOutcome { accepted: 1, duplicates: 1 }));
    let changes = waiting_changes(&store).await;
    assert_eq!(changes.len(), 2);
    let (_, change) = &changes[1];
    assert_eq!((&change.before, &change.after), (&departed, &departed));
    assert_eq!(new_event_ids(change), ["evt-rels"]);
    assert_eq!((change.new_events[0].milestone, change.new_events[0].document), (true, true));

    // A published event that moves no date and reaches no step owes nothing.
    let another_hold = event("evt-hold-2", EventCode::Hold, Classifier::Act, "2025-05-28T11:00:00-07:00", None);
    assert_eq!(store.append_events(&sent.id, &[another_hold]).await, Ok(AppendOutcome { accepted: 1, duplicates: 0 }));
    assert_eq!(waiting_changes(&store).await.len(), 2);
}

async fn an_upsert_that_moves_a_date_records_a_change(store: Store) {
    seed_parties(&store).await;
    let sent = shipment("shp_1", "SHP/202505/00080", "org_saigon");
    assert_eq!(store.upsert_shipment(&sent).await, Ok(Upserted::Created));
    assert_eq!(waiting(&store).await, Vec::new(), "a new shipment owes no mail");
    let before = viewer_dates(&store, &sent.id).await;

    let mut moved = sent.clone();
    moved.planned_eta = Some(time("2025-05-29T08:00:00-07:00"));
    assert_eq!(store.upsert_shipment(&moved).await, Ok(Upserted::Updated));
    let changes = waiting_changes(&store).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    let (shipment_id, change) = &changes[0];
    assert_eq!(shipment_id, &sent.id);
    assert_eq!(change.before, before);
    assert_eq!(change.before.eta, sent.planned_eta);
    assert_eq!(change.after.eta, moved.planned_eta);
    assert_eq!(change.after, viewer_dates(&store, &sent.id).await);
    assert_eq!(change.new_events, Vec::new(), "an upsert stores no event");

    assert_eq!(store.upsert_shipment(&moved).await, Ok(Upserted::Updated));
    let mut noted = moved.clone();
    noted.customer_note = Some("Fragile".to_owned());
    noted.internal_note = None;
    assert_eq!(store.upsert_shipment(&noted).await, Ok(Upserted::Updated));
    assert_eq!(waiting_changes(&store).await.len(), 1, "no date moved for viewers");
}

async fn due_causes_wait_for_a_burst_to_settle_and_return_it_whole(store: Store) {
    seed_parties(&store).await;
    let clock = Arc::new(HandClock::at("2025-05-09T00:00:00Z"));
    let ports = store.ports(clock.clone(), Arc::new(RandomIds), Arc::new(DiscardMail));
    let a = shipment("shp_a", "SHP/202505/00080", "org_saigon");
    let b = shipment("shp_b", "SHP/202505/00081", "org_other");
    ports.shipments.upsert_shipment(&a).await.expect("upsert a");
    ports.shipments.upsert_shipment(&b).await.expect("upsert b");
    let moving = |shipment: &porthole_domain::Shipment, eta: &str| {
        let mut moved = shipment.clone();
        moved.planned_eta = Some(time(eta));
        moved
    };
    let t0 = clock.set("2025-05-10T00:00:00Z");
    ports.shipments.upsert_shipment(&moving(&a, "2025-05-26T08:00:00-07:00")).await.expect("a moves");
    let t1 = clock.set("2025-05-10T00:01:00Z");
    ports.shipments.upsert_shipment(&moving(&a, "2025-05-27T08:00:00-07:00")).await.expect("a moves again");
    let t5 = clock.set("2025-05-10T00:05:00Z");
    assert_eq!(ports.outbox.insert_cause(&setup_cause("tus_1"), None).await, Ok(true));
    let t8 = clock.set("2025-05-10T00:08:00Z");
    ports.shipments.upsert_shipment(&moving(&b, "2025-05-26T08:00:00-07:00")).await.expect("b moves");
    let t10 = clock.set("2025-05-10T00:10:00Z");
    let departure = event("evt-dep", EventCode::Depa, Classifier::Act, "2025-05-10T06:00:00+07:00", Some(cat_lai()));
    ports.shipments.append_events(&a.id, &[departure]).await.expect("a departs");

    let all = waiting(ports.outbox.as_ref()).await;
    let stamps: Vec<DateTime<Utc>> = all.iter().map(|c| c.created_at).collect();
    assert_eq!(stamps, [t0, t1, t5, t8, t10], "stamped by the store's clock, oldest first");
    let [a0, a1, setup, b8, a10] = <[CauseId; 5]>::try_from(ids_of_causes(&all)).expect("five causes");
    let shipment_of = |cause: &PendingCause| match &cause.cause {
        MailCause::ShipmentChanged { shipment_id, .. } => Some(shipment_id.as_str().to_owned()),
        _ => None,
    };
    let shipments: Vec<Option<String>> = all.iter().map(shipment_of).collect();
    let expected = [Some("shp_a"), Some("shp_a"), None, Some("shp_b"), Some("shp_a")].map(|s| s.map(str::to_owned));
    assert_eq!(shipments, expected);

    let due = |settled: &'static str, limit: u64| {
        let outbox = Arc::clone(&ports.outbox);
        async move { ids_of_causes(&outbox.due_causes(utc(settled), limit).await.expect("due causes")) }
    };
    // Before anything settled: only what is not a shipment change.
    assert_eq!(due("2025-05-09T23:59:59Z", 100).await, [setup]);
    // A's first change settled: all of A's burst, the newest too; B waits.
    assert_eq!(due("2025-05-10T00:02:00Z", 100).await, [a0, a1, setup, a10]);
    assert_eq!(due("2025-05-10T00:00:00Z", 100).await, [a0, a1, setup, a10], "settled at the instant");
    assert_eq!(due("2025-05-10T00:08:00Z", 100).await, [a0, a1, setup, b8, a10]);
    // A limit that would cut a burst leaves the burst for later whole…
    assert_eq!(due("2025-05-10T00:09:00Z", 3).await, [setup]);
    assert_eq!(due("2025-05-10T00:09:00Z", 4).await, [setup, b8]);
    // …unless nothing else would come: a burst larger than the limit.
    assert_eq!(due("2025-05-10T00:09:00Z", 2).await, [a0, a1]);
    assert_eq!(due("2025-05-10T00:09:00Z", 5).await, [a0, a1, setup, b8, a10]);

    // Dispatched causes are gone from every answer.
    assert_eq!(ports.outbox.dispatch_causes(&[a0, a1, a10], &[], t10).await, Ok(true));
    assert_eq!(due("2025-05-10T00:09:00Z", 100).await, [setup, b8]);
    assert_eq!(due("2025-05-10T00:02:00Z", 100).await, [setup]);
}

async fn dispatching_marks_causes_once_and_queues_each_mail_once(store: Store) {
    seed_parties(&store).await;
    let user = tracking_user("tus_1", "lan.nguyen", TrackingRole::Customer, &["org_saigon"], &[]);
    store
        .insert_tracking_user(&user, &[setup_cause("tus_1"), setup_cause("tus_1"), setup_cause("tus_1")])
        .await
        .expect("insert");
    let [c1, c2, c3] = <[CauseId; 3]>::try_from(ids_of_causes(&waiting(&store).await)).expect("three causes");
    let t = utc("2025-05-10T00:00:00Z");

    let first = mail_to_user("cause:1:user:tus_1", "tus_1", MailContent::PasswordSetup);
    assert_eq!(store.dispatch_causes(&[c1], std::slice::from_ref(&first), t).await, Ok(true));
    assert_eq!(ids_of_causes(&waiting(&store).await), [c2, c3]);
    let queued = store.outbox_mails(None, 10).await.expect("list");
    assert_eq!(queued.len(), 1);
    let k1 = &queued[0];
    assert_eq!((&k1.dedupe_key, &k1.recipient, &k1.content), (&first.dedupe_key, &first.recipient, &first.content));
    assert_eq!((k1.status, k1.attempts, k1.created_at, k1.next_attempt_at), (OutboxStatus::Pending, 0, t, t));
    assert_eq!((k1.finished_at, k1.last_error.as_deref()), (None, None));
    assert_eq!(store.outbox_mail(k1.id).await, Ok(Some(k1.clone())));

    // c1 went already: nothing of this dispatch is written, c2 included.
    let second = mail_to_user("cause:2:user:tus_1", "tus_1", MailContent::PasswordSetup);
    assert_eq!(store.dispatch_causes(&[c2, c1], std::slice::from_ref(&second), t).await, Ok(false));
    assert_eq!(ids_of_causes(&waiting(&store).await), [c2, c3]);
    assert_eq!(store.outbox_mails(None, 10).await.expect("list").len(), 1);
    assert_eq!(
        store.dispatch_causes(&[CauseId::MAX], std::slice::from_ref(&second), t).await,
        Ok(false),
        "no such cause"
    );
    assert_eq!(store.outbox_mails(None, 10).await.expect("list").len(), 1);

    // A key already queued is left out; the first mail stays as it was.
    let later = t + Duration::minutes(1);
    let again = mail_to_user(&first.dedupe_key, "tus_1", MailContent::LinkShared);
    assert_eq!(store.dispatch_causes(&[c2, c2], &[again, second.clone()], later).await, Ok(true));
    let queued = store.outbox_mails(None, 10).await.expect("list");
    let keys: Vec<&str> = queued.iter().map(|m| m.dedupe_key.as_str()).collect();
    assert_eq!(keys, [second.dedupe_key.as_str(), first.dedupe_key.as_str()], "newest first");
    assert_eq!(queued[1], *k1, "the mail queued first is untouched");
    assert_eq!(queued[0].created_at, later);
    assert_eq!(ids_of_causes(&waiting(&store).await), [c3]);

    // A report's worth of mails, more than one INSERT may carry on either
    // backend, in one dispatch.
    const BULK: usize = 2_600;
    let report = MailContent::PeriodicReport { frequency: ReportFrequency::Daily, slot: t };
    let bulk: Vec<NewOutboxMail> =
        (0..BULK).map(|n| mail_to_user(&format!("report:{n:04}:user:tus_1"), "tus_1", report.clone())).collect();
    assert_eq!(store.dispatch_causes(&[c3], &bulk, later).await, Ok(true));
    let counts = store.outbox_counts().await.expect("counts");
    assert_eq!(counts, OutboxCounts { causes_waiting: 0, pending: 2 + BULK as u64, ..OutboxCounts::default() });
    let newest = store.outbox_mails(Some(OutboxStatus::Pending), 3).await.expect("list");
    let keys: Vec<&str> = newest.iter().map(|m| m.dedupe_key.as_str()).collect();
    assert_eq!(keys, ["report:2599:user:tus_1", "report:2598:user:tus_1", "report:2597:user:tus_1"]);
    assert_eq!(newest[0].content, report);
    assert_eq!(waiting(&store).await, Vec::new());
}

async fn a_cause_with_a_key_is_recorded_once(store: Store) {
    let slot = utc("2025-05-12T01:00:00Z");
    let daily = MailCause::PeriodicReport { frequency: ReportFrequency::Daily, slot };
    let weekly = MailCause::PeriodicReport { frequency: ReportFrequency::Weekly, slot };
    let key = || Some("report:daily:2025-05-12T01:00:00+00:00".to_owned());
    assert_eq!(store.insert_cause(&daily, key()).await, Ok(true));
    assert_eq!(store.insert_cause(&daily, key()).await, Ok(false));
    assert_eq!(store.insert_cause(&weekly, key()).await, Ok(false), "the key decides, not the cause");
    assert_eq!(store.insert_cause(&weekly, Some("report:weekly:2025-05-12".to_owned())).await, Ok(true));
    assert_eq!(store.insert_cause(&setup_cause("tus_1"), None).await, Ok(true));
    assert_eq!(store.insert_cause(&setup_cause("tus_1"), None).await, Ok(true), "no key, no deduplication");
    let causes: Vec<MailCause> = waiting(&store).await.into_iter().map(|c| c.cause).collect();
    assert_eq!(causes, [daily.clone(), weekly, setup_cause("tus_1"), setup_cause("tus_1")]);

    // Concurrent instances asking for one slot record it once.
    let asks = (0..4).map(|_| {
        let store = store.clone();
        let cause = MailCause::PeriodicReport { frequency: ReportFrequency::Daily, slot: slot + Duration::days(1) };
        tokio::spawn(async move { store.insert_cause(&cause, Some("report:daily:next".to_owned())).await })
    });
    let mut recorded = 0;
    for ask in asks.collect::<Vec<_>>() {
        if ask.await.expect("task").expect("insert") {
            recorded += 1;
        }
    }
    assert_eq!(recorded, 1);
    assert_eq!(waiting(&store).await.len(), 5);
}

/// Queues `count` mails to `tus_1` (who must exist) at `now`, keyed by
/// `prefix`, and returns their ids, oldest first.
async fn queue_mails(store: &Store, prefix: &str, count: usize, now: DateTime<Utc>) -> Vec<OutboxMailId> {
    store.insert_cause(&setup_cause("tus_1"), Some(format!("cause:{prefix}"))).await.expect("insert cause");
    let cause = waiting(store).await.into_iter().map(|c| c.id).max().expect("the cause");
    let mails: Vec<NewOutboxMail> =
        (0..count).map(|n| mail_to_user(&format!("{prefix}:{n:03}"), "tus_1", MailContent::PasswordSetup)).collect();
    assert_eq!(store.dispatch_causes(&[cause], &mails, now).await, Ok(true));
    let mut ids: Vec<OutboxMailId> = store
        .outbox_mails(None, 10_000)
        .await
        .expect("list")
        .into_iter()
        .filter(|m| m.dedupe_key.starts_with(&format!("{prefix}:")))
        .map(|m| m.id)
        .collect();
    ids.sort_unstable();
    ids
}

async fn seed_mail_user(store: &Store) {
    seed_parties(store).await;
    let user = tracking_user("tus_1", "lan.nguyen", TrackingRole::Customer, &["org_saigon"], &[]);
    store.insert_tracking_user(&user, &[]).await.expect("insert user");
}

async fn concurrent_claimers_never_share_a_mail(store: Store) {
    seed_mail_user(&store).await;
    let t = utc("2025-05-10T00:00:00Z");
    let lease = t + Duration::minutes(5);
    let queued = queue_mails(&store, "burst", 20, t).await;
    assert_eq!(queued.len(), 20);

    let claimers: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.claim_due_mails(t, lease, 6).await })
        })
        .collect();
    let mut claimed = Vec::new();
    for claimer in claimers {
        let mails = claimer.await.expect("task").expect("claim");
        assert!(mails.len() <= 6, "at most the limit: {}", mails.len());
        let ids: Vec<OutboxMailId> = mails.iter().map(|m| m.id).collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "oldest first: {ids:?}");
        assert!(mails.iter().all(|m| m.attempts == 1 && m.status == OutboxStatus::Pending), "{mails:?}");
        claimed.extend(ids);
    }
    let distinct: BTreeSet<OutboxMailId> = claimed.iter().copied().collect();
    assert_eq!(distinct.len(), claimed.len(), "no mail claimed twice: {claimed:?}");
    assert_eq!(distinct.into_iter().collect::<Vec<_>>(), queued, "every due mail claimed");

    // Claimed mails stay hidden while their lease runs.
    assert_eq!(store.claim_due_mails(t + Duration::minutes(4), lease, 50).await, Ok(Vec::new()));

    // A mail due later waits for its time.
    let later = queue_mails(&store, "later", 1, t + Duration::hours(1)).await;
    assert_eq!(store.claim_due_mails(t + Duration::minutes(4), lease, 50).await, Ok(Vec::new()));

    // Once the lease lapses the mails are due again; the later one at its time.
    let again = store.claim_due_mails(lease, lease + Duration::minutes(5), 50).await.expect("claim");
    assert_eq!(again.iter().map(|m| m.id).collect::<Vec<_>>(), queued, "oldest first");
    assert!(again.iter().all(|m| m.attempts == 2), "{again:?}");
    let at_its_time = t + Duration::hours(1);
    let last = store.claim_due_mails(at_its_time, at_its_time + Duration::minutes(5), 50).await.expect("claim");
    let mut expected = queued.clone();
    expected.extend(later);
    assert_eq!(last.iter().map(|m| m.id).collect::<Vec<_>>(), expected);
    let attempts: Vec<u32> = last.iter().map(|m| m.attempts).collect();
    assert_eq!(attempts, [vec![3; 20], vec![1]].concat());
}

async fn finishing_an_attempt_records_its_outcome(store: Store) {
    seed_mail_user(&store).await;
    let t = utc("2025-05-10T00:00:00Z");
    let lease = t + Duration::minutes(5);
    let [sent, skipped, retried, failed] =
        <[OutboxMailId; 4]>::try_from(queue_mails(&store, "four", 4, t).await).expect("four mails");
    assert_eq!(store.claim_due_mails(t, lease, 10).await.expect("claim").len(), 4);
    let mail = |id| {
        let store = store.clone();
        async move { store.outbox_mail(id).await.expect("read").expect("exists") }
    };

    let done = t + Duration::seconds(1);
    store.finish_attempt(sent, &AttemptOutcome::Sent { at: done }).await.expect("sent");
    let skip = AttemptOutcome::Skipped { at: done, reason: "user disabled".to_owned() };
    store.finish_attempt(skipped, &skip).await.expect("skipped");
    let retry_at = t + Duration::minutes(1);
    let retry = AttemptOutcome::Retry { retry_at, error: "421 try later".to_owned() };
    store.finish_attempt(retried, &retry).await.expect("retry");
    let give_up = AttemptOutcome::GaveUp { at: done, error: "550 no such user".to_owned() };
    store.finish_attempt(failed, &give_up).await.expect("gave up");

    let m = mail(sent).await;
    assert_eq!((m.status, m.finished_at, m.last_error, m.attempts), (OutboxStatus::Sent, Some(done), None, 1));
    let m = mail(skipped).await;
    assert_eq!(
        (m.status, m.finished_at, m.last_error.as_deref()),
        (OutboxStatus::Skipped, Some(done), Some("user disabled"))
    );
    let m = mail(retried).await;
    assert_eq!(
        (m.status, m.next_attempt_at, m.finished_at, m.last_error.as_deref(), m.attempts),
        (OutboxStatus::Pending, retry_at, None, Some("421 try later"), 1)
    );
    let m = mail(failed).await;
    assert_eq!(
        (m.status, m.finished_at, m.last_error.as_deref()),
        (OutboxStatus::Failed, Some(done), Some("550 no such user"))
    );
    assert_eq!(store.finish_attempt(OutboxMailId::MAX, &skip).await, Err(RepoError::NotFound));
    assert_eq!(store.outbox_mail(OutboxMailId::MAX).await, Ok(None));

    // The retried mail is due at its time, its lease ended; nothing else is.
    assert_eq!(store.claim_due_mails(retry_at - Duration::seconds(1), lease, 10).await, Ok(Vec::new()));
    let claimed = store.claim_due_mails(retry_at, retry_at + Duration::minutes(5), 10).await.expect("claim");
    assert_eq!(claimed.iter().map(|m| (m.id, m.attempts)).collect::<Vec<_>>(), [(retried, 2)]);
    assert_eq!(claimed[0].last_error.as_deref(), Some("421 try later"), "the last failure stays visible");

    // A late report from an attempt whose lease lapsed leaves a finished
    // mail as it is.
    store.finish_attempt(sent, &retry).await.expect("late report");
    assert_eq!(mail(sent).await.status, OutboxStatus::Sent);
    store.finish_attempt(failed, &AttemptOutcome::Sent { at: done }).await.expect("late report");
    assert_eq!(mail(failed).await.status, OutboxStatus::Failed);

    let counts = store.outbox_counts().await.expect("counts");
    assert_eq!(counts, OutboxCounts { causes_waiting: 0, pending: 1, sent: 1, failed: 1, skipped: 1 });
    let failed_only = store.outbox_mails(Some(OutboxStatus::Failed), 10).await.expect("list");
    assert_eq!(failed_only.iter().map(|m| m.id).collect::<Vec<_>>(), [failed]);
    let newest_two = store.outbox_mails(None, 2).await.expect("list");
    assert_eq!(newest_two.iter().map(|m| m.id).collect::<Vec<_>>(), [failed, retried], "newest first");
}

async fn a_failed_mail_can_be_retried(store: Store) {
    seed_mail_user(&store).await;
    let t = utc("2025-05-10T00:00:00Z");
    let [failed, pending] = <[OutboxMailId; 2]>::try_from(queue_mails(&store, "two", 2, t).await).expect("two");
    assert_eq!(store.claim_due_mails(t, t + Duration::minutes(5), 1).await.expect("claim").len(), 1);
    for _ in 0..2 {
        let error = "connection refused".to_owned();
        store.finish_attempt(failed, &AttemptOutcome::GaveUp { at: t, error }).await.expect("gave up");
    }
    let now = t + Duration::hours(2);
    assert_eq!(store.retry_mail(pending, now).await, Ok(false), "only a failed mail");
    assert_eq!(store.retry_mail(OutboxMailId::MAX, now).await, Err(RepoError::NotFound));
    assert_eq!(store.retry_mail(failed, now).await, Ok(true));
    let mail = store.outbox_mail(failed).await.expect("read").expect("exists");
    assert_eq!(
        (mail.status, mail.attempts, mail.next_attempt_at, mail.finished_at),
        (OutboxStatus::Pending, 0, now, None)
    );
    assert_eq!(mail.last_error.as_deref(), Some("connection refused"), "why it failed stays visible");
    assert_eq!(store.retry_mail(failed, now).await, Ok(false), "pending again");
    let counts = store.outbox_counts().await.expect("counts");
    assert_eq!(counts, OutboxCounts { pending: 2, ..OutboxCounts::default() });

    let claimed = store.claim_due_mails(now, now + Duration::minutes(5), 10).await.expect("claim");
    assert_eq!(claimed.iter().map(|m| (m.id, m.attempts)).collect::<Vec<_>>(), [(failed, 1), (pending, 1)]);
}

async fn mail_tokens_open_links_and_stop_updates(store: Store) {
    seed_linkable(&store).await;
    // Recipients alternate: the first and third receive updates.
    let link =
        new_link("lnk_1", "shp_1", "2025-05-10T08:00:00Z", &["a@buyer.example", "b@buyer.example", "c@buyer.example"]);
    let other = new_link("lnk_2", "shp_2", "2025-05-10T09:00:00Z", &["a@buyer.example"]);
    store.insert_share_links(&[(link.clone(), token("1")), (other.clone(), token("2"))], &[]).await.expect("insert");
    let mail_token = |secret: &str, link: &ShareLink, purpose| LinkMailToken {
        digest: SecretDigest::of(secret),
        link_id: link.id.clone(),
        email: address("a@buyer.example"),
        purpose,
        created_at: utc("2025-05-11T00:00:00Z"),
    };
    let open = mail_token("open-1", &link, LinkMailTokenPurpose::Open);
    let unsubscribe = mail_token("unsubscribe-1", &link, LinkMailTokenPurpose::Unsubscribe);
    let other_open = mail_token("open-2", &other, LinkMailTokenPurpose::Open);
    for token in [&open, &unsubscribe, &other_open] {
        store.insert_link_mail_token(token).await.expect("insert mail token");
    }
    let ghost = LinkMailToken {
        link_id: ShareLinkId::new("lnk_none"),
        ..mail_token("open-x", &link, LinkMailTokenPurpose::Open)
    };
    assert_eq!(store.insert_link_mail_token(&ghost).await, Err(RepoError::NotFound));

    assert_eq!(store.link_mail_token(&open.digest).await, Ok(Some(open.clone())));
    assert_eq!(store.link_mail_token(&unsubscribe.digest).await, Ok(Some(unsubscribe.clone())));
    assert_eq!(store.link_mail_token(&SecretDigest::of("nothing")).await, Ok(None));
    assert_eq!(
        store.share_link_by_token(&open.digest).await,
        Ok(Some(undelivered(&link))),
        "opens like the link's token"
    );
    assert_eq!(store.share_link_by_token(&other_open.digest).await, Ok(Some(undelivered(&other))));
    assert_eq!(store.share_link_by_token(&unsubscribe.digest).await, Ok(None), "only stops updates");
    assert_eq!(store.share_link_by_token(&token("1")).await, Ok(Some(undelivered(&link))));

    // Stopping updates flips that recipient of that link only.
    store.stop_link_updates(&link.id, &address("a@buyer.example")).await.expect("stop");
    let updates = |stored: Option<StoredShareLink>| -> Vec<(String, bool)> {
        let stored = stored.expect("link exists");
        stored.link.recipients.iter().map(|r| (r.email.as_str().to_owned(), r.receives_updates)).collect()
    };
    let expected = [("a@buyer.example", false), ("b@buyer.example", false), ("c@buyer.example", true)]
        .map(|(e, u)| (e.to_owned(), u));
    assert_eq!(updates(store.share_link(&link.id).await.expect("read")), expected);
    assert_eq!(updates(store.share_link(&other.id).await.expect("read")), [("a@buyer.example".to_owned(), true)]);
    store.stop_link_updates(&link.id, &address("a@buyer.example")).await.expect("again: nothing to change");
    store.stop_link_updates(&link.id, &address("nobody@buyer.example")).await.expect("not a recipient");
    assert_eq!(updates(store.share_link(&link.id).await.expect("read")), expected);
    let missing = store.stop_link_updates(&ShareLinkId::new("lnk_none"), &address("a@buyer.example")).await;
    assert_eq!(missing, Err(RepoError::NotFound));

    // A new link token kills the mailed addresses of that link only.
    store.replace_share_link_token(&link.id, &token("new")).await.expect("regenerate");
    assert_eq!(store.share_link_by_token(&open.digest).await, Ok(None));
    assert_eq!(store.link_mail_token(&open.digest).await, Ok(None));
    assert_eq!(store.link_mail_token(&unsubscribe.digest).await, Ok(Some(unsubscribe)), "stopping stays possible");
    assert_eq!(store.share_link_by_token(&other_open.digest).await, Ok(Some(undelivered(&other))));
    let renewed = store.share_link_by_token(&token("new")).await.expect("read").expect("the new token opens");
    assert_eq!(renewed.link.id, link.id);
}

async fn concurrent_appends_to_one_shipment_record_a_chain_of_changes(store: Store) {
    seed_parties(&store).await;
    let sent = shipment("shp_1", "SHP/202505/00080", "org_saigon");
    store.upsert_shipment(&sent).await.expect("upsert");
    let initial = viewer_dates(&store, &sent.id).await;
    const WRITERS: i64 = 4;
    let writers: Vec<_> = (0..WRITERS)
        .map(|n| {
            let store = store.clone();
            let id = sent.id.clone();
            tokio::spawn(async move {
                // Each writer's own bill, a release every writer sends, and
                // an estimate of its own.
                let own =
                    event(&format!("evt-bl-{n}"), EventCode::Issu, Classifier::Act, "2025-05-11T10:00:00+07:00", None);
                let shared = event("evt-rels", EventCode::Rels, Classifier::Act, "2025-05-28T10:00:00-07:00", None);
                let mut estimate = event(
                    &format!("evt-eta-{n}"),
                    EventCode::Arri,
                    Classifier::Est,
                    &format!("2025-05-2{}T09:00:00-07:00", 6 + n),
                    Some(long_beach()),
                );
                estimate.recorded_at = utc("2025-05-02T00:00:00Z") + Duration::hours(n);
                store.append_events(&id, &[own, shared, estimate]).await
            })
        })
        .collect();
    let mut accepted = 0;
    for writer in writers {
        accepted += writer.await.expect("task").expect("append").accepted;
    }
    assert_eq!(accepted, 3 * 4 - 3, "the shared release is stored once");

    let changes = waiting_changes(&store).await;
    assert_eq!(changes.len(), 4, "one change per write");
    let mut expected_before = initial;
    let mut seen: Vec<&str> = Vec::new();
    for (_, change) in &changes {
        assert_eq!(change.before, expected_before, "each write starts where the one before it ended");
        expected_before = change.after.clone();
        seen.extend(new_event_ids(change));
    }
    assert_eq!(expected_before, viewer_dates(&store, &sent.id).await, "the last ends where viewers are now");
    seen.sort_unstable();
    assert_eq!(seen, ["evt-bl-0", "evt-bl-1", "evt-bl-2", "evt-bl-3", "evt-rels"], "each new event once");
}

async fn discarding_drops_only_waiting_shipment_changes(store: Store) {
    seed_parties(&store).await;
    let clock = Arc::new(HandClock::at("2025-05-09T00:00:00Z"));
    let ports = store.ports(clock.clone(), Arc::new(RandomIds), Arc::new(DiscardMail));
    let a = shipment("shp_a", "SHP/202505/00080", "org_saigon");
    ports.shipments.upsert_shipment(&a).await.expect("upsert a");
    let mut moved = a.clone();
    moved.planned_eta = Some(time("2025-05-27T08:00:00-07:00"));
    ports.shipments.upsert_shipment(&moved).await.expect("a moves");
    assert_eq!(ports.outbox.insert_cause(&setup_cause("tus_1"), None).await, Ok(true));
    assert_eq!(waiting(ports.outbox.as_ref()).await.len(), 2, "a change and an invitation wait");

    let now = clock.set("2025-05-10T00:00:00Z");
    assert_eq!(ports.outbox.discard_waiting_changes(now).await, Ok(1));
    let left: Vec<MailCause> = waiting(ports.outbox.as_ref()).await.into_iter().map(|c| c.cause).collect();
    assert_eq!(left, [setup_cause("tus_1")], "the invitation still waits");
    assert_eq!(ports.outbox.discard_waiting_changes(now).await, Ok(0), "nothing left to drop");
    let counts = ports.outbox.outbox_counts().await.expect("counts");
    assert_eq!((counts.causes_waiting, counts.pending), (1, 0), "{counts:?}");
}
