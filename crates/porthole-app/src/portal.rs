//! What tracking users see: their shipment list and the shipment detail,
//! and the same list as staff preview it for a user.
//!
//! Storage selects candidates with the domain's [`ViewerScope`]; every row
//! and every detail is then passed through the domain's visibility rule and
//! projection again, so a storage bug can hide a shipment but never show
//! one that the rule refuses.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use porthole_domain::projection::list_item_for;
use porthole_domain::{
    Organization, PortalListItem, PortalShipmentView, ShipmentId, ShipmentReference, Status, TrackingUser,
    TrackingUserId, project_for_user, scope_of,
};

use crate::accounts::PortalViewer;
use crate::error::{AppError, FieldError};
use crate::ports::{ShipmentQuery, ShipmentSearch};
use crate::service::Porthole;

/// The page size when the caller names none.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The largest page a caller may ask for.
pub const MAX_PAGE_SIZE: u32 = 100;

/// A list request, as sent (`?status=&q=&cursor=&limit=`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListRequest {
    pub status: Option<String>,
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// One page of a user's shipments, newest reference first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentPage {
    pub items: Vec<PortalListItem>,
    /// Pass back as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl Porthole {
    /// The signed-in viewer's shipments.
    pub async fn portal_shipments(
        &self,
        viewer: &PortalViewer,
        request: &ListRequest,
    ) -> Result<ShipmentPage, AppError> {
        self.visible_page(&viewer.user, &viewer.organizations, request).await
    }

    /// One shipment as the viewer sees it. A shipment that does not exist
    /// and one the viewer may not see are the same `NotFound`.
    pub async fn portal_shipment(
        &self,
        viewer: &PortalViewer,
        id: &ShipmentId,
    ) -> Result<PortalShipmentView, AppError> {
        let record = self.ports.shipments.shipment_record(id).await?.ok_or(AppError::NotFound)?;
        project_for_user(&viewer.user, &viewer.organizations, &record).ok_or(AppError::NotFound)
    }

    /// Exactly the list `user` would see now, for staff.
    pub async fn preview_shipments(
        &self,
        id: &TrackingUserId,
        request: &ListRequest,
    ) -> Result<ShipmentPage, AppError> {
        let user = self.ports.tracking_users.tracking_user(id).await?.ok_or(AppError::NotFound)?;
        let ids: Vec<_> = user.organization_ids.iter().cloned().collect();
        let organizations = self.ports.organizations.organizations(&ids).await?;
        self.visible_page(&user, &organizations, request).await
    }

    async fn visible_page(
        &self,
        user: &TrackingUser,
        organizations: &[Organization],
        request: &ListRequest,
    ) -> Result<ShipmentPage, AppError> {
        let query = parse_list_request(request)?;
        let limit = query.limit;
        let scope = scope_of(user, organizations);
        let mut rows =
            self.ports.shipments.shipments_in_scope(&scope, &ShipmentQuery { limit: limit + 1, ..query }).await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let items: Vec<PortalListItem> = rows
            .iter()
            .filter_map(|row| {
                let item = list_item_for(user, organizations, row);
                if item.is_none() {
                    tracing::error!(tracking_user = %user.id, shipment = %row.id, "storage offered a shipment the visibility rule refuses; dropped");
                }
                item
            })
            .collect();
        // From the last row the rule let through, so not even a cursor
        // carries the reference of a shipment the user may not see. A page
        // whose every row was dropped ends the list.
        let next_cursor = if more { items.last().map(|item| encode_cursor(&item.reference)) } else { None };
        Ok(ShipmentPage { items, next_cursor })
    }
}

fn parse_list_request(request: &ListRequest) -> Result<ShipmentQuery, FieldError> {
    let status = match request.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        // Drafts are never shown, so "draft" is no more a filter than a typo.
        Some(raw) => Some(
            Status::parse(raw)
                .filter(|status| *status != Status::Draft)
                .ok_or_else(|| FieldError::new("status", "must be one of confirmed, in_transit, done, cancelled"))?,
        ),
    };
    let search = match request.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        None => None,
        Some(q) if q.chars().count() > 100 => return Err(FieldError::new("q", "must be at most 100 characters")),
        Some(q) if q.chars().any(char::is_control) => {
            return Err(FieldError::new("q", "must not contain control characters"));
        }
        // "MSCU 472135 7" is how container numbers are printed and read out.
        Some(q) => Some(ShipmentSearch::of(q.split_whitespace().collect::<String>().to_uppercase())),
    };
    let before = request.cursor.as_deref().filter(|c| !c.is_empty()).map(decode_cursor).transpose()?;
    let limit = request.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(FieldError::new("limit", format!("must be between 1 and {MAX_PAGE_SIZE}")));
    }
    Ok(ShipmentQuery { status, search, before, limit: u64::from(limit) })
}

/// Cursors are opaque to callers: the last reference of the page, encoded.
fn encode_cursor(reference: &ShipmentReference) -> String {
    URL_SAFE_NO_PAD.encode(reference.as_str())
}

fn decode_cursor(raw: &str) -> Result<ShipmentReference, FieldError> {
    let invalid = || FieldError::new("cursor", "is not a cursor this list returned");
    let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    ShipmentReference::parse(&text).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;
    use porthole_domain::ContainerNumber;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused_by_name() {
        let reference = ShipmentReference::parse("SHP/202505/00080").expect("reference");
        let cursor = encode_cursor(&reference);
        assert_eq!(decode_cursor(&cursor).expect("decodes"), reference);
        assert_eq!(decode_cursor("%%%").expect_err("garbage").field, "cursor");
    }

    #[test]
    fn list_requests_name_each_bad_field() {
        let bad = |request: ListRequest| parse_list_request(&request).expect_err("refused").field;
        assert_eq!(bad(ListRequest { status: Some("sailing".into()), ..Default::default() }), "status");
        assert_eq!(bad(ListRequest { status: Some("draft".into()), ..Default::default() }), "status");
        assert_eq!(bad(ListRequest { limit: Some(0), ..Default::default() }), "limit");
        assert_eq!(bad(ListRequest { limit: Some(101), ..Default::default() }), "limit");
        assert_eq!(bad(ListRequest { q: Some("x".repeat(101)), ..Default::default() }), "q");
        let query = parse_list_request(&ListRequest { q: Some(" msku 123456 5 ".into()), ..Default::default() })
            .expect("parses");
        let number = ContainerNumber::parse("MSKU1234565").expect("a valid number");
        assert_eq!(query.search, Some(ShipmentSearch::Container(number)));
        let query =
            parse_list_request(&ListRequest { q: Some(" shp/2025 ".into()), ..Default::default() }).expect("parses");
        assert_eq!(query.search, Some(ShipmentSearch::Text("SHP/2025".into())));
        let query =
            parse_list_request(&ListRequest { q: Some("MSKU1234566".into()), ..Default::default() }).expect("parses");
        assert_eq!(query.search, Some(ShipmentSearch::Text("MSKU1234566".into())), "a wrong check digit is text");
        assert_eq!(query.limit, u64::from(DEFAULT_PAGE_SIZE));
    }
}
