//! What the use-cases take from configuration.

use std::time::Duration;

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
