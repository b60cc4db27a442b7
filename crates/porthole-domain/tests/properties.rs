//! Properties of the visibility, projection and milestone rules over random
//! organizations, users, shipments and events.

mod support;

use std::collections::BTreeSet;

use porthole_domain::projection::reason_for;
use porthole_domain::{
    Audience, ChargeSide, Classifier, EventCode, Location, MilestoneState, Organization, OrganizationId, ShareSections,
    ShipmentRecord, ShipmentSummary, Status, TrackingEvent, TrackingRole, TrackingUser, UserState, list_item_for,
    may_sign_in, project_for_link, project_for_user, scope_of, visible_to,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use support::*;

/// The rules written again from the SPEC text, independently of the crate.
mod oracle {
    use super::*;

    /// SPEC §3. Returns the organization through which `user` sees the
    /// shipment, or `None`.
    ///
    /// Clause 1 looks at the status viewers are shown, which the milestone
    /// derivation gives; [`viewer_events`] and [`status`] below check that
    /// derivation on their own.
    pub fn seen_through(user: &TrackingUser, orgs: &[Organization], record: &ShipmentRecord) -> Option<OrganizationId> {
        let shipment = &record.shipment;
        let active = user.state == UserState::Active;
        let has_hbl = shipment.hbl_no.as_deref().map(str::trim).is_some_and(|hbl| !hbl.is_empty());
        let draft = record.viewer_state().status == Status::Draft;
        if !active || !has_hbl || draft {
            return None;
        }
        // The one party the user's role looks at.
        let party = match user.role {
            TrackingRole::Customer => Some(&shipment.customer_id),
            TrackingRole::Shipper => shipment.shipper_id.as_ref(),
            TrackingRole::Consignee => shipment.consignee_id.as_ref(),
            TrackingRole::OverseasAgent => {
                let on_list = user.agent_customer_ids.contains(&shipment.customer_id);
                record.master.as_ref().and_then(|m| m.overseas_agent_id.as_ref()).filter(|_| on_list)
            }
        }?;
        let enabled: BTreeSet<&OrganizationId> = orgs.iter().filter(|o| o.portal_enabled).map(|o| &o.id).collect();
        (user.organization_ids.contains(party) && enabled.contains(party)).then(|| party.clone())
    }

    /// The events an audience goes by: those it may see, less those a
    /// correction it may see retracts.
    pub fn effective(events: &[TrackingEvent], audience: Audience) -> Vec<&TrackingEvent> {
        let seen: Vec<&TrackingEvent> = events.iter().filter(|e| audience == Audience::Staff || e.published).collect();
        seen.iter()
            .copied()
            .filter(|e| !seen.iter().any(|fix| fix.retracts.as_deref() == Some(e.event_id.as_str())))
            .collect()
    }

    pub fn viewer_events(events: &[TrackingEvent]) -> Vec<&TrackingEvent> {
        effective(events, Audience::Viewer)
    }

    /// The newest by recorded time, ties by `event_id`.
    pub fn newest<'a>(events: impl Iterator<Item = &'a TrackingEvent>) -> Option<&'a TrackingEvent> {
        events.fold(None, |best: Option<&TrackingEvent>, e| match best {
            Some(b) if (b.recorded_at, &b.event_id) >= (e.recorded_at, &e.event_id) => Some(b),
            _ => Some(e),
        })
    }

    /// SPEC §2: CONF confirms; LOAD or an actual DEPA at the POL puts it in
    /// transit (PICU, the road and air pick-up, too); delivery (DLVD, or its
    /// proof PODC) makes it done; CANC cancels, and cancelled is terminal.
    /// The status staff set is the starting point.
    pub fn status(record: &ShipmentRecord, audience: Audience) -> Status {
        let rank = |s: Status| match s {
            Status::Draft => 0,
            Status::Confirmed => 1,
            Status::InTransit => 2,
            Status::Done => 3,
            Status::Cancelled => 4,
        };
        let shipment = &record.shipment;
        let proven = effective(&record.events, audience)
            .into_iter()
            .filter(|e| e.classifier == Classifier::Act)
            .filter_map(|e| match e.code {
                EventCode::Conf => Some(Status::Confirmed),
                EventCode::Load | EventCode::Picu => Some(Status::InTransit),
                EventCode::Depa if e.location.as_ref().is_some_and(|l| l.unlocode == shipment.pol.unlocode) => {
                    Some(Status::InTransit)
                }
                EventCode::Dlvd | EventCode::Podc => Some(Status::Done),
                EventCode::Canc => Some(Status::Cancelled),
                _ => None,
            });
        std::iter::once(shipment.status).chain(proven).max_by_key(|s| rank(*s)).unwrap_or(shipment.status)
    }
}

fn org<'a>(orgs: &'a [Organization], id: &OrganizationId) -> Option<&'a Organization> {
    orgs.iter().find(|o| &o.id == id)
}

// ---------------------------------------------------------------------------
// Visibility
// ---------------------------------------------------------------------------

proptest! {
    #[test]
    fn visibility_equals_the_spec_oracle_for_every_user_and_shipment(world in arb_world()) {
        for user in &world.users {
            for record in &world.records {
                let expected = oracle::seen_through(user, &world.orgs, record);
                let reason = reason_for(user, &world.orgs, record);
                prop_assert_eq!(
                    reason.as_ref().map(|r| &r.organization_id),
                    expected.as_ref(),
                    "user {:?} shipment {:?}", user, record.shipment.id
                );
                if let Some(reason) = &reason {
                    prop_assert_eq!(reason.role, user.role);
                }
                prop_assert_eq!(visible_to(user, &world.orgs, &record.audience()).is_some(), expected.is_some());
                prop_assert_eq!(project_for_user(user, &world.orgs, record).is_some(), expected.is_some());
            }
        }
    }

    #[test]
    fn the_storage_scope_admits_exactly_the_visible_shipments(world in arb_world()) {
        for user in &world.users {
            let scope = scope_of(user, &world.orgs);
            for record in &world.records {
                let expected = oracle::seen_through(user, &world.orgs, record).is_some();
                prop_assert_eq!(scope.admits(&record.audience()), expected, "user {:?} shipment {:?}", user, record.shipment.id);
            }
        }
    }

    #[test]
    fn list_rows_exist_exactly_for_visible_shipments_and_agree_with_the_detail(world in arb_world()) {
        for user in &world.users {
            for record in &world.records {
                let state = record.viewer_state();
                let summary = ShipmentSummary {
                    id: record.shipment.id.clone(),
                    reference: record.shipment.reference.clone(),
                    hbl_no: record.shipment.hbl_no.clone().unwrap_or_default(),
                    pol: record.shipment.pol.clone(),
                    pod: record.shipment.pod.clone(),
                    dates: porthole_domain::projection::Dates { etd: state.etd, eta: state.eta, atd: state.atd, ata: state.ata },
                    audience: record.audience(),
                };
                let row = list_item_for(user, &world.orgs, &summary);
                let detail = project_for_user(user, &world.orgs, record);
                prop_assert_eq!(row.is_some(), oracle::seen_through(user, &world.orgs, record).is_some());
                prop_assert_eq!(row, detail.map(|d| d.list_item()));
            }
        }
    }

    #[test]
    fn only_active_users_of_an_enabled_organization_may_sign_in(world in arb_world()) {
        for user in &world.users {
            let expected = user.state == UserState::Active
                && world.orgs.iter().any(|o| o.portal_enabled && user.organization_ids.contains(&o.id));
            prop_assert_eq!(may_sign_in(user, &world.orgs), expected);
        }
    }

    #[test]
    fn visibility_ignores_organizations_the_user_is_not_in(world in arb_world()) {
        for user in &world.users {
            let own: Vec<Organization> =
                world.orgs.iter().filter(|o| user.organization_ids.contains(&o.id)).cloned().collect();
            for record in &world.records {
                prop_assert_eq!(reason_for(user, &world.orgs, record), reason_for(user, &own, record));
            }
        }
    }

    #[test]
    fn portal_fields_follow_display_settings_role_and_charges_switch(world in arb_world()) {
        for user in &world.users {
            for record in &world.records {
                let Some(view) = project_for_user(user, &world.orgs, record) else { continue };
                let shipment = &record.shipment;
                prop_assert_eq!(view.mbl_no.is_some(), user.display.mbl_number && record.master.is_some());
                let shows_shipper = user.display.shipper_info || user.role == TrackingRole::Shipper;
                prop_assert_eq!(view.shipper.is_some(), shows_shipper && record.shipper.is_some());
                prop_assert_eq!(view.documents.is_some(), user.display.doc_center);
                if let Some(documents) = &view.documents {
                    let published = shipment.documents.iter().filter(|d| d.published).count();
                    prop_assert_eq!(documents.len(), published);
                }
                let customer_shows_charges =
                    org(&world.orgs, &shipment.customer_id).is_some_and(|o| o.show_charges);
                prop_assert_eq!(
                    view.charges.is_some(),
                    user.role == TrackingRole::Customer && customer_shows_charges
                );
                if let Some(charges) = &view.charges {
                    let sell = shipment.charges.iter().filter(|c| c.side == ChargeSide::Sell).count();
                    prop_assert_eq!(charges.len(), sell);
                    prop_assert!(charges.iter().all(|c| c.description.starts_with("SELLRATE-")));
                }
                prop_assert_eq!(view.status, oracle::status(record, Audience::Viewer));
            }
        }
    }
}

/// Guards the property above against a generator that never (or always)
/// makes anything visible.
#[test]
fn the_world_generator_produces_visible_and_hidden_pairs_for_every_role() {
    let mut runner = TestRunner::deterministic();
    let strategy = arb_world();
    let mut visible = BTreeSet::new();
    let mut hidden = BTreeSet::new();
    for _ in 0..300 {
        let world = strategy.new_tree(&mut runner).expect("generates").current();
        for user in &world.users {
            for record in &world.records {
                if oracle::seen_through(user, &world.orgs, record).is_some() {
                    visible.insert(user.role);
                } else {
                    hidden.insert(user.role);
                }
            }
        }
    }
    assert_eq!(visible.len(), 4, "roles seen visible: {visible:?}");
    assert_eq!(hidden.len(), 4, "roles seen hidden: {hidden:?}");
}

// ---------------------------------------------------------------------------
// Projections never leak
// ---------------------------------------------------------------------------

const SECRETS: [&str; 4] = ["INTERNAL-", "BUYRATE-", "UNPUBLISHED-", "HIDDENDOC-"];

fn assert_no_secrets(text: &str) -> Result<(), TestCaseError> {
    for secret in SECRETS {
        prop_assert!(!text.contains(secret), "{} leaked into {}", secret, text);
    }
    Ok(())
}

/// The published remarks of `record`, quoted as `{:?}` writes them.
fn published_remarks(record: &ShipmentRecord) -> Vec<String> {
    record.events.iter().filter(|e| e.published).filter_map(|e| e.remark.as_ref()).map(|r| format!("{r:?}")).collect()
}

proptest! {
    #[test]
    fn projections_never_show_internal_notes_buy_charges_or_unpublished_events(
        pool in arb_org_pool(),
        spec in arb_shipment_spec(),
        users in arb_users(),
    ) {
        // A customer allowed everything: the widest view there is.
        let mut spec = spec;
        spec.hbl = Hbl::Present;
        if spec.status == Status::Draft {
            spec.status = Status::Confirmed;
        }
        let mut orgs = pool;
        set_org(&mut orgs, spec.customer, true, true);
        let record = spec.build(7, &orgs);
        let mut widest = user(99, TrackingRole::Customer, &[spec.customer]);
        widest.display = show_everything();

        let view = project_for_user(&widest, &orgs, &record);
        prop_assert!(view.is_some(), "the customer must see the shipment");
        let text = format!("{view:?}");
        assert_no_secrets(&text)?;
        prop_assert!(text.contains("\"NOTE-7\""));
        prop_assert!(text.contains("\"HBL-7\""));
        prop_assert!(text.contains("\"CARGO-7\""));
        for remark in published_remarks(&record) {
            prop_assert!(text.contains(&remark), "published {} missing", remark);
        }
        for charge in record.shipment.charges.iter().filter(|c| c.side == ChargeSide::Sell) {
            let quoted = format!("{:?}", charge.description);
            prop_assert!(text.contains(&quoted), "sell charge {} missing", quoted);
        }
        for document in record.shipment.documents.iter().filter(|d| d.published) {
            let quoted = format!("{:?}", document.name);
            prop_assert!(text.contains(&quoted), "document {} missing", quoted);
        }
        if let Some(master) = &record.master {
            let quoted = format!("{:?}", master.mbl_no);
            prop_assert!(text.contains(&quoted), "MBL number {} missing", quoted);
        }

        let link = project_for_link(&record, ShareSections { containers: true, cargo: true, documents: true });
        let text = format!("{link:?}");
        assert_no_secrets(&text)?;
        prop_assert!(!text.contains("SELLRATE-"), "a share link never shows charges");
        prop_assert!(text.contains("\"NOTE-7\""));
        prop_assert!(text.contains("\"CARGO-7\""));
        prop_assert!(text.contains("CSQU3054383"));
        for remark in published_remarks(&record) {
            prop_assert!(text.contains(&remark), "published {} missing", remark);
        }
        for document in record.shipment.documents.iter().filter(|d| d.published) {
            let quoted = format!("{:?}", document.name);
            prop_assert!(text.contains(&quoted), "document {} missing", quoted);
        }

        // Whoever else sees it sees no more.
        for other in &users {
            if let Some(view) = project_for_user(other, &orgs, &record) {
                assert_no_secrets(&format!("{view:?}"))?;
            }
        }
    }

    #[test]
    fn what_viewers_see_is_what_staff_see_of_the_published_events(spec in arb_shipment_spec()) {
        let record = spec.build(1, &organizations(POOL));
        let published: Vec<TrackingEvent> = record.events.iter().filter(|e| e.published).cloned().collect();
        prop_assert_eq!(
            MilestoneState::derive(&record.shipment, &record.events, Audience::Viewer),
            MilestoneState::derive(&record.shipment, &published, Audience::Staff)
        );
    }
}

// ---------------------------------------------------------------------------
// Milestones
// ---------------------------------------------------------------------------

/// A shipment, its events (general or transport-heavy), and the same events
/// in another order.
fn spec_and_shuffled_events() -> impl Strategy<Value = (ShipmentSpec, Vec<TrackingEvent>)> {
    let events = prop_oneof![arb_events(10), arb_events_from(TRANSPORT_CODES, 12)];
    (arb_shipment_spec(), events).prop_flat_map(|(spec, events)| {
        let spec = ShipmentSpec { events, ..spec };
        let events = spec.events.clone();
        (Just(spec), Just(events).prop_shuffle())
    })
}

fn at_port<'a>(
    events: &[&'a TrackingEvent],
    code: EventCode,
    port: &Location,
) -> impl Iterator<Item = &'a TrackingEvent> {
    let matching: Vec<&'a TrackingEvent> = events
        .iter()
        .copied()
        .filter(|e| e.code == code && e.location.as_ref().is_some_and(|l| l.unlocode == port.unlocode))
        .collect();
    matching.into_iter()
}

proptest! {
    #[test]
    fn arrival_order_never_changes_the_milestone_state((spec, shuffled) in spec_and_shuffled_events()) {
        let orgs = organizations(POOL);
        let record = spec.build(1, &orgs);
        for audience in [Audience::Staff, Audience::Viewer] {
            prop_assert_eq!(
                MilestoneState::derive(&record.shipment, &record.events, audience),
                MilestoneState::derive(&record.shipment, &shuffled, audience),
                "{:?}", audience
            );
        }
        let sections = ShareSections { containers: true, cargo: true, documents: true };
        let reordered = ShipmentRecord { events: shuffled, ..record.clone() };
        prop_assert_eq!(project_for_link(&record, sections), project_for_link(&reordered, sections));
    }

    #[test]
    fn the_derived_status_follows_the_spec(spec in arb_shipment_spec()) {
        let record = spec.build(1, &organizations(POOL));
        prop_assert_eq!(record.staff_state().status, oracle::status(&record, Audience::Staff));
        prop_assert_eq!(record.viewer_state().status, oracle::status(&record, Audience::Viewer));
    }

    #[test]
    fn an_extra_event_never_moves_the_status_backwards(
        spec in arb_shipment_spec(),
        late in arb_event_parts(-10..6),
    ) {
        let record = spec.build(1, &organizations(POOL));
        let late = build_event("ev-late".to_owned(), "late", late, None);
        let mut more = record.events.clone();
        more.push(late);
        for audience in [Audience::Staff, Audience::Viewer] {
            let before = MilestoneState::derive(&record.shipment, &record.events, audience).status;
            let after = MilestoneState::derive(&record.shipment, &more, audience).status;
            prop_assert_eq!(before.furthest(after), after, "{:?}: {:?} went to {:?}", audience, before, after);
            prop_assert_eq!(record.shipment.status.furthest(after), after, "below the status staff set");
        }
    }

    #[test]
    fn dates_come_from_the_newest_estimate_and_the_actual_at_each_port(
        spec in arb_shipment_spec(),
        transport_events in arb_events_from(TRANSPORT_CODES, 12),
    ) {
        let spec = ShipmentSpec { events: transport_events, ..spec };
        let record = spec.build(1, &organizations(POOL));
        let shipment = &record.shipment;
        for audience in [Audience::Staff, Audience::Viewer] {
            let events = oracle::effective(&record.events, audience);
            let at_port = |code, port| at_port(&events, code, port);
            let estimate = |e: &&TrackingEvent| e.classifier != Classifier::Act;
            let actual = |e: &&TrackingEvent| e.classifier == Classifier::Act;

            let expected_eta = oracle::newest(at_port(EventCode::Arri, &shipment.pod).filter(estimate))
                .map(|e| e.event_time)
                .or(shipment.planned_eta);
            let expected_ata = oracle::newest(at_port(EventCode::Arri, &shipment.pod).filter(actual)).map(|e| e.event_time);
            let expected_etd = oracle::newest(at_port(EventCode::Depa, &shipment.pol).filter(estimate))
                .map(|e| e.event_time)
                .or(shipment.planned_etd);
            let expected_atd = oracle::newest(at_port(EventCode::Depa, &shipment.pol).filter(actual)).map(|e| e.event_time);

            let state = MilestoneState::derive(shipment, &record.events, audience);
            prop_assert_eq!(state.eta, expected_eta, "{:?} eta", audience);
            prop_assert_eq!(state.ata, expected_ata, "{:?} ata", audience);
            prop_assert_eq!(state.etd, expected_etd, "{:?} etd", audience);
            prop_assert_eq!(state.atd, expected_atd, "{:?} atd", audience);

            // The history ends at the current ETA and each step starts where
            // the previous one ended.
            if let Some(last) = state.eta_history.last() {
                prop_assert_eq!(Some(last.to), state.eta);
            }
            let mut current = shipment.planned_eta;
            for change in &state.eta_history {
                prop_assert_eq!(change.from, current);
                prop_assert_ne!(Some(change.to), change.from);
                current = Some(change.to);
            }
        }
    }
}

#[test]
fn the_viewer_event_oracle_drops_unpublished_and_retracted_events() {
    let events = vec![
        event("a", EventCode::Conf, Classifier::Act, None, 0),
        event("b", EventCode::Load, Classifier::Act, Some(pol()), 40).unpublished(),
        event("c", EventCode::Depa, Classifier::Act, Some(pol()), 45),
        event("d", EventCode::Depa, Classifier::Act, Some(pol()), 46).retracting("c"),
        event("e", EventCode::Insp, Classifier::Act, None, 47).retracting("a").unpublished(),
    ];
    let ids: Vec<&str> = oracle::viewer_events(&events).iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, vec!["a", "d"]);
}
