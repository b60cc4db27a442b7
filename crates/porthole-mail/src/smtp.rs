//! Sending through an SMTP server named by one URL, `mail.smtp_url`:
//!
//! - `smtp://USER:PASSWORD@HOST` (port 587): submission with STARTTLS, which
//!   is *required*. A server that does not offer it, or someone in between
//!   who strips the offer, gets neither the password nor the mail.
//! - `smtps://USER:PASSWORD@HOST` (port 465): TLS from the first byte.
//! - `smtp://HOST?tls=none` (port 25): plain text, for a relay on the same
//!   machine or the office network that takes mail from Porthole without
//!   signing in. A password is refused in this form: it would cross the
//!   network readable.
//!
//! Certificates are always checked against the public certificate
//! authorities compiled into the binary. There is deliberately no switch to
//! accept any certificate: it would hand the relay password to whoever sits
//! in between, which is what TLS is there to prevent.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use percent_encoding::percent_decode_str;
use porthole_app::ports::{Mail, MailError, Mailer};
use url::{Host, Url};

use crate::{MailSetupError, mailbox, message};

/// How long to wait for a TCP connection to one of the server's addresses.
/// lettre then tries the next address, so one unreachable address (often
/// IPv6) does not cost the whole mail.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one mail may take, from connecting to the server's last answer.
/// lettre bounds only the connect: a server that accepts and then says
/// nothing would otherwise hold the sender for good.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(60);

/// How the connection to the server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    StartTls,
    Tls,
    Plain,
}

impl Security {
    fn default_port(self) -> u16 {
        match self {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::Plain => 25,
        }
    }
}

/// `mail.smtp_url`, parsed: where the SMTP server is, how the connection is
/// protected and how Porthole signs in. `Display` and `Debug` show the
/// password as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    security: Security,
    host: String,
    port: u16,
    login: Option<Login>,
}

#[derive(Clone, PartialEq, Eq)]
struct Login {
    user: String,
    password: String,
}

impl SmtpUrl {
    /// Reads one of the forms of the module documentation. User and password
    /// are percent-decoded, so any character can be written (`#` as `%23`,
    /// `/` as `%2F`, `@` as `%40`). Errors never repeat the password.
    pub fn parse(text: &str) -> Result<Self, MailSetupError> {
        let invalid = |reason: String| MailSetupError::SmtpUrl(reason);
        let text = text.trim();
        if text.is_empty() {
            return Err(invalid("is empty; it looks like smtp://USER:PASSWORD@HOST:587".to_owned()));
        }
        let url = Url::parse(text).map_err(|error| {
            let reason = match error {
                url::ParseError::EmptyHost => NO_HOST.to_owned(),
                error => format!(
                    "is not a URL ({error}); characters such as '#', '/' or '?' in the password must be \
                     percent-encoded, '#' as %23"
                ),
            };
            invalid(reason)
        })?;
        let mut security = match url.scheme() {
            "smtp" => Security::StartTls,
            "smtps" => Security::Tls,
            // Without "://" what parsed as the scheme is the start of a
            // host or user name, which would only confuse if repeated.
            _ if !text.contains("://") => return Err(invalid(SCHEMES.to_owned())),
            other => return Err(invalid(format!("{SCHEMES}, not '{other}://'"))),
        };
        let host = match url.host() {
            Some(Host::Domain(name)) if !name.is_empty() => name.to_owned(),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err(invalid(NO_HOST.to_owned())),
        };
        if !matches!(url.path(), "" | "/") {
            return Err(invalid(format!("must end after the port, not go on with the path '{}'", url.path())));
        }
        if url.fragment().is_some() {
            return Err(invalid("holds a '#': in a password write it as %23".to_owned()));
        }
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("tls", "none") if url.scheme() == "smtp" => security = Security::Plain,
                ("tls", "none") => {
                    return Err(invalid(
                        "cannot be smtps:// with tls=none; a plain-text relay is smtp://HOST:25?tls=none".to_owned(),
                    ));
                }
                ("tls", other) => {
                    return Err(invalid(format!(
                        "knows only tls=none (plain text, for a relay nearby), not tls={other}"
                    )));
                }
                (other, _) => {
                    return Err(invalid(format!("has an unknown parameter '{other}'; only tls=none is known")));
                }
            }
        }

        let user = decoded(url.username(), "user")?;
        let password = url.password().map(|password| decoded(password, "password")).transpose()?;
        let login = match (user, password) {
            (user, None) if user.is_empty() => None,
            (user, Some(password)) if !user.is_empty() && !password.is_empty() => {
                Some(Login { user: user.into_owned(), password: password.into_owned() })
            }
            (user, _) if !user.is_empty() => return Err(invalid(format!("names the user '{user}' but no password"))),
            _ => return Err(invalid("has a password but no user".to_owned())),
        };
        if security == Security::Plain && login.is_some() {
            return Err(invalid(
                "would send the password in plain text with tls=none; leave out USER:PASSWORD@ for a relay \
                 that needs no sign-in, or use smtp:// (STARTTLS) or smtps://"
                    .to_owned(),
            ));
        }

        let port = url.port().unwrap_or(security.default_port());
        Ok(Self { security, host, port, login })
    }

    fn tls_parameters(&self) -> Result<TlsParameters, MailSetupError> {
        TlsParameters::new(self.host.clone())
            .map_err(|error| MailSetupError::Tls { host: self.host.clone(), reason: error.to_string() })
    }
}

const SCHEMES: &str = "must start with smtp:// (STARTTLS) or smtps:// (TLS)";
const NO_HOST: &str = "has no host, as in smtp://USER:PASSWORD@HOST:587";

fn decoded<'a>(text: &'a str, what: &str) -> Result<Cow<'a, str>, MailSetupError> {
    percent_decode_str(text)
        .decode_utf8()
        .map_err(|_| MailSetupError::SmtpUrl(format!("has a {what} that is not UTF-8 once percent-decoded")))
}

impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.security == Security::Tls { "smtps" } else { "smtp" };
        write!(f, "{scheme}://")?;
        if let Some(login) = &self.login {
            write!(f, "{}:***@", login.user)?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "{}:{}", self.host, self.port)?;
        }
        if self.security == Security::Plain {
            f.write_str("?tls=none")?;
        }
        Ok(())
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmtpUrl({:?})", self.to_string())
    }
}

/// Hands each mail to an SMTP server over a connection of its own.
#[derive(Clone)]
pub struct SmtpMailer {
    url: SmtpUrl,
    from: Mailbox,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    exchange_timeout: Duration,
}

impl SmtpMailer {
    /// Connects to nothing yet: the server is first reached by the first
    /// mail, so a relay that is down at startup delays mail, not Porthole.
    pub fn new(url: SmtpUrl, from: &str) -> Result<Self, MailSetupError> {
        Self::with_timeouts(url, from, CONNECT_TIMEOUT, EXCHANGE_TIMEOUT)
    }

    fn with_timeouts(
        url: SmtpUrl,
        from: &str,
        connect_timeout: Duration,
        exchange_timeout: Duration,
    ) -> Result<Self, MailSetupError> {
        let from = mailbox(from)?;
        let tls = match url.security {
            Security::StartTls => Tls::Required(url.tls_parameters()?),
            Security::Tls => Tls::Wrapper(url.tls_parameters()?),
            Security::Plain => Tls::None,
        };
        // "Dangerous" only in that lettre leaves TLS to the caller, set here
        // from the URL.
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&url.host)
            .port(url.port)
            .tls(tls)
            .timeout(Some(connect_timeout));
        if let Some(login) = &url.login {
            builder = builder.credentials(Credentials::new(login.user.clone(), login.password.clone()));
        }
        Ok(Self { transport: builder.build(), url, from, exchange_timeout })
    }
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("url", &self.url)
            .field("from", &self.from.to_string())
            .field("exchange_timeout", &self.exchange_timeout)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let message = message(&self.from, mail)?;
        match tokio::time::timeout(self.exchange_timeout, self.transport.send(message)).await {
            Ok(Ok(_)) => {
                tracing::info!(server = %self.url, subject = %mail.subject, recipients = mail.to.len(), "mail sent");
                Ok(())
            }
            Ok(Err(error)) => Err(MailError(format!("SMTP server {}: {error}", self.url))),
            Err(_) => {
                Err(MailError(format!("SMTP server {} did not finish within {:?}", self.url, self.exchange_timeout)))
            }
        }
    }
}

#[cfg(test)]
mod tests;
