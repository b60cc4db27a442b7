//! Staff and integrations authenticate with `Authorization: Bearer KEY`.

use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use porthole_app::Porthole;
use porthole_app::ports::ApiKey;
use porthole_domain::Permission;

use crate::error::ApiError;

/// An API key made with `porthole api-key create`, sent as a bearer token.
#[derive(Debug, SecurityScheme)]
#[oai(rename = "ApiKey", ty = "bearer", checker = "authenticate")]
pub(crate) struct StaffKey(ApiKey);

impl StaffKey {
    /// Refuses with 403 unless the key's role has `permission`; the
    /// application's refusal names the roles that may.
    pub(crate) fn require(&self, permission: Permission) -> Result<(), ApiError> {
        Ok(Porthole::authorize(&self.0, permission)?)
    }
}

/// Whether the request's bearer token is a live API key, for deciding
/// before an operation runs; the operation's [`StaffKey`] checks it again,
/// with the key's permissions.
pub(crate) async fn bears_a_live_key(request: &Request) -> bool {
    let token = request
        .header(poem::http::header::AUTHORIZATION)
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")));
    match (request.data::<Porthole>(), token) {
        (Some(app), Some(token)) => app.authenticate_api_key(token.trim()).await.is_ok(),
        _ => false,
    }
}

async fn authenticate(request: &Request, bearer: Bearer) -> poem::Result<ApiKey> {
    let Some(app) = request.data::<Porthole>() else {
        // Wiring, not the caller: `routes` always attaches the application.
        tracing::error!("the staff API was served without the application attached");
        return Err(ApiError::internal().into());
    };
    Ok(app.authenticate_api_key(&bearer.token).await.map_err(ApiError::from)?)
}
