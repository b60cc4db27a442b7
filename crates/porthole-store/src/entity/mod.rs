//! sea-orm entities, one module per table. They mirror the migrations
//! column for column; every time is RFC 3339 text (see the migrations crate
//! for why), converted to and from chrono in [`crate::codec`].

pub mod api_key;
pub mod link_access_entry;
pub mod link_session;
pub mod link_verification_code;
pub mod login_token;
pub mod master;
pub mod organization;
pub mod outbox_cause;
pub mod outbox_mail;
pub mod portal_session;
pub mod share_link;
pub mod share_link_mail_token;
pub mod share_link_recipient;
pub mod shipment;
pub mod shipment_container;
pub mod tracking_event;
pub mod tracking_user;
pub mod tracking_user_additional_email;
pub mod tracking_user_agent_customer;
pub mod tracking_user_organization;
pub mod unsubscribe_token;
