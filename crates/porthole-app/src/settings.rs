//! What the use-cases take from configuration.

use std::time::Duration;

use chrono::Weekday;
use chrono_tz::Tz;
use porthole_domain::NoticePolicy;

/// Settings of the portal's sign-in and mail links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSettings {
    /// The address people reach Porthole at, without a trailing slash; the
    /// base of every link in mail.
    pub public_url: String,
    /// The shortest password a tracking user may choose.
    pub min_password_length: usize,
    /// How long a portal session lasts after sign-in.
    pub session_lifetime: Duration,
    pub sign_in_limits: SignInLimits,
    /// How long a share-link viewer's session lasts after opening the link.
    pub link_session_lifetime: Duration,
    /// How long an `expire_on_delivery` link lives after the shipment is
    /// delivered.
    pub delivery_grace: Duration,
    pub code_limits: CodeLimits,
    pub notifications: NotificationSettings,
    pub branding: Branding,
    /// Share-page views are written to the access log once this many wait
    /// (and whenever [`Porthole::flush_link_views`] runs, which a server
    /// does on a timer and on shutdown). 1, the default, writes each view
    /// as it happens.
    ///
    /// [`Porthole::flush_link_views`]: crate::Porthole::flush_link_views
    pub link_view_batch: usize,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".to_owned(),
            min_password_length: 8,
            session_lifetime: Duration::from_secs(12 * 60 * 60),
            sign_in_limits: SignInLimits::default(),
            link_session_lifetime: Duration::from_secs(12 * 60 * 60),
            delivery_grace: Duration::from_secs(7 * 24 * 60 * 60),
            code_limits: CodeLimits::default(),
            notifications: NotificationSettings::default(),
            branding: Branding::default(),
            link_view_batch: 1,
        }
    }
}

/// When notification mail is owed and how the outbox sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationSettings {
    /// Which date shifts notify.
    pub policy: NoticePolicy,
    /// Changes to one shipment within this long of its first unsent change
    /// go out as one mail.
    pub coalesce_window: Duration,
    /// Periodic reports go out at this hour (0–23) of `report_timezone`;
    /// weekly ones on `report_weekday`.
    pub report_hour: u32,
    pub report_timezone: Tz,
    pub report_weekday: Weekday,
    /// Attempts at one mail before it is marked failed for an operator.
    pub max_attempts: u32,
    /// The wait after the first failed attempt; it doubles after each
    /// further one, up to `max_retry_delay`.
    pub first_retry_delay: Duration,
    pub max_retry_delay: Duration,
    /// How long a claimed mail is hidden from other workers. Longer than
    /// the mailer's own time limit, so a slow send is not claimed twice.
    pub claim_lease: Duration,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            policy: NoticePolicy::default(),
            coalesce_window: Duration::from_secs(30),
            report_hour: 7,
            report_timezone: Tz::UTC,
            report_weekday: Weekday::Mon,
            max_attempts: 8,
            first_retry_delay: Duration::from_secs(30),
            max_retry_delay: Duration::from_secs(60 * 60),
            claim_lease: Duration::from_secs(5 * 60),
        }
    }
}

/// The forwarder's own name and look, in every mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branding {
    /// Who the mails come from in the reader's eyes ("Acme Logistics").
    pub company_name: String,
    /// A CSS colour (`#rrggbb`) for the header bar and buttons.
    pub accent_color: String,
    /// An https address of a logo image, shown in the HTML part's header.
    pub logo_url: Option<String>,
    /// Where customers write with questions; shown in every mail's footer.
    pub support_email: Option<String>,
}

impl Default for Branding {
    fn default() -> Self {
        Self {
            company_name: "Porthole".to_owned(),
            accent_color: "#0b5cad".to_owned(),
            logo_url: None,
            support_email: None,
        }
    }
}

/// Sign-in attempts (passwords and login-link requests) allowed before
/// callers must wait: a burst, refilled at a steady rate per minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInLimits {
    pub per_account_burst: u32,
    pub per_account_per_minute: u32,
    pub per_address_burst: u32,
    pub per_address_per_minute: u32,
}

impl Default for SignInLimits {
    /// Ten tries at one account, then two a minute; an office behind one
    /// address may make sixty, then thirty a minute.
    fn default() -> Self {
        Self { per_account_burst: 10, per_account_per_minute: 2, per_address_burst: 60, per_address_per_minute: 30 }
    }
}

/// Share-link verification codes (sending and entering) allowed before
/// callers must wait, per link and per client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeLimits {
    pub per_link_burst: u32,
    pub per_link_per_minute: u32,
    pub per_address_burst: u32,
    pub per_address_per_minute: u32,
}

impl Default for CodeLimits {
    /// A link's five recipients can each ask for a code and mistype it a
    /// few times; scripted guessing cannot get far.
    fn default() -> Self {
        Self { per_link_burst: 20, per_link_per_minute: 4, per_address_burst: 20, per_address_per_minute: 4 }
    }
}
