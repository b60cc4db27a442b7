//! Porthole's HTTP adapter: the staff JSON API with its OpenAPI document,
//! the probes, and (later) the portal pages, as one poem endpoint.
//!
//! This crate only translates: HTTP in, `porthole_app` use-case calls, HTTP
//! out. It owns its request and response types, so the JSON contract can
//! stay fixed while the domain moves.

mod api;
mod auth;
mod body;
mod docs;
mod dto;
mod error;
mod middleware;
mod pages;
mod site;

use poem::endpoint::BoxEndpoint;
use poem::middleware::CatchPanic;
use poem::{EndpointExt, Route, get};
use poem_openapi::OpenApiService;
use porthole_app::Porthole;

/// What the HTTP adapter needs from configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    /// The address people and integrations reach Porthole at, such as
    /// `https://track.example.com`; the OpenAPI document's server URL.
    pub public_url: String,
}

/// The whole site as one endpoint:
///
/// - `/api/v1/…`: the staff JSON API (bearer API key);
/// - `/api/openapi.json` and `/api/docs`: its OpenAPI document and Swagger UI;
/// - `/healthz`, `/readyz`: liveness and readiness;
/// - `/` and `/portal/login`: the way into the portal.
///
/// Every response carries the security headers and is logged; under `/api`
/// every failure is JSON.
pub fn routes(app: Porthole, settings: HttpSettings) -> BoxEndpoint<'static> {
    let service = OpenApiService::new(api::StaffApi::new(app.clone()), "Porthole API", env!("CARGO_PKG_VERSION"))
        .description(
            "Staff and integration API of Porthole. Send `Authorization: Bearer KEY` with a key from \
             `porthole api-key create`. Errors are JSON `{\"error\": CODE, \"message\": TEXT, \"field\": FIELD}`, \
             `field` naming the refused input where one is to blame.",
        )
        .server(settings.public_url.trim_end_matches('/').to_owned())
        .url_prefix("/api/v1");
    let spec = service.spec_endpoint();
    let swagger = docs::swagger_page(service.swagger_ui_html());

    let api = Route::new()
        .nest("/v1", service)
        .at("/openapi.json", get(spec))
        .at("/docs", get(swagger))
        .around(error::json_only);

    Route::new()
        .at("/", get(site::root))
        .at("/healthz", get(site::healthz))
        .at("/readyz", get(site::readyz))
        .nest("/portal", pages::routes(app.clone(), &settings))
        .nest("/api", api)
        // Layers below run innermost first. Errors left over are outside
        // `/api` (whose own net already answered in JSON): pages for people.
        .catch_all_error(site::error_page)
        // The key checker and the readiness probe find the application here.
        .data(app)
        .with(CatchPanic::new().with_handler(middleware::panic_response))
        .around(middleware::security_headers)
        .around(middleware::log_requests)
        .boxed()
}
