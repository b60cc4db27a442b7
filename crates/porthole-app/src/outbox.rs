//! The mail outbox: turning recorded causes into queued mail, and sending it.
//!
//! A change that owes mail records its cause in the change's own
//! transaction (see [`MailCause`]). The worker (`porthole serve` runs one;
//! any number may run against one PostgreSQL) then repeats one pass:
//!
//! 1. *Reports*: the latest due periodic-report slot is recorded as a cause,
//!    once per slot however many instances ask (a unique key).
//! 2. *Dispatch*: due causes become one queued mail per recipient, with a
//!    unique dedupe key (cause and recipient), in one transaction that also
//!    marks the causes done. Changes to one shipment wait until the first of
//!    them is `coalesce_window` old, and then go out together: a burst of
//!    ten events is one mail. Recipients are chosen by the domain's rule at
//!    this moment: active users who see the shipment and want at least one
//!    of its notices, and the updating recipients of its live share links.
//! 3. *Send*: due mails are claimed (so no other worker takes them),
//!    rendered, and sent. Rendering re-checks the recipient against the
//!    rule and their switches, and mints the mail's secrets (setup link,
//!    share-link address, unsubscribe links) only now, so none is ever
//!    stored in clear. A failed send is retried with exponential backoff,
//!    and after `max_attempts` marked failed for an operator to see and
//!    retry.
//!
//! What "exactly once" means here: a crash after a commit and before the
//! send loses nothing (the cause or the queued mail waits in the database),
//! and a cause is never queued twice for one recipient. A crash in the
//! instant between the SMTP server accepting a mail and the outbox
//! recording it leaves that mail claimed; it is sent again when the claim
//! lapses. No mail protocol can close that window from the sender's side.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};
use porthole_domain::projection::{list_item_for, reason_for};
use porthole_domain::{
    LinkStatus, NotificationCategory, Organization, OrganizationId, PortalListItem, ReportFrequency, ShareLinkId,
    ShipmentId, ShipmentNotice, Status, TrackingUser, TrackingUserId, UserState, ViewerChange, project_for_link,
    project_for_user, scope_of,
};

use crate::error::AppError;
use crate::mails::{self, ShipmentFacts, UnsubscribeLink};
use crate::ports::{
    AttemptOutcome, CauseId, LinkMailToken, LinkMailTokenPurpose, Mail, MailCause, MailContent, MailRecipient,
    NewOutboxMail, OutboxCounts, OutboxMail, OutboxMailId, OutboxStatus, PendingCause, ShipmentQuery, StoredShareLink,
};
use crate::secret::Secret;
use crate::service::Porthole;

/// Causes dispatched per pass at most; the next pass takes the rest.
const CAUSES_PER_PASS: u64 = 200;
/// Mails claimed at a time: one, so each mail's lease starts when its own
/// send does and outlasts it (the lease is longer than a send may take).
const MAILS_PER_CLAIM: u64 = 1;
/// Mails sent per pass at most, so causes and reports get their turn while
/// a large report goes out.
const MAILS_PER_PASS: usize = 500;
/// Users read per page when a report is dispatched.
const USERS_PER_PAGE: u64 = 1_000;
/// Open shipments listed in one report at most.
const REPORT_ROWS: usize = 100;
/// Open shipments of one status counted for a report at most; past it the
/// report says "at least".
const REPORT_COUNT_LIMIT: u64 = 1_000;
/// A report slot missed by more than this (the server was down) is
/// skipped rather than sent late.
const REPORT_GRACE: Duration = Duration::hours(6);

/// What one pass of the worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxPass {
    /// Causes turned into queued mail.
    pub dispatched: usize,
    pub sent: usize,
    pub skipped: usize,
    /// Attempts that failed and will be retried.
    pub retried: usize,
    /// Mails given up on after their last attempt.
    pub failed: usize,
}

impl OutboxPass {
    pub fn did_anything(&self) -> bool {
        *self != Self::default()
    }
}

/// A mail rendered for sending, or why it is not sent.
enum Rendered {
    Mail(Mail),
    Skip(String),
}

impl Porthole {
    // ---- The worker --------------------------------------------------------

    /// One pass of the outbox worker: schedules due reports, dispatches due
    /// causes, then sends the mail that was due when the pass began.
    pub async fn run_outbox_pass(&self) -> Result<OutboxPass, AppError> {
        self.run_outbox_pass_while(&|| true).await
    }

    /// [`Self::run_outbox_pass`], asking `keep_going` before each mail so a
    /// stopping server ends the pass between two sends, never in one.
    ///
    /// Only mail due when the pass began is claimed, and at most
    /// [`MAILS_PER_PASS`]: a mail that fails and becomes due again within
    /// the pass waits for the next one, so a slow or failing mail server
    /// cannot hold dispatch and reports back.
    pub async fn run_outbox_pass_while(&self, keep_going: &(dyn Fn() -> bool + Sync)) -> Result<OutboxPass, AppError> {
        self.schedule_due_reports().await?;
        let mut pass = OutboxPass { dispatched: self.dispatch_due_causes().await?, ..OutboxPass::default() };
        let began = self.ports.clock.now();
        let mut attempts = 0;
        while attempts < MAILS_PER_PASS && keep_going() {
            let lease_until = self.ports.clock.now() + self.retry_duration(self.settings.notifications.claim_lease);
            let claimed = self.ports.outbox.claim_due_mails(began, lease_until, MAILS_PER_CLAIM).await?;
            if claimed.is_empty() {
                break;
            }
            for mail in &claimed {
                attempts += 1;
                let outcome = self.attempt(mail).await;
                match &outcome {
                    AttemptOutcome::Sent { .. } => pass.sent += 1,
                    AttemptOutcome::Skipped { .. } => pass.skipped += 1,
                    AttemptOutcome::Retry { .. } => pass.retried += 1,
                    AttemptOutcome::GaveUp { .. } => pass.failed += 1,
                }
                self.ports.outbox.finish_attempt(mail.id, &outcome).await?;
            }
        }
        Ok(pass)
    }

    /// Records the latest periodic-report slot of each frequency, if it is
    /// due and not recorded yet. The slot's key makes this once per slot
    /// across restarts and instances.
    /// This process remembers the slots it recorded, so it writes once per
    /// slot, not once per pass.
    async fn schedule_due_reports(&self) -> Result<(), AppError> {
        let now = self.ports.clock.now();
        for frequency in ReportFrequency::ALL {
            let slot = self.latest_report_slot(frequency, now);
            if now - slot > REPORT_GRACE || self.report_slot_recorded(frequency) == Some(slot) {
                continue;
            }
            let key = format!("report:{}:{}", frequency.as_str(), slot.to_rfc3339());
            if self.ports.outbox.insert_cause(&MailCause::PeriodicReport { frequency, slot }, Some(key)).await? {
                tracing::info!(frequency = frequency.as_str(), %slot, "periodic report due");
            }
            if let Ok(mut recorded) = self.report_slots.lock() {
                recorded.insert(frequency, slot);
            }
        }
        Ok(())
    }

    fn report_slot_recorded(&self, frequency: ReportFrequency) -> Option<DateTime<Utc>> {
        self.report_slots.lock().ok().and_then(|recorded| recorded.get(&frequency).copied())
    }

    /// The start of the latest report slot at or before `now`: the report
    /// hour in the report time zone, every day or on the report weekday.
    pub fn latest_report_slot(&self, frequency: ReportFrequency, now: DateTime<Utc>) -> DateTime<Utc> {
        let settings = &self.settings.notifications;
        let zone = settings.report_timezone;
        let hour = NaiveTime::from_hms_opt(settings.report_hour.min(23), 0, 0).unwrap_or(NaiveTime::MIN);
        let mut day = now.with_timezone(&zone).date_naive();
        loop {
            let wanted_day = frequency == ReportFrequency::Daily || day.weekday() == settings.report_weekday;
            // A report hour skipped by a daylight-saving change falls back to
            // the day's first valid instant after it.
            let slot = zone
                .from_local_datetime(&day.and_time(hour))
                .earliest()
                .or_else(|| zone.from_local_datetime(&(day.and_time(hour) + Duration::hours(1))).earliest())
                .map(|t| t.with_timezone(&Utc));
            match slot {
                Some(slot) if wanted_day && slot <= now => return slot,
                _ => match day.pred_opt() {
                    Some(previous) => day = previous,
                    None => return now,
                },
            }
        }
    }

    /// Turns due causes into queued mail. Returns how many causes were
    /// dispatched. A cause that cannot be handled now (its rows cannot be
    /// read) is logged and left for a later pass; the others go on.
    async fn dispatch_due_causes(&self) -> Result<usize, AppError> {
        let now = self.ports.clock.now();
        let settled_before = now - self.retry_duration(self.settings.notifications.coalesce_window);
        let causes = self.ports.outbox.due_causes(settled_before, CAUSES_PER_PASS).await?;
        let mut changes: BTreeMap<ShipmentId, Vec<PendingCause>> = BTreeMap::new();
        let mut dispatched = 0;
        for pending in causes {
            if let MailCause::ShipmentChanged { shipment_id, .. } = &pending.cause {
                changes.entry(shipment_id.clone()).or_default().push(pending);
                continue;
            }
            let handled = async { self.dispatch(&[pending.id], &self.mails_for(&pending).await?).await }.await;
            match handled {
                Ok(count) => dispatched += count,
                Err(error) => {
                    tracing::error!(cause = pending.id, kind = pending.cause.kind(), %error, "mail cause not dispatched; will try again")
                }
            }
        }
        for (shipment_id, burst) in changes {
            let ids: Vec<CauseId> = burst.iter().map(|p| p.id).collect();
            let handled = async {
                let mails = self.update_mails(&shipment_id, burst).await?;
                self.dispatch(&ids, &mails).await
            }
            .await;
            match handled {
                Ok(count) => dispatched += count,
                Err(error) => {
                    tracing::error!(shipment = %shipment_id, causes = ?ids, %error, "shipment changes not dispatched; will try again")
                }
            }
        }
        Ok(dispatched)
    }

    async fn dispatch(&self, ids: &[CauseId], mails: &[NewOutboxMail]) -> Result<usize, AppError> {
        let now = self.ports.clock.now();
        if self.ports.outbox.dispatch_causes(ids, mails, now).await? {
            tracing::info!(causes = ?ids, mails = mails.len(), "mail causes dispatched");
            Ok(ids.len())
        } else {
            tracing::debug!(causes = ?ids, "mail causes dispatched by another worker");
            Ok(0)
        }
    }

    /// One mail per recipient of a cause that is not a shipment change.
    async fn mails_for(&self, pending: &PendingCause) -> Result<Vec<NewOutboxMail>, AppError> {
        let id = pending.id;
        Ok(match &pending.cause {
            MailCause::ShipmentChanged { .. } => Vec::new(),
            MailCause::PasswordSetup { tracking_user_id } => vec![NewOutboxMail {
                dedupe_key: format!("cause:{id}:user:{tracking_user_id}"),
                recipient: MailRecipient::User(tracking_user_id.clone()),
                content: MailContent::PasswordSetup,
            }],
            MailCause::LinkShared { link_id } => match self.ports.share_links.share_link(link_id).await? {
                None => Vec::new(),
                Some(stored) => stored
                    .link
                    .recipients
                    .iter()
                    .map(|recipient| NewOutboxMail {
                        dedupe_key: format!("cause:{id}:link:{link_id}:{}", recipient.email),
                        recipient: MailRecipient::LinkRecipient {
                            link_id: link_id.clone(),
                            email: recipient.email.clone(),
                        },
                        content: MailContent::LinkShared,
                    })
                    .collect(),
            },
            MailCause::PeriodicReport { frequency, slot } => self.report_mails(*frequency, *slot).await?,
        })
    }

    /// One burst of changes to a shipment, judged as one change, as mail to
    /// the users who see the shipment and want at least one of its notices,
    /// and to the updating recipients of its live links. News withdrawn
    /// within the burst (a departure retracted) is left out.
    async fn update_mails(
        &self,
        shipment_id: &ShipmentId,
        burst: Vec<PendingCause>,
    ) -> Result<Vec<NewOutboxMail>, AppError> {
        let first_cause = burst.iter().map(|p| p.id).min().unwrap_or_default();
        let Some(record) = self.ports.shipments.shipment_record(shipment_id).await? else {
            return Ok(Vec::new());
        };
        let change = ViewerChange::merge(burst.into_iter().filter_map(|pending| match pending.cause {
            MailCause::ShipmentChanged { change, .. } => Some(change),
            _ => None,
        }));
        let notices = match change {
            Some(change) => change.without_withdrawn(&record.events).notices(&self.settings.notifications.policy),
            None => Vec::new(),
        };
        if notices.is_empty() {
            return Ok(Vec::new());
        }
        let notices = notices.as_slice();
        let content = MailContent::ShipmentUpdate { shipment_id: shipment_id.clone(), notices: notices.to_vec() };
        let categories: BTreeSet<NotificationCategory> = notices.iter().map(ShipmentNotice::category).collect();
        let mut parties = vec![record.shipment.customer_id.clone()];
        parties.extend(record.shipment.shipper_id.clone());
        parties.extend(record.shipment.consignee_id.clone());
        parties.extend(record.master.as_ref().and_then(|m| m.overseas_agent_id.clone()));
        let users = self.ports.tracking_users.tracking_users_in(&parties).await?;
        let organizations = self.organizations_of(&users).await?;
        let mut mails: Vec<NewOutboxMail> = users
            .iter()
            .filter(|user| reason_for(user, &organizations, &record).is_some())
            .filter(|user| categories.iter().any(|c| wants(user, *c)))
            .map(|user| NewOutboxMail {
                dedupe_key: format!("update:{first_cause}:user:{}", user.id),
                recipient: MailRecipient::User(user.id.clone()),
                content: content.clone(),
            })
            .collect();
        for stored in self.ports.share_links.share_links_of(shipment_id).await? {
            if self.link_status(&stored) != LinkStatus::Active {
                continue;
            }
            for recipient in stored.link.recipients.iter().filter(|r| r.receives_updates) {
                mails.push(NewOutboxMail {
                    dedupe_key: format!("update:{first_cause}:link:{}:{}", stored.link.id, recipient.email),
                    recipient: MailRecipient::LinkRecipient {
                        link_id: stored.link.id.clone(),
                        email: recipient.email.clone(),
                    },
                    content: content.clone(),
                });
            }
        }
        Ok(mails)
    }

    /// One report mail per active user who asked for this frequency.
    async fn report_mails(
        &self,
        frequency: ReportFrequency,
        slot: DateTime<Utc>,
    ) -> Result<Vec<NewOutboxMail>, AppError> {
        let mut mails = Vec::new();
        let mut after: Option<TrackingUserId> = None;
        loop {
            let page = self.ports.tracking_users.tracking_users(after.clone(), USERS_PER_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            let full_page = page.len() as u64 == USERS_PER_PAGE;
            mails.extend(
                page.iter()
                    .filter(|user| user.state == UserState::Active)
                    .filter(|user| {
                        user.notifications.periodic_report.as_ref().is_some_and(|r| r.frequency == frequency)
                    })
                    .map(|user| NewOutboxMail {
                        dedupe_key: format!("report:{}:{}:user:{}", frequency.as_str(), slot.to_rfc3339(), user.id),
                        recipient: MailRecipient::User(user.id.clone()),
                        content: MailContent::PeriodicReport { frequency, slot },
                    }),
            );
            if !full_page {
                break;
            }
        }
        Ok(mails)
    }

    // ---- Sending -----------------------------------------------------------

    /// Renders and sends one claimed mail; never fails, so one bad mail
    /// cannot stop the rest.
    async fn attempt(&self, mail: &OutboxMail) -> AttemptOutcome {
        let rendered = match self.render(mail).await {
            Ok(rendered) => rendered,
            Err(error) => return self.failed_attempt(mail, &error.to_string()),
        };
        let now = self.ports.clock.now();
        match rendered {
            Rendered::Skip(reason) => {
                tracing::info!(mail = mail.id, kind = mail.content.kind(), %reason, "queued mail skipped");
                AttemptOutcome::Skipped { at: now, reason }
            }
            Rendered::Mail(message) => match self.ports.mailer.send(&message).await {
                Ok(()) => {
                    tracing::info!(mail = mail.id, kind = mail.content.kind(), "mail sent");
                    AttemptOutcome::Sent { at: self.ports.clock.now() }
                }
                Err(error) => self.failed_attempt(mail, &error.to_string()),
            },
        }
    }

    fn failed_attempt(&self, mail: &OutboxMail, error: &str) -> AttemptOutcome {
        let settings = &self.settings.notifications;
        let now = self.ports.clock.now();
        if mail.attempts >= settings.max_attempts {
            tracing::error!(mail = mail.id, attempts = mail.attempts, %error, "mail failed for the last time; see `porthole outbox list --status failed`");
            return AttemptOutcome::GaveUp { at: now, error: error.to_owned() };
        }
        let delay = retry_delay(
            self.retry_duration(settings.first_retry_delay),
            self.retry_duration(settings.max_retry_delay),
            mail.attempts,
        );
        tracing::warn!(mail = mail.id, attempts = mail.attempts, %error, retry_in_s = delay.num_seconds(), "mail not sent; will retry");
        AttemptOutcome::Retry { retry_at: now + delay, error: error.to_owned() }
    }

    async fn render(&self, mail: &OutboxMail) -> Result<Rendered, AppError> {
        match (&mail.recipient, &mail.content) {
            (MailRecipient::User(id), content) => {
                let Some(user) = self.ports.tracking_users.tracking_user(id).await? else {
                    return Ok(Rendered::Skip("the tracking user no longer exists".into()));
                };
                self.render_for_user(&user, content).await
            }
            (MailRecipient::LinkRecipient { link_id, email }, content) => {
                let Some(stored) = self.ports.share_links.share_link(link_id).await? else {
                    return Ok(Rendered::Skip("the share link no longer exists".into()));
                };
                if self.link_status(&stored) != LinkStatus::Active {
                    return Ok(Rendered::Skip("the share link is no longer live".into()));
                }
                let Some(recipient) = stored.link.recipients.iter().find(|r| r.email == *email) else {
                    return Ok(Rendered::Skip("the address is no longer a recipient of the link".into()));
                };
                let receives_updates = recipient.receives_updates;
                self.render_for_link_recipient(&stored, email, receives_updates, content).await
            }
        }
    }

    async fn render_for_user(&self, user: &TrackingUser, content: &MailContent) -> Result<Rendered, AppError> {
        let branding = &self.settings.branding;
        let to: Vec<_> = user.all_emails().cloned().collect();
        match content {
            MailContent::PasswordSetup => {
                // Staff may send an active user a new setup link (a reset);
                // only a disabled user gets none.
                if user.state == UserState::Disabled {
                    return Ok(Rendered::Skip("the user is disabled".into()));
                }
                let link = self.password_setup_link(user).await?;
                Ok(Rendered::Mail(mails::password_setup(branding, user, &link)?))
            }
            MailContent::ShipmentUpdate { shipment_id, notices } => {
                let organizations = self.organizations_of(std::slice::from_ref(user)).await?;
                let Some(record) = self.ports.shipments.shipment_record(shipment_id).await? else {
                    return Ok(Rendered::Skip("the shipment no longer exists".into()));
                };
                let Some(view) = project_for_user(user, &organizations, &record) else {
                    return Ok(Rendered::Skip("the user may no longer see the shipment".into()));
                };
                let wanted: Vec<ShipmentNotice> =
                    notices.iter().filter(|n| wants(user, n.category())).cloned().collect();
                if wanted.is_empty() {
                    return Ok(Rendered::Skip("the user turned these mails off".into()));
                }
                let mut unsubscribe = Vec::new();
                let categories: BTreeSet<NotificationCategory> = wanted.iter().map(ShipmentNotice::category).collect();
                for category in categories {
                    let url = self.unsubscribe_link(&user.id, category).await?;
                    unsubscribe.push(UnsubscribeLink { stops: category_in_words(category).to_owned(), url });
                }
                let facts = ShipmentFacts {
                    reference: view.reference.as_str(),
                    pol: &view.pol,
                    pod: &view.pod,
                    status: view.status,
                    dates: &view.dates,
                };
                let link = format!("{}/portal/shipments/{}", self.settings.public_url, view.id);
                let mail =
                    mails::shipment_update(branding, to, Some(&user.first_name), &facts, &wanted, &link, &unsubscribe)?;
                Ok(Rendered::Mail(mail))
            }
            MailContent::PeriodicReport { frequency, .. } => {
                let Some(report) = user.notifications.periodic_report.as_ref().filter(|r| r.frequency == *frequency)
                else {
                    return Ok(Rendered::Skip("the user no longer asks for this report".into()));
                };
                if user.state != UserState::Active {
                    return Ok(Rendered::Skip(format!("the user is {}", user.state.as_str())));
                }
                let organizations = self.organizations_of(std::slice::from_ref(user)).await?;
                if !porthole_domain::may_sign_in(user, &organizations) {
                    return Ok(Rendered::Skip("the user's portal access is off".into()));
                }
                let (rows, more, more_at_least) = self.open_shipments(user, &organizations).await?;
                let url = self.unsubscribe_link(&user.id, NotificationCategory::PeriodicReport).await?;
                let unsubscribe =
                    UnsubscribeLink { stops: category_in_words(NotificationCategory::PeriodicReport).to_owned(), url };
                let portal = format!("{}/portal/shipments", self.settings.public_url);
                let mail = mails::periodic_report(
                    branding,
                    to,
                    &user.first_name,
                    *frequency,
                    &report.columns,
                    &rows,
                    more,
                    more_at_least,
                    &portal,
                    &unsubscribe,
                )?;
                Ok(Rendered::Mail(mail))
            }
            MailContent::LinkShared => Ok(Rendered::Skip("a share-link mail addressed to a user".into())),
        }
    }

    async fn render_for_link_recipient(
        &self,
        stored: &StoredShareLink,
        email: &porthole_domain::Email,
        receives_updates: bool,
        content: &MailContent,
    ) -> Result<Rendered, AppError> {
        let link = &stored.link;
        let Some(record) = self.ports.shipments.shipment_record(&link.shipment_id).await? else {
            return Ok(Rendered::Skip("the shipment no longer exists".into()));
        };
        let view = project_for_link(&record, link.sections);
        let facts = ShipmentFacts {
            reference: view.reference.as_str(),
            pol: &view.pol,
            pod: &view.pod,
            status: view.status,
            dates: &view.dates,
        };
        let branding = &self.settings.branding;
        match content {
            MailContent::LinkShared => {
                let open = self.link_mail_url(&link.id, email, LinkMailTokenPurpose::Open).await?;
                let unsubscribe = if receives_updates {
                    let url = self.link_mail_url(&link.id, email, LinkMailTokenPurpose::Unsubscribe).await?;
                    Some(UnsubscribeLink { stops: "updates about this shipment".to_owned(), url })
                } else {
                    None
                };
                let mail = mails::link_shared(
                    branding,
                    email.clone(),
                    &facts,
                    &open,
                    link.require_verification,
                    unsubscribe.as_ref(),
                )?;
                Ok(Rendered::Mail(mail))
            }
            MailContent::ShipmentUpdate { notices, .. } => {
                if !receives_updates {
                    return Ok(Rendered::Skip("the recipient no longer receives updates".into()));
                }
                let open = self.link_mail_url(&link.id, email, LinkMailTokenPurpose::Open).await?;
                let url = self.link_mail_url(&link.id, email, LinkMailTokenPurpose::Unsubscribe).await?;
                let unsubscribe = [UnsubscribeLink { stops: "updates about this shipment".to_owned(), url }];
                let mail =
                    mails::shipment_update(branding, vec![email.clone()], None, &facts, notices, &open, &unsubscribe)?;
                Ok(Rendered::Mail(mail))
            }
            MailContent::PasswordSetup | MailContent::PeriodicReport { .. } => {
                Ok(Rendered::Skip("a portal-user mail addressed to a share-link recipient".into()))
            }
        }
    }

    /// Mints a token for one mail to one recipient of a link: one that
    /// opens the link (at `/t/…`, like the link's own) or one that stops
    /// their updates (at the unsubscribe page).
    async fn link_mail_url(
        &self,
        link_id: &ShareLinkId,
        email: &porthole_domain::Email,
        purpose: LinkMailTokenPurpose,
    ) -> Result<String, AppError> {
        let secret = Secret::generate_url_token().map_err(|e| AppError::Unavailable(format!("random source: {e}")))?;
        let token = LinkMailToken {
            digest: secret.digest(),
            link_id: link_id.clone(),
            email: email.clone(),
            purpose,
            created_at: self.ports.clock.now(),
        };
        self.ports.share_links.insert_link_mail_token(&token).await?;
        Ok(match purpose {
            LinkMailTokenPurpose::Open => format!("{}/t/{}", self.settings.public_url, secret.expose()),
            LinkMailTokenPurpose::Unsubscribe => {
                format!("{}/portal/unsubscribe?token={}", self.settings.public_url, secret.expose())
            }
        })
    }

    /// The user's open shipments (confirmed or in transit), newest first,
    /// at most [`REPORT_ROWS`]; how many more there are; and whether that
    /// count stopped at [`REPORT_COUNT_LIMIT`] per status (so there may be
    /// more still).
    async fn open_shipments(
        &self,
        user: &TrackingUser,
        organizations: &[Organization],
    ) -> Result<(Vec<PortalListItem>, u64, bool), AppError> {
        let scope = scope_of(user, organizations);
        let mut rows = Vec::new();
        let mut cut = false;
        for status in [Status::InTransit, Status::Confirmed] {
            let query = ShipmentQuery { status: Some(status), search: None, before: None, limit: REPORT_COUNT_LIMIT };
            let found = self.ports.shipments.shipments_in_scope(&scope, &query).await?;
            cut |= found.len() as u64 >= REPORT_COUNT_LIMIT;
            rows.extend(found.iter().filter_map(|summary| list_item_for(user, organizations, summary)));
        }
        rows.sort_by(|a, b| b.reference.cmp(&a.reference));
        let more = rows.len().saturating_sub(REPORT_ROWS) as u64;
        rows.truncate(REPORT_ROWS);
        Ok((rows, more, cut))
    }

    async fn organizations_of(&self, users: &[TrackingUser]) -> Result<Vec<Organization>, AppError> {
        let ids: BTreeSet<OrganizationId> = users.iter().flat_map(|u| u.organization_ids.iter().cloned()).collect();
        Ok(self.ports.organizations.organizations(&ids.into_iter().collect::<Vec<_>>()).await?)
    }

    fn link_status(&self, stored: &StoredShareLink) -> LinkStatus {
        let grace = Duration::from_std(self.settings.delivery_grace).unwrap_or(Duration::days(7));
        stored.link.status(self.ports.clock.now(), stored.delivered_at, grace)
    }

    fn retry_duration(&self, duration: std::time::Duration) -> Duration {
        Duration::from_std(duration).unwrap_or(Duration::hours(1))
    }

    // ---- Operators ---------------------------------------------------------

    /// How the outbox stands, and the newest mails (of one status, or all).
    pub async fn outbox_overview(
        &self,
        status: Option<OutboxStatus>,
        limit: u64,
    ) -> Result<(OutboxCounts, Vec<OutboxMail>), AppError> {
        let counts = self.ports.outbox.outbox_counts().await?;
        let mails = self.ports.outbox.outbox_mails(status, limit).await?;
        Ok((counts, mails))
    }

    /// Queues a failed mail again, due now with fresh attempts. `Ok(false)`
    /// when the mail is not failed; `NotFound` when there is no such mail.
    pub async fn retry_outbox_mail(&self, id: OutboxMailId) -> Result<bool, AppError> {
        let retried = self.ports.outbox.retry_mail(id, self.ports.clock.now()).await?;
        if retried {
            tracing::info!(mail = id, "failed mail queued again by an operator");
        }
        Ok(retried)
    }

    /// Drops every shipment change still waiting to become mail, so that
    /// history loaded in bulk (an import, the demo's seeding) mails nobody.
    /// Mail already queued is left alone. Returns how many changes were
    /// dropped.
    pub async fn discard_waiting_changes(&self) -> Result<u64, AppError> {
        let discarded = self.ports.outbox.discard_waiting_changes(self.ports.clock.now()).await?;
        if discarded > 0 {
            tracing::info!(discarded, "waiting shipment changes dropped without mail");
        }
        Ok(discarded)
    }

    /// Queues every mail that is failed now again; returns how many. Mail
    /// that fails again meanwhile is not retried twice by one call.
    pub async fn retry_failed_mails(&self) -> Result<usize, AppError> {
        let failed = self.ports.outbox.outbox_mails(Some(OutboxStatus::Failed), u64::from(u32::MAX)).await?;
        let mut retried = 0;
        for mail in failed {
            if self.retry_outbox_mail(mail.id).await? {
                retried += 1;
            }
        }
        Ok(retried)
    }
}

/// Whether the user's switches let this kind of mail through.
fn wants(user: &TrackingUser, category: NotificationCategory) -> bool {
    let switches = &user.notifications;
    match category {
        NotificationCategory::JourneyUpdated => switches.journey_updated,
        NotificationCategory::EtaChanged => switches.eta_changed,
        NotificationCategory::DocumentStatus => switches.document_status,
        NotificationCategory::PeriodicReport => switches.periodic_report.is_some(),
    }
}

/// What an unsubscribe link of this category stops, in words.
pub(crate) fn category_in_words(category: NotificationCategory) -> &'static str {
    match category {
        NotificationCategory::JourneyUpdated => "milestone mails (departed, arrived, delivered, …)",
        NotificationCategory::EtaChanged => "ETD and ETA change mails",
        NotificationCategory::DocumentStatus => "document mails (bill of lading, customs release)",
        NotificationCategory::PeriodicReport => "the periodic shipment report",
    }
}

/// The wait before the next attempt after `attempts` failed ones: `first`,
/// doubling each time, never more than `max`.
fn retry_delay(first: Duration, max: Duration, attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(20);
    first.checked_mul(1 << doublings).map_or(max, |delay| delay.min(max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap() {
        let (first, max) = (Duration::seconds(30), Duration::hours(1));
        let delays: Vec<i64> = (1..=10).map(|n| retry_delay(first, max, n).num_seconds()).collect();
        assert_eq!(delays, vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(retry_delay(first, max, u32::MAX), max);
    }
}
