//! Everything outside the JSON API: probes, the way into the portal, and
//! the error page for people.

use poem::http::StatusCode;
use poem::web::{Data, Html, Json, Redirect};
use poem::{IntoResponse, Response, handler};
use porthole_app::Porthole;
use serde_json::json;

use crate::error::ApiError;

/// Liveness: the process answers.
#[handler]
pub(crate) fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: storage answers too.
#[handler]
pub(crate) async fn readyz(app: Data<&Porthole>) -> Response {
    match app.ready().await {
        Ok(()) => Json(json!({ "status": "ok" })).into_response(),
        Err(error) => {
            tracing::warn!(%error, "not ready");
            ApiError::unavailable().into_response()
        }
    }
}

/// `/` leads to the portal.
#[handler]
pub(crate) fn root() -> Redirect {
    Redirect::see_other("/portal/login")
}

/// The portal's front door, until the portal itself is built.
#[handler]
pub(crate) fn portal_login() -> Html<String> {
    Html(page(
        "Porthole",
        "<h1>Porthole</h1><p>The shipment portal is coming soon. Until then, your forwarder can tell you where \
         your shipments are.</p>",
    ))
}

/// A failure outside `/api`, shown as a small page rather than JSON: these
/// addresses are for people.
pub(crate) async fn error_page(error: poem::Error) -> Response {
    let status = error.status();
    if status.is_server_error() {
        tracing::error!(%error, status = status.as_u16(), "request failed");
    }
    let heading = match status {
        StatusCode::NOT_FOUND => "Page not found",
        _ => status.canonical_reason().unwrap_or("Something went wrong"),
    };
    let body = format!("<h1>{heading}</h1><p><a href=\"/portal/login\">Go to the portal</a></p>");
    (status, Html(page(heading, &body))).into_response()
}

/// A whole page around `body`. No scripts or styles: the pages' policy
/// forbids inline ones.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head><body><main>{body}</main></body></html>"
    )
}
