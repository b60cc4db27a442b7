//! The file drop: one `.eml` file per mail.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::{AsyncFileTransport, AsyncTransport, Tokio1Executor};
use porthole_app::ports::{Mail, MailError, Mailer};

use crate::{MailSetupError, mailbox, message};

/// Writes each mail as `<id>.eml` into a folder.
#[derive(Debug, Clone)]
pub struct FileMailer {
    from: Mailbox,
    dir: PathBuf,
    transport: AsyncFileTransport<Tokio1Executor>,
}

impl FileMailer {
    /// Creates the folder if missing.
    pub fn new(dir: impl AsRef<Path>, from: &str) -> Result<Self, MailSetupError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|source| MailSetupError::Folder { path: dir.clone(), source })?;
        let from = mailbox(from)?;
        Ok(Self { from, transport: AsyncFileTransport::new(&dir), dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let message = message(&self.from, mail)?;
        let id = self.transport.send(message).await.map_err(|e| MailError(format!("cannot write the mail: {e}")))?;
        tracing::info!(file = %self.dir.join(format!("{id}.eml")).display(), subject = %mail.subject, "mail written");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use porthole_domain::Email;

    use super::*;

    #[tokio::test]
    async fn a_mail_becomes_one_eml_file_with_both_parts() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mailer = FileMailer::new(dir.path().join("mail"), "Porthole <no-reply@porthole.test>").expect("mailer");
        let mail = Mail {
            to: vec![Email::parse("anh.nguyen@saigontech.example").expect("email")],
            subject: "Set your password".into(),
            text: "Hello Anh".into(),
            html: "<p>Hello Anh</p>".into(),
        };
        mailer.send(&mail).await.expect("sent");
        let files: Vec<_> = std::fs::read_dir(mailer.dir()).expect("folder").collect();
        assert_eq!(files.len(), 1);
        let path = files[0].as_ref().expect("entry").path();
        assert_eq!(path.extension().and_then(|e| e.to_str()), Some("eml"));
        let raw = std::fs::read_to_string(path).expect("readable");
        assert!(raw.contains("To: anh.nguyen@saigontech.example"), "{raw}");
        assert!(raw.contains("Subject: Set your password"), "{raw}");
        assert!(raw.contains("text/plain") && raw.contains("text/html"), "{raw}");
    }

    #[test]
    fn a_bad_sender_is_refused_at_setup() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(matches!(FileMailer::new(dir.path(), "not a mailbox"), Err(MailSetupError::From(_))));
    }
}
