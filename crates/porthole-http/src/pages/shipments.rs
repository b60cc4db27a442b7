//! The signed-in tracking user's shipment list and shipment pages.
//!
//! Everything shown comes from the domain's projections (`PortalListItem`,
//! `PortalShipmentView`), which hold only what this viewer may see; this
//! module only decides how it reads, with the pieces in `parts`.

use askama::Template;
use poem::http::StatusCode;
use poem::web::{CsrfToken, Data, Path, Query};
use poem::{Request, Response, handler};
use porthole_app::{AppError, ListRequest, ShipmentPage};
use porthole_domain::projection::Dates;
use porthole_domain::{Mode, PortalListItem, PortalShipmentView, ShipmentId, Status};
use serde::Deserialize;

use super::format::{Moment, money};
use super::parts::{
    ContainerRow, DateFact, DocumentRow, EventRow, Fact, Place, ProgressView, StatusBadge, Stop, cargo, container_row,
    customer_note, dates, documents, event_row, progress, route,
};
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
    empty_message: String,
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
    let empty_message = empty_message(&q, &status, paged);
    let (rows, next_cursor, error) = match outcome {
        Ok(found) => (found.items.iter().map(list_row).collect(), found.next_cursor, None),
        Err(error) => (Vec::new(), None, Some(error)),
    };
    ListPage { frame, q, status, status_options, rows, error, empty_message, filtered, paged, next_cursor }
}

/// What an empty list says, fitting what narrowed it: advice on the
/// search text only where there is search text.
fn empty_message(q: &str, status: &str, paged: bool) -> String {
    const CHECK_SEARCH: &str = "Check the reference, house bill or container number, or clear the search.";
    // An empty later page: the earlier pages held the rest.
    if paged {
        return "There are no more shipments.".to_owned();
    }
    let label = FILTERABLE.iter().find(|option| option.as_str() == status).map(|option| option.label());
    match (q.is_empty(), status.is_empty(), label) {
        (true, true, _) => {
            "There are no shipments to show yet. Shipments appear here once your forwarder publishes them.".to_owned()
        }
        (true, false, Some(label)) => {
            format!("No shipments have the status {label}. Choose another status, or clear the filter.")
        }
        // A status this list does not offer; the page's error says so.
        (true, false, None) => "No shipments match this filter.".to_owned(),
        (false, false, Some(label)) => {
            format!("No shipments with the status {label} match this search. {CHECK_SEARCH}")
        }
        (false, _, _) => format!("No shipments match this search. {CHECK_SEARCH}"),
    }
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
    DetailPage {
        frame,
        reference: view.reference.to_string(),
        status: StatusBadge::of(view.status),
        mode: mode_label(view.mode),
        bills: bills.into_iter().flatten().collect(),
        parties: parties.into_iter().flatten().collect(),
        route: route(view.place_of_receipt.as_ref(), &view.pol, &view.pod, view.place_of_delivery.as_ref()),
        dates: dates(&view.dates, &view.pol, &view.pod),
        progress: progress(&view.progress, view.status),
        customer_note: customer_note(view.customer_note.as_deref()),
        cargo: view.cargo.as_ref().map(cargo).unwrap_or_default(),
        containers: view.containers.iter().map(container_row).collect(),
        events: view.events.iter().map(event_row).collect(),
        documents: view.documents.as_deref().map(documents),
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
