//! Ports: what the use-cases need from the outside world. Adapters implement
//! them; tests mock them (feature `mock`).
//!
//! Every repository method is atomic: it either does all it says or
//! nothing, and reports why with a [`RepoError`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use porthole_domain::projection::ShipmentRecord;
use porthole_domain::{
    Master, MasterId, Organization, OrganizationId, Shipment, ShipmentId, ShipmentReference, StaffRole, TrackingEvent,
    TrackingUser,
};

use crate::secret::SecretDigest;

/// Why a repository call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepoError {
    /// The addressed row does not exist.
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; `field` names the input field.
    #[error("duplicate {field}")]
    Duplicate { field: String },
    /// The database could not be reached or failed; nothing was written.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

pub type RepoResult<T> = Result<T, RepoError>;

/// The time, injected so tests can move it.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Mints opaque resource ids.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait IdSource: Send + Sync {
    /// A new id, unique across the deployment, starting with `prefix`
    /// (`org_`, `shp_`, …) so ids say what they address.
    fn new_id(&self, prefix: &'static str) -> String;
}

/// Random ids: 128 bits from the thread-local CSPRNG.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn new_id(&self, prefix: &'static str) -> String {
        let bytes: [u8; 16] = rand::random();
        format!("{prefix}{}", hex::encode(bytes))
    }
}

/// Organizations (trade partners).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait OrganizationRepository: Send + Sync {
    /// MUST return `Duplicate { field: "code" }` if the code is taken.
    async fn insert_organization(&self, org: &Organization) -> RepoResult<()>;
    /// MUST return `NotFound` if no organization has this id, and
    /// `Duplicate { field: "code" }` if the new code is taken by another.
    async fn update_organization(&self, org: &Organization) -> RepoResult<()>;
    async fn organization(&self, id: &OrganizationId) -> RepoResult<Option<Organization>>;
    /// The organizations among `ids` that exist, in any order.
    async fn organizations(&self, ids: &[OrganizationId]) -> RepoResult<Vec<Organization>>;
}

/// Master bills of lading.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait MasterRepository: Send + Sync {
    /// MUST return `Duplicate { field: "mbl_no" }` if the MBL number exists.
    async fn insert_master(&self, master: &Master) -> RepoResult<()>;
    async fn master(&self, id: &MasterId) -> RepoResult<Option<Master>>;
}

/// Whether an upsert created or replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
}

/// What an event batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AppendOutcome {
    /// Events stored now.
    pub accepted: usize,
    /// Events whose `event_id` this shipment already had; left untouched.
    pub duplicates: usize,
}

/// House shipments and their events.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ShipmentRepository: Send + Sync {
    async fn shipment_by_reference(&self, reference: &ShipmentReference) -> RepoResult<Option<Shipment>>;

    /// Inserts the shipment, or replaces the one with the same reference
    /// (keeping its id). Containers, charges and the rest are replaced as a
    /// whole. Recomputes the milestone state viewers see, in the same
    /// transaction.
    async fn upsert_shipment(&self, shipment: &Shipment) -> RepoResult<Upserted>;

    /// The shipment with its master, events and parties; `None` if absent.
    async fn shipment_record(&self, id: &ShipmentId) -> RepoResult<Option<ShipmentRecord>>;

    /// Appends events in one transaction. An event whose `event_id` the
    /// shipment already has counts as a duplicate and changes nothing.
    /// Recomputes the milestone state viewers see in the same transaction.
    /// MUST return `NotFound` if the shipment does not exist; then nothing
    /// is written.
    async fn append_events(&self, id: &ShipmentId, events: &[TrackingEvent]) -> RepoResult<AppendOutcome>;
}

/// Tracking users, as far as the staff views of shipments need them.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait TrackingUserRepository: Send + Sync {
    /// MUST return `Duplicate { field: "user_id" }` if the login is taken.
    async fn insert_tracking_user(&self, user: &TrackingUser) -> RepoResult<()>;

    /// Every user linked to at least one of `organization_ids`: the only
    /// users who could possibly see a shipment whose parties are those.
    async fn tracking_users_in(&self, organization_ids: &[OrganizationId]) -> RepoResult<Vec<TrackingUser>>;
}

/// A stored API key: who it is and what it may do. Never the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub role: StaffRole,
    pub created_at: DateTime<Utc>,
}

/// API keys for staff and integrations.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ApiKeyRepository: Send + Sync {
    async fn insert_api_key(&self, key: &ApiKey, digest: &SecretDigest) -> RepoResult<()>;
    /// The live key with this digest, if any.
    async fn api_key_by_digest(&self, digest: &SecretDigest) -> RepoResult<Option<ApiKey>>;
}

/// Whether storage answers; for readiness probes.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait HealthCheck: Send + Sync {
    async fn ping(&self) -> RepoResult<()>;
}
