//! Staff roles and what each may do. API keys are bound to one of these.

use std::fmt;
use std::str::FromStr;

/// The role a staff login or an integration's API key acts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaffRole {
    GeneralManager,
    OperationsManager,
    SalesManager,
    Operator,
}

/// Something a staff member may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Upsert organizations, masters and shipments; publish events; read the
    /// staff view of shipments and who can see them.
    ManageShipments,
    /// Create and revoke share links.
    ManageShareLinks,
    /// Create, edit and disable tracking users, send setup mails, set
    /// passwords, preview what a user sees.
    ManageTrackingUsers,
}

impl StaffRole {
    pub const ALL: [StaffRole; 4] =
        [StaffRole::GeneralManager, StaffRole::OperationsManager, StaffRole::SalesManager, StaffRole::Operator];

    pub fn is_manager(self) -> bool {
        !matches!(self, StaffRole::Operator)
    }

    pub fn allows(self, permission: Permission) -> bool {
        match permission {
            Permission::ManageShipments | Permission::ManageShareLinks => true,
            Permission::ManageTrackingUsers => self.is_manager(),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::GeneralManager => "general_manager",
            StaffRole::OperationsManager => "operations_manager",
            StaffRole::SalesManager => "sales_manager",
            StaffRole::Operator => "operator",
        }
    }
}

impl fmt::Display for StaffRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of the four staff role names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown staff role '{0}': expected general_manager, operations_manager, sales_manager or operator")]
pub struct UnknownStaffRole(pub String);

impl FromStr for StaffRole {
    type Err = UnknownStaffRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StaffRole::ALL.into_iter().find(|role| role.as_str() == s).ok_or_else(|| UnknownStaffRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_managers_manage_tracking_users() {
        for role in StaffRole::ALL {
            assert_eq!(role.allows(Permission::ManageTrackingUsers), role != StaffRole::Operator, "{role}");
            assert!(role.allows(Permission::ManageShipments));
            assert!(role.allows(Permission::ManageShareLinks));
        }
    }

    #[test]
    fn role_names_round_trip() {
        for role in StaffRole::ALL {
            assert_eq!(role.as_str().parse::<StaffRole>(), Ok(role));
        }
        assert!("admin".parse::<StaffRole>().is_err());
    }
}
