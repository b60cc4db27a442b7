//! Share links: staff make per-shipment links; recipients open them without
//! an account, proving their e-mail first where the link asks for it.
//!
//! A link's token is shown once, in its URL, and stored only as a digest.
//! Whether a link lives is decided on every request by the domain
//! ([`ShareLink::status`]) from the injected clock. A viewer who got in
//! holds a cookie session bound to the link; revoking the link, or giving it
//! a new token, ends those sessions at once.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Duration, Utc};
use porthole_domain::share::MAX_RECIPIENTS;
use porthole_domain::{
    CodeCheck, Email, LinkShipmentView, LinkStatus, ShareLink, ShareLinkId, ShareRecipient, ShareSections, ShipmentId,
    project_for_link,
};

use crate::error::{AppError, FieldError};
use crate::input::{email, optional_timestamp};
use crate::mails;
use crate::ports::{LinkAccess, LinkAccessEntry, LinkSession, MailCause, StoredShareLink, VerificationCode};
use crate::secret::{Secret, SecretDigest};
use crate::service::Porthole;

/// The most shipments one bulk request may link.
pub const MAX_BULK_LINKS: usize = 500;
/// How many access-log entries staff are shown.
const ACCESS_LOG_LIMIT: u64 = 500;

/// Share-page views held while the database cannot take them; beyond this
/// the oldest are dropped, so an outage cannot exhaust memory.
pub const MAX_PENDING_VIEWS: usize = 100_000;

/// Share-page views not yet in the access log, oldest first.
#[derive(Debug, Default)]
pub(crate) struct PendingViews(Mutex<Vec<(ShareLinkId, LinkAccessEntry)>>);

impl PendingViews {
    /// Queues a view; returns how many now wait.
    fn push(&self, link: ShareLinkId, entry: LinkAccessEntry) -> usize {
        let mut views = self.lock();
        views.push((link, entry));
        views.len()
    }

    fn take(&self) -> Vec<(ShareLinkId, LinkAccessEntry)> {
        std::mem::take(&mut *self.lock())
    }

    /// Puts a batch that could not be written back in front of the views
    /// that arrived meanwhile.
    fn put_back(&self, mut batch: Vec<(ShareLinkId, LinkAccessEntry)>) {
        let mut views = self.lock();
        batch.append(&mut views);
        if batch.len() > MAX_PENDING_VIEWS {
            let dropped = batch.len() - MAX_PENDING_VIEWS;
            batch.drain(..dropped);
            tracing::warn!(dropped, "share-page views dropped from the access log: the database is unavailable");
        }
        *views = batch;
    }

    /// A panic while holding the lock cannot leave the list half-changed
    /// (every change is one call on it), so a poisoned lock is still good.
    fn lock(&self) -> MutexGuard<'_, Vec<(ShareLinkId, LinkAccessEntry)>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Longer strings cannot be tokens this server minted.
const MAX_TOKEN_LENGTH: usize = 128;

/// How links are made, as sent: everything but the shipment(s).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShareLinkOptions {
    pub recipients: Option<Vec<String>>,
    pub require_verification: bool,
    pub expires_at: Option<String>,
    pub expire_on_delivery: Option<bool>,
    pub sections: Option<SectionsInput>,
    /// Recipients also receive the shipment's notifications.
    pub notify_recipients: Option<bool>,
}

/// The optional sections, as sent; absent ones are off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SectionsInput {
    pub containers: Option<bool>,
    pub cargo: Option<bool>,
    pub documents: Option<bool>,
}

/// A link just made (or given a new token): the URL is shown this once.
#[derive(Debug, Clone)]
pub struct ShareLinkIssued {
    pub link: ShareLink,
    pub status: LinkStatus,
    pub url: String,
}

/// A link as staff see it later: no URL (only its digest is kept).
#[derive(Debug, Clone)]
pub struct ShareLinkOverview {
    pub link: ShareLink,
    pub status: LinkStatus,
}

/// A link with its access log.
#[derive(Debug, Clone)]
pub struct ShareLinkDetails {
    pub link: ShareLink,
    pub status: LinkStatus,
    pub access_log: Vec<LinkAccessEntry>,
}

/// What opening `/t/{token}` leads to.
#[derive(Debug)]
pub enum LinkEntry {
    /// The viewer must prove a recipient's address first.
    NeedsVerification { link_id: ShareLinkId },
    /// The viewer is in: keep `session` in a cookie bound to the link.
    Granted(LinkSessionIssued),
}

/// A viewer's new session on one link. `secret` goes into the cookie only.
#[derive(Debug)]
pub struct LinkSessionIssued {
    pub secret: Secret,
    pub link_id: ShareLinkId,
    pub expires_at: DateTime<Utc>,
}

impl Porthole {
    // ---- Staff ----------------------------------------------------------

    pub async fn create_share_link(
        &self,
        shipment_id: &str,
        options: &ShareLinkOptions,
    ) -> Result<ShareLinkIssued, AppError> {
        let mut issued = self.create_share_links_for(&[("shipment_id".to_owned(), shipment_id)], options).await?;
        issued.pop().ok_or_else(|| AppError::Unavailable("no link was made".into()))
    }

    /// One link per shipment, all or none.
    pub async fn create_share_links(
        &self,
        shipment_ids: &[String],
        options: &ShareLinkOptions,
    ) -> Result<Vec<ShareLinkIssued>, AppError> {
        if shipment_ids.is_empty() {
            return Err(FieldError::new("shipment_ids", "must name at least one shipment").into());
        }
        if shipment_ids.len() > MAX_BULK_LINKS {
            return Err(FieldError::new("shipment_ids", format!("may name at most {MAX_BULK_LINKS} shipments")).into());
        }
        let mut seen = HashSet::new();
        if let Some(i) = shipment_ids.iter().position(|id| !seen.insert(id.trim())) {
            return Err(FieldError::new(format!("shipment_ids[{i}]"), "is listed twice").into());
        }
        let named: Vec<(String, &str)> =
            shipment_ids.iter().enumerate().map(|(i, id)| (format!("shipment_ids[{i}]"), id.as_str())).collect();
        self.create_share_links_for(&named, options).await
    }

    async fn create_share_links_for(
        &self,
        shipments: &[(String, &str)],
        options: &ShareLinkOptions,
    ) -> Result<Vec<ShareLinkIssued>, AppError> {
        let now = self.ports.clock.now();
        let template = parse_options(options, now)?;
        let wanted: Vec<ShipmentId> = shipments.iter().map(|(_, id)| ShipmentId::new(id.trim())).collect();
        let existing: HashSet<ShipmentId> =
            self.ports.shipments.existing_shipment_ids(&wanted).await?.into_iter().collect();
        if let Some(((field, id), _)) = shipments.iter().zip(&wanted).find(|(_, id)| !existing.contains(*id)) {
            return Err(FieldError::new(field.clone(), format!("no shipment has id '{}'", id.trim())).into());
        }
        let mut issued = Vec::with_capacity(shipments.len());
        let mut rows = Vec::with_capacity(shipments.len());
        for (_, id) in shipments {
            let token = new_url_token()?;
            let link = ShareLink {
                id: ShareLinkId::new(self.ports.ids.new_id("lnk_")),
                shipment_id: ShipmentId::new(id.trim()),
                created_at: now,
                ..template.clone()
            };
            rows.push((link.clone(), token.digest()));
            issued.push(ShareLinkIssued { status: LinkStatus::Active, url: self.link_url(&token), link });
        }
        // Recipients hear of their link through the outbox, in the same
        // transaction as the link itself.
        let causes: Vec<MailCause> = rows
            .iter()
            .filter(|(link, _)| !link.recipients.is_empty())
            .map(|(link, _)| MailCause::LinkShared { link_id: link.id.clone() })
            .collect();
        self.ports.share_links.insert_share_links(&rows, &causes).await?;
        for link in &issued {
            tracing::info!(link = %link.link.id, shipment = %link.link.shipment_id, "share link created");
        }
        Ok(issued)
    }

    pub async fn share_link_details(&self, id: &ShareLinkId) -> Result<ShareLinkDetails, AppError> {
        // Views this process holds back belong in the log staff read now.
        self.flush_link_views().await?;
        let stored = self.ports.share_links.share_link(id).await?.ok_or(AppError::NotFound)?;
        let status = self.status_of(&stored);
        let access_log = self.ports.share_links.link_access_log(id, ACCESS_LOG_LIMIT).await?;
        Ok(ShareLinkDetails { link: stored.link, status, access_log })
    }

    /// The shipment's links, newest first. `NotFound` if the shipment is.
    pub async fn share_links_of(&self, shipment_id: &ShipmentId) -> Result<Vec<ShareLinkOverview>, AppError> {
        self.ports.shipments.shipment_record(shipment_id).await?.ok_or(AppError::NotFound)?;
        let links = self.ports.share_links.share_links_of(shipment_id).await?;
        Ok(links
            .into_iter()
            .map(|stored| ShareLinkOverview { status: self.status_of(&stored), link: stored.link })
            .collect())
    }

    /// Revokes at once: the token and every viewer session on it die.
    pub async fn revoke_share_link(&self, id: &ShareLinkId) -> Result<(), AppError> {
        self.ports.share_links.revoke_share_link(id, self.ports.clock.now()).await?;
        tracing::info!(link = %id, "share link revoked");
        Ok(())
    }

    /// A new token for a live link: the old URL and every viewer session on
    /// it die. A revoked or expired link stays dead; make a new one.
    pub async fn regenerate_share_link(&self, id: &ShareLinkId) -> Result<ShareLinkIssued, AppError> {
        let stored = self.ports.share_links.share_link(id).await?.ok_or(AppError::NotFound)?;
        let status = self.status_of(&stored);
        if status != LinkStatus::Active {
            return Err(AppError::Conflict {
                field: "status".into(),
                message: format!("the link is {}; create a new link instead", status.as_str()),
            });
        }
        let token = new_url_token()?;
        self.ports.share_links.replace_share_link_token(id, &token.digest()).await?;
        tracing::info!(link = %id, "share link given a new token; the old one is dead");
        Ok(ShareLinkIssued { link: stored.link, status, url: self.link_url(&token) })
    }

    // ---- Viewers ----------------------------------------------------------

    /// Opens `/t/{token}`. Any token that does not lead to a live link —
    /// malformed, unknown, revoked, expired — is the same `NotFound`.
    pub async fn open_share_link(&self, token: &str) -> Result<LinkEntry, AppError> {
        let stored = self.live_link_by_token(token).await?;
        if stored.link.require_verification {
            return Ok(LinkEntry::NeedsVerification { link_id: stored.link.id });
        }
        Ok(LinkEntry::Granted(self.start_link_session(&stored.link.id, None).await?))
    }

    /// Mails a fresh code if `address` is one of the link's recipients, and
    /// answers the same either way. The new code is the only one that
    /// counts.
    pub async fn request_link_code(&self, token: &str, address: &str, client: Option<IpAddr>) -> Result<(), AppError> {
        let stored = self.live_link_by_token(token).await?;
        let address = email("email", address)?;
        self.throttle_codes(&stored.link.id, client)?;
        let code = Secret::six_digit_code();
        let recipient = stored.link.is_recipient(&address);
        // A non-recipient gets a code too, stored but never mailed and bound
        // to a secret nobody holds: entering digits then answers exactly as
        // for a recipient (tries left, then locked), so the code step cannot
        // tell who is a recipient either.
        let digest = if recipient {
            code_digest(&stored.link.id, &address, code.expose())
        } else {
            SecretDigest::of(Secret::generate("decoy_").map_err(|e| AppError::Unavailable(e.to_string()))?.expose())
        };
        let record = VerificationCode {
            link_id: stored.link.id.clone(),
            email: address.clone(),
            digest,
            sent_at: self.ports.clock.now(),
        };
        self.ports.share_links.insert_verification_code(&record).await?;
        if !recipient {
            tracing::info!(link = %stored.link.id, "code asked for an address that is not a recipient; none sent");
            return Ok(());
        }
        let record_reference = self.ports.shipments.shipment_record(&stored.link.shipment_id).await?;
        let reference = record_reference.map(|r| r.shipment.reference.to_string()).unwrap_or_default();
        let mail = mails::link_code(&self.settings.branding, address, &reference, code.expose())?;
        if let Err(error) = self.ports.mailer.send(&mail).await {
            tracing::error!(link = %stored.link.id, %error, "verification code not sent");
            return Err(AppError::Unavailable(error.to_string()));
        }
        tracing::info!(link = %stored.link.id, "verification code sent");
        Ok(())
    }

    /// Checks an entered code; on success the viewer gets a session bound to
    /// the link, and the verification is logged.
    pub async fn verify_link_code(
        &self,
        token: &str,
        address: &str,
        code: &str,
        client: Option<IpAddr>,
    ) -> Result<LinkSessionIssued, AppError> {
        let stored = self.live_link_by_token(token).await?;
        let address = email("email", address)?;
        self.throttle_codes(&stored.link.id, client)?;
        let code = code.trim();
        if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            return Err(FieldError::new("code", "must be the 6 digits from the e-mail").into());
        }
        let now = self.ports.clock.now();
        let Some((sent, state)) = self.ports.share_links.verification_code(&stored.link.id, &address).await? else {
            return Err(AppError::CodeExpired);
        };
        if state.check(now, false) == CodeCheck::Dead {
            return Err(AppError::CodeExpired);
        }
        // Counted before it is compared: concurrent guesses cannot share
        // more than the code's few attempts.
        if !self.ports.share_links.claim_code_attempt(&sent.digest).await? {
            return Err(AppError::CodeExpired);
        }
        let matches = sent.digest == code_digest(&stored.link.id, &address, code);
        match state.check(now, matches) {
            CodeCheck::Dead => Err(AppError::CodeExpired),
            CodeCheck::Rejected { attempts_left } => {
                tracing::info!(link = %stored.link.id, attempts_left, "wrong verification code");
                Err(AppError::CodeRejected { attempts_left })
            }
            CodeCheck::Accepted => {
                let (session, issued) = self.link_session(&stored.link.id, Some(address.clone()))?;
                if !self.ports.share_links.redeem_verification_code(&sent.digest, &session).await? {
                    return Err(AppError::CodeExpired);
                }
                let entry = LinkAccessEntry {
                    at: now,
                    access: LinkAccess::Verified,
                    email: Some(address),
                    client_address: client.map(|c| c.to_string()),
                };
                self.ports.share_links.record_link_access(&stored.link.id, &entry).await?;
                tracing::info!(link = %stored.link.id, "share link verified");
                Ok(issued)
            }
        }
    }

    /// The shipment behind a viewer's link session, projected with the
    /// link's sections; each call is logged as an open. A dead session, a
    /// session on another link, or a link no longer live is `NotFound`.
    pub async fn shared_shipment(
        &self,
        link_id: &ShareLinkId,
        session_secret: &str,
        client: Option<IpAddr>,
    ) -> Result<LinkShipmentView, AppError> {
        let now = self.ports.clock.now();
        let session = self
            .ports
            .share_links
            .link_session(&SecretDigest::of(session_secret), now)
            .await?
            .filter(|session| session.link_id == *link_id)
            .ok_or(AppError::NotFound)?;
        let stored = self.ports.share_links.share_link(link_id).await?.ok_or(AppError::NotFound)?;
        if self.status_of(&stored) != LinkStatus::Active {
            return Err(AppError::NotFound);
        }
        let record = self.ports.shipments.shipment_record(&stored.link.shipment_id).await?.ok_or(AppError::NotFound)?;
        let entry = LinkAccessEntry {
            at: now,
            access: LinkAccess::Opened,
            email: session.email,
            client_address: client.map(|c| c.to_string()),
        };
        // Exactly one view reaches each multiple of the batch, so while the
        // database is away a write is tried once a batch, not once a view.
        if self.link_views.push(link_id.clone(), entry).is_multiple_of(self.settings.link_view_batch.max(1))
            && let Err(error) = self.flush_link_views().await
        {
            // The views stay queued for the next flush; the page is fine.
            tracing::warn!(%error, "cannot write share-page views to the access log yet");
        }
        Ok(project_for_link(&record, stored.link.sections))
    }

    /// Writes the share-page views waiting for the access log, in one
    /// transaction; returns how many. On failure they wait for the next
    /// flush (the oldest are dropped, with a warning, beyond
    /// [`MAX_PENDING_VIEWS`]).
    ///
    /// Views are batched because each write to SQLite empties every other
    /// connection's page cache: a write per view cost the share page a
    /// third of its speed at scale (BENCHMARKS.md).
    pub async fn flush_link_views(&self) -> Result<usize, AppError> {
        let batch = self.link_views.take();
        if batch.is_empty() {
            return Ok(0);
        }
        match self.ports.share_links.record_link_accesses(&batch).await {
            Ok(()) => Ok(batch.len()),
            Err(error) => {
                self.link_views.put_back(batch);
                Err(error.into())
            }
        }
    }

    fn status_of(&self, stored: &StoredShareLink) -> LinkStatus {
        let grace = Duration::from_std(self.settings.delivery_grace).unwrap_or(Duration::days(7));
        stored.link.status(self.ports.clock.now(), stored.delivered_at, grace)
    }

    async fn live_link_by_token(&self, token: &str) -> Result<StoredShareLink, AppError> {
        let token = token.trim();
        if token.is_empty() || token.len() > MAX_TOKEN_LENGTH {
            return Err(AppError::NotFound);
        }
        let stored =
            self.ports.share_links.share_link_by_token(&SecretDigest::of(token)).await?.ok_or(AppError::NotFound)?;
        match self.status_of(&stored) {
            LinkStatus::Active => Ok(stored),
            LinkStatus::Revoked | LinkStatus::Expired => Err(AppError::NotFound),
        }
    }

    async fn start_link_session(
        &self,
        link_id: &ShareLinkId,
        email: Option<Email>,
    ) -> Result<LinkSessionIssued, AppError> {
        let (session, issued) = self.link_session(link_id, email)?;
        self.ports.share_links.insert_link_session(&session).await?;
        Ok(issued)
    }

    fn link_session(
        &self,
        link_id: &ShareLinkId,
        email: Option<Email>,
    ) -> Result<(LinkSession, LinkSessionIssued), AppError> {
        let secret = Secret::generate("ls_").map_err(|e| AppError::Unavailable(format!("random source: {e}")))?;
        let now = self.ports.clock.now();
        let lifetime = Duration::from_std(self.settings.link_session_lifetime).unwrap_or(Duration::hours(12));
        let session = LinkSession {
            digest: secret.digest(),
            link_id: link_id.clone(),
            email,
            created_at: now,
            expires_at: now + lifetime,
        };
        let issued = LinkSessionIssued { secret, link_id: link_id.clone(), expires_at: session.expires_at };
        Ok((session, issued))
    }

    fn throttle_codes(&self, link_id: &ShareLinkId, client: Option<IpAddr>) -> Result<(), AppError> {
        self.code_throttle.attempt(link_id.as_str(), client).map_err(|retry_after| {
            tracing::warn!(link = %link_id, client = ?client, "verification code rate limit reached");
            AppError::RateLimited { retry_after }
        })
    }

    fn link_url(&self, token: &Secret) -> String {
        format!("{}/t/{}", self.settings.public_url, token.expose())
    }
}

/// Parses what every link of a request shares.
fn parse_options(options: &ShareLinkOptions, now: DateTime<Utc>) -> Result<ShareLink, FieldError> {
    let raw_recipients = options.recipients.as_deref().unwrap_or_default();
    if raw_recipients.len() > MAX_RECIPIENTS {
        return Err(FieldError::new("recipients", format!("may hold at most {MAX_RECIPIENTS} addresses")));
    }
    let notify = options.notify_recipients.unwrap_or(false);
    let mut recipients: Vec<ShareRecipient> = Vec::new();
    for (i, raw) in raw_recipients.iter().enumerate() {
        let address = email(&format!("recipients[{i}]"), raw)?;
        if recipients.iter().any(|r| r.email == address) {
            return Err(FieldError::new(format!("recipients[{i}]"), "is listed twice"));
        }
        recipients.push(ShareRecipient { email: address, receives_updates: notify });
    }
    if options.require_verification && recipients.is_empty() {
        return Err(FieldError::new(
            "recipients",
            "a link that requires verification needs at least one recipient to verify",
        ));
    }
    let expires_at = optional_timestamp("expires_at", options.expires_at.as_deref())?.map(|t| t.with_timezone(&Utc));
    if expires_at.is_some_and(|at| at <= now) {
        return Err(FieldError::new("expires_at", "must be in the future"));
    }
    let sections = options.sections.unwrap_or_default();
    Ok(ShareLink {
        id: ShareLinkId::new(""),
        shipment_id: ShipmentId::new(""),
        recipients,
        require_verification: options.require_verification,
        expires_at,
        expire_on_delivery: options.expire_on_delivery.unwrap_or(false),
        sections: ShareSections {
            containers: sections.containers.unwrap_or(false),
            cargo: sections.cargo.unwrap_or(false),
            documents: sections.documents.unwrap_or(false),
        },
        created_at: now,
        revoked_at: None,
    })
}

/// Codes are tied to their link and address, so a digest can only ever
/// match the entry it was sent for.
fn code_digest(link_id: &ShareLinkId, email: &Email, code: &str) -> SecretDigest {
    SecretDigest::of(&format!("{link_id}\n{email}\n{code}"))
}

fn new_url_token() -> Result<Secret, AppError> {
    Secret::generate_url_token().map_err(|e| AppError::Unavailable(format!("random source: {e}")))
}
