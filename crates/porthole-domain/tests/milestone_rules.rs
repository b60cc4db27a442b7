//! SPEC §2, milestone state: dates, status and progress derived from events.

mod support;

use chrono::Duration;
use porthole_domain::{
    Audience, Classifier, EtaChange, EventCode, MilestoneState, MilestoneTemplate, Mode, Shipment, Status,
    TrackingEvent,
};
use support::*;

fn plain_shipment() -> Shipment {
    let mut s = shipment(1, CUSTOMER);
    s.planned_etd = None;
    s.planned_eta = None;
    s
}

fn staff(shipment: &Shipment, events: &[TrackingEvent]) -> MilestoneState {
    MilestoneState::derive(shipment, events, Audience::Staff)
}

fn viewer(shipment: &Shipment, events: &[TrackingEvent]) -> MilestoneState {
    MilestoneState::derive(shipment, events, Audience::Viewer)
}

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------

#[test]
fn etd_and_atd_come_from_a_departure_at_the_port_of_loading() {
    let s = plain_shipment();
    let events = [
        event("etd", EventCode::Depa, Classifier::Est, Some(pol()), 50),
        event("atd", EventCode::Depa, Classifier::Act, Some(pol()), 53),
    ];
    let state = staff(&s, &events);
    assert_eq!(state.etd, Some(at(50)));
    assert_eq!(state.atd, Some(at(53)));
    assert_eq!(state.status, Status::InTransit);
}

#[test]
fn a_departure_elsewhere_sets_neither_etd_nor_atd_nor_moves_the_status() {
    let s = plain_shipment();
    for place in [Some(transshipment_port()), Some(pod()), None] {
        let events = [
            event("etd", EventCode::Depa, Classifier::Est, place.clone(), 50),
            event("atd", EventCode::Depa, Classifier::Act, place.clone(), 53),
        ];
        let state = staff(&s, &events);
        assert_eq!((state.etd, state.atd), (None, None), "departure at {place:?}");
        assert_eq!(state.status, Status::Confirmed, "departure at {place:?}");
    }
}

#[test]
fn eta_and_ata_come_from_an_arrival_at_the_port_of_discharge() {
    let s = plain_shipment();
    let events = [
        event("eta", EventCode::Arri, Classifier::Est, Some(pod()), 400),
        event("ata", EventCode::Arri, Classifier::Act, Some(pod()), 410),
    ];
    let state = staff(&s, &events);
    assert_eq!(state.eta, Some(at(400)));
    assert_eq!(state.ata, Some(at(410)));
}

#[test]
fn an_arrival_elsewhere_sets_neither_eta_nor_ata() {
    let s = plain_shipment();
    for place in [Some(transshipment_port()), Some(pol()), None] {
        let events = [
            event("eta", EventCode::Arri, Classifier::Est, place.clone(), 200),
            event("ata", EventCode::Arri, Classifier::Act, place.clone(), 210),
        ];
        let state = staff(&s, &events);
        assert_eq!((state.eta, state.ata), (None, None), "arrival at {place:?}");
        assert!(state.eta_history.is_empty());
    }
}

#[test]
fn planned_dates_are_the_fallback_until_an_estimate_arrives() {
    let s = shipment(1, CUSTOMER);
    let state = staff(&s, &[]);
    assert_eq!(state.etd, Some(at(48)));
    assert_eq!(state.eta, Some(at(24 * 20)));
    assert_eq!((state.atd, state.ata), (None, None), "plans are never actuals");

    let events = [
        event("etd", EventCode::Depa, Classifier::Est, Some(pol()), 60),
        event("eta", EventCode::Arri, Classifier::Est, Some(pod()), 500),
    ];
    let state = staff(&s, &events);
    assert_eq!(state.etd, Some(at(60)));
    assert_eq!(state.eta, Some(at(500)));
}

#[test]
fn the_estimate_recorded_last_wins_whatever_its_event_time() {
    let s = plain_shipment();
    let events = [
        event("b", EventCode::Arri, Classifier::Est, Some(pod()), 450).recorded_minute(30),
        event("a", EventCode::Arri, Classifier::Est, Some(pod()), 400).recorded_minute(10),
        event("c", EventCode::Arri, Classifier::Est, Some(pod()), 420).recorded_minute(20),
    ];
    assert_eq!(staff(&s, &events).eta, Some(at(450)));
}

#[test]
fn estimates_recorded_at_the_same_time_are_ordered_by_event_id() {
    let s = plain_shipment();
    let events = [
        event("eta-b", EventCode::Arri, Classifier::Est, Some(pod()), 450).recorded_minute(5),
        event("eta-a", EventCode::Arri, Classifier::Est, Some(pod()), 400).recorded_minute(5),
    ];
    assert_eq!(staff(&s, &events).eta, Some(at(450)));
    let reversed = [events[1].clone(), events[0].clone()];
    assert_eq!(staff(&s, &reversed).eta, Some(at(450)));
}

#[test]
fn an_actual_arrival_sets_ata_and_later_estimates_do_not_replace_it() {
    let s = plain_shipment();
    let events = [
        event("ata", EventCode::Arri, Classifier::Act, Some(pod()), 410).recorded_minute(1),
        event("eta", EventCode::Arri, Classifier::Est, Some(pod()), 430).recorded_minute(2),
    ];
    let state = staff(&s, &events);
    assert_eq!(state.ata, Some(at(410)));
}

#[test]
fn retracted_events_are_ignored() {
    let s = plain_shipment();
    let events = [
        event("atd-wrong", EventCode::Depa, Classifier::Act, Some(pol()), 53),
        event("eta-wrong", EventCode::Arri, Classifier::Est, Some(pod()), 999).recorded_minute(9),
        event("eta-ok", EventCode::Arri, Classifier::Est, Some(pod()), 400).recorded_minute(1),
        event("fix-atd", EventCode::Insp, Classifier::Act, None, 54).retracting("atd-wrong"),
        event("fix-eta", EventCode::Insp, Classifier::Act, None, 54).retracting("eta-wrong"),
    ];
    let state = staff(&s, &events);
    assert_eq!(state.atd, None);
    assert_eq!(state.status, Status::Confirmed, "the retracted departure proves nothing");
    assert_eq!(state.eta, Some(at(400)));
}

#[test]
fn a_retracted_delivery_no_longer_makes_the_shipment_done() {
    let s = plain_shipment();
    let delivered = event("dlvd", EventCode::Dlvd, Classifier::Act, None, 600);
    assert_eq!(staff(&s, std::slice::from_ref(&delivered)).status, Status::Done);
    let fix = event("fix", EventCode::Dlvd, Classifier::Est, None, 620).retracting("dlvd");
    assert_eq!(staff(&s, &[delivered, fix]).status, Status::Confirmed);
}

#[test]
fn unpublished_events_are_ignored_for_viewers_but_used_for_staff() {
    let s = shipment(1, CUSTOMER);
    let events = [
        event("conf", EventCode::Conf, Classifier::Act, None, 0),
        event("atd", EventCode::Depa, Classifier::Act, Some(pol()), 53).unpublished(),
        event("eta", EventCode::Arri, Classifier::Est, Some(pod()), 700).unpublished(),
        event("ata", EventCode::Arri, Classifier::Act, Some(pod()), 710).unpublished(),
    ];
    let staff_state = staff(&s, &events);
    assert_eq!(staff_state.atd, Some(at(53)));
    assert_eq!(staff_state.eta, Some(at(700)));
    assert_eq!(staff_state.ata, Some(at(710)));
    assert_eq!(staff_state.status, Status::InTransit);
    assert_eq!(staff_state.eta_history.len(), 1);

    let viewer_state = viewer(&s, &events);
    assert_eq!(viewer_state.atd, None);
    assert_eq!(viewer_state.eta, Some(at(24 * 20)), "the planned ETA stands");
    assert_eq!(viewer_state.ata, None);
    assert_eq!(viewer_state.status, Status::Confirmed);
    assert!(viewer_state.eta_history.is_empty());
    assert_eq!(viewer_state.progress.completed, 1);
}

#[test]
fn an_unpublished_retraction_does_not_retract_for_viewers() {
    let s = plain_shipment();
    let events = [
        event("atd", EventCode::Depa, Classifier::Act, Some(pol()), 53),
        event("fix", EventCode::Depa, Classifier::Act, Some(pol()), 55).retracting("atd").unpublished(),
    ];
    assert_eq!(viewer(&s, &events).atd, Some(at(53)));
    assert_eq!(staff(&s, &events).atd, Some(at(55)));
}

// ---------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------

#[test]
fn actual_events_advance_the_status() {
    let mut s = plain_shipment();
    s.status = Status::Draft;
    let cases = [
        (EventCode::Conf, None, Status::Confirmed),
        (EventCode::Load, Some(pol()), Status::InTransit),
        (EventCode::Depa, Some(pol()), Status::InTransit),
        (EventCode::Dlvd, None, Status::Done),
        (EventCode::Podc, None, Status::Done),
        (EventCode::Canc, None, Status::Cancelled),
        (EventCode::Gtin, Some(pol()), Status::Draft),
        (EventCode::Arri, Some(pod()), Status::Draft),
    ];
    for (code, place, expected) in cases {
        let actual = event("e", code, Classifier::Act, place.clone(), 10);
        assert_eq!(staff(&s, &[actual]).status, expected, "ACT {code:?}");
        let estimate = event("e", code, Classifier::Est, place, 10);
        assert_eq!(staff(&s, &[estimate]).status, Status::Draft, "EST {code:?} proves nothing");
    }
}

#[test]
fn an_older_event_arriving_late_never_moves_the_status_backwards() {
    let s = plain_shipment();
    let departed = event("atd", EventCode::Depa, Classifier::Act, Some(pol()), 53).recorded_minute(50);
    let late_confirmation = event("conf", EventCode::Conf, Classifier::Act, None, 0).recorded_minute(1);
    assert_eq!(staff(&s, std::slice::from_ref(&departed)).status, Status::InTransit);
    assert_eq!(staff(&s, &[departed, late_confirmation]).status, Status::InTransit);
}

#[test]
fn the_status_staff_set_is_a_floor_for_the_derived_status() {
    let mut s = plain_shipment();
    s.status = Status::InTransit;
    let conf = event("conf", EventCode::Conf, Classifier::Act, None, 0);
    assert_eq!(staff(&s, &[conf]).status, Status::InTransit);
}

// ---------------------------------------------------------------------------
// ETA history and exceptions
// ---------------------------------------------------------------------------

#[test]
fn every_eta_change_is_kept_with_its_size() {
    let s = shipment(1, CUSTOMER);
    let planned = at(24 * 20);
    let events = [
        event("eta-1", EventCode::Arri, Classifier::Est, Some(pod()), 24 * 20 + 23).recorded_minute(1),
        event("eta-2", EventCode::Arri, Classifier::Est, Some(pod()), 24 * 20 + 23).recorded_minute(2),
        event("eta-3", EventCode::Arri, Classifier::Est, Some(pod()), 24 * 20 - 2).recorded_minute(3),
    ];
    let history = staff(&s, &events).eta_history;
    assert_eq!(history.len(), 2, "re-sending the same estimate is no change");
    assert_eq!(history[0].from, Some(planned));
    assert_eq!(history[0].to, at(24 * 20 + 23));
    assert_eq!(history[0].shift(), Some(Duration::hours(23)));
    assert_eq!(history[0].recorded_at, recorded(1));
    assert_eq!(history[1].shift(), Some(Duration::hours(-25)));
    assert_eq!(history[1].recorded_at, recorded(3));
}

#[test]
fn an_eta_shift_of_23_hours_is_no_exception_and_25_hours_is_one() {
    let threshold = Duration::hours(24);
    let change = |hours: i64| EtaChange { recorded_at: recorded(0), from: Some(at(500)), to: at(500 + hours) };
    assert!(!change(23).is_exception(threshold));
    assert!(!change(-23).is_exception(threshold));
    assert!(change(24).is_exception(threshold), "at least the threshold");
    assert!(change(25).is_exception(threshold));
    assert!(change(-25).is_exception(threshold), "earlier counts too");
}

#[test]
fn the_first_estimate_without_a_planned_eta_is_no_exception() {
    let s = plain_shipment();
    let events = [event("eta", EventCode::Arri, Classifier::Est, Some(pod()), 900)];
    let history = staff(&s, &events).eta_history;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].shift(), None);
    assert!(!history[0].is_exception(Duration::hours(24)));
}

#[test]
fn derived_eta_changes_are_exceptions_by_size() {
    let s = shipment(1, CUSTOMER);
    let events = [
        event("eta-1", EventCode::Arri, Classifier::Est, Some(pod()), 24 * 20 + 23).recorded_minute(1),
        event("eta-2", EventCode::Arri, Classifier::Est, Some(pod()), 24 * 20 + 48).recorded_minute(2),
    ];
    let history = staff(&s, &events).eta_history;
    let exceptions: Vec<bool> = history.iter().map(|c| c.is_exception(Duration::hours(24))).collect();
    assert_eq!(exceptions, vec![false, true]);
}

// ---------------------------------------------------------------------------
// Progress
// ---------------------------------------------------------------------------

#[test]
fn the_sea_fcl_template_has_the_spec_steps_in_order() {
    let labels: Vec<&str> = MilestoneTemplate::for_mode(Mode::SeaFcl).steps.iter().map(|s| s.label).collect();
    assert_eq!(
        labels,
        vec![
            "Booking confirmed",
            "Empty picked up / cargo received",
            "Container stuffed",
            "Gate-in",
            "Loaded on vessel / departed",
            "Arrived",
            "Discharged",
            "Customs cleared",
            "Gate-out",
            "Delivered",
        ]
    );
}

#[test]
fn sea_fcl_progress_counts_up_to_the_last_step_reached_and_fills_skipped_steps() {
    let s = plain_shipment();
    let events = [
        event("conf", EventCode::Conf, Classifier::Act, None, 0),
        event("gtin", EventCode::Gtin, Classifier::Act, Some(pol()), 30),
        event("load", EventCode::Load, Classifier::Act, Some(pol()), 40),
        event("depa", EventCode::Depa, Classifier::Act, Some(pol()), 45),
    ];
    let progress = staff(&s, &events).progress;
    assert_eq!(progress.steps.len(), 10);
    assert_eq!(progress.completed, 5);
    assert_eq!(progress.percent(), 50);
    assert!(progress.steps[..5].iter().all(|step| step.done));
    assert!(progress.steps[5..].iter().all(|step| !step.done));
    assert_eq!(progress.steps[1].reached_at, None, "skipped, yet done");
    assert_eq!(progress.steps[3].reached_at, Some(at(30)));
    assert_eq!(progress.steps[4].reached_at, Some(at(40)), "the earliest event reaching the step");
}

#[test]
fn sea_fcl_steps_bound_to_a_port_ignore_events_elsewhere_and_estimates() {
    let s = plain_shipment();
    let events = [
        event("gtin", EventCode::Gtin, Classifier::Act, Some(transshipment_port()), 30),
        event("arri", EventCode::Arri, Classifier::Act, Some(transshipment_port()), 300),
        event("disc-est", EventCode::Disc, Classifier::Est, Some(pod()), 480),
    ];
    let progress = staff(&s, &events).progress;
    assert_eq!(progress.completed, 0);
    assert_eq!(progress.percent(), 0);

    let arrived = [event("arri", EventCode::Arri, Classifier::Act, Some(pod()), 470)];
    let progress = staff(&s, &arrived).progress;
    assert_eq!(progress.completed, 6);
    assert_eq!(progress.steps[5].reached_at, Some(at(470)));
}

#[test]
fn sea_fcl_delivery_completes_the_bar() {
    let s = plain_shipment();
    let events = [event("pod", EventCode::Podc, Classifier::Act, None, 700)];
    let progress = staff(&s, &events).progress;
    assert_eq!(progress.completed, 10);
    assert_eq!(progress.percent(), 100);
    assert!(progress.steps.iter().all(|step| step.done));
}

#[test]
fn each_mode_has_its_own_template() {
    for mode in Mode::ALL {
        let mut s = plain_shipment();
        s.mode = mode;
        let template = MilestoneTemplate::for_mode(mode);
        assert_eq!(template.mode, mode);
        assert_eq!(staff(&s, &[]).progress.steps.len(), template.steps.len());
        assert_eq!(template.steps.first().map(|step| step.label), Some("Booking confirmed"));
        assert_eq!(template.steps.last().map(|step| step.label), Some("Delivered"));
    }
}
