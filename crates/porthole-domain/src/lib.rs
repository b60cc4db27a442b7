//! Porthole's domain: what a shipment is, how its milestones follow from its
//! events, and — above all — who may see which parts of it.
//!
//! This crate is pure. It does no I/O, has no async code and knows nothing of
//! databases or HTTP, so every access rule can be tested exhaustively in
//! memory. The store and the HTTP adapter only ever ask it questions.

pub mod event;
pub mod ids;
pub mod milestone;
pub mod notice;
pub mod party;
pub mod projection;
pub mod share;
pub mod shipment;
pub mod staff;
pub mod values;
pub mod visibility;

pub use event::{Classifier, EventCode, EventType, TrackingEvent};
pub use ids::{EventRowId, MasterId, OrganizationId, ShareLinkId, ShipmentId, TrackingUserId};
pub use milestone::{Audience, EtaChange, MilestoneState, MilestoneStep, MilestoneTemplate, Progress};
pub use notice::{EstimatedDate, NoticePolicy, SeenEvent, ShipmentNotice, ViewerChange, ViewerDates};
pub use party::{
    DisplaySettings, NotificationCategory, NotificationPreferences, Organization, PeriodicReport, ReportFrequency,
    TrackingRole, TrackingUser, UserState, names_look_alike,
};
pub use projection::{
    LinkShipmentView, PortalListItem, PortalShipmentView, ShareSections, ShipmentRecord, ShipmentSummary,
    list_item_for, project_for_link, project_for_user,
};
pub use share::{CodeCheck, CodeState, LinkStatus, ShareLink, ShareRecipient};
pub use shipment::{Cargo, Charge, ChargeSide, Container, Document, Master, Mode, Shipment, Status, TransportLeg};
pub use staff::{Permission, StaffRole};
pub use values::{ContainerNumber, Email, Location, ParseError, ShipmentReference, UnLocode, UserId};
pub use visibility::{ShipmentAudience, ViewerScope, VisibilityReason, may_sign_in, scope_of, visible_to};
