//! Tracking-user management under `/api/v1/tracking-users` (SPEC section
//! 8): managers only; an operator's key is refused with 403.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, Tags};
use porthole_app::{ListRequest, Porthole};
use porthole_domain::{Permission, TrackingUserId};

use crate::auth::StaffKey;
use crate::body::JsonBody;
use crate::dto;
use crate::error::documented::{BAD_REQUEST, CONFLICT, INVALID, NOT_FOUND, STAFF_CALL};
use crate::error::{Failure, json_errors};

#[derive(Debug, Tags)]
enum Tag {
    /// Portal accounts: who may sign in, what they see, which mail they get.
    #[oai(rename = "Tracking users")]
    TrackingUsers,
}

#[derive(Debug, ApiResponse)]
enum CreateTrackingUserResponse {
    /// The user was created; check `warnings`.
    #[oai(status = 201)]
    Created(Json<dto::TrackingUser>),
}

#[derive(Debug, ApiResponse)]
enum GetTrackingUserResponse {
    /// The user.
    #[oai(status = 200)]
    Found(Json<dto::TrackingUser>),
}

#[derive(Debug, ApiResponse)]
enum UpdateTrackingUserResponse {
    /// The user as they are now; check `warnings`.
    #[oai(status = 200)]
    Updated(Json<dto::TrackingUser>),
}

#[derive(Debug, ApiResponse)]
enum SetPasswordResponse {
    /// The password is set; the user is active (unless disabled) and every
    /// session they had has ended.
    #[oai(status = 204)]
    Set,
}

#[derive(Debug, ApiResponse)]
enum SetupEmailResponse {
    /// A new password-setup e-mail was sent; earlier links no longer work.
    #[oai(status = 202)]
    Sent,
}

#[derive(Debug, ApiResponse)]
enum DisableResponse {
    /// The user is disabled and signed out everywhere.
    #[oai(status = 204)]
    Disabled,
}

#[derive(Debug, ApiResponse)]
enum EnableResponse {
    /// The user is no longer disabled: active if they have a password,
    /// else invited.
    #[oai(status = 204)]
    Enabled,
}

#[derive(Debug, ApiResponse)]
enum PreviewResponse {
    /// Exactly the page the user would see in the portal now.
    #[oai(status = 200)]
    Page(Json<dto::ShipmentList>),
}

/// The operations of `/api/v1/tracking-users`.
#[derive(Debug, Clone)]
pub(crate) struct TrackingUserApi {
    app: Porthole,
}

impl TrackingUserApi {
    pub(crate) fn new(app: Porthole) -> Self {
        Self { app }
    }
}

// As in the rest of the staff API, `key` comes first: an unauthenticated
// caller is refused before its body is read.
#[OpenApi(prefix_path = "/v1/tracking-users", tag = "Tag::TrackingUsers")]
impl TrackingUserApi {
    /// Create a tracking user
    ///
    /// `warnings` lists what staff should check: organizations with
    /// near-duplicate names, or a setup e-mail that could not be sent.
    #[oai(path = "/", method = "post", operation_id = "create_tracking_user", transform = "json_errors")]
    async fn create(
        &self,
        key: StaffKey,
        body: JsonBody<dto::TrackingUserCreate>,
    ) -> Result<CreateTrackingUserResponse, Failure<{ STAFF_CALL | BAD_REQUEST | CONFLICT | INVALID }>> {
        key.require(Permission::ManageTrackingUsers)?;
        let saved = self.app.create_tracking_user(body.0.into()).await?;
        Ok(CreateTrackingUserResponse::Created(Json(saved.into())))
    }

    /// Read a tracking user
    #[oai(path = "/:id", method = "get", operation_id = "get_tracking_user", transform = "json_errors")]
    async fn get(
        &self,
        key: StaffKey,
        /// The tracking user's id.
        id: Path<String>,
    ) -> Result<GetTrackingUserResponse, Failure<{ STAFF_CALL | NOT_FOUND }>> {
        key.require(Permission::ManageTrackingUsers)?;
        let user = self.app.tracking_user(&TrackingUserId::new(id.0)).await?;
        Ok(GetTrackingUserResponse::Found(Json(user.into())))
    }

    /// Change a tracking user
    ///
    /// Only the fields sent change; lists sent replace the stored ones.
    #[oai(path = "/:id", method = "patch", operation_id = "update_tracking_user", transform = "json_errors")]
    async fn update(
        &self,
        key: StaffKey,
        /// The tracking user's id.
        id: Path<String>,
        body: JsonBody<dto::TrackingUserPatch>,
    ) -> Result<UpdateTrackingUserResponse, Failure<{ STAFF_CALL | BAD_REQUEST | NOT_FOUND | CONFLICT | INVALID }>>
    {
        key.require(Permission::ManageTrackingUsers)?;
        let saved = self.app.update_tracking_user(&TrackingUserId::new(id.0), body.0.into()).await?;
        Ok(UpdateTrackingUserResponse::Updated(Json(saved.into())))
    }

    /// Set a tracking user's password by hand
    #[oai(
        path = "/:id/password",
        method = "put",
        operation_id = "set_tracking_user_password",
        transform = "json_errors"
    )]
    async fn set_password(
        &self,
        key: StaffKey,
        /// The tracking user's id.
        id: Path<String>,
        body: JsonBody<dto::PasswordSet>,
    ) -> Result<SetPasswordResponse, Failure<{ STAFF_CALL | BAD_REQUEST | NOT_FOUND | INVALID }>> {
        key.require(Permission::ManageTrackingUsers)?;
        self.app.set_tracking_user_password(&TrackingUserId::new(id.0), &body.0.password).await?;
        Ok(SetPasswordResponse::Set)
    }

    /// Send the password-setup e-mail again
    ///
    /// The link in it lasts 24 hours; every earlier link stops working. A
    /// disabled user gets no mail (409).
    #[oai(path = "/:id/setup-email", method = "post", operation_id = "resend_setup_email", transform = "json_errors")]
    async fn resend_setup_email(
        &self,
        key: StaffKey,
        /// The tracking user's id.
        id: Path<String>,
    ) -> Result<SetupEmailResponse, Failure<{ STAFF_CALL | NOT_FOUND | CONFLICT }>> {
        key.require(Permission::ManageTrackingUsers)?;
        self.app.resend_setup_email(&TrackingUserId::new(id.0)).await?;
        Ok(SetupEmailResponse::Sent)
    }

    /// Disable a tracking user
    ///
    /// Every session of the user ends at once.
    #[oai(path = "/:id/disable", method = "post", operation_id = "disable_tracking_user", transform = "json_errors")]
    async fn disable(
        &self,
        key: StaffKey,
        /// The tracking user's id.
        id: Path<String>,
    ) -> Result<DisableResponse, Failure<{ STAFF_CALL | NOT_FOUND }>> {
        key.require(Permission::ManageTrackingUsers)?;
        self.app.disable_tracking_user(&TrackingUserId::new(id.0)).await?;
        Ok(DisableResponse::Disabled)
    }

    /// Enable a disabled tracking user
    ///
    /// A user who has chosen a password is active again at once; one who has
    /// not is invited again: send them the setup e-mail. A user who is not
    /// disabled stays as they are.
    #[oai(path = "/:id/enable", method = "post", operation_id = "enable_tracking_user", transform = "json_errors")]
    async fn enable(
        &self,
        key: StaffKey,
        /// The tracking user's id.
        id: Path<String>,
    ) -> Result<EnableResponse, Failure<{ STAFF_CALL | NOT_FOUND }>> {
        key.require(Permission::ManageTrackingUsers)?;
        self.app.enable_tracking_user(&TrackingUserId::new(id.0)).await?;
        Ok(EnableResponse::Enabled)
    }

    /// See exactly what a tracking user sees
    ///
    /// The user's shipment list as the portal would show it now, through the
    /// same visibility rule and with the same parameters as
    /// `GET /api/portal/v1/shipments`.
    #[oai(
        path = "/:id/preview/shipments",
        method = "get",
        operation_id = "preview_tracking_user_shipments",
        transform = "json_errors"
    )]
    async fn preview_shipments(
        &self,
        key: StaffKey,
        /// The tracking user's id.
        id: Path<String>,
        /// Only shipments with this status: `confirmed`, `in_transit`,
        /// `done` or `cancelled`.
        status: Query<Option<String>>,
        /// Part of a reference or HBL number, or the start of a container
        /// number; a whole container number finds exactly the shipments
        /// carrying it. Case and spaces are ignored.
        q: Query<Option<String>>,
        /// The `next_cursor` of the page before.
        cursor: Query<Option<String>>,
        /// Shipments per page, 1–100; 50 when left out.
        limit: Query<Option<u32>>,
    ) -> Result<PreviewResponse, Failure<{ STAFF_CALL | BAD_REQUEST | NOT_FOUND | INVALID }>> {
        key.require(Permission::ManageTrackingUsers)?;
        let request = ListRequest { status: status.0, q: q.0, cursor: cursor.0, limit: limit.0 };
        let page = self.app.preview_shipments(&TrackingUserId::new(id.0), &request).await?;
        Ok(PreviewResponse::Page(Json(page.into())))
    }
}
