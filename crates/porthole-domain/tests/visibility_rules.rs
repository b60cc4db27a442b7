//! SPEC §3, clause by clause: who sees a shipment, and which of its fields.

mod support;

use porthole_domain::projection::reason_for;
use porthole_domain::{
    Classifier, EventCode, Organization, ShareSections, ShipmentRecord, Status, TrackingRole, TrackingUser, UserState,
    project_for_link, project_for_user, visible_to,
};
use support::*;

fn sees(user: &TrackingUser, orgs: &[Organization], record: &ShipmentRecord) -> bool {
    let reason = reason_for(user, orgs, record);
    let projected = project_for_user(user, orgs, record).is_some();
    assert_eq!(reason.is_some(), projected, "reason_for and project_for_user disagree");
    assert_eq!(
        visible_to(user, orgs, &record.audience()).is_some(),
        projected,
        "visible_to and project_for_user disagree"
    );
    projected
}

fn customer_user() -> TrackingUser {
    user(1, TrackingRole::Customer, &[CUSTOMER])
}

// ---------------------------------------------------------------------------
// Clause 1: the user is active; the shipment has an HBL and is not Draft.
// ---------------------------------------------------------------------------

#[test]
fn an_active_customer_sees_their_confirmed_shipment() {
    let orgs = standard_orgs();
    assert!(sees(&customer_user(), &orgs, &standard_record(&orgs)));
}

#[test]
fn invited_and_disabled_users_see_nothing() {
    let orgs = standard_orgs();
    let record = standard_record(&orgs);
    for state in [UserState::Invited, UserState::Disabled] {
        for role in TrackingRole::ALL {
            let mut u = match role {
                TrackingRole::OverseasAgent => agent_user(1, &[AGENT], &[CUSTOMER]),
                TrackingRole::Customer => user(1, role, &[CUSTOMER]),
                TrackingRole::Shipper => user(1, role, &[SHIPPER]),
                TrackingRole::Consignee => user(1, role, &[CONSIGNEE]),
            };
            assert!(sees(&u, &orgs, &record), "{role:?} must see the shipment while active");
            u.state = state;
            assert!(!sees(&u, &orgs, &record), "{role:?} must see nothing while {state:?}");
        }
    }
}

#[test]
fn a_shipment_without_an_hbl_number_is_hidden() {
    let orgs = standard_orgs();
    for hbl in [None, Some(String::new()), Some("   ".to_owned())] {
        let mut s = standard_shipment();
        s.hbl_no = hbl.clone();
        let record = record(s, Some(master(80, Some(AGENT))), Vec::new(), &orgs);
        assert!(!sees(&customer_user(), &orgs, &record), "hbl {hbl:?}");
    }
}

#[test]
fn a_draft_shipment_is_hidden() {
    let orgs = standard_orgs();
    let mut s = standard_shipment();
    s.status = Status::Draft;
    let record = record(s, None, Vec::new(), &orgs);
    assert!(!sees(&customer_user(), &orgs, &record));
}

#[test]
fn every_status_but_draft_is_visible() {
    let orgs = standard_orgs();
    for status in Status::ALL {
        let mut s = standard_shipment();
        s.status = status;
        let record = record(s, None, Vec::new(), &orgs);
        assert_eq!(sees(&customer_user(), &orgs, &record), status != Status::Draft, "{status:?}");
    }
}

#[test]
fn a_draft_shipment_becomes_visible_once_a_published_confirmation_proves_it_confirmed() {
    let orgs = standard_orgs();
    let mut s = standard_shipment();
    s.status = Status::Draft;
    let conf = event("conf", EventCode::Conf, Classifier::Act, None, 0);
    let record = record(s, None, vec![conf], &orgs);
    assert!(sees(&customer_user(), &orgs, &record));
}

#[test]
fn an_unpublished_confirmation_does_not_make_a_draft_visible() {
    let orgs = standard_orgs();
    let mut s = standard_shipment();
    s.status = Status::Draft;
    let conf = event("conf", EventCode::Conf, Classifier::Act, None, 0).unpublished();
    let record = record(s, None, vec![conf], &orgs);
    assert_eq!(record.staff_state().status, Status::Confirmed, "staff see the confirmation");
    assert!(!sees(&customer_user(), &orgs, &record));
}

// ---------------------------------------------------------------------------
// Clause 2: some portal-enabled organization of the user matches by role.
// ---------------------------------------------------------------------------

#[test]
fn an_organization_with_the_portal_off_hides_even_a_matching_shipment() {
    let cases: [(TrackingUser, usize); 4] = [
        (user(1, TrackingRole::Customer, &[CUSTOMER]), CUSTOMER),
        (user(2, TrackingRole::Shipper, &[SHIPPER]), SHIPPER),
        (user(3, TrackingRole::Consignee, &[CONSIGNEE]), CONSIGNEE),
        (agent_user(4, &[AGENT], &[CUSTOMER]), AGENT),
    ];
    for (u, own_org) in cases {
        let mut orgs = standard_orgs();
        assert!(sees(&u, &orgs, &standard_record(&orgs)), "{:?} sees it with the portal on", u.role);
        set_org(&mut orgs, own_org, false, true);
        assert!(!sees(&u, &orgs, &standard_record(&orgs)), "{:?} sees nothing with the portal off", u.role);
    }
}

#[test]
fn the_portal_switch_of_the_users_organization_matters_not_the_customers() {
    // The consignee's own organization is enabled; the customer's is off.
    let mut orgs = standard_orgs();
    set_org(&mut orgs, CUSTOMER, false, false);
    let consignee = user(1, TrackingRole::Consignee, &[CONSIGNEE]);
    assert!(sees(&consignee, &orgs, &standard_record(&orgs)));
}

#[test]
fn an_organization_unknown_to_the_list_passed_in_grants_nothing() {
    let orgs: Vec<Organization> = standard_orgs().into_iter().filter(|o| o.id != org_id(CUSTOMER)).collect();
    assert!(!sees(&customer_user(), &orgs, &standard_record(&standard_orgs())));
}

#[test]
fn each_role_matches_only_its_own_party() {
    let orgs = standard_orgs();
    let record = standard_record(&orgs);
    let party_of = |role: TrackingRole| match role {
        TrackingRole::Customer => CUSTOMER,
        TrackingRole::Shipper => SHIPPER,
        TrackingRole::Consignee => CONSIGNEE,
        TrackingRole::OverseasAgent => AGENT,
    };
    for role in TrackingRole::ALL {
        for member_of in [CUSTOMER, SHIPPER, CONSIGNEE, AGENT, OUTSIDER] {
            let mut u = user(1, role, &[member_of]);
            // Give every user the customer on the agent list, so only the
            // organization decides for agents too.
            u.agent_customer_ids = [org_id(CUSTOMER)].into_iter().collect();
            let expected = member_of == party_of(role);
            assert_eq!(sees(&u, &orgs, &record), expected, "{role:?} in org-{member_of}");
            if expected {
                let reason = reason_for(&u, &orgs, &record).expect("visible");
                assert_eq!(reason.organization_id, org_id(member_of));
                assert_eq!(reason.role, role);
            }
        }
    }
}

#[test]
fn a_shipment_without_shipper_or_consignee_is_seen_by_neither_role() {
    let orgs = standard_orgs();
    let mut s = standard_shipment();
    s.shipper_id = None;
    s.consignee_id = None;
    let record = record(s, None, Vec::new(), &orgs);
    assert!(!sees(&user(1, TrackingRole::Shipper, &[SHIPPER]), &orgs, &record));
    assert!(!sees(&user(2, TrackingRole::Consignee, &[CONSIGNEE]), &orgs, &record));
    assert!(sees(&customer_user(), &orgs, &record));
}

#[test]
fn an_overseas_agent_needs_both_the_master_agent_and_the_customer_on_the_list() {
    let orgs = standard_orgs();
    let record = standard_record(&orgs);
    // (agent's organizations, agent-customer list, expected)
    let cases: [(&[usize], &[usize], bool); 6] = [
        (&[AGENT], &[CUSTOMER], true),
        (&[AGENT], &[CUSTOMER, OUTSIDER], true),
        (&[AGENT], &[OUTSIDER], false),
        (&[OUTSIDER], &[CUSTOMER], false),
        // Being the customer organization does not make an agent see it.
        (&[CUSTOMER], &[CUSTOMER], false),
        (&[OUTSIDER, AGENT], &[CUSTOMER], true),
    ];
    for (member_of, customers, expected) in cases {
        let agent = agent_user(1, member_of, customers);
        assert_eq!(sees(&agent, &orgs, &record), expected, "orgs {member_of:?}, customers {customers:?}");
    }
}

#[test]
fn an_overseas_agent_with_an_empty_customer_list_sees_nothing() {
    let orgs = standard_orgs();
    let agent = agent_user(1, &[AGENT], &[]);
    assert!(!sees(&agent, &orgs, &standard_record(&orgs)));
}

#[test]
fn an_overseas_agent_sees_nothing_without_a_master_or_without_an_agent_on_it() {
    let orgs = standard_orgs();
    let agent = agent_user(1, &[AGENT], &[CUSTOMER]);
    let without_master = record(standard_shipment(), None, Vec::new(), &orgs);
    let without_agent = record(standard_shipment(), Some(master(80, None)), Vec::new(), &orgs);
    let other_agent = record(standard_shipment(), Some(master(80, Some(OUTSIDER))), Vec::new(), &orgs);
    assert!(!sees(&agent, &orgs, &without_master));
    assert!(!sees(&agent, &orgs, &without_agent));
    assert!(!sees(&agent, &orgs, &other_agent));
}

#[test]
fn customer_and_consignee_both_see_the_same_shipment() {
    let orgs = standard_orgs();
    let record = standard_record(&orgs);
    let customer = customer_user();
    let consignee = user(2, TrackingRole::Consignee, &[CONSIGNEE]);
    let shipper = user(3, TrackingRole::Shipper, &[SHIPPER]);
    let agent = agent_user(4, &[AGENT], &[CUSTOMER]);
    for u in [&customer, &consignee, &shipper, &agent] {
        assert!(sees(u, &orgs, &record), "{:?}", u.role);
    }
}

#[test]
fn one_organization_as_customer_and_consignee_is_seen_by_both_roles() {
    let orgs = standard_orgs();
    let mut s = standard_shipment();
    s.consignee_id = Some(org_id(CUSTOMER));
    let record = record(s, None, Vec::new(), &orgs);
    assert!(sees(&user(1, TrackingRole::Customer, &[CUSTOMER]), &orgs, &record));
    assert!(sees(&user(2, TrackingRole::Consignee, &[CUSTOMER]), &orgs, &record));
    assert!(!sees(&user(3, TrackingRole::Consignee, &[CONSIGNEE]), &orgs, &record));
}

#[test]
fn a_user_in_several_organizations_sees_through_the_enabled_matching_one() {
    let mut orgs = standard_orgs();
    let record = standard_record(&orgs);
    // The outsider organization comes first for this user but does not match.
    let u = user(1, TrackingRole::Customer, &[OUTSIDER, CUSTOMER]);
    let reason = reason_for(&u, &orgs, &record).expect("the customer organization matches");
    assert_eq!(reason.organization_id, org_id(CUSTOMER));
    assert_eq!(reason.role, TrackingRole::Customer);
    let described = reason.describe(&orgs);
    assert!(described.contains(&format!("Organization {CUSTOMER} (ORG{CUSTOMER})")), "{described}");
    assert!(reason.describe(&[]).contains(org_id(CUSTOMER).as_str()), "falls back to the id");

    // The matching organization is off: an enabled non-matching one does not help.
    set_org(&mut orgs, CUSTOMER, false, false);
    assert!(!sees(&u, &orgs, &record));

    // The non-matching one is off, the matching one on: still visible.
    let mut orgs = standard_orgs();
    set_org(&mut orgs, OUTSIDER, false, false);
    assert!(sees(&u, &orgs, &record));
}

#[test]
fn an_agent_in_several_organizations_sees_only_through_the_masters_agent() {
    let mut orgs = standard_orgs();
    set_org(&mut orgs, AGENT, false, false);
    let record = standard_record(&orgs);
    // The agent also belongs to the customer organization, which is enabled,
    // but agents match through the master's agent only.
    let agent = agent_user(1, &[CUSTOMER, AGENT], &[CUSTOMER]);
    assert!(!sees(&agent, &orgs, &record));
}

#[test]
fn a_user_in_no_organization_sees_nothing() {
    let orgs = standard_orgs();
    let record = standard_record(&orgs);
    for role in TrackingRole::ALL {
        let mut u = user(1, role, &[]);
        u.agent_customer_ids = [org_id(CUSTOMER)].into_iter().collect();
        assert!(!sees(&u, &orgs, &record), "{role:?}");
    }
}

// ---------------------------------------------------------------------------
// Field level: project_for_user
// ---------------------------------------------------------------------------

#[test]
fn the_mbl_number_is_shown_only_with_the_mbl_number_setting() {
    let orgs = standard_orgs();
    let record = standard_record(&orgs);
    let mut u = customer_user();
    u.display.mbl_number = false;
    let view = project_for_user(&u, &orgs, &record).expect("visible");
    assert_eq!(view.mbl_no, None);
    assert!(!format!("{view:?}").contains("MBLNO-80"));

    u.display.mbl_number = true;
    let view = project_for_user(&u, &orgs, &record).expect("visible");
    assert_eq!(view.mbl_no.as_deref(), Some("MBLNO-80"));

    let direct = record_without_master(&orgs);
    let view = project_for_user(&u, &orgs, &direct).expect("visible");
    assert_eq!(view.mbl_no, None, "no master, no MBL number");
}

fn record_without_master(orgs: &[Organization]) -> ShipmentRecord {
    record(standard_shipment(), None, Vec::new(), orgs)
}

#[test]
fn the_hbl_number_is_always_shown() {
    let orgs = standard_orgs();
    let view = project_for_user(&customer_user(), &orgs, &standard_record(&orgs)).expect("visible");
    assert_eq!(view.hbl_no, "HBL-80");
}

#[test]
fn the_shipper_is_shown_only_with_shipper_info_or_to_the_shipper() {
    let mut orgs = standard_orgs();
    orgs[SHIPPER].name = "Mekong Garments".to_owned();
    let record = standard_record(&orgs);

    let mut customer = customer_user();
    let view = project_for_user(&customer, &orgs, &record).expect("visible");
    assert_eq!(view.shipper, None, "shipper_info defaults to off");
    assert!(!format!("{view:?}").contains("Mekong Garments"));

    customer.display.shipper_info = true;
    let view = project_for_user(&customer, &orgs, &record).expect("visible");
    assert_eq!(view.shipper.map(|p| p.name).as_deref(), Some("Mekong Garments"));

    let shipper = user(2, TrackingRole::Shipper, &[SHIPPER]);
    assert!(!shipper.display.shipper_info);
    let view = project_for_user(&shipper, &orgs, &record).expect("visible");
    assert_eq!(view.shipper.map(|p| p.name).as_deref(), Some("Mekong Garments"));

    for u in [user(3, TrackingRole::Consignee, &[CONSIGNEE]), agent_user(4, &[AGENT], &[CUSTOMER])] {
        let view = project_for_user(&u, &orgs, &record).expect("visible");
        assert_eq!(view.shipper, None, "{:?} without shipper_info", u.role);
    }
}

#[test]
fn documents_are_shown_only_with_doc_center_and_only_published_ones() {
    let orgs = standard_orgs();
    let record = standard_record(&orgs);
    let mut u = customer_user();
    assert!(u.display.doc_center, "doc_center defaults to on");
    let view = project_for_user(&u, &orgs, &record).expect("visible");
    let names: Vec<String> = view.documents.clone().expect("doc center on").into_iter().map(|d| d.name).collect();
    assert_eq!(names, vec!["PUBDOC-80".to_owned()]);
    assert!(!format!("{view:?}").contains("HIDDENDOC"));

    u.display.doc_center = false;
    let view = project_for_user(&u, &orgs, &record).expect("visible");
    assert_eq!(view.documents, None);
    assert!(!format!("{view:?}").contains("PUBDOC"));
}

#[test]
fn sell_charges_go_only_to_customer_users_of_an_organization_showing_charges() {
    let mut orgs = standard_orgs();
    for n in [CUSTOMER, SHIPPER, CONSIGNEE, AGENT] {
        set_org(&mut orgs, n, true, true);
    }
    let record = standard_record(&orgs);

    let view = project_for_user(&customer_user(), &orgs, &record).expect("visible");
    let charges = view.charges.clone().expect("customer of an organization showing charges");
    assert_eq!(charges.iter().map(|c| c.description.as_str()).collect::<Vec<_>>(), vec!["SELLRATE-80"]);
    assert_eq!(charges[0].amount_minor, 125_000);
    assert!(!format!("{view:?}").contains("BUYRATE"), "never the buy side");

    for u in [
        user(2, TrackingRole::Shipper, &[SHIPPER]),
        user(3, TrackingRole::Consignee, &[CONSIGNEE]),
        agent_user(4, &[AGENT], &[CUSTOMER]),
    ] {
        let view = project_for_user(&u, &orgs, &record).expect("visible");
        assert_eq!(view.charges, None, "{:?} never sees charges", u.role);
        assert!(!format!("{view:?}").contains("SELLRATE"));
    }

    set_org(&mut orgs, CUSTOMER, true, false);
    let record = standard_record(&orgs);
    let view = project_for_user(&customer_user(), &orgs, &record).expect("visible");
    assert_eq!(view.charges, None, "the organization hides charges");
}

#[test]
fn charges_follow_the_organization_that_grants_visibility() {
    // The user also belongs to an unrelated organization that shows charges;
    // the customer organization, through which they see, does not.
    let mut orgs = standard_orgs();
    set_org(&mut orgs, OUTSIDER, true, true);
    let record = standard_record(&orgs);
    let u = user(1, TrackingRole::Customer, &[OUTSIDER, CUSTOMER]);
    let view = project_for_user(&u, &orgs, &record).expect("visible");
    assert_eq!(view.charges, None);
}

#[test]
fn the_portal_view_never_holds_the_internal_note_or_unpublished_events() {
    let mut orgs = standard_orgs();
    set_org(&mut orgs, CUSTOMER, true, true);
    let events = vec![
        event("conf", EventCode::Conf, Classifier::Act, None, 0).remark("SHOWN-conf"),
        event("eta-secret", EventCode::Arri, Classifier::Est, Some(pod()), 700).unpublished().remark("UNPUBLISHED-eta"),
    ];
    let record = record(standard_shipment(), Some(master(80, Some(AGENT))), events, &orgs);
    let mut u = customer_user();
    u.display = show_everything();
    let view = project_for_user(&u, &orgs, &record).expect("visible");
    let text = format!("{view:?}");
    assert!(text.contains("NOTE-80") && text.contains("SHOWN-conf") && text.contains("SELLRATE-80"));
    for secret in ["INTERNAL-80", "UNPUBLISHED-eta", "BUYRATE-80", "HIDDENDOC-80"] {
        assert!(!text.contains(secret), "{secret} leaked");
    }
    assert_eq!(view.events.len(), 1);
    assert_eq!(view.dates.eta, Some(at(24 * 20)), "the unpublished estimate does not move the ETA");
}

#[test]
fn a_retracted_published_event_stays_in_the_timeline_marked() {
    let orgs = standard_orgs();
    let events = vec![
        event("depa-1", EventCode::Depa, Classifier::Act, Some(pol()), 50).recorded_minute(1),
        event("depa-2", EventCode::Depa, Classifier::Act, Some(pol()), 52).recorded_minute(2).retracting("depa-1"),
    ];
    let record = record(standard_shipment(), None, events, &orgs);
    let view = project_for_user(&customer_user(), &orgs, &record).expect("visible");
    assert_eq!(view.events.len(), 2);
    let newest = &view.events[0];
    let oldest = &view.events[1];
    assert!(newest.is_correction && !newest.retracted);
    assert!(oldest.retracted && !oldest.is_correction);
    assert_eq!(view.dates.atd, Some(at(52)));
}

// ---------------------------------------------------------------------------
// Field level: project_for_link
// ---------------------------------------------------------------------------

#[test]
fn a_share_link_shows_timeline_route_and_dates_and_no_optional_section_by_default() {
    let orgs = standard_orgs();
    let events = vec![event("conf", EventCode::Conf, Classifier::Act, None, 0).remark("SHOWN-conf")];
    let record = record(standard_shipment(), Some(master(80, Some(AGENT))), events, &orgs);
    let view = project_for_link(&record, ShareSections::default());
    assert_eq!(view.containers, None);
    assert_eq!(view.cargo, None);
    assert_eq!(view.documents, None);
    assert_eq!(view.pol, pol());
    assert_eq!(view.pod, pod());
    assert_eq!(view.dates.etd, Some(at(48)));
    assert_eq!(view.dates.eta, Some(at(24 * 20)));
    assert_eq!(view.events.len(), 1);
    assert_eq!(view.status, Status::Confirmed);
    let text = format!("{view:?}");
    for absent in ["CARGO-80", "CSQU3054383", "PUBDOC-80", "SELLRATE-80", "BUYRATE-80", "INTERNAL-80"] {
        assert!(!text.contains(absent), "{absent} shown without its section");
    }
}

#[test]
fn container_numbers_on_events_follow_the_containers_section() {
    let orgs = standard_orgs();
    let mut gate_in = event("gtin", EventCode::Gtin, Classifier::Act, Some(pol()), 10);
    gate_in.container_number = Some(porthole_domain::ContainerNumber::parse("CSQU3054383").expect("valid"));
    let record = record(standard_shipment(), Some(master(80, Some(AGENT))), vec![gate_in], &orgs);

    let without = project_for_link(&record, ShareSections::default());
    assert_eq!(without.events.len(), 1);
    assert_eq!(without.events[0].container_number, None);
    assert!(!format!("{without:?}").contains("CSQU3054383"));

    let with = project_for_link(&record, ShareSections { containers: true, ..ShareSections::default() });
    assert_eq!(with.events[0].container_number.as_ref().map(|c| c.as_str()), Some("CSQU3054383"));
}

#[test]
fn each_share_link_section_is_shown_only_when_chosen() {
    let orgs = standard_orgs();
    let record = standard_record(&orgs);
    let containers = project_for_link(&record, ShareSections { containers: true, ..ShareSections::default() });
    assert_eq!(containers.containers.as_ref().map(Vec::len), Some(1));
    assert_eq!((containers.cargo.is_some(), containers.documents.is_some()), (false, false));

    let cargo = project_for_link(&record, ShareSections { cargo: true, ..ShareSections::default() });
    assert_eq!(cargo.cargo.as_ref().map(|c| c.description.as_str()), Some("CARGO-80"));
    assert_eq!((cargo.containers.is_some(), cargo.documents.is_some()), (false, false));

    let documents = project_for_link(&record, ShareSections { documents: true, ..ShareSections::default() });
    let names: Vec<String> = documents.documents.clone().expect("chosen").into_iter().map(|d| d.name).collect();
    assert_eq!(names, vec!["PUBDOC-80".to_owned()], "published documents only");
    assert_eq!((documents.containers.is_some(), documents.cargo.is_some()), (false, false));
}

#[test]
fn a_share_link_with_every_section_never_shows_charges_or_internal_data() {
    let orgs = standard_orgs();
    let events = vec![
        event("conf", EventCode::Conf, Classifier::Act, None, 0).remark("SHOWN-conf"),
        event("hidden", EventCode::Load, Classifier::Act, Some(pol()), 60).unpublished().remark("UNPUBLISHED-load"),
    ];
    let record = record(standard_shipment(), Some(master(80, Some(AGENT))), events, &orgs);
    let view = project_for_link(&record, ShareSections { containers: true, cargo: true, documents: true });
    let text = format!("{view:?}");
    for shown in ["CARGO-80", "CSQU3054383", "PUBDOC-80", "NOTE-80", "SHOWN-conf", "HBL-80"] {
        assert!(text.contains(shown), "{shown} missing");
    }
    for absent in ["SELLRATE", "BUYRATE", "INTERNAL-80", "HIDDENDOC", "UNPUBLISHED"] {
        assert!(!text.contains(absent), "{absent} leaked");
    }
    assert_eq!(view.status, Status::Confirmed, "the unpublished load does not move the status");
}
