//! The mails Porthole sends, in text and HTML, in the forwarder's look.
//!
//! Every mail extends one layout per part (`mail/layout.txt`, `mail/layout.html`): in HTML a header bar in the
//! forwarder's accent colour with its logo or name, the body, and a footer naming the forwarder, its support
//! address, why the reader gets the mail and how to stop it; the text part says the same in plain words.
//!
//! Templates are compiled in and the HTML part escapes by default, so no name, reference or link can inject
//! markup. The two configured values that land where escaping is not enough, the accent colour (inside a style
//! attribute) and the logo (an image address), are checked here first.
//!
//! Every time is shown in its own UTC offset, which is the local time of the place it belongs to;
//! [`local_time`] is the one place that writes times.

use askama::Template;
use chrono::{DateTime, FixedOffset};
use porthole_domain::projection::Dates;
use porthole_domain::{
    Email, EstimatedDate, Location, PortalListItem, ReportFrequency, ShipmentNotice, Status, TrackingUser,
};

use crate::error::AppError;
use crate::ports::Mail;
use crate::settings::Branding;

/// The accent colour when the configured one is not a plain hex colour.
const DEFAULT_ACCENT: &str = "#0b5cad";

/// Text on a light accent colour, where white would not be readable.
const DARK_TEXT: &str = "#1a2633";

/// A shipment update's subject is cut, ending "and more", rather than grow past this many characters.
const MAX_SUBJECT_CHARS: usize = 78;

// ---------------------------------------------------------------------------
// What callers pass
// ---------------------------------------------------------------------------

/// A footer link that switches one kind of mail off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnsubscribeLink {
    /// What clicking stops, in words that follow "Unsubscribe from": "ETA and ETD change mails".
    pub stops: String,
    pub url: String,
}

/// What a mail about one shipment shows of it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShipmentFacts<'a> {
    pub reference: &'a str,
    pub pol: &'a Location,
    pub pod: &'a Location,
    pub status: Status,
    pub dates: &'a Dates,
}

// ---------------------------------------------------------------------------
// The shared look
// ---------------------------------------------------------------------------

/// What the layout shows around every mail's body.
struct Frame<'a> {
    /// The subject, as the HTML part's title.
    title: &'a str,
    company: &'a str,
    accent: &'a str,
    /// Text on the accent colour: white, or dark on a light accent.
    on_accent: &'static str,
    /// Links in the body: the accent when it reads well on white, else the default.
    link_color: &'a str,
    logo: Option<&'a str>,
    support: Option<String>,
    /// Why the reader gets this mail, as a sentence.
    reason: String,
    unsubscribe: &'a [UnsubscribeLink],
}

impl<'a> Frame<'a> {
    fn new(branding: &'a Branding, title: &'a str, reason: String, unsubscribe: &'a [UnsubscribeLink]) -> Self {
        let accent = accent_color(&branding.accent_color);
        let light = is_light(accent);
        Self {
            title,
            company: branding.company_name.trim(),
            accent,
            on_accent: if light { DARK_TEXT } else { "#ffffff" },
            link_color: if light { DEFAULT_ACCENT } else { accent },
            logo: branding.logo_url.as_deref().and_then(logo_url),
            support: branding.support_email.as_deref().and_then(|raw| Email::parse(raw).ok()).map(|e| e.to_string()),
            reason,
            unsubscribe,
        }
    }
}

/// The configured accent colour if it is `#` and 3 or 6 hex digits, else the default: it goes into a style
/// attribute, where anything else could break out of the colour.
fn accent_color(raw: &str) -> &str {
    let raw = raw.trim();
    let valid = raw
        .strip_prefix('#')
        .is_some_and(|hex| matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit()));
    if valid { raw } else { DEFAULT_ACCENT }
}

/// Whether dark text reads better than white on this (valid) accent colour.
fn is_light(accent: &str) -> bool {
    let hex = accent.trim_start_matches('#');
    let digits: Vec<u32> = hex.chars().filter_map(|c| c.to_digit(16)).collect();
    let [red, green, blue] = match digits[..] {
        [r, g, b] => [r * 17, g * 17, b * 17],
        [r1, r2, g1, g2, b1, b2] => [r1 * 16 + r2, g1 * 16 + g2, b1 * 16 + b2],
        _ => return false,
    };
    // Perceived brightness (ITU-R BT.601 weights), 0 to 255 000.
    red * 299 + green * 587 + blue * 114 > 160_000
}

/// The logo address if it is a web address; anything else (`javascript:`, `data:`) is not shown.
fn logo_url(raw: &str) -> Option<&str> {
    let raw = raw.trim();
    let lower = raw.to_ascii_lowercase();
    ((lower.starts_with("https://") || lower.starts_with("http://")) && !raw.contains(char::is_whitespace))
        .then_some(raw)
}

/// "the Acme Logistics shipment portal"
fn portal_name(branding: &Branding) -> String {
    format!("the {} shipment portal", branding.company_name.trim())
}

fn greeting(first_name: Option<&str>) -> String {
    match first_name.map(str::trim).filter(|name| !name.is_empty()) {
        Some(name) => format!("Hello {name},"),
        None => "Hello,".to_owned(),
    }
}

/// A subject is one header line: no control characters, whatever the company name holds.
fn subject_line(subject: String) -> String {
    if subject.contains(char::is_control) { subject.replace(char::is_control, " ") } else { subject }
}

fn render(template: impl Template) -> Result<String, AppError> {
    template.render().map_err(|e| AppError::Unavailable(format!("mail template: {e}")))
}

// ---------------------------------------------------------------------------
// Times and places
// ---------------------------------------------------------------------------

/// How a time is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeForm {
    /// "Tue 27 May 2025, 09:00 (UTC+07:00)"
    Full,
    /// "27 May 2025 09:00", for a pair that shares one offset, written once after it.
    DateTime,
    /// "27 May 2025"
    Date,
    /// "UTC+07:00"; "UTC" for no offset.
    Offset,
}

/// Writes a time in its own offset: the local time of the place it belongs to.
fn local_time(time: &DateTime<FixedOffset>, form: TimeForm) -> String {
    let offset = || match time.offset().local_minus_utc() {
        0 => "UTC".to_owned(),
        _ => format!("UTC{}", time.format("%:z")),
    };
    match form {
        TimeForm::Full => format!("{} ({})", time.format("%a %-d %b %Y, %H:%M"), offset()),
        TimeForm::DateTime => time.format("%-d %b %Y %H:%M").to_string(),
        TimeForm::Date => time.format("%-d %b %Y").to_string(),
        TimeForm::Offset => offset(),
    }
}

/// "Cat Lai (VNSGN)", or the bare code for a place without a name.
fn place(location: &Location) -> String {
    match location.name.trim() {
        "" => location.unlocode.to_string(),
        name => format!("{name} ({})", location.unlocode),
    }
}

/// "1 day 19 hours later", "2 days earlier": how far and which way a time moved, to the nearest hour (in
/// minutes under half an hour). `None` when it did not move.
fn shift(from: &DateTime<FixedOffset>, to: &DateTime<FixedOffset>) -> Option<String> {
    let minutes = (*to - *from).num_minutes();
    if minutes == 0 {
        return None;
    }
    let direction = if minutes > 0 { "later" } else { "earlier" };
    let minutes = minutes.unsigned_abs();
    let hours = (minutes + 30) / 60;
    let amount = match (hours / 24, hours % 24) {
        (0, 0) => count(minutes, "minute"),
        (0, hours) => count(hours, "hour"),
        (days, 0) => count(days, "day"),
        (days, hours) => format!("{} {}", count(days, "day"), count(hours, "hour")),
    };
    Some(format!("{amount} {direction}"))
}

fn count(n: u64, unit: &str) -> String {
    if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") }
}

// ---------------------------------------------------------------------------
// A shipment, as mails about it show it
// ---------------------------------------------------------------------------

/// One labelled line: "ETA: Tue 27 May 2025, 09:00 (UTC+07:00)".
struct Line {
    label: &'static str,
    value: String,
}

/// Route, status and known dates, for `mail/shipment.{txt,html}`.
struct ShipmentView {
    reference: String,
    route: String,
    status: &'static str,
    dates: Vec<Line>,
}

impl ShipmentView {
    fn of(facts: &ShipmentFacts<'_>) -> Self {
        let dates = &facts.dates;
        let known = [("ETD", dates.etd), ("ETA", dates.eta), ("ATD", dates.atd), ("ATA", dates.ata)];
        Self {
            reference: facts.reference.to_owned(),
            route: format!("{} → {}", place(facts.pol), place(facts.pod)),
            status: facts.status.label(),
            dates: known
                .into_iter()
                .filter_map(|(label, time)| Some(Line { label, value: local_time(&time?, TimeForm::Full) }))
                .collect(),
        }
    }
}

/// What a notice says in a subject: "Departed", "ETA moved to 27 May 2025".
fn headline(notice: &ShipmentNotice) -> String {
    match notice {
        ShipmentNotice::MilestoneReached { label, .. } | ShipmentNotice::DocumentStatus { label, .. } => label.clone(),
        ShipmentNotice::DateChanged { date, from, to } => {
            let which = match date {
                EstimatedDate::Departure => "ETD",
                EstimatedDate::Arrival => "ETA",
            };
            let (from_day, to_day) = (local_time(from, TimeForm::Date), local_time(to, TimeForm::Date));
            // Within one day, the day alone would not say what changed.
            let when = if from_day == to_day { local_time(to, TimeForm::DateTime) } else { to_day };
            format!("{which} moved to {when}")
        }
    }
}

/// What a notice says in the body, on its own line.
fn notice_line(notice: &ShipmentNotice) -> String {
    match notice {
        ShipmentNotice::MilestoneReached { label, event_time, .. }
        | ShipmentNotice::DocumentStatus { label, event_time, .. } => {
            format!("{label}: {}", local_time(event_time, TimeForm::Full))
        }
        ShipmentNotice::DateChanged { date, from, to } => date_change(*date, from, to),
    }
}

/// "Estimated arrival moved from 25 May 2025 14:00 to 27 May 2025 09:00 (UTC+07:00), 1 day 19 hours later"
fn date_change(date: EstimatedDate, from: &DateTime<FixedOffset>, to: &DateTime<FixedOffset>) -> String {
    let what = match date {
        EstimatedDate::Departure => "Estimated departure",
        EstimatedDate::Arrival => "Estimated arrival",
    };
    let (from_at, to_at) = (local_time(from, TimeForm::DateTime), local_time(to, TimeForm::DateTime));
    let (from_zone, to_zone) = (local_time(from, TimeForm::Offset), local_time(to, TimeForm::Offset));
    let span = if from_zone == to_zone {
        format!("from {from_at} to {to_at} ({to_zone})")
    } else {
        format!("from {from_at} ({from_zone}) to {to_at} ({to_zone})")
    };
    match shift(from, to) {
        Some(shift) => format!("{what} moved {span}, {shift}"),
        None => format!("{what} moved {span}"),
    }
}

/// "{reference}: " and the headlines, as many as fit, then "and more" for the rest.
fn update_subject(reference: &str, headlines: &[String]) -> String {
    const MORE: &str = " and more";
    let mut subject = format!("{reference}: ");
    if headlines.is_empty() {
        subject.push_str("shipment update");
        return subject;
    }
    let mut taken = 0;
    for (i, headline) in headlines.iter().enumerate() {
        let separator = if i == 0 { "" } else { ", " };
        let reserve = if i + 1 < headlines.len() { MORE.len() } else { 0 };
        let length = subject.chars().count() + separator.len() + headline.chars().count() + reserve;
        if i > 0 && length > MAX_SUBJECT_CHARS {
            break;
        }
        subject.push_str(separator);
        subject.push_str(headline);
        taken += 1;
    }
    if taken < headlines.len() {
        subject.push_str(MORE);
    }
    subject
}

/// The items in order, each once: a customs release is both a milestone and a document notice.
fn distinct(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

// ---------------------------------------------------------------------------
// Sign-in mails
// ---------------------------------------------------------------------------

struct PasswordSetup<'a> {
    first_name: &'a str,
    user_id: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/password_setup.txt")]
struct PasswordSetupText<'a> {
    frame: &'a Frame<'a>,
    mail: &'a PasswordSetup<'a>,
}

#[derive(Template)]
#[template(path = "mail/password_setup.html")]
struct PasswordSetupHtml<'a> {
    frame: &'a Frame<'a>,
    mail: &'a PasswordSetup<'a>,
}

struct MagicLink<'a> {
    first_name: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/magic_link.txt")]
struct MagicLinkText<'a> {
    frame: &'a Frame<'a>,
    mail: &'a MagicLink<'a>,
}

#[derive(Template)]
#[template(path = "mail/magic_link.html")]
struct MagicLinkHtml<'a> {
    frame: &'a Frame<'a>,
    mail: &'a MagicLink<'a>,
}

struct LinkCode<'a> {
    reference: &'a str,
    code: &'a str,
}

#[derive(Template)]
#[template(path = "mail/link_code.txt")]
struct LinkCodeText<'a> {
    frame: &'a Frame<'a>,
    mail: &'a LinkCode<'a>,
}

#[derive(Template)]
#[template(path = "mail/link_code.html")]
struct LinkCodeHtml<'a> {
    frame: &'a Frame<'a>,
    mail: &'a LinkCode<'a>,
}

/// The six-digit code that opens a verified share link.
pub(crate) fn link_code(branding: &Branding, to: Email, reference: &str, code: &str) -> Result<Mail, AppError> {
    let subject = subject_line(format!("Your code to view shipment {reference}"));
    let reason = format!(
        "You receive this mail because someone asked for a code to view shipment {reference} on {} with this address.",
        portal_name(branding)
    );
    let frame = Frame::new(branding, &subject, reason, &[]);
    let mail = LinkCode { reference, code };
    let text = render(LinkCodeText { frame: &frame, mail: &mail })?;
    let html = render(LinkCodeHtml { frame: &frame, mail: &mail })?;
    Ok(Mail { to: vec![to], subject, text, html })
}

/// The mail that lets a new user choose a password.
pub(crate) fn password_setup(branding: &Branding, user: &TrackingUser, link: &str) -> Result<Mail, AppError> {
    let subject = subject_line(format!("Set your password for {}", portal_name(branding)));
    let reason = format!("You receive this mail because {} created an account for you.", branding.company_name.trim());
    let frame = Frame::new(branding, &subject, reason, &[]);
    let mail = PasswordSetup { first_name: user.first_name.trim(), user_id: user.user_id.as_str(), link };
    let text = render(PasswordSetupText { frame: &frame, mail: &mail })?;
    let html = render(PasswordSetupHtml { frame: &frame, mail: &mail })?;
    Ok(Mail { to: vec![user.email.clone()], subject, text, html })
}

/// The mail with a one-time sign-in link, to the address that asked for it.
pub(crate) fn magic_link(branding: &Branding, user: &TrackingUser, to: Email, link: &str) -> Result<Mail, AppError> {
    let subject = subject_line(format!("Your sign-in link for {}", portal_name(branding)));
    let reason = format!(
        "You receive this mail because someone asked for a sign-in link to {} for this address.",
        portal_name(branding)
    );
    let frame = Frame::new(branding, &subject, reason, &[]);
    let mail = MagicLink { first_name: user.first_name.trim(), link };
    let text = render(MagicLinkText { frame: &frame, mail: &mail })?;
    let html = render(MagicLinkHtml { frame: &frame, mail: &mail })?;
    Ok(Mail { to: vec![to], subject, text, html })
}

// ---------------------------------------------------------------------------
// Shipment mails
// ---------------------------------------------------------------------------

struct ShipmentUpdate<'a> {
    greeting: String,
    /// What happened, one line per notice.
    changes: Vec<String>,
    shipment: ShipmentView,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/shipment_update.txt")]
struct ShipmentUpdateText<'a> {
    frame: &'a Frame<'a>,
    mail: &'a ShipmentUpdate<'a>,
}

#[derive(Template)]
#[template(path = "mail/shipment_update.html")]
struct ShipmentUpdateHtml<'a> {
    frame: &'a Frame<'a>,
    mail: &'a ShipmentUpdate<'a>,
}

/// One mail for everything that happened to a shipment in a burst of changes: `notices` in the order given,
/// each once. `greeting` is the reader's first name, if the mail is for one portal user; `unsubscribe` holds a
/// link for each kind of mail this one stands for.
pub(crate) fn shipment_update(
    branding: &Branding,
    to: Vec<Email>,
    greeting: Option<&str>,
    shipment: &ShipmentFacts<'_>,
    notices: &[ShipmentNotice],
    link: &str,
    unsubscribe: &[UnsubscribeLink],
) -> Result<Mail, AppError> {
    let subject = subject_line(update_subject(shipment.reference, &distinct(notices.iter().map(headline))));
    let reason = format!(
        "You receive this mail because you follow shipment {} on {}.",
        shipment.reference,
        portal_name(branding)
    );
    let frame = Frame::new(branding, &subject, reason, unsubscribe);
    let mail = ShipmentUpdate {
        greeting: self::greeting(greeting),
        changes: distinct(notices.iter().map(notice_line)),
        shipment: ShipmentView::of(shipment),
        link,
    };
    let text = render(ShipmentUpdateText { frame: &frame, mail: &mail })?;
    let html = render(ShipmentUpdateHtml { frame: &frame, mail: &mail })?;
    Ok(Mail { to, subject, text, html })
}

struct LinkShared<'a> {
    to: &'a str,
    shipment: ShipmentView,
    link: &'a str,
    needs_code: bool,
}

#[derive(Template)]
#[template(path = "mail/link_shared.txt")]
struct LinkSharedText<'a> {
    frame: &'a Frame<'a>,
    mail: &'a LinkShared<'a>,
}

#[derive(Template)]
#[template(path = "mail/link_shared.html")]
struct LinkSharedHtml<'a> {
    frame: &'a Frame<'a>,
    mail: &'a LinkShared<'a>,
}

/// A share link, to one of its recipients. With `needs_code`, the page asks for `to` and mails a code to it.
pub(crate) fn link_shared(
    branding: &Branding,
    to: Email,
    shipment: &ShipmentFacts<'_>,
    link: &str,
    needs_code: bool,
    unsubscribe: Option<&UnsubscribeLink>,
) -> Result<Mail, AppError> {
    let company = branding.company_name.trim();
    let subject = subject_line(format!("{company} shared shipment {} with you", shipment.reference));
    let reason = format!("You receive this mail because {company} shared a shipment with {to}.");
    let unsubscribe = unsubscribe.map(std::slice::from_ref).unwrap_or_default();
    let frame = Frame::new(branding, &subject, reason, unsubscribe);
    let mail = LinkShared { to: to.as_str(), shipment: ShipmentView::of(shipment), link, needs_code };
    let text = render(LinkSharedText { frame: &frame, mail: &mail })?;
    let html = render(LinkSharedHtml { frame: &frame, mail: &mail })?;
    Ok(Mail { to: vec![to], subject, text, html })
}

// ---------------------------------------------------------------------------
// The periodic report
// ---------------------------------------------------------------------------

/// A column a periodic report may show (`crate::input::REPORT_COLUMNS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Reference,
    Hbl,
    Status,
    Pol,
    Pod,
    Etd,
    Eta,
    Atd,
    Ata,
}

impl Column {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "reference" => Self::Reference,
            "hbl_no" => Self::Hbl,
            "status" => Self::Status,
            "pol" => Self::Pol,
            "pod" => Self::Pod,
            "etd" => Self::Etd,
            "eta" => Self::Eta,
            "atd" => Self::Atd,
            "ata" => Self::Ata,
            _ => return None,
        })
    }

    fn header(self) -> &'static str {
        match self {
            Self::Reference => "Reference",
            Self::Hbl => "HBL",
            Self::Status => "Status",
            Self::Pol => "From",
            Self::Pod => "To",
            Self::Etd => "ETD",
            Self::Eta => "ETA",
            Self::Atd => "ATD",
            Self::Ata => "ATA",
        }
    }

    /// The row's value in this column; blank when unknown.
    fn cell(self, row: &PortalListItem) -> String {
        let date =
            |time: Option<DateTime<FixedOffset>>| time.map(|t| local_time(&t, TimeForm::Date)).unwrap_or_default();
        match self {
            Self::Reference => row.reference.to_string(),
            Self::Hbl => row.hbl_no.trim().to_owned(),
            Self::Status => row.status.label().to_owned(),
            Self::Pol => place(&row.pol),
            Self::Pod => place(&row.pod),
            Self::Etd => date(row.dates.etd),
            Self::Eta => date(row.dates.eta),
            Self::Atd => date(row.dates.atd),
            Self::Ata => date(row.dates.ata),
        }
    }

    /// The row's value in a line of text: "ETA 27 May 2025", "from Cat Lai (VNSGN)"; `None` when unknown.
    fn phrase(self, row: &PortalListItem) -> Option<String> {
        let value = self.cell(row);
        if value.is_empty() {
            return None;
        }
        Some(match self {
            Self::Reference | Self::Status => value,
            Self::Pol => format!("from {value}"),
            Self::Pod => format!("to {value}"),
            Self::Hbl | Self::Etd | Self::Eta | Self::Atd | Self::Ata => format!("{} {value}", self.header()),
        })
    }
}

/// "SHP/202505/00080 — In Transit, ETA 27 May 2025": a report row as one line of text.
fn report_line(columns: &[Column], row: &PortalListItem) -> String {
    let rest: Vec<String> = columns.iter().filter(|c| **c != Column::Reference).filter_map(|c| c.phrase(row)).collect();
    let rest = rest.join(", ");
    match (columns.contains(&Column::Reference), rest.is_empty()) {
        (true, true) => row.reference.to_string(),
        (true, false) => format!("{} — {rest}", row.reference),
        (false, _) => rest,
    }
}

struct PeriodicReport<'a> {
    greeting: String,
    frequency: &'static str,
    headers: Vec<&'static str>,
    /// Each row's cells, in the order of `headers`.
    rows: Vec<Vec<String>>,
    /// Each row as one line, for the text part.
    lines: Vec<String>,
    more: u64,
    /// `more` in words: "300", or "at least 300" when it was not counted
    /// to the end.
    more_text: String,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/periodic_report.txt")]
struct PeriodicReportText<'a> {
    frame: &'a Frame<'a>,
    mail: &'a PeriodicReport<'a>,
}

#[derive(Template)]
#[template(path = "mail/periodic_report.html")]
struct PeriodicReportHtml<'a> {
    frame: &'a Frame<'a>,
    mail: &'a PeriodicReport<'a>,
}

/// A tracking user's daily or weekly report: `rows` (their open shipments, as many as the mail shows) in the
/// chosen `columns`, in that order; names outside `crate::input::REPORT_COLUMNS` are left out. `more` counts the
/// open shipments beyond `rows`; `more_at_least` says the count stopped early and there may be more still.
#[allow(clippy::too_many_arguments, reason = "each is one fact the report shows")]
pub(crate) fn periodic_report(
    branding: &Branding,
    to: Vec<Email>,
    first_name: &str,
    frequency: ReportFrequency,
    columns: &[String],
    rows: &[PortalListItem],
    more: u64,
    more_at_least: bool,
    portal_link: &str,
    unsubscribe: &UnsubscribeLink,
) -> Result<Mail, AppError> {
    let company = branding.company_name.trim();
    let frequency = frequency.as_str();
    let subject = subject_line(format!("{company}: your {frequency} shipment report"));
    let reason = format!(
        "You receive this report because you asked for a {frequency} shipment report on {}.",
        portal_name(branding)
    );
    let frame = Frame::new(branding, &subject, reason, std::slice::from_ref(unsubscribe));
    let mut chosen: Vec<Column> = Vec::new();
    for column in columns.iter().filter_map(|name| Column::parse(name.trim())) {
        if !chosen.contains(&column) {
            chosen.push(column);
        }
    }
    let mail = PeriodicReport {
        greeting: greeting(Some(first_name)),
        frequency,
        headers: chosen.iter().map(|c| c.header()).collect(),
        rows: rows.iter().map(|row| chosen.iter().map(|c| c.cell(row)).collect()).collect(),
        lines: rows.iter().map(|row| report_line(&chosen, row)).collect(),
        more,
        more_text: if more_at_least { format!("at least {more}") } else { more.to_string() },
        link: portal_link,
    };
    let text = render(PeriodicReportText { frame: &frame, mail: &mail })?;
    let html = render(PeriodicReportHtml { frame: &frame, mail: &mail })?;
    Ok(Mail { to, subject, text, html })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use porthole_domain::UnLocode;

    use super::*;

    fn unsubscribe_link(stops: &str, token: &str) -> UnsubscribeLink {
        UnsubscribeLink {
            stops: stops.to_owned(),
            url: format!("https://portal.example/portal/unsubscribe?token={token}"),
        }
    }

    fn at(offset_hours: i32, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<FixedOffset> {
        let offset = FixedOffset::east_opt(offset_hours * 3600).expect("offset");
        offset.with_ymd_and_hms(y, mo, d, h, mi, 0).single().expect("time")
    }

    fn location(code: &str, name: &str) -> Location {
        Location { unlocode: UnLocode::parse(code).expect("unlocode"), name: name.to_owned() }
    }

    fn email(raw: &str) -> Email {
        Email::parse(raw).expect("email")
    }

    fn branding() -> Branding {
        Branding {
            company_name: "Acme Logistics".to_owned(),
            accent_color: "#123456".to_owned(),
            logo_url: Some("https://acme.example/logo.png".to_owned()),
            support_email: Some("help@acme.example".to_owned()),
        }
    }

    fn dates() -> Dates {
        Dates {
            etd: Some(at(7, 2025, 5, 20, 18, 0)),
            eta: Some(at(7, 2025, 5, 27, 9, 0)),
            atd: Some(at(7, 2025, 5, 20, 21, 30)),
            ata: None,
        }
    }

    fn departed() -> ShipmentNotice {
        ShipmentNotice::MilestoneReached {
            event_id: "e1".to_owned(),
            code: "DEPA".to_owned(),
            label: "Departed".to_owned(),
            event_time: at(7, 2025, 5, 20, 21, 30),
        }
    }

    fn eta_moved() -> ShipmentNotice {
        ShipmentNotice::DateChanged {
            date: EstimatedDate::Arrival,
            from: at(7, 2025, 5, 25, 14, 0),
            to: at(7, 2025, 5, 27, 9, 0),
        }
    }

    fn bl_issued() -> ShipmentNotice {
        ShipmentNotice::DocumentStatus {
            event_id: "e2".to_owned(),
            code: "ISSU".to_owned(),
            label: "Bill of lading issued".to_owned(),
            event_time: at(7, 2025, 5, 21, 10, 15),
        }
    }

    fn unsubscribe() -> Vec<UnsubscribeLink> {
        vec![
            unsubscribe_link("milestone mails (departed, arrived, delivered, …)", "pu_journey"),
            unsubscribe_link("ETD and ETA change mails", "pu_eta"),
        ]
    }

    const LINK: &str = "https://portal.example/portal/shipments/42";

    fn update(greeting: Option<&str>, notices: &[ShipmentNotice]) -> Mail {
        let (pol, pod, dates) = (location("VNSGN", "Cat Lai"), location("USLGB", "Long Beach"), dates());
        let facts = ShipmentFacts {
            reference: "SHP/202505/00080",
            pol: &pol,
            pod: &pod,
            status: Status::InTransit,
            dates: &dates,
        };
        shipment_update(
            &branding(),
            vec![email("anna@customer.example")],
            greeting,
            &facts,
            notices,
            LINK,
            &unsubscribe(),
        )
        .expect("renders")
    }

    fn list_item(reference: &str, hbl_no: &str, eta: Option<DateTime<FixedOffset>>) -> PortalListItem {
        PortalListItem {
            id: porthole_domain::ShipmentId::new("s1"),
            reference: porthole_domain::ShipmentReference::parse(reference).expect("reference"),
            hbl_no: hbl_no.to_owned(),
            status: Status::InTransit,
            pol: location("VNSGN", "Cat Lai"),
            pod: location("USLGB", "Long Beach"),
            dates: Dates { etd: Some(at(7, 2025, 5, 20, 18, 0)), eta, atd: None, ata: None },
        }
    }

    fn report(columns: &[&str], rows: &[PortalListItem], more: u64) -> Mail {
        let columns: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
        let unsubscribe = unsubscribe_link("the periodic shipment report", "pu_report");
        periodic_report(
            &branding(),
            vec![email("anna@customer.example")],
            "Anna",
            ReportFrequency::Weekly,
            &columns,
            rows,
            more,
            false,
            "https://portal.example/portal",
            &unsubscribe,
        )
        .expect("renders")
    }

    fn user(first_name: &str) -> TrackingUser {
        TrackingUser {
            id: porthole_domain::TrackingUserId::new("u1"),
            user_id: porthole_domain::UserId::parse("anna.nguyen").expect("user id"),
            first_name: first_name.to_owned(),
            last_name: None,
            email: email("anna@customer.example"),
            additional_emails: Vec::new(),
            role: porthole_domain::TrackingRole::Customer,
            organization_ids: Default::default(),
            agent_customer_ids: Default::default(),
            notifications: Default::default(),
            display: Default::default(),
            state: porthole_domain::UserState::Invited,
        }
    }

    fn shared(needs_code: bool, unsubscribe: Option<&UnsubscribeLink>) -> Mail {
        let (pol, pod, dates) = (location("VNSGN", "Cat Lai"), location("USLGB", "Long Beach"), dates());
        let facts = ShipmentFacts {
            reference: "SHP/202505/00080",
            pol: &pol,
            pod: &pod,
            status: Status::InTransit,
            dates: &dates,
        };
        link_shared(&branding(), email("buyer@consignee.example"), &facts, LINK, needs_code, unsubscribe)
            .expect("renders")
    }

    fn both(mail: &Mail, needle: &str) -> bool {
        mail.text.contains(needle) && mail.html.contains(needle)
    }

    #[test]
    fn times_are_written_in_their_own_offset() {
        assert_eq!(local_time(&at(7, 2025, 5, 27, 9, 0), TimeForm::Full), "Tue 27 May 2025, 09:00 (UTC+07:00)");
        assert_eq!(local_time(&at(-5, 2025, 6, 1, 18, 5), TimeForm::Full), "Sun 1 Jun 2025, 18:05 (UTC-05:00)");
        assert_eq!(local_time(&at(0, 2025, 6, 1, 18, 5), TimeForm::Full), "Sun 1 Jun 2025, 18:05 (UTC)");
        assert_eq!(local_time(&at(7, 2025, 5, 27, 9, 0), TimeForm::Date), "27 May 2025");
        // The same instant, written where it happens: a day earlier in Long Beach.
        assert_eq!(local_time(&at(-7, 2025, 5, 26, 19, 0), TimeForm::Date), "26 May 2025");
    }

    #[test]
    fn a_single_notice_is_the_subject() {
        assert_eq!(update(None, &[eta_moved()]).subject, "SHP/202505/00080: ETA moved to 27 May 2025");
        assert_eq!(update(None, &[departed()]).subject, "SHP/202505/00080: Departed");
        assert_eq!(update(None, &[bl_issued()]).subject, "SHP/202505/00080: Bill of lading issued");
        let etd_same_day = ShipmentNotice::DateChanged {
            date: EstimatedDate::Departure,
            from: at(7, 2025, 5, 20, 1, 0),
            to: at(7, 2025, 5, 20, 23, 0),
        };
        assert_eq!(update(None, &[etd_same_day]).subject, "SHP/202505/00080: ETD moved to 20 May 2025 23:00");
    }

    #[test]
    fn several_notices_make_one_subject_and_one_line_each() {
        let mail = update(Some("Anna"), &[departed(), eta_moved(), bl_issued()]);
        assert_eq!(mail.subject, "SHP/202505/00080: Departed, ETA moved to 27 May 2025, Bill of lading issued");
        for line in [
            "Departed: Tue 20 May 2025, 21:30 (UTC+07:00)",
            "Estimated arrival moved from 25 May 2025 14:00 to 27 May 2025 09:00 (UTC+07:00), 1 day 19 hours later",
            "Bill of lading issued: Wed 21 May 2025, 10:15 (UTC+07:00)",
        ] {
            assert!(mail.text.contains(&format!("- {line}\n")), "text lacks {line}: {}", mail.text);
            assert!(mail.html.contains(&format!("<li style=\"margin: 0 0 6px;\">{line}</li>")), "html lacks {line}");
        }
    }

    #[test]
    fn a_long_subject_ends_with_and_more() {
        let labels = ["Gated in", "Loaded on vessel", "Departed", "Discharged from vessel", "Arrived", "Gated out"];
        let notices: Vec<ShipmentNotice> = labels
            .iter()
            .enumerate()
            .map(|(i, label)| ShipmentNotice::MilestoneReached {
                event_id: format!("e{i}"),
                code: "X".to_owned(),
                label: (*label).to_owned(),
                event_time: at(7, 2025, 5, 20, i as u32, 0),
            })
            .collect();
        let subject = update(None, &notices).subject;
        assert!(subject.starts_with("SHP/202505/00080: Gated in, Loaded on vessel, Departed"), "{subject}");
        assert!(subject.ends_with(" and more"), "{subject}");
        assert!(!subject.contains("Gated out"), "{subject}");
        assert!(subject.chars().count() <= MAX_SUBJECT_CHARS, "{subject}");
    }

    #[test]
    fn a_notice_that_is_milestone_and_document_is_told_once() {
        let released = |document: bool| {
            let (event_id, code, label, event_time) =
                ("e9".to_owned(), "RELS".to_owned(), "Released by customs".to_owned(), at(7, 2025, 5, 28, 8, 0));
            if document {
                ShipmentNotice::DocumentStatus { event_id, code, label, event_time }
            } else {
                ShipmentNotice::MilestoneReached { event_id, code, label, event_time }
            }
        };
        let mail = update(None, &[released(false), released(true)]);
        assert_eq!(mail.subject, "SHP/202505/00080: Released by customs");
        assert_eq!(mail.text.matches("Released by customs: ").count(), 1, "{}", mail.text);
    }

    #[test]
    fn date_shifts_say_which_way_and_by_how_much() {
        let from = at(7, 2025, 5, 25, 14, 0);
        assert_eq!(shift(&from, &at(7, 2025, 5, 27, 9, 0)).as_deref(), Some("1 day 19 hours later"));
        assert_eq!(shift(&from, &at(7, 2025, 5, 26, 15, 0)).as_deref(), Some("1 day 1 hour later"));
        assert_eq!(shift(&from, &at(7, 2025, 5, 24, 13, 0)).as_deref(), Some("1 day 1 hour earlier"));
        assert_eq!(shift(&from, &at(7, 2025, 5, 23, 14, 0)).as_deref(), Some("2 days earlier"));
        assert_eq!(shift(&from, &at(7, 2025, 5, 26, 14, 0)).as_deref(), Some("1 day later"));
        assert_eq!(shift(&from, &at(7, 2025, 5, 25, 19, 0)).as_deref(), Some("5 hours later"));
        assert_eq!(shift(&from, &at(7, 2025, 5, 25, 14, 20)).as_deref(), Some("20 minutes later"));
        assert_eq!(shift(&from, &from), None);
        // The same place in summer time: the instants count, not the clock faces.
        assert_eq!(shift(&from, &at(8, 2025, 5, 26, 16, 0)).as_deref(), Some("1 day 1 hour later"));

        assert_eq!(
            date_change(EstimatedDate::Arrival, &from, &at(7, 2025, 5, 27, 9, 0)),
            "Estimated arrival moved from 25 May 2025 14:00 to 27 May 2025 09:00 (UTC+07:00), 1 day 19 hours later"
        );
        assert_eq!(
            date_change(EstimatedDate::Departure, &from, &at(7, 2025, 5, 24, 13, 0)),
            "Estimated departure moved from 25 May 2025 14:00 to 24 May 2025 13:00 (UTC+07:00), 1 day 1 hour earlier"
        );
        assert_eq!(
            date_change(EstimatedDate::Arrival, &from, &at(8, 2025, 5, 26, 16, 0)),
            "Estimated arrival moved from 25 May 2025 14:00 (UTC+07:00) to 26 May 2025 16:00 (UTC+08:00), \
             1 day 1 hour later"
        );
    }

    #[test]
    fn names_are_escaped_in_html() {
        let mail = update(Some("<script>alert(1)</script>"), &[departed()]);
        assert!(!mail.html.contains("<script>"), "{}", mail.html);
        assert!(mail.html.contains("Hello &#60;script&#62;alert(1)&#60;/script&#62;,"), "{}", mail.html);
        assert!(mail.text.contains("Hello <script>alert(1)</script>,"), "text is plain: {}", mail.text);

        let mail = password_setup(&branding(), &user("<b onmouseover=\"x\">Anna"), LINK).expect("renders");
        assert!(!mail.html.contains("<b onmouseover"), "{}", mail.html);
        assert!(mail.html.contains("&#60;b onmouseover=&#34;x&#34;&#62;Anna"), "{}", mail.html);

        let evil = Branding { company_name: "Acme <img src=x>".to_owned(), ..branding() };
        let mail = magic_link(&evil, &user("Anna"), email("anna@customer.example"), LINK).expect("renders");
        assert!(!mail.html.contains("<img src=x>"), "{}", mail.html);
    }

    #[test]
    fn only_plain_hex_colours_reach_the_style() {
        for good in ["#0b5cad", "#ABCDEF", "#abc", " #123456 "] {
            assert_eq!(accent_color(good), good.trim());
        }
        for bad in ["", "red", "#12345", "#1234567", "#gggggg", "0b5cad", "#123456; background: url(x)", "#abc\""] {
            assert_eq!(accent_color(bad), DEFAULT_ACCENT, "{bad}");
        }
        let mail = update(None, &[departed()]);
        assert!(mail.html.contains("background: #123456;"));
        let hostile = Branding { accent_color: "red; position: fixed".to_owned(), ..branding() };
        let mail = password_setup(&hostile, &user("Anna"), LINK).expect("renders");
        assert!(mail.html.contains("background: #0b5cad;"), "{}", mail.html);
        assert!(!mail.html.contains("position: fixed"), "{}", mail.html);
    }

    #[test]
    fn text_on_the_accent_stays_readable() {
        assert!(!is_light("#0b5cad"));
        assert!(!is_light("#000"));
        assert!(is_light("#ffd700"));
        assert!(is_light("#fff"));
        let light = Branding { accent_color: "#ffd700".to_owned(), logo_url: None, ..branding() };
        let mail = password_setup(&light, &user("Anna"), LINK).expect("renders");
        assert!(mail.html.contains(&format!("color: {DARK_TEXT};\">Acme Logistics</span>")), "{}", mail.html);
    }

    #[test]
    fn the_header_shows_a_web_logo_or_the_name() {
        let mail = update(None, &[departed()]);
        assert!(mail.html.contains("<img src=\"https://acme.example/logo.png\" alt=\"Acme Logistics\""));
        for logo in ["javascript:alert(1)", "data:image/png;base64,AAAA", "//acme.example/logo.png"] {
            let branding = Branding { logo_url: Some(logo.to_owned()), ..branding() };
            let mail = password_setup(&branding, &user("Anna"), LINK).expect("renders");
            assert!(!mail.html.contains("<img"), "{logo}");
            assert!(mail.html.contains(">Acme Logistics</span>"), "{logo}");
        }
        assert_eq!(logo_url("http://acme.example/l.png"), Some("http://acme.example/l.png"));
    }

    #[test]
    fn the_footer_names_the_company_support_and_reason() {
        let mail = update(None, &[departed()]);
        assert!(both(&mail, "Acme Logistics"));
        assert!(mail.html.contains("<a href=\"mailto:help@acme.example\""));
        assert!(mail.text.contains("Questions? Write to help@acme.example"));
        assert!(both(&mail, "You receive this mail because"));

        let quiet = Branding { support_email: None, ..branding() };
        let mail = magic_link(&quiet, &user("Anna"), email("anna@customer.example"), LINK).expect("renders");
        assert!(!mail.html.contains("mailto:"));
        assert!(!mail.text.contains("Questions?"));
    }

    #[test]
    fn a_shipment_update_carries_route_status_dates_link_and_every_unsubscribe_link() {
        let mail = update(None, &[departed()]);
        assert!(both(&mail, "Hello,"));
        assert!(both(&mail, "Cat Lai (VNSGN) → Long Beach (USLGB)"));
        assert!(both(&mail, "In Transit"));
        assert!(both(&mail, "Tue 20 May 2025, 18:00 (UTC+07:00)"), "ETD");
        assert!(both(&mail, "Tue 27 May 2025, 09:00 (UTC+07:00)"), "ETA");
        assert!(!mail.text.contains("ATA:"), "unknown dates are left out");
        assert!(both(&mail, LINK));
        assert!(mail.html.contains(">View shipment</a>"));
        for link in unsubscribe() {
            assert!(both(&mail, &link.url), "{}", link.url);
            assert!(both(&mail, &format!("Unsubscribe from {}", link.stops)));
        }
        assert_eq!(mail.to, vec![email("anna@customer.example")]);
    }

    #[test]
    fn a_shared_link_explains_the_code_only_when_needed() {
        let unsubscribe = UnsubscribeLink {
            stops: "mails about links shared with you".to_owned(),
            url: "https://portal.example/unsubscribe?token=pu_shared".to_owned(),
        };
        let mail = shared(true, Some(&unsubscribe));
        assert_eq!(mail.subject, "Acme Logistics shared shipment SHP/202505/00080 with you");
        assert!(both(&mail, "six-digit code"));
        assert!(both(&mail, "buyer@consignee.example"));
        assert!(both(&mail, "do not forward"));
        assert!(both(&mail, "Cat Lai (VNSGN) → Long Beach (USLGB)"));
        assert!(both(&mail, LINK));
        assert!(both(&mail, &unsubscribe.url));

        let mail = shared(false, None);
        assert!(!mail.text.contains("six-digit code") && !mail.html.contains("six-digit code"));
        assert!(!mail.text.contains("Unsubscribe") && !mail.html.contains("Unsubscribe"));
        assert_eq!(mail.to, vec![email("buyer@consignee.example")]);
    }

    #[test]
    fn sign_in_mails_say_whose_portal_it_is() {
        let mail = password_setup(&branding(), &user("Anna"), LINK).expect("renders");
        assert_eq!(mail.subject, "Set your password for the Acme Logistics shipment portal");
        assert!(both(&mail, "anna.nguyen") && both(&mail, LINK) && both(&mail, "Hello Anna,"));
        let mail = magic_link(&branding(), &user("Anna"), email("ops@customer.example"), LINK).expect("renders");
        assert_eq!(mail.subject, "Your sign-in link for the Acme Logistics shipment portal");
        assert_eq!(mail.to, vec![email("ops@customer.example")]);
        assert!(both(&mail, LINK));
        let mail =
            link_code(&branding(), email("ops@customer.example"), "SHP/202505/00080", "042137").expect("renders");
        assert_eq!(mail.subject, "Your code to view shipment SHP/202505/00080");
        assert!(both(&mail, "042137") && both(&mail, "Acme Logistics"));
    }

    #[test]
    fn report_columns_come_in_the_given_order_and_only_those() {
        let rows = [list_item("SHP/202505/00080", "HBL123", Some(at(7, 2025, 5, 27, 9, 0)))];
        let mail = report(&["eta", "reference", "status", "bogus", "eta"], &rows, 0);
        assert_eq!(mail.subject, "Acme Logistics: your weekly shipment report");
        let headers: Vec<&str> = mail
            .html
            .split("<th ")
            .skip(1)
            .filter_map(|th| th.split_once('>').and_then(|(_, rest)| rest.split_once("</th>")).map(|(h, _)| h))
            .collect();
        assert_eq!(headers, ["ETA", "Reference", "Status"]);
        let eta = mail.html.find(">27 May 2025</td>").expect("eta cell");
        let reference = mail.html.find(">SHP/202505/00080</td>").expect("reference cell");
        let status = mail.html.find(">In Transit</td>").expect("status cell");
        assert!(eta < reference && reference < status);
        for hidden in ["HBL123", "Cat Lai", "20 May 2025"] {
            assert!(!mail.html.contains(hidden) && !mail.text.contains(hidden), "{hidden}");
        }
        assert!(mail.text.contains("\nSHP/202505/00080 — ETA 27 May 2025, In Transit\n"), "{}", mail.text);
    }

    #[test]
    fn report_cells_for_unknown_values_are_blank() {
        let rows = [list_item("SHP/202505/00081", "", None)];
        let mail = report(&["reference", "hbl_no", "eta"], &rows, 0);
        assert_eq!(mail.html.matches("vertical-align: top;\"></td>").count(), 2, "{}", mail.html);
        assert!(mail.text.contains("\nSHP/202505/00081\n"), "{}", mail.text);
        let mail = report(&["reference", "etd", "pol", "pod", "hbl_no"], &[list_item("SHP/1", "H1", None)], 0);
        assert!(mail.text.contains("SHP/1 — ETD 20 May 2025, from Cat Lai (VNSGN), to Long Beach (USLGB), HBL H1"));
    }

    #[test]
    fn a_report_says_how_many_more_are_in_the_portal() {
        let rows = [list_item("SHP/202505/00080", "HBL123", None)];
        let mail = report(&["reference"], &rows, 7);
        assert!(both(&mail, "and 7 more in the portal"));
        let mail = report(&["reference"], &rows, 0);
        assert!(!mail.text.contains("more in the portal") && !mail.html.contains("more in the portal"));
        let mail = report(&["reference"], &[], 0);
        assert!(both(&mail, "no open shipments"));
        assert!(!mail.html.contains("<table cellpadding"), "no empty table");
        let counted_in_part = periodic_report(
            &branding(),
            vec![email("anna@customer.example")],
            "Anna",
            ReportFrequency::Weekly,
            &["reference".to_owned()],
            &rows,
            300,
            true,
            "https://portal.example/portal",
            &unsubscribe_link("the periodic shipment report", "pu_report"),
        )
        .expect("renders");
        assert!(both(&counted_in_part, "and at least 300 more in the portal"));
    }

    #[test]
    fn a_report_links_the_portal_and_its_unsubscribe_link() {
        let mail = report(&["reference"], &[list_item("SHP/202505/00080", "", None)], 0);
        assert!(mail.html.contains("href=\"https://portal.example/portal\""));
        assert!(mail.text.contains("Open the portal: https://portal.example/portal\n"));
        assert!(both(&mail, "https://portal.example/portal/unsubscribe?token=pu_report"));
        assert!(both(&mail, "Unsubscribe from the periodic shipment report"));
    }

    #[test]
    fn every_report_column_has_a_header() {
        for name in crate::input::REPORT_COLUMNS {
            assert!(Column::parse(name).is_some(), "{name}");
        }
    }

    #[test]
    fn subjects_are_one_line() {
        let branding = Branding { company_name: "Acme\r\nBcc: x@evil.example".to_owned(), ..branding() };
        let mail = password_setup(&branding, &user("Anna"), LINK).expect("renders");
        assert!(!mail.subject.contains(['\r', '\n']), "{}", mail.subject);
    }
}
