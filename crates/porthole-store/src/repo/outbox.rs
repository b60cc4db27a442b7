//! The mail outbox: recorded causes, and the mails they became.
//!
//! Causes are written by the transaction of the change that owes the mail
//! ([`record_causes`]); a worker reads the due ones, and marks them
//! dispatched in the transaction that queues their mails. Whoever marks a
//! cause first wins: the marking is one conditional `UPDATE … WHERE
//! dispatched_at IS NULL`, and a worker that marks fewer causes than it
//! asked for rolls back and queues nothing.
//!
//! Mails are claimed by counting an attempt and setting `lease_until`, in
//! one write transaction: on PostgreSQL the due rows are selected `FOR
//! UPDATE SKIP LOCKED`, so concurrent claimers pass each other's rows by;
//! on SQLite the `IMMEDIATE` transaction lets one claimer in at a time.
//!
//! Times are `utc_text` (UTC, fixed width): "due" and "lapsed" are text
//! comparisons, on both backends.

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use porthole_app::ports::{
    AttemptOutcome, CauseId, MailCause, NewOutboxMail, OutboxCounts, OutboxMail, OutboxMailId, OutboxRepository,
    OutboxStatus, PendingCause, RepoError, RepoResult,
};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, JoinType, LockBehavior, LockType, Order, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TryInsertResult,
};

use super::{INSERT_CHUNK, LOOKUP_CHUNK, finish};
use crate::Store;
use crate::codec::{cause_row, outbox_mail_of, outbox_mail_row, pending_cause_of, utc_text};
use crate::entity::{outbox_cause, outbox_mail};
use crate::error::{Corrupt, unavailable, write_error};

#[async_trait]
impl OutboxRepository for Store {
    /// One `INSERT … ON CONFLICT (dedupe_key) DO NOTHING`: of concurrent
    /// callers with one key, exactly one inserts. Causes without a key
    /// never conflict.
    async fn insert_cause(&self, cause: &MailCause, key: Option<String>) -> RepoResult<bool> {
        let row = cause_row(cause, key, &utc_text(&self.clock.now()));
        let inserted = outbox_cause::Entity::insert(row)
            .on_conflict_do_nothing_on([outbox_cause::Column::DedupeKey])
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| write_error(e, &[]))?;
        Ok(matches!(inserted, TryInsertResult::Inserted(rows) if rows > 0))
    }

    /// One query: the waiting causes in id order, each shipment change
    /// joined to the burst of its shipment (the waiting changes of shipments
    /// whose oldest waiting change has settled, with their number); changes
    /// of unsettled shipments have no burst and are left out.
    ///
    /// "Oldest first" is id order, the order causes were recorded: the
    /// changes of one shipment are recorded under its row lock (SQLite: the
    /// write lock), so their ids follow the order of the writes, which is
    /// what merging a burst needs. `created_at` is the time the write began
    /// and may not: two writers that began together queue on the lock in
    /// either order. It decides only when a burst has settled.
    ///
    /// When `limit` cuts the answer, a burst may be cut too; such a burst is
    /// left out whole (it comes first in a later call, once the causes
    /// before it are dispatched), unless nothing else would be returned:
    /// a burst larger than `limit` goes out in parts.
    async fn due_causes(&self, settled_before: DateTime<Utc>, limit: u64) -> RepoResult<Vec<PendingCause>> {
        let statement = self.db.get_database_backend().build(&waiting_causes(&utc_text(&settled_before), limit));
        let rows = WaitingCause::find_by_statement(statement).all(&self.db).await.map_err(unavailable)?;
        let rows = if u64::try_from(rows.len()).is_ok_and(|n| n >= limit) { whole_bursts(rows) } else { rows };
        Ok(rows.into_iter().map(|row| pending_cause_of(row.into_model())).collect::<Result<_, _>>()?)
    }

    async fn dispatch_causes(
        &self,
        cause_ids: &[CauseId],
        mails: &[NewOutboxMail],
        now: DateTime<Utc>,
    ) -> RepoResult<bool> {
        let ids: Vec<CauseId> = cause_ids.iter().copied().collect::<BTreeSet<_>>().into_iter().collect();
        let now = utc_text(&now);
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            let mut marked = 0;
            for chunk in ids.chunks(LOOKUP_CHUNK) {
                let updated = outbox_cause::Entity::update_many()
                    .col_expr(outbox_cause::Column::DispatchedAt, Expr::value(now.as_str()))
                    .filter(outbox_cause::Column::Id.is_in(chunk.iter().copied()))
                    .filter(outbox_cause::Column::DispatchedAt.is_null())
                    .exec(&txn)
                    .await
                    .map_err(unavailable)?;
                marked += updated.rows_affected;
            }
            // Another worker dispatched one of them (or it does not exist):
            // its mails are queued already, or owed to nobody.
            if usize::try_from(marked).ok() != Some(ids.len()) {
                return Ok(false);
            }
            for chunk in mails.chunks(INSERT_CHUNK) {
                outbox_mail::Entity::insert_many(chunk.iter().map(|mail| outbox_mail_row(mail, &now)))
                    .on_conflict_do_nothing_on([outbox_mail::Column::DedupeKey])
                    .exec_without_returning(&txn)
                    .await
                    .map_err(|e| write_error(e, &[]))?;
            }
            Ok(true)
        }
        .await;
        match result {
            Ok(false) => {
                txn.rollback().await.map_err(unavailable)?;
                Ok(false)
            }
            other => finish(txn, other).await,
        }
    }

    async fn discard_waiting_changes(&self, now: DateTime<Utc>) -> RepoResult<u64> {
        let updated = outbox_cause::Entity::update_many()
            .col_expr(outbox_cause::Column::DispatchedAt, Expr::value(utc_text(&now)))
            .filter(outbox_cause::Column::Kind.eq(MailCause::SHIPMENT_CHANGED))
            .filter(outbox_cause::Column::DispatchedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(unavailable)?;
        Ok(updated.rows_affected)
    }

    async fn claim_due_mails(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u64,
    ) -> RepoResult<Vec<OutboxMail>> {
        use outbox_mail::Column as M;
        let now = utc_text(&now);
        let lease_until = utc_text(&lease_until);
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            let ids: Vec<OutboxMailId> = outbox_mail::Entity::find()
                .select_only()
                .column(M::Id)
                .filter(M::Status.eq(OutboxStatus::Pending.as_str()))
                .filter(M::NextAttemptAt.lte(now.as_str()))
                .filter(Condition::any().add(M::LeaseUntil.is_null()).add(M::LeaseUntil.lte(now.as_str())))
                .order_by_asc(M::Id)
                .limit(limit)
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                .into_tuple()
                .all(&txn)
                .await
                .map_err(unavailable)?;
            let mut claimed = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(LOOKUP_CHUNK) {
                outbox_mail::Entity::update_many()
                    .col_expr(M::Attempts, Expr::col(M::Attempts).add(1))
                    .col_expr(M::LeaseUntil, Expr::value(lease_until.as_str()))
                    .filter(M::Id.is_in(chunk.iter().copied()))
                    .exec(&txn)
                    .await
                    .map_err(unavailable)?;
                let rows = outbox_mail::Entity::find()
                    .filter(M::Id.is_in(chunk.iter().copied()))
                    .order_by_asc(M::Id)
                    .all(&txn)
                    .await
                    .map_err(unavailable)?;
                for row in rows {
                    claimed.push(outbox_mail_of(row)?);
                }
            }
            Ok(claimed)
        }
        .await;
        finish(txn, result).await
    }

    /// Only a pending mail changes: once an attempt has ended it (sent,
    /// skipped, given up), a late report of another attempt, whose lease
    /// lapsed meanwhile, leaves it as it is.
    async fn finish_attempt(&self, id: OutboxMailId, outcome: &AttemptOutcome) -> RepoResult<()> {
        let ended = |status: OutboxStatus, at: &DateTime<Utc>, error: Option<&str>| outbox_mail::ActiveModel {
            status: Set(status.as_str().to_owned()),
            finished_at: Set(Some(utc_text(at))),
            last_error: Set(error.map(str::to_owned)),
            lease_until: Set(None),
            ..Default::default()
        };
        let change = match outcome {
            AttemptOutcome::Sent { at } => ended(OutboxStatus::Sent, at, None),
            AttemptOutcome::Skipped { at, reason } => ended(OutboxStatus::Skipped, at, Some(reason)),
            AttemptOutcome::GaveUp { at, error } => ended(OutboxStatus::Failed, at, Some(error)),
            AttemptOutcome::Retry { retry_at, error } => outbox_mail::ActiveModel {
                next_attempt_at: Set(utc_text(retry_at)),
                last_error: Set(Some(error.clone())),
                lease_until: Set(None),
                ..Default::default()
            },
        };
        let updated = outbox_mail::Entity::update_many()
            .set(change)
            .filter(outbox_mail::Column::Id.eq(id))
            .filter(outbox_mail::Column::Status.eq(OutboxStatus::Pending.as_str()))
            .exec(&self.db)
            .await
            .map_err(unavailable)?;
        if updated.rows_affected == 0 && !self.mail_exists(id).await? {
            return Err(RepoError::NotFound);
        }
        Ok(())
    }

    async fn outbox_mails(&self, status: Option<OutboxStatus>, limit: u64) -> RepoResult<Vec<OutboxMail>> {
        let mut select = outbox_mail::Entity::find();
        if let Some(status) = status {
            select = select.filter(outbox_mail::Column::Status.eq(status.as_str()));
        }
        let rows = select
            .order_by_desc(outbox_mail::Column::CreatedAt)
            .order_by_desc(outbox_mail::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(unavailable)?;
        Ok(rows.into_iter().map(outbox_mail_of).collect::<Result<_, _>>()?)
    }

    async fn outbox_mail(&self, id: OutboxMailId) -> RepoResult<Option<OutboxMail>> {
        let row = outbox_mail::Entity::find_by_id(id).one(&self.db).await.map_err(unavailable)?;
        Ok(row.map(outbox_mail_of).transpose()?)
    }

    /// Two queries over one snapshot: the waiting causes, and one
    /// `GROUP BY status` over the mails.
    async fn outbox_counts(&self) -> RepoResult<OutboxCounts> {
        let txn = self.begin_read().await.map_err(unavailable)?;
        let result = async {
            let causes_waiting = outbox_cause::Entity::find()
                .filter(outbox_cause::Column::DispatchedAt.is_null())
                .count(&txn)
                .await
                .map_err(unavailable)?;
            let per_status: Vec<(String, i64)> = outbox_mail::Entity::find()
                .select_only()
                .column(outbox_mail::Column::Status)
                .column_as(Expr::col(outbox_mail::Column::Id).count(), "mails")
                .group_by(outbox_mail::Column::Status)
                .into_tuple()
                .all(&txn)
                .await
                .map_err(unavailable)?;
            let mut counts = OutboxCounts { causes_waiting, ..OutboxCounts::default() };
            for (status, mails) in per_status {
                let mails = u64::try_from(mails).unwrap_or_default();
                match OutboxStatus::parse(&status) {
                    Some(OutboxStatus::Pending) => counts.pending = mails,
                    Some(OutboxStatus::Sent) => counts.sent = mails,
                    Some(OutboxStatus::Failed) => counts.failed = mails,
                    Some(OutboxStatus::Skipped) => counts.skipped = mails,
                    None => return Err(Corrupt::new("outbox_mails.status", format!("unknown value '{status}'")).into()),
                }
            }
            Ok(counts)
        }
        .await;
        finish(txn, result).await
    }

    async fn retry_mail(&self, id: OutboxMailId, now: DateTime<Utc>) -> RepoResult<bool> {
        let again = outbox_mail::ActiveModel {
            status: Set(OutboxStatus::Pending.as_str().to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(utc_text(&now)),
            finished_at: Set(None),
            lease_until: Set(None),
            ..Default::default()
        };
        let updated = outbox_mail::Entity::update_many()
            .set(again)
            .filter(outbox_mail::Column::Id.eq(id))
            .filter(outbox_mail::Column::Status.eq(OutboxStatus::Failed.as_str()))
            .exec(&self.db)
            .await
            .map_err(unavailable)?;
        if updated.rows_affected == 1 {
            return Ok(true);
        }
        if self.mail_exists(id).await? { Ok(false) } else { Err(RepoError::NotFound) }
    }
}

impl Store {
    async fn mail_exists(&self, id: OutboxMailId) -> RepoResult<bool> {
        let found = outbox_mail::Entity::find_by_id(id)
            .select_only()
            .column(outbox_mail::Column::Id)
            .into_tuple::<OutboxMailId>()
            .one(&self.db)
            .await
            .map_err(unavailable)?;
        Ok(found.is_some())
    }
}

/// Records `causes`, none with a dedupe key, within `conn`'s transaction.
pub(super) async fn record_causes(conn: &impl ConnectionTrait, causes: &[MailCause], now: &str) -> RepoResult<()> {
    for chunk in causes.chunks(INSERT_CHUNK) {
        outbox_cause::Entity::insert_many(chunk.iter().map(|cause| cause_row(cause, None, now)))
            .exec_without_returning(conn)
            .await
            .map_err(|e| write_error(e, &[]))?;
    }
    Ok(())
}

/// A waiting cause, with the size of its shipment's settled burst (`None`
/// for a cause that is not a shipment change).
#[derive(Debug, FromQueryResult)]
struct WaitingCause {
    id: i64,
    dedupe_key: Option<String>,
    kind: String,
    shipment_id: Option<String>,
    detail: String,
    created_at: String,
    burst: Option<i64>,
}

impl WaitingCause {
    fn into_model(self) -> outbox_cause::Model {
        outbox_cause::Model {
            id: self.id,
            dedupe_key: self.dedupe_key,
            kind: self.kind,
            shipment_id: self.shipment_id,
            detail: self.detail,
            created_at: self.created_at,
            dispatched_at: None,
        }
    }
}

/// The alias of the settled bursts in [`waiting_causes`].
const SETTLED: &str = "settled";

/// The statement behind [`OutboxRepository::due_causes`]. The waiting causes
/// are read in order from `idx_outbox_causes_waiting_id`; the bursts are
/// grouped from `idx_outbox_causes_waiting_shipment_id_created_at`. Both
/// indexes hold waiting causes only.
fn waiting_causes(settled_before: &str, limit: u64) -> sea_orm::sea_query::SelectStatement {
    use outbox_cause::Column as C;
    let bursts = Query::select()
        .column(C::ShipmentId)
        .expr_as(Expr::col(C::Id).count(), "burst")
        .from(outbox_cause::Entity)
        .and_where(Expr::col(C::DispatchedAt).is_null())
        .and_where(Expr::col(C::ShipmentId).is_not_null())
        .group_by_col(C::ShipmentId)
        .and_having(Expr::col(C::CreatedAt).min().lte(settled_before))
        .take();
    let cause = |column: C| (outbox_cause::Entity, column);
    Query::select()
        .columns([C::Id, C::DedupeKey, C::Kind, C::ShipmentId, C::Detail, C::CreatedAt].map(cause))
        .column((SETTLED, "burst"))
        .from(outbox_cause::Entity)
        .join_subquery(
            JoinType::LeftJoin,
            bursts,
            SETTLED,
            Expr::col((SETTLED, C::ShipmentId)).equals(cause(C::ShipmentId)),
        )
        .and_where(Expr::col(cause(C::DispatchedAt)).is_null())
        .cond_where(
            Condition::any()
                .add(Expr::col(cause(C::ShipmentId)).is_null())
                .add(Expr::col((SETTLED, C::ShipmentId)).is_not_null()),
        )
        .order_by(cause(C::Id), Order::Asc)
        .limit(limit)
        .take()
}

/// `rows` without the bursts they hold only part of, unless that would
/// leave nothing.
fn whole_bursts(rows: Vec<WaitingCause>) -> Vec<WaitingCause> {
    let mut held: HashMap<&str, i64> = HashMap::new();
    for row in &rows {
        if let Some(shipment) = row.shipment_id.as_deref() {
            *held.entry(shipment).or_default() += 1;
        }
    }
    let cut: BTreeSet<String> = rows
        .iter()
        .filter_map(|row| match (row.shipment_id.as_deref(), row.burst) {
            (Some(shipment), Some(burst)) if held.get(shipment).copied().unwrap_or_default() < burst => {
                Some(shipment.to_owned())
            }
            _ => None,
        })
        .collect();
    let is_cut = |row: &WaitingCause| row.shipment_id.as_ref().is_some_and(|shipment| cut.contains(shipment));
    if cut.is_empty() || rows.iter().all(is_cut) {
        return rows;
    }
    rows.into_iter().filter(|row| !is_cut(row)).collect()
}

/// How SQLite plans the outbox's reads: through the partial indexes of
/// waiting causes and the mail indexes, with no table scan.
#[cfg(test)]
mod plans {
    use sea_orm::{DbBackend, QueryTrait, Statement};

    use super::*;

    async fn plan(store: &Store, statement: Statement) -> Vec<String> {
        crate::repo::sqlite_plan(store, statement).await
    }

    fn scans_no_table(details: &[String]) {
        // A scan of a covering index walks only what the index holds.
        let scans_a_table = |d: &&String| d.starts_with("SCAN") && !d.contains("INDEX");
        assert!(!details.iter().any(|d| scans_a_table(&d)), "scans: {details:?}");
    }

    #[tokio::test]
    async fn due_causes_read_only_the_waiting_causes_in_order() {
        let store = Store::connect("sqlite::memory:").await.expect("connect");
        store.migrate().await.expect("migrate");
        let details = plan(&store, DbBackend::Sqlite.build(&waiting_causes("2025-05-10T00:00:00Z", 200))).await;
        assert!(details.iter().any(|d| d.contains("idx_outbox_causes_waiting_id")), "{details:?}");
        assert!(details.iter().any(|d| d.contains("idx_outbox_causes_waiting_shipment_id_created_at")), "{details:?}");
        scans_no_table(&details);
        assert!(
            !details.iter().any(|d| d.contains("TEMP B-TREE FOR ORDER BY")),
            "the waiting causes come in order: {details:?}"
        );
    }

    #[tokio::test]
    async fn mails_are_claimed_listed_and_counted_through_indexes() {
        let store = Store::connect("sqlite::memory:").await.expect("connect");
        store.migrate().await.expect("migrate");
        use outbox_mail::Column as M;
        let now = "2025-05-10T00:00:00.000000000Z";
        let claim = outbox_mail::Entity::find()
            .select_only()
            .column(M::Id)
            .filter(M::Status.eq("pending"))
            .filter(M::NextAttemptAt.lte(now))
            .filter(Condition::any().add(M::LeaseUntil.is_null()).add(M::LeaseUntil.lte(now)))
            .order_by_asc(M::Id)
            .limit(20);
        let details = plan(&store, claim.build(DbBackend::Sqlite)).await;
        assert!(details.iter().any(|d| d.contains("idx_outbox_mails_status_next_attempt_at")), "{details:?}");
        scans_no_table(&details);

        let listed = outbox_mail::Entity::find()
            .filter(M::Status.eq("failed"))
            .order_by_desc(M::CreatedAt)
            .order_by_desc(M::Id)
            .limit(50);
        let details = plan(&store, listed.build(DbBackend::Sqlite)).await;
        assert!(details.iter().any(|d| d.contains("idx_outbox_mails_status_created_at_id")), "{details:?}");
        assert!(!details.iter().any(|d| d.contains("TEMP B-TREE")), "{details:?}");

        let all = outbox_mail::Entity::find().order_by_desc(M::CreatedAt).order_by_desc(M::Id).limit(50);
        let details = plan(&store, all.build(DbBackend::Sqlite)).await;
        assert!(details.iter().any(|d| d.contains("idx_outbox_mails_created_at_id")), "{details:?}");
        assert!(!details.iter().any(|d| d.contains("TEMP B-TREE")), "{details:?}");

        let waiting = outbox_cause::Entity::find().filter(outbox_cause::Column::DispatchedAt.is_null());
        let details = plan(&store, waiting.build(DbBackend::Sqlite)).await;
        assert!(details.iter().any(|d| d.contains("idx_outbox_causes_waiting")), "{details:?}");
        scans_no_table(&details);
    }
}
