//! Which changes to a shipment its viewers should hear about.
//!
//! Whenever the store recomputes the milestone state viewers see, it records
//! what changed for them as a [`ViewerChange`]: their dates before and
//! after, and the new events they can see. Only the viewers' picture
//! counts, so nothing unpublished can cause a mail. Later, changes that came
//! in a burst are merged into one and [`ViewerChange::notices`] decides,
//! under the operator's [`NoticePolicy`], what is worth a mail: an estimate
//! that moved three times by ten hours within the burst moved thirty, and
//! one that moved away and back moved not at all.

use std::collections::HashSet;

use chrono::{DateTime, Duration, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::event::{Classifier, TrackingEvent};
use crate::milestone::{Audience, MilestoneState, MilestoneTemplate, effective_events};
use crate::party::NotificationCategory;
use crate::shipment::{Shipment, Status};

/// When a change of the viewers' state is worth a mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticePolicy {
    /// An estimated departure or arrival that moves by at least this much,
    /// either way, notifies; a smaller shift does not.
    pub date_shift_threshold: Duration,
}

impl Default for NoticePolicy {
    /// A day: the shift a consignee plans around.
    fn default() -> Self {
        Self { date_shift_threshold: Duration::hours(24) }
    }
}

/// The dates and status viewers saw before a change, as the store keeps
/// them between changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewerDates {
    pub status: Status,
    pub etd: Option<DateTime<FixedOffset>>,
    pub atd: Option<DateTime<FixedOffset>>,
    pub eta: Option<DateTime<FixedOffset>>,
    pub ata: Option<DateTime<FixedOffset>>,
}

impl ViewerDates {
    pub fn of(state: &MilestoneState) -> Self {
        Self { status: state.status, etd: state.etd, atd: state.atd, eta: state.eta, ata: state.ata }
    }
}

/// Which estimate moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EstimatedDate {
    Departure,
    Arrival,
}

/// One thing about a shipment that viewers may be told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ShipmentNotice {
    /// A published, actual event reached a step of the shipment's progress
    /// bar ("Departed", "Arrived", …).
    MilestoneReached { event_id: String, code: String, label: String, event_time: DateTime<FixedOffset> },
    /// The estimated departure (before an actual departure) or arrival
    /// (before an actual arrival) moved by at least the threshold.
    DateChanged { date: EstimatedDate, from: DateTime<FixedOffset>, to: DateTime<FixedOffset> },
    /// A published, actual document event: a bill of lading issued or
    /// surrendered, cargo released by customs.
    DocumentStatus { event_id: String, code: String, label: String, event_time: DateTime<FixedOffset> },
}

impl ShipmentNotice {
    /// The preference that decides whether a user receives it.
    pub fn category(&self) -> NotificationCategory {
        match self {
            Self::MilestoneReached { .. } => NotificationCategory::JourneyUpdated,
            Self::DateChanged { .. } => NotificationCategory::EtaChanged,
            Self::DocumentStatus { .. } => NotificationCategory::DocumentStatus,
        }
    }
}

/// A new event viewers can see, as a notice needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenEvent {
    pub event_id: String,
    pub code: String,
    pub label: String,
    pub event_time: DateTime<FixedOffset>,
    /// It reached a step of the shipment's progress bar.
    pub milestone: bool,
    /// It is a document event (see [`crate::EventCode::is_document_status`]).
    pub document: bool,
}

/// What one write changed for viewers of a shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewerChange {
    pub before: ViewerDates,
    pub after: ViewerDates,
    /// New events viewers see that could notify: published, actual,
    /// neither retracted nor a retraction, and a milestone or a document
    /// event. Oldest write first.
    pub new_events: Vec<SeenEvent>,
}

impl ViewerChange {
    /// What a write that took the viewer state from `before` to `after`
    /// changed for viewers. `events` are all the shipment's events after
    /// the write, `new_event_ids` those the write stored (none when only
    /// the shipment itself changed). `None` when nothing changed that could
    /// ever notify.
    pub fn between(
        shipment: &Shipment,
        before: &ViewerDates,
        after: &MilestoneState,
        events: &[TrackingEvent],
        new_event_ids: &[&str],
    ) -> Option<Self> {
        let template = MilestoneTemplate::for_mode(shipment.mode);
        // A batch may hold thousands of events: look them up, not along.
        let new_ids: HashSet<&str> = new_event_ids.iter().copied().collect();
        let effective = effective_events(events, Audience::Viewer);
        let step_of = |e: &TrackingEvent| template.steps.iter().find(|step| step.is_reached_by(e, shipment));
        // A step viewers saw reached before this write is no news when
        // another container reaches it now; nor is it twice in one write.
        let mut reached: HashSet<&str> = effective
            .iter()
            .filter(|e| !new_ids.contains(e.event_id.as_str()))
            .filter_map(|e| step_of(e))
            .map(|step| step.label)
            .collect();
        let new_events: Vec<SeenEvent> = effective
            .iter()
            .filter(|e| new_ids.contains(e.event_id.as_str()))
            .filter(|e| e.classifier == Classifier::Act && e.retracts.is_none())
            .map(|e| SeenEvent {
                event_id: e.event_id.clone(),
                code: e.code.as_str().to_owned(),
                label: e.code.label().to_owned(),
                event_time: e.event_time,
                milestone: step_of(e).is_some_and(|step| reached.insert(step.label)),
                document: e.code.is_document_status(),
            })
            .filter(|e| e.milestone || e.document)
            .collect();
        let after = ViewerDates::of(after);
        let dates_moved = before.etd != after.etd || before.eta != after.eta;
        (dates_moved || !new_events.is_empty()).then(|| Self { before: before.clone(), after, new_events })
    }

    /// The change without the new events viewers no longer see in
    /// `events` (the shipment's events now): a departure retracted within
    /// the burst that reported it is told to nobody.
    pub fn without_withdrawn(mut self, events: &[TrackingEvent]) -> Self {
        let seen_now: HashSet<&str> =
            effective_events(events, Audience::Viewer).into_iter().map(|e| e.event_id.as_str()).collect();
        self.new_events.retain(|seen| seen_now.contains(seen.event_id.as_str()));
        self
    }

    /// One change standing for several in a row (oldest first): from the
    /// first one's before to the last one's after, with every new event.
    pub fn merge(changes: impl IntoIterator<Item = ViewerChange>) -> Option<Self> {
        changes.into_iter().reduce(|mut merged, next| {
            merged.after = next.after;
            merged.new_events.extend(next.new_events);
            merged
        })
    }

    /// What viewers should hear of this change.
    ///
    /// - Each new milestone event is a journey update; each document event
    ///   a document notice (customs release is both).
    /// - A date notifies only when it moved by at least the threshold,
    ///   from an earlier estimate (a first estimate is not a change), and
    ///   only while the matching actual date is unknown: once a ship has
    ///   arrived, a late estimate of its arrival is noise.
    pub fn notices(&self, policy: &NoticePolicy) -> Vec<ShipmentNotice> {
        let mut notices = Vec::new();
        let mut seen = HashSet::new();
        for event in self.new_events.iter().filter(|e| seen.insert(e.event_id.as_str())) {
            let (event_id, code, label, event_time) =
                (event.event_id.clone(), event.code.clone(), event.label.clone(), event.event_time);
            if event.milestone {
                notices.push(ShipmentNotice::MilestoneReached {
                    event_id: event_id.clone(),
                    code: code.clone(),
                    label: label.clone(),
                    event_time,
                });
            }
            if event.document {
                notices.push(ShipmentNotice::DocumentStatus { event_id, code, label, event_time });
            }
        }
        let threshold = policy.date_shift_threshold;
        let shifted = |from: Option<DateTime<FixedOffset>>, to: Option<DateTime<FixedOffset>>| match (from, to) {
            (Some(from), Some(to)) if (to - from).abs() >= threshold => Some((from, to)),
            _ => None,
        };
        if self.after.atd.is_none()
            && let Some((from, to)) = shifted(self.before.etd, self.after.etd)
        {
            notices.push(ShipmentNotice::DateChanged { date: EstimatedDate::Departure, from, to });
        }
        if self.after.ata.is_none()
            && let Some((from, to)) = shifted(self.before.eta, self.after.eta)
        {
            notices.push(ShipmentNotice::DateChanged { date: EstimatedDate::Arrival, from, to });
        }
        notices
    }
}
