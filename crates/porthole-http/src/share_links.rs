//! Share links under `/api/v1` (SPEC sections 4 and 8): staff make links
//! that show one shipment to people without an account, read who opened
//! them, revoke them and give them new tokens. Any staff role may; the
//! pages recipients open are in `pages::share`.

use poem::http::header;
use poem::middleware::SetHeader;
use poem::{Endpoint, EndpointExt};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, Tags};
use porthole_app::Porthole;
use porthole_domain::{Permission, ShareLinkId, ShipmentId};

use crate::auth::StaffKey;
use crate::body::JsonBody;
use crate::dto;
use crate::error::documented::{BAD_REQUEST, INVALID, LINK_NOT_ACTIVE, NOT_FOUND, STAFF_CALL};
use crate::error::{Failure, json_errors};

#[derive(Debug, Tags)]
enum Tag {
    /// Links that show one shipment to people without a portal account.
    #[oai(rename = "Share links")]
    ShareLinks,
}

#[derive(Debug, ApiResponse)]
enum CreateShareLinkResponse {
    /// The link was made. Its `url` is shown only now.
    #[oai(status = 201)]
    Created(Json<dto::NewShareLink>),
}

#[derive(Debug, ApiResponse)]
enum CreateShareLinksResponse {
    /// Every link was made. Their URLs are shown only now.
    #[oai(status = 201)]
    Created(Json<dto::NewShareLinks>),
}

#[derive(Debug, ApiResponse)]
enum GetShareLinkResponse {
    /// The link and its access log.
    #[oai(status = 200)]
    Found(Json<dto::ShareLinkDetails>),
}

#[derive(Debug, ApiResponse)]
enum ShipmentShareLinksResponse {
    /// The shipment's links, newest first.
    #[oai(status = 200)]
    Links(Json<dto::ShareLinkList>),
}

#[derive(Debug, ApiResponse)]
enum RevokeShareLinkResponse {
    /// The link is revoked: its URL and every viewer's session on it no
    /// longer work. Revoking it again changes nothing.
    #[oai(status = 204)]
    Revoked,
}

#[derive(Debug, ApiResponse)]
enum RegenerateShareLinkResponse {
    /// The link has a new token, in the new `url`. The old URL and every
    /// viewer's session on it no longer work.
    #[oai(status = 200)]
    Regenerated(Json<dto::NewShareLink>),
}

/// The share-link operations of `/api/v1`.
#[derive(Debug, Clone)]
pub(crate) struct ShareLinkApi {
    app: Porthole,
}

impl ShareLinkApi {
    pub(crate) fn new(app: Porthole) -> Self {
        Self { app }
    }
}

// As in the rest of the staff API, `key` comes first: an unauthenticated
// caller is refused before its body is read.
#[OpenApi(prefix_path = "/v1", tag = "Tag::ShareLinks")]
impl ShareLinkApi {
    /// Make a share link to a shipment
    ///
    /// The answer's `url` (ending in `/t/TOKEN`) is what recipients open;
    /// it is shown only in this answer. With `require_verification`,
    /// opening it asks for an e-mail address and sends a 6-digit code only
    /// to a listed recipient.
    #[oai(path = "/share/links", method = "post", operation_id = "create_share_link", transform = "carrying_urls")]
    async fn create(
        &self,
        key: StaffKey,
        body: JsonBody<dto::ShareLinkCreate>,
    ) -> Result<CreateShareLinkResponse, Failure<{ STAFF_CALL | BAD_REQUEST | INVALID }>> {
        key.require(Permission::ManageShareLinks)?;
        let (shipment_id, options) = body.0.into_request();
        let issued = self.app.create_share_link(&shipment_id, &options).await?;
        Ok(CreateShareLinkResponse::Created(Json(issued.into())))
    }

    /// Make share links to many shipments
    ///
    /// One link per shipment, all made alike; if one shipment is refused,
    /// no link is made.
    #[oai(
        path = "/share/links/bulk",
        method = "post",
        operation_id = "create_share_links",
        transform = "carrying_urls"
    )]
    async fn create_many(
        &self,
        key: StaffKey,
        body: JsonBody<dto::ShareLinkBulkCreate>,
    ) -> Result<CreateShareLinksResponse, Failure<{ STAFF_CALL | BAD_REQUEST | INVALID }>> {
        key.require(Permission::ManageShareLinks)?;
        let (shipment_ids, options) = body.0.into_request();
        let issued = self.app.create_share_links(&shipment_ids, &options).await?;
        let links = issued.into_iter().map(Into::into).collect();
        Ok(CreateShareLinksResponse::Created(Json(dto::NewShareLinks { links })))
    }

    /// Read a share link and who opened it
    #[oai(path = "/share/links/:linkId", method = "get", operation_id = "get_share_link", transform = "json_errors")]
    async fn get(
        &self,
        key: StaffKey,
        /// The link's id.
        #[oai(name = "linkId")]
        link_id: Path<String>,
    ) -> Result<GetShareLinkResponse, Failure<{ STAFF_CALL | NOT_FOUND }>> {
        key.require(Permission::ManageShareLinks)?;
        let details = self.app.share_link_details(&ShareLinkId::new(link_id.0)).await?;
        Ok(GetShareLinkResponse::Found(Json(details.into())))
    }

    /// List a shipment's share links
    #[oai(
        path = "/shipments/:id/share-links",
        method = "get",
        operation_id = "shipment_share_links",
        transform = "json_errors"
    )]
    async fn of_shipment(
        &self,
        key: StaffKey,
        /// The shipment's id.
        id: Path<String>,
    ) -> Result<ShipmentShareLinksResponse, Failure<{ STAFF_CALL | NOT_FOUND }>> {
        key.require(Permission::ManageShareLinks)?;
        let links = self.app.share_links_of(&ShipmentId::new(id.0)).await?;
        let links = links.into_iter().map(Into::into).collect();
        Ok(ShipmentShareLinksResponse::Links(Json(dto::ShareLinkList { links })))
    }

    /// Revoke a share link
    ///
    /// At once: the URL stops working and everyone viewing through it
    /// loses access.
    #[oai(
        path = "/share/links/:linkId",
        method = "delete",
        operation_id = "revoke_share_link",
        transform = "json_errors"
    )]
    async fn revoke(
        &self,
        key: StaffKey,
        /// The link's id.
        #[oai(name = "linkId")]
        link_id: Path<String>,
    ) -> Result<RevokeShareLinkResponse, Failure<{ STAFF_CALL | NOT_FOUND }>> {
        key.require(Permission::ManageShareLinks)?;
        self.app.revoke_share_link(&ShareLinkId::new(link_id.0)).await?;
        Ok(RevokeShareLinkResponse::Revoked)
    }

    /// Give a share link a new token
    ///
    /// For a URL that reached the wrong people: the link keeps its settings
    /// and log, the old URL dies, and the new one is in the answer.
    #[oai(
        path = "/share/links/:linkId/regenerate",
        method = "post",
        operation_id = "regenerate_share_link",
        transform = "carrying_urls"
    )]
    async fn regenerate(
        &self,
        key: StaffKey,
        /// The link's id.
        #[oai(name = "linkId")]
        link_id: Path<String>,
    ) -> Result<RegenerateShareLinkResponse, Failure<{ STAFF_CALL | NOT_FOUND | LINK_NOT_ACTIVE }>> {
        key.require(Permission::ManageShareLinks)?;
        let issued = self.app.regenerate_share_link(&ShareLinkId::new(link_id.0)).await?;
        Ok(RegenerateShareLinkResponse::Regenerated(Json(issued.into())))
    }
}

/// Wraps an operation whose answer carries a link's URL. The token in it
/// opens the shipment to whoever holds it, so no cache may keep the
/// answer; failures leave as JSON like everywhere else.
fn carrying_urls(endpoint: impl Endpoint) -> impl Endpoint {
    json_errors(endpoint).with(SetHeader::new().overriding(header::CACHE_CONTROL, "no-store"))
}
