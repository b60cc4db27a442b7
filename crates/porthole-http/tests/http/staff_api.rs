//! The staff API through HTTP: status codes, error shapes, field names.

use poem::http::{Method, StatusCode};
use porthole_app::ports::{AppendOutcome, RepoError, Upserted};
use porthole_domain::TrackingRole;
use serde_json::{Value, json};

use crate::fixtures::{demo_record, organization, tracking_user};
use crate::support::{Mocks, assert_error, json};

fn shipment_body() -> Value {
    json!({
        "reference": "SHP/202505/00080",
        "hbl_no": "HBL80",
        "mode": "sea_fcl",
        "customer_id": "org_cust",
        "pol": {"unlocode": "VNSGN", "name": "Cat Lai"},
        "pod": {"unlocode": "USLGB", "name": "Long Beach"},
        "etd": "2025-05-10T18:00:00+07:00",
        "eta": "2025-05-25T08:00:00-07:00",
        "containers": [{"number": "CSQU3054383", "iso_type": "45G1"}]
    })
}

fn departure_event() -> Value {
    json!({
        "event_id": "evt-1",
        "event_type": "TRANSPORT",
        "event_code": "DEPA",
        "classifier": "ACT",
        "event_time": "2025-05-10T19:30:00+07:00",
        "location": {"unlocode": "VNSGN", "name": "Cat Lai"},
        "published": true
    })
}

// ---- Authentication ------------------------------------------------------

#[tokio::test]
async fn no_key_is_a_401_in_json_before_the_body_is_read() {
    let client = Mocks::new().serve();
    let response =
        client.0.post("/api/v1/organizations").content_type("application/json").body("{garbage").send().await;
    assert_eq!(response.0.headers().get("www-authenticate").and_then(|v| v.to_str().ok()), Some("Bearer"));
    assert_error(response, 401, "unauthorized", None).await;
}

#[tokio::test]
async fn an_unknown_key_is_a_401() {
    let client = Mocks::new().serve();
    let response = client.0.get("/api/v1/shipments/shp_1").header("Authorization", "Bearer ph_not_a_key").send().await;
    assert_error(response, 401, "unauthorized", None).await;
}

// ---- Bodies that cannot be read: 400 ----------------------------------------

#[tokio::test]
async fn garbage_json_is_a_400() {
    let client = Mocks::new().serve();
    let response = client
        .staff(Method::POST, "/api/v1/organizations")
        .content_type("application/json")
        .body("{not json")
        .send()
        .await;
    let body = assert_error(response, 400, "bad_request", None).await;
    assert!(body["message"].as_str().is_some_and(|m| m.contains("not valid JSON")), "{body}");
}

#[tokio::test]
async fn an_empty_body_is_a_400() {
    let client = Mocks::new().serve();
    let response = client.staff(Method::POST, "/api/v1/organizations").content_type("application/json").send().await;
    assert_error(response, 400, "bad_request", None).await;
}

#[tokio::test]
async fn a_wrong_content_type_is_a_400() {
    let client = Mocks::new().serve();
    let response = client
        .staff(Method::POST, "/api/v1/organizations")
        .content_type("text/plain")
        .body(r#"{"code":"SGT","name":"Saigon Tech"}"#)
        .send()
        .await;
    assert_error(response, 400, "bad_request", None).await;
}

#[tokio::test]
async fn a_wrong_json_type_names_the_field() {
    let client = Mocks::new().serve();
    let response = client
        .staff(Method::POST, "/api/v1/organizations")
        .body_json(&json!({"code": ["SGT"], "name": "Saigon Tech"}))
        .send()
        .await;
    assert_error(response, 400, "bad_request", Some("code")).await;
}

#[tokio::test]
async fn a_missing_nested_field_names_its_path() {
    let client = Mocks::new().serve();
    let mut body = shipment_body();
    body["pod"] = json!({"unlocode": "USLGB"});
    let response = client.staff(Method::PUT, "/api/v1/shipments").body_json(&body).send().await;
    assert_error(response, 400, "bad_request", Some("pod.name")).await;
}

#[tokio::test]
async fn a_wrong_type_deep_in_a_batch_names_its_index() {
    let client = Mocks::new().serve();
    let mut second = departure_event();
    second["published"] = json!("yes");
    let response = client
        .staff(Method::POST, "/api/v1/shipments/shp_1/events")
        .body_json(&json!({"events": [departure_event(), second]}))
        .send()
        .await;
    assert_error(response, 400, "bad_request", Some("events[1].published")).await;
}

#[tokio::test]
async fn a_number_or_boolean_in_a_text_field_names_the_field_at_any_depth() {
    let client = Mocks::new().serve();
    let organization = client
        .staff(Method::POST, "/api/v1/organizations")
        .body_json(&json!({"code": true, "name": "Saigon Tech"}))
        .send()
        .await;
    assert_error(organization, 400, "bad_request", Some("code")).await;

    let mut shipment = shipment_body();
    shipment["pol"]["unlocode"] = json!(123);
    let upsert = client.staff(Method::PUT, "/api/v1/shipments").body_json(&shipment).send().await;
    assert_error(upsert, 400, "bad_request", Some("pol.unlocode")).await;

    let mut third = departure_event();
    third["event_id"] = json!(7);
    let batch = client
        .staff(Method::POST, "/api/v1/shipments/shp_1/events")
        .body_json(&json!({"events": [departure_event(), departure_event(), third]}))
        .send()
        .await;
    let error = assert_error(batch, 400, "bad_request", Some("events[2].event_id")).await;
    assert_eq!(error["message"], "events[2].event_id must be a string, not a whole number");
}

#[tokio::test]
async fn a_misspelled_field_is_refused_by_name_instead_of_clearing_a_value() {
    let client = Mocks::new().serve();
    let mut body = shipment_body();
    body["internal_notes"] = json!("typo for internal_note");
    let response = client.staff(Method::PUT, "/api/v1/shipments").body_json(&body).send().await;
    assert_error(response, 400, "bad_request", Some("internal_notes")).await;
}

#[tokio::test]
async fn an_unknown_field_inside_a_batch_names_its_index() {
    let client = Mocks::new().serve();
    let mut second = departure_event();
    second["publish"] = json!(true);
    let response = client
        .staff(Method::POST, "/api/v1/shipments/shp_1/events")
        .body_json(&json!({"events": [departure_event(), second]}))
        .send()
        .await;
    assert_error(response, 400, "bad_request", Some("events[1].publish")).await;
}

// ---- Values the application refuses: 422 ------------------------------------

#[tokio::test]
async fn a_bad_unlocode_is_a_422_naming_pol_unlocode() {
    let client = Mocks::new().serve();
    let mut body = shipment_body();
    body["pol"]["unlocode"] = json!("SAIGON");
    let response = client.staff(Method::PUT, "/api/v1/shipments").body_json(&body).send().await;
    assert_error(response, 422, "invalid_field", Some("pol.unlocode")).await;
}

#[tokio::test]
async fn a_bad_container_check_digit_is_a_422_naming_the_container() {
    let client = Mocks::new().serve();
    let mut body = shipment_body();
    body["containers"][0]["number"] = json!("CSQU3054384");
    let response = client.staff(Method::PUT, "/api/v1/shipments").body_json(&body).send().await;
    let error = assert_error(response, 422, "invalid_field", Some("containers[0].number")).await;
    assert!(error["message"].as_str().is_some_and(|m| m.contains("check digit")), "{error}");
}

#[tokio::test]
async fn an_unknown_event_code_is_a_422_naming_the_event() {
    let client = Mocks::new().serve();
    let mut event = departure_event();
    event["event_code"] = json!("FLY");
    let response = client
        .staff(Method::POST, "/api/v1/shipments/shp_1/events")
        .body_json(&json!({"events": [event]}))
        .send()
        .await;
    assert_error(response, 422, "invalid_field", Some("events[0].event_code")).await;
}

// ---- Organizations ---------------------------------------------------------

#[tokio::test]
async fn creating_an_organization_answers_201_with_its_fields() {
    let mut mocks = Mocks::new();
    mocks.ids.expect_new_id().returning(|prefix| format!("{prefix}1"));
    mocks.organizations.expect_insert_organization().times(1).returning(|_| Ok(()));
    let client = mocks.serve();
    let response = client
        .staff(Method::POST, "/api/v1/organizations")
        .body_json(&json!({"code": "sgt", "name": "Saigon Tech"}))
        .send()
        .await;
    let (status, body) = json(response).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body,
        json!({"id": "org_1", "code": "SGT", "name": "Saigon Tech", "portal_enabled": true, "show_charges": false})
    );
}

#[tokio::test]
async fn a_duplicate_code_is_a_409() {
    let mut mocks = Mocks::new();
    mocks.ids.expect_new_id().returning(|prefix| format!("{prefix}2"));
    mocks
        .organizations
        .expect_insert_organization()
        .returning(|_| Err(RepoError::Duplicate { field: "code".to_owned() }));
    let client = mocks.serve();
    let response = client
        .staff(Method::POST, "/api/v1/organizations")
        .body_json(&json!({"code": "SGT", "name": "Again"}))
        .send()
        .await;
    assert_error(response, 409, "conflict", Some("code")).await;
}

#[tokio::test]
async fn patching_a_missing_organization_is_a_404() {
    let mut mocks = Mocks::new();
    mocks.organizations.expect_organization().returning(|_| Ok(None));
    let client = mocks.serve();
    let response =
        client.staff(Method::PATCH, "/api/v1/organizations/org_nope").body_json(&json!({"name": "New"})).send().await;
    assert_error(response, 404, "not_found", None).await;
}

// ---- Shipments -------------------------------------------------------------

#[tokio::test]
async fn a_missing_shipment_is_a_404_in_json() {
    let mut mocks = Mocks::new();
    mocks.shipments.expect_shipment_record().returning(|_| Ok(None));
    let client = mocks.serve();
    let response = client.staff(Method::GET, "/api/v1/shipments/shp_nope").send().await;
    let body = assert_error(response, 404, "not_found", None).await;
    assert_eq!(body, json!({"error": "not_found", "message": "no such resource"}));
}

#[tokio::test]
async fn the_staff_view_shows_internal_fields_and_both_states() {
    let mut mocks = Mocks::new();
    mocks.shipments.expect_shipment_record().returning(|_| Ok(Some(demo_record())));
    let client = mocks.serve();
    let (status, body) = json(client.staff(Method::GET, "/api/v1/shipments/shp_1").send().await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], "shp_1");
    assert_eq!(body["reference"], "SHP/202505/00080");
    assert_eq!(body["internal_note"], "Margin is thin");
    assert_eq!(body["status"], "in_transit");
    assert_eq!(body["atd"], "2025-05-10T19:30:00+07:00", "times keep their offset");
    assert_eq!(body["eta"], "2025-05-27T08:00:00-07:00", "staff see the unpublished estimate");
    assert_eq!(body["eta_history"][0]["shift_hours"], 48.0);
    assert_eq!(body["eta_history"][0]["from"], "2025-05-25T08:00:00-07:00");
    assert_eq!(body["published"]["eta"], "2025-05-25T08:00:00-07:00", "viewers do not");
    assert_eq!(body["published"]["status"], "in_transit");
    assert_eq!(body["progress"]["steps"][4]["done"], true);
    assert_eq!(body["progress"]["completed"], 5);
    assert_eq!(body["progress"]["percent"], 50);
    assert_eq!(body["containers"][0]["number"], "CSQU3054383");
    let events = body["events"].as_array().expect("events");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["event_id"], "evt-eta", "newest first");
    assert_eq!(events[0]["published"], false);
    assert_eq!(events[0]["label"], "Estimated arrival", "an estimate never reads as a fact");
    assert_eq!(events[1]["label"], "Departed");
    assert_eq!(events[1]["retracted"], false);
}

#[tokio::test]
async fn an_upsert_answers_201_then_200() {
    for (upserted, expected) in [(Upserted::Created, StatusCode::CREATED), (Upserted::Updated, StatusCode::OK)] {
        let mut mocks = Mocks::new();
        mocks.organizations.expect_organizations().returning(|_| Ok(vec![organization("org_cust")]));
        mocks.shipments.expect_shipment_by_reference().returning(|_| Ok(None));
        mocks.ids.expect_new_id().returning(|_| "shp_1".to_owned());
        mocks.shipments.expect_upsert_shipment().returning(move |_| Ok(upserted));
        mocks.shipments.expect_shipment_record().returning(|_| Ok(Some(demo_record())));
        let client = mocks.serve();
        let (status, body) =
            json(client.staff(Method::PUT, "/api/v1/shipments").body_json(&shipment_body()).send().await).await;
        assert_eq!(status, expected, "{body}");
        assert_eq!(body["id"], "shp_1");
    }
}

#[tokio::test]
async fn an_event_batch_reports_accepted_and_duplicates() {
    let mut mocks = Mocks::new();
    mocks
        .shipments
        .expect_append_events()
        .returning(|_, events| Ok(AppendOutcome { accepted: events.len() - 1, duplicates: 1 }));
    let client = mocks.serve();
    let mut again = departure_event();
    again["event_id"] = json!("evt-0");
    let response = client
        .staff(Method::POST, "/api/v1/shipments/shp_1/events")
        .body_json(&json!({"events": [departure_event(), again]}))
        .send()
        .await;
    let (status, body) = json(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"accepted": 1, "duplicates": 1}));
}

#[tokio::test]
async fn events_for_a_missing_shipment_are_a_404() {
    let mut mocks = Mocks::new();
    mocks.shipments.expect_append_events().returning(|_, _| Err(RepoError::NotFound));
    let client = mocks.serve();
    let response = client
        .staff(Method::POST, "/api/v1/shipments/shp_nope/events")
        .body_json(&json!({"events": [departure_event()]}))
        .send()
        .await;
    assert_error(response, 404, "not_found", None).await;
}

#[tokio::test]
async fn viewers_say_who_and_why() {
    let mut mocks = Mocks::new();
    mocks.shipments.expect_shipment_record().returning(|_| Ok(Some(demo_record())));
    mocks
        .tracking_users
        .expect_tracking_users_in()
        .returning(|_| Ok(vec![tracking_user("usr_1", TrackingRole::Customer, "org_cust")]));
    mocks.organizations.expect_organizations().returning(|_| Ok(vec![organization("org_cust")]));
    let client = mocks.serve();
    let (status, body) = json(client.staff(Method::GET, "/api/v1/shipments/shp_1/viewers").send().await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0]["tracking_user_id"], "usr_1");
    assert_eq!(body[0]["user_id"], "saigontech.ops");
    assert_eq!(body[0]["role"], "customer");
    assert_eq!(body[0]["organization_id"], "org_cust");
    assert!(body[0]["reason"].as_str().is_some_and(|r| r.contains("customer")), "{body}");
}

#[tokio::test]
async fn storage_down_is_a_503() {
    let mut mocks = Mocks::new();
    mocks.shipments.expect_shipment_record().returning(|_| Err(RepoError::Unavailable("pool closed".to_owned())));
    let client = mocks.serve();
    let body =
        assert_error(client.staff(Method::GET, "/api/v1/shipments/shp_1").send().await, 503, "unavailable", None).await;
    assert!(!body.to_string().contains("pool closed"), "{body}");
}

// ---- Routing ---------------------------------------------------------------

#[tokio::test]
async fn unknown_api_routes_and_methods_answer_in_json() {
    let client = Mocks::new().serve();
    assert_error(client.staff(Method::GET, "/api/v1/nothing-here").send().await, 404, "not_found", None).await;
    assert_error(client.staff(Method::GET, "/api/elsewhere").send().await, 404, "not_found", None).await;
    assert_error(client.staff(Method::DELETE, "/api/v1/shipments").send().await, 405, "method_not_allowed", None).await;
}
