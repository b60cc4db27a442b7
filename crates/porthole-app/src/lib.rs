//! Porthole's application layer: the use-cases, and the ports they need.
//!
//! Use-cases take raw input (strings as they arrived), turn it into domain
//! values, apply the domain's rules, and talk to storage only through the
//! repository traits in [`ports`], which this crate owns. Adapters (the
//! sea-orm store, the HTTP API) depend on this crate, never the reverse.

pub mod error;
pub mod input;
pub mod ports;
pub mod secret;
mod service;

pub use error::{AppError, FieldError};
pub use service::{
    ApiKeyCreated, EventBatchOutcome, MAX_EVENTS_PER_BATCH, Porthole, Ports, ShipmentUpserted, StaffShipmentView,
    Viewer,
};
