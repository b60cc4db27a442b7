//! Opaque identifiers.
//!
//! Every resource is addressed by an opaque id, never by a business reference,
//! so references can be corrected without breaking links. Ids are minted by
//! the application's id source; the domain only carries them.

use std::fmt;

macro_rules! opaque_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id minted by the id source or read back from storage.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

opaque_id!(
    /// Identifies an organization (trade partner).
    OrganizationId
);
opaque_id!(
    /// Identifies a master bill of lading.
    MasterId
);
opaque_id!(
    /// Identifies a house shipment.
    ShipmentId
);
opaque_id!(
    /// Identifies a tracking (portal) user. Not to be confused with the
    /// user's login name, [`crate::UserId`].
    TrackingUserId
);
opaque_id!(
    /// Identifies a stored tracking event row (distinct from the source's
    /// `event_id`, which is only unique per source).
    EventRowId
);
opaque_id!(
    /// Identifies a share link (never its token, which only the recipient
    /// holds).
    ShareLinkId
);
