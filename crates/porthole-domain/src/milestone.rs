//! Milestone state, derived from events and never typed twice.
//!
//! Derivation is a pure function of the shipment and the *set* of events: it
//! sorts by each event's own recorded time (ties by `event_id`), so the
//! result is the same whatever order the events arrived in, and a late older
//! event can never move the status backwards.

use std::collections::HashSet;

use chrono::{DateTime, Duration, FixedOffset, Utc};

use crate::event::{Classifier, EventCode, TrackingEvent};
use crate::shipment::{Mode, Shipment, Status};

/// Whose picture of the shipment is being derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Staff see every event, published or not.
    Staff,
    /// Tracking users and link recipients see published events only, so
    /// nothing derived from an unpublished event reaches them either.
    Viewer,
}

/// One change of the estimated time of arrival.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtaChange {
    /// When the source recorded the new estimate.
    pub recorded_at: DateTime<Utc>,
    pub from: Option<DateTime<FixedOffset>>,
    pub to: DateTime<FixedOffset>,
}

impl EtaChange {
    /// How far the estimate moved; `None` for the first estimate.
    pub fn shift(&self) -> Option<Duration> {
        self.from.map(|from| self.to.signed_duration_since(from))
    }

    /// A shift of at least `threshold` either way is an exception that
    /// notifies. The first estimate is not a change.
    pub fn is_exception(&self, threshold: Duration) -> bool {
        self.shift().is_some_and(|shift| shift.abs() >= threshold)
    }
}

/// Everything the events say about where a shipment is.
#[derive(Debug, Clone, PartialEq)]
pub struct MilestoneState {
    pub status: Status,
    pub etd: Option<DateTime<FixedOffset>>,
    pub atd: Option<DateTime<FixedOffset>>,
    pub eta: Option<DateTime<FixedOffset>>,
    pub ata: Option<DateTime<FixedOffset>>,
    /// Every change of the ETA, oldest first.
    pub eta_history: Vec<EtaChange>,
    pub progress: Progress,
}

impl MilestoneState {
    /// Derives the state `audience` may see from the shipment's own fields
    /// and its events.
    pub fn derive(shipment: &Shipment, events: &[TrackingEvent], audience: Audience) -> Self {
        let effective = effective_events(events, audience);
        let actual = |e: &&TrackingEvent| e.classifier == Classifier::Act;
        let estimate = |e: &&TrackingEvent| e.classifier != Classifier::Act;

        let departures: Vec<&TrackingEvent> =
            effective.iter().copied().filter(|e| e.code == EventCode::Depa && e.is_at(&shipment.pol)).collect();
        let arrivals: Vec<&TrackingEvent> =
            effective.iter().copied().filter(|e| e.code == EventCode::Arri && e.is_at(&shipment.pod)).collect();

        let etd = newest(departures.iter().copied().filter(estimate)).or(shipment.planned_etd);
        let atd = newest(departures.iter().copied().filter(actual));
        let ata = newest(arrivals.iter().copied().filter(actual));
        let eta_history = eta_history(shipment.planned_eta, arrivals.iter().copied().filter(estimate).collect());
        let eta = eta_history.last().map(|change| change.to).or(shipment.planned_eta);

        let proven = effective
            .iter()
            .filter(|e| e.classifier == Classifier::Act)
            .filter_map(|e| status_proven_by(e, shipment))
            .fold(Status::Draft, Status::furthest);
        let status = shipment.status.furthest(proven);

        let progress = Progress::over(MilestoneTemplate::for_mode(shipment.mode), shipment, &effective);
        Self { status, etd, atd, eta, ata, eta_history, progress }
    }
}

/// The events `audience` may see, less those retracted by another event the
/// audience may see.
pub fn effective_events(events: &[TrackingEvent], audience: Audience) -> Vec<&TrackingEvent> {
    let visible: Vec<&TrackingEvent> = events.iter().filter(|e| audience == Audience::Staff || e.published).collect();
    let retracted: HashSet<&str> = visible.iter().filter_map(|e| e.retracts.as_deref()).collect();
    visible.into_iter().filter(|e| !retracted.contains(e.event_id.as_str())).collect()
}

fn newest<'a>(events: impl Iterator<Item = &'a TrackingEvent>) -> Option<DateTime<FixedOffset>> {
    events.max_by(|a, b| a.recency_key().cmp(&b.recency_key())).map(|e| e.event_time)
}

fn eta_history(planned: Option<DateTime<FixedOffset>>, mut estimates: Vec<&TrackingEvent>) -> Vec<EtaChange> {
    estimates.sort_by(|a, b| a.recency_key().cmp(&b.recency_key()));
    let mut history = Vec::new();
    let mut current = planned;
    for estimate in estimates {
        if current != Some(estimate.event_time) {
            history.push(EtaChange { recorded_at: estimate.recorded_at, from: current, to: estimate.event_time });
            current = Some(estimate.event_time);
        }
    }
    history
}

/// The status an actual event proves, if any.
fn status_proven_by(event: &TrackingEvent, shipment: &Shipment) -> Option<Status> {
    match event.code {
        EventCode::Conf => Some(Status::Confirmed),
        EventCode::Load | EventCode::Picu => Some(Status::InTransit),
        EventCode::Depa if event.is_at(&shipment.pol) => Some(Status::InTransit),
        EventCode::Dlvd | EventCode::Podc => Some(Status::Done),
        EventCode::Canc => Some(Status::Cancelled),
        _ => None,
    }
}

/// Where an event must happen to count for a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Anywhere,
    PortOfLoading,
    PortOfDischarge,
}

impl Place {
    fn admits(self, event: &TrackingEvent, shipment: &Shipment) -> bool {
        match self {
            Place::Anywhere => true,
            Place::PortOfLoading => event.is_at(&shipment.pol),
            Place::PortOfDischarge => event.is_at(&shipment.pod),
        }
    }
}

/// One step of a progress bar and the actual events that reach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MilestoneStep {
    pub label: &'static str,
    pub codes: &'static [EventCode],
    pub place: Place,
}

impl MilestoneStep {
    /// Whether `event` reaches this step: an actual event of one of its
    /// codes at its place.
    pub fn is_reached_by(&self, event: &TrackingEvent, shipment: &Shipment) -> bool {
        event.classifier == Classifier::Act && self.codes.contains(&event.code) && self.place.admits(event, shipment)
    }
}

const fn step(label: &'static str, codes: &'static [EventCode], place: Place) -> MilestoneStep {
    MilestoneStep { label, codes, place }
}

/// The steps of the progress bar for one mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MilestoneTemplate {
    pub mode: Mode,
    pub steps: &'static [MilestoneStep],
}

use EventCode as C;
use Place::{Anywhere, PortOfDischarge as Pod, PortOfLoading as Pol};

const SEA_FCL: &[MilestoneStep] = &[
    step("Booking confirmed", &[C::Conf], Anywhere),
    step("Empty picked up / cargo received", &[C::Pick, C::Rece], Anywhere),
    step("Container stuffed", &[C::Stuf], Anywhere),
    step("Gate-in", &[C::Gtin], Pol),
    step("Loaded on vessel / departed", &[C::Load, C::Depa], Pol),
    step("Arrived", &[C::Arri], Pod),
    step("Discharged", &[C::Disc], Pod),
    step("Customs cleared", &[C::Rels], Anywhere),
    step("Gate-out", &[C::Gtot], Pod),
    step("Delivered", &[C::Dlvd, C::Podc], Anywhere),
];

const SEA_LCL: &[MilestoneStep] = &[
    step("Booking confirmed", &[C::Conf], Anywhere),
    step("Cargo received", &[C::Rece], Anywhere),
    step("Consolidated", &[C::Stuf], Anywhere),
    step("Departed", &[C::Load, C::Depa], Pol),
    step("Arrived", &[C::Arri], Pod),
    step("Devanned", &[C::Strp], Anywhere),
    step("Customs cleared", &[C::Rels], Anywhere),
    step("Delivered", &[C::Dlvd, C::Podc], Anywhere),
];

const AIR: &[MilestoneStep] = &[
    step("Booking confirmed", &[C::Conf], Anywhere),
    step("Picked up", &[C::Picu, C::Rece], Anywhere),
    step("Departed", &[C::Depa], Pol),
    step("Arrived", &[C::Arri], Pod),
    step("Customs cleared", &[C::Rels], Anywhere),
    step("Out for delivery", &[C::Ofdl], Anywhere),
    step("Delivered", &[C::Dlvd, C::Podc], Anywhere),
];

const ROAD: &[MilestoneStep] = &[
    step("Booking confirmed", &[C::Conf], Anywhere),
    step("Picked up", &[C::Picu], Anywhere),
    step("Out for delivery", &[C::Ofdl], Anywhere),
    step("Delivered", &[C::Dlvd, C::Podc], Anywhere),
];

impl MilestoneTemplate {
    pub fn for_mode(mode: Mode) -> Self {
        let steps = match mode {
            Mode::SeaFcl => SEA_FCL,
            Mode::SeaLcl => SEA_LCL,
            Mode::Air => AIR,
            Mode::Road => ROAD,
        };
        Self { mode, steps }
    }
}

/// A step as shown on the progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepProgress {
    pub label: &'static str,
    /// When the step was actually reached, if an event says so.
    pub reached_at: Option<DateTime<FixedOffset>>,
    /// Reached, or passed because a later step was reached (feeds often skip
    /// steps).
    pub done: bool,
}

/// The progress bar: every step of the template, and how far along it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub steps: Vec<StepProgress>,
    /// How many steps are done, counting from the start.
    pub completed: usize,
}

impl Progress {
    fn over(template: MilestoneTemplate, shipment: &Shipment, events: &[&TrackingEvent]) -> Self {
        let mut steps: Vec<StepProgress> = template
            .steps
            .iter()
            .map(|step| {
                let reached_at = events
                    .iter()
                    .filter(|e| step.is_reached_by(e, shipment))
                    .min_by_key(|e| e.event_time)
                    .map(|e| e.event_time);
                StepProgress { label: step.label, reached_at, done: false }
            })
            .collect();
        let completed = steps.iter().rposition(|s| s.reached_at.is_some()).map_or(0, |last| last + 1);
        for step in &mut steps[..completed] {
            step.done = true;
        }
        Self { steps, completed }
    }

    /// Share of the journey done, 0–100.
    pub fn percent(&self) -> u8 {
        if self.steps.is_empty() {
            return 0;
        }
        u8::try_from(self.completed * 100 / self.steps.len()).unwrap_or(100)
    }
}
