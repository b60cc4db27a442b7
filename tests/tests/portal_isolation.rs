//! Tenant isolation in the portal (SPEC §3), end to end: a world of
//! customers, a consignee, a shipper and overseas agents whose users must
//! each see exactly their shipments, through every read path, and never
//! anything internal.

use std::collections::{BTreeMap, BTreeSet};

use porthole_e2e::html::without_csrf_tokens;
use porthole_e2e::portal::{ListQuery, MISSING_SHIPMENT_ID, PortalClient, ids_of};
use porthole_e2e::staff::{shipment_body, tracking_user_body};
use porthole_e2e::{Reply, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "harbour-lights-42";
/// Two shipments of different customers travel in this container.
const SHARED_CONTAINER: &str = "MSKU1234565";
const OWN_CONTAINER: &str = "CSQU3054383";
const VIEWER_STATUSES: [&str; 4] = ["confirmed", "in_transit", "done", "cancelled"];

/// One shipment of the world, as staff created it.
#[derive(Debug)]
struct Ship {
    key: &'static str,
    id: String,
    reference: String,
    hbl_no: Option<String>,
    /// The status viewers must be shown.
    status: &'static str,
    containers: Vec<&'static str>,
    published_events: usize,
    customer_note: String,
}

#[derive(Debug)]
struct User {
    id: String,
    login: String,
    email: String,
}

#[derive(Debug)]
struct World {
    ships: Vec<Ship>,
    users: BTreeMap<&'static str, User>,
    /// Strings that exist only in internal notes, buy-side charges and
    /// unpublished events.
    markers: Vec<String>,
}

/// Users who may sign in, and the shipments each must see.
const SIGNED_IN: [(&str, &[&str]); 8] = [
    ("alpha", &["S1", "S3", "S8"]),
    ("beta", &["S2", "S7", "S9"]),
    ("consignee", &["S1", "S2", "S6"]),
    ("shipper", &["S1", "S7"]),
    ("agent_one", &["S1", "S6"]),
    ("agent_two", &["S7"]),
    ("agent_without_customers", &[]),
    ("beta_and_dormant", &["S2", "S7", "S9"]),
];

/// Users who may not sign in: portal off, disabled, never set a password.
const LOCKED_OUT: [&str; 3] = ["dormant", "disabled", "invited"];

/// Who must be listed as a viewer of each shipment.
const VIEWERS: [(&str, &[&str]); 9] = [
    ("S1", &["alpha", "consignee", "shipper", "agent_one"]),
    ("S2", &["beta", "consignee", "beta_and_dormant"]),
    ("S3", &["alpha"]),
    ("S4", &[]),
    ("S5", &[]),
    ("S6", &["consignee", "agent_one"]),
    ("S7", &["beta", "shipper", "agent_two", "beta_and_dormant"]),
    ("S8", &["alpha"]),
    ("S9", &["beta", "beta_and_dormant"]),
];

impl World {
    fn ship(&self, key: &str) -> &Ship {
        match self.ships.iter().find(|ship| ship.key == key) {
            Some(ship) => ship,
            None => panic!("no shipment {key}"),
        }
    }

    fn user(&self, key: &str) -> &User {
        match self.users.get(key) {
            Some(user) => user,
            None => panic!("no user {key}"),
        }
    }

    fn ids(&self, keys: &[&str]) -> BTreeSet<String> {
        keys.iter().map(|key| self.ship(key).id.clone()).collect()
    }

    /// Panics if a viewer's answer holds anything internal.
    fn assert_clean(&self, what: &str, reply: &Reply) {
        for marker in &self.markers {
            assert!(!reply.text.contains(marker.as_str()), "{what} leaks '{marker}': {}", reply.text);
        }
    }
}

fn markers_of(key: &str) -> [String; 4] {
    [
        format!("INTERNAL-NOTE-{key}-q7"),
        format!("BUY-CHARGE-{key}-q7"),
        format!("UNPUBLISHED-REMARK-{key}-q7"),
        format!("unpublished-event-{key}-q7"),
    ]
}

/// `(key, hbl, master, status, customer, shipper, consignee, containers)`.
type ShipPlan = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static [&'static str],
);

const SHIPS: [ShipPlan; 9] = [
    (
        "S1",
        Some("HBLALP0001"),
        Some("m1"),
        "confirmed",
        "alpha",
        Some("shipper"),
        Some("consignee"),
        &[SHARED_CONTAINER],
    ),
    ("S2", Some("HBLBET0002"), Some("m1"), "in_transit", "beta", None, Some("consignee"), &[SHARED_CONTAINER]),
    ("S3", Some("HBLALP0003"), Some("m2"), "done", "alpha", None, None, &[OWN_CONTAINER]),
    ("S4", Some("HBLALP0004"), Some("m1"), "draft", "alpha", Some("shipper"), Some("consignee"), &[]),
    ("S5", None, Some("m2"), "confirmed", "beta", Some("shipper"), Some("consignee"), &[]),
    ("S6", Some("HBLDOR0006"), Some("m1"), "confirmed", "dormant", None, Some("consignee"), &[]),
    ("S7", Some("HBLBET0007"), Some("m2"), "cancelled", "beta", Some("shipper"), None, &[]),
    // Beta is only the consignee here, and Alpha only the shipper below:
    // their customer-role users must not see these.
    ("S8", Some("HBLALP0008"), Some("m3"), "in_transit", "alpha", None, Some("beta"), &[]),
    ("S9", Some("HBLBET0009"), None, "confirmed", "beta", Some("alpha"), None, &[]),
];

fn events_for(key: &str) -> Value {
    let [_, _, remark, event_id] = markers_of(key);
    let mut events = vec![
        json!({
            "event_id": format!("{key}-gtin"), "event_type": "EQUIPMENT", "event_code": "GTIN", "classifier": "ACT",
            "event_time": "2025-05-08T14:20:00+07:00", "location": { "unlocode": "VNSGN", "name": "Cat Lai" },
            "remark": "Gated in at the terminal", "published": true
        }),
        json!({
            "event_id": event_id, "event_type": "EQUIPMENT", "event_code": "INSP", "classifier": "ACT",
            "event_time": "2025-05-09T10:00:00+07:00", "location": { "unlocode": "VNSGN", "name": "Cat Lai" },
            "remark": remark, "published": false
        }),
    ];
    if key == "S1" {
        events.push(json!({
            "event_id": "S1-conf", "event_type": "SHIPMENT", "event_code": "CONF", "classifier": "ACT",
            "event_time": "2025-05-02T09:00:00+07:00", "published": true
        }));
        // Unpublished, so viewers must not see the departure it proves:
        // S1 stays Confirmed for them, without an ATD.
        events.push(json!({
            "event_id": "S1-depa-unpublished-q7", "event_type": "TRANSPORT", "event_code": "DEPA", "classifier": "ACT",
            "event_time": "2025-05-10T21:30:00+07:00", "location": { "unlocode": "VNSGN", "name": "Cat Lai" },
            "remark": "UNPUBLISHED-DEPARTURE-S1-q7", "published": false
        }));
    }
    Value::Array(events)
}

async fn build_world(app: &TestApp) -> World {
    let mut orgs: BTreeMap<&str, String> = BTreeMap::new();
    for (key, code, name, portal) in [
        ("alpha", "ALP", "Alpha Electronics", true),
        ("beta", "BET", "Beta Garments", true),
        ("consignee", "PCI", "Pacific Coast Imports", true),
        ("shipper", "SGS", "Saigon Shipping Services", true),
        ("agent1", "HFA", "Harbor Freight Agents", true),
        ("agent2", "BYA", "Bayside Agency", true),
        ("dormant", "DOR", "Dormant Trading", false),
    ] {
        orgs.insert(key, app.create_organization(code, name, portal).await);
    }
    let org = |key: &str| match orgs.get(key) {
        Some(id) => id.clone(),
        None => panic!("no organization {key}"),
    };
    let mut masters: BTreeMap<&str, String> = BTreeMap::new();
    masters.insert("m1", app.create_master("MAEU000000001", Some(&org("agent1"))).await);
    masters.insert("m2", app.create_master("MAEU000000002", Some(&org("agent2"))).await);
    masters.insert("m3", app.create_master("MAEU000000003", None).await);

    let mut ships = Vec::new();
    let mut markers = vec!["UNPUBLISHED-DEPARTURE-S1-q7".to_owned(), "S1-depa-unpublished-q7".to_owned()];
    for (key, hbl, master, status, customer, shipper, consignee, containers) in SHIPS {
        let [internal, buy, _, _] = markers_of(key);
        let reference = format!("ISO/2505/{key}");
        let customer_note = format!("Broker for {key}: Pacific Customs");
        let mut body = shipment_body(&reference, &org(customer));
        body["status"] = json!(status);
        body["hbl_no"] = json!(hbl);
        body["master_id"] = json!(master.map(|m| masters[m].clone()));
        body["shipper_id"] = json!(shipper.map(&org));
        body["consignee_id"] = json!(consignee.map(&org));
        body["containers"] =
            json!(containers.iter().map(|n| json!({ "number": n, "iso_type": "45G1" })).collect::<Vec<_>>());
        body["customer_note"] = json!(customer_note);
        body["internal_note"] = json!(internal);
        body["charges"] = json!([
            { "side": "sell", "description": "Ocean freight", "amount_minor": 215000, "currency": "USD" },
            { "side": "buy", "description": buy, "amount_minor": 180000, "currency": "USD" },
        ]);
        let id = app.upsert_shipment(&body).await;
        let events = events_for(key);
        let published_events = events.as_array().map_or(0, |all| all.iter().filter(|e| e["published"] == true).count());
        app.add_events(&id, events).await;
        markers.extend(markers_of(key));
        ships.push(Ship {
            key,
            id,
            reference,
            hbl_no: hbl.map(str::to_owned),
            status,
            containers: containers.to_vec(),
            published_events,
            customer_note,
        });
    }

    let mut users = BTreeMap::new();
    for (key, role, user_orgs, agent_customers) in [
        ("alpha", "customer", vec!["alpha"], None),
        ("beta", "customer", vec!["beta"], None),
        ("consignee", "consignee", vec!["consignee"], None),
        ("shipper", "shipper", vec!["shipper"], None),
        ("agent_one", "overseas_agent", vec!["agent1"], Some(vec!["alpha", "dormant"])),
        ("agent_two", "overseas_agent", vec!["agent2"], Some(vec!["beta"])),
        ("agent_without_customers", "overseas_agent", vec!["agent2"], Some(vec![])),
        ("beta_and_dormant", "customer", vec!["beta", "dormant"], None),
        ("dormant", "customer", vec!["dormant"], None),
        ("disabled", "customer", vec!["alpha"], None),
        ("invited", "customer", vec!["alpha"], None),
    ] {
        let login = format!("{}.user", key.replace('_', "-"));
        let email = format!("{}@example.com", key.replace('_', "."));
        let org_ids: Vec<String> = user_orgs.iter().map(|o| org(o)).collect();
        let org_refs: Vec<&str> = org_ids.iter().map(String::as_str).collect();
        let mut body = tracking_user_body(&login, &email, role, &org_refs);
        if let Some(customers) = agent_customers {
            body["agent_customer_ids"] = json!(customers.iter().map(|o| org(o)).collect::<Vec<_>>());
        }
        let id = if key == "invited" {
            app.create_tracking_user(&body).await
        } else {
            app.create_active_user(&body, PASSWORD).await
        };
        if key == "disabled" {
            app.disable_tracking_user(&id).await;
        }
        users.insert(key, User { id, login, email });
    }

    // Proof that the markers are stored: staff see them, so their absence
    // from viewers' answers means something.
    let staff = app.get(&format!("/api/v1/shipments/{}", ships[0].id)).await;
    assert_eq!(staff.status, StatusCode::OK, "{}", staff.text);
    for marker in markers_of("S1").iter().chain(["UNPUBLISHED-DEPARTURE-S1-q7".to_owned()].iter()) {
        assert!(staff.text.contains(marker.as_str()), "the staff view lacks '{marker}': {}", staff.text);
    }
    World { ships, users, markers }
}

/// Signs in every user who may, by user id.
async fn sign_in_all(app: &TestApp, world: &World) -> BTreeMap<&'static str, PortalClient> {
    let mut clients = BTreeMap::new();
    for (key, _) in SIGNED_IN {
        let user = world.user(key);
        clients.insert(key, app.signed_in(&user.login, PASSWORD).await);
    }
    clients
}

fn id_set(items: &[Value]) -> BTreeSet<String> {
    ids_of(items).into_iter().collect()
}

#[tokio::test]
async fn each_user_lists_exactly_their_shipments_on_every_page() {
    let app = TestApp::spawn().await;
    let world = build_world(&app).await;
    let clients = sign_in_all(&app, &world).await;

    for (key, expected) in SIGNED_IN {
        let client = &clients[key];
        for limit in [1, 2, 50] {
            let items = client.shipments(&ListQuery::paged(limit)).await;
            assert_eq!(id_set(&items), world.ids(expected), "{key}'s list with limit {limit}");
            for item in &items {
                let Some(ship) = world.ships.iter().find(|s| item["id"] == s.id.as_str()) else {
                    panic!("{key} lists an unknown shipment: {item}")
                };
                assert_eq!(item["reference"], ship.reference.as_str(), "{key}: {item}");
                assert_eq!(item["status"], ship.status, "{key} sees {}'s viewer status: {item}", ship.key);
                assert_eq!(item["pol"]["unlocode"], "VNSGN", "{item}");
                assert_eq!(item["pod"]["unlocode"], "USLGB", "{item}");
            }
        }
        let page = client.shipments_page(&ListQuery::default()).await;
        world.assert_clean(&format!("{key}'s list"), &page);
    }
}

#[tokio::test]
async fn each_user_opens_only_their_shipments_and_others_look_missing() {
    let app = TestApp::spawn().await;
    let world = build_world(&app).await;
    let clients = sign_in_all(&app, &world).await;

    for (key, expected) in SIGNED_IN {
        let client = &clients[key];
        let missing = client.shipment(MISSING_SHIPMENT_ID).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
        assert!(missing.is_json_error(), "{}", missing.text);

        for ship in &world.ships {
            let reply = client.shipment(&ship.id).await;
            world.assert_clean(&format!("{key}'s detail of {}", ship.key), &reply);
            if !expected.contains(&ship.key) {
                assert_eq!(reply.status, missing.status, "{key} must not open {}: {}", ship.key, reply.text);
                assert_eq!(reply.text, missing.text, "{key}: {}'s 404 differs from a missing id's", ship.key);
                continue;
            }
            assert_eq!(reply.status, StatusCode::OK, "{key} opens {}: {}", ship.key, reply.text);
            let detail = &reply.body;
            assert_eq!(detail["id"], ship.id.as_str(), "{detail}");
            assert_eq!(detail["reference"], ship.reference.as_str(), "{detail}");
            assert_eq!(detail["status"], ship.status, "{key} sees {}'s viewer status: {detail}", ship.key);
            assert_eq!(detail["customer_note"], ship.customer_note.as_str(), "{detail}");
            let events = detail["events"].as_array().map_or(0, Vec::len);
            assert_eq!(events, ship.published_events, "{key} sees only {}'s published events: {detail}", ship.key);
            let containers: BTreeSet<&str> =
                detail["containers"].as_array().into_iter().flatten().filter_map(|c| c["number"].as_str()).collect();
            assert_eq!(containers, ship.containers.iter().copied().collect(), "{detail}");
            assert!(detail.get("internal_note").is_none_or(Value::is_null), "{detail}");
            if ship.key == "S1" {
                assert!(detail.get("atd").is_none_or(Value::is_null), "ATD from an unpublished event: {detail}");
            }
        }
    }
}

#[tokio::test]
async fn search_and_status_filter_stay_within_what_each_user_sees() {
    let app = TestApp::spawn().await;
    let world = build_world(&app).await;
    let clients = sign_in_all(&app, &world).await;

    for (key, expected) in SIGNED_IN {
        let client = &clients[key];
        for ship in &world.ships {
            let own = if expected.contains(&ship.key) { world.ids(&[ship.key]) } else { BTreeSet::new() };
            let by_reference = client.shipments(&ListQuery::search(&ship.reference)).await;
            assert_eq!(id_set(&by_reference), own, "{key} searching {}", ship.reference);
            if let Some(hbl) = &ship.hbl_no {
                let by_hbl = client.shipments(&ListQuery::search(hbl)).await;
                assert_eq!(id_set(&by_hbl), own, "{key} searching HBL {hbl}");
                let lower = client.shipments(&ListQuery::search(&hbl.to_lowercase())).await;
                assert_eq!(id_set(&lower), own, "{key} searching HBL {hbl} in lower case");
            }
        }
        for container in [SHARED_CONTAINER, OWN_CONTAINER] {
            let carrying: Vec<&str> =
                expected.iter().copied().filter(|k| world.ship(k).containers.contains(&container)).collect();
            let found = client.shipments(&ListQuery::search(container)).await;
            assert_eq!(id_set(&found), world.ids(&carrying), "{key} searching container {container}");
        }
        for status in VIEWER_STATUSES {
            let with_status: Vec<&str> = expected.iter().copied().filter(|k| world.ship(k).status == status).collect();
            let found = client.shipments(&ListQuery::status(status)).await;
            assert_eq!(id_set(&found), world.ids(&with_status), "{key} filtering status {status}");
        }
        let nothing = client.shipments(&ListQuery::search("NO-SUCH-REFERENCE")).await;
        assert!(nothing.is_empty(), "{key}: {nothing:?}");
    }
}

#[tokio::test]
async fn staff_preview_equals_each_users_own_list_and_viewers_name_exactly_the_right_users() {
    let app = TestApp::spawn().await;
    let world = build_world(&app).await;
    let clients = sign_in_all(&app, &world).await;

    for (key, expected) in SIGNED_IN {
        let own = clients[key].shipments(&ListQuery::paged(2)).await;
        let preview = app.preview_shipments(&world.user(key).id, &ListQuery::paged(2)).await;
        assert_eq!(preview, own, "staff preview of {key} differs from {key}'s own list");
        assert_eq!(id_set(&preview), world.ids(expected), "preview of {key}");
        let whole = app.get(&format!("/api/v1/tracking-users/{}/preview/shipments", world.user(key).id)).await;
        world.assert_clean(&format!("preview of {key}"), &whole);
    }
    for key in LOCKED_OUT {
        let preview = app.preview_shipments(&world.user(key).id, &ListQuery::default()).await;
        assert!(preview.is_empty(), "{key} may not sign in, so sees nothing: {preview:?}");
    }

    for (ship_key, viewer_keys) in VIEWERS {
        let ship = world.ship(ship_key);
        let viewers = app.viewers(&ship.id).await;
        let listed: BTreeSet<String> =
            viewers.iter().filter_map(|v| v["tracking_user_id"].as_str()).map(str::to_owned).collect();
        let expected: BTreeSet<String> = viewer_keys.iter().map(|k| world.user(k).id.clone()).collect();
        assert_eq!(listed, expected, "viewers of {ship_key}: {viewers:?}");
        assert_eq!(viewers.len(), expected.len(), "each viewer once: {viewers:?}");
        for viewer in &viewers {
            let Some((_, user)) = world.users.iter().find(|(_, u)| viewer["tracking_user_id"] == u.id.as_str()) else {
                panic!("unknown viewer {viewer}")
            };
            assert_eq!(viewer["user_id"], user.login.as_str(), "{viewer}");
            assert!(viewer["role"].is_string() && viewer["organization_id"].is_string(), "{viewer}");
            assert!(viewer["reason"].as_str().is_some_and(|r| !r.is_empty()), "{viewer}");
        }
    }
}

#[tokio::test]
async fn locked_out_users_cannot_sign_in_with_the_right_password() {
    let app = TestApp::spawn().await;
    let world = build_world(&app).await;
    let unknown = app.portal_client().sign_in("nobody.user", PASSWORD).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED, "{}", unknown.text);
    for key in LOCKED_OUT {
        let user = world.user(key);
        for login in [&user.login, &user.email] {
            let client = app.portal_client();
            let reply = client.sign_in(login, PASSWORD).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{key} signing in as {login}: {}", reply.text);
            assert_eq!(reply.text, unknown.text, "{key}'s refusal must read like an unknown user's");
            assert!(client.session_cookie().is_none(), "{key} got a session cookie");
        }
    }
}

#[tokio::test]
async fn disabling_a_user_ends_their_session_at_once() {
    let app = TestApp::spawn().await;
    let world = build_world(&app).await;
    let alpha = world.user("alpha");
    let client = app.signed_in(&alpha.login, PASSWORD).await;
    let other = app.signed_in(&world.user("beta").login, PASSWORD).await;
    let before = client.shipments(&ListQuery::default()).await;
    assert_eq!(id_set(&before), world.ids(&["S1", "S3", "S8"]));

    app.disable_tracking_user(&alpha.id).await;

    let list = client.shipments_page(&ListQuery::default()).await;
    assert_eq!(list.status, StatusCode::UNAUTHORIZED, "the disabled user's list: {}", list.text);
    let detail = client.shipment(&world.ship("S1").id).await;
    assert_eq!(detail.status, StatusCode::UNAUTHORIZED, "the disabled user's detail: {}", detail.text);
    let again = app.portal_client().sign_in(&alpha.login, PASSWORD).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.text);
    assert!(app.preview_shipments(&alpha.id, &ListQuery::default()).await.is_empty());
    assert!(app.viewers(&world.ship("S3").id).await.is_empty(), "S3 had only the disabled user as viewer");

    let unaffected = other.shipments(&ListQuery::default()).await;
    assert_eq!(id_set(&unaffected), world.ids(&["S2", "S7", "S9"]), "other users keep their sessions");
}

#[tokio::test]
async fn the_portal_pages_show_each_user_only_their_shipments_and_nothing_internal() {
    let app = TestApp::spawn().await;
    let world = build_world(&app).await;
    let clients = sign_in_all(&app, &world).await;

    for (key, expected) in SIGNED_IN {
        let client = &clients[key];
        let list = client.get("/portal/shipments").await;
        assert_eq!(list.status, StatusCode::OK, "{key}'s list page: {}", list.text);
        world.assert_clean(&format!("{key}'s list page"), &list);
        let missing = client.get(&format!("/portal/shipments/{MISSING_SHIPMENT_ID}")).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
        for ship in &world.ships {
            let listed = list.text.contains(ship.reference.as_str());
            assert_eq!(listed, expected.contains(&ship.key), "{key}'s list page and {}", ship.reference);
            let page = client.get(&format!("/portal/shipments/{}", ship.id)).await;
            world.assert_clean(&format!("{key}'s page of {}", ship.key), &page);
            if expected.contains(&ship.key) {
                assert_eq!(page.status, StatusCode::OK, "{key} opens {}: {}", ship.key, page.text);
                assert!(page.text.contains(ship.reference.as_str()), "{}", page.text);
            } else {
                assert_eq!(page.status, StatusCode::NOT_FOUND, "{key} must not open {}", ship.key);
                assert_eq!(
                    without_csrf_tokens(&page.text),
                    without_csrf_tokens(&missing.text),
                    "{key}: {}'s page differs from a missing one",
                    ship.key
                );
            }
        }
    }
}
