use std::time::{Duration, Instant};

use mailparse::{MailAddr, MailHeaderMap, ParsedMail};
use porthole_domain::Email;

use super::*;
use crate::test_sink::{Sink, closed_port, silent_server};

const SENDER: &str = "Saigon Freight Tracking <tracking@saigonfreight.example>";

/// Failures the tests provoke must come back well within this.
const QUICKLY: Duration = Duration::from_secs(5);

fn url(text: &str) -> SmtpUrl {
    SmtpUrl::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// A mailer whose time limits fit a test: a hang shows as a quick failure.
fn mailer(url: SmtpUrl) -> SmtpMailer {
    SmtpMailer::with_timeouts(url, SENDER, Duration::from_secs(2), Duration::from_secs(3)).expect("mailer")
}

fn mail(to: &[&str]) -> Mail {
    Mail {
        to: to.iter().map(|address| Email::parse(address).expect("email")).collect(),
        subject: "Lô hàng SHP/202505/00080 đã rời cảng Cát Lái".into(),
        text: "Your shipment SHP/202505/00080 left Cat Lai on 12 May.\n.\nTrack it at https://track.example/portal"
            .into(),
        html: "<p>Your shipment <b>SHP/202505/00080</b> left Cat Lai on 12 May.</p>".into(),
    }
}

fn addresses(parsed: &ParsedMail<'_>, header: &str) -> Vec<(Option<String>, String)> {
    let header = parsed.headers.get_first_header(header).unwrap_or_else(|| panic!("a {header} header"));
    let list = mailparse::addrparse_header(header).expect("addresses");
    list.iter()
        .flat_map(|address| match address {
            MailAddr::Single(single) => vec![single.clone()],
            MailAddr::Group(group) => group.addrs.clone(),
        })
        .map(|single| (single.display_name, single.addr))
        .collect()
}

fn part(parsed: &ParsedMail<'_>, mimetype: &str) -> String {
    let part = parsed
        .subparts
        .iter()
        .find(|part| part.ctype.mimetype == mimetype)
        .unwrap_or_else(|| panic!("a {mimetype} part"));
    // Lines travel with CRLF endings, whatever the sender wrote.
    part.get_body().expect("a decodable body").replace("\r\n", "\n").trim_end().to_owned()
}

#[tokio::test]
async fn a_mail_reaches_the_server_for_every_recipient_with_both_parts() {
    let mut sink = Sink::start().await;
    let mailer = mailer(url(&format!("smtp://{}?tls=none", sink.addr)));
    let recipients = ["anh.nguyen@saigontech.example", "ops@mekong.example", "logistics@pacifichome.example"];
    let sent = mail(&recipients);

    mailer.send(&sent).await.expect("sent");

    let received = sink.next().await;
    assert_eq!(received.mail_from, "tracking@saigonfreight.example");
    assert_eq!(received.rcpt_to, recipients);
    let parsed = mailparse::parse_mail(&received.data).expect("an RFC 5322 message");
    assert_eq!(
        addresses(&parsed, "From"),
        [(Some("Saigon Freight Tracking".to_owned()), "tracking@saigonfreight.example".to_owned())]
    );
    let to: Vec<String> = addresses(&parsed, "To").into_iter().map(|(_, address)| address).collect();
    assert_eq!(to, recipients);
    assert_eq!(parsed.headers.get_first_value("Subject").as_deref(), Some(sent.subject.as_str()));
    assert_eq!(parsed.ctype.mimetype, "multipart/alternative");
    assert_eq!(part(&parsed, "text/plain"), sent.text, "the lone dot line survives dot-stuffing");
    assert_eq!(part(&parsed, "text/html"), sent.html);
}

#[tokio::test]
async fn smtp_without_tls_none_insists_on_starttls() {
    let mut sink = Sink::start().await;
    let mailer = mailer(url(&format!("smtp://mailer:hunter2@{}", sink.addr)));

    let error = mailer.send(&mail(&["ops@mekong.example"])).await.expect_err("no STARTTLS, no mail");

    assert!(error.0.contains("STARTTLS"), "{error}");
    assert!(error.0.contains("smtp://mailer:***@127.0.0.1:"), "{error}");
    assert!(!error.0.contains("hunter2"), "{error}");
    assert!(sink.has_received_nothing());
}

#[tokio::test]
async fn smtps_speaks_tls_from_the_first_byte() {
    let mut sink = Sink::start().await;
    let mailer = mailer(url(&format!("smtps://{}", sink.addr)));

    let error = mailer.send(&mail(&["ops@mekong.example"])).await.expect_err("a plain-text server is no TLS server");

    assert!(error.0.contains("Connection error"), "the handshake fails, not a later step: {error}");
    assert!(sink.has_received_nothing());
}

#[tokio::test]
async fn a_refused_connection_fails_at_once_without_the_password() {
    let addr = closed_port().await;
    let mailer = SmtpMailer::new(url(&format!("smtp://mailer:hunter2@{addr}")), SENDER).expect("mailer");

    let started = Instant::now();
    let error = mailer.send(&mail(&["ops@mekong.example"])).await.expect_err("nobody listens");

    assert!(started.elapsed() < QUICKLY, "took {:?}", started.elapsed());
    assert!(error.to_string().contains(&format!("smtp://mailer:***@{addr}")), "{error}");
    assert!(error.to_string().to_lowercase().contains("connection"), "{error}");
    assert!(!error.to_string().contains("hunter2"), "{error}");
}

#[tokio::test]
async fn a_server_that_never_answers_fails_within_the_time_limit() {
    let addr = silent_server().await;
    let limit = Duration::from_millis(300);
    let mailer =
        SmtpMailer::with_timeouts(url(&format!("smtp://{addr}?tls=none")), SENDER, Duration::from_secs(2), limit)
            .expect("mailer");

    let started = Instant::now();
    let error = mailer.send(&mail(&["ops@mekong.example"])).await.expect_err("no greeting, no mail");

    assert!(started.elapsed() >= limit && started.elapsed() < QUICKLY, "took {:?}", started.elapsed());
    assert!(error.0.contains("did not finish within 300ms"), "{error}");
}

#[test]
fn each_url_form_means_what_the_documentation_says() {
    let cases = [
        ("smtp://mailer:s3cret@smtp.example.com", Security::StartTls, "smtp.example.com", 587),
        ("smtp://mailer:s3cret@smtp.example.com:2525", Security::StartTls, "smtp.example.com", 2525),
        ("smtps://mailer:s3cret@smtp.example.com", Security::Tls, "smtp.example.com", 465),
        ("smtps://mailer:s3cret@smtp.example.com:1465/", Security::Tls, "smtp.example.com", 1465),
        ("smtp://relay.saigonfreight.internal?tls=none", Security::Plain, "relay.saigonfreight.internal", 25),
        ("  smtp://127.0.0.1:1025?tls=none ", Security::Plain, "127.0.0.1", 1025),
        ("smtp://[::1]?tls=none", Security::Plain, "::1", 25),
    ];
    for (text, security, host, port) in cases {
        let parsed = url(text);
        assert_eq!((parsed.security, parsed.host.as_str(), parsed.port), (security, host, port), "{text}");
        let signs_in = text.contains('@');
        assert_eq!(parsed.login.is_some(), signs_in, "{text}");
    }
}

#[test]
fn user_and_password_are_percent_decoded() {
    let parsed = url("smtp://tracking%40saigonfreight.example:p%23ss%2Fw%3Frd%40@smtp.office365.com:587");
    let login = parsed.login.as_ref().expect("a login");
    assert_eq!(login.user, "tracking@saigonfreight.example");
    assert_eq!(login.password, "p#ss/w?rd@");
    assert_eq!(parsed.to_string(), "smtp://tracking@saigonfreight.example:***@smtp.office365.com:587");
}

#[test]
fn bad_urls_are_refused_with_a_reason_and_without_the_password() {
    let cases = [
        (" ", "is empty"),
        ("ftp://mailer:hunter2@smtp.example.com", "must start with smtp:// (STARTTLS) or smtps:// (TLS), not 'ftp://'"),
        ("https://mailer:hunter2@smtp.example.com", "not 'https://'"),
        ("smtp.example.com:587", "must start with smtp://"),
        ("mailer:hunter2@smtp.example.com:587", "must start with smtp://"),
        ("smtp://mailer:hunter2@:587", "has no host"),
        ("smtp:///", "has no host"),
        ("smtp:relay", "has no host"),
        ("smtp://mailer:hun#ter2@smtp.example.com:587", "is not a URL"),
        ("smtp://mailer:hunter2@smtp.example.com:587#x", "holds a '#'"),
        ("smtp://mailer:hunter2@smtp.example.com:587/porthole", "the path '/porthole'"),
        ("smtp://mailer:hunter2@smtp.example.com?tls=insecure", "knows only tls=none"),
        ("smtp://mailer:hunter2@smtp.example.com?timeout=30", "unknown parameter 'timeout'"),
        ("smtps://relay.internal?tls=none", "cannot be smtps:// with tls=none"),
        ("smtp://mailer:hunter2@relay.internal?tls=none", "password in plain text"),
        ("smtp://mailer@smtp.example.com", "names the user 'mailer' but no password"),
        ("smtp://mailer:@smtp.example.com", "but no password"),
        ("smtp://:hunter2@smtp.example.com", "a password but no user"),
        ("smtp://mailer:hunter2%FF@smtp.example.com", "has a password that is not UTF-8"),
        ("smtp://mailer:hunter2@smtp.example.com:99999", "is not a URL (invalid port number)"),
    ];
    for (text, reason) in cases {
        let error = SmtpUrl::parse(text).expect_err(text);
        let message = error.to_string();
        assert!(message.starts_with("mail.smtp_url "), "{text}: {message}");
        assert!(message.contains(reason), "{text}: {message}");
        assert!(!message.contains("hunter2") && !message.contains("ter2"), "{text}: {message}");
    }
}

#[test]
fn display_and_debug_hide_the_password() {
    let parsed = url("smtps://mailer:hunter2@smtp.example.com");
    assert_eq!(parsed.to_string(), "smtps://mailer:***@smtp.example.com:465");
    assert_eq!(format!("{parsed:?}"), "SmtpUrl(\"smtps://mailer:***@smtp.example.com:465\")");
    let debug = format!("{:?}", SmtpMailer::new(parsed, SENDER).expect("mailer"));
    assert!(debug.contains("smtps://mailer:***@smtp.example.com:465"), "{debug}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert_eq!(url("smtp://[::1]?tls=none").to_string(), "smtp://[::1]:25?tls=none");
}

#[test]
fn a_bad_sender_is_refused_at_setup() {
    let error = SmtpMailer::new(url("smtps://mailer:hunter2@smtp.example.com"), "nobody").expect_err("no mailbox");
    assert!(matches!(error, MailSetupError::From(_)), "{error}");
}
