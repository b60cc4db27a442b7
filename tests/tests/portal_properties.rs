//! The visibility rule as a property of the running system: random worlds
//! of organizations, masters, shipments and tracking users are built
//! through the real staff API of one server, and every user's answers —
//! list, detail, staff preview, viewers — must equal
//! `porthole_domain::visible_to` evaluated over the same world in memory.
//! No answer may ever carry an internal note, a buy-side charge or an
//! unpublished event.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use porthole_domain::{
    DisplaySettings, Email, NotificationPreferences, Organization, OrganizationId, ShipmentAudience, Status,
    TrackingRole, TrackingUser, TrackingUserId, UserId, UserState, may_sign_in, visible_to,
};
use porthole_e2e::portal::{ListQuery, MISSING_SHIPMENT_ID, ids_of};
use porthole_e2e::staff::{shipment_body, tracking_user_body};
use porthole_e2e::{Reply, TestApp};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ORGANIZATIONS: usize = 6;
const MASTERS: usize = 3;
const SHIPMENTS: usize = 12;
const USERS: usize = 8;
const CASES: u32 = 7;
const PASSWORD: &str = "harbour-lights-42";

/// Each world gets its own codes, references and logins on the shared
/// server; shrinking re-runs a case, so the counter never repeats.
static NEXT_WORLD: AtomicUsize = AtomicUsize::new(0);
/// (signed-in user, shipment) pairs answered 200 and 404, over all cases:
/// a run where either stays zero proved nothing.
static OPENED: AtomicUsize = AtomicUsize::new(0);
static REFUSED: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Confirmation {
    None,
    Published,
    Unpublished,
}

#[derive(Debug, Clone)]
struct ShipmentPlan {
    customer: usize,
    shipper: Option<usize>,
    consignee: Option<usize>,
    master: Option<usize>,
    has_hbl: bool,
    status: Status,
    /// An actual CONF event: published ones move a draft to Confirmed
    /// for viewers, unpublished ones must not.
    confirmation: Confirmation,
}

#[derive(Debug, Clone)]
struct UserPlan {
    role: TrackingRole,
    organizations: BTreeSet<usize>,
    agent_customers: BTreeSet<usize>,
    state: UserState,
}

#[derive(Debug, Clone)]
struct WorldPlan {
    portal_enabled: Vec<bool>,
    master_agents: Vec<Option<usize>>,
    shipments: Vec<ShipmentPlan>,
    users: Vec<UserPlan>,
    page_size: u32,
}

fn shipment_plan() -> impl Strategy<Value = ShipmentPlan> {
    (
        0..ORGANIZATIONS,
        prop::option::weighted(0.6, 0..ORGANIZATIONS),
        prop::option::weighted(0.6, 0..ORGANIZATIONS),
        prop::option::weighted(0.75, 0..MASTERS),
        prop::bool::weighted(0.85),
        prop::sample::select(Status::ALL.to_vec()),
        prop::sample::select(vec![Confirmation::None, Confirmation::Published, Confirmation::Unpublished]),
    )
        .prop_map(|(customer, shipper, consignee, master, has_hbl, status, confirmation)| ShipmentPlan {
            customer,
            shipper,
            consignee,
            master,
            has_hbl,
            status,
            confirmation,
        })
}

fn user_plan() -> impl Strategy<Value = UserPlan> {
    (
        prop::sample::select(TrackingRole::ALL.to_vec()),
        prop::collection::btree_set(0..ORGANIZATIONS, 1..=2),
        prop::collection::btree_set(0..ORGANIZATIONS, 0..=3),
        prop_oneof![6 => Just(UserState::Active), 1 => Just(UserState::Invited), 1 => Just(UserState::Disabled)],
    )
        .prop_map(|(role, organizations, agent_customers, state)| UserPlan {
            role,
            organizations,
            // Only overseas agents have agent customers.
            agent_customers: if role == TrackingRole::OverseasAgent { agent_customers } else { BTreeSet::new() },
            state,
        })
}

fn world_plan() -> impl Strategy<Value = WorldPlan> {
    (
        prop::collection::vec(prop::bool::weighted(0.8), ORGANIZATIONS),
        prop::collection::vec(prop::option::weighted(0.85, 0..ORGANIZATIONS), MASTERS),
        prop::collection::vec(shipment_plan(), SHIPMENTS),
        prop::collection::vec(user_plan(), USERS),
        1..=5u32,
    )
        .prop_map(|(portal_enabled, master_agents, shipments, users, page_size)| WorldPlan {
            portal_enabled,
            master_agents,
            shipments,
            users,
            page_size,
        })
}

/// A shipment as created, with what the rule needs to know of it.
#[derive(Debug)]
struct BuiltShipment {
    id: String,
    reference: String,
    audience: ShipmentAudience,
}

#[derive(Debug)]
struct BuiltUser {
    login: String,
    user: TrackingUser,
}

#[derive(Debug)]
struct BuiltWorld {
    organizations: Vec<Organization>,
    shipments: Vec<BuiltShipment>,
    users: Vec<BuiltUser>,
    markers: Vec<String>,
}

impl BuiltWorld {
    fn visible(&self, user: &TrackingUser) -> BTreeSet<String> {
        self.shipments
            .iter()
            .filter(|s| visible_to(user, &self.organizations, &s.audience).is_some())
            .map(|s| s.id.clone())
            .collect()
    }

    fn assert_clean(&self, what: &str, reply: &Reply) {
        for marker in &self.markers {
            assert!(!reply.text.contains(marker.as_str()), "{what} leaks '{marker}': {}", reply.text);
        }
    }
}

fn events(world: usize, index: usize, confirmation: Confirmation, markers: &[String; 3]) -> Value {
    let mut events = vec![
        json!({
            "event_id": format!("w{world}-s{index}-gtin"), "event_type": "EQUIPMENT", "event_code": "GTIN",
            "classifier": "ACT", "event_time": "2025-05-08T14:20:00+07:00",
            "location": { "unlocode": "VNSGN", "name": "Cat Lai" }, "published": true
        }),
        json!({
            "event_id": markers[2], "event_type": "EQUIPMENT", "event_code": "INSP", "classifier": "ACT",
            "event_time": "2025-05-09T10:00:00+07:00", "location": { "unlocode": "VNSGN", "name": "Cat Lai" },
            "remark": markers[2], "published": false
        }),
    ];
    if confirmation != Confirmation::None {
        events.push(json!({
            "event_id": format!("w{world}-s{index}-conf"), "event_type": "SHIPMENT", "event_code": "CONF",
            "classifier": "ACT", "event_time": "2025-05-02T09:00:00+07:00",
            "published": confirmation == Confirmation::Published
        }));
    }
    Value::Array(events)
}

/// Creates the world through the staff API and mirrors it in domain types.
async fn build(app: &TestApp, plan: &WorldPlan) -> BuiltWorld {
    let world = NEXT_WORLD.fetch_add(1, Ordering::Relaxed);
    let mut organizations = Vec::new();
    for (i, &portal_enabled) in plan.portal_enabled.iter().enumerate() {
        let code = format!("W{world}ORG{i}");
        let name = format!("World {world} Partner {i}");
        let id = app.create_organization(&code, &name, portal_enabled).await;
        organizations.push(Organization {
            id: OrganizationId::new(id),
            code,
            name,
            portal_enabled,
            show_charges: false,
        });
    }
    let org_id = |i: usize| organizations[i].id.clone();

    let mut masters = Vec::new();
    for (i, agent) in plan.master_agents.iter().enumerate() {
        let agent_id = agent.map(|a| org_id(a).into_string());
        masters.push(app.create_master(&format!("W{world}MBL{i}"), agent_id.as_deref()).await);
    }

    let mut shipments = Vec::new();
    let mut markers = Vec::new();
    for (i, ship) in plan.shipments.iter().enumerate() {
        let reference = format!("W{world}/SHP/{i:03}");
        let marker =
            [format!("W{world}-S{i}-INTERNAL-q7"), format!("W{world}-S{i}-BUY-q7"), format!("w{world}-s{i}-unpub-q7")];
        let mut body = shipment_body(&reference, org_id(ship.customer).as_str());
        body["status"] = json!(ship.status.as_str());
        if ship.has_hbl {
            body["hbl_no"] = json!(format!("W{world}HBL{i:03}"));
        }
        body["master_id"] = json!(ship.master.map(|m| masters[m].clone()));
        body["shipper_id"] = json!(ship.shipper.map(|o| org_id(o).into_string()));
        body["consignee_id"] = json!(ship.consignee.map(|o| org_id(o).into_string()));
        body["internal_note"] = json!(marker[0]);
        body["charges"] = json!([
            { "side": "sell", "description": "Ocean freight", "amount_minor": 100000, "currency": "USD" },
            { "side": "buy", "description": marker[1], "amount_minor": 90000, "currency": "USD" },
        ]);
        let id = app.upsert_shipment(&body).await;
        app.add_events(&id, events(world, i, ship.confirmation, &marker)).await;
        let status = match ship.confirmation {
            Confirmation::Published => ship.status.furthest(Status::Confirmed),
            Confirmation::None | Confirmation::Unpublished => ship.status,
        };
        let audience = ShipmentAudience {
            status,
            has_hbl: ship.has_hbl,
            customer_id: org_id(ship.customer),
            shipper_id: ship.shipper.map(org_id),
            consignee_id: ship.consignee.map(org_id),
            overseas_agent_id: ship.master.and_then(|m| plan.master_agents[m]).map(org_id),
        };
        markers.extend(marker);
        shipments.push(BuiltShipment { id, reference, audience });
    }

    let mut users = Vec::new();
    for (i, planned) in plan.users.iter().enumerate() {
        let login = format!("w{world}.user{i}");
        let email = format!("w{world}.user{i}@example.com");
        let org_ids: Vec<String> = planned.organizations.iter().map(|&o| org_id(o).into_string()).collect();
        let org_refs: Vec<&str> = org_ids.iter().map(String::as_str).collect();
        let mut body = tracking_user_body(&login, &email, planned.role.as_str(), &org_refs);
        if planned.role == TrackingRole::OverseasAgent {
            let customers: Vec<String> = planned.agent_customers.iter().map(|&o| org_id(o).into_string()).collect();
            body["agent_customer_ids"] = json!(customers);
        }
        let id = if planned.state == UserState::Invited {
            app.create_tracking_user(&body).await
        } else {
            app.create_active_user(&body, PASSWORD).await
        };
        if planned.state == UserState::Disabled {
            app.disable_tracking_user(&id).await;
        }
        let user = TrackingUser {
            id: TrackingUserId::new(id),
            user_id: UserId::parse(&login).unwrap_or_else(|e| panic!("user id {login}: {e:?}")),
            first_name: "Test".to_owned(),
            last_name: Some(login.clone()),
            email: Email::parse(&email).unwrap_or_else(|e| panic!("e-mail {email}: {e:?}")),
            additional_emails: Vec::new(),
            role: planned.role,
            organization_ids: planned.organizations.iter().map(|&o| org_id(o)).collect(),
            agent_customer_ids: planned.agent_customers.iter().map(|&o| org_id(o)).collect(),
            notifications: NotificationPreferences::default(),
            display: DisplaySettings::default(),
            state: planned.state,
        };
        users.push(BuiltUser { login, user });
    }
    BuiltWorld { organizations, shipments, users, markers }
}

/// Every answer of the world compared with the rule.
async fn check(app: &TestApp, plan: &WorldPlan) {
    let world = build(app, plan).await;
    let paged = ListQuery::paged(plan.page_size);

    for built in &world.users {
        let user = &built.user;
        let expected = world.visible(user);
        let who = format!("{} ({:?}, {:?})", built.login, user.role, user.state);

        let preview = app.preview_shipments(user.id.as_str(), &paged).await;
        assert_eq!(ids_of(&preview).into_iter().collect::<BTreeSet<_>>(), expected, "staff preview of {who}");

        let client = app.portal_client();
        let signed_in = client.sign_in(&built.login, PASSWORD).await;
        world.assert_clean(&format!("sign-in of {who}"), &signed_in);
        if user.state != UserState::Active || !may_sign_in(user, &world.organizations) {
            assert_eq!(signed_in.status, StatusCode::UNAUTHORIZED, "{who} must not sign in: {}", signed_in.text);
            assert!(expected.is_empty(), "the rule shows nothing to someone who cannot sign in");
            continue;
        }
        assert_eq!(signed_in.status, StatusCode::OK, "{who} signs in: {}", signed_in.text);

        let list = client.shipments(&paged).await;
        assert_eq!(ids_of(&list).into_iter().collect::<BTreeSet<_>>(), expected, "list of {who}");
        assert_eq!(list, preview, "the preview of {who} equals their own list");
        let first_page = client.shipments_page(&ListQuery::default()).await;
        world.assert_clean(&format!("list of {who}"), &first_page);

        let missing = client.shipment(MISSING_SHIPMENT_ID).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
        for ship in &world.shipments {
            let detail = client.shipment(&ship.id).await;
            world.assert_clean(&format!("{who}'s detail of {}", ship.reference), &detail);
            if expected.contains(&ship.id) {
                assert_eq!(detail.status, StatusCode::OK, "{who} opens {}: {}", ship.reference, detail.text);
                assert_eq!(detail.body["reference"], ship.reference.as_str(), "{}", detail.text);
                assert_eq!(detail.body["status"], ship.audience.status.as_str(), "{who}: {}", detail.text);
                OPENED.fetch_add(1, Ordering::Relaxed);
            } else {
                assert_eq!(detail.status, missing.status, "{who} must not open {}: {}", ship.reference, detail.text);
                assert_eq!(detail.text, missing.text, "{who}: {} must look missing", ship.reference);
                REFUSED.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    for ship in &world.shipments {
        let viewers = app.viewers(&ship.id).await;
        let listed: BTreeMap<String, Value> = viewers
            .iter()
            .map(|v| (v["tracking_user_id"].as_str().unwrap_or_default().to_owned(), v.clone()))
            .collect();
        let expected: BTreeMap<String, &str> = world
            .users
            .iter()
            .filter(|b| visible_to(&b.user, &world.organizations, &ship.audience).is_some())
            .map(|b| (b.user.id.as_str().to_owned(), b.user.role.as_str()))
            .collect();
        assert_eq!(
            listed.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "viewers of {}: {viewers:?}",
            ship.reference
        );
        assert_eq!(viewers.len(), expected.len(), "each viewer once: {viewers:?}");
        for (id, role) in &expected {
            assert_eq!(listed[id]["role"], *role, "{viewers:?}");
            let organization = listed[id]["organization_id"].as_str().unwrap_or_default();
            // The reason holds on its own: through that one organization,
            // the rule shows the user this shipment.
            let reason_holds = world.users.iter().find(|b| b.user.id.as_str() == id).is_some_and(|b| {
                let mut through_one = b.user.clone();
                through_one.organization_ids.retain(|o| o.as_str() == organization);
                visible_to(&through_one, &world.organizations, &ship.audience).is_some()
            });
            assert!(reason_holds, "viewer {id} of {} names organization {organization}", ship.reference);
        }
    }
}

#[test]
fn every_users_answers_follow_the_visibility_rule_in_random_worlds() {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => panic!("cannot start a runtime: {error}"),
    };
    let app = runtime.block_on(TestApp::spawn());
    let config = Config {
        cases: CASES,
        // Every shrinking step builds another world over HTTP.
        max_shrink_iters: 24,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let outcome = runner.run(&world_plan(), |plan| {
        runtime.block_on(check(&app, &plan));
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    drop(app);
    let (opened, refused) = (OPENED.load(Ordering::Relaxed), REFUSED.load(Ordering::Relaxed));
    assert!(opened > 0 && refused > 0, "the worlds exercised too little: {opened} opened, {refused} refused");
}
