//! Share links as staff make, read, revoke and renew them.
//!
//! A link's URL carries its token, which Porthole keeps only as a digest:
//! the URL appears in the answer that made the link (or gave it a new
//! token) and never again, so the types that read a link later have no
//! field for it.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use porthole_app::ports::LinkAccessEntry;
use porthole_app::{SectionsInput, ShareLinkIssued, ShareLinkOptions, ShareLinkOverview};
use porthole_domain as domain;

/// `POST /api/v1/share/links`: one link to one shipment.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct ShareLinkCreate {
    /// The shipment the link shows.
    pub shipment_id: String,
    /// Up to 5 e-mail addresses the link is for. With
    /// `require_verification`, only these may open it.
    pub recipients: Option<Vec<String>>,
    /// Viewers must first enter a code e-mailed to one of the recipients.
    pub require_verification: bool,
    /// When the link stops working (RFC 3339, in the future).
    pub expires_at: Option<String>,
    /// The link stops working a grace period after the shipment is
    /// delivered. Default false.
    pub expire_on_delivery: Option<bool>,
    /// The optional sections the link shows; all off when left out.
    pub sections: Option<ShareSectionsChoice>,
    /// Recipients also receive the shipment's update mails. Default false.
    pub notify_recipients: Option<bool>,
}

/// `POST /api/v1/share/links/bulk`: one link to each shipment, all made
/// alike, all or none.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct ShareLinkBulkCreate {
    /// The shipments to link, each once; at most 500.
    pub shipment_ids: Vec<String>,
    /// Up to 5 e-mail addresses every link is for.
    pub recipients: Option<Vec<String>>,
    /// Viewers must first enter a code e-mailed to one of the recipients.
    pub require_verification: bool,
    /// When the links stop working (RFC 3339, in the future).
    pub expires_at: Option<String>,
    /// Each link stops working a grace period after its shipment is
    /// delivered. Default false.
    pub expire_on_delivery: Option<bool>,
    /// The optional sections the links show; all off when left out.
    pub sections: Option<ShareSectionsChoice>,
    /// Recipients also receive the shipments' update mails. Default false.
    pub notify_recipients: Option<bool>,
}

/// The optional sections of a link. Timeline, route and dates are always
/// shown; charges never are, so there is no switch for them.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct ShareSectionsChoice {
    pub containers: Option<bool>,
    pub cargo: Option<bool>,
    /// Published documents only.
    pub documents: Option<bool>,
}

/// A share link.
#[derive(Debug, Object)]
pub(crate) struct ShareLink {
    pub id: String,
    pub shipment_id: String,
    /// `active`, `revoked` or `expired`, now.
    pub status: String,
    pub recipients: Vec<ShareRecipient>,
    pub require_verification: bool,
    pub expires_at: Option<DateTime<Utc>>,
    pub expire_on_delivery: bool,
    pub sections: ShareSections,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A link just made or given a new token, with its URL. The URL is shown
/// this once: Porthole keeps only a digest of its token.
#[derive(Debug, Object)]
pub(crate) struct NewShareLink {
    #[oai(flatten)]
    pub link: ShareLink,
    /// The address to send; it ends in `/t/TOKEN`.
    pub url: String,
}

/// A link with its access log.
#[derive(Debug, Object)]
pub(crate) struct ShareLinkDetails {
    #[oai(flatten)]
    pub link: ShareLink,
    /// Every time the link was opened or verified, newest first (the
    /// newest 500).
    pub opens: Vec<LinkOpen>,
}

/// Links made by one bulk request.
#[derive(Debug, Object)]
pub(crate) struct NewShareLinks {
    /// In the order of `shipment_ids`.
    pub links: Vec<NewShareLink>,
}

/// A shipment's links.
#[derive(Debug, Object)]
pub(crate) struct ShareLinkList {
    /// Newest first.
    pub links: Vec<ShareLink>,
}

/// Someone a link was made for.
#[derive(Debug, Object)]
pub(crate) struct ShareRecipient {
    pub email: String,
    /// Receives the shipment's update mails.
    pub receives_updates: bool,
}

/// What a link shows.
#[derive(Debug, Object)]
pub(crate) struct ShareSections {
    /// Always true.
    pub timeline: bool,
    /// Always true.
    pub route: bool,
    /// Always true.
    pub dates: bool,
    pub containers: bool,
    pub cargo: bool,
    pub documents: bool,
}

/// One use of a link.
#[derive(Debug, Object)]
pub(crate) struct LinkOpen {
    pub at: DateTime<Utc>,
    /// `opened` (the shipment page was shown) or `verified` (a viewer
    /// proved a recipient's address with a code).
    pub access: String,
    /// The verified address, on links that require verification.
    #[oai(skip_serializing_if_is_none)]
    pub email: Option<String>,
    /// The viewer's network address as Porthole saw it.
    #[oai(skip_serializing_if_is_none)]
    pub client_address: Option<String>,
}

impl ShareLinkCreate {
    /// The shipment and how to make its link.
    pub(crate) fn into_request(self) -> (String, ShareLinkOptions) {
        let options = options(
            self.recipients,
            self.require_verification,
            self.expires_at,
            self.expire_on_delivery,
            self.sections,
            self.notify_recipients,
        );
        (self.shipment_id, options)
    }
}

impl ShareLinkBulkCreate {
    /// The shipments and how to make their links.
    pub(crate) fn into_request(self) -> (Vec<String>, ShareLinkOptions) {
        let options = options(
            self.recipients,
            self.require_verification,
            self.expires_at,
            self.expire_on_delivery,
            self.sections,
            self.notify_recipients,
        );
        (self.shipment_ids, options)
    }
}

fn options(
    recipients: Option<Vec<String>>,
    require_verification: bool,
    expires_at: Option<String>,
    expire_on_delivery: Option<bool>,
    sections: Option<ShareSectionsChoice>,
    notify_recipients: Option<bool>,
) -> ShareLinkOptions {
    ShareLinkOptions {
        recipients,
        require_verification,
        expires_at,
        expire_on_delivery,
        sections: sections.map(|choice| SectionsInput {
            containers: choice.containers,
            cargo: choice.cargo,
            documents: choice.documents,
        }),
        notify_recipients,
    }
}

impl ShareLink {
    fn of(link: domain::ShareLink, status: domain::LinkStatus) -> Self {
        Self {
            id: link.id.into_string(),
            shipment_id: link.shipment_id.into_string(),
            status: status.as_str().to_owned(),
            recipients: link
                .recipients
                .into_iter()
                .map(|recipient| ShareRecipient {
                    email: recipient.email.to_string(),
                    receives_updates: recipient.receives_updates,
                })
                .collect(),
            require_verification: link.require_verification,
            expires_at: link.expires_at,
            expire_on_delivery: link.expire_on_delivery,
            sections: ShareSections {
                timeline: true,
                route: true,
                dates: true,
                containers: link.sections.containers,
                cargo: link.sections.cargo,
                documents: link.sections.documents,
            },
            created_at: link.created_at,
            revoked_at: link.revoked_at,
        }
    }
}

impl From<ShareLinkIssued> for NewShareLink {
    fn from(issued: ShareLinkIssued) -> Self {
        Self { link: ShareLink::of(issued.link, issued.status), url: issued.url }
    }
}

impl From<ShareLinkOverview> for ShareLink {
    fn from(overview: ShareLinkOverview) -> Self {
        Self::of(overview.link, overview.status)
    }
}

impl From<porthole_app::ShareLinkDetails> for ShareLinkDetails {
    fn from(details: porthole_app::ShareLinkDetails) -> Self {
        Self {
            link: ShareLink::of(details.link, details.status),
            opens: details.access_log.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<LinkAccessEntry> for LinkOpen {
    fn from(entry: LinkAccessEntry) -> Self {
        Self {
            at: entry.at,
            access: entry.access.as_str().to_owned(),
            email: entry.email.map(|email| email.to_string()),
            client_address: entry.client_address,
        }
    }
}
