//! The visibility rule — the one rule this product must never break.
//!
//! A tracking user U sees shipment S if and only if all hold:
//! 1. U is active, and S has an HBL number and is not Draft;
//! 2. some organization O of U has `portal_enabled`, and
//!    - customer: S.customer = O;
//!    - shipper: S.shipper = O;
//!    - consignee: S.consignee = O;
//!    - overseas agent: S.master.overseas_agent = O and S.customer is in
//!      U's agent-customer list (an empty list shows nothing).
//!
//! [`visible_to`] is that rule, and it answers "why" as well as "whether",
//! so staff can ask who sees a shipment and for what reason.

use crate::ids::OrganizationId;
use crate::party::{Organization, TrackingRole, TrackingUser, UserState};
use crate::shipment::Status;

/// The facts about a shipment that decide who sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentAudience {
    /// The status viewers are shown (derived from published events).
    pub status: Status,
    pub has_hbl: bool,
    pub customer_id: OrganizationId,
    pub shipper_id: Option<OrganizationId>,
    pub consignee_id: Option<OrganizationId>,
    /// The overseas agent of the shipment's master, if it has one.
    pub overseas_agent_id: Option<OrganizationId>,
}

/// Why a user sees a shipment: through which organization, in which role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisibilityReason {
    pub organization_id: OrganizationId,
    pub role: TrackingRole,
}

impl VisibilityReason {
    /// A sentence for staff.
    pub fn describe(&self) -> String {
        let org = &self.organization_id;
        match self.role {
            TrackingRole::Customer => format!("organization {org} is the shipment's customer"),
            TrackingRole::Shipper => format!("organization {org} is the shipment's shipper"),
            TrackingRole::Consignee => format!("organization {org} is the shipment's consignee"),
            TrackingRole::OverseasAgent => format!(
                "organization {org} is the overseas agent of the master, and the shipment's customer is on the user's agent-customer list"
            ),
        }
    }
}

/// Decides whether `user` sees the shipment, and why.
///
/// `organizations` must hold the user's organizations as they are now (their
/// `portal_enabled` switch matters); organizations not listed in
/// `user.organization_ids` are ignored, so passing extra ones is harmless.
/// Returns `None` when the user must not see the shipment.
pub fn visible_to(
    user: &TrackingUser,
    organizations: &[Organization],
    shipment: &ShipmentAudience,
) -> Option<VisibilityReason> {
    if user.state != UserState::Active || !shipment.has_hbl || shipment.status == Status::Draft {
        return None;
    }
    organizations
        .iter()
        .filter(|org| org.portal_enabled && user.organization_ids.contains(&org.id))
        .find(|org| matches_role(user, &org.id, shipment))
        .map(|org| VisibilityReason { organization_id: org.id.clone(), role: user.role })
}

fn matches_role(user: &TrackingUser, org: &OrganizationId, shipment: &ShipmentAudience) -> bool {
    match user.role {
        TrackingRole::Customer => shipment.customer_id == *org,
        TrackingRole::Shipper => shipment.shipper_id.as_ref() == Some(org),
        TrackingRole::Consignee => shipment.consignee_id.as_ref() == Some(org),
        TrackingRole::OverseasAgent => {
            shipment.overseas_agent_id.as_ref() == Some(org) && user.agent_customer_ids.contains(&shipment.customer_id)
        }
    }
}
