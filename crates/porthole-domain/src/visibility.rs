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
    /// A sentence for staff, naming the organization as staff know it (by
    /// name and code) when it is among `organizations`.
    pub fn describe(&self, organizations: &[Organization]) -> String {
        let org = match organizations.iter().find(|o| o.id == self.organization_id) {
            Some(found) => format!("{} ({})", found.name, found.code),
            None => self.organization_id.to_string(),
        };
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

/// The set of shipments a user sees, stated so storage can select it with
/// one indexed query instead of testing every shipment.
///
/// [`scope_of`] derives it from the same inputs as [`visible_to`], and
/// [`ViewerScope::admits`] is proven equal to [`visible_to`] by property
/// tests; the store's query is proven equal to `admits` by its contract
/// tests. Read paths still re-check every row with [`visible_to`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewerScope {
    /// The user sees nothing: not active, no portal-enabled organization,
    /// or an overseas agent with an empty customer list.
    Nothing,
    /// Shipments that are not Draft, have an HBL number, and whose party
    /// for `role` is one of `organization_ids` (for overseas agents: the
    /// master's agent, with the customer in `agent_customer_ids`).
    Parties {
        role: TrackingRole,
        /// The user's organizations that have the portal enabled; never empty.
        organization_ids: Vec<OrganizationId>,
        /// Overseas agents only; never empty for them, empty for others.
        agent_customer_ids: Vec<OrganizationId>,
    },
}

impl ViewerScope {
    /// Whether a shipment with these facts is in scope.
    pub fn admits(&self, shipment: &ShipmentAudience) -> bool {
        let ViewerScope::Parties { role, organization_ids, agent_customer_ids } = self else {
            return false;
        };
        if !shipment.has_hbl || shipment.status == Status::Draft {
            return false;
        }
        let party = match role {
            TrackingRole::Customer => Some(&shipment.customer_id),
            TrackingRole::Shipper => shipment.shipper_id.as_ref(),
            TrackingRole::Consignee => shipment.consignee_id.as_ref(),
            TrackingRole::OverseasAgent => {
                if !agent_customer_ids.contains(&shipment.customer_id) {
                    return false;
                }
                shipment.overseas_agent_id.as_ref()
            }
        };
        party.is_some_and(|party| organization_ids.contains(party))
    }
}

/// The scope of what `user` sees, given their organizations as they are now.
pub fn scope_of(user: &TrackingUser, organizations: &[Organization]) -> ViewerScope {
    if user.state != UserState::Active {
        return ViewerScope::Nothing;
    }
    let mut organization_ids: Vec<OrganizationId> = organizations
        .iter()
        .filter(|org| org.portal_enabled && user.organization_ids.contains(&org.id))
        .map(|org| org.id.clone())
        .collect();
    organization_ids.sort();
    organization_ids.dedup();
    let agent_customer_ids: Vec<OrganizationId> = match user.role {
        TrackingRole::OverseasAgent => user.agent_customer_ids.iter().cloned().collect(),
        _ => Vec::new(),
    };
    if organization_ids.is_empty() || (user.role == TrackingRole::OverseasAgent && agent_customer_ids.is_empty()) {
        return ViewerScope::Nothing;
    }
    ViewerScope::Parties { role: user.role, organization_ids, agent_customer_ids }
}

/// Whether the user may sign in at all: active, with at least one
/// organization whose portal is enabled.
pub fn may_sign_in(user: &TrackingUser, organizations: &[Organization]) -> bool {
    user.state == UserState::Active
        && organizations.iter().any(|org| org.portal_enabled && user.organization_ids.contains(&org.id))
}
