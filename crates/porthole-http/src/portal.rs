//! The portal's JSON API under `/api/portal/v1` (SPEC section 8), for
//! tracking users signed in with the session cookie.
//!
//! CSRF: the session rides in a cookie, so a hostile page could try to make
//! a signed-in browser call this API. Two things stop it. Every call that
//! changes state and takes a body accepts only `Content-Type:
//! application/json`, which a cross-site page can send only through `fetch`
//! with a CORS preflight, and this API answers no preflight. And the cookie
//! is `SameSite=Lax`, so browsers leave it off cross-site requests other
//! than top-level GET navigations. `DELETE /session` has no body; a
//! cross-site DELETE needs a preflight too, and could not carry the cookie
//! anyway, so it needs no further token (and signing someone out is the
//! worst it could do).
//!
//! Every answer is `Cache-Control: no-store`: each carries one user's data
//! or one user's session.

use poem::http::header;
use poem::middleware::SetHeader;
use poem::{Endpoint, EndpointExt, Request};
use poem_openapi::auth::ApiKey;
use poem_openapi::error::AuthorizationError;
use poem_openapi::param::{Cookie, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, SecurityScheme, Tags};
use porthole_app::{AppError, ListRequest, PortalViewer, Porthole};
use porthole_domain::ShipmentId;

use crate::body::JsonBody;
use crate::client::ClientAddress;
use crate::dto;
use crate::error::documented::{
    BAD_REQUEST, INVALID, INVALID_CREDENTIALS, INVALID_TOKEN, NOT_FOUND, PORTAL_CALL, RATE_LIMITED, UNAVAILABLE,
};
use crate::error::{ApiError, Failure};
use crate::session_cookie::SessionCookies;

#[derive(Debug, Tags)]
enum Tag {
    /// Signing in and out, sign-in links, choosing a password.
    #[oai(rename = "Portal session")]
    Session,
    /// The shipments the signed-in user may see.
    #[oai(rename = "Portal shipments")]
    Shipments,
    /// The signed-in user's own profile and notification preferences.
    #[oai(rename = "Portal account")]
    Account,
}

/// The session cookie set by `POST /api/portal/v1/session`.
#[derive(Debug, SecurityScheme)]
#[oai(
    rename = "PortalSession",
    ty = "api_key",
    key_in = "cookie",
    key_name = "porthole_session",
    checker = "signed_in_viewer"
)]
pub(crate) struct PortalSession(PortalViewer);

/// The viewer behind the cookie, checked afresh on every call: a session
/// that ended, a disabled user or a portal switched off is a 401 at once.
async fn signed_in_viewer(request: &Request, cookie: ApiKey) -> poem::Result<PortalViewer> {
    let Some(app) = request.data::<Porthole>() else {
        // Wiring, not the caller: `routes` always attaches the application.
        tracing::error!("the portal API was served without the application attached");
        return Err(ApiError::internal().into());
    };
    match app.portal_viewer(&cookie.key).await {
        Ok(viewer) => Ok(viewer),
        Err(AppError::Unauthorized) => Err(ApiError::signed_out().into()),
        Err(other) => Err(ApiError::from(other).into()),
    }
}

#[derive(Debug, ApiResponse)]
enum SignInResponse {
    /// Signed in. The `porthole_session` cookie carries the new session;
    /// any session the browser held before has ended.
    #[oai(status = 200)]
    SignedIn(Json<dto::SignedIn>, #[oai(header = "Set-Cookie")] String),
}

#[derive(Debug, ApiResponse)]
enum SignOutResponse {
    /// Signed out (or already was); the cookie is cleared.
    #[oai(status = 204)]
    SignedOut(#[oai(header = "Set-Cookie")] String),
}

#[derive(Debug, ApiResponse)]
enum LoginLinkResponse {
    /// If the address belongs to a user who may sign in, a sign-in link
    /// (valid 15 minutes, single use) is on its way. The answer is the same
    /// either way.
    #[oai(status = 202)]
    Accepted,
}

#[derive(Debug, ApiResponse)]
enum PasswordSetupResponse {
    /// The password is set and the link used up; sign in with it.
    #[oai(status = 204)]
    Set,
}

#[derive(Debug, ApiResponse)]
enum ShipmentListResponse {
    /// One page of the user's shipments.
    #[oai(status = 200)]
    Page(Json<dto::ShipmentList>),
}

#[derive(Debug, ApiResponse)]
enum ShipmentResponse {
    /// The shipment as the user may see it.
    #[oai(status = 200)]
    Found(Json<dto::PortalShipment>),
}

#[derive(Debug, ApiResponse)]
enum MeResponse {
    /// The signed-in user's profile.
    #[oai(status = 200)]
    Found(Json<dto::Me>),
}

#[derive(Debug, ApiResponse)]
enum NotificationsResponse {
    /// Every notification preference, as now stored.
    #[oai(status = 200)]
    Updated(Json<dto::Notifications>),
}

/// The operations of `/api/portal/v1`.
#[derive(Debug, Clone)]
pub(crate) struct PortalApi {
    app: Porthole,
    cookies: SessionCookies,
}

impl PortalApi {
    pub(crate) fn new(app: Porthole, cookies: SessionCookies) -> Self {
        Self { app, cookies }
    }
}

#[OpenApi(prefix_path = "/portal/v1")]
impl PortalApi {
    /// Sign in
    ///
    /// With the user id or primary e-mail and the password. Attempts are
    /// limited per account and per client address. An unknown login and a
    /// wrong password get the same answer in about the same time.
    #[oai(
        path = "/session",
        method = "post",
        tag = "Tag::Session",
        operation_id = "portal_sign_in",
        transform = "portal_errors"
    )]
    async fn sign_in(
        &self,
        client: ClientAddress,
        /// The session this browser held before, if any; it ends.
        #[oai(name = "porthole_session")]
        previous: Cookie<Option<String>>,
        body: JsonBody<dto::SignIn>,
    ) -> Result<SignInResponse, Failure<{ BAD_REQUEST | INVALID_CREDENTIALS | RATE_LIMITED | UNAVAILABLE }>> {
        let credentials = body.0;
        let issued =
            self.app.sign_in(&credentials.login, &credentials.password, client.0, previous.0.as_deref()).await?;
        let cookie = self.cookies.issue(&issued, self.app.clock().now());
        let user = issued.user;
        let signed_in = dto::SignedIn {
            user_id: user.user_id.to_string(),
            first_name: user.first_name,
            last_name: user.last_name,
            role: user.role.as_str().to_owned(),
            session_expires_at: issued.expires_at,
        };
        Ok(SignInResponse::SignedIn(Json(signed_in), cookie.to_string()))
    }

    /// Sign out
    ///
    /// Ends the session in the cookie, if any, and clears the cookie.
    #[oai(
        path = "/session",
        method = "delete",
        tag = "Tag::Session",
        operation_id = "portal_sign_out",
        transform = "portal_errors"
    )]
    async fn sign_out(
        &self,
        /// The session to end.
        #[oai(name = "porthole_session")]
        session: Cookie<Option<String>>,
    ) -> Result<SignOutResponse, Failure<UNAVAILABLE>> {
        if let Some(secret) = session.0.as_deref() {
            self.app.sign_out(secret).await?;
        }
        Ok(SignOutResponse::SignedOut(self.cookies.clear().to_string()))
    }

    /// Ask for a sign-in link by e-mail
    #[oai(
        path = "/login-link",
        method = "post",
        tag = "Tag::Session",
        operation_id = "portal_request_login_link",
        transform = "portal_errors"
    )]
    async fn request_login_link(
        &self,
        client: ClientAddress,
        body: JsonBody<dto::LoginLinkRequest>,
    ) -> Result<LoginLinkResponse, Failure<{ BAD_REQUEST | INVALID | RATE_LIMITED | UNAVAILABLE }>> {
        self.app.request_login_link(&body.0.email, client.0).await?;
        Ok(LoginLinkResponse::Accepted)
    }

    /// Choose a password with a setup link
    ///
    /// The token comes from the password-setup e-mail; it works once, for
    /// 24 hours. Unknown, used and expired tokens get the same answer.
    #[oai(
        path = "/password",
        method = "post",
        tag = "Tag::Session",
        operation_id = "portal_set_password",
        transform = "portal_errors"
    )]
    async fn set_password(
        &self,
        body: JsonBody<dto::PasswordSetup>,
    ) -> Result<PasswordSetupResponse, Failure<{ BAD_REQUEST | INVALID | INVALID_TOKEN | UNAVAILABLE }>> {
        let setup = body.0;
        match self.app.complete_password_setup(&setup.token, &setup.password, &setup.password_confirmation).await {
            Ok(()) => Ok(PasswordSetupResponse::Set),
            Err(AppError::InvalidCredentials) => Err(ApiError::invalid_token().into()),
            Err(other) => Err(other.into()),
        }
    }

    /// List my shipments
    ///
    /// Newest reference first, one page at a time.
    #[oai(
        path = "/shipments",
        method = "get",
        tag = "Tag::Shipments",
        operation_id = "portal_list_shipments",
        transform = "portal_errors"
    )]
    async fn shipments(
        &self,
        session: PortalSession,
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
    ) -> Result<ShipmentListResponse, Failure<{ PORTAL_CALL | BAD_REQUEST | INVALID }>> {
        let request = ListRequest { status: status.0, q: q.0, cursor: cursor.0, limit: limit.0 };
        let page = self.app.portal_shipments(&session.0, &request).await?;
        Ok(ShipmentListResponse::Page(Json(page.into())))
    }

    /// Read one of my shipments
    ///
    /// A shipment that does not exist and one the user may not see get the
    /// same 404.
    #[oai(
        path = "/shipments/:id",
        method = "get",
        tag = "Tag::Shipments",
        operation_id = "portal_get_shipment",
        transform = "portal_errors"
    )]
    async fn shipment(
        &self,
        session: PortalSession,
        /// The shipment's id.
        id: Path<String>,
    ) -> Result<ShipmentResponse, Failure<{ PORTAL_CALL | NOT_FOUND }>> {
        let view = self.app.portal_shipment(&session.0, &ShipmentId::new(id.0)).await?;
        Ok(ShipmentResponse::Found(Json(view.into())))
    }

    /// Read my profile
    #[oai(
        path = "/me",
        method = "get",
        tag = "Tag::Account",
        operation_id = "portal_get_me",
        transform = "portal_errors"
    )]
    async fn me(&self, session: PortalSession) -> Result<MeResponse, Failure<PORTAL_CALL>> {
        Ok(MeResponse::Found(Json(session.0.user.into())))
    }

    /// Change my notification preferences
    ///
    /// Switches left out keep their value; `periodic_report: null` stops
    /// the periodic report.
    #[oai(
        path = "/me/notifications",
        method = "patch",
        tag = "Tag::Account",
        operation_id = "portal_update_notifications",
        transform = "portal_errors"
    )]
    async fn update_notifications(
        &self,
        session: PortalSession,
        body: JsonBody<dto::NotificationChoices>,
    ) -> Result<NotificationsResponse, Failure<{ PORTAL_CALL | BAD_REQUEST | INVALID }>> {
        let preferences = self.app.update_own_notifications(&session.0, body.0.into()).await?;
        Ok(NotificationsResponse::Updated(Json(preferences.into())))
    }
}

/// Wraps one portal operation: whatever fails leaves as JSON, a missing
/// cookie is the portal's 401 (not the API key's), and nothing is cached.
fn portal_errors(endpoint: impl Endpoint) -> impl Endpoint {
    endpoint
        .map_to_response()
        .catch_all_error(|error| async move {
            if error.is::<AuthorizationError>() { ApiError::signed_out() } else { ApiError::from(error) }
        })
        .with(SetHeader::new().overriding(header::CACHE_CONTROL, "no-store"))
}
