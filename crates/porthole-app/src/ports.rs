//! Ports: what the use-cases need from the outside world. Adapters implement
//! them; tests mock them (feature `mock`).
//!
//! Every repository method is atomic: it either does all it says or
//! nothing, and reports why with a [`RepoError`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use porthole_domain::projection::{ShipmentRecord, ShipmentSummary};
use porthole_domain::{
    CodeState, ContainerNumber, Email, Master, MasterId, NotificationCategory, NotificationPreferences, Organization,
    OrganizationId, ReportFrequency, ShareLink, ShareLinkId, Shipment, ShipmentId, ShipmentNotice, ShipmentReference,
    StaffRole, Status, TrackingEvent, TrackingUser, TrackingUserId, UserId, ViewerChange, ViewerScope,
};

use crate::secret::SecretDigest;

/// Why a repository call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepoError {
    /// The addressed row does not exist.
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; `field` names the input field.
    #[error("duplicate {field}")]
    Duplicate { field: String },
    /// The database could not be reached or failed; nothing was written.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

pub type RepoResult<T> = Result<T, RepoError>;

/// The time, injected so tests can move it.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Mints opaque resource ids.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait IdSource: Send + Sync {
    /// A new id, unique across the deployment, starting with `prefix`
    /// (`org_`, `shp_`, …) so ids say what they address.
    fn new_id(&self, prefix: &'static str) -> String;
}

/// Random ids: 128 bits from the thread-local CSPRNG.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn new_id(&self, prefix: &'static str) -> String {
        let bytes: [u8; 16] = rand::random();
        format!("{prefix}{}", hex::encode(bytes))
    }
}

/// Organizations (trade partners).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait OrganizationRepository: Send + Sync {
    /// MUST return `Duplicate { field: "code" }` if the code is taken.
    async fn insert_organization(&self, org: &Organization) -> RepoResult<()>;
    /// MUST return `NotFound` if no organization has this id, and
    /// `Duplicate { field: "code" }` if the new code is taken by another.
    async fn update_organization(&self, org: &Organization) -> RepoResult<()>;
    async fn organization(&self, id: &OrganizationId) -> RepoResult<Option<Organization>>;
    /// The organizations among `ids` that exist, in any order.
    async fn organizations(&self, ids: &[OrganizationId]) -> RepoResult<Vec<Organization>>;
    /// Every organization, in code order: for near-duplicate name checks
    /// and audits.
    async fn all_organizations(&self) -> RepoResult<Vec<Organization>>;
}

/// Master bills of lading.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait MasterRepository: Send + Sync {
    /// MUST return `Duplicate { field: "mbl_no" }` if the MBL number exists.
    async fn insert_master(&self, master: &Master) -> RepoResult<()>;
    async fn master(&self, id: &MasterId) -> RepoResult<Option<Master>>;
}

/// Whether an upsert created or replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
}

/// What an event batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AppendOutcome {
    /// Events stored now.
    pub accepted: usize,
    /// Events whose `event_id` this shipment already had; left untouched.
    pub duplicates: usize,
}

/// House shipments and their events.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ShipmentRepository: Send + Sync {
    async fn shipment_by_reference(&self, reference: &ShipmentReference) -> RepoResult<Option<Shipment>>;

    /// Inserts the shipment, or replaces the one with the same reference
    /// (keeping its id). Containers, charges and the rest are replaced as a
    /// whole. Recomputes the milestone state viewers see, in the same
    /// transaction, and records a `MailCause::ShipmentChanged` there too
    /// when `ViewerChange::between` finds a change for viewers.
    async fn upsert_shipment(&self, shipment: &Shipment) -> RepoResult<Upserted>;

    /// The shipment with its master, events and parties; `None` if absent.
    /// The parts need not come from one snapshot, but nothing may be newer
    /// than the shipment itself: who may see it is decided on the shipment,
    /// so everything shown with it must have been stored by then.
    async fn shipment_record(&self, id: &ShipmentId) -> RepoResult<Option<ShipmentRecord>>;

    /// Appends events in one transaction. An event whose `event_id` the
    /// shipment already has counts as a duplicate and changes nothing.
    /// Recomputes the milestone state viewers see in the same transaction,
    /// and records a `MailCause::ShipmentChanged` there too when
    /// `ViewerChange::between` (with the ids of the events stored now) finds
    /// a change for viewers. MUST return `NotFound` if the shipment does
    /// not exist; then nothing is written.
    async fn append_events(&self, id: &ShipmentId, events: &[TrackingEvent]) -> RepoResult<AppendOutcome>;

    /// The ids among `ids` that name existing shipments, in any order.
    async fn existing_shipment_ids(&self, ids: &[ShipmentId]) -> RepoResult<Vec<ShipmentId>>;

    /// One page of the shipments `scope` admits, newest reference first.
    ///
    /// MUST return exactly the shipments for which `scope.admits(summary.audience)`
    /// holds (judged on the viewer-facing status), narrowed by `query`, with
    /// `reference < query.before` when set, at most `query.limit` of them.
    /// `ViewerScope::Nothing` returns nothing.
    async fn shipments_in_scope(&self, scope: &ViewerScope, query: &ShipmentQuery) -> RepoResult<Vec<ShipmentSummary>>;

    /// Every shipment's summary in id order after `after`, at most `limit`:
    /// for audits that walk the whole table.
    async fn shipment_summaries(&self, after: Option<ShipmentId>, limit: u64) -> RepoResult<Vec<ShipmentSummary>>;
}

/// How a list of shipments is narrowed and paged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentQuery {
    /// Only shipments whose viewer-facing status is this.
    pub status: Option<Status>,
    pub search: Option<ShipmentSearch>,
    /// Keyset cursor: only references that sort before this one.
    pub before: Option<ShipmentReference>,
    pub limit: u64,
}

/// What a list search looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShipmentSearch {
    /// A whole, valid ISO 6346 container number: exactly the shipments
    /// carrying that container. A store finds them through its container
    /// numbers, however many shipments the viewer sees.
    Container(ContainerNumber),
    /// Upper-case text without spaces that the reference or HBL number
    /// (upper-cased) contains, or that one of the container numbers starts
    /// with.
    Text(String),
}

impl ShipmentSearch {
    /// The search for `text`, upper-case without spaces: a container lookup
    /// when it is a whole container number (check digit and all), since
    /// nobody types one to find a reference.
    pub fn of(text: String) -> Self {
        match ContainerNumber::parse(&text) {
            Ok(number) => Self::Container(number),
            Err(_) => Self::Text(text),
        }
    }
}

/// Tracking users (portal accounts).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait TrackingUserRepository: Send + Sync {
    /// Stores the user and records `causes` (an invitation) in one
    /// transaction. MUST return `Duplicate { field: "user_id" }` if the
    /// login is taken; then nothing is written.
    async fn insert_tracking_user(&self, user: &TrackingUser, causes: &[MailCause]) -> RepoResult<()>;

    /// Replaces the user's fields, organizations and agent customers; not
    /// the state, which only `set_password` and `disable_tracking_user`
    /// change (so an edit made from an older read cannot re-enable a user
    /// disabled meanwhile). MUST return `NotFound` if no user has this id and
    /// `Duplicate { field: "user_id" }` if the new login is taken.
    async fn update_tracking_user(&self, user: &TrackingUser) -> RepoResult<()>;

    /// Replaces the user's notification preferences and nothing else, so a
    /// user's own change can never undo a concurrent staff edit of their
    /// organizations. MUST return `NotFound` if no user has this id.
    async fn update_notifications(&self, id: &TrackingUserId, preferences: &NotificationPreferences) -> RepoResult<()>;

    /// Marks the user disabled and ends all their sessions, atomically.
    /// MUST return `NotFound` if no user has this id.
    async fn disable_tracking_user(&self, id: &TrackingUserId) -> RepoResult<()>;

    /// Lets a disabled user back in: active if they have a password, else
    /// invited. A user who is not disabled is left as they are. MUST return
    /// `NotFound` if no user has this id.
    async fn enable_tracking_user(&self, id: &TrackingUserId) -> RepoResult<()>;

    async fn tracking_user(&self, id: &TrackingUserId) -> RepoResult<Option<TrackingUser>>;

    async fn tracking_user_by_login(&self, user_id: &UserId) -> RepoResult<Option<TrackingUser>>;

    /// Users whose primary or additional e-mail is `email`.
    async fn tracking_users_by_email(&self, email: &Email) -> RepoResult<Vec<TrackingUser>>;

    /// Every user linked to at least one of `organization_ids`: the only
    /// users who could possibly see a shipment whose parties are those.
    async fn tracking_users_in(&self, organization_ids: &[OrganizationId]) -> RepoResult<Vec<TrackingUser>>;

    /// Users in id order after `after`, at most `limit`: for audits.
    async fn tracking_users(&self, after: Option<TrackingUserId>, limit: u64) -> RepoResult<Vec<TrackingUser>>;
}

/// What a one-time sign-in token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenPurpose {
    /// Lets the user choose a password: 24 hours, single use.
    PasswordSetup,
    /// Signs the user in: 15 minutes, single use.
    MagicLink,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::PasswordSetup => "password_setup",
            TokenPurpose::MagicLink => "magic_link",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [TokenPurpose::PasswordSetup, TokenPurpose::MagicLink].into_iter().find(|p| p.as_str() == raw)
    }
}

/// A one-time token as stored: its digest, never its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginToken {
    pub digest: SecretDigest,
    pub tracking_user_id: TrackingUserId,
    pub purpose: TokenPurpose,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A signed-in tracking user's session as stored: its digest, never its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalSession {
    pub digest: SecretDigest,
    pub tracking_user_id: TrackingUserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A live portal session with the user holding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionHolder {
    pub session: PortalSession,
    pub user: TrackingUser,
    /// The user's organizations (not its agent customers).
    pub organizations: Vec<Organization>,
}

/// An unsubscribe token as stored: its digest, never its text. It has no
/// expiry and may be used any number of times: it can only switch one kind
/// of mail off, and old mails must keep a working link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsubscribeToken {
    pub digest: SecretDigest,
    pub tracking_user_id: TrackingUserId,
    pub category: NotificationCategory,
    pub created_at: DateTime<Utc>,
}

/// Passwords, one-time tokens and sessions of tracking users.
///
/// A token or session is *live* at `now` when it exists, is unused, and
/// `now < expires_at`.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait CredentialRepository: Send + Sync {
    /// The user's argon2 PHC string; `None` if none was ever set.
    async fn password_hash(&self, id: &TrackingUserId) -> RepoResult<Option<String>>;

    /// Stores the password hash, makes an invited user active, and ends the
    /// user's sessions, atomically. A disabled user stays disabled.
    /// MUST return `NotFound` if no user has this id.
    async fn set_password(&self, id: &TrackingUserId, hash: &str) -> RepoResult<()>;

    /// Stores a token. A new password-setup token kills every earlier
    /// password-setup token of the same user, in the same transaction.
    async fn insert_login_token(&self, token: &LoginToken) -> RepoResult<()>;

    /// The user a live token of this purpose belongs to, without using it.
    async fn live_login_token(
        &self,
        digest: &SecretDigest,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> RepoResult<Option<TrackingUserId>>;

    /// Marks a live token used and returns its user. Of concurrent callers
    /// with the same token, at most one gets `Some`.
    async fn consume_login_token(
        &self,
        digest: &SecretDigest,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> RepoResult<Option<TrackingUserId>>;

    /// Consumes a live password-setup token and does what
    /// [`set_password`](Self::set_password) does, in one transaction.
    /// `None`, and nothing written, if the token is not live.
    async fn complete_password_setup(
        &self,
        digest: &SecretDigest,
        hash: &str,
        now: DateTime<Utc>,
    ) -> RepoResult<Option<TrackingUserId>>;

    async fn insert_session(&self, session: &PortalSession) -> RepoResult<()>;

    /// The live session with this digest, its user, and the organizations
    /// the user belongs to as they are now. Every portal request starts
    /// here, so implementations should answer in as few round trips as they
    /// can (the SQL store: two statements).
    async fn session_holder(&self, digest: &SecretDigest, now: DateTime<Utc>) -> RepoResult<Option<SessionHolder>>;

    /// Ends the session; ending one that does not exist is not an error.
    async fn delete_session(&self, digest: &SecretDigest) -> RepoResult<()>;

    /// Stores an unsubscribe token; earlier tokens of the same user and
    /// category stay valid, so every mail sent keeps a working link. The
    /// token goes when its user does.
    /// MUST return `NotFound` if no user has this id.
    async fn insert_unsubscribe_token(&self, token: &UnsubscribeToken) -> RepoResult<()>;

    /// The unsubscribe token with this digest.
    async fn unsubscribe_token(&self, digest: &SecretDigest) -> RepoResult<Option<UnsubscribeToken>>;
}

/// One e-mail, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: Vec<Email>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Why a mail was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mail not sent: {0}")]
pub struct MailError(pub String);

/// Sends mail (SMTP, or a file drop for local use).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &Mail) -> Result<(), MailError>;
}

/// A stored API key: who it is and what it may do. Never the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub role: StaffRole,
    pub created_at: DateTime<Utc>,
}

/// API keys for staff and integrations.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ApiKeyRepository: Send + Sync {
    async fn insert_api_key(&self, key: &ApiKey, digest: &SecretDigest) -> RepoResult<()>;
    /// The live key with this digest, if any.
    async fn api_key_by_digest(&self, digest: &SecretDigest) -> RepoResult<Option<ApiKey>>;
}

/// Whether storage answers; for readiness probes.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait HealthCheck: Send + Sync {
    async fn ping(&self) -> RepoResult<()>;
}

/// A share link as stored, with the fact that decides delivery expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredShareLink {
    pub link: ShareLink,
    /// When viewers first saw the shipment Done; `None` while it is not.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// What happened when a link was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkAccess {
    /// The shipment page was shown.
    Opened,
    /// A viewer proved a recipient's address with a code.
    Verified,
}

impl LinkAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkAccess::Opened => "opened",
            LinkAccess::Verified => "verified",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [LinkAccess::Opened, LinkAccess::Verified].into_iter().find(|a| a.as_str() == raw)
    }
}

/// One entry of a link's access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkAccessEntry {
    pub at: DateTime<Utc>,
    pub access: LinkAccess,
    /// The verified address, for links that require verification.
    pub email: Option<Email>,
    pub client_address: Option<String>,
}

/// A viewer's session on one link, as stored: its digest, never its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSession {
    pub digest: SecretDigest,
    pub link_id: ShareLinkId,
    /// The address the viewer proved, if the link asked for one.
    pub email: Option<Email>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A verification code as stored: its digest, never the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationCode {
    pub link_id: ShareLinkId,
    pub email: Email,
    pub digest: SecretDigest,
    pub sent_at: DateTime<Utc>,
}

/// Share links, their viewers' sessions, verification codes and access log.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ShareLinkRepository: Send + Sync {
    /// Stores the links with their token digests and records `causes`
    /// (mail to their recipients), all or none.
    async fn insert_share_links(&self, links: &[(ShareLink, SecretDigest)], causes: &[MailCause]) -> RepoResult<()>;

    async fn share_link(&self, id: &ShareLinkId) -> RepoResult<Option<StoredShareLink>>;

    /// The link whose current token, or one of whose `Open` mail tokens,
    /// has this digest.
    async fn share_link_by_token(&self, digest: &SecretDigest) -> RepoResult<Option<StoredShareLink>>;

    /// Stores a token minted for one mail to one recipient of the link.
    /// MUST return `NotFound` if no link has this id.
    async fn insert_link_mail_token(&self, token: &LinkMailToken) -> RepoResult<()>;

    /// The mail token with this digest, of either purpose.
    async fn link_mail_token(&self, digest: &SecretDigest) -> RepoResult<Option<LinkMailToken>>;

    /// Stops updates to this recipient of the link (`receives_updates`
    /// becomes false); other recipients and the link stay as they are. An
    /// address that is not a recipient changes nothing. MUST return
    /// `NotFound` if no link has this id.
    async fn stop_link_updates(&self, link_id: &ShareLinkId, email: &Email) -> RepoResult<()>;

    /// Every link of the shipment, newest first.
    async fn share_links_of(&self, shipment_id: &ShipmentId) -> RepoResult<Vec<StoredShareLink>>;

    /// Marks the link revoked at `at` (an earlier revocation stands) and
    /// ends every viewer session on it, atomically. MUST return `NotFound`
    /// if no link has this id.
    async fn revoke_share_link(&self, id: &ShareLinkId, at: DateTime<Utc>) -> RepoResult<()>;

    /// Gives the link a new token digest; the old token, its `Open` mail
    /// tokens, every viewer session and every pending code die in the same
    /// transaction. MUST
    /// return `NotFound` if no link has this id.
    async fn replace_share_link_token(&self, id: &ShareLinkId, digest: &SecretDigest) -> RepoResult<()>;

    async fn record_link_access(&self, id: &ShareLinkId, entry: &LinkAccessEntry) -> RepoResult<()>;

    /// Records a batch of entries, in order, in one transaction. Entries of
    /// links that no longer exist are dropped; the others are written.
    async fn record_link_accesses(&self, entries: &[(ShareLinkId, LinkAccessEntry)]) -> RepoResult<()>;

    /// The access log, newest first, at most `limit` entries.
    async fn link_access_log(&self, id: &ShareLinkId, limit: u64) -> RepoResult<Vec<LinkAccessEntry>>;

    /// Stores a code as the only live one for its link and address: any
    /// earlier code for the same pair dies in the same transaction.
    async fn insert_verification_code(&self, code: &VerificationCode) -> RepoResult<()>;

    /// The newest code for the link and address, with its state.
    async fn verification_code(
        &self,
        link_id: &ShareLinkId,
        email: &Email,
    ) -> RepoResult<Option<(VerificationCode, CodeState)>>;

    /// Counts one entry against the unused code with this digest if it has
    /// attempts left (fewer than `CODE_ATTEMPTS` counted), atomically; `false`
    /// if it has none (or is used or gone). Entries are counted before they
    /// are compared, so concurrent guesses share the same few attempts.
    async fn claim_code_attempt(&self, digest: &SecretDigest) -> RepoResult<bool>;

    /// Marks the code with this digest used and starts `session`, in one
    /// transaction. `false`, and nothing written, if the code was already
    /// used (a concurrent entry won) or belongs to another link.
    async fn redeem_verification_code(&self, digest: &SecretDigest, session: &LinkSession) -> RepoResult<bool>;

    async fn insert_link_session(&self, session: &LinkSession) -> RepoResult<()>;

    /// The live session with this digest.
    async fn link_session(&self, digest: &SecretDigest, now: DateTime<Utc>) -> RepoResult<Option<LinkSession>>;
}

/// What a token minted for one mail to a share-link recipient does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkMailTokenPurpose {
    /// Opens the link exactly as its own token does, so a mail never
    /// carries the link's token (which is stored only as a digest). It dies
    /// with the link's token when staff regenerate it.
    Open,
    /// Stops updates to that recipient of that link.
    Unsubscribe,
}

impl LinkMailTokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Unsubscribe => "unsubscribe",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Open, Self::Unsubscribe].into_iter().find(|p| p.as_str() == raw)
    }
}

/// A token minted for one mail to one recipient of a share link, stored as
/// its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkMailToken {
    pub digest: SecretDigest,
    pub link_id: ShareLinkId,
    pub email: Email,
    pub purpose: LinkMailTokenPurpose,
    pub created_at: DateTime<Utc>,
}

// ---------------------------------------------------------------------------
// The mail outbox
// ---------------------------------------------------------------------------

/// Why mail may be owed. Recorded by the same transaction as the change that
/// causes it, so a change never commits without its mail; a worker later
/// turns each cause into one queued mail per recipient.
#[derive(Debug, Clone, PartialEq)]
pub enum MailCause {
    /// What one write changed for the shipment's viewers.
    ShipmentChanged { shipment_id: ShipmentId, change: ViewerChange },
    /// A new tracking user is to choose a password.
    PasswordSetup { tracking_user_id: TrackingUserId },
    /// The recipients of a new share link are to receive its address.
    LinkShared { link_id: ShareLinkId },
    /// The periodic report of this frequency, for the slot that began at
    /// `slot`.
    PeriodicReport { frequency: ReportFrequency, slot: DateTime<Utc> },
}

impl MailCause {
    /// The [`MailCause::kind`] of a shipment change.
    pub const SHIPMENT_CHANGED: &'static str = "shipment_changed";

    /// Short name for logs and the operator's outbox view.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ShipmentChanged { .. } => Self::SHIPMENT_CHANGED,
            Self::PasswordSetup { .. } => "password_setup",
            Self::LinkShared { .. } => "link_shared",
            Self::PeriodicReport { .. } => "periodic_report",
        }
    }
}

/// Identifies a recorded cause.
pub type CauseId = i64;

/// A recorded cause not yet turned into mail.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingCause {
    pub id: CauseId,
    pub cause: MailCause,
    pub created_at: DateTime<Utc>,
}

/// Who one queued mail is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MailRecipient {
    /// A tracking user, at every address they have.
    User(TrackingUserId),
    /// One recipient of a share link.
    LinkRecipient { link_id: ShareLinkId, email: Email },
}

/// What one queued mail says. It is rendered only when it is sent, so the
/// secrets in it (a password-setup link, a share-link address, unsubscribe
/// links) are minted then and never stored in clear, and so whether the
/// recipient may still receive it is checked then too.
#[derive(Debug, Clone, PartialEq)]
pub enum MailContent {
    ShipmentUpdate { shipment_id: ShipmentId, notices: Vec<ShipmentNotice> },
    PasswordSetup,
    LinkShared,
    PeriodicReport { frequency: ReportFrequency, slot: DateTime<Utc> },
}

impl MailContent {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ShipmentUpdate { .. } => "shipment_update",
            Self::PasswordSetup => "password_setup",
            Self::LinkShared => "link_shared",
            Self::PeriodicReport { .. } => "periodic_report",
        }
    }
}

/// A mail to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutboxMail {
    /// Unique over the whole outbox: one cause, one recipient. A mail whose
    /// key is already queued (or sent) is not queued again.
    pub dedupe_key: String,
    pub recipient: MailRecipient,
    pub content: MailContent,
}

/// Where a queued mail stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxStatus {
    /// Waiting for its next attempt.
    Pending,
    Sent,
    /// Every attempt failed; an operator may retry it.
    Failed,
    /// Not sent because the recipient may no longer receive it.
    Skipped,
}

impl OutboxStatus {
    pub const ALL: [Self; 4] = [Self::Pending, Self::Sent, Self::Failed, Self::Skipped];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// Identifies a queued mail.
pub type OutboxMailId = i64;

/// A queued mail as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMail {
    pub id: OutboxMailId,
    pub dedupe_key: String,
    pub recipient: MailRecipient,
    pub content: MailContent,
    pub status: OutboxStatus,
    /// Attempts claimed so far.
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
    /// When a pending mail is next due.
    pub next_attempt_at: DateTime<Utc>,
    /// When it was sent, skipped or given up on.
    pub finished_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed, or why it was skipped.
    pub last_error: Option<String>,
}

/// How one attempt at a claimed mail ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    Sent {
        at: DateTime<Utc>,
    },
    Skipped {
        at: DateTime<Utc>,
        reason: String,
    },
    /// Failed; due again at `retry_at`.
    Retry {
        retry_at: DateTime<Utc>,
        error: String,
    },
    /// Failed for the last time.
    GaveUp {
        at: DateTime<Utc>,
        error: String,
    },
}

/// How many mails stand in each state, and how many causes wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxCounts {
    pub causes_waiting: u64,
    pub pending: u64,
    pub sent: u64,
    pub failed: u64,
    pub skipped: u64,
}

/// The mail outbox: causes, and the mails they became.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait OutboxRepository: Send + Sync {
    /// Records a cause in a transaction of its own. A cause with a `key` is
    /// recorded once however often or by however many instances it is
    /// asked: `false` if one with that key exists.
    async fn insert_cause(&self, cause: &MailCause, key: Option<String>) -> RepoResult<bool>;

    /// Causes not yet dispatched, oldest first, at most `limit`. Shipment
    /// changes come only once the oldest undispatched change of their
    /// shipment was recorded at or before `settled_before`, and then with
    /// every newer undispatched change of that shipment, so a burst is
    /// dispatched as one. Other causes come at once.
    async fn due_causes(&self, settled_before: DateTime<Utc>, limit: u64) -> RepoResult<Vec<PendingCause>>;

    /// In one transaction: marks the causes dispatched at `now` and queues
    /// the mails, due at `now`. A mail whose dedupe key exists is left out.
    /// `false`, and nothing written, if any cause was dispatched already
    /// (by another worker).
    async fn dispatch_causes(
        &self,
        cause_ids: &[CauseId],
        mails: &[NewOutboxMail],
        now: DateTime<Utc>,
    ) -> RepoResult<bool>;

    /// Marks every waiting `ShipmentChanged` cause dispatched at `now`,
    /// queueing no mail; other causes are left alone. Returns how many.
    async fn discard_waiting_changes(&self, now: DateTime<Utc>) -> RepoResult<u64>;

    /// Claims up to `limit` pending mails due at `now`, oldest first: counts
    /// an attempt on each and hides it from every other claimer until
    /// `lease_until`. Concurrent claimers never get the same mail
    /// (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite has one writer).
    async fn claim_due_mails(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u64,
    ) -> RepoResult<Vec<OutboxMail>>;

    /// Records how the attempt at a claimed mail ended and ends its lease.
    /// MUST return `NotFound` if no mail has this id.
    async fn finish_attempt(&self, id: OutboxMailId, outcome: &AttemptOutcome) -> RepoResult<()>;

    /// Mails for an operator, newest first, at most `limit`; all states
    /// when `status` is `None`.
    async fn outbox_mails(&self, status: Option<OutboxStatus>, limit: u64) -> RepoResult<Vec<OutboxMail>>;

    async fn outbox_mail(&self, id: OutboxMailId) -> RepoResult<Option<OutboxMail>>;

    async fn outbox_counts(&self) -> RepoResult<OutboxCounts>;

    /// Makes a failed mail pending again, due at `now`, with its attempts
    /// reset; `false` if it is not failed. MUST return `NotFound` if no mail
    /// has this id.
    async fn retry_mail(&self, id: OutboxMailId, now: DateTime<Utc>) -> RepoResult<bool>;
}
