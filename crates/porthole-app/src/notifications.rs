//! Tracking users' own notification preferences, and the unsubscribe links
//! that notification mails carry.

use porthole_domain::{NotificationCategory, NotificationPreferences, TrackingUserId};

use crate::accounts::PortalViewer;
use crate::error::{AppError, FieldError};
use crate::input::NotificationsInput;
use crate::ports::{LinkMailTokenPurpose, UnsubscribeToken};
use crate::secret::{Secret, SecretDigest};
use crate::service::Porthole;

/// What an unsubscribe link stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsubscription {
    /// One kind of mail to a portal user.
    Category(NotificationCategory),
    /// Every update about the shipment to one recipient of a share link.
    LinkUpdates,
}

/// The prefix the shared parser gives its fields, written for the staff
/// API, where the switches sit under `notifications`.
const STAFF_FIELD_PREFIX: &str = "notifications.";

impl Porthole {
    /// The signed-in user changes their own switches; those left out keep
    /// their value. Returns every preference as stored.
    pub async fn update_own_notifications(
        &self,
        viewer: &PortalViewer,
        input: NotificationsInput,
    ) -> Result<NotificationPreferences, AppError> {
        let mut preferences = viewer.user.notifications.clone();
        input.apply(&mut preferences).map_err(own_field)?;
        self.ports.tracking_users.update_notifications(&viewer.user.id, &preferences).await?;
        tracing::info!(tracking_user = %viewer.user.id, "notification preferences changed by the user");
        Ok(preferences)
    }

    /// Mints a link that switches `category` off for this user without
    /// signing in, for a notification mail to carry.
    pub async fn unsubscribe_link(
        &self,
        user: &TrackingUserId,
        category: NotificationCategory,
    ) -> Result<String, AppError> {
        let secret = Secret::generate("pu_").map_err(|e| AppError::Unavailable(format!("random source: {e}")))?;
        let token = UnsubscribeToken {
            digest: secret.digest(),
            tracking_user_id: user.clone(),
            category,
            created_at: self.ports.clock.now(),
        };
        self.ports.credentials.insert_unsubscribe_token(&token).await?;
        Ok(format!("{}/portal/unsubscribe?token={}", self.settings.public_url, secret.expose()))
    }

    /// What an unsubscribe link stops; looking changes nothing, so mail
    /// scanners that open links unsubscribe no one. `NotFound` for a token
    /// that was never issued.
    pub async fn unsubscription(&self, token: &str) -> Result<Unsubscription, AppError> {
        let digest = SecretDigest::of(token);
        if let Some(stored) = self.ports.credentials.unsubscribe_token(&digest).await? {
            return Ok(Unsubscription::Category(stored.category));
        }
        match self.ports.share_links.link_mail_token(&digest).await? {
            Some(stored) if stored.purpose == LinkMailTokenPurpose::Unsubscribe => Ok(Unsubscription::LinkUpdates),
            _ => Err(AppError::NotFound),
        }
    }

    /// Switches off exactly what the link names and nothing else: one kind
    /// of mail for a portal user (a periodic report is dropped), or the
    /// updates one recipient of a share link receives. Using a link twice
    /// is harmless. `NotFound` for a token that was never issued, or whose
    /// user or link is gone.
    pub async fn unsubscribe(&self, token: &str) -> Result<Unsubscription, AppError> {
        let digest = SecretDigest::of(token);
        if let Some(stored) = self.ports.credentials.unsubscribe_token(&digest).await? {
            let mut user =
                self.ports.tracking_users.tracking_user(&stored.tracking_user_id).await?.ok_or(AppError::NotFound)?;
            user.notifications.turn_off(stored.category);
            self.ports.tracking_users.update_notifications(&user.id, &user.notifications).await?;
            tracing::info!(tracking_user = %user.id, category = stored.category.as_str(), "unsubscribed through a mail link");
            return Ok(Unsubscription::Category(stored.category));
        }
        match self.ports.share_links.link_mail_token(&digest).await? {
            Some(stored) if stored.purpose == LinkMailTokenPurpose::Unsubscribe => {
                self.ports.share_links.stop_link_updates(&stored.link_id, &stored.email).await?;
                tracing::info!(link = %stored.link_id, "share-link recipient unsubscribed from updates");
                Ok(Unsubscription::LinkUpdates)
            }
            _ => Err(AppError::NotFound),
        }
    }
}

/// Names a refused field as the portal's body has it, where the switches
/// are the whole body: `periodic_report.frequency`.
fn own_field(error: FieldError) -> FieldError {
    match error.field.strip_prefix(STAFF_FIELD_PREFIX) {
        Some(own) => FieldError::new(own, error.message),
        None => error,
    }
}
