//! The pieces a shipment page is made of, shared by the portal's shipment
//! page and the page a share link shows: status badge, route, dates in
//! local time, progress over the milestone template, cargo, containers,
//! timeline and documents. Each has its template in
//! `templates/pages/parts/`, which a page includes where it wants it.

use porthole_domain::milestone::{Progress, StepProgress};
use porthole_domain::projection::{Dates, DocumentView, EventView};
use porthole_domain::{Classifier, Container, Location, Status};

use super::format::{Moment, decimal};

/// A status shown as text in a badge; the colour only repeats the text.
pub(super) struct StatusBadge {
    pub(super) key: &'static str,
    pub(super) label: &'static str,
}

impl StatusBadge {
    pub(super) fn of(status: Status) -> Self {
        Self { key: status.as_str(), label: status.label() }
    }
}

pub(super) struct Place {
    pub(super) name: String,
    pub(super) code: String,
}

impl Place {
    pub(super) fn of(location: &Location) -> Self {
        Self { name: location.name.clone(), code: location.unlocode.to_string() }
    }
}

pub(super) struct Fact {
    pub(super) label: &'static str,
    pub(super) value: String,
}

impl Fact {
    pub(super) fn some(label: &'static str, value: Option<String>) -> Option<Self> {
        value.map(|value| Self { label, value })
    }
}

/// A stop on the route: place of receipt, loading, discharge, delivery.
pub(super) struct Stop {
    pub(super) role: &'static str,
    pub(super) place: Place,
}

pub(super) struct DateFact {
    pub(super) label: &'static str,
    /// Where the time is local to.
    pub(super) place: String,
    pub(super) moment: Option<Moment>,
    pub(super) missing: &'static str,
}

pub(super) struct ProgressView {
    pub(super) steps: Vec<StepRow>,
    pub(super) completed: usize,
    pub(super) total: usize,
    pub(super) percent: u8,
    /// "4 of 10 milestones reached"
    pub(super) summary: String,
}

pub(super) struct StepRow {
    pub(super) label: &'static str,
    /// `done`, `next` or `pending`: a CSS hook, always repeated in `state`.
    pub(super) class: &'static str,
    pub(super) state: String,
    pub(super) is_next: bool,
}

pub(super) struct ContainerRow {
    pub(super) number: String,
    pub(super) kind: String,
    pub(super) seal: Option<String>,
}

pub(super) struct EventRow {
    pub(super) label: &'static str,
    /// "Estimated" or "Planned" where the label does not already say so;
    /// actual events need no word.
    pub(super) classifier: Option<&'static str>,
    pub(super) time: Moment,
    pub(super) place: Option<String>,
    pub(super) details: Vec<String>,
    pub(super) retracted: bool,
    pub(super) is_correction: bool,
}

pub(super) struct DocumentRow {
    pub(super) name: String,
    pub(super) kind: String,
}

/// The stops in travel order; receipt and delivery only where known.
pub(super) fn route(
    place_of_receipt: Option<&Location>,
    pol: &Location,
    pod: &Location,
    place_of_delivery: Option<&Location>,
) -> Vec<Stop> {
    [
        place_of_receipt.map(|place| ("Place of receipt", place)),
        Some(("Port of loading", pol)),
        Some(("Port of discharge", pod)),
        place_of_delivery.map(|place| ("Place of delivery", place)),
    ]
    .into_iter()
    .flatten()
    .map(|(role, place)| Stop { role, place: Place::of(place) })
    .collect()
}

/// The note, unless it is blank.
pub(super) fn customer_note(note: Option<&str>) -> Option<String> {
    note.filter(|note| !note.trim().is_empty()).map(str::to_owned)
}

pub(super) fn documents(documents: &[DocumentView]) -> Vec<DocumentRow> {
    documents.iter().map(|doc| DocumentRow { name: doc.name.clone(), kind: doc.kind.clone() }).collect()
}

/// Departure times are local to the port of loading, arrival times to the
/// port of discharge: that is where the events that set them happen.
pub(super) fn dates(dates: &Dates, pol: &Location, pod: &Location) -> Vec<DateFact> {
    let Dates { etd, eta, atd, ata } = dates;
    let at = |location: &Location| format!("{} ({})", location.name, location.unlocode);
    let fact = |label, place: &Location, time: &Option<_>, missing| DateFact {
        label,
        place: at(place),
        moment: Moment::of_optional(time.as_ref()),
        missing,
    };
    vec![
        fact("Estimated departure (ETD)", pol, etd, "Not known yet"),
        fact("Departed (ATD)", pol, atd, "Not yet departed"),
        fact("Estimated arrival (ETA)", pod, eta, "Not known yet"),
        fact("Arrived (ATA)", pod, ata, "Not yet arrived"),
    ]
}

pub(super) fn progress(progress: &Progress, status: Status) -> ProgressView {
    // A cancelled shipment has no next step to wait for.
    let next = (status != Status::Cancelled).then_some(progress.completed);
    let steps =
        progress.steps.iter().enumerate().map(|(index, step)| step_row(step, next == Some(index))).collect::<Vec<_>>();
    let total = steps.len();
    let summary = format!("{} of {total} milestones reached", progress.completed);
    ProgressView { total, steps, completed: progress.completed, percent: progress.percent(), summary }
}

fn step_row(step: &StepProgress, is_next: bool) -> StepRow {
    let (class, state) = match (step.done, &step.reached_at) {
        (true, Some(reached)) => ("done", format!("Done, {}", Moment::of(reached).text)),
        (true, None) => ("done", "Done".to_owned()),
        (false, _) if is_next => ("next", "Next".to_owned()),
        (false, _) => ("pending", "Not yet".to_owned()),
    };
    StepRow { label: step.label, class, state, is_next }
}

pub(super) fn cargo(cargo: &porthole_domain::Cargo) -> Vec<Fact> {
    let facts = [
        Fact::some("Description", Some(cargo.description.clone()).filter(|text| !text.trim().is_empty())),
        Fact::some("Packages", Some(decimal(f64::from(cargo.packages), 0))),
        Fact::some("Gross weight", Some(format!("{} kg", decimal(cargo.weight_kg, 2)))),
        Fact::some("Volume", Some(format!("{} m³", decimal(cargo.volume_m3, 3)))),
    ];
    facts.into_iter().flatten().collect()
}

pub(super) fn container_row(container: &Container) -> ContainerRow {
    let kind = match container_type_name(&container.iso_type) {
        Some(name) => format!("{name} ({})", container.iso_type),
        None => container.iso_type.clone(),
    };
    ContainerRow { number: container.number.to_string(), kind, seal: container.seal.clone() }
}

/// Plain names for the ISO 6346 size-type codes customers meet most; any
/// other code is shown as it is.
fn container_type_name(iso_type: &str) -> Option<&'static str> {
    let name = match iso_type.trim().to_ascii_uppercase().as_str() {
        "22G0" | "22G1" => "20' standard",
        "42G0" | "42G1" => "40' standard",
        "45G0" | "45G1" => "40' high cube",
        "L5G0" | "L5G1" => "45' high cube",
        "22R0" | "22R1" => "20' reefer",
        "42R0" | "42R1" => "40' reefer",
        "45R0" | "45R1" => "40' high cube reefer",
        "22U0" | "22U1" => "20' open top",
        "42U0" | "42U1" => "40' open top",
        "22P1" | "22P3" => "20' flat rack",
        "42P1" | "42P3" | "45P3" => "40' flat rack",
        "22T0" | "22T1" | "22T6" => "20' tank",
        _ => return None,
    };
    Some(name)
}

pub(super) fn event_row(event: &EventView) -> EventRow {
    let classifier = match event.classifier {
        Classifier::Act => None,
        Classifier::Est => Some("Estimated"),
        Classifier::Pln => Some("Planned"),
    };
    // The domain words the classifier into some labels ("Estimated
    // arrival"); a tag beside those would only repeat it.
    let classifier = classifier.filter(|word| !event.label.to_lowercase().contains(&word.to_lowercase()));
    let vessel = match (&event.vessel, &event.voyage) {
        (Some(vessel), Some(voyage)) => Some(format!("Vessel {vessel}, voyage {voyage}")),
        (Some(vessel), None) => Some(format!("Vessel {vessel}")),
        (None, Some(voyage)) => Some(format!("Voyage {voyage}")),
        (None, None) => None,
    };
    let details = [
        event.container_number.as_ref().map(|number| format!("Container {number}")),
        vessel,
        event.delay_reason.as_ref().map(|reason| format!("Delay: {reason}")),
        event.remark.clone(),
    ];
    EventRow {
        label: event.label,
        classifier,
        time: Moment::of(&event.event_time),
        place: event.location.as_ref().map(|location| format!("{} ({})", location.name, location.unlocode)),
        details: details.into_iter().flatten().filter(|text| !text.trim().is_empty()).collect(),
        retracted: event.retracted,
        is_correction: event.is_correction,
    }
}
