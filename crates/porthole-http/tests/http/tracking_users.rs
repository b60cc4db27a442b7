//! Tracking-user management through HTTP: managers only, fields named,
//! warnings passed on.

use poem::http::{Method, StatusCode};
use porthole_app::ports::{MailCause, RepoError};
use porthole_domain::{
    Organization, OrganizationId, PeriodicReport, ReportFrequency, Status, TrackingRole, TrackingUser, TrackingUserId,
    UserState,
};
use serde_json::{Value, json};

use crate::fixtures::{demo_summary, organization, tracking_user};
use crate::support::{Mocks, assert_error, json};

fn named(id: &str, name: &str) -> Organization {
    Organization { name: name.to_owned(), ..organization(id) }
}

fn create_body() -> Value {
    json!({
        "user_id": "saigontech.ops",
        "first_name": "Lan",
        "email": "ops@saigon-tech.vn",
        "role": "customer",
        "organization_ids": ["org_cust"],
        "notifications": {
            "eta_changed": true,
            "periodic_report": {"frequency": "weekly", "columns": ["reference", "eta"]}
        },
        "display": {"mbl_number": true},
        "send_setup_email": true
    })
}

/// Lan Nguyen of `org_cust`, with a weekly report.
fn stored_user() -> TrackingUser {
    let mut user = tracking_user("tu_1", TrackingRole::Customer, "org_cust");
    user.last_name = Some("Nguyen".to_owned());
    user.notifications.periodic_report =
        Some(PeriodicReport { frequency: ReportFrequency::Weekly, columns: vec!["reference".to_owned()] });
    user
}

// ---- Create ------------------------------------------------------------------

#[tokio::test]
async fn creating_a_user_answers_201_with_the_whole_user_and_its_warnings() {
    let mut mocks = Mocks::new();
    mocks.ids.expect_new_id().returning(|prefix| format!("{prefix}1"));
    mocks.organizations.expect_all_organizations().returning(|| {
        Ok(vec![
            named("org_cust", "Saigon Tech Export"),
            named("org_twin", "SAIGON TECH EXPORTS CO., LTD"),
            named("org_other", "Hanoi Textile"),
        ])
    });
    mocks.tracking_users.expect_tracking_users_by_email().returning(|_| Ok(Vec::new()));
    // The invitation is queued with the user; nothing is mailed inline.
    mocks
        .tracking_users
        .expect_insert_tracking_user()
        .withf(|user, causes| causes == [MailCause::PasswordSetup { tracking_user_id: user.id.clone() }])
        .times(1)
        .returning(|_, _| Ok(()));
    mocks.credentials.expect_insert_login_token().never();
    mocks.mailer.expect_send().never();
    let client = mocks.serve();

    let response = client.manager(Method::POST, "/api/v1/tracking-users").body_json(&create_body()).send().await;
    let (status, mut body) = json(response).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let warnings = body["warnings"].take();
    assert_eq!(
        body,
        json!({
            "id": "tu_1",
            "user_id": "saigontech.ops",
            "first_name": "Lan",
            "last_name": null,
            "email": "ops@saigon-tech.vn",
            "additional_emails": [],
            "role": "customer",
            "organization_ids": ["org_cust"],
            "agent_customer_ids": [],
            "notifications": {
                "journey_updated": false,
                "eta_changed": true,
                "document_status": false,
                "periodic_report": {"frequency": "weekly", "columns": ["reference", "eta"]}
            },
            "display": {"doc_center": true, "shipper_info": false, "mbl_number": true},
            "state": "invited",
            "warnings": null
        })
    );
    let warnings: Vec<&str> = warnings.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("org_twin") && !warnings[0].contains("org_other"), "{warnings:?}");
}

#[tokio::test]
async fn an_operator_key_may_not_manage_tracking_users() {
    // No storage expectations: any call would panic the mock and fail the
    // request with a 500.
    let client = Mocks::new().serve();
    let create = client.staff(Method::POST, "/api/v1/tracking-users").body_json(&create_body()).send().await;
    let error = assert_error(create, 403, "forbidden", None).await;
    assert_eq!(
        error["message"],
        "only general_manager, operations_manager or sales_manager keys may manage tracking users; this key's role \
         is operator"
    );
    for (method, uri) in [
        (Method::GET, "/api/v1/tracking-users/tu_1"),
        (Method::POST, "/api/v1/tracking-users/tu_1/disable"),
        (Method::POST, "/api/v1/tracking-users/tu_1/enable"),
        (Method::POST, "/api/v1/tracking-users/tu_1/setup-email"),
        (Method::GET, "/api/v1/tracking-users/tu_1/preview/shipments"),
    ] {
        assert_error(client.staff(method, uri).send().await, 403, "forbidden", None).await;
    }
}

#[tokio::test]
async fn a_missing_key_is_a_401() {
    let client = Mocks::new().serve();
    let response = client.0.post("/api/v1/tracking-users").body_json(&create_body()).send().await;
    assert_error(response, 401, "unauthorized", None).await;
}

#[tokio::test]
async fn an_unknown_organization_is_named_by_the_index_it_was_sent_at() {
    let mut mocks = Mocks::new();
    mocks.ids.expect_new_id().returning(|prefix| format!("{prefix}1"));
    mocks.organizations.expect_all_organizations().returning(|| Ok(vec![organization("org_zzz")]));
    let client = mocks.serve();
    let mut body = create_body();
    // Sent in an order other than the sorted one, so the index is the
    // caller's and not the stored set's.
    body["organization_ids"] = json!(["org_zzz", "org_missing"]);
    let response = client.manager(Method::POST, "/api/v1/tracking-users").body_json(&body).send().await;
    let error = assert_error(response, 422, "invalid_field", Some("organization_ids[1]")).await;
    assert!(error["message"].as_str().is_some_and(|m| m.contains("org_missing")), "{error}");
}

#[tokio::test]
async fn refused_values_are_named_and_nothing_is_written() {
    let cases = [
        ("email", json!("not-an-address"), "email"),
        ("role", json!("boss"), "role"),
        ("additional_emails", json!(["ok@example.com", "nope"]), "additional_emails[1]"),
        (
            "notifications",
            json!({"periodic_report": {"frequency": "hourly"}}),
            "notifications.periodic_report.frequency",
        ),
    ];
    for (member, value, field) in cases {
        let mut mocks = Mocks::new();
        mocks.ids.expect_new_id().returning(|prefix| format!("{prefix}1"));
        let client = mocks.serve();
        let mut body = create_body();
        body[member] = value;
        let response = client.manager(Method::POST, "/api/v1/tracking-users").body_json(&body).send().await;
        assert_error(response, 422, "invalid_field", Some(field)).await;
    }
}

#[tokio::test]
async fn unknown_and_mistyped_fields_are_refused_by_name() {
    let client = Mocks::new().serve();
    let cases = [
        ("display", json!({"mbl_numbers": true}), "display.mbl_numbers"),
        ("notification", json!({"eta_changed": true}), "notification"),
        ("organization_ids", json!("org_cust"), "organization_ids"),
        ("send_setup_email", json!("yes"), "send_setup_email"),
    ];
    for (member, value, field) in cases {
        let mut body = create_body();
        body[member] = value;
        let response = client.manager(Method::POST, "/api/v1/tracking-users").body_json(&body).send().await;
        assert_error(response, 400, "bad_request", Some(field)).await;
    }
}

#[tokio::test]
async fn numbers_and_booleans_in_text_fields_are_refused_by_name_and_nothing_is_written() {
    // No storage expectations: a write would panic the mock into a 500.
    let client = Mocks::new().serve();
    let cases = [
        ("user_id", json!(true), "user_id", "user_id must be a string, not a boolean"),
        ("user_id", json!(12.5), "user_id", "user_id must be a string, not a number"),
        ("user_id", json!(123), "user_id", "user_id must be a string, not a whole number"),
        ("first_name", json!(42), "first_name", "first_name must be a string, not a whole number"),
        (
            "additional_emails",
            json!(["ok@example.com", false]),
            "additional_emails[1]",
            "additional_emails[1] must be a string, not a boolean",
        ),
        (
            "notifications",
            json!({"periodic_report": {"frequency": 7}}),
            "notifications.periodic_report.frequency",
            "notifications.periodic_report.frequency must be a string, not a whole number",
        ),
    ];
    for (member, value, field, message) in cases {
        let mut body = create_body();
        body[member] = value;
        let response = client.manager(Method::POST, "/api/v1/tracking-users").body_json(&body).send().await;
        let error = assert_error(response, 400, "bad_request", Some(field)).await;
        assert_eq!(error["message"], message);
    }
    let patch =
        client.manager(Method::PATCH, "/api/v1/tracking-users/tu_1").body_json(&json!({"last_name": 7})).send().await;
    assert_error(patch, 400, "bad_request", Some("last_name")).await;
}

#[tokio::test]
async fn a_taken_login_is_a_409_on_user_id() {
    let mut mocks = Mocks::new();
    mocks.ids.expect_new_id().returning(|prefix| format!("{prefix}1"));
    mocks.organizations.expect_all_organizations().returning(|| Ok(vec![organization("org_cust")]));
    mocks.tracking_users.expect_tracking_users_by_email().returning(|_| Ok(Vec::new()));
    mocks
        .tracking_users
        .expect_insert_tracking_user()
        .returning(|_, _| Err(RepoError::Duplicate { field: "user_id".to_owned() }));
    let client = mocks.serve();
    let response = client.manager(Method::POST, "/api/v1/tracking-users").body_json(&create_body()).send().await;
    assert_error(response, 409, "conflict", Some("user_id")).await;
}

#[tokio::test]
async fn an_e_mail_another_user_signs_in_with_is_a_409_on_email() {
    let mut mocks = Mocks::new();
    mocks.ids.expect_new_id().returning(|prefix| format!("{prefix}1"));
    mocks.organizations.expect_all_organizations().returning(|| Ok(vec![organization("org_cust")]));
    mocks
        .tracking_users
        .expect_tracking_users_by_email()
        .returning(|_| Ok(vec![tracking_user("tu_other", TrackingRole::Customer, "org_cust")]));
    let client = mocks.serve();
    let response = client.manager(Method::POST, "/api/v1/tracking-users").body_json(&create_body()).send().await;
    assert_error(response, 409, "conflict", Some("email")).await;
}

// ---- Read and change -----------------------------------------------------------

#[tokio::test]
async fn reading_a_user_has_no_warnings() {
    let mut mocks = Mocks::new();
    mocks.tracking_users.expect_tracking_user().returning(|_| Ok(Some(stored_user())));
    let client = mocks.serve();
    let (status, body) = json(client.manager(Method::GET, "/api/v1/tracking-users/tu_1").send().await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], "tu_1");
    assert_eq!(body["last_name"], "Nguyen");
    assert_eq!(body["state"], "active");
    assert_eq!(body["notifications"]["periodic_report"], json!({"frequency": "weekly", "columns": ["reference"]}));
    assert_eq!(body["warnings"], json!([]));
}

#[tokio::test]
async fn a_missing_user_is_a_404() {
    let mut mocks = Mocks::new();
    mocks.tracking_users.expect_tracking_user().returning(|_| Ok(None));
    let client = mocks.serve();
    let response = client.manager(Method::GET, "/api/v1/tracking-users/tu_nope").send().await;
    assert_error(response, 404, "not_found", None).await;
}

#[tokio::test]
async fn null_clears_the_last_name_and_the_report_while_absent_fields_stay() {
    let mut mocks = Mocks::new();
    mocks.tracking_users.expect_tracking_user().returning(|_| Ok(Some(stored_user())));
    mocks.organizations.expect_all_organizations().returning(|| Ok(vec![organization("org_cust")]));
    mocks.tracking_users.expect_tracking_users_by_email().returning(|_| Ok(Vec::new()));
    mocks
        .tracking_users
        .expect_update_tracking_user()
        .withf(|user| {
            user.last_name.is_none()
                && user.notifications.periodic_report.is_none()
                && user.display.shipper_info
                && user.first_name == "Lan"
        })
        .times(1)
        .returning(|_| Ok(()));
    let client = mocks.serve();
    let patch = json!({
        "last_name": null,
        "notifications": {"periodic_report": null},
        "display": {"shipper_info": true}
    });
    let response = client.manager(Method::PATCH, "/api/v1/tracking-users/tu_1").body_json(&patch).send().await;
    let (status, body) = json(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["last_name"], Value::Null);
    assert_eq!(body["first_name"], "Lan");
    assert_eq!(body["notifications"]["periodic_report"], Value::Null);
    assert_eq!(body["display"], json!({"doc_center": true, "shipper_info": true, "mbl_number": false}));
    assert_eq!(body["warnings"], json!([]));
}

#[tokio::test]
async fn a_patch_without_last_name_keeps_it() {
    let mut mocks = Mocks::new();
    mocks.tracking_users.expect_tracking_user().returning(|_| Ok(Some(stored_user())));
    mocks.organizations.expect_all_organizations().returning(|| Ok(vec![organization("org_cust")]));
    mocks.tracking_users.expect_tracking_users_by_email().returning(|_| Ok(Vec::new()));
    mocks
        .tracking_users
        .expect_update_tracking_user()
        .withf(|user| user.first_name == "Mai" && user.last_name.as_deref() == Some("Nguyen"))
        .times(1)
        .returning(|_| Ok(()));
    let client = mocks.serve();
    let response = client
        .manager(Method::PATCH, "/api/v1/tracking-users/tu_1")
        .body_json(&json!({"first_name": "Mai"}))
        .send()
        .await;
    let (status, body) = json(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["last_name"], "Nguyen");
}

#[tokio::test]
async fn a_patch_refuses_fields_that_only_creation_takes() {
    let client = Mocks::new().serve();
    let response = client
        .manager(Method::PATCH, "/api/v1/tracking-users/tu_1")
        .body_json(&json!({"send_setup_email": true}))
        .send()
        .await;
    assert_error(response, 400, "bad_request", Some("send_setup_email")).await;
}

// ---- Password, setup e-mail, disable, enable ---------------------------------------

#[tokio::test]
async fn staff_can_set_a_password_which_is_stored_hashed() {
    let mut mocks = Mocks::new();
    mocks.tracking_users.expect_tracking_user().returning(|_| Ok(Some(stored_user())));
    mocks
        .credentials
        .expect_set_password()
        .withf(|id, hash| {
            *id == TrackingUserId::new("tu_1") && hash.starts_with("$argon2id$") && !hash.contains("horse")
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let client = mocks.serve();
    let response = client
        .manager(Method::PUT, "/api/v1/tracking-users/tu_1/password")
        .body_json(&json!({"password": "correct horse"}))
        .send()
        .await;
    response.assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_short_password_is_a_422_naming_password() {
    let client = Mocks::new().serve();
    let response = client
        .manager(Method::PUT, "/api/v1/tracking-users/tu_1/password")
        .body_json(&json!({"password": "short"}))
        .send()
        .await;
    assert_error(response, 422, "invalid_field", Some("password")).await;
}

#[tokio::test]
async fn resending_the_setup_email_queues_a_new_link_and_answers_202() {
    let mut mocks = Mocks::new();
    mocks.tracking_users.expect_tracking_user().returning(|_| {
        let mut user = stored_user();
        user.state = UserState::Invited;
        Ok(Some(user))
    });
    mocks
        .outbox
        .expect_insert_cause()
        .withf(|cause, key| {
            *cause == MailCause::PasswordSetup { tracking_user_id: TrackingUserId::new("tu_1") } && key.is_none()
        })
        .times(1)
        .returning(|_, _| Ok(true));
    mocks.mailer.expect_send().never();
    let client = mocks.serve();
    let response = client.manager(Method::POST, "/api/v1/tracking-users/tu_1/setup-email").send().await;
    response.assert_status(StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_disabled_user_gets_no_setup_email() {
    let mut mocks = Mocks::new();
    mocks.tracking_users.expect_tracking_user().returning(|_| {
        let mut user = stored_user();
        user.state = UserState::Disabled;
        Ok(Some(user))
    });
    let client = mocks.serve();
    let response = client.manager(Method::POST, "/api/v1/tracking-users/tu_1/setup-email").send().await;
    assert_error(response, 409, "conflict", Some("state")).await;
}

#[tokio::test]
async fn disabling_answers_204_and_a_missing_user_404() {
    let mut mocks = Mocks::new();
    mocks
        .tracking_users
        .expect_disable_tracking_user()
        .withf(|id| *id == TrackingUserId::new("tu_1"))
        .times(1)
        .returning(|_| Ok(()));
    mocks
        .tracking_users
        .expect_disable_tracking_user()
        .withf(|id| *id == TrackingUserId::new("tu_nope"))
        .returning(|_| Err(RepoError::NotFound));
    let client = mocks.serve();
    client
        .manager(Method::POST, "/api/v1/tracking-users/tu_1/disable")
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let missing = client.manager(Method::POST, "/api/v1/tracking-users/tu_nope/disable").send().await;
    assert_error(missing, 404, "not_found", None).await;
}

#[tokio::test]
async fn enabling_answers_204_and_a_missing_user_404() {
    let mut mocks = Mocks::new();
    mocks
        .tracking_users
        .expect_enable_tracking_user()
        .withf(|id| *id == TrackingUserId::new("tu_1"))
        .times(1)
        .returning(|_| Ok(()));
    mocks
        .tracking_users
        .expect_enable_tracking_user()
        .withf(|id| *id == TrackingUserId::new("tu_nope"))
        .returning(|_| Err(RepoError::NotFound));
    let client = mocks.serve();
    client
        .manager(Method::POST, "/api/v1/tracking-users/tu_1/enable")
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let missing = client.manager(Method::POST, "/api/v1/tracking-users/tu_nope/enable").send().await;
    assert_error(missing, 404, "not_found", None).await;
}

// ---- Preview -------------------------------------------------------------------

#[tokio::test]
async fn the_preview_is_the_users_own_list() {
    let mut mocks = Mocks::new();
    mocks.tracking_users.expect_tracking_user().returning(|_| Ok(Some(stored_user())));
    mocks
        .organizations
        .expect_organizations()
        .withf(|ids| ids == [OrganizationId::new("org_cust")])
        .returning(|_| Ok(vec![organization("org_cust")]));
    mocks
        .shipments
        .expect_shipments_in_scope()
        .withf(|_, query| query.status == Some(Status::InTransit) && query.limit == 3)
        .times(1)
        .returning(|_, _| Ok(vec![demo_summary()]));
    let client = mocks.serve();
    let response = client
        .manager(Method::GET, "/api/v1/tracking-users/tu_1/preview/shipments?status=in_transit&limit=2")
        .send()
        .await;
    let (status, body) = json(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({
            "items": [{
                "id": "shp_1",
                "reference": "SHP/202505/00080",
                "status": "in_transit",
                "pol": {"unlocode": "VNSGN", "name": "Cat Lai"},
                "pod": {"unlocode": "USLGB", "name": "Long Beach"},
                "etd": "2025-05-10T18:00:00+07:00",
                "eta": "2025-05-25T08:00:00-07:00",
                "atd": "2025-05-10T19:30:00+07:00",
                "ata": null
            }],
            "next_cursor": null
        })
    );
}

#[tokio::test]
async fn preview_query_parameters_are_named_when_refused() {
    let mut mocks = Mocks::new();
    mocks.tracking_users.expect_tracking_user().returning(|_| Ok(Some(stored_user())));
    mocks.organizations.expect_organizations().returning(|_| Ok(vec![organization("org_cust")]));
    let client = mocks.serve();
    let base = "/api/v1/tracking-users/tu_1/preview/shipments";
    let not_a_number = client.manager(Method::GET, &format!("{base}?limit=many")).send().await;
    let error = assert_error(not_a_number, 400, "bad_request", Some("limit")).await;
    assert_eq!(error["message"], "limit must be a whole number, 0 or more");
    let too_many = client.manager(Method::GET, &format!("{base}?limit=1000")).send().await;
    assert_error(too_many, 422, "invalid_field", Some("limit")).await;
    let bad_status = client.manager(Method::GET, &format!("{base}?status=sailing")).send().await;
    assert_error(bad_status, 422, "invalid_field", Some("status")).await;
}
