//! Mailer adapters for Porthole's [`Mailer`](porthole_app::ports::Mailer)
//! port.
//!
//! [`SmtpMailer`] hands every mail to an SMTP server: the forwarder's own
//! relay or a mail service. [`FileMailer`] writes every mail as an RFC 5322
//! `.eml` file into a folder instead: the default for local use and demos,
//! where no SMTP server is at hand. Both send the same message, built here.

mod file;
mod smtp;
/// An SMTP server for tests, on a loopback port (feature `test-sink`).
#[cfg(any(test, feature = "test-sink"))]
pub mod test_sink;

use std::path::PathBuf;

use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use porthole_app::ports::{Mail, MailError};

pub use crate::file::FileMailer;
pub use crate::smtp::{SmtpMailer, SmtpUrl};

/// Why a mailer could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    #[error("mail.from '{0}' is not a mailbox such as 'Porthole <no-reply@example.com>'")]
    From(String),
    #[error("cannot create the mail folder {path}: {source}")]
    Folder { path: PathBuf, source: std::io::Error },
    /// The text never repeats the URL, which may hold a password.
    #[error("mail.smtp_url {0}")]
    SmtpUrl(String),
    #[error("cannot set up TLS for the SMTP server {host}: {reason}")]
    Tls { host: String, reason: String },
}

fn mailbox(from: &str) -> Result<Mailbox, MailSetupError> {
    from.parse().map_err(|_| MailSetupError::From(from.to_owned()))
}

/// Builds the RFC 5322 message every adapter sends: text and HTML
/// alternatives, from the configured sender.
fn message(from: &Mailbox, mail: &Mail) -> Result<Message, MailError> {
    let mut builder = Message::builder().from(from.clone()).subject(mail.subject.clone());
    for to in &mail.to {
        let mailbox: Mailbox = to.as_str().parse().map_err(|e| MailError(format!("recipient {}: {e}", to.as_str())))?;
        builder = builder.to(mailbox);
    }
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(mail.text.clone()))
                .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(mail.html.clone())),
        )
        .map_err(|e| MailError(format!("cannot build the message: {e}")))
}
