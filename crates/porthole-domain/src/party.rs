//! Trade partners and the people who track shipments on their behalf.

use std::collections::BTreeSet;

use crate::ids::{OrganizationId, TrackingUserId};
use crate::values::{Email, UserId};

/// A trade partner: a customer, shipper, consignee or overseas agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: OrganizationId,
    pub code: String,
    pub name: String,
    /// Portal access switch for every user of this organization.
    pub portal_enabled: bool,
    /// Sell-side charges visible to this organization's customer-role users.
    pub show_charges: bool,
}

/// What a tracking user is to the shipments they see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrackingRole {
    Customer,
    Shipper,
    Consignee,
    OverseasAgent,
}

impl TrackingRole {
    pub const ALL: [TrackingRole; 4] =
        [TrackingRole::Customer, TrackingRole::Shipper, TrackingRole::Consignee, TrackingRole::OverseasAgent];

    pub fn as_str(self) -> &'static str {
        match self {
            TrackingRole::Customer => "customer",
            TrackingRole::Shipper => "shipper",
            TrackingRole::Consignee => "consignee",
            TrackingRole::OverseasAgent => "overseas_agent",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        TrackingRole::ALL.into_iter().find(|role| role.as_str() == raw)
    }
}

/// Lifecycle of a tracking user. Only `Active` users see anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserState {
    /// Created, password not yet set.
    Invited,
    Active,
    Disabled,
}

impl UserState {
    pub fn as_str(self) -> &'static str {
        match self {
            UserState::Invited => "invited",
            UserState::Active => "active",
            UserState::Disabled => "disabled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [UserState::Invited, UserState::Active, UserState::Disabled].into_iter().find(|state| state.as_str() == raw)
    }
}

/// Which optional parts of a shipment the user is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisplaySettings {
    pub doc_center: bool,
    pub shipper_info: bool,
    pub mbl_number: bool,
}

impl Default for DisplaySettings {
    /// SPEC: documents on, shipper and MBL number off.
    fn default() -> Self {
        Self { doc_center: true, shipper_info: false, mbl_number: false }
    }
}

/// How often a periodic report goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportFrequency {
    Daily,
    Weekly,
}

impl ReportFrequency {
    pub const ALL: [Self; 2] = [Self::Daily, Self::Weekly];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == raw)
    }
}

/// Which mails the user has opted into.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NotificationPreferences {
    pub journey_updated: bool,
    pub eta_changed: bool,
    pub document_status: bool,
    /// `None` when the user receives no periodic report.
    pub periodic_report: Option<PeriodicReport>,
}

/// One kind of mail a user can opt out of on its own, as an unsubscribe
/// link names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NotificationCategory {
    JourneyUpdated,
    EtaChanged,
    DocumentStatus,
    PeriodicReport,
}

impl NotificationCategory {
    pub const ALL: [Self; 4] = [Self::JourneyUpdated, Self::EtaChanged, Self::DocumentStatus, Self::PeriodicReport];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::JourneyUpdated => "journey_updated",
            Self::EtaChanged => "eta_changed",
            Self::DocumentStatus => "document_status",
            Self::PeriodicReport => "periodic_report",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|category| category.as_str() == raw)
    }
}

impl NotificationPreferences {
    /// Stops exactly this kind of mail and leaves every other switch alone.
    pub fn turn_off(&mut self, category: NotificationCategory) {
        match category {
            NotificationCategory::JourneyUpdated => self.journey_updated = false,
            NotificationCategory::EtaChanged => self.eta_changed = false,
            NotificationCategory::DocumentStatus => self.document_status = false,
            NotificationCategory::PeriodicReport => self.periodic_report = None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodicReport {
    pub frequency: ReportFrequency,
    pub columns: Vec<String>,
}

/// A portal user. One login may stand for a group (a shared account), hence
/// the additional e-mails; notifications go to all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingUser {
    pub id: TrackingUserId,
    pub user_id: UserId,
    pub first_name: String,
    pub last_name: Option<String>,
    pub email: Email,
    pub additional_emails: Vec<Email>,
    pub role: TrackingRole,
    pub organization_ids: BTreeSet<OrganizationId>,
    /// Overseas agents only: the customers whose house bills the agent may
    /// see. Empty means nothing is visible (fail closed).
    pub agent_customer_ids: BTreeSet<OrganizationId>,
    pub notifications: NotificationPreferences,
    pub display: DisplaySettings,
    pub state: UserState,
}

impl TrackingUser {
    /// Every address mail for this user goes to, primary first.
    pub fn all_emails(&self) -> impl Iterator<Item = &Email> {
        std::iter::once(&self.email).chain(self.additional_emails.iter())
    }
}

/// Words that say what legal form a company has, not which company it is.
const LEGAL_FORMS: &[&str] = &[
    "co",
    "company",
    "corp",
    "corporation",
    "inc",
    "incorporated",
    "llc",
    "ltd",
    "limited",
    "jsc",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "bv",
    "nv",
    "pte",
    "pvt",
    "pty",
    "srl",
    "spa",
    "the",
    "and",
];

/// Whether two organization names probably mean the same company, so that a
/// tracking user linked to one of them may have been linked to the wrong one
/// ("Saigon Tech Export" and "SAIGON TECH EXPORTS CO., LTD").
///
/// Names are compared without case, punctuation or legal-form words, and
/// count as alike when equal or within a small edit distance of each other.
pub fn names_look_alike(a: &str, b: &str) -> bool {
    let (a, b) = (name_key(a), name_key(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    a == b || strsim::normalized_levenshtein(&a, &b) >= 0.85
}

fn name_key(name: &str) -> String {
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty() && !LEGAL_FORMS.contains(word))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turning_a_category_off_leaves_the_others_alone() {
        let all_on = NotificationPreferences {
            journey_updated: true,
            eta_changed: true,
            document_status: true,
            periodic_report: Some(PeriodicReport { frequency: ReportFrequency::Weekly, columns: vec!["eta".into()] }),
        };
        for category in NotificationCategory::ALL {
            let mut preferences = all_on.clone();
            preferences.turn_off(category);
            let expected = NotificationPreferences {
                journey_updated: category != NotificationCategory::JourneyUpdated,
                eta_changed: category != NotificationCategory::EtaChanged,
                document_status: category != NotificationCategory::DocumentStatus,
                periodic_report: all_on
                    .periodic_report
                    .clone()
                    .filter(|_| category != NotificationCategory::PeriodicReport),
            };
            assert_eq!(preferences, expected, "{category:?}");
            assert_eq!(NotificationCategory::parse(category.as_str()), Some(category));
        }
        assert_eq!(NotificationCategory::parse("everything"), None);
    }

    #[test]
    fn near_duplicate_company_names_look_alike() {
        assert!(names_look_alike("Saigon Tech Export", "SAIGON TECH EXPORTS CO., LTD"));
        assert!(names_look_alike("Pacific Home Goods", "Pacific Home Goods Inc."));
        assert!(names_look_alike("Mekong Garments", "Mekong Garment Co"));
    }

    #[test]
    fn different_companies_do_not() {
        assert!(!names_look_alike("Saigon Tech Export", "Hanoi Textile"));
        assert!(!names_look_alike("ABC", "ABD"));
        assert!(!names_look_alike("Ltd", "Co"));
        assert!(!names_look_alike("Pacific Home Goods", "Atlantic Home Goods"));
    }
}
