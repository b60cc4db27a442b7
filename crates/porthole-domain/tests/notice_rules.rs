//! SPEC §5, what is worth a mail: milestones, date shifts past the
//! threshold, document events, judged on what viewers see.

mod support;

use chrono::Duration;
use porthole_domain::{
    Audience, Classifier, EstimatedDate, EventCode, MilestoneState, NoticePolicy, Shipment, ShipmentNotice,
    TrackingEvent, ViewerChange, ViewerDates,
};
use proptest::prelude::*;
use support::*;

fn plain_shipment() -> Shipment {
    let mut s = shipment(1, CUSTOMER);
    s.planned_etd = None;
    s.planned_eta = None;
    s
}

/// What viewers are told when `new` is added to `old` on `shipment`.
fn change(shipment: &Shipment, old: &[TrackingEvent], new: &[TrackingEvent]) -> Option<ViewerChange> {
    let before = ViewerDates::of(&MilestoneState::derive(shipment, old, Audience::Viewer));
    let all: Vec<TrackingEvent> = old.iter().chain(new).cloned().collect();
    let after = MilestoneState::derive(shipment, &all, Audience::Viewer);
    let new_ids: Vec<&str> = new.iter().map(|e| e.event_id.as_str()).collect();
    ViewerChange::between(shipment, &before, &after, &all, &new_ids)
}

fn notices(shipment: &Shipment, old: &[TrackingEvent], new: &[TrackingEvent]) -> Vec<ShipmentNotice> {
    change(shipment, old, new).map(|c| c.notices(&NoticePolicy::default())).unwrap_or_default()
}

fn eta(id: &str, hours: i64, minute: i64) -> TrackingEvent {
    event(id, EventCode::Arri, Classifier::Est, Some(pod()), hours).recorded_minute(minute)
}

fn date_shifts(notices: &[ShipmentNotice]) -> Vec<(EstimatedDate, i64)> {
    notices
        .iter()
        .filter_map(|n| match n {
            ShipmentNotice::DateChanged { date, from, to } => Some((*date, (*to - *from).num_hours())),
            _ => None,
        })
        .collect()
}

#[test]
fn an_eta_shift_of_23_hours_is_quiet_and_one_of_25_hours_notifies() {
    let s = plain_shipment();
    let first = [eta("eta-1", 300, 1)];
    assert!(date_shifts(&notices(&s, &first, &[eta("eta-2", 323, 2)])).is_empty(), "23 hours later");
    assert_eq!(date_shifts(&notices(&s, &first, &[eta("eta-2", 325, 2)])), vec![(EstimatedDate::Arrival, 25)]);
    assert_eq!(date_shifts(&notices(&s, &first, &[eta("eta-2", 275, 2)])), vec![(EstimatedDate::Arrival, -25)]);
    // Exactly the threshold notifies: "at least a day".
    assert_eq!(date_shifts(&notices(&s, &first, &[eta("eta-2", 324, 2)])), vec![(EstimatedDate::Arrival, 24)]);
}

#[test]
fn the_threshold_is_the_operators() {
    let s = plain_shipment();
    let tight = NoticePolicy { date_shift_threshold: Duration::hours(6) };
    let changed = change(&s, &[eta("eta-1", 300, 1)], &[eta("eta-2", 307, 2)]).expect("the ETA moved");
    assert_eq!(date_shifts(&changed.notices(&tight)), vec![(EstimatedDate::Arrival, 7)]);
    assert!(date_shifts(&changed.notices(&NoticePolicy::default())).is_empty());
}

#[test]
fn an_etd_shift_notifies_like_an_eta_shift() {
    let s = plain_shipment();
    let etd = |id: &str, hours, minute| {
        event(id, EventCode::Depa, Classifier::Est, Some(pol()), hours).recorded_minute(minute)
    };
    assert_eq!(
        date_shifts(&notices(&s, &[etd("etd-1", 50, 1)], &[etd("etd-2", 98, 2)])),
        vec![(EstimatedDate::Departure, 48)]
    );
}

#[test]
fn a_first_estimate_is_not_a_change() {
    let s = plain_shipment();
    assert!(date_shifts(&notices(&s, &[], &[eta("eta-1", 300, 1)])).is_empty());
}

#[test]
fn no_eta_mail_once_the_ship_has_arrived() {
    let s = plain_shipment();
    let arrived = [eta("eta-1", 300, 1), event("ata", EventCode::Arri, Classifier::Act, Some(pod()), 301)];
    let late_estimate = [eta("eta-2", 400, 5)];
    assert!(date_shifts(&notices(&s, &arrived, &late_estimate)).is_empty());
}

#[test]
fn unpublished_events_never_notify() {
    let s = plain_shipment();
    let hidden_eta = [eta("eta-2", 400, 2).unpublished()];
    let hidden_departure = [event("atd", EventCode::Depa, Classifier::Act, Some(pol()), 53).unpublished()];
    assert_eq!(change(&s, &[eta("eta-1", 300, 1)], &hidden_eta), None);
    assert_eq!(change(&s, &[], &hidden_departure), None);
}

#[test]
fn a_published_actual_milestone_is_a_journey_update() {
    let s = plain_shipment();
    let departed = [event("atd", EventCode::Depa, Classifier::Act, Some(pol()), 53)];
    let found = notices(&s, &[], &departed);
    assert!(
        matches!(found.as_slice(), [ShipmentNotice::MilestoneReached { event_id, label, .. }] if event_id == "atd" && label == "Departed"),
        "{found:?}"
    );
}

#[test]
fn estimates_retractions_and_events_off_the_progress_bar_are_not_journey_updates() {
    let s = plain_shipment();
    let departed = event("atd", EventCode::Depa, Classifier::Act, Some(pol()), 53);
    let quiet = [
        vec![event("etd", EventCode::Depa, Classifier::Est, Some(pol()), 50)],
        // A departure from a transshipment port is not the "Departed" step.
        vec![event("ts", EventCode::Depa, Classifier::Act, Some(transshipment_port()), 120)],
        vec![event("hold", EventCode::Hold, Classifier::Act, None, 60)],
    ];
    for new in quiet {
        assert!(notices(&s, &[], &new).is_empty(), "{new:?}");
    }
    // Retracting a departure tells nobody it departed, now or later.
    let retraction = event("fix", EventCode::Depa, Classifier::Act, Some(pol()), 53).retracting("atd");
    assert!(notices(&s, std::slice::from_ref(&departed), std::slice::from_ref(&retraction)).is_empty());
    assert!(notices(&s, &[], &[departed, retraction]).is_empty(), "retracted in the same batch");
}

#[test]
fn document_events_are_document_notices_and_customs_release_is_also_a_milestone() {
    let s = plain_shipment();
    let issued = notices(&s, &[], &[event("bl", EventCode::Issu, Classifier::Act, None, 40)]);
    assert!(matches!(issued.as_slice(), [ShipmentNotice::DocumentStatus { code, .. }] if code == "ISSU"), "{issued:?}");
    let released = notices(&s, &[], &[event("rel", EventCode::Rels, Classifier::Act, None, 320)]);
    let categories: Vec<_> = released.iter().map(ShipmentNotice::category).collect();
    assert_eq!(categories.len(), 2, "{released:?}");
    assert!(released.iter().any(|n| matches!(n, ShipmentNotice::MilestoneReached { code, .. } if code == "RELS")));
    assert!(released.iter().any(|n| matches!(n, ShipmentNotice::DocumentStatus { code, .. } if code == "RELS")));
}

#[test]
fn a_burst_is_judged_from_its_first_state_to_its_last() {
    let s = plain_shipment();
    let e0 = [eta("eta-0", 300, 1)];
    let step = |old: &[TrackingEvent], new: TrackingEvent| change(&s, old, &[new]).expect("the ETA moved");
    // Three shifts of ten hours: none is a day, together they are thirty.
    let a = step(&e0, eta("eta-1", 310, 2));
    let b = step(&[e0[0].clone(), eta("eta-1", 310, 2)], eta("eta-2", 320, 3));
    let c = step(&[e0[0].clone(), eta("eta-1", 310, 2), eta("eta-2", 320, 3)], eta("eta-3", 330, 4));
    for single in [&a, &b, &c] {
        assert!(date_shifts(&single.notices(&NoticePolicy::default())).is_empty());
    }
    let merged = ViewerChange::merge([a.clone(), b, c]).expect("three changes");
    assert_eq!(date_shifts(&merged.notices(&NoticePolicy::default())), vec![(EstimatedDate::Arrival, 30)]);
    // Away and back again within a burst is no change at all.
    let back = step(&[e0[0].clone(), eta("eta-1", 310, 2)], eta("eta-2", 300, 3));
    let there_and_back = ViewerChange::merge([a, back]).expect("two changes");
    assert!(there_and_back.notices(&NoticePolicy::default()).is_empty());
}

#[test]
fn a_milestone_repeated_in_a_burst_is_told_once() {
    let s = plain_shipment();
    let departed = event("atd", EventCode::Depa, Classifier::Act, Some(pol()), 53);
    let first = change(&s, &[], std::slice::from_ref(&departed)).expect("a milestone");
    let merged = ViewerChange::merge([first.clone(), first]).expect("two changes");
    assert_eq!(merged.notices(&NoticePolicy::default()).len(), 1);
}

proptest! {
    /// Whatever the estimates, a shift notifies exactly when it is at least
    /// the threshold and there is no actual arrival.
    #[test]
    fn eta_notices_follow_the_threshold_exactly(
        first in 0i64..2_000,
        second in 0i64..2_000,
        threshold in 1i64..100,
        arrived in any::<bool>(),
    ) {
        let s = plain_shipment();
        let mut old = vec![eta("eta-1", first, 1)];
        if arrived {
            old.push(event("ata", EventCode::Arri, Classifier::Act, Some(pod()), 2_500));
        }
        let policy = NoticePolicy { date_shift_threshold: Duration::hours(threshold) };
        let told = change(&s, &old, &[eta("eta-2", second, 2)]).map(|c| c.notices(&policy)).unwrap_or_default();
        let expected = !arrived && (second - first).abs() >= threshold;
        prop_assert_eq!(!date_shifts(&told).is_empty(), expected);
    }
}

#[test]
fn a_step_another_container_reached_before_is_no_news() {
    let s = plain_shipment();
    let loaded = |id: &str, hours| event(id, EventCode::Load, Classifier::Act, Some(pol()), hours);
    let first = notices(&s, &[], &[loaded("load-a", 50)]);
    assert_eq!(first.len(), 1, "the first container loaded is news: {first:?}");
    assert!(notices(&s, &[loaded("load-a", 50)], &[loaded("load-b", 51)]).is_empty(), "the second is not");
    let both = notices(&s, &[], &[loaded("load-a", 50), loaded("load-b", 51)]);
    assert_eq!(both.len(), 1, "two containers in one batch are one notice: {both:?}");
    // Arriving is a new step, whatever came before.
    let arrived = event("ata", EventCode::Arri, Classifier::Act, Some(pod()), 300);
    assert_eq!(notices(&s, &[loaded("load-a", 50)], &[arrived]).len(), 1);
}

#[test]
fn a_milestone_withdrawn_within_its_burst_is_told_to_nobody() {
    let s = plain_shipment();
    let departed = event("atd", EventCode::Depa, Classifier::Act, Some(pol()), 53);
    let told = change(&s, &[], std::slice::from_ref(&departed)).expect("a milestone");
    let retraction = event("fix", EventCode::Depa, Classifier::Act, Some(pol()), 53).retracting("atd");
    let now = [departed.clone(), retraction];
    let merged = ViewerChange::merge([told.clone()]).expect("one change").without_withdrawn(&now);
    assert!(merged.notices(&NoticePolicy::default()).is_empty());
    // Still there: still told.
    let kept = told.without_withdrawn(std::slice::from_ref(&departed));
    assert_eq!(kept.notices(&NoticePolicy::default()).len(), 1);
}
