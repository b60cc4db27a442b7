//! Share links: one shipment, shown without an account, for as long as the
//! link lives.
//!
//! Whether a link is alive is a pure function of the link, the shipment's
//! delivery time and the clock, evaluated on every request — never a stored
//! flag a background job might have failed to update.

use chrono::{DateTime, Duration, Utc};

use crate::ids::{ShareLinkId, ShipmentId};
use crate::projection::ShareSections;
use crate::values::Email;

/// The most recipients one link may name.
pub const MAX_RECIPIENTS: usize = 5;
/// How long an e-mailed verification code is valid.
pub const CODE_LIFETIME: Duration = Duration::minutes(10);
/// How many wrong entries a code survives.
pub const CODE_ATTEMPTS: u32 = 5;

/// Someone a link was made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRecipient {
    pub email: Email,
    /// Receives the shipment's notifications too.
    pub receives_updates: bool,
}

/// A per-shipment tracking link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareLink {
    pub id: ShareLinkId,
    pub shipment_id: ShipmentId,
    pub recipients: Vec<ShareRecipient>,
    /// Viewers must prove they hold a recipient's address first.
    pub require_verification: bool,
    pub expires_at: Option<DateTime<Utc>>,
    /// Expire a grace period after the shipment is delivered (Done).
    pub expire_on_delivery: bool,
    pub sections: ShareSections,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Where a link stands at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStatus {
    Active,
    Revoked,
    Expired,
}

impl LinkStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkStatus::Active => "active",
            LinkStatus::Revoked => "revoked",
            LinkStatus::Expired => "expired",
        }
    }
}

impl ShareLink {
    /// The link's status at `now`. `delivered_at` is when viewers first saw
    /// the shipment Done (`None` while it is not Done); `grace` is how long
    /// an `expire_on_delivery` link lives after that. Revocation wins over
    /// expiry.
    pub fn status(&self, now: DateTime<Utc>, delivered_at: Option<DateTime<Utc>>, grace: Duration) -> LinkStatus {
        if self.revoked_at.is_some_and(|revoked| revoked <= now) {
            return LinkStatus::Revoked;
        }
        if self.expires_at.is_some_and(|expires| now >= expires) {
            return LinkStatus::Expired;
        }
        if self.expire_on_delivery && delivered_at.is_some_and(|delivered| now >= delivered + grace) {
            return LinkStatus::Expired;
        }
        LinkStatus::Active
    }

    /// Whether `email` is one of the recipients.
    pub fn is_recipient(&self, email: &Email) -> bool {
        self.recipients.iter().any(|r| r.email == *email)
    }
}

/// What checking an entered code against the newest one concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right code, in time, with attempts left.
    Accepted,
    /// Wrong code; `attempts_left` more tries before the code locks.
    Rejected { attempts_left: u32 },
    /// Expired, used up, or locked: ask for a new code.
    Dead,
}

/// The newest verification code sent for a link and address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeState {
    pub sent_at: DateTime<Utc>,
    /// Entries counted against the code so far. Each entry is counted
    /// before it is compared, so concurrent guesses cannot exceed
    /// [`CODE_ATTEMPTS`] between them.
    pub attempts: u32,
    pub used: bool,
}

impl CodeState {
    /// Judges one entry against the state read before it was counted.
    /// `matches` says whether the entered code equals the sent one
    /// (compared by the caller by digest).
    pub fn check(&self, now: DateTime<Utc>, matches: bool) -> CodeCheck {
        if self.used || self.attempts >= CODE_ATTEMPTS || now >= self.sent_at + CODE_LIFETIME {
            return CodeCheck::Dead;
        }
        if matches {
            CodeCheck::Accepted
        } else {
            CodeCheck::Rejected { attempts_left: CODE_ATTEMPTS - self.attempts - 1 }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 5, 20, hour, 0, 0).single().expect("valid time")
    }

    fn link() -> ShareLink {
        ShareLink {
            id: ShareLinkId::new("lnk_1"),
            shipment_id: ShipmentId::new("shp_1"),
            recipients: vec![ShareRecipient {
                email: Email::parse("desk@buyer.example").expect("email"),
                receives_updates: false,
            }],
            require_verification: true,
            expires_at: None,
            expire_on_delivery: false,
            sections: ShareSections::default(),
            created_at: at(0),
            revoked_at: None,
        }
    }

    #[test]
    fn a_link_lives_until_revoked_or_expired() {
        let grace = Duration::days(7);
        assert_eq!(link().status(at(1), None, grace), LinkStatus::Active);
        let revoked = ShareLink { revoked_at: Some(at(2)), ..link() };
        assert_eq!(revoked.status(at(1), None, grace), LinkStatus::Active);
        assert_eq!(revoked.status(at(2), None, grace), LinkStatus::Revoked);
        let dated = ShareLink { expires_at: Some(at(5)), ..link() };
        assert_eq!(dated.status(at(4), None, grace), LinkStatus::Active);
        assert_eq!(dated.status(at(5), None, grace), LinkStatus::Expired);
        let both = ShareLink { expires_at: Some(at(1)), revoked_at: Some(at(1)), ..link() };
        assert_eq!(both.status(at(3), None, grace), LinkStatus::Revoked, "revocation wins");
    }

    #[test]
    fn a_delivery_link_expires_a_grace_period_after_done() {
        let grace = Duration::hours(3);
        let on_delivery = ShareLink { expire_on_delivery: true, ..link() };
        assert_eq!(on_delivery.status(at(10), None, grace), LinkStatus::Active, "not delivered yet");
        assert_eq!(on_delivery.status(at(12), Some(at(10)), grace), LinkStatus::Active, "within the grace");
        assert_eq!(on_delivery.status(at(13), Some(at(10)), grace), LinkStatus::Expired);
        assert_eq!(link().status(at(23), Some(at(10)), grace), LinkStatus::Active, "not asked to expire");
    }

    #[test]
    fn a_code_allows_five_tries_for_ten_minutes_and_one_use() {
        let fresh = CodeState { sent_at: at(1), attempts: 0, used: false };
        assert_eq!(fresh.check(at(1), true), CodeCheck::Accepted);
        assert_eq!(fresh.check(at(1), false), CodeCheck::Rejected { attempts_left: 4 });
        let last_try = CodeState { attempts: 4, ..fresh.clone() };
        assert_eq!(last_try.check(at(1), false), CodeCheck::Rejected { attempts_left: 0 });
        assert_eq!(last_try.check(at(1), true), CodeCheck::Accepted);
        let locked = CodeState { attempts: 5, ..fresh.clone() };
        assert_eq!(locked.check(at(1), true), CodeCheck::Dead);
        let late = fresh.sent_at + CODE_LIFETIME;
        assert_eq!(fresh.check(late, true), CodeCheck::Dead);
        assert_eq!(fresh.check(late - Duration::seconds(1), true), CodeCheck::Accepted);
        let used = CodeState { used: true, ..fresh };
        assert_eq!(used.check(at(1), true), CodeCheck::Dead);
    }
}
