//! Everything outside the JSON API and the portal pages: probes, the way
//! into the portal, and the error page for people.

use poem::web::{Data, Json, Redirect};
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

/// A failure outside `/api`, shown as a page in the portal's layout rather
/// than JSON: these addresses are for people.
pub(crate) async fn error_page(error: poem::Error) -> Response {
    let status = error.status();
    if status.is_server_error() {
        tracing::error!(%error, status = status.as_u16(), "request failed");
    }
    crate::pages::error_response(status)
}
