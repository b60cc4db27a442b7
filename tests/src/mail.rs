//! The mail a test server sent: every mail is an RFC 5322 `.eml` file in
//! the test's own `mail.dir`, read back here with a real MIME parser
//! (transfer encodings and multipart alternatives decoded).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use mailparse::{MailAddr, MailHeaderMap, ParsedMail};
use reqwest::Url;

use crate::TestApp;
use crate::html::unescape;

/// How long a test waits for a mail it caused before it gives up.
const MAIL_DEADLINE: Duration = Duration::from_secs(20);
const MAIL_POLL: Duration = Duration::from_millis(50);

/// One mail, decoded.
#[derive(Debug, Clone)]
pub struct SentMail {
    pub file: PathBuf,
    /// Recipient addresses, lower-cased.
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    modified: SystemTime,
}

impl SentMail {
    /// Parses one `.eml` file's bytes.
    pub fn parse(file: &Path, raw: &[u8]) -> Result<SentMail, String> {
        let parsed = mailparse::parse_mail(raw).map_err(|e| format!("{}: {e}", file.display()))?;
        let subject =
            parsed.headers.get_first_value("Subject").ok_or_else(|| format!("{}: no Subject", file.display()))?;
        let to_header = parsed.headers.get_first_header("To").ok_or_else(|| format!("{}: no To", file.display()))?;
        let addresses = mailparse::addrparse_header(to_header).map_err(|e| format!("{}: To: {e}", file.display()))?;
        let mut to = Vec::new();
        for address in addresses.iter() {
            match address {
                MailAddr::Single(single) => to.push(single.addr.to_lowercase()),
                MailAddr::Group(group) => to.extend(group.addrs.iter().map(|single| single.addr.to_lowercase())),
            }
        }
        let mut text = String::new();
        let mut html = String::new();
        collect_bodies(&parsed, &mut text, &mut html).map_err(|e| format!("{}: {e}", file.display()))?;
        if text.is_empty() && html.is_empty() {
            return Err(format!("{}: no text or HTML body (yet)", file.display()));
        }
        let modified = std::fs::metadata(file).and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH);
        Ok(SentMail { file: file.to_owned(), to, subject, text, html, modified })
    }

    pub fn is_to(&self, address: &str) -> bool {
        self.to.iter().any(|to| to.eq_ignore_ascii_case(address))
    }

    /// Every http(s) link of the mail, text part first, without repeats.
    pub fn links(&self) -> Vec<Url> {
        let mut found: Vec<Url> = Vec::new();
        for raw in links_in(&self.text).into_iter().chain(links_in(&unescape(&self.html))) {
            if let Ok(url) = Url::parse(&raw)
                && !found.contains(&url)
            {
                found.push(url);
            }
        }
        found
    }

    /// The first link to `path` (such as `/portal/set-password`).
    pub fn link_to(&self, path: &str) -> Option<Url> {
        self.links().into_iter().find(|url| url.path() == path)
    }

    /// The share-link verification code: the first word of the text part
    /// that is six digits and nothing else (a reference such as
    /// `SHP/202505/00080` is not one).
    pub fn six_digit_code(&self) -> Option<String> {
        self.text
            .split_whitespace()
            .map(|word| word.trim_matches(|c: char| matches!(c, '.' | ',' | ':' | ';' | '(' | ')')))
            .find(|word| word.len() == 6 && word.chars().all(|c| c.is_ascii_digit()))
            .map(str::to_owned)
    }

    /// The `token` query parameter of the first link to `path`.
    pub fn token_for(&self, path: &str) -> Option<String> {
        let url = self.link_to(path)?;
        url.query_pairs().find(|(key, _)| key == "token").map(|(_, value)| value.into_owned())
    }
}

fn collect_bodies(part: &ParsedMail<'_>, text: &mut String, html: &mut String) -> Result<(), String> {
    if part.subparts.is_empty() {
        let body = part.get_body().map_err(|e| e.to_string())?;
        match part.ctype.mimetype.as_str() {
            "text/plain" => text.push_str(&body),
            "text/html" => html.push_str(&body),
            _ => {}
        }
        return Ok(());
    }
    for sub in &part.subparts {
        collect_bodies(sub, text, html)?;
    }
    Ok(())
}

/// The http(s) URLs written in `text`.
fn links_in(text: &str) -> Vec<String> {
    let mut links = Vec::new();
    let mut rest = text;
    while let Some(start) = ["https://", "http://"].iter().filter_map(|scheme| rest.find(scheme)).min() {
        let candidate = &rest[start..];
        let end = candidate
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`'))
            .unwrap_or(candidate.len());
        let link = candidate[..end].trim_end_matches(['.', ',', ';', ':', ')', ']']);
        links.push(link.to_owned());
        rest = &candidate[end..];
    }
    links
}

/// Every readable mail in `dir`, oldest first. Files still being written
/// (not parseable yet) are left out.
pub fn read_mail_dir(dir: &Path) -> Vec<SentMail> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut mails: Vec<SentMail> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .filter_map(|path| std::fs::read(&path).ok().and_then(|raw| SentMail::parse(&path, &raw).ok()))
        .collect();
    mails.sort_by(|a, b| a.modified.cmp(&b.modified).then_with(|| a.file.cmp(&b.file)));
    mails
}

/// Mail that arrives after the watch began.
#[derive(Debug)]
pub struct MailWatch {
    dir: PathBuf,
    seen: HashSet<PathBuf>,
}

impl MailWatch {
    /// Waits for the next mail to `address` that this watch has not
    /// returned and that was not there when it began. Panics after a
    /// generous deadline: the mail was never sent.
    pub async fn next_to(&mut self, address: &str) -> SentMail {
        let deadline = Instant::now() + MAIL_DEADLINE;
        loop {
            let fresh = read_mail_dir(&self.dir).into_iter().find(|m| !self.seen.contains(&m.file) && m.is_to(address));
            if let Some(mail) = fresh {
                self.seen.insert(mail.file.clone());
                return mail;
            }
            if Instant::now() > deadline {
                panic!("no new mail to {address} in {}", self.dir.display());
            }
            tokio::time::sleep(MAIL_POLL).await;
        }
    }

    /// The mails to `address` that arrived since the watch began and that
    /// it has not returned yet, without waiting.
    pub fn new_to(&self, address: &str) -> Vec<SentMail> {
        read_mail_dir(&self.dir).into_iter().filter(|m| !self.seen.contains(&m.file) && m.is_to(address)).collect()
    }
}

impl TestApp {
    /// Every mail the server has written so far, oldest first.
    pub fn sent_mails(&self) -> Vec<SentMail> {
        read_mail_dir(&self.mail_dir)
    }

    /// Every mail to `address` so far, oldest first.
    pub fn mails_to(&self, address: &str) -> Vec<SentMail> {
        self.sent_mails().into_iter().filter(|mail| mail.is_to(address)).collect()
    }

    /// Starts watching for mail sent from now on.
    pub fn watch_mail(&self) -> MailWatch {
        let seen = match std::fs::read_dir(&self.mail_dir) {
            Ok(entries) => entries.filter_map(Result::ok).map(|entry| entry.path()).collect(),
            Err(_) => HashSet::new(),
        };
        MailWatch { dir: self.mail_dir.clone(), seen }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multipart_mail_is_decoded_and_its_links_and_tokens_found() {
        let raw = "From: Porthole <no-reply@porthole.test>\r\n\
                   To: \"Anh Nguyen\" <Anh.Nguyen@Saigontech.example>\r\n\
                   Subject: =?utf-8?q?Set_your_password?=\r\n\
                   MIME-Version: 1.0\r\n\
                   Content-Type: multipart/alternative; boundary=\"b1\"\r\n\
                   \r\n\
                   --b1\r\n\
                   Content-Type: text/plain; charset=utf-8\r\n\
                   Content-Transfer-Encoding: quoted-printable\r\n\
                   \r\n\
                   Choose a password: http://127.0.0.1:8080/portal/set-password?token=3Dpt_abc=\r\n\
                   def.\r\n\
                   --b1\r\n\
                   Content-Type: text/html; charset=utf-8\r\n\
                   \r\n\
                   <a href=\"http://127.0.0.1:8080/portal/login-link?token=pt_x&amp;next=1\">Sign in</a>\r\n\
                   --b1--\r\n";
        let mail = SentMail::parse(Path::new("m.eml"), raw.as_bytes()).expect("parses");
        assert_eq!(mail.to, vec!["anh.nguyen@saigontech.example".to_owned()]);
        assert!(mail.is_to("ANH.NGUYEN@saigontech.example"));
        assert_eq!(mail.subject, "Set your password");
        assert_eq!(mail.token_for("/portal/set-password").as_deref(), Some("pt_abcdef"));
        assert_eq!(mail.token_for("/portal/login-link").as_deref(), Some("pt_x"));
        assert_eq!(mail.links().len(), 2);
        assert!(mail.link_to("/portal/shipments").is_none());
    }

    #[test]
    fn the_code_is_the_six_digit_word_not_part_of_a_reference() {
        let raw = "From: a@b.example\r\nTo: c@d.example\r\nSubject: Your code to view shipment SHP/202505/00080\r\n\
                   Content-Type: text/plain; charset=utf-8\r\n\r\n\
                   Your code to view shipment SHP/202505/00080:\r\n\r\n    042917\r\n\r\nIt works for 10 minutes.\r\n";
        let mail = SentMail::parse(Path::new("m.eml"), raw.as_bytes()).expect("parses");
        assert_eq!(mail.six_digit_code().as_deref(), Some("042917"));
    }

    #[test]
    fn a_file_still_being_written_is_not_a_mail_yet() {
        let partial = "From: a@b.example\r\nTo: c@d.example\r\nSubject: Hi\r\n";
        assert!(SentMail::parse(Path::new("m.eml"), partial.as_bytes()).is_err());
    }
}
