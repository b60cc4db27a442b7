//! Configuration: one [`Settings`] value, layered from the built-in
//! `config/default.toml`, an optional file, then `PORTHOLE__SECTION__KEY`
//! environment variables.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use porthole_app::{AppSettings, Branding, CodeLimits, NotificationSettings, SignInLimits};
use porthole_domain::NoticePolicy;
use porthole_http::TrustedProxies;
use porthole_mail::SmtpUrl;
use serde::Deserialize;

/// `config/default.toml`, compiled in so the binary behaves the same from
/// any working directory.
pub const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

/// The prefix of environment variables that override configuration keys:
/// `PORTHOLE__HTTP__BIND` sets `http.bind`.
pub const ENV_PREFIX: &str = "PORTHOLE__";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub http: HttpServerSettings,
    pub mail: MailSettings,
    pub portal: PortalSettings,
    pub share: ShareSettings,
    pub notifications: NotificationsSettings,
    pub branding: BrandingSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://PATH?mode=rwc` or `postgres://…`.
    pub url: SecretUrl,
    /// `serve` (and `api-key create`) apply pending migrations first.
    pub auto_migrate: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpServerSettings {
    pub bind: SocketAddr,
    /// Base of every link Porthole hands out; never ends in `/`.
    pub public_url: String,
    /// Reverse proxies (addresses or networks) whose `X-Forwarded-For`
    /// names the client; each entry is checked as it is read.
    pub trusted_proxies: TrustedProxies,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    File,
    Smtp,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: MailTransport,
    pub dir: PathBuf,
    pub smtp_url: Option<SecretUrl>,
    pub from: String,
}

impl MailSettings {
    /// The SMTP server `mail.smtp_url` names. The error names the key but
    /// does not repeat the URL: a URL too malformed to parse cannot be
    /// trusted to have its password found and hidden.
    pub fn smtp_server(&self) -> anyhow::Result<SmtpUrl> {
        let Some(url) = &self.smtp_url else {
            bail!(
                "mail.smtp_url must be set when mail.transport is \"smtp\", \
                 e.g. smtp://USER:PASSWORD@smtp.example.com:587"
            );
        };
        Ok(SmtpUrl::parse(url.expose())?)
    }
}

/// Sign-in rules of the customer portal.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalSettings {
    pub min_password_length: usize,
    pub session_lifetime_hours: u64,
    pub sign_in_burst_per_account: u32,
    pub sign_in_per_minute_per_account: u32,
    pub sign_in_burst_per_address: u32,
    pub sign_in_per_minute_per_address: u32,
}

/// Share links: their viewers' sessions, delivery expiry and the limits on
/// verification codes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareSettings {
    pub link_session_hours: u64,
    pub delivery_grace_hours: u64,
    pub code_burst_per_link: u32,
    pub code_per_minute_per_link: u32,
    pub code_burst_per_address: u32,
    pub code_per_minute_per_address: u32,
}

/// Notification mail: what is worth a mail, when reports go out, and how
/// the outbox worker sends.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsSettings {
    /// Runs the outbox worker inside `serve`.
    pub worker: bool,
    pub poll_interval_ms: u64,
    pub eta_threshold_hours: u64,
    pub coalesce_seconds: u64,
    pub report_hour: u32,
    pub report_timezone: String,
    pub report_weekday: String,
    pub max_attempts: u32,
    pub first_retry_seconds: u64,
    pub max_retry_seconds: u64,
}

/// The forwarder's name and look in mail.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandingSettings {
    pub company_name: String,
    pub accent_color: String,
    pub logo_url: Option<String>,
    pub support_email: Option<String>,
}

/// Below this, a password falls to guessing even through the rate limits.
const LOWEST_MIN_PASSWORD_LENGTH: usize = 6;
/// The longest password the portal accepts is 256 bytes; a minimum above
/// this would leave room for almost nobody.
const HIGHEST_MIN_PASSWORD_LENGTH: usize = 128;
/// A year: sessions longer than this are forgotten, not remembered.
const LONGEST_SESSION_HOURS: u64 = 24 * 365;
/// A mail not sent for a week is news to nobody; waiting longer between
/// tries only hides a broken mail server.
const LONGEST_RETRY_SECONDS: u64 = 7 * 24 * 60 * 60;
/// A year after delivery nobody is still waiting for the shipment.
const LONGEST_DELIVERY_GRACE_HOURS: u64 = 24 * 365;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// A `tracing` filter; `RUST_LOG` wins when set.
    pub filter: String,
}

impl Settings {
    /// The built-in defaults, then `config_file` if given, then the
    /// environment.
    pub fn load(config_file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        if let Some(path) = config_file {
            if !path.is_file() {
                bail!("configuration file {} does not exist", path.display());
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        Self::from_figment(figment.merge(Env::prefixed(ENV_PREFIX).split("__")))
    }

    /// The built-in defaults alone, ignoring files and the environment: a
    /// base for tests, which set what they need.
    pub fn builtin() -> anyhow::Result<Self> {
        Self::from_figment(Figment::from(Toml::string(DEFAULT_TOML)))
    }

    pub fn from_figment(figment: Figment) -> anyhow::Result<Self> {
        let settings: Settings = figment.extract().map_err(|error| {
            let all: Vec<String> = error.into_iter().map(|e| describe(&e)).collect();
            anyhow::anyhow!("invalid configuration: {}", all.join("; "))
        })?;
        settings.validated().context("invalid configuration")
    }

    /// Checks what the types alone cannot, naming the key at fault, and
    /// normalizes `http.public_url`.
    fn validated(mut self) -> anyhow::Result<Self> {
        let url = self.database.url.expose();
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            bail!(
                "database.url must be sqlite://PATH?mode=rwc or postgres://USER@HOST/DB, not '{}'",
                self.database.url
            );
        }

        let public_url = self.http.public_url.trim().trim_end_matches('/');
        let host = public_url.strip_prefix("https://").or_else(|| public_url.strip_prefix("http://"));
        if host.is_none_or(str::is_empty) {
            bail!(
                "http.public_url must be an http:// or https:// address such as https://track.example.com, not '{public_url}'"
            );
        }
        self.http.public_url = public_url.to_owned();

        // A URL set while mail still goes to files is checked too, so a
        // mistake shows now rather than on the day the transport switches.
        if self.mail.transport == MailTransport::Smtp || self.mail.smtp_url.is_some() {
            self.mail.smtp_server()?;
        }
        if self.mail.dir.as_os_str().is_empty() {
            bail!("mail.dir must not be empty");
        }
        if !self.mail.from.contains('@') {
            bail!(
                "mail.from must hold an e-mail address such as \"Porthole <no-reply@example.com>\", not '{}'",
                self.mail.from
            );
        }

        self.portal.validate()?;
        self.share.validate()?;
        self.notifications.validate()?;
        self.branding.validate()?;

        tracing_subscriber::EnvFilter::try_new(&self.log.filter)
            .map_err(|e| anyhow::anyhow!("log.filter '{}' is not a tracing filter: {e}", self.log.filter))?;
        Ok(self)
    }
}

impl Settings {
    /// What the use-cases take from configuration.
    pub fn app_settings(&self) -> AppSettings {
        let (portal, share) = (&self.portal, &self.share);
        AppSettings {
            public_url: self.http.public_url.trim_end_matches('/').to_owned(),
            min_password_length: portal.min_password_length,
            session_lifetime: hours(portal.session_lifetime_hours),
            sign_in_limits: SignInLimits {
                per_account_burst: portal.sign_in_burst_per_account,
                per_account_per_minute: portal.sign_in_per_minute_per_account,
                per_address_burst: portal.sign_in_burst_per_address,
                per_address_per_minute: portal.sign_in_per_minute_per_address,
            },
            link_session_lifetime: hours(share.link_session_hours),
            delivery_grace: hours(share.delivery_grace_hours),
            code_limits: CodeLimits {
                per_link_burst: share.code_burst_per_link,
                per_link_per_minute: share.code_per_minute_per_link,
                per_address_burst: share.code_burst_per_address,
                per_address_per_minute: share.code_per_minute_per_address,
            },
            notifications: self.notifications.app_settings(),
            branding: Branding {
                company_name: self.branding.company_name.trim().to_owned(),
                accent_color: self.branding.accent_color.trim().to_owned(),
                logo_url: self.branding.logo_url.clone().filter(|url| !url.trim().is_empty()),
                support_email: self.branding.support_email.clone().filter(|mail| !mail.trim().is_empty()),
            },
            // `serve_on` flushes them every `LINK_VIEW_FLUSH` and on shutdown.
            link_view_batch: crate::LINK_VIEW_BATCH,
        }
    }
}

impl NotificationsSettings {
    fn validate(&self) -> anyhow::Result<()> {
        if !(100..=60_000).contains(&self.poll_interval_ms) {
            bail!("notifications.poll_interval_ms must be from 100 to 60000, not {}", self.poll_interval_ms);
        }
        if !(1..=24 * 30).contains(&self.eta_threshold_hours) {
            bail!(
                "notifications.eta_threshold_hours must be from 1 to 720 (30 days), not {}",
                self.eta_threshold_hours
            );
        }
        if self.coalesce_seconds > 24 * 60 * 60 {
            bail!("notifications.coalesce_seconds must be from 0 to 86400 (a day), not {}", self.coalesce_seconds);
        }
        if self.report_hour > 23 {
            bail!("notifications.report_hour must be from 0 to 23, not {}", self.report_hour);
        }
        self.timezone()?;
        self.weekday()?;
        if !(1..=50).contains(&self.max_attempts) {
            bail!("notifications.max_attempts must be from 1 to 50, not {}", self.max_attempts);
        }
        if self.max_retry_seconds > LONGEST_RETRY_SECONDS {
            bail!(
                "notifications.max_retry_seconds must be at most {LONGEST_RETRY_SECONDS} (a week), not {}",
                self.max_retry_seconds
            );
        }
        if self.first_retry_seconds == 0 || self.first_retry_seconds > self.max_retry_seconds {
            bail!(
                "notifications.first_retry_seconds must be at least 1 and at most max_retry_seconds ({}), not {}",
                self.max_retry_seconds,
                self.first_retry_seconds
            );
        }
        Ok(())
    }

    fn timezone(&self) -> anyhow::Result<chrono_tz::Tz> {
        self.report_timezone.trim().parse::<chrono_tz::Tz>().map_err(|_| {
            anyhow::anyhow!(
                "notifications.report_timezone must be an IANA time zone such as \"Asia/Ho_Chi_Minh\" or \"UTC\", not '{}'",
                self.report_timezone
            )
        })
    }

    fn weekday(&self) -> anyhow::Result<chrono::Weekday> {
        self.report_weekday.trim().parse::<chrono::Weekday>().map_err(|_| {
            anyhow::anyhow!(
                "notifications.report_weekday must be a day such as \"monday\", not '{}'",
                self.report_weekday
            )
        })
    }

    fn app_settings(&self) -> NotificationSettings {
        let defaults = NotificationSettings::default();
        let eta_hours = i64::try_from(self.eta_threshold_hours).unwrap_or(24);
        NotificationSettings {
            policy: NoticePolicy { date_shift_threshold: chrono::Duration::hours(eta_hours) },
            coalesce_window: Duration::from_secs(self.coalesce_seconds),
            report_hour: self.report_hour,
            report_timezone: self.timezone().unwrap_or(defaults.report_timezone),
            report_weekday: self.weekday().unwrap_or(defaults.report_weekday),
            max_attempts: self.max_attempts,
            first_retry_delay: Duration::from_secs(self.first_retry_seconds),
            max_retry_delay: Duration::from_secs(self.max_retry_seconds),
            claim_lease: defaults.claim_lease,
        }
    }
}

impl BrandingSettings {
    fn validate(&self) -> anyhow::Result<()> {
        let name = self.company_name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            bail!("branding.company_name must be 1 to 100 characters on one line, not '{}'", self.company_name);
        }
        let colour = self.accent_color.trim();
        let hex = colour.strip_prefix('#').unwrap_or("");
        if !(hex.len() == 6 || hex.len() == 3) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            bail!("branding.accent_color must be a colour such as \"#0b5cad\", not '{}'", self.accent_color);
        }
        if let Some(logo) = self.logo_url.as_deref().map(str::trim).filter(|l| !l.is_empty())
            && !logo.starts_with("https://")
            && !logo.starts_with("http://")
        {
            bail!("branding.logo_url must be an https:// (or http://) address of an image, not '{logo}'");
        }
        if let Some(support) = self.support_email.as_deref().map(str::trim).filter(|s| !s.is_empty())
            && porthole_domain::Email::parse(support).is_err()
        {
            bail!("branding.support_email must be an e-mail address, not '{support}'");
        }
        Ok(())
    }
}

impl PortalSettings {
    fn validate(&self) -> anyhow::Result<()> {
        if !(LOWEST_MIN_PASSWORD_LENGTH..=HIGHEST_MIN_PASSWORD_LENGTH).contains(&self.min_password_length) {
            bail!(
                "portal.min_password_length must be from {LOWEST_MIN_PASSWORD_LENGTH} to {HIGHEST_MIN_PASSWORD_LENGTH}, not {}",
                self.min_password_length
            );
        }
        if !(1..=LONGEST_SESSION_HOURS).contains(&self.session_lifetime_hours) {
            bail!(
                "portal.session_lifetime_hours must be from 1 to {LONGEST_SESSION_HOURS} (a year), not {}",
                self.session_lifetime_hours
            );
        }
        // A zero would lock everyone out for good rather than slow guessing.
        let limits = [
            ("sign_in_burst_per_account", self.sign_in_burst_per_account),
            ("sign_in_per_minute_per_account", self.sign_in_per_minute_per_account),
            ("sign_in_burst_per_address", self.sign_in_burst_per_address),
            ("sign_in_per_minute_per_address", self.sign_in_per_minute_per_address),
        ];
        if let Some((key, _)) = limits.iter().find(|(_, value)| *value == 0) {
            bail!("portal.{key} must be at least 1: with 0 nobody could ever sign in");
        }
        Ok(())
    }
}

impl ShareSettings {
    fn validate(&self) -> anyhow::Result<()> {
        if !(1..=LONGEST_SESSION_HOURS).contains(&self.link_session_hours) {
            bail!(
                "share.link_session_hours must be from 1 to {LONGEST_SESSION_HOURS} (a year), not {}",
                self.link_session_hours
            );
        }
        // 0 is allowed: such links end the moment the shipment is delivered.
        if self.delivery_grace_hours > LONGEST_DELIVERY_GRACE_HOURS {
            bail!(
                "share.delivery_grace_hours must be from 0 to {LONGEST_DELIVERY_GRACE_HOURS} (a year), not {}",
                self.delivery_grace_hours
            );
        }
        let limits = [
            ("code_burst_per_link", self.code_burst_per_link),
            ("code_per_minute_per_link", self.code_per_minute_per_link),
            ("code_burst_per_address", self.code_burst_per_address),
            ("code_per_minute_per_address", self.code_per_minute_per_address),
        ];
        if let Some((key, _)) = limits.iter().find(|(_, value)| *value == 0) {
            bail!("share.{key} must be at least 1: with 0 no recipient could ever verify");
        }
        Ok(())
    }
}

fn hours(hours: u64) -> Duration {
    Duration::from_secs(hours * 60 * 60)
}

/// One extraction error as `key: problem (where it was set)`, on one line.
fn describe(error: &figment::Error) -> String {
    let key = error.path.join(".");
    let problem = error.kind.to_string().replace("``", "`");
    let origin = error.metadata.as_ref().map(|md| match &md.source {
        Some(figment::Source::File(path)) => format!("in {}", path.display()),
        _ if md.name.contains("environment") => {
            let var: Vec<String> = error.path.iter().map(|k| k.to_ascii_uppercase()).collect();
            format!("set by {ENV_PREFIX}{}", var.join("__"))
        }
        _ => "in the built-in defaults".to_owned(),
    });
    let located = match origin {
        Some(origin) => format!("{problem} ({origin})"),
        None => problem,
    };
    let line = if key.is_empty() { located } else { format!("{key}: {located}") };
    line.replace('\n', " ")
}

/// A URL that may hold a password. `Debug` and `Display` hide the password;
/// only [`SecretUrl::expose`] gives the real text, for the one place that
/// connects with it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SecretUrl(String);

impl SecretUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", redact_url(&self.0))
    }
}

const REDACTED: &str = "***";

/// Replaces the password of `scheme://user:password@host/…` and any
/// `password=` query parameter with `***`.
fn redact_url(url: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((main, query)) => (main, Some(query)),
        None => (url, None),
    };
    let mut redacted = match main.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            match authority.rsplit_once('@') {
                Some((userinfo, host)) => {
                    let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
                    let hidden = if userinfo.contains(':') { format!("{user}:{REDACTED}") } else { user.to_owned() };
                    format!("{scheme}://{hidden}@{host}{path}")
                }
                None => main.to_owned(),
            }
        }
        None => main.to_owned(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}={REDACTED}"),
                _ => param.to_owned(),
            })
            .collect();
        redacted.push('?');
        redacted.push_str(&params.join("&"));
    }
    redacted
}

#[cfg(test)]
// figment's `Jail` closures must return `figment::Result`, whose error is large.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    fn load_in(jail: &Jail, file: Option<&str>) -> anyhow::Result<Settings> {
        Settings::load(file.map(|f| jail.directory().join(f)).as_deref())
    }

    #[test]
    fn the_builtin_defaults_are_the_documented_ones() {
        let settings = Settings::builtin().expect("built-in defaults are valid");
        assert_eq!(settings.database.url.expose(), "sqlite://porthole.db?mode=rwc");
        assert!(settings.database.auto_migrate);
        assert_eq!(settings.http.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.http.public_url, "http://127.0.0.1:8080");
        assert_eq!(settings.http.trusted_proxies, TrustedProxies::default(), "no proxy is trusted");
        assert_eq!(settings.mail.transport, MailTransport::File);
        assert_eq!(settings.mail.dir, PathBuf::from("mail"));
        assert_eq!(settings.mail.smtp_url, None);
        assert_eq!(settings.mail.from, "Porthole <no-reply@porthole.local>");
        assert_eq!(settings.log.filter, "info");
        assert_eq!(
            settings.portal,
            PortalSettings {
                min_password_length: 8,
                session_lifetime_hours: 12,
                sign_in_burst_per_account: 10,
                sign_in_per_minute_per_account: 2,
                sign_in_burst_per_address: 60,
                sign_in_per_minute_per_address: 30,
            }
        );
        assert_eq!(
            settings.share,
            ShareSettings {
                link_session_hours: 12,
                delivery_grace_hours: 168,
                code_burst_per_link: 20,
                code_per_minute_per_link: 4,
                code_burst_per_address: 20,
                code_per_minute_per_address: 4,
            }
        );
        assert_eq!(
            settings.notifications,
            NotificationsSettings {
                worker: true,
                poll_interval_ms: 1000,
                eta_threshold_hours: 24,
                coalesce_seconds: 30,
                report_hour: 7,
                report_timezone: "UTC".into(),
                report_weekday: "monday".into(),
                max_attempts: 8,
                first_retry_seconds: 30,
                max_retry_seconds: 3600,
            }
        );
        assert_eq!(settings.branding.company_name, "Porthole");
        assert_eq!(settings.branding.accent_color, "#0b5cad");
        assert_eq!((settings.branding.logo_url.as_deref(), settings.branding.support_email.as_deref()), (None, None));
    }

    #[test]
    fn notification_settings_reach_the_application() {
        Jail::expect_with(|jail| {
            jail.set_env("PORTHOLE__NOTIFICATIONS__ETA_THRESHOLD_HOURS", "12");
            jail.set_env("PORTHOLE__NOTIFICATIONS__REPORT_TIMEZONE", "Asia/Ho_Chi_Minh");
            jail.set_env("PORTHOLE__NOTIFICATIONS__REPORT_WEEKDAY", "Friday");
            jail.set_env("PORTHOLE__BRANDING__COMPANY_NAME", "Acme Logistics");
            let app = load_in(jail, None).expect("valid").app_settings();
            assert_eq!(app.notifications.policy.date_shift_threshold, chrono::Duration::hours(12));
            assert_eq!(app.notifications.report_timezone, chrono_tz::Asia::Ho_Chi_Minh);
            assert_eq!(app.notifications.report_weekday, chrono::Weekday::Fri);
            assert_eq!(app.branding.company_name, "Acme Logistics");
            Ok(())
        });
    }

    #[test]
    fn the_builtin_portal_settings_are_the_applications_defaults() {
        let settings = Settings::builtin().expect("built-in defaults are valid");
        let served = AppSettings { link_view_batch: crate::LINK_VIEW_BATCH, ..AppSettings::default() };
        assert_eq!(settings.app_settings(), served);
    }

    #[test]
    fn portal_settings_reach_the_application() {
        Jail::expect_with(|jail| {
            jail.set_env("PORTHOLE__HTTP__PUBLIC_URL", "https://track.example.com/");
            jail.set_env("PORTHOLE__PORTAL__MIN_PASSWORD_LENGTH", "6");
            jail.set_env("PORTHOLE__PORTAL__SESSION_LIFETIME_HOURS", "2");
            jail.set_env("PORTHOLE__PORTAL__SIGN_IN_BURST_PER_ADDRESS", "200");
            let app = load_in(jail, None).expect("valid settings").app_settings();
            assert_eq!(app.public_url, "https://track.example.com");
            assert_eq!(app.min_password_length, 6);
            assert_eq!(app.session_lifetime, Duration::from_secs(2 * 60 * 60));
            assert_eq!(app.sign_in_limits.per_address_burst, 200);
            assert_eq!(app.sign_in_limits.per_account_burst, 10, "untouched keys keep their defaults");
            Ok(())
        });
    }

    #[test]
    fn share_settings_reach_the_application() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "local.toml",
                "[share]\nlink_session_hours = 3\ndelivery_grace_hours = 0\ncode_per_minute_per_address = 9\n",
            )?;
            jail.set_env("PORTHOLE__SHARE__CODE_BURST_PER_LINK", "7");
            let app = load_in(jail, Some("local.toml")).expect("valid settings").app_settings();
            assert_eq!(app.link_session_lifetime, Duration::from_secs(3 * 60 * 60));
            assert_eq!(app.delivery_grace, Duration::ZERO, "a grace of 0 ends links at delivery");
            assert_eq!(
                app.code_limits,
                CodeLimits {
                    per_link_burst: 7,
                    per_link_per_minute: 4,
                    per_address_burst: 20,
                    per_address_per_minute: 9
                }
            );
            Ok(())
        });
    }

    #[test]
    fn a_file_overrides_defaults_and_the_environment_overrides_the_file() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "local.toml",
                "[http]\nbind = \"0.0.0.0:9000\"\npublic_url = \"https://track.example.com/\"\n[database]\nauto_migrate = false\n",
            )?;
            jail.set_env("PORTHOLE__HTTP__BIND", "127.0.0.1:9100");
            jail.set_env("PORTHOLE__DATABASE__URL", "postgres://porthole:s3cret@db:5432/porthole");
            let settings = load_in(jail, Some("local.toml")).expect("valid layered settings");
            assert_eq!(settings.http.bind.to_string(), "127.0.0.1:9100");
            assert_eq!(settings.http.public_url, "https://track.example.com", "trailing slash dropped");
            assert!(!settings.database.auto_migrate);
            assert_eq!(settings.database.url.expose(), "postgres://porthole:s3cret@db:5432/porthole");
            assert_eq!(settings.mail.dir, PathBuf::from("mail"), "untouched keys keep their defaults");
            Ok(())
        });
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks_from_a_file_or_the_environment() {
        Jail::expect_with(|jail| {
            jail.create_file("local.toml", "[http]\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n")?;
            let settings = load_in(jail, Some("local.toml")).expect("valid settings");
            let expected = TrustedProxies::parse(&["10.0.0.0/8", "::1"]).expect("valid proxies");
            assert_eq!(settings.http.trusted_proxies, expected);

            jail.set_env("PORTHOLE__HTTP__TRUSTED_PROXIES", "[192.168.0.0/16, 10.1.2.3]");
            let settings = load_in(jail, None).expect("valid settings");
            let expected = TrustedProxies::parse(&["192.168.0.0/16", "10.1.2.3"]).expect("valid proxies");
            assert_eq!(settings.http.trusted_proxies, expected);
            Ok(())
        });
        for (value, entry) in [("[proxy.internal]", "proxy.internal"), ("[10.0.0.0/8, 10.0.0.0/33]", "10.0.0.0/33")] {
            Jail::expect_with(|jail| {
                jail.set_env("PORTHOLE__HTTP__TRUSTED_PROXIES", value);
                let message = format!("{:#}", load_in(jail, None).expect_err("refused"));
                assert!(message.contains("http.trusted_proxies") && message.contains(entry), "{message}");
                assert!(!message.contains('\n'), "one line: {message}");
                Ok(())
            });
        }
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        Jail::expect_with(|jail| {
            jail.set_env("PORTHOLE__DATABASE__URL", "postgres://porthole:db-pass@db/porthole?sslmode=require");
            jail.set_env("PORTHOLE__MAIL__TRANSPORT", "smtp");
            jail.set_env("PORTHOLE__MAIL__SMTP_URL", "smtps://mailer:smtp-pass@smtp.example.com:465");
            let settings = load_in(jail, None).expect("valid settings");
            let debug = format!("{settings:?}");
            assert!(!debug.contains("db-pass"), "{debug}");
            assert!(!debug.contains("smtp-pass"), "{debug}");
            assert!(debug.contains("postgres://porthole:***@db/porthole?sslmode=require"), "{debug}");
            assert!(debug.contains("smtps://mailer:***@smtp.example.com:465"), "{debug}");
            Ok(())
        });
    }

    #[test]
    fn redaction_handles_urls_without_passwords_and_password_parameters() {
        assert_eq!(redact_url("sqlite://porthole.db?mode=rwc"), "sqlite://porthole.db?mode=rwc");
        assert_eq!(redact_url("postgres://postgres@127.0.0.1:5432/test"), "postgres://postgres@127.0.0.1:5432/test");
        assert_eq!(redact_url("postgres://u:p@w:rd@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("postgres://h/db?user=u&password=p&x=1"), "postgres://h/db?user=u&password=***&x=1");
    }

    #[test]
    fn invalid_values_are_refused_naming_their_key() {
        let cases = [
            ("PORTHOLE__HTTP__BIND", "localhost-8080", "http.bind"),
            ("PORTHOLE__HTTP__PUBLIC_URL", "track.example.com", "http.public_url"),
            ("PORTHOLE__DATABASE__URL", "mysql://root:hunter2@db/porthole", "database.url"),
            ("PORTHOLE__DATABASE__AUTO_MIGRATE", "sometimes", "database.auto_migrate"),
            ("PORTHOLE__MAIL__TRANSPORT", "smtp", "mail.smtp_url"),
            ("PORTHOLE__MAIL__SMTP_URL", "ftp://mailer:hunter2@smtp.example.com", "mail.smtp_url"),
            ("PORTHOLE__MAIL__SMTP_URL", "smtp://mailer:hunter2@relay.internal?tls=none", "mail.smtp_url"),
            ("PORTHOLE__MAIL__TRANSPORT", "pigeon", "mail.transport"),
            ("PORTHOLE__MAIL__FROM", "nobody", "mail.from"),
            ("PORTHOLE__LOG__FILTER", "info,[", "log.filter"),
            ("PORTHOLE__PORTAL__MIN_PASSWORD_LENGTH", "5", "portal.min_password_length"),
            ("PORTHOLE__PORTAL__MIN_PASSWORD_LENGTH", "eight", "portal.min_password_length"),
            ("PORTHOLE__PORTAL__SESSION_LIFETIME_HOURS", "0", "portal.session_lifetime_hours"),
            ("PORTHOLE__PORTAL__SIGN_IN_BURST_PER_ACCOUNT", "0", "portal.sign_in_burst_per_account"),
            ("PORTHOLE__PORTAL__SIGN_IN_PER_MINUTE_PER_ADDRESS", "0", "portal.sign_in_per_minute_per_address"),
            ("PORTHOLE__SHARE__LINK_SESSION_HOURS", "0", "share.link_session_hours"),
            ("PORTHOLE__SHARE__LINK_SESSION_HOURS", "-1", "share.link_session_hours"),
            ("PORTHOLE__SHARE__DELIVERY_GRACE_HOURS", "9000", "share.delivery_grace_hours"),
            ("PORTHOLE__SHARE__DELIVERY_GRACE_HOURS", "a week", "share.delivery_grace_hours"),
            ("PORTHOLE__SHARE__CODE_BURST_PER_LINK", "0", "share.code_burst_per_link"),
            ("PORTHOLE__SHARE__CODE_PER_MINUTE_PER_LINK", "0", "share.code_per_minute_per_link"),
            ("PORTHOLE__SHARE__CODE_BURST_PER_ADDRESS", "0", "share.code_burst_per_address"),
            ("PORTHOLE__SHARE__CODE_PER_MINUTE_PER_ADDRESS", "0", "share.code_per_minute_per_address"),
            ("PORTHOLE__SHARE__CODE_PER_MINUTE_PER_LINK", "4.5", "share.code_per_minute_per_link"),
            ("PORTHOLE__HTTP__BINDD", "127.0.0.1:1", "http.bindd"),
            ("PORTHOLE__NOTIFICATIONS__ETA_THRESHOLD_HOURS", "0", "notifications.eta_threshold_hours"),
            ("PORTHOLE__NOTIFICATIONS__COALESCE_SECONDS", "-5", "notifications.coalesce_seconds"),
            ("PORTHOLE__NOTIFICATIONS__REPORT_HOUR", "24", "notifications.report_hour"),
            ("PORTHOLE__NOTIFICATIONS__REPORT_TIMEZONE", "Mars/Olympus", "notifications.report_timezone"),
            ("PORTHOLE__NOTIFICATIONS__REPORT_WEEKDAY", "someday", "notifications.report_weekday"),
            ("PORTHOLE__NOTIFICATIONS__MAX_ATTEMPTS", "0", "notifications.max_attempts"),
            ("PORTHOLE__NOTIFICATIONS__FIRST_RETRY_SECONDS", "7200", "notifications.first_retry_seconds"),
            ("PORTHOLE__NOTIFICATIONS__POLL_INTERVAL_MS", "1", "notifications.poll_interval_ms"),
            ("PORTHOLE__NOTIFICATIONS__MAX_RETRY_SECONDS", "99999999999", "notifications.max_retry_seconds"),
            ("PORTHOLE__BRANDING__ACCENT_COLOR", "red;background:url(x)", "branding.accent_color"),
            ("PORTHOLE__BRANDING__COMPANY_NAME", " ", "branding.company_name"),
            ("PORTHOLE__BRANDING__LOGO_URL", "javascript:alert(1)", "branding.logo_url"),
            ("PORTHOLE__BRANDING__SUPPORT_EMAIL", "support", "branding.support_email"),
        ];
        for (var, value, key) in cases {
            Jail::expect_with(|jail| {
                jail.set_env(var, value);
                let error = load_in(jail, None).expect_err("invalid value refused");
                let message = format!("{error:#}");
                assert!(message.to_ascii_lowercase().contains(&key.to_ascii_lowercase()), "{var}={value}: {message}");
                assert!(!message.contains("hunter2"), "{message}");
                assert!(!message.contains('\n'), "one line: {message}");
                Ok(())
            });
        }
    }

    #[test]
    fn the_smtp_transport_needs_a_usable_smtp_url() {
        let cases = [
            (None, "must be set when mail.transport is \"smtp\""),
            (Some("smtp://mailer:hunter2@/"), "has no host"),
            (Some("smtp://mailer:hun/ter2@smtp.example.com:587"), "is not a URL"),
            (Some("smtp://mailer:hunter2@smtp.example.com:587?tls=insecure"), "tls=none"),
        ];
        for (url, reason) in cases {
            Jail::expect_with(|jail| {
                jail.set_env("PORTHOLE__MAIL__TRANSPORT", "smtp");
                if let Some(url) = url {
                    jail.set_env("PORTHOLE__MAIL__SMTP_URL", url);
                }
                let message = format!("{:#}", load_in(jail, None).expect_err("refused"));
                assert!(message.contains("mail.smtp_url") && message.contains(reason), "{url:?}: {message}");
                assert!(!message.contains("hunter2") && !message.contains("ter2"), "{message}");
                Ok(())
            });
        }

        Jail::expect_with(|jail| {
            jail.set_env("PORTHOLE__MAIL__TRANSPORT", "smtp");
            jail.set_env("PORTHOLE__MAIL__SMTP_URL", "smtp://relay.saigonfreight.internal?tls=none");
            let settings = load_in(jail, None).expect("a plain relay without a password is valid");
            let server = settings.mail.smtp_server().expect("the relay");
            assert_eq!(server.to_string(), "smtp://relay.saigonfreight.internal:25?tls=none");
            Ok(())
        });
    }

    #[test]
    fn the_production_example_is_valid() {
        let example = include_str!("../../../config/production.example.toml");
        let layered = Figment::from(Toml::string(DEFAULT_TOML)).merge(Toml::string(example));
        let settings = Settings::from_figment(layered).expect("the example is a valid configuration");
        assert_eq!(settings.mail.transport, MailTransport::Smtp);
        let server = settings.mail.smtp_server().expect("the example's SMTP server");
        assert_eq!(server.to_string(), "smtp://porthole:***@smtp.example-forwarder.com:587");
        assert_eq!(settings.portal.min_password_length, 10);
        assert_eq!(settings.share.delivery_grace_hours, 336);
    }

    #[test]
    fn a_missing_config_file_is_an_error_naming_it() {
        Jail::expect_with(|jail| {
            let error = load_in(jail, Some("absent.toml")).expect_err("missing file refused");
            assert!(error.to_string().contains("absent.toml"), "{error}");
            Ok(())
        });
    }
}
