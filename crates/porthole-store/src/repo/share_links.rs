//! Share links, their viewers' sessions, verification codes and access log.
//!
//! Links are read with their recipients in two queries however many links
//! there are: the links (joined to their shipment for its delivery time),
//! then every recipient of those links, selected by the same condition
//! through a join, so no id list is sent back and no query runs per link.
//!
//! A link opens by its own token or by an `Open` mail token (one per mail
//! sent to a recipient, so a mail never carries the link's own token); a
//! new link token kills both. `Unsubscribe` mail tokens only stop updates
//! to their recipient, and outlive a new link token.
//!
//! Times are `utc_text` (UTC, fixed width): "live" and "earlier" are text
//! comparisons, on both backends.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use porthole_app::ports::{
    LinkAccessEntry, LinkMailToken, LinkMailTokenPurpose, LinkSession, MailCause, RepoError, RepoResult,
    ShareLinkRepository, StoredShareLink, VerificationCode,
};
use porthole_app::secret::SecretDigest;
use porthole_domain::share::CODE_ATTEMPTS;
use porthole_domain::{CodeState, Email, ShareLink, ShareLinkId, ShipmentId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, JoinType, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, RelationTrait, Select,
};

use super::outbox::record_causes;
use super::{INSERT_CHUNK, existing_ids, finish};
use crate::Store;
use crate::codec::{
    ShareLinkRow, access_entry_of, access_entry_row, link_mail_token_of, link_mail_token_row, link_session_of,
    link_session_row, share_link_rows, stored_share_link_of, utc_text, verification_code_of, verification_code_row,
};
use crate::entity::{
    link_access_entry, link_session, link_verification_code, share_link, share_link_mail_token, share_link_recipient,
    shipment,
};
use crate::error::{Unique, unavailable, write_error};

const TOKEN: Unique = Unique::new("share_links", "token_digest", "token");

#[async_trait]
impl ShareLinkRepository for Store {
    async fn insert_share_links(&self, links: &[(ShareLink, SecretDigest)], causes: &[MailCause]) -> RepoResult<()> {
        let (rows, recipients): (Vec<_>, Vec<_>) =
            links.iter().map(|(link, token)| share_link_rows(link, token)).unzip();
        let recipients: Vec<_> = recipients.into_iter().flatten().collect();
        let now = utc_text(&self.clock.now());
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            for chunk in rows.chunks(INSERT_CHUNK) {
                share_link::Entity::insert_many(chunk.iter().cloned().map(IntoActiveModel::into_active_model))
                    .exec_without_returning(&txn)
                    .await
                    .map_err(|e| write_error(e, &[TOKEN]))?;
            }
            for chunk in recipients.chunks(INSERT_CHUNK) {
                share_link_recipient::Entity::insert_many(
                    chunk.iter().cloned().map(IntoActiveModel::into_active_model),
                )
                .exec_without_returning(&txn)
                .await
                .map_err(|e| write_error(e, &[]))?;
            }
            record_causes(&txn, causes, &now).await
        }
        .await;
        finish(txn, result).await
    }

    async fn share_link(&self, id: &ShareLinkId) -> RepoResult<Option<StoredShareLink>> {
        let links = self.links_where(Condition::all().add(share_link::Column::Id.eq(id.as_str()))).await?;
        Ok(links.into_iter().next())
    }

    /// One condition, so the link and its recipients are read with the same
    /// test: the link's own token, or the link of an `Open` mail token (a
    /// primary-key lookup).
    async fn share_link_by_token(&self, digest: &SecretDigest) -> RepoResult<Option<StoredShareLink>> {
        let links = self.links_where(opened_by(digest)).await?;
        Ok(links.into_iter().next())
    }

    async fn insert_link_mail_token(&self, token: &LinkMailToken) -> RepoResult<()> {
        share_link_mail_token::Entity::insert(link_mail_token_row(token).into_active_model())
            .exec_without_returning(&self.db)
            .await
            .map(drop)
            .map_err(|e| write_error(e, &[]))
    }

    async fn link_mail_token(&self, digest: &SecretDigest) -> RepoResult<Option<LinkMailToken>> {
        let row =
            share_link_mail_token::Entity::find_by_id(digest.as_str()).one(&self.db).await.map_err(unavailable)?;
        Ok(row.map(link_mail_token_of).transpose()?)
    }

    async fn stop_link_updates(&self, link_id: &ShareLinkId, email: &Email) -> RepoResult<()> {
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            let stopped = share_link_recipient::Entity::update_many()
                .col_expr(share_link_recipient::Column::ReceivesUpdates, Expr::value(false))
                .filter(share_link_recipient::Column::LinkId.eq(link_id.as_str()))
                .filter(share_link_recipient::Column::Email.eq(email.as_str()))
                .exec(&txn)
                .await
                .map_err(unavailable)?;
            if stopped.rows_affected == 0 && !link_exists(&txn, link_id).await? {
                return Err(RepoError::NotFound);
            }
            Ok(())
        }
        .await;
        finish(txn, result).await
    }

    async fn share_links_of(&self, shipment_id: &ShipmentId) -> RepoResult<Vec<StoredShareLink>> {
        self.links_where(Condition::all().add(share_link::Column::ShipmentId.eq(shipment_id.as_str()))).await
    }

    async fn revoke_share_link(&self, id: &ShareLinkId, at: DateTime<Utc>) -> RepoResult<()> {
        let at = utc_text(&at);
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            let revoked = share_link::Entity::update_many()
                .col_expr(share_link::Column::RevokedAt, Expr::value(at.as_str()))
                .filter(share_link::Column::Id.eq(id.as_str()))
                .filter(
                    Condition::any()
                        .add(share_link::Column::RevokedAt.is_null())
                        .add(share_link::Column::RevokedAt.gt(at.as_str())),
                )
                .exec(&txn)
                .await
                .map_err(unavailable)?;
            // Nothing changed: either an earlier revocation stands, or
            // there is no such link.
            if revoked.rows_affected == 0 && !link_exists(&txn, id).await? {
                return Err(RepoError::NotFound);
            }
            end_link_sessions(&txn, id).await
        }
        .await;
        finish(txn, result).await
    }

    async fn replace_share_link_token(&self, id: &ShareLinkId, digest: &SecretDigest) -> RepoResult<()> {
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            let replaced = share_link::Entity::update_many()
                .col_expr(share_link::Column::TokenDigest, Expr::value(digest.as_str()))
                .filter(share_link::Column::Id.eq(id.as_str()))
                .exec(&txn)
                .await
                .map_err(|e| write_error(e, &[TOKEN]))?;
            if replaced.rows_affected == 0 {
                return Err(RepoError::NotFound);
            }
            end_link_sessions(&txn, id).await?;
            // A code mailed for the old URL must not open the new one.
            link_verification_code::Entity::delete_many()
                .filter(link_verification_code::Column::LinkId.eq(id.as_str()))
                .exec(&txn)
                .await
                .map_err(unavailable)?;
            // Nor may the addresses mailed to recipients; their unsubscribe
            // tokens stay, as stopping updates is always harmless.
            share_link_mail_token::Entity::delete_many()
                .filter(share_link_mail_token::Column::LinkId.eq(id.as_str()))
                .filter(share_link_mail_token::Column::Purpose.eq(LinkMailTokenPurpose::Open.as_str()))
                .exec(&txn)
                .await
                .map(drop)
                .map_err(unavailable)
        }
        .await;
        finish(txn, result).await
    }

    async fn record_link_access(&self, id: &ShareLinkId, entry: &LinkAccessEntry) -> RepoResult<()> {
        link_access_entry::Entity::insert(access_entry_row(id, entry))
            .exec_without_returning(&self.db)
            .await
            .map(drop)
            .map_err(|e| write_error(e, &[]))
    }

    async fn record_link_accesses(&self, entries: &[(ShareLinkId, LinkAccessEntry)]) -> RepoResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            let existing: HashSet<String> = existing_ids::<share_link::Entity>(
                &txn,
                share_link::Column::Id,
                entries.iter().map(|(id, _)| id.as_str()),
            )
            .await?
            .into_iter()
            .collect();
            let rows: Vec<_> = entries
                .iter()
                .filter(|(id, _)| existing.contains(id.as_str()))
                .map(|(id, entry)| access_entry_row(id, entry))
                .collect();
            // Chunks of power-of-two sizes: each size is a statement of its
            // own that every connection prepares and keeps, so batches of
            // any length must come down to a few shapes (at most nine).
            let mut rest = rows.as_slice();
            while !rest.is_empty() {
                let size = VIEW_CHUNK.min(1 << rest.len().ilog2());
                let (chunk, after) = rest.split_at(size);
                link_access_entry::Entity::insert_many(chunk.to_vec())
                    .exec_without_returning(&txn)
                    .await
                    .map_err(|e| write_error(e, &[]))?;
                rest = after;
            }
            Ok(())
        }
        .await;
        finish(txn, result).await
    }

    async fn link_access_log(&self, id: &ShareLinkId, limit: u64) -> RepoResult<Vec<LinkAccessEntry>> {
        let rows = link_access_entry::Entity::find()
            .filter(link_access_entry::Column::LinkId.eq(id.as_str()))
            .order_by_desc(link_access_entry::Column::At)
            .order_by_desc(link_access_entry::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(unavailable)?;
        Ok(rows.into_iter().map(access_entry_of).collect::<Result<_, _>>()?)
    }

    /// Deletes the earlier code rather than marking it dead: a new code
    /// may repeat an earlier one's six digits, and so its digest.
    async fn insert_verification_code(&self, code: &VerificationCode) -> RepoResult<()> {
        let link = code.link_id.as_str();
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            // Two requests at once must still leave one live code. On
            // PostgreSQL the link's row lock queues them, so the second
            // deletes the first's code; SQLite's write lock already does.
            let locked = share_link::Entity::find_by_id(link)
                .select_only()
                .column(share_link::Column::Id)
                .lock_exclusive()
                .into_tuple::<String>()
                .one(&txn)
                .await
                .map_err(unavailable)?;
            if locked.is_none() {
                return Err(RepoError::NotFound);
            }
            link_verification_code::Entity::delete_many()
                .filter(link_verification_code::Column::LinkId.eq(link))
                .filter(link_verification_code::Column::Email.eq(code.email.as_str()))
                .exec(&txn)
                .await
                .map_err(unavailable)?;
            link_verification_code::Entity::insert(verification_code_row(code).into_active_model())
                .exec_without_returning(&txn)
                .await
                .map(drop)
                .map_err(|e| write_error(e, &[]))
        }
        .await;
        finish(txn, result).await
    }

    async fn verification_code(
        &self,
        link_id: &ShareLinkId,
        email: &Email,
    ) -> RepoResult<Option<(VerificationCode, CodeState)>> {
        let row = link_verification_code::Entity::find()
            .filter(link_verification_code::Column::LinkId.eq(link_id.as_str()))
            .filter(link_verification_code::Column::Email.eq(email.as_str()))
            .order_by_desc(link_verification_code::Column::SentAt)
            .one(&self.db)
            .await
            .map_err(unavailable)?;
        Ok(row.map(verification_code_of).transpose()?)
    }

    /// One conditional UPDATE that adds one to the stored count while it is
    /// below the limit: of concurrent entries, at most the remaining
    /// attempts' worth get through.
    async fn claim_code_attempt(&self, digest: &SecretDigest) -> RepoResult<bool> {
        link_verification_code::Entity::update_many()
            .col_expr(
                link_verification_code::Column::Attempts,
                Expr::col(link_verification_code::Column::Attempts).add(1),
            )
            .filter(link_verification_code::Column::Digest.eq(digest.as_str()))
            .filter(link_verification_code::Column::UsedAt.is_null())
            .filter(link_verification_code::Column::Attempts.lt(i64::from(CODE_ATTEMPTS)))
            .exec(&self.db)
            .await
            .map(|claimed| claimed.rows_affected == 1)
            .map_err(unavailable)
    }

    /// One conditional UPDATE decides, as for sign-in tokens: of concurrent
    /// callers only the one whose UPDATE changed the row starts a session.
    /// Attempts were counted before the code was compared, so they need no
    /// second check here.
    async fn redeem_verification_code(&self, digest: &SecretDigest, session: &LinkSession) -> RepoResult<bool> {
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            let redeemed = link_verification_code::Entity::update_many()
                .col_expr(link_verification_code::Column::UsedAt, Expr::value(utc_text(&session.created_at)))
                .filter(link_verification_code::Column::Digest.eq(digest.as_str()))
                .filter(link_verification_code::Column::LinkId.eq(session.link_id.as_str()))
                .filter(link_verification_code::Column::UsedAt.is_null())
                .exec(&txn)
                .await
                .map_err(unavailable)?;
            if redeemed.rows_affected == 0 {
                return Ok(false);
            }
            insert_session(&txn, session).await?;
            Ok(true)
        }
        .await;
        finish(txn, result).await
    }

    async fn insert_link_session(&self, session: &LinkSession) -> RepoResult<()> {
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = insert_session(&txn, session).await;
        finish(txn, result).await
    }

    async fn link_session(&self, digest: &SecretDigest, now: DateTime<Utc>) -> RepoResult<Option<LinkSession>> {
        let live = link_session::Entity::find_by_id(digest.as_str())
            .filter(link_session::Column::ExpiresAt.gt(utc_text(&now)));
        let row: Option<link_session::Model> = self.reads().reader().one(live.into_query()).await?;
        Ok(row.map(link_session_of).transpose()?)
    }
}

impl Store {
    /// The links meeting `which` (a condition on `share_links`), newest
    /// first, each with its recipients and its shipment's delivery time.
    /// Two statements (this is on every share page); on the pool without a
    /// transaction, so the recipients, read second, may be a moment newer
    /// than the link, as if the request had come a moment later.
    async fn links_where(&self, which: Condition) -> RepoResult<Vec<StoredShareLink>> {
        let reads = self.reads();
        let reader = reads.reader();
        let links: Vec<ShareLinkRow> = reader.all(&links_of(which.clone()).into_query()).await?;
        if links.is_empty() {
            return Ok(Vec::new());
        }
        let recipients: Vec<share_link_recipient::Model> = reader.all(&recipients_of(which).into_query()).await?;
        let mut by_link: HashMap<String, Vec<share_link_recipient::Model>> = HashMap::new();
        for recipient in recipients {
            by_link.entry(recipient.link_id.clone()).or_default().push(recipient);
        }
        let stored = links.into_iter().map(|row| {
            let recipients = by_link.remove(&row.id).unwrap_or_default();
            stored_share_link_of(row, recipients)
        });
        Ok(stored.collect::<Result<_, _>>()?)
    }
}

/// The largest access-log INSERT, in rows (a power of two).
const VIEW_CHUNK: usize = 256;

/// The [`ShareLinkRow`]s of the links meeting `which`, newest first.
fn links_of(which: Condition) -> Select<share_link::Entity> {
    use share_link::Column as L;
    share_link::Entity::find()
        .select_only()
        .columns([
            L::Id,
            L::ShipmentId,
            L::RequireVerification,
            L::ExpiresAt,
            L::ExpireOnDelivery,
            L::SectionContainers,
            L::SectionCargo,
            L::SectionDocuments,
            L::CreatedAt,
            L::RevokedAt,
        ])
        .column_as(shipment::Column::PublishedDoneAt, "delivered_at")
        .join(JoinType::InnerJoin, share_link::Relation::Shipment.def())
        .filter(which)
        .order_by_desc(L::CreatedAt)
        .order_by_desc(L::Id)
}

/// Every recipient of the links meeting `which`, link by link in the order
/// of [`links_of`] (so the database walks the same index and need not
/// sort), each link's in position order.
fn recipients_of(which: Condition) -> Select<share_link_recipient::Entity> {
    share_link_recipient::Entity::find()
        .join(JoinType::InnerJoin, share_link_recipient::Relation::ShareLink.def())
        .filter(which)
        .order_by_desc(share_link::Column::CreatedAt)
        .order_by_desc(share_link::Column::Id)
        .order_by_asc(share_link_recipient::Column::Position)
}

/// The links that `digest` opens: as the link's own token, or as an `Open`
/// mail token of the link.
fn opened_by(digest: &SecretDigest) -> Condition {
    let by_mail_token = share_link_mail_token::Entity::find()
        .select_only()
        .column(share_link_mail_token::Column::LinkId)
        .filter(share_link_mail_token::Column::Digest.eq(digest.as_str()))
        .filter(share_link_mail_token::Column::Purpose.eq(LinkMailTokenPurpose::Open.as_str()))
        .into_query();
    Condition::any()
        .add(share_link::Column::TokenDigest.eq(digest.as_str()))
        .add(share_link::Column::Id.in_subquery(by_mail_token))
}

async fn link_exists(conn: &impl ConnectionTrait, id: &ShareLinkId) -> RepoResult<bool> {
    let found = share_link::Entity::find_by_id(id.as_str())
        .select_only()
        .column(share_link::Column::Id)
        .into_tuple::<String>()
        .one(conn)
        .await
        .map_err(unavailable)?;
    Ok(found.is_some())
}

/// Deletes every viewer session on the link.
async fn end_link_sessions(conn: &impl ConnectionTrait, id: &ShareLinkId) -> RepoResult<()> {
    link_session::Entity::delete_many()
        .filter(link_session::Column::LinkId.eq(id.as_str()))
        .exec(conn)
        .await
        .map(drop)
        .map_err(unavailable)
}

/// Starts the session, and ends the link's sessions that have already
/// expired, which nothing else would ever delete.
async fn insert_session(conn: &impl ConnectionTrait, session: &LinkSession) -> RepoResult<()> {
    link_session::Entity::delete_many()
        .filter(link_session::Column::LinkId.eq(session.link_id.as_str()))
        .filter(link_session::Column::ExpiresAt.lte(utc_text(&session.created_at)))
        .exec(conn)
        .await
        .map_err(unavailable)?;
    link_session::Entity::insert(link_session_row(session).into_active_model())
        .exec_without_returning(conn)
        .await
        .map(drop)
        .map_err(|e| write_error(e, &[]))
}

/// How SQLite plans the link queries: ordered index ranges, no table scan,
/// no sort. Its planner answers on an empty table as on a full one.
#[cfg(test)]
mod plans {
    use sea_orm::{DbBackend, QueryTrait, Statement};

    use super::*;

    async fn plan(store: &Store, statement: Statement) -> Vec<String> {
        crate::repo::sqlite_plan(store, statement).await
    }

    fn scans_nothing(details: &[String]) {
        assert!(!details.iter().any(|d| d.starts_with("SCAN")), "scans: {details:?}");
    }

    fn sorts(details: &[String]) -> Vec<&str> {
        details.iter().filter(|d| d.contains("TEMP B-TREE")).map(String::as_str).collect()
    }

    #[tokio::test]
    async fn links_and_recipients_are_read_through_indexes_in_order() {
        let store = Store::connect("sqlite::memory:").await.expect("connect");
        store.migrate().await.expect("migrate");
        for (which, index) in [
            (share_link::Column::ShipmentId.eq("shp_1"), "idx_share_links_shipment_id_created_at"),
            (share_link::Column::TokenDigest.eq("abc"), "uq_share_links_token_digest"),
        ] {
            let which = Condition::all().add(which);
            let links = plan(&store, links_of(which.clone()).build(DbBackend::Sqlite)).await;
            assert!(links.iter().any(|d| d.contains(index)), "{links:?}");
            scans_nothing(&links);
            assert_eq!(sorts(&links), Vec::<&str>::new(), "{links:?}");
            let recipients = plan(&store, recipients_of(which).build(DbBackend::Sqlite)).await;
            assert!(recipients.iter().any(|d| d.contains(index)), "{recipients:?}");
            assert!(
                recipients.iter().any(|d| d.contains("sqlite_autoindex_share_link_recipients_1")),
                "{recipients:?}"
            );
            scans_nothing(&recipients);
            // Links come in order; only each link's few recipients are
            // put in position order.
            assert!(
                sorts(&recipients).iter().all(|d| d.contains("LAST TERM OF ORDER BY")),
                "no sort of the whole result: {recipients:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_token_is_looked_up_by_index_as_a_link_token_and_as_a_mail_token() {
        let store = Store::connect("sqlite::memory:").await.expect("connect");
        store.migrate().await.expect("migrate");
        let which = opened_by(&SecretDigest::of("token"));
        for statement in
            [links_of(which.clone()).build(DbBackend::Sqlite), recipients_of(which).build(DbBackend::Sqlite)]
        {
            let details = plan(&store, statement).await;
            assert!(details.iter().any(|d| d.contains("uq_share_links_token_digest")), "{details:?}");
            assert!(details.iter().any(|d| d.contains("sqlite_autoindex_share_link_mail_tokens_1")), "{details:?}");
            scans_nothing(&details);
        }
    }
}
