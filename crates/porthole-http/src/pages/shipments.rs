//! The signed-in tracking user's shipment list and shipment pages.
//!
//! Everything shown comes from the domain's projections (`PortalListItem`,
//! `PortalShipmentView`), which hold only what this viewer may see; this
//! module only decides how it reads.

use askama::Template;
use poem::http::StatusCode;
use poem::web::{CsrfToken, Data, Path, Query};
use poem::{Request, Response, handler};
use porthole_app::{AppError, ListRequest, ShipmentPage};
use porthole_domain::milestone::StepProgress;
use porthole_domain::projection::{Dates, EventView};
use porthole_domain::{Classifier, Container, Location, Mode, PortalListItem, PortalShipmentView, ShipmentId, Status};
use serde::Deserialize;

use super::format::{Moment, decimal, money};
use super::{Frame, Portal, failure, not_found, page, require_viewer};

// ---- The list --------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/shipments.html")]
struct ListPage {
    frame: Frame,
    /// The search as typed, for the search box and the paging links.
    q: String,
    /// The status filter as chosen, for the paging links.
    status: String,
    status_options: Vec<StatusOption>,
    rows: Vec<ListRow>,
    error: Option<String>,
    empty_message: &'static str,
    /// Whether a search or filter narrows the list.
    filtered: bool,
    /// Whether this is a later page than the first.
    paged: bool,
    next_cursor: Option<String>,
}

struct StatusOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

struct ListRow {
    id: String,
    reference: String,
    status: StatusBadge,
    pol: Place,
    pod: Place,
    etd: Option<Moment>,
    atd: Option<Moment>,
    eta: Option<Moment>,
    ata: Option<Moment>,
}

/// A status shown as text in a badge; the colour only repeats the text.
struct StatusBadge {
    key: &'static str,
    label: &'static str,
}

impl StatusBadge {
    fn of(status: Status) -> Self {
        Self { key: status.as_str(), label: status.label() }
    }
}

struct Place {
    name: String,
    code: String,
}

impl Place {
    fn of(location: &Location) -> Self {
        Self { name: location.name.clone(), code: location.unlocode.to_string() }
    }
}

/// The statuses a viewer can filter by; Draft shipments are never shown to
/// viewers, so it is not offered.
const FILTERABLE: [Status; 4] = [Status::Confirmed, Status::InTransit, Status::Done, Status::Cancelled];

#[handler]
pub(super) async fn list(
    portal: Data<&Portal>,
    csrf: &CsrfToken,
    request: &Request,
    Query(query): Query<ListQuery>,
) -> Response {
    let viewer = match require_viewer(&portal, request, csrf).await {
        Ok(viewer) => viewer,
        Err(response) => return response,
    };
    let frame = Frame::signed_in("Shipments", &viewer, csrf).on_shipment_list();
    let asked =
        ListRequest { status: query.status.clone(), q: query.q.clone(), cursor: query.cursor.clone(), limit: None };
    let (status, outcome) = match portal.app.portal_shipments(&viewer, &asked).await {
        Ok(found) => (StatusCode::OK, Ok(found)),
        Err(AppError::Invalid(refused)) => (StatusCode::BAD_REQUEST, Err(list_error(&refused.field))),
        Err(error) => return failure(error, frame),
    };
    page(status, &list_page(frame, &query, outcome))
}

/// Only a tampered address gets here: the page itself offers valid choices.
fn list_error(field: &str) -> String {
    match field {
        "q" => "Searches can be at most 100 characters long.".to_owned(),
        "cursor" => "That page of the list is no longer available. Start again from the first page.".to_owned(),
        _ => "That filter is not one this list offers. Choose one from the list.".to_owned(),
    }
}

fn list_page(frame: Frame, query: &ListQuery, outcome: Result<ShipmentPage, String>) -> ListPage {
    let text = |value: &Option<String>| value.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let (q, status) = (text(&query.q), text(&query.status));
    let filtered = !q.is_empty() || !status.is_empty();
    let paged = query.cursor.as_deref().is_some_and(|cursor| !cursor.is_empty());
    let status_options =
        std::iter::once(StatusOption { value: "", label: "All statuses", selected: status.is_empty() })
            .chain(FILTERABLE.iter().map(|option| StatusOption {
                value: option.as_str(),
                label: option.label(),
                selected: status == option.as_str(),
            }))
            .collect();
    let empty_message = if filtered {
        "No shipments match this search. Check the reference or container number, or clear the search."
    } else if paged {
        "There are no more shipments."
    } else {
        "There are no shipments to show yet. Shipments appear here once your forwarder publishes them."
    };
    let (rows, next_cursor, error) = match outcome {
        Ok(found) => (found.items.iter().map(list_row).collect(), found.next_cursor, None),
        Err(error) => (Vec::new(), None, Some(error)),
    };
    ListPage { frame, q, status, status_options, rows, error, empty_message, filtered, paged, next_cursor }
}

fn list_row(item: &PortalListItem) -> ListRow {
    let Dates { etd, eta, atd, ata } = &item.dates;
    ListRow {
        id: item.id.to_string(),
        reference: item.reference.to_string(),
        status: StatusBadge::of(item.status),
        pol: Place::of(&item.pol),
        pod: Place::of(&item.pod),
        etd: Moment::of_optional(etd.as_ref()),
        atd: Moment::of_optional(atd.as_ref()),
        eta: Moment::of_optional(eta.as_ref()),
        ata: Moment::of_optional(ata.as_ref()),
    }
}

// ---- One shipment ----------------------------------------------------------------

#[derive(Template)]
#[template(path = "pages/shipment.html")]
struct DetailPage {
    frame: Frame,
    reference: String,
    status: StatusBadge,
    mode: &'static str,
    /// HBL, MBL (where shown), carrier, vessel and voyage.
    bills: Vec<Fact>,
    parties: Vec<Fact>,
    route: Vec<Stop>,
    dates: Vec<DateFact>,
    progress: ProgressView,
    customer_note: Option<String>,
    cargo: Vec<Fact>,
    containers: Vec<ContainerRow>,
    events: Vec<EventRow>,
    /// `None` where this viewer is not shown documents at all.
    documents: Option<Vec<DocumentRow>>,
    /// `None` where this viewer is not shown charges at all.
    charges: Option<Vec<ChargeRow>>,
}

struct Fact {
    label: &'static str,
    value: String,
}

impl Fact {
    fn some(label: &'static str, value: Option<String>) -> Option<Self> {
        value.map(|value| Self { label, value })
    }
}

/// A stop on the route: place of receipt, loading, discharge, delivery.
struct Stop {
    role: &'static str,
    place: Place,
}

struct DateFact {
    label: &'static str,
    /// Where the time is local to.
    place: String,
    moment: Option<Moment>,
    missing: &'static str,
}

struct ProgressView {
    steps: Vec<StepRow>,
    completed: usize,
    total: usize,
    percent: u8,
    /// "4 of 10 milestones reached"
    summary: String,
}

struct StepRow {
    label: &'static str,
    /// `done`, `next` or `pending`: a CSS hook, always repeated in `state`.
    class: &'static str,
    state: String,
    is_next: bool,
}

struct ContainerRow {
    number: String,
    kind: String,
    seal: Option<String>,
}

struct EventRow {
    label: &'static str,
    /// "Estimated" or "Planned"; actual events need no word.
    classifier: Option<&'static str>,
    time: Moment,
    place: Option<String>,
    details: Vec<String>,
    retracted: bool,
    is_correction: bool,
}

struct DocumentRow {
    name: String,
    kind: String,
}

struct ChargeRow {
    description: String,
    amount: String,
}

#[handler]
pub(super) async fn detail(
    portal: Data<&Portal>,
    csrf: &CsrfToken,
    request: &Request,
    Path(id): Path<String>,
) -> Response {
    let viewer = match require_viewer(&portal, request, csrf).await {
        Ok(viewer) => viewer,
        Err(response) => return response,
    };
    match portal.app.portal_shipment(&viewer, &ShipmentId::new(id)).await {
        Ok(view) => {
            let frame = Frame::signed_in(format!("Shipment {}", view.reference), &viewer, csrf);
            page(StatusCode::OK, &detail_page(frame, &view))
        }
        Err(AppError::NotFound) => not_found(Frame::signed_in("Not found", &viewer, csrf)),
        Err(error) => failure(error, Frame::signed_in("Shipment", &viewer, csrf)),
    }
}

fn detail_page(frame: Frame, view: &PortalShipmentView) -> DetailPage {
    let vessel_voyage = match (&view.vessel, &view.voyage) {
        (Some(vessel), Some(voyage)) => Some(format!("{vessel}, voyage {voyage}")),
        (Some(vessel), None) => Some(vessel.clone()),
        (None, Some(voyage)) => Some(format!("Voyage {voyage}")),
        (None, None) => None,
    };
    let bills = [
        Fact::some("House bill (HBL)", Some(view.hbl_no.clone()).filter(|hbl| !hbl.is_empty())),
        Fact::some("Master bill (MBL)", view.mbl_no.clone()),
        Fact::some("Carrier", view.carrier.clone()),
        Fact::some("Vessel", vessel_voyage),
    ];
    let parties = [
        Fact::some("Customer", Some(view.customer.name.clone())),
        Fact::some("Shipper", view.shipper.as_ref().map(|party| party.name.clone())),
        Fact::some("Consignee", view.consignee.as_ref().map(|party| party.name.clone())),
    ];
    let route = [
        view.place_of_receipt.as_ref().map(|place| ("Place of receipt", place)),
        Some(("Port of loading", &view.pol)),
        Some(("Port of discharge", &view.pod)),
        view.place_of_delivery.as_ref().map(|place| ("Place of delivery", place)),
    ];
    DetailPage {
        frame,
        reference: view.reference.to_string(),
        status: StatusBadge::of(view.status),
        mode: mode_label(view.mode),
        bills: bills.into_iter().flatten().collect(),
        parties: parties.into_iter().flatten().collect(),
        route: route.into_iter().flatten().map(|(role, place)| Stop { role, place: Place::of(place) }).collect(),
        dates: dates(view),
        progress: progress(view),
        customer_note: view.customer_note.clone().filter(|note| !note.trim().is_empty()),
        cargo: view.cargo.as_ref().map(cargo).unwrap_or_default(),
        containers: view.containers.iter().map(container_row).collect(),
        events: view.events.iter().map(event_row).collect(),
        documents: view.documents.as_ref().map(|documents| {
            documents.iter().map(|doc| DocumentRow { name: doc.name.clone(), kind: doc.kind.clone() }).collect()
        }),
        charges: view.charges.as_ref().map(|charges| {
            charges
                .iter()
                .map(|charge| ChargeRow {
                    description: charge.description.clone(),
                    amount: money(charge.amount_minor, &charge.currency),
                })
                .collect()
        }),
    }
}

fn mode_label(mode: Mode) -> &'static str {
    match mode {
        Mode::SeaFcl => "Sea freight, full container (FCL)",
        Mode::SeaLcl => "Sea freight, less than container (LCL)",
        Mode::Air => "Air freight",
        Mode::Road => "Road freight",
    }
}

/// Departure times are local to the port of loading, arrival times to the
/// port of discharge: that is where the events that set them happen.
fn dates(view: &PortalShipmentView) -> Vec<DateFact> {
    let Dates { etd, eta, atd, ata } = &view.dates;
    let at = |location: &Location| format!("{} ({})", location.name, location.unlocode);
    let fact = |label, place: &Location, time: &Option<_>, missing| DateFact {
        label,
        place: at(place),
        moment: Moment::of_optional(time.as_ref()),
        missing,
    };
    vec![
        fact("Estimated departure (ETD)", &view.pol, etd, "Not known yet"),
        fact("Departed (ATD)", &view.pol, atd, "Not yet departed"),
        fact("Estimated arrival (ETA)", &view.pod, eta, "Not known yet"),
        fact("Arrived (ATA)", &view.pod, ata, "Not yet arrived"),
    ]
}

fn progress(view: &PortalShipmentView) -> ProgressView {
    let progress = &view.progress;
    // A cancelled shipment has no next step to wait for.
    let next = (view.status != Status::Cancelled).then_some(progress.completed);
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

fn cargo(cargo: &porthole_domain::Cargo) -> Vec<Fact> {
    let facts = [
        Fact::some("Description", Some(cargo.description.clone()).filter(|text| !text.trim().is_empty())),
        Fact::some("Packages", Some(decimal(f64::from(cargo.packages), 0))),
        Fact::some("Gross weight", Some(format!("{} kg", decimal(cargo.weight_kg, 2)))),
        Fact::some("Volume", Some(format!("{} m³", decimal(cargo.volume_m3, 3)))),
    ];
    facts.into_iter().flatten().collect()
}

fn container_row(container: &Container) -> ContainerRow {
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

fn event_row(event: &EventView) -> EventRow {
    let classifier = match event.classifier {
        Classifier::Act => None,
        Classifier::Est => Some("Estimated"),
        Classifier::Pln => Some("Planned"),
    };
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
