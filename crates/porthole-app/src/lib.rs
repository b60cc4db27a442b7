//! Porthole's application layer: the use-cases, and the ports they need.
//!
//! Use-cases take raw input (strings as they arrived), turn it into domain
//! values, apply the domain's rules, and talk to storage only through the
//! repository traits in [`ports`], which this crate owns. Adapters (the
//! sea-orm store, the HTTP API) depend on this crate, never the reverse.

mod accounts;
mod audit;
pub mod error;
pub mod input;
mod mails;
mod notifications;
mod outbox;
pub mod passwords;
mod portal;
pub mod ports;
pub mod secret;
mod service;
pub mod settings;
mod share;
mod throttle;

pub use accounts::{PortalViewer, SessionIssued, TrackingUserSaved};
pub use audit::{AuditProgress, IsolationMismatch, IsolationReport, SuspiciousLink};
pub use error::{AppError, FieldError};
pub use notifications::Unsubscription;
pub use outbox::OutboxPass;
pub use portal::{DEFAULT_PAGE_SIZE, ListRequest, MAX_PAGE_SIZE, ShipmentPage};
pub use service::{
    ApiKeyCreated, EventBatchOutcome, MAX_EVENTS_PER_BATCH, Porthole, Ports, ShipmentUpserted, StaffShipmentView,
    Viewer,
};
pub use settings::{AppSettings, Branding, CodeLimits, NotificationSettings, SignInLimits};
pub use share::{
    LinkEntry, LinkSessionIssued, MAX_BULK_LINKS, MAX_PENDING_VIEWS, SectionsInput, ShareLinkDetails, ShareLinkIssued,
    ShareLinkOptions, ShareLinkOverview,
};
