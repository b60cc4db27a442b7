//! The mails the portal's sign-in sends, in text and HTML.
//!
//! Templates are compiled in and escape by default, so a user's name can
//! never inject markup into the HTML part.

use askama::Template;
use porthole_domain::TrackingUser;

use crate::error::AppError;
use crate::ports::Mail;

#[derive(Template)]
#[template(path = "mail/password_setup.txt")]
struct PasswordSetupText<'a> {
    first_name: &'a str,
    user_id: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/password_setup.html")]
struct PasswordSetupHtml<'a> {
    first_name: &'a str,
    user_id: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/magic_link.txt")]
struct MagicLinkText<'a> {
    first_name: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/magic_link.html")]
struct MagicLinkHtml<'a> {
    first_name: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/link_code.txt")]
struct LinkCodeText<'a> {
    reference: &'a str,
    code: &'a str,
}

#[derive(Template)]
#[template(path = "mail/link_code.html")]
struct LinkCodeHtml<'a> {
    reference: &'a str,
    code: &'a str,
}

/// The six-digit code that opens a verified share link.
pub(crate) fn link_code(to: porthole_domain::Email, reference: &str, code: &str) -> Result<Mail, AppError> {
    Ok(Mail {
        to: vec![to],
        subject: format!("Your code to view shipment {reference}"),
        text: render(LinkCodeText { reference, code })?,
        html: render(LinkCodeHtml { reference, code })?,
    })
}

/// The mail that lets a new user choose a password.
pub(crate) fn password_setup(user: &TrackingUser, link: &str) -> Result<Mail, AppError> {
    let (first_name, user_id) = (user.first_name.as_str(), user.user_id.as_str());
    Ok(Mail {
        to: vec![user.email.clone()],
        subject: "Set your password for the shipment portal".to_owned(),
        text: render(PasswordSetupText { first_name, user_id, link })?,
        html: render(PasswordSetupHtml { first_name, user_id, link })?,
    })
}

/// The mail with a one-time sign-in link, to the address that asked for it.
pub(crate) fn magic_link(user: &TrackingUser, to: porthole_domain::Email, link: &str) -> Result<Mail, AppError> {
    let first_name = user.first_name.as_str();
    Ok(Mail {
        to: vec![to],
        subject: "Your sign-in link for the shipment portal".to_owned(),
        text: render(MagicLinkText { first_name, link })?,
        html: render(MagicLinkHtml { first_name, link })?,
    })
}

fn render(template: impl Template) -> Result<String, AppError> {
    template.render().map_err(|e| AppError::Unavailable(format!("mail template: {e}")))
}
