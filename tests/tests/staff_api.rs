//! The staff and integration API (`/api/v1`), end to end over real HTTP,
//! driven through the demo scenario of SPEC section 7.

use chrono::{DateTime, FixedOffset};
use porthole_e2e::{Reply, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const REFERENCE: &str = "SHP/202505/00080";

/// The organizations, master and shipment of the demo scenario.
#[derive(Debug)]
struct Scenario {
    saigon_tech: String,
    second_customer: String,
    consignee: String,
    overseas_agent: String,
    master: String,
    shipment: String,
}

fn id_of(reply: &Reply) -> String {
    match reply.body.get("id").and_then(Value::as_str) {
        Some(id) => id.to_owned(),
        None => panic!("no id in {} {}", reply.status, reply.text),
    }
}

fn time(raw: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(raw).expect("an RFC 3339 time")
}

/// The time at `field` of a JSON object, as an instant.
fn time_at(body: &Value, field: &str) -> DateTime<FixedOffset> {
    match body.get(field).and_then(Value::as_str) {
        Some(raw) => time(raw),
        None => panic!("no time at {field} in {body}"),
    }
}

async fn create_organization(app: &TestApp, code: &str, name: &str) -> String {
    let reply = app.post_json("/api/v1/organizations", &json!({ "code": code, "name": name })).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.body["code"], code);
    assert_eq!(reply.body["name"], name);
    id_of(&reply)
}

fn shipment_body(scenario_parties: &Scenario) -> Value {
    json!({
        "reference": REFERENCE,
        "hbl_no": "STEHCM2505080",
        "master_id": scenario_parties.master,
        "mode": "sea_fcl",
        "customer_id": scenario_parties.saigon_tech,
        "shipper_id": scenario_parties.saigon_tech,
        "consignee_id": scenario_parties.consignee,
        "pol": { "unlocode": "VNSGN", "name": "Cat Lai" },
        "pod": { "unlocode": "USLGB", "name": "Long Beach" },
        "etd": "2025-05-10T18:00:00+07:00",
        "eta": "2025-05-25T08:00:00-07:00",
        "cargo": { "packages": 1200, "weight_kg": 18450.5, "volume_m3": 58.2, "description": "Computer keyboards" },
        "containers": [{ "number": "CSQU3054383", "iso_type": "45G1", "seal": "VN4471208" }],
        "customer_note": "Please arrange customs broker in Long Beach.",
        "internal_note": "Rate agreed at USD 2,150 per 40HC."
    })
}

/// Organizations, the master with its overseas agent, and the shipment
/// without events.
async fn seed(app: &TestApp) -> Scenario {
    let saigon_tech = create_organization(app, "STE", "Saigon Tech Export").await;
    let second_customer = create_organization(app, "MKT", "Mekong Textiles").await;
    let consignee = create_organization(app, "PCI", "Pacific Coast Imports").await;
    let overseas_agent = create_organization(app, "HFA", "Harbor Freight Agents LLC").await;

    let master = app
        .post_json(
            "/api/v1/masters",
            &json!({
                "mbl_no": "MAEU245019876",
                "overseas_agent_id": overseas_agent,
                "carrier": "Maersk",
                "vessel": "MAERSK ESSEN",
                "voyage": "519E"
            }),
        )
        .await;
    assert_eq!(master.status, StatusCode::CREATED, "{}", master.text);
    assert_eq!(master.body["overseas_agent_id"], overseas_agent.as_str());

    let mut scenario = Scenario {
        saigon_tech,
        second_customer,
        consignee,
        overseas_agent,
        master: id_of(&master),
        shipment: String::new(),
    };
    let shipment = app.put_json("/api/v1/shipments", &shipment_body(&scenario)).await;
    assert_eq!(shipment.status, StatusCode::CREATED, "{}", shipment.text);
    scenario.shipment = id_of(&shipment);
    scenario
}

/// The journey so far. The two arrival estimates come newest first, so the
/// last one sent is the stale one.
fn journey_events() -> Value {
    json!({ "events": [
        {
            "event_id": "ste-00080-conf", "event_type": "SHIPMENT", "event_code": "CONF", "classifier": "ACT",
            "event_time": "2025-05-02T09:00:00+07:00", "published": true
        },
        {
            "event_id": "ste-00080-gtin", "event_type": "EQUIPMENT", "event_code": "GTIN", "classifier": "ACT",
            "event_time": "2025-05-08T14:20:00+07:00", "location": { "unlocode": "VNSGN", "name": "Cat Lai" },
            "container_number": "CSQU3054383", "published": true
        },
        {
            "event_id": "ste-00080-load", "event_type": "EQUIPMENT", "event_code": "LOAD", "classifier": "ACT",
            "event_time": "2025-05-10T16:45:00+07:00", "location": { "unlocode": "VNSGN", "name": "Cat Lai" },
            "container_number": "CSQU3054383", "vessel": "MAERSK ESSEN", "voyage": "519E", "published": true
        },
        {
            "event_id": "ste-00080-depa", "event_type": "TRANSPORT", "event_code": "DEPA", "classifier": "ACT",
            "event_time": "2025-05-10T21:30:00+07:00", "location": { "unlocode": "VNSGN", "name": "Cat Lai" },
            "vessel": "MAERSK ESSEN", "voyage": "519E", "published": true
        },
        {
            "event_id": "ste-00080-arri-est-2", "event_type": "TRANSPORT", "event_code": "ARRI", "classifier": "EST",
            "event_time": "2025-05-25T10:00:00-07:00", "recorded_at": "2025-05-12T03:00:00Z",
            "location": { "unlocode": "USLGB", "name": "Long Beach" }, "published": true
        },
        {
            "event_id": "ste-00080-arri-est-1", "event_type": "TRANSPORT", "event_code": "ARRI", "classifier": "EST",
            "event_time": "2025-05-27T09:00:00-07:00", "recorded_at": "2025-05-06T03:00:00Z",
            "location": { "unlocode": "USLGB", "name": "Long Beach" }, "published": true
        },
        {
            "event_id": "ste-00080-insp", "event_type": "EQUIPMENT", "event_code": "INSP", "classifier": "ACT",
            "event_time": "2025-05-09T10:00:00+07:00", "location": { "unlocode": "VNSGN", "name": "Cat Lai" },
            "container_number": "CSQU3054383", "remark": "Customs x-ray, cleared", "published": false
        }
    ]})
}

const JOURNEY_EVENT_COUNT: u64 = 7;

fn events_path(scenario: &Scenario) -> String {
    format!("/api/v1/shipments/{}/events", scenario.shipment)
}

fn shipment_path(scenario: &Scenario) -> String {
    format!("/api/v1/shipments/{}", scenario.shipment)
}

async fn staff_view(app: &TestApp, scenario: &Scenario) -> Value {
    let reply = app.get(&shipment_path(scenario)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body
}

fn assert_refused(reply: &Reply, field: &str) {
    assert!(
        matches!(reply.status, StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY),
        "expected 400/422 naming {field}, got {} {}",
        reply.status,
        reply.text
    );
    assert!(reply.is_error_naming(field), "expected an error naming {field}: {}", reply.text);
}

#[tokio::test]
async fn the_demo_shipment_is_in_transit_with_dates_derived_from_its_events() {
    let app = TestApp::spawn().await;
    let scenario = seed(&app).await;

    let ingested = app.post_json(&events_path(&scenario), &journey_events()).await;
    assert_eq!(ingested.status, StatusCode::OK, "{}", ingested.text);
    assert_eq!(ingested.body["accepted"], JOURNEY_EVENT_COUNT);
    assert_eq!(ingested.body["duplicates"], 0);

    let view = staff_view(&app, &scenario).await;
    assert_eq!(view["id"], scenario.shipment.as_str());
    assert_eq!(view["reference"], REFERENCE);
    assert_eq!(view["status"], "in_transit", "{view}");
    assert_eq!(time_at(&view, "etd"), time("2025-05-10T18:00:00+07:00"), "the planned ETD stands: {view}");
    assert_eq!(time_at(&view, "atd"), time("2025-05-10T21:30:00+07:00"), "ATD from the actual DEPA: {view}");
    assert_eq!(
        time_at(&view, "eta"),
        time("2025-05-25T10:00:00-07:00"),
        "ETA from the newest recorded estimate, not the last one sent: {view}"
    );
    assert!(view.get("ata").is_none_or(Value::is_null), "no actual arrival yet: {view}");
    assert_eq!(view["internal_note"], "Rate agreed at USD 2,150 per 40HC.", "staff see internal fields");
    assert_eq!(view["pol"]["unlocode"], "VNSGN");
    assert_eq!(view["pod"]["unlocode"], "USLGB");
    assert_eq!(view["containers"][0]["number"], "CSQU3054383");
    assert_eq!(view["master_id"], scenario.master.as_str());
    assert_eq!(view["master"]["overseas_agent_id"], scenario.overseas_agent.as_str());

    // Planned 25 May 08:00 → 27 May 09:00 (recorded 6 May) → 25 May 10:00
    // (recorded 12 May): history follows the recorded times, not arrival.
    let history = view["eta_history"].as_array().expect("the staff view keeps the ETA history");
    assert_eq!(history.len(), 2, "{view}");
    assert_eq!(time_at(&history[0], "from"), time("2025-05-25T08:00:00-07:00"));
    assert_eq!(time_at(&history[0], "to"), time("2025-05-27T09:00:00-07:00"));
    assert_eq!(time_at(&history[1], "to"), time("2025-05-25T10:00:00-07:00"));
    assert_eq!(history[1]["shift_hours"], -47.0);
    let events = view["events"].as_array().expect("the staff view lists events");
    assert_eq!(events.len() as u64, JOURNEY_EVENT_COUNT, "staff see unpublished events too: {view}");
    let unpublished: Vec<&Value> = events.iter().filter(|e| e["published"] == false).collect();
    assert_eq!(unpublished.len(), 1, "{view}");
    assert_eq!(unpublished[0]["event_id"], "ste-00080-insp");

    let published = &view["published"];
    assert_eq!(published["status"], "in_transit", "what viewers are shown: {view}");
    assert_eq!(time_at(published, "atd"), time("2025-05-10T21:30:00+07:00"));
    assert_eq!(time_at(published, "eta"), time("2025-05-25T10:00:00-07:00"));
}

#[tokio::test]
async fn resending_an_event_batch_counts_duplicates_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let scenario = seed(&app).await;
    let first = app.post_json(&events_path(&scenario), &journey_events()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let before = staff_view(&app, &scenario).await;

    let again = app.post_json(&events_path(&scenario), &journey_events()).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.body["accepted"], 0);
    assert_eq!(again.body["duplicates"], JOURNEY_EVENT_COUNT);

    assert_eq!(staff_view(&app, &scenario).await, before);
}

#[tokio::test]
async fn a_batch_with_one_bad_event_is_refused_whole_naming_its_index() {
    let app = TestApp::spawn().await;
    let scenario = seed(&app).await;
    let first = app.post_json(&events_path(&scenario), &journey_events()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let before = staff_view(&app, &scenario).await;

    let discharge = json!({
        "event_id": "ste-00080-disc", "event_type": "EQUIPMENT", "event_code": "DISC", "classifier": "ACT",
        "event_time": "2025-05-26T07:00:00-07:00", "location": { "unlocode": "USLGB", "name": "Long Beach" },
        "published": true
    });
    let arrival = json!({
        "event_id": "ste-00080-arri", "event_type": "TRANSPORT", "event_code": "ARRI", "classifier": "ACT",
        "event_time": "2025-05-25T23:10:00-07:00", "location": { "unlocode": "USLGB", "name": "Long Beach" },
        "published": true
    });
    let unknown_code = json!({
        "event_id": "ste-00080-bad", "event_type": "EQUIPMENT", "event_code": "TELEPORT", "classifier": "ACT",
        "event_time": "2025-05-26T08:00:00-07:00", "published": true
    });
    let refused =
        app.post_json(&events_path(&scenario), &json!({ "events": [arrival, discharge, unknown_code] })).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert_eq!(refused.body["field"], "events[2].event_code", "{}", refused.text);

    assert_eq!(staff_view(&app, &scenario).await, before, "nothing of the refused batch was written");
    let good_part = app.post_json(&events_path(&scenario), &json!({ "events": [arrival, discharge] })).await;
    assert_eq!(good_part.status, StatusCode::OK, "{}", good_part.text);
    assert_eq!(good_part.body["accepted"], 2, "the valid events of the refused batch were not stored");
}

#[tokio::test]
async fn upserting_the_same_reference_updates_the_shipment_and_keeps_its_id() {
    let app = TestApp::spawn().await;
    let scenario = seed(&app).await;
    let mut body = shipment_body(&scenario);
    body["customer_note"] = json!("Broker: Pacific Customs, ref 7781.");

    let updated = app.put_json("/api/v1/shipments", &body).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    assert_eq!(id_of(&updated), scenario.shipment);
    assert_eq!(staff_view(&app, &scenario).await["customer_note"], "Broker: Pacific Customs, ref 7781.");
}

#[tokio::test]
async fn invalid_shipment_fields_are_refused_naming_the_field_and_write_nothing() {
    let app = TestApp::spawn().await;
    let scenario = seed(&app).await;
    let before = staff_view(&app, &scenario).await;

    let mut changes: Vec<(&str, Value)> = Vec::new();
    let mut bad_locode = shipment_body(&scenario);
    bad_locode["pol"]["unlocode"] = json!("VN-SG1");
    changes.push(("pol.unlocode", bad_locode));
    let mut bad_check_digit = shipment_body(&scenario);
    bad_check_digit["containers"][0]["number"] = json!("CSQU3054384");
    changes.push(("containers[0].number", bad_check_digit));
    let mut unknown_customer = shipment_body(&scenario);
    unknown_customer["customer_id"] = json!("org_does_not_exist");
    changes.push(("customer_id", unknown_customer));
    let mut bad_mode = shipment_body(&scenario);
    bad_mode["mode"] = json!("teleport");
    changes.push(("mode", bad_mode));
    let mut bad_etd = shipment_body(&scenario);
    bad_etd["etd"] = json!("10/05/2025");
    changes.push(("etd", bad_etd));

    for (field, mut body) in changes {
        // A change that would show if anything were written.
        body["customer_note"] = json!("must not be stored");
        body["internal_note"] = json!("must not be stored");
        let reply = app.put_json("/api/v1/shipments", &body).await;
        assert_refused(&reply, field);
    }
    assert_eq!(staff_view(&app, &scenario).await, before, "no refused upsert changed the shipment");
}

#[tokio::test]
async fn a_refused_new_shipment_is_not_created() {
    let app = TestApp::spawn().await;
    let scenario = seed(&app).await;
    let mut body = shipment_body(&scenario);
    body["reference"] = json!("SHP/202505/00081");
    body["pod"]["unlocode"] = json!("US");

    let refused = app.put_json("/api/v1/shipments", &body).await;
    assert_refused(&refused, "pod.unlocode");

    body["pod"]["unlocode"] = json!("USLGB");
    let created = app.put_json("/api/v1/shipments", &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "the refused upsert left nothing behind: {}", created.text);
}

#[tokio::test]
async fn empty_and_garbage_bodies_are_client_errors_in_json() {
    let app = TestApp::spawn().await;
    let scenario = seed(&app).await;
    let before = staff_view(&app, &scenario).await;
    let events = events_path(&scenario);

    let attempts = [
        (Method::PUT, "/api/v1/shipments", ""),
        (Method::PUT, "/api/v1/shipments", "reference=SHP/202505/00080"),
        (Method::PUT, "/api/v1/shipments", "{\"reference\": \"SHP/202505/00080\", \"mode\":"),
        (Method::PUT, "/api/v1/shipments", "[]"),
        (Method::POST, "/api/v1/organizations", ""),
        (Method::POST, "/api/v1/organizations", "\u{0}\u{1}garbage"),
        (Method::POST, "/api/v1/masters", "{\"mbl_no\": [\"MAEU245019876\"]}"),
        (Method::POST, events.as_str(), ""),
        (Method::POST, events.as_str(), "{\"events\": {}}"),
    ];
    for (method, path, body) in attempts {
        let reply = app.send_raw(method.clone(), path, body).await;
        assert!(
            matches!(reply.status, StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY),
            "{method} {path} {body:?}: expected 400/422, got {} {}",
            reply.status,
            reply.text
        );
        assert!(reply.is_json_error(), "{method} {path} {body:?}: not a JSON error: {}", reply.text);
    }
    assert_eq!(staff_view(&app, &scenario).await, before);
}

#[tokio::test]
async fn a_missing_required_field_is_named() {
    let app = TestApp::spawn().await;
    let scenario = seed(&app).await;
    let mut body = shipment_body(&scenario);
    let Some(fields) = body.as_object_mut() else { panic!("the shipment body is an object") };
    fields.remove("customer_id");

    let reply = app.put_json("/api/v1/shipments", &body).await;
    assert_refused(&reply, "customer_id");
}

#[tokio::test]
async fn an_empty_event_batch_is_refused() {
    let app = TestApp::spawn().await;
    let scenario = seed(&app).await;
    let reply = app.post_json(&events_path(&scenario), &json!({ "events": [] })).await;
    assert_refused(&reply, "events");
}

#[tokio::test]
async fn a_duplicate_organization_code_is_a_conflict() {
    let app = TestApp::spawn().await;
    create_organization(&app, "STE", "Saigon Tech Export").await;
    let again = app.post_json("/api/v1/organizations", &json!({ "code": "STE", "name": "Saigon Tech Export 2" })).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert!(again.is_error_naming("code"), "{}", again.text);
}

#[tokio::test]
async fn organizations_are_created_with_defaults_and_patched() {
    let app = TestApp::spawn().await;
    let created = app.post_json("/api/v1/organizations", &json!({ "code": "mkt", "name": "Mekong Textiles" })).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["code"], "MKT", "codes are upper-cased");
    assert_eq!(created.body["portal_enabled"], true);
    assert_eq!(created.body["show_charges"], false);

    let id = id_of(&created);
    let patched = app.patch_json(&format!("/api/v1/organizations/{id}"), &json!({ "show_charges": true })).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(patched.body["show_charges"], true);
    assert_eq!(patched.body["name"], "Mekong Textiles");
}

#[tokio::test]
async fn a_master_with_an_unknown_overseas_agent_is_refused() {
    let app = TestApp::spawn().await;
    let reply = app
        .post_json("/api/v1/masters", &json!({ "mbl_no": "MAEU245019876", "overseas_agent_id": "org_nobody" }))
        .await;
    assert_refused(&reply, "overseas_agent_id");
}

#[tokio::test]
async fn calls_without_a_valid_api_key_are_unauthorized() {
    let app = TestApp::spawn().await;
    let scenario = seed(&app).await;

    let anonymous = app.get_anonymous(&shipment_path(&scenario)).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{}", anonymous.text);
    assert!(anonymous.is_json_error(), "{}", anonymous.text);

    let wrong_key = app.client.get(app.url(&shipment_path(&scenario))).bearer_auth("ph_not-a-real-key").send().await;
    let wrong_key = wrong_key.expect("request sent");
    assert_eq!(wrong_key.status(), StatusCode::UNAUTHORIZED);

    let write = app
        .client
        .post(app.url("/api/v1/organizations"))
        .json(&json!({ "code": "EVIL", "name": "Not allowed" }))
        .send()
        .await
        .expect("request sent");
    assert_eq!(write.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_unknown_shipment_is_not_found() {
    let app = TestApp::spawn().await;
    let scenario = seed(&app).await;

    let missing = app.get("/api/v1/shipments/shp_0000000000000000").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
    assert!(missing.is_json_error(), "{}", missing.text);

    let events = app.post_json("/api/v1/shipments/shp_0000000000000000/events", &journey_events()).await;
    assert_eq!(events.status, StatusCode::NOT_FOUND, "{}", events.text);

    assert!(app.get(&shipment_path(&scenario)).await.status.is_success(), "the real one is still there");
}

#[tokio::test]
async fn viewers_of_a_shipment_are_listed_with_their_reasons() {
    let app = TestApp::spawn().await;
    let scenario = seed(&app).await;
    let reply = app.get(&format!("/api/v1/shipments/{}/viewers", scenario.shipment)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body, json!([]), "no tracking users exist yet");
}

#[tokio::test]
async fn one_master_carries_house_shipments_of_different_customers() {
    let app = TestApp::spawn().await;
    let scenario = seed(&app).await;
    let mut other = shipment_body(&scenario);
    other["reference"] = json!("SHP/202505/00091");
    other["hbl_no"] = json!("MKTHCM2505091");
    other["customer_id"] = json!(scenario.second_customer);
    other["shipper_id"] = json!(scenario.second_customer);
    other["containers"] = json!([{ "number": "MSKU1234565", "iso_type": "22G1" }]);
    let created = app.put_json("/api/v1/shipments", &other).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let other_id = id_of(&created);
    assert_ne!(other_id, scenario.shipment);

    let first = staff_view(&app, &scenario).await;
    let second = app.get(&format!("/api/v1/shipments/{other_id}")).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    assert_eq!(first["customer_id"], scenario.saigon_tech.as_str());
    assert_eq!(second.body["customer_id"], scenario.second_customer.as_str());
    assert_eq!(first["master_id"], second.body["master_id"]);
    assert_eq!(second.body["containers"][0]["number"], "MSKU1234565");
}

#[tokio::test]
async fn liveness_and_readiness_answer() {
    let app = TestApp::spawn().await;
    let live = app.get_anonymous("/healthz").await;
    assert_eq!(live.status, StatusCode::OK, "{}", live.text);
    let ready = app.get_anonymous("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
}

#[tokio::test]
async fn the_openapi_document_lists_the_staff_api() {
    let app = TestApp::spawn().await;
    let reply = app.get_anonymous("/api/openapi.json").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(reply.body.get("openapi").is_some_and(Value::is_string), "not an OpenAPI document: {}", reply.text);
    let paths = reply.body["paths"].as_object().expect("the document has paths");
    for path in [
        "/api/v1/organizations",
        "/api/v1/organizations/{id}",
        "/api/v1/masters",
        "/api/v1/shipments",
        "/api/v1/shipments/{id}",
        "/api/v1/shipments/{id}/events",
        "/api/v1/shipments/{id}/viewers",
    ] {
        assert!(paths.contains_key(path), "{path} missing from {:?}", paths.keys().collect::<Vec<_>>());
    }

    let docs = app.get_anonymous("/api/docs").await;
    assert_eq!(docs.status, StatusCode::OK);
}
