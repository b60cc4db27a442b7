//! Tracking users: staff manage them; they sign in with a password or a
//! one-time link and get a server-side session.

use std::collections::BTreeSet;
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use porthole_domain::{
    DisplaySettings, Email, NotificationPreferences, Organization, OrganizationId, TrackingRole, TrackingUser,
    TrackingUserId, UserId, UserState, may_sign_in, names_look_alike,
};

use crate::error::{AppError, FieldError};
use crate::input::{
    TrackingUserInput, TrackingUserPatch, additional_emails, email, optional_text, organization_ids, required_text,
};
use crate::mails;
use crate::ports::{LoginToken, MailCause, PortalSession, SessionHolder, TokenPurpose};
use crate::secret::{Secret, SecretDigest};
use crate::service::Porthole;

const PASSWORD_SETUP_LIFETIME: Duration = Duration::hours(24);
const MAGIC_LINK_LIFETIME: Duration = Duration::minutes(15);
/// Longer passwords only cost hashing time; 256 is more than any manager.
const MAX_PASSWORD_LENGTH: usize = 256;
/// The longest e-mail address there can be; longer logins are refused
/// before they cost a lookup or a rate-limit entry.
const MAX_LOGIN_LENGTH: usize = 320;

/// A tracking user after a staff change, with anything staff should check.
#[derive(Debug, Clone)]
pub struct TrackingUserSaved {
    pub user: TrackingUser,
    /// Near-duplicate organization names, and mail that could not be sent.
    pub warnings: Vec<String>,
}

/// A new portal session. `secret` goes into the cookie and nowhere else.
#[derive(Debug)]
pub struct SessionIssued {
    pub secret: Secret,
    pub user: TrackingUser,
    pub expires_at: DateTime<Utc>,
}

/// A signed-in tracking user, checked on every request: the session is
/// live, the user active, and one of their organizations has the portal on.
#[derive(Debug, Clone)]
pub struct PortalViewer {
    pub user: TrackingUser,
    /// The user's organizations as they are now.
    pub organizations: Vec<Organization>,
    pub session: SecretDigest,
}

impl Porthole {
    // ---- Staff: tracking-user management ---------------------------------

    pub async fn create_tracking_user(&self, input: TrackingUserInput) -> Result<TrackingUserSaved, AppError> {
        let primary = email("email", &input.email)?;
        let mut notifications = NotificationPreferences::default();
        if let Some(given) = &input.notifications {
            given.apply(&mut notifications)?;
        }
        let mut display = DisplaySettings::default();
        if let Some(given) = &input.display {
            given.apply(&mut display);
        }
        let org_ids = organization_ids("organization_ids", &input.organization_ids)?;
        let agent_ids =
            organization_ids("agent_customer_ids", input.agent_customer_ids.as_deref().unwrap_or_default())?;
        let user = TrackingUser {
            id: TrackingUserId::new(self.ports.ids.new_id("tu_")),
            user_id: UserId::parse(&input.user_id).map_err(|e| FieldError::new("user_id", e.reason))?,
            first_name: required_text("first_name", &input.first_name, 100)?,
            last_name: optional_text("last_name", input.last_name.as_deref(), 100)?,
            additional_emails: additional_emails(input.additional_emails.as_deref().unwrap_or_default(), &primary)?,
            email: primary,
            role: tracking_role(&input.role)?,
            organization_ids: org_ids.iter().cloned().collect(),
            agent_customer_ids: agent_ids.iter().cloned().collect(),
            notifications,
            display,
            state: UserState::Invited,
        };
        let all_orgs = self.check_links(user.role, &org_ids, &agent_ids).await?;
        self.check_email_is_free(&user).await?;
        // The invitation is queued with the user, in one transaction: the
        // outbox sends it, retrying if the mail server is down.
        let causes = if input.send_setup_email {
            vec![MailCause::PasswordSetup { tracking_user_id: user.id.clone() }]
        } else {
            Vec::new()
        };
        self.ports.tracking_users.insert_tracking_user(&user, &causes).await?;
        tracing::info!(tracking_user = %user.id, user_id = %user.user_id, role = user.role.as_str(), invited = input.send_setup_email, "tracking user created");
        let warnings = link_warnings(&user, &all_orgs);
        Ok(TrackingUserSaved { user, warnings })
    }

    pub async fn update_tracking_user(
        &self,
        id: &TrackingUserId,
        patch: TrackingUserPatch,
    ) -> Result<TrackingUserSaved, AppError> {
        let mut user = self.ports.tracking_users.tracking_user(id).await?.ok_or(AppError::NotFound)?;
        if let Some(raw) = &patch.user_id {
            user.user_id = UserId::parse(raw).map_err(|e| FieldError::new("user_id", e.reason))?;
        }
        if let Some(raw) = &patch.first_name {
            user.first_name = required_text("first_name", raw, 100)?;
        }
        if let Some(raw) = &patch.last_name {
            user.last_name = optional_text("last_name", raw.as_deref(), 100)?;
        }
        if let Some(raw) = &patch.email {
            user.email = email("email", raw)?;
        }
        let additional = patch
            .additional_emails
            .clone()
            .unwrap_or_else(|| user.additional_emails.iter().map(|e| e.as_str().to_owned()).collect::<Vec<_>>());
        user.additional_emails = additional_emails(&additional, &user.email)?;
        if let Some(raw) = &patch.role {
            user.role = tracking_role(raw)?;
        }
        // Kept in the order sent, so a refusal names the index the caller wrote.
        let org_ids = match &patch.organization_ids {
            Some(raw) => organization_ids("organization_ids", raw)?,
            None => user.organization_ids.iter().cloned().collect(),
        };
        let agent_ids = match &patch.agent_customer_ids {
            Some(raw) => organization_ids("agent_customer_ids", raw)?,
            None => user.agent_customer_ids.iter().cloned().collect(),
        };
        user.organization_ids = org_ids.iter().cloned().collect();
        user.agent_customer_ids = agent_ids.iter().cloned().collect();
        if let Some(given) = &patch.notifications {
            given.apply(&mut user.notifications)?;
        }
        if let Some(given) = &patch.display {
            given.apply(&mut user.display);
        }
        let all_orgs = self.check_links(user.role, &org_ids, &agent_ids).await?;
        self.check_email_is_free(&user).await?;
        self.ports.tracking_users.update_tracking_user(&user).await?;
        tracing::info!(tracking_user = %user.id, "tracking user updated");
        let warnings = link_warnings(&user, &all_orgs);
        Ok(TrackingUserSaved { user, warnings })
    }

    pub async fn tracking_user(&self, id: &TrackingUserId) -> Result<TrackingUser, AppError> {
        self.ports.tracking_users.tracking_user(id).await?.ok_or(AppError::NotFound)
    }

    /// Staff set a password by hand: the user becomes active (unless
    /// disabled) and every session they had ends.
    pub async fn set_tracking_user_password(&self, id: &TrackingUserId, password: &str) -> Result<(), AppError> {
        self.check_password("password", password)?;
        self.ports.tracking_users.tracking_user(id).await?.ok_or(AppError::NotFound)?;
        let hash = self.passwords.hash(password.to_owned()).await?;
        self.ports.credentials.set_password(id, &hash).await?;
        tracing::info!(tracking_user = %id, "password set by staff");
        Ok(())
    }

    /// Queues a new password-setup link; the previous one dies when it is
    /// sent.
    pub async fn resend_setup_email(&self, id: &TrackingUserId) -> Result<(), AppError> {
        let user = self.ports.tracking_users.tracking_user(id).await?.ok_or(AppError::NotFound)?;
        if user.state == UserState::Disabled {
            return Err(AppError::Conflict {
                field: "state".into(),
                message: "the user is disabled; enable them before sending a setup e-mail".into(),
            });
        }
        self.ports.outbox.insert_cause(&MailCause::PasswordSetup { tracking_user_id: user.id.clone() }, None).await?;
        tracing::info!(tracking_user = %user.id, "password-setup e-mail queued");
        Ok(())
    }

    /// Disables the user; every session they have ends at once.
    pub async fn disable_tracking_user(&self, id: &TrackingUserId) -> Result<(), AppError> {
        self.ports.tracking_users.disable_tracking_user(id).await?;
        tracing::info!(tracking_user = %id, "tracking user disabled; sessions ended");
        Ok(())
    }

    /// Lets a disabled user back in: active again if they had a password,
    /// else invited (send them a setup e-mail).
    pub async fn enable_tracking_user(&self, id: &TrackingUserId) -> Result<(), AppError> {
        self.ports.tracking_users.enable_tracking_user(id).await?;
        tracing::info!(tracking_user = %id, "tracking user enabled");
        Ok(())
    }

    /// Every referenced organization exists, and agent customers are only
    /// given to overseas agents. Returns every organization, for the
    /// near-duplicate check.
    async fn check_links(
        &self,
        role: TrackingRole,
        org_ids: &[OrganizationId],
        agent_ids: &[OrganizationId],
    ) -> Result<Vec<Organization>, AppError> {
        if org_ids.is_empty() {
            return Err(FieldError::new("organization_ids", "must name at least one organization").into());
        }
        if role != TrackingRole::OverseasAgent && !agent_ids.is_empty() {
            return Err(FieldError::new("agent_customer_ids", "only overseas agents have agent customers").into());
        }
        let all = self.ports.organizations.all_organizations().await?;
        let known: BTreeSet<&OrganizationId> = all.iter().map(|o| &o.id).collect();
        for (field, ids) in [("organization_ids", org_ids), ("agent_customer_ids", agent_ids)] {
            if let Some((i, id)) = ids.iter().enumerate().find(|(_, id)| !known.contains(id)) {
                return Err(FieldError::new(format!("{field}[{i}]"), format!("no organization has id '{id}'")).into());
            }
        }
        Ok(all)
    }

    /// A primary e-mail identifies one account at sign-in, so no two users
    /// may share one; a shared mailbox belongs in `additional_emails`.
    async fn check_email_is_free(&self, user: &TrackingUser) -> Result<(), AppError> {
        let holders = self.ports.tracking_users.tracking_users_by_email(&user.email).await?;
        match holders.iter().find(|other| other.id != user.id && other.email == user.email) {
            Some(other) => Err(AppError::Conflict {
                field: "email".into(),
                message: format!(
                    "tracking user '{}' already signs in with this e-mail; give each user their own address and \
                     list a shared mailbox under additional_emails",
                    other.user_id
                ),
            }),
            None => Ok(()),
        }
    }

    /// Mints a password-setup link for the user (earlier ones die).
    pub(crate) async fn password_setup_link(&self, user: &TrackingUser) -> Result<String, AppError> {
        let secret = self.issue_token(user, TokenPurpose::PasswordSetup, PASSWORD_SETUP_LIFETIME).await?;
        Ok(format!("{}/portal/set-password?token={}", self.settings.public_url, secret.expose()))
    }

    async fn mail_password_setup(&self, user: &TrackingUser) -> Result<(), AppError> {
        let link = self.password_setup_link(user).await?;
        let mail = mails::password_setup(&self.settings.branding, user, &link)?;
        self.ports.mailer.send(&mail).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
        tracing::info!(tracking_user = %user.id, "password-setup e-mail sent");
        Ok(())
    }

    async fn issue_token(
        &self,
        user: &TrackingUser,
        purpose: TokenPurpose,
        lifetime: Duration,
    ) -> Result<Secret, AppError> {
        let secret = new_secret("pt_")?;
        let now = self.ports.clock.now();
        let token = LoginToken {
            digest: secret.digest(),
            tracking_user_id: user.id.clone(),
            purpose,
            created_at: now,
            expires_at: now + lifetime,
        };
        self.ports.credentials.insert_login_token(&token).await?;
        Ok(secret)
    }

    // ---- Tracking users: sign-in ------------------------------------------

    /// Signs in by user id or e-mail. Every refusal is `InvalidCredentials`
    /// and costs one argon2 verification, whether or not the login exists.
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
        client: Option<IpAddr>,
        previous_session: Option<&str>,
    ) -> Result<SessionIssued, AppError> {
        let login = login.trim();
        let limited = |retry_after| {
            tracing::warn!(client = ?client, "sign-in rate limit reached");
            AppError::RateLimited { retry_after }
        };
        self.throttle.attempt_from(client).map_err(limited)?;
        if login.is_empty() || login.len() > MAX_LOGIN_LENGTH || password.len() > MAX_PASSWORD_LENGTH {
            self.passwords.verify(password.to_owned(), None).await?;
            return Err(AppError::InvalidCredentials);
        }
        let user = self.user_by_login(login).await?;
        // One budget per account, however it is named (user id or e-mail);
        // an unknown login gets a budget of its own, so the answer does not
        // tell the two apart.
        let account = user.as_ref().map_or_else(|| login.to_lowercase(), |u| u.id.to_string());
        self.throttle.attempt_at(&account).map_err(limited)?;
        let stored = match &user {
            Some(user) => self.ports.credentials.password_hash(&user.id).await?,
            None => None,
        };
        let matches = self.passwords.verify(password.to_owned(), stored).await?;
        let Some(user) = user.filter(|_| matches) else {
            tracing::info!(client = ?client, "sign-in refused");
            return Err(AppError::InvalidCredentials);
        };
        let organizations = self.ports.organizations.organizations(&ids(&user.organization_ids)).await?;
        if !may_sign_in(&user, &organizations) {
            tracing::info!(tracking_user = %user.id, "sign-in refused: user inactive or portal off");
            return Err(AppError::InvalidCredentials);
        }
        self.start_session(user, previous_session).await
    }

    /// Mails a one-time sign-in link to `address` if it belongs to a user
    /// who may sign in. Answers the same either way. An invited user, who
    /// has no password yet, is sent a fresh password-setup link instead.
    pub async fn request_login_link(&self, address: &str, client: Option<IpAddr>) -> Result<(), AppError> {
        let address = email("email", address)?;
        self.throttle.attempt(address.as_str(), client).map_err(|retry_after| AppError::RateLimited { retry_after })?;
        // Only a primary address signs in: additional addresses (a shared
        // mailbox) receive notifications but are no way into the account.
        let owners = self.ports.tracking_users.tracking_users_by_email(&address).await?;
        for user in owners.into_iter().filter(|user| user.email == address) {
            let organizations = self.ports.organizations.organizations(&ids(&user.organization_ids)).await?;
            let invited_with_portal = user.state == UserState::Invited
                && organizations.iter().any(|o| o.portal_enabled && user.organization_ids.contains(&o.id));
            if invited_with_portal {
                if let Err(error) = self.mail_password_setup(&user).await {
                    tracing::error!(tracking_user = %user.id, %error, "password-setup link not sent");
                }
                continue;
            }
            if !may_sign_in(&user, &organizations) {
                continue;
            }
            let secret = self.issue_token(&user, TokenPurpose::MagicLink, MAGIC_LINK_LIFETIME).await?;
            let link = format!("{}/portal/login-link?token={}", self.settings.public_url, secret.expose());
            let mail = mails::magic_link(&self.settings.branding, &user, address.clone(), &link)?;
            if let Err(error) = self.ports.mailer.send(&mail).await {
                tracing::error!(tracking_user = %user.id, %error, "sign-in link not sent");
            } else {
                tracing::info!(tracking_user = %user.id, "sign-in link sent");
            }
        }
        Ok(())
    }

    /// Whether a one-time sign-in link is live; looking does not use it.
    pub async fn login_link_is_live(&self, token: &str) -> Result<bool, AppError> {
        let now = self.ports.clock.now();
        Ok(self
            .ports
            .credentials
            .live_login_token(&SecretDigest::of(token), TokenPurpose::MagicLink, now)
            .await?
            .is_some())
    }

    /// Uses a one-time sign-in link. A dead link is `InvalidCredentials`.
    pub async fn sign_in_with_link(
        &self,
        token: &str,
        previous_session: Option<&str>,
    ) -> Result<SessionIssued, AppError> {
        let now = self.ports.clock.now();
        let user_id = self
            .ports
            .credentials
            .consume_login_token(&SecretDigest::of(token), TokenPurpose::MagicLink, now)
            .await?
            .ok_or(AppError::InvalidCredentials)?;
        let user = self.ports.tracking_users.tracking_user(&user_id).await?.ok_or(AppError::InvalidCredentials)?;
        let organizations = self.ports.organizations.organizations(&ids(&user.organization_ids)).await?;
        if !may_sign_in(&user, &organizations) {
            return Err(AppError::InvalidCredentials);
        }
        self.start_session(user, previous_session).await
    }

    /// Whether a password-setup link is live; looking does not use it, so
    /// mail scanners that open links do not burn them.
    pub async fn password_setup_is_live(&self, token: &str) -> Result<bool, AppError> {
        let now = self.ports.clock.now();
        let digest = SecretDigest::of(token);
        Ok(self.ports.credentials.live_login_token(&digest, TokenPurpose::PasswordSetup, now).await?.is_some())
    }

    /// Uses a password-setup link to choose a password. The user becomes
    /// active. A dead link is `InvalidCredentials`; nothing is written.
    pub async fn complete_password_setup(
        &self,
        token: &str,
        password: &str,
        confirmation: &str,
    ) -> Result<(), AppError> {
        self.check_password("password", password)?;
        if password != confirmation {
            return Err(FieldError::new("password_confirmation", "does not match the password").into());
        }
        let now = self.ports.clock.now();
        let digest = SecretDigest::of(token);
        if self.ports.credentials.live_login_token(&digest, TokenPurpose::PasswordSetup, now).await?.is_none() {
            return Err(AppError::InvalidCredentials);
        }
        let hash = self.passwords.hash(password.to_owned()).await?;
        let user = self
            .ports
            .credentials
            .complete_password_setup(&digest, &hash, now)
            .await?
            .ok_or(AppError::InvalidCredentials)?;
        tracing::info!(tracking_user = %user, "password chosen through the setup link");
        Ok(())
    }

    /// The signed-in viewer behind a session cookie, checked afresh: a
    /// disabled user or a switched-off portal ends access at once.
    pub async fn portal_viewer(&self, session_secret: &str) -> Result<PortalViewer, AppError> {
        let digest = SecretDigest::of(session_secret);
        let now = self.ports.clock.now();
        let SessionHolder { user, organizations, .. } =
            self.ports.credentials.session_holder(&digest, now).await?.ok_or(AppError::Unauthorized)?;
        if !may_sign_in(&user, &organizations) {
            return Err(AppError::Unauthorized);
        }
        Ok(PortalViewer { user, organizations, session: digest })
    }

    pub async fn sign_out(&self, session_secret: &str) -> Result<(), AppError> {
        Ok(self.ports.credentials.delete_session(&SecretDigest::of(session_secret)).await?)
    }

    /// A fresh session id on every sign-in; the one the browser held before
    /// (if any) ends, so a planted session id is worthless.
    async fn start_session(&self, user: TrackingUser, previous: Option<&str>) -> Result<SessionIssued, AppError> {
        if let Some(previous) = previous {
            self.ports.credentials.delete_session(&SecretDigest::of(previous)).await?;
        }
        let secret = new_secret("ps_")?;
        let now = self.ports.clock.now();
        let lifetime = Duration::from_std(self.settings.session_lifetime).unwrap_or(Duration::hours(12));
        let session = PortalSession {
            digest: secret.digest(),
            tracking_user_id: user.id.clone(),
            created_at: now,
            expires_at: now + lifetime,
        };
        self.ports.credentials.insert_session(&session).await?;
        tracing::info!(tracking_user = %user.id, "signed in");
        Ok(SessionIssued { secret, user, expires_at: session.expires_at })
    }

    /// A login is a primary e-mail or a user id; a user id may itself
    /// contain "@", so an address that signs nobody in is tried as one.
    async fn user_by_login(&self, login: &str) -> Result<Option<TrackingUser>, AppError> {
        if let Ok(address) = Email::parse(login) {
            let mut users = self.ports.tracking_users.tracking_users_by_email(&address).await?;
            users.retain(|u| u.email == address);
            if users.len() == 1 {
                return Ok(users.pop());
            }
        }
        let Ok(user_id) = UserId::parse(login) else { return Ok(None) };
        Ok(self.ports.tracking_users.tracking_user_by_login(&user_id).await?)
    }

    fn check_password(&self, field: &str, password: &str) -> Result<(), FieldError> {
        let length = password.chars().count();
        let minimum = self.settings.min_password_length;
        if length < minimum {
            return Err(FieldError::new(field, format!("must be at least {minimum} characters")));
        }
        if password.len() > MAX_PASSWORD_LENGTH {
            return Err(FieldError::new(field, format!("must be at most {MAX_PASSWORD_LENGTH} bytes")));
        }
        Ok(())
    }
}

fn tracking_role(raw: &str) -> Result<TrackingRole, FieldError> {
    TrackingRole::parse(raw.trim())
        .ok_or_else(|| FieldError::new("role", "must be one of customer, shipper, consignee, overseas_agent"))
}

fn ids(set: &BTreeSet<OrganizationId>) -> Vec<OrganizationId> {
    set.iter().cloned().collect()
}

fn new_secret(prefix: &str) -> Result<Secret, AppError> {
    Secret::generate(prefix).map_err(|e| AppError::Unavailable(format!("random source: {e}")))
}

/// What staff should check about a user's links: an overseas agent who will
/// see nothing, and linked organizations with look-alike namesakes.
fn link_warnings(user: &TrackingUser, all: &[Organization]) -> Vec<String> {
    let mut warnings = Vec::new();
    if user.role == TrackingRole::OverseasAgent && user.agent_customer_ids.is_empty() {
        warnings.push(
            "this overseas agent has no agent_customer_ids, so it will see no shipments until customers are added"
                .to_owned(),
        );
    }
    warnings.extend(look_alike_warnings(user, all));
    warnings
}

/// One warning per linked organization that has look-alike namesakes.
fn look_alike_warnings(user: &TrackingUser, all: &[Organization]) -> Vec<String> {
    all.iter()
        .filter(|org| user.organization_ids.contains(&org.id) || user.agent_customer_ids.contains(&org.id))
        .filter_map(|linked| {
            let alike: Vec<String> = all
                .iter()
                .filter(|other| other.id != linked.id && names_look_alike(&linked.name, &other.name))
                .map(|other| format!("'{}' ({}, {})", other.name, other.code, other.id))
                .collect();
            (!alike.is_empty()).then(|| {
                format!(
                    "organization '{}' ({}, {}) has near-duplicate names: {}; check the user is linked to the right one",
                    linked.name,
                    linked.code,
                    linked.id,
                    alike.join(", ")
                )
            })
        })
        .collect()
}
