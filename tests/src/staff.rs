//! Staff set-up through the staff API (`/api/v1`), with the manager's key.
//! Each helper asserts the documented success status and panics with the
//! server's answer otherwise, so a failing set-up names its cause.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::portal::{ListQuery, all_pages};
use crate::{Reply, TestApp};

/// The `id` of a created or returned resource.
pub fn id_of(reply: &Reply) -> String {
    match reply.body.get("id").and_then(Value::as_str) {
        Some(id) => id.to_owned(),
        None => panic!("no id in {} {}", reply.status, reply.text),
    }
}

/// A valid sea FCL shipment from Cat Lai to Long Beach for `customer_id`,
/// with nothing optional: tests add the fields they need.
pub fn shipment_body(reference: &str, customer_id: &str) -> Value {
    json!({
        "reference": reference,
        "mode": "sea_fcl",
        "customer_id": customer_id,
        "pol": { "unlocode": "VNSGN", "name": "Cat Lai" },
        "pod": { "unlocode": "USLGB", "name": "Long Beach" },
    })
}

/// A tracking user who gets no setup mail; tests add the fields they need.
pub fn tracking_user_body(user_id: &str, email: &str, role: &str, organization_ids: &[&str]) -> Value {
    json!({
        "user_id": user_id,
        "first_name": "Test",
        "last_name": user_id,
        "email": email,
        "role": role,
        "organization_ids": organization_ids,
        "send_setup_email": false,
    })
}

impl TestApp {
    pub async fn create_organization(&self, code: &str, name: &str, portal_enabled: bool) -> String {
        let body = json!({ "code": code, "name": name, "portal_enabled": portal_enabled });
        let reply = self.post_json("/api/v1/organizations", &body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "create organization {code}: {}", reply.text);
        id_of(&reply)
    }

    pub async fn set_portal_enabled(&self, organization_id: &str, enabled: bool) {
        let path = format!("/api/v1/organizations/{organization_id}");
        let reply = self.patch_json(&path, &json!({ "portal_enabled": enabled })).await;
        assert_eq!(reply.status, StatusCode::OK, "patch organization {organization_id}: {}", reply.text);
        assert_eq!(reply.body["portal_enabled"], enabled, "{}", reply.text);
    }

    pub async fn create_master(&self, mbl_no: &str, overseas_agent_id: Option<&str>) -> String {
        let body = json!({ "mbl_no": mbl_no, "overseas_agent_id": overseas_agent_id, "carrier": "Maersk" });
        let reply = self.post_json("/api/v1/masters", &body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "create master {mbl_no}: {}", reply.text);
        id_of(&reply)
    }

    /// `PUT /api/v1/shipments`: 201 for a new reference, 200 for a known one.
    pub async fn upsert_shipment(&self, body: &Value) -> String {
        let reply = self.put_json("/api/v1/shipments", body).await;
        assert!(
            matches!(reply.status, StatusCode::CREATED | StatusCode::OK),
            "upsert shipment {}: {} {}",
            body["reference"],
            reply.status,
            reply.text
        );
        id_of(&reply)
    }

    /// Records `events` (the array of a batch); every one must be new.
    pub async fn add_events(&self, shipment_id: &str, events: Value) {
        let count = events.as_array().map_or(0, Vec::len);
        let path = format!("/api/v1/shipments/{shipment_id}/events");
        let reply = self.post_json(&path, &json!({ "events": events })).await;
        assert_eq!(reply.status, StatusCode::OK, "events for {shipment_id}: {}", reply.text);
        assert_eq!(reply.body["accepted"], count, "events for {shipment_id}: {}", reply.text);
    }

    pub async fn create_tracking_user(&self, body: &Value) -> String {
        let reply = self.post_json("/api/v1/tracking-users", body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "create tracking user {}: {}", body["user_id"], reply.text);
        id_of(&reply)
    }

    /// `PUT /api/v1/tracking-users/{id}/password`: staff set it by hand.
    pub async fn set_tracking_user_password(&self, id: &str, password: &str) {
        let path = format!("/api/v1/tracking-users/{id}/password");
        let reply = self.put_json(&path, &json!({ "password": password })).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "set password of {id}: {}", reply.text);
    }

    /// Creates the user and sets their password, so they can sign in.
    pub async fn create_active_user(&self, body: &Value, password: &str) -> String {
        let id = self.create_tracking_user(body).await;
        self.set_tracking_user_password(&id, password).await;
        id
    }

    pub async fn disable_tracking_user(&self, id: &str) {
        let reply = self.post_empty(&format!("/api/v1/tracking-users/{id}/disable")).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "disable {id}: {}", reply.text);
    }

    /// Every page of `GET /api/v1/tracking-users/{id}/preview/shipments`.
    pub async fn preview_shipments(&self, id: &str, query: &ListQuery) -> Vec<Value> {
        let url = self.url(&format!("/api/v1/tracking-users/{id}/preview/shipments"));
        all_pages(|| self.client.get(&url).bearer_auth(&self.api_key), query).await
    }

    /// `GET /api/v1/shipments/{id}/viewers`.
    pub async fn viewers(&self, shipment_id: &str) -> Vec<Value> {
        let reply = self.get(&format!("/api/v1/shipments/{shipment_id}/viewers")).await;
        assert_eq!(reply.status, StatusCode::OK, "viewers of {shipment_id}: {}", reply.text);
        match reply.body.as_array() {
            Some(viewers) => viewers.clone(),
            None => panic!("viewers of {shipment_id} is not a list: {}", reply.text),
        }
    }
}
