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
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".to_owned(),
            min_password_length: 8,
            session_lifetime: Duration::from_secs(12 * 60 * 60),
            sign_in_limits: SignInLimits::default(),
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
