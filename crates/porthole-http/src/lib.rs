//! Porthole's HTTP adapter: the staff and portal JSON APIs with their
//! OpenAPI document, the probes, and the portal pages, as one poem endpoint.
//!
//! This crate only translates: HTTP in, `porthole_app` use-case calls, HTTP
//! out. It owns its request and response types, so the JSON contract can
//! stay fixed while the domain moves.

mod api;
mod auth;
mod body;
mod client;
mod docs;
mod dto;
mod error;
mod middleware;
mod pages;
mod portal;
mod session_cookie;
mod share_links;
mod site;
mod tracking_users;

use poem::endpoint::BoxEndpoint;
use poem::middleware::CatchPanic;
use poem::{EndpointExt, Route, get};
use poem_openapi::OpenApiService;
use porthole_app::Porthole;

pub use crate::client::{InvalidProxy, TrustedProxies};
use crate::session_cookie::SessionCookies;

/// What the HTTP adapter needs from configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    /// The address people and integrations reach Porthole at, such as
    /// `https://track.example.com`; the OpenAPI document's server URL.
    pub public_url: String,
    /// The reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
}

/// The whole site as one endpoint:
///
/// - `/api/v1/…`: the staff JSON API (bearer API key);
/// - `/api/portal/v1/…`: the portal JSON API (session cookie);
/// - `/api/openapi.json` and `/api/docs`: their one OpenAPI document and
///   Swagger UI;
/// - `/healthz`, `/readyz`: liveness and readiness;
/// - `/` and `/portal/…`: the portal's pages;
/// - `/t/{token}` and `/share/{link_id}`: the pages share-link recipients
///   open.
///
/// Every response carries the security headers and is logged; under `/api`
/// every failure is JSON. Addresses holding a control character are refused
/// before routing, and bodies are bounded: to
/// [`middleware::PUBLIC_BODY_LIMIT`] everywhere but the staff API.
pub fn routes(app: Porthole, settings: HttpSettings) -> BoxEndpoint<'static> {
    let apis = (
        api::StaffApi::new(app.clone()),
        share_links::ShareLinkApi::new(app.clone()),
        tracking_users::TrackingUserApi::new(app.clone()),
        portal::PortalApi::new(app.clone(), SessionCookies::for_site(&settings)),
    );
    let service = OpenApiService::new(apis, "Porthole API", env!("CARGO_PKG_VERSION"))
        .description(
            "Staff and integrations use `/api/v1`: send `Authorization: Bearer KEY` with a key from \
             `porthole api-key create`. Tracking users use `/api/portal/v1`: `POST /api/portal/v1/session` sets \
             the `porthole_session` cookie that the other portal calls need. Errors are JSON \
             `{\"error\": CODE, \"message\": TEXT, \"field\": FIELD}`, `field` naming the refused input where \
             one is to blame.",
        )
        .server(settings.public_url.trim_end_matches('/').to_owned())
        .url_prefix("/api");
    let spec = service.spec_endpoint();
    let swagger = docs::swagger_page(service.swagger_ui_html());

    // The document and the UI are matched before the service's routes.
    let api = Route::new()
        .at("/openapi.json", get(spec))
        .at("/docs", get(swagger))
        .nest("/", service)
        .around(error::json_only);

    let site = Route::new()
        .at("/", get(site::root))
        .at("/healthz", get(site::healthz))
        .at("/readyz", get(site::readyz))
        .nest("/portal", pages::routes(app.clone(), &settings))
        .nest("/api", api);
    pages::with_link_pages(site, app.clone(), &settings)
        // Layers below run innermost first. Errors left over are outside
        // `/api` (whose own net already answered in JSON): pages for people.
        .catch_all_error(site::error_page)
        // The key checker and the readiness probe find the application here.
        .data(app)
        .around(middleware::limit_bodies)
        .around(middleware::refuse_control_characters)
        .with(CatchPanic::new().with_handler(middleware::panic_response))
        .around(middleware::security_headers)
        .around(middleware::log_requests)
        // Outermost, so the access log finds them too.
        .data(settings.trusted_proxies)
        .boxed()
}
