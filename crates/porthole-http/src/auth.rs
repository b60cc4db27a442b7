//! Staff and integrations authenticate with `Authorization: Bearer KEY`.

use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use porthole_app::ports::ApiKey;
use porthole_app::{AppError, Porthole};
use porthole_domain::{Permission, StaffRole};

use crate::error::ApiError;

/// An API key made with `porthole api-key create`, sent as a bearer token.
#[derive(Debug, SecurityScheme)]
#[oai(rename = "ApiKey", ty = "bearer", checker = "authenticate")]
pub(crate) struct StaffKey(ApiKey);

impl StaffKey {
    /// Refuses with 403 unless the key's role has `permission`.
    pub(crate) fn require(&self, permission: Permission) -> Result<(), ApiError> {
        Porthole::authorize(&self.0, permission).map_err(|error| match error {
            // The application names the role that was refused; an
            // integrator also needs to hear which key to ask for instead.
            AppError::Forbidden(_) => ApiError::forbidden(refusal(self.0.role, permission)),
            other => other.into(),
        })
    }
}

/// "only general_manager, operations_manager or sales_manager keys may
/// manage tracking users; this key's role is operator": the roles as
/// `porthole api-key create --role` spells them.
fn refusal(role: StaffRole, permission: Permission) -> String {
    let action = match permission {
        Permission::ManageShipments => "manage shipments",
        Permission::ManageShareLinks => "manage share links",
        Permission::ManageTrackingUsers => "manage tracking users",
    };
    let allowed: Vec<&str> =
        StaffRole::ALL.into_iter().filter(|role| role.allows(permission)).map(StaffRole::as_str).collect();
    let allowed = match allowed.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => return format!("no key may {action}"),
    };
    format!("only {allowed} keys may {action}; this key's role is {role}")
}

async fn authenticate(request: &Request, bearer: Bearer) -> poem::Result<ApiKey> {
    let Some(app) = request.data::<Porthole>() else {
        // Wiring, not the caller: `routes` always attaches the application.
        tracing::error!("the staff API was served without the application attached");
        return Err(ApiError::internal().into());
    };
    Ok(app.authenticate_api_key(&bearer.token).await.map_err(ApiError::from)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_every_role_that_may() {
        assert_eq!(
            refusal(StaffRole::Operator, Permission::ManageTrackingUsers),
            "only general_manager, operations_manager or sales_manager keys may manage tracking users; this key's \
             role is operator"
        );
    }
}
