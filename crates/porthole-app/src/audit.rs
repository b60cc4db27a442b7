//! `porthole check isolation`: re-derives every active user's visible set
//! from the domain rule and compares it with what the portal serves.
//!
//! The expected set is computed independently of storage's scoped query:
//! every shipment naming one of the user's organizations in any party role
//! is a candidate, and the domain's `visible_to` decides. The served set is
//! what the portal list returns, page by page.

use std::collections::{BTreeSet, HashMap};

use porthole_domain::projection::ShipmentSummary;
use porthole_domain::{
    Organization, OrganizationId, ShipmentId, TrackingRole, TrackingUser, UserState, names_look_alike, scope_of,
    visible_to,
};

use crate::error::AppError;
use crate::ports::ShipmentQuery;
use crate::service::Porthole;

const PAGE: u64 = 1_000;

/// How far an audit has got, for progress output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditProgress {
    /// Shipments loaded so far.
    Shipments(u64),
    /// Users checked so far.
    Users(u64),
}

/// A user whose served set differs from the rule's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsolationMismatch {
    pub tracking_user_id: String,
    pub user_id: String,
    /// Served but refused by the rule: a leak.
    pub served_not_allowed: Vec<ShipmentId>,
    /// Allowed by the rule but not served.
    pub allowed_not_served: Vec<ShipmentId>,
}

/// A link between a user and organizations that staff should look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuspiciousLink {
    pub tracking_user_id: String,
    pub user_id: String,
    pub finding: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IsolationReport {
    pub users: u64,
    pub active_users: u64,
    pub shipments: u64,
    /// (user, shipment) pairs the rule allows, over all active users.
    pub visible_pairs: u64,
    pub mismatches: Vec<IsolationMismatch>,
    pub suspicious: Vec<SuspiciousLink>,
}

impl IsolationReport {
    /// True when every served set equals the rule's.
    pub fn is_clean(&self) -> bool {
        self.mismatches.is_empty()
    }
}

impl Porthole {
    /// Audits every user. Memory grows with the number of shipments (their
    /// parties only), not with users.
    pub async fn audit_isolation(
        &self,
        progress: &(dyn Fn(AuditProgress) + Sync),
    ) -> Result<IsolationReport, AppError> {
        let organizations = self.ports.organizations.all_organizations().await?;
        let shipments = self.all_summaries(progress).await?;
        let mut by_party: HashMap<&OrganizationId, Vec<usize>> = HashMap::new();
        for (index, summary) in shipments.iter().enumerate() {
            let audience = &summary.audience;
            let parties = [
                Some(&audience.customer_id),
                audience.shipper_id.as_ref(),
                audience.consignee_id.as_ref(),
                audience.overseas_agent_id.as_ref(),
            ];
            for party in parties.into_iter().flatten().collect::<BTreeSet<_>>() {
                by_party.entry(party).or_default().push(index);
            }
        }
        let mut report = IsolationReport { shipments: shipments.len() as u64, ..IsolationReport::default() };
        let mut after: Option<porthole_domain::TrackingUserId> = None;
        loop {
            let users = self.ports.tracking_users.tracking_users(after.clone(), PAGE).await?;
            let Some(last) = users.last() else { break };
            after = Some(last.id.clone());
            for user in &users {
                report.users += 1;
                report.suspicious.extend(suspicious_links(user, &organizations));
                if user.state != UserState::Active {
                    continue;
                }
                report.active_users += 1;
                let mut expected: BTreeSet<&ShipmentId> = BTreeSet::new();
                for org in &user.organization_ids {
                    for &index in by_party.get(org).into_iter().flatten() {
                        if visible_to(user, &organizations, &shipments[index].audience).is_some() {
                            expected.insert(&shipments[index].id);
                        }
                    }
                }
                report.visible_pairs += expected.len() as u64;
                let served = self.served_ids(user, &organizations).await?;
                let served_not_allowed: Vec<ShipmentId> =
                    served.iter().filter(|id| !expected.contains(id)).cloned().collect();
                let allowed_not_served: Vec<ShipmentId> =
                    expected.iter().filter(|id| !served.contains(**id)).map(|id| (*id).clone()).collect();
                if !served_not_allowed.is_empty() || !allowed_not_served.is_empty() {
                    report.mismatches.push(IsolationMismatch {
                        tracking_user_id: user.id.to_string(),
                        user_id: user.user_id.to_string(),
                        served_not_allowed,
                        allowed_not_served,
                    });
                }
                if report.users.is_multiple_of(100) {
                    progress(AuditProgress::Users(report.users));
                }
            }
        }
        progress(AuditProgress::Users(report.users));
        Ok(report)
    }

    async fn all_summaries(&self, progress: &(dyn Fn(AuditProgress) + Sync)) -> Result<Vec<ShipmentSummary>, AppError> {
        let mut all = Vec::new();
        loop {
            let page = self
                .ports
                .shipments
                .shipment_summaries(all.last().map(|s: &ShipmentSummary| s.id.clone()), PAGE)
                .await?;
            let done = (page.len() as u64) < PAGE;
            all.extend(page);
            progress(AuditProgress::Shipments(all.len() as u64));
            if done {
                return Ok(all);
            }
        }
    }

    /// What the portal's scoped query serves the user, every page, without
    /// the per-row re-check (that is what is being audited).
    async fn served_ids(
        &self,
        user: &TrackingUser,
        organizations: &[Organization],
    ) -> Result<BTreeSet<ShipmentId>, AppError> {
        let scope = scope_of(user, organizations);
        let mut served = BTreeSet::new();
        let mut before = None;
        loop {
            let query = ShipmentQuery { status: None, search: None, before: before.clone(), limit: PAGE };
            let page = self.ports.shipments.shipments_in_scope(&scope, &query).await?;
            let done = (page.len() as u64) < PAGE;
            before = page.last().map(|s| s.reference.clone());
            served.extend(page.into_iter().map(|s| s.id));
            if done {
                return Ok(served);
            }
        }
    }
}

/// Links worth a second look: an organization with look-alike namesakes,
/// an overseas agent who can see nothing, a user whose every organization
/// has the portal off.
fn suspicious_links(user: &TrackingUser, organizations: &[Organization]) -> Vec<SuspiciousLink> {
    let finding = |text: String| SuspiciousLink {
        tracking_user_id: user.id.to_string(),
        user_id: user.user_id.to_string(),
        finding: text,
    };
    let mut findings = Vec::new();
    let linked: Vec<&Organization> = organizations.iter().filter(|o| user.organization_ids.contains(&o.id)).collect();
    for org in &linked {
        let alike: Vec<String> = organizations
            .iter()
            .filter(|other| other.id != org.id && names_look_alike(&org.name, &other.name))
            .map(|other| format!("'{}' ({})", other.name, other.code))
            .collect();
        if !alike.is_empty() {
            findings.push(finding(format!(
                "linked to '{}' ({}), which has near-duplicate names: {}",
                org.name,
                org.code,
                alike.join(", ")
            )));
        }
    }
    if user.state == UserState::Active {
        if user.role == TrackingRole::OverseasAgent && user.agent_customer_ids.is_empty() {
            findings.push(finding("overseas agent with an empty customer list: sees nothing".to_owned()));
        }
        if !linked.iter().any(|o| o.portal_enabled) {
            findings.push(finding("active, but every organization has the portal off: cannot sign in".to_owned()));
        }
    }
    findings
}
