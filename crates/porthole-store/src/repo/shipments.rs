use std::collections::BTreeSet;

use async_trait::async_trait;
use porthole_app::ports::{
    AppendOutcome, MailCause, RepoError, RepoResult, ShipmentQuery, ShipmentRepository, ShipmentSearch, Upserted,
};
use porthole_domain::projection::{ShipmentRecord, ShipmentSummary};
use porthole_domain::{
    MilestoneState, OrganizationId, Shipment, ShipmentId, ShipmentReference, Status, TrackingEvent, TrackingRole,
    ViewerChange, ViewerDates, ViewerScope,
};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{
    Asterisk, Expr, ExprTrait, Func, LikeExpr, LockType, Order, Query, SelectStatement, UnionType,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, JoinType, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, RelationTrait, Select, TryInsertResult,
};

use super::outbox::record_causes;
use super::{INSERT_CHUNK, count, existing_ids, finish};
use crate::Store;
use crate::codec::{
    PublishedRow, ShipmentColumns, SummaryRow, container_rows, event_of, event_row, master_of, offset_time_text,
    organization_of, shipment_columns, shipment_of, summary_of, utc_text, viewer_dates_of,
};
use crate::entity::{master, organization, shipment, shipment_container, tracking_event};
use crate::error::{Corrupt, Unique, unavailable, write_error};
use crate::reads::{Joined, Reader};

const REFERENCE: Unique = Unique::new("shipments", "reference", "reference");

#[async_trait]
impl ShipmentRepository for Store {
    async fn shipment_by_reference(&self, reference: &ShipmentReference) -> RepoResult<Option<Shipment>> {
        let txn = self.begin_read().await.map_err(unavailable)?;
        let result = async {
            let row = shipment::Entity::find()
                .filter(shipment::Column::Reference.eq(reference.as_str()))
                .one(&txn)
                .await
                .map_err(unavailable)?;
            match row {
                None => Ok(None),
                Some(row) => {
                    let containers = containers_of(Reader::Pool(&txn), &row.id).await?;
                    Ok(Some(shipment_of(row, containers)?))
                }
            }
        }
        .await;
        finish(txn, result).await
    }

    async fn upsert_shipment(&self, shipment: &Shipment) -> RepoResult<Upserted> {
        let now = utc_text(&self.clock.now());
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            let columns = shipment_columns(shipment);
            let by_reference = || shipment::Column::Reference.eq(shipment.reference.as_str());
            // What viewers saw before: none for a new shipment.
            let (id, upserted, before) = match locked_viewer_dates(&txn, by_reference()).await? {
                Some((existing, before)) => (existing, Upserted::Updated, Some(before)),
                None => {
                    let row = new_shipment_row(shipment.id.as_str(), &columns, &now);
                    let inserted = shipment::Entity::insert(row.into_active_model())
                        .on_conflict_do_nothing_on([shipment::Column::Reference])
                        .exec_without_returning(&txn)
                        .await
                        .map_err(|e| write_error(e, &[REFERENCE]))?;
                    match inserted {
                        TryInsertResult::Inserted(rows) if rows > 0 => {
                            (shipment.id.as_str().to_owned(), Upserted::Created, None)
                        }
                        // PostgreSQL only: a concurrent upsert committed the
                        // same reference after our lookup; SQLite's write
                        // lock rules that out. Theirs is now the one to
                        // replace.
                        _ => {
                            let (existing, before) = locked_viewer_dates(&txn, by_reference())
                                .await?
                                .ok_or_else(|| RepoError::Unavailable("shipment vanished during upsert".to_owned()))?;
                            (existing, Upserted::Updated, Some(before))
                        }
                    }
                }
            };
            if upserted == Upserted::Updated {
                shipment::Entity::update_many()
                    .set(changed_columns(&columns, &now))
                    .filter(shipment::Column::Id.eq(id.as_str()))
                    .exec(&txn)
                    .await
                    .map_err(|e| write_error(e, &[REFERENCE]))?;
                shipment_container::Entity::delete_many()
                    .filter(shipment_container::Column::ShipmentId.eq(id.as_str()))
                    .exec(&txn)
                    .await
                    .map_err(unavailable)?;
            }
            let containers = container_rows(&id, &shipment.containers);
            for chunk in containers.chunks(INSERT_CHUNK) {
                shipment_container::Entity::insert_many(chunk.iter().cloned().map(IntoActiveModel::into_active_model))
                    .exec_without_returning(&txn)
                    .await
                    .map_err(|e| write_error(e, &[]))?;
            }
            let (record, after) = publish_viewer_state(&txn, &ShipmentId::new(id), &now).await?;
            if let Some(before) = before {
                record_viewer_change(&txn, &record, &before, &after, 0, &now).await?;
            }
            Ok(upserted)
        }
        .await;
        finish(txn, result).await
    }

    async fn shipment_record(&self, id: &ShipmentId) -> RepoResult<Option<ShipmentRecord>> {
        let reads = self.reads();
        load_record(reads.reader(), id).await
    }

    async fn append_events(&self, id: &ShipmentId, events: &[TrackingEvent]) -> RepoResult<AppendOutcome> {
        let now = utc_text(&self.clock.now());
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            let (_, before) =
                locked_viewer_dates(&txn, shipment::Column::Id.eq(id.as_str())).await?.ok_or(RepoError::NotFound)?;
            let mut accepted = 0;
            for chunk in events.chunks(INSERT_CHUNK) {
                let inserted =
                    tracking_event::Entity::insert_many(chunk.iter().map(|event| event_row(id.as_str(), event, &now)))
                        .on_conflict_do_nothing_on([
                            tracking_event::Column::ShipmentId,
                            tracking_event::Column::EventId,
                        ])
                        .exec_without_returning(&txn)
                        .await
                        .map_err(|e| write_error(e, &[]))?;
                if let TryInsertResult::Inserted(rows) = inserted {
                    accepted += count(rows);
                }
            }
            // Duplicates change nothing, so neither can the derived state,
            // and nothing is owed to viewers.
            if accepted > 0 {
                let (record, after) = publish_viewer_state(&txn, id, &now).await?;
                record_viewer_change(&txn, &record, &before, &after, accepted, &now).await?;
            }
            Ok(AppendOutcome { accepted, duplicates: events.len().saturating_sub(accepted) })
        }
        .await;
        finish(txn, result).await
    }

    /// One query. The scope is split into one branch per party value
    /// (per organization; for overseas agents, per listed customer), each
    /// the scope's conditions plus the filters and the keyset cursor, read
    /// newest reference first from its `(party, reference)` index and cut
    /// at the page size; several branches are merged by `UNION ALL` and cut
    /// again. A shipment has one value per party column, so no shipment is
    /// in two branches. A search that could start a container number adds
    /// an indexed range over container numbers, as a subquery.
    ///
    /// Why branches rather than `party IN (…)`: over several values neither
    /// SQLite nor PostgreSQL (before 17) reads that index in order, so they
    /// sort every matching row, and PostgreSQL's cached generic plan for
    /// the `IN` walks the whole reference index instead: 650 ms per page at
    /// a million shipments for a user of two small organizations, against
    /// well under a millisecond per branch.
    async fn shipments_in_scope(&self, scope: &ViewerScope, query: &ShipmentQuery) -> RepoResult<Vec<ShipmentSummary>> {
        let Some(statement) = scoped_page(scope, query) else {
            return Ok(Vec::new());
        };
        // A text search or a status filter walks the viewer's whole party
        // range until the page fills, milliseconds for a big customer: such
        // a page holds one of the pool's threads, not one of the runtime's.
        let bounded = query.status.is_none() && !matches!(query.search, Some(ShipmentSearch::Text(_)));
        let reads = if bounded { self.reads() } else { self.reads_on_pool() };
        let rows: Vec<SummaryRow> = reads.reader().all(&statement).await?;
        Ok(rows.into_iter().map(summary_of).collect::<Result<_, _>>()?)
    }

    async fn shipment_summaries(&self, after: Option<ShipmentId>, limit: u64) -> RepoResult<Vec<ShipmentSummary>> {
        let mut select = summaries();
        if let Some(after) = after {
            select = select.filter(shipment::Column::Id.gt(after.as_str()));
        }
        let rows = select
            .order_by_asc(shipment::Column::Id)
            .limit(limit)
            .into_model::<SummaryRow>()
            .all(&self.db)
            .await
            .map_err(unavailable)?;
        Ok(rows.into_iter().map(summary_of).collect::<Result<_, _>>()?)
    }

    async fn existing_shipment_ids(&self, ids: &[ShipmentId]) -> RepoResult<Vec<ShipmentId>> {
        let found =
            existing_ids::<shipment::Entity>(&self.db, shipment::Column::Id, ids.iter().map(ShipmentId::as_str))
                .await?;
        Ok(found.into_iter().map(ShipmentId::new).collect())
    }
}

/// The characters `char::is_whitespace` accepts: what `str::trim` removes,
/// so what the domain ignores when it asks whether a shipment has an HBL
/// number. SQL's one-argument `trim` removes spaces only.
const WHITESPACE: &str = "\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}\u{2001}\u{2002}\u{2003}\u{2004}\u{2005}\u{2006}\
    \u{2007}\u{2008}\u{2009}\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}";

/// The escape character of the LIKE patterns built here.
const LIKE_ESCAPE: char = '!';

/// Longest text that can be the start of a container number.
const CONTAINER_NUMBER_LENGTH: usize = 11;

/// The columns of a [`SummaryRow`]: the shipment's, plus its master's
/// overseas agent (none without a master).
fn summaries() -> Select<shipment::Entity> {
    use shipment::Column as S;
    shipment::Entity::find()
        .select_only()
        .columns([
            S::Id,
            S::Reference,
            S::HblNo,
            S::CustomerId,
            S::ShipperId,
            S::ConsigneeId,
            S::PolUnlocode,
            S::PolName,
            S::PodUnlocode,
            S::PodName,
            S::PublishedStatus,
            S::PublishedEtd,
            S::PublishedEta,
            S::PublishedAtd,
            S::PublishedAta,
        ])
        .column_as(master::Column::OverseasAgentId, "overseas_agent_id")
        .join(JoinType::LeftJoin, shipment::Relation::Master.def())
}

/// The statement [`ShipmentRepository::shipments_in_scope`] runs for
/// `scope` and `query`, written for SQLite with its values, so the
/// benchmark can ask SQLite how it plans the real thing. `None` when the
/// scope admits nothing (no statement runs).
pub fn shipments_in_scope_statement(scope: &ViewerScope, query: &ShipmentQuery) -> Option<sea_orm::Statement> {
    scoped_page(scope, query).map(|statement| sea_orm::DbBackend::Sqlite.build(&statement))
}

/// The statement behind [`ShipmentRepository::shipments_in_scope`]; `None`
/// when the scope admits nothing.
fn scoped_page(scope: &ViewerScope, query: &ShipmentQuery) -> Option<SelectStatement> {
    // A container lookup finds a shipment or two through the container
    // index; walking the scope's party range in reference order (what the
    // planner prefers, for the ORDER BY) would read every shipment the
    // viewer sees: 20 ms at 10,000 shipments against 0.04 ms.
    let by_container = matches!(query.search, Some(ShipmentSearch::Container(_)));
    let branches = scope_branches(scope, !by_container)?;
    let page = |branch: Condition| {
        let mut select = summaries().filter(branch);
        if let Some(status) = query.status {
            select = select.filter(shipment::Column::PublishedStatus.eq(status.as_str()));
        }
        if let Some(search) = &query.search {
            select = select.filter(search_condition(search));
        }
        if let Some(before) = &query.before {
            select = select.filter(shipment::Column::Reference.lt(before.as_str()));
        }
        select.order_by_desc(shipment::Column::Reference).limit(query.limit).into_query()
    };
    let pages: Vec<SelectStatement> = branches.into_iter().map(page).collect();
    match <[SelectStatement; 1]>::try_from(pages) {
        Ok([only]) => Some(only),
        Err(pages) => Some(merged(pages, query.limit)),
    }
}

/// Newest reference first over all of `pages`, cut at `limit`.
fn merged(pages: Vec<SelectStatement>, limit: u64) -> SelectStatement {
    let mut branches =
        pages.into_iter().map(|page| Query::select().column(Asterisk).from_subquery(page, "branch").to_owned());
    let mut merged = branches.next().unwrap_or_else(Query::select);
    merged.unions(branches.map(|branch| (UnionType::All, branch))).order_by("reference", Order::Desc).limit(limit);
    merged
}

/// [`ViewerScope::admits`] as conditions on [`summaries`] rows, one per
/// party value; a row is admitted when it meets one of them. `None` when
/// the scope admits nothing, so the database need not be asked.
///
/// Without `by_party_index` the party columns are compared through
/// `coalesce(column, '')`, the same test for the non-empty ids compared,
/// which no index serves, so the planner starts from another condition.
fn scope_branches(scope: &ViewerScope, by_party_index: bool) -> Option<Vec<Condition>> {
    let ViewerScope::Parties { role, organization_ids, agent_customer_ids } = scope else {
        return None;
    };
    let organizations: BTreeSet<&str> = organization_ids.iter().map(OrganizationId::as_str).collect();
    let party_values = match role {
        TrackingRole::OverseasAgent => agent_customer_ids.iter().map(OrganizationId::as_str).collect(),
        _ => organizations.clone(),
    };
    if organizations.is_empty() || party_values.is_empty() {
        return None;
    }
    let is = |column: shipment::Column, value: &str| {
        let column = Expr::col((shipment::Entity, column));
        if by_party_index { column.eq(value) } else { Expr::expr(Func::coalesce([column, Expr::val("")])).eq(value) }
    };
    let branch = |value: &str| {
        let party = match role {
            TrackingRole::Customer => Condition::all().add(is(shipment::Column::CustomerId, value)),
            TrackingRole::Shipper => Condition::all().add(is(shipment::Column::ShipperId, value)),
            TrackingRole::Consignee => Condition::all().add(is(shipment::Column::ConsigneeId, value)),
            TrackingRole::OverseasAgent => Condition::all()
                .add(is(shipment::Column::CustomerId, value))
                .add(master::Column::OverseasAgentId.is_in(organizations.iter().copied())),
        };
        // A missing HBL number fails the comparison too: `trim(NULL) <> ''`
        // is NULL, which WHERE treats as false.
        let has_hbl =
            Func::cust("trim").arg(Expr::col((shipment::Entity, shipment::Column::HblNo))).arg(WHITESPACE).ne("");
        Condition::all().add(shipment::Column::PublishedStatus.ne(Status::Draft.as_str())).add(has_hbl).add(party)
    };
    Some(party_values.into_iter().map(branch).collect())
}

/// The rows `search` finds. A container number: the shipments carrying
/// it, through `idx_shipment_containers_number`. Text: the reference or HBL
/// number contains it (both compared upper-case; SQLite upper-cases ASCII
/// letters only), or a container number of the shipment starts with it.
fn search_condition(search: &ShipmentSearch) -> Condition {
    let holding = |number: Condition| {
        shipment_container::Entity::find()
            .select_only()
            .column(shipment_container::Column::ShipmentId)
            .filter(number)
            .into_query()
    };
    let search = match search {
        ShipmentSearch::Container(number) => {
            let carrying = holding(Condition::all().add(shipment_container::Column::Number.eq(number.as_str())));
            return Condition::all().add(shipment::Column::Id.in_subquery(carrying));
        }
        ShipmentSearch::Text(text) => text.as_str(),
    };
    // People type the running number ("00080") as often as the whole
    // reference, so references and HBL numbers match anywhere. This reads
    // only the rows the scope's index range already selected.
    let contains = || LikeExpr::new(format!("%{}%", escape_like(search))).escape(LIKE_ESCAPE);
    let reference = Func::upper(Expr::col((shipment::Entity, shipment::Column::Reference)));
    let hbl = Func::upper(Expr::col((shipment::Entity, shipment::Column::HblNo)));
    let mut any = Condition::any().add(reference.like(contains())).add(hbl.like(contains()));
    // Container numbers are upper-case letters and digits, so only such a
    // search can start one, and its successor below is then plain ASCII.
    // The range reads `idx_shipment_containers_number`; numbers compare as
    // bytes on both backends.
    let could_start_a_container =
        search.len() <= CONTAINER_NUMBER_LENGTH && search.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if could_start_a_container && let Some(end) = prefix_end(search) {
        let starting = Condition::all()
            .add(shipment_container::Column::Number.gte(search))
            .add(shipment_container::Column::Number.lt(end));
        any = any.add(shipment::Column::Id.in_subquery(holding(starting)));
    }
    any
}

/// `text` with LIKE's wildcards (and the escape character) taken literally.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_') || c == LIKE_ESCAPE {
            escaped.push(LIKE_ESCAPE);
        }
        escaped.push(c);
    }
    escaped
}

/// The least ASCII string above every string that starts with `prefix`:
/// `prefix` with its last byte incremented. `None` for an empty prefix.
fn prefix_end(prefix: &str) -> Option<String> {
    let (last, head) = prefix.as_bytes().split_last()?;
    let mut end = head.to_vec();
    end.push(last.checked_add(1)?);
    String::from_utf8(end).ok()
}

/// The id of the shipment meeting `which` and the dates its viewers see
/// now, with the row locked for the rest of the transaction.
///
/// The lock (PostgreSQL; SQLite's write lock already serializes writers)
/// makes every write to one shipment wait for the one before it, so what
/// viewers saw before is what this write changes, and the events it
/// appends have higher row ids than every event the shipment had. It is
/// the lock the write's own `UPDATE` of the row takes anyway (`FOR NO KEY
/// UPDATE`), taken earlier: rows that merely reference the shipment (links,
/// other shipments' writes) are not held up by it.
async fn locked_viewer_dates(
    conn: &impl ConnectionTrait,
    which: impl sea_orm::sea_query::IntoCondition,
) -> RepoResult<Option<(String, ViewerDates)>> {
    use shipment::Column as S;
    let row = shipment::Entity::find()
        .select_only()
        .columns([S::Id, S::PublishedStatus, S::PublishedEtd, S::PublishedEta, S::PublishedAtd, S::PublishedAta])
        .filter(which)
        .lock(LockType::NoKeyUpdate)
        .into_model::<PublishedRow>()
        .one(conn)
        .await
        .map_err(unavailable)?;
    match row {
        None => Ok(None),
        Some(row) => {
            let before = viewer_dates_of(&row)?;
            Ok(Some((row.id, before)))
        }
    }
}

/// Records what the write changed for viewers as a cause, when it changed
/// anything that could notify. The write stored the `appended` newest
/// events of the record (its events are in row order, and the shipment's
/// row lock kept every other writer out meanwhile).
async fn record_viewer_change(
    conn: &impl ConnectionTrait,
    record: &ShipmentRecord,
    before: &ViewerDates,
    after: &MilestoneState,
    appended: usize,
    now: &str,
) -> RepoResult<()> {
    let stored_now = &record.events[record.events.len().saturating_sub(appended)..];
    let new_event_ids: Vec<&str> = stored_now.iter().map(|e| e.event_id.as_str()).collect();
    let Some(change) = ViewerChange::between(&record.shipment, before, after, &record.events, &new_event_ids) else {
        return Ok(());
    };
    let cause = MailCause::ShipmentChanged { shipment_id: record.shipment.id.clone(), change };
    record_causes(conn, std::slice::from_ref(&cause), now).await
}

/// A new row. Its `published_*` columns are placeholders until
/// [`publish_viewer_state`] runs in the same transaction.
pub(crate) fn new_shipment_row(id: &str, columns: &ShipmentColumns, now: &str) -> shipment::Model {
    let c = columns;
    shipment::Model {
        id: id.to_owned(),
        reference: c.reference.clone(),
        hbl_no: c.hbl_no.clone(),
        master_id: c.master_id.clone(),
        mode: c.mode.clone(),
        status: c.status.clone(),
        customer_id: c.customer_id.clone(),
        shipper_id: c.shipper_id.clone(),
        consignee_id: c.consignee_id.clone(),
        pol_unlocode: c.pol.0.clone(),
        pol_name: c.pol.1.clone(),
        pod_unlocode: c.pod.0.clone(),
        pod_name: c.pod.1.clone(),
        place_of_receipt_unlocode: c.place_of_receipt.0.clone(),
        place_of_receipt_name: c.place_of_receipt.1.clone(),
        place_of_delivery_unlocode: c.place_of_delivery.0.clone(),
        place_of_delivery_name: c.place_of_delivery.1.clone(),
        planned_etd: c.planned_etd.clone(),
        planned_eta: c.planned_eta.clone(),
        cargo: c.cargo.clone(),
        legs: c.legs.clone(),
        customer_note: c.customer_note.clone(),
        internal_note: c.internal_note.clone(),
        charges: c.charges.clone(),
        documents: c.documents.clone(),
        published_status: c.status.clone(),
        published_etd: None,
        published_eta: None,
        published_atd: None,
        published_ata: None,
        published_done_at: None,
        created_at: now.to_owned(),
        updated_at: now.to_owned(),
    }
}

/// Everything an upsert replaces: all but the id, `created_at` and the
/// derived `published_*` columns.
fn changed_columns(columns: &ShipmentColumns, now: &str) -> shipment::ActiveModel {
    let c = columns;
    shipment::ActiveModel {
        reference: Set(c.reference.clone()),
        hbl_no: Set(c.hbl_no.clone()),
        master_id: Set(c.master_id.clone()),
        mode: Set(c.mode.clone()),
        status: Set(c.status.clone()),
        customer_id: Set(c.customer_id.clone()),
        shipper_id: Set(c.shipper_id.clone()),
        consignee_id: Set(c.consignee_id.clone()),
        pol_unlocode: Set(c.pol.0.clone()),
        pol_name: Set(c.pol.1.clone()),
        pod_unlocode: Set(c.pod.0.clone()),
        pod_name: Set(c.pod.1.clone()),
        place_of_receipt_unlocode: Set(c.place_of_receipt.0.clone()),
        place_of_receipt_name: Set(c.place_of_receipt.1.clone()),
        place_of_delivery_unlocode: Set(c.place_of_delivery.0.clone()),
        place_of_delivery_name: Set(c.place_of_delivery.1.clone()),
        planned_etd: Set(c.planned_etd.clone()),
        planned_eta: Set(c.planned_eta.clone()),
        cargo: Set(c.cargo.clone()),
        legs: Set(c.legs.clone()),
        customer_note: Set(c.customer_note.clone()),
        internal_note: Set(c.internal_note.clone()),
        charges: Set(c.charges.clone()),
        documents: Set(c.documents.clone()),
        updated_at: Set(now.to_owned()),
        ..Default::default()
    }
}

async fn containers_of<C: ConnectionTrait>(
    reader: Reader<'_, C>,
    shipment_id: &str,
) -> RepoResult<Vec<shipment_container::Model>> {
    let containers = shipment_container::Entity::find()
        .filter(shipment_container::Column::ShipmentId.eq(shipment_id))
        .order_by_asc(shipment_container::Column::Position);
    reader.all(&containers.into_query()).await
}

/// The shipment with its containers, master, events and parties, in four
/// statements whatever the number of events or containers. Events come in
/// row order, i.e. in the order they were stored (`record_viewer_change`
/// relies on it).
///
/// On the pool, read paths call this outside a transaction (two round
/// trips fewer per page), so the statements may see successive states;
/// inline they share one snapshot (`Store::reads`). The shipment row
/// is read after its containers and events on purpose: the row names the
/// parties who may see the shipment, so whatever else a viewer is shown was
/// stored no later than the state that let them see it. Parties are only
/// names.
async fn load_record<C: ConnectionTrait>(reader: Reader<'_, C>, id: &ShipmentId) -> RepoResult<Option<ShipmentRecord>> {
    let containers = containers_of(reader, id.as_str()).await?;
    let events = tracking_event::Entity::find()
        .filter(tracking_event::Column::ShipmentId.eq(id.as_str()))
        .order_by_asc(tracking_event::Column::Id);
    let events: Vec<tracking_event::Model> = reader.all(&events.into_query()).await?;
    let with_master = shipment::Entity::find_by_id(id.as_str()).find_also_related(master::Entity);
    let Some(Joined(row, master)) =
        reader.one::<Joined<shipment::Model, master::Model>>(with_master.into_query()).await?
    else {
        return Ok(None);
    };
    let party_ids: Vec<&str> = [Some(&row.customer_id), row.shipper_id.as_ref(), row.consignee_id.as_ref()]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let parties = organization::Entity::find().filter(organization::Column::Id.is_in(party_ids));
    let parties: Vec<organization::Model> = reader.all(&parties.into_query()).await?;
    let parties: Vec<_> = parties.into_iter().map(organization_of).collect();

    let shipment = shipment_of(row, containers)?;
    let party = |id: &OrganizationId| parties.iter().find(|org| org.id == *id).cloned();
    let customer =
        party(&shipment.customer_id).ok_or_else(|| Corrupt::new("shipments.customer_id", "names no organization"))?;
    let shipper = shipment.shipper_id.as_ref().and_then(party);
    let consignee = shipment.consignee_id.as_ref().and_then(party);
    Ok(Some(ShipmentRecord {
        master: master.map(master_of),
        events: events.into_iter().map(event_of).collect::<Result<_, _>>()?,
        customer,
        shipper,
        consignee,
        shipment,
    }))
}

/// Stores the domain's viewer state of the shipment as it now stands
/// within `conn`'s transaction, and bumps `updated_at` to `now`.
///
/// `published_done_at` says since when viewers have seen the shipment Done:
/// it is set to `now` as the status becomes Done, kept while it stays Done
/// (a late event or a restated shipment must not restart the delivery
/// grace of share links), and cleared when it leaves Done (staff reopen it,
/// or the delivery event is retracted). It is only ever set together with a
/// Done status, so "was Done before" is "already has a time".
///
/// Returns the record it derived from and the viewer state it stored.
async fn publish_viewer_state(
    conn: &impl ConnectionTrait,
    id: &ShipmentId,
    now: &str,
) -> RepoResult<(ShipmentRecord, MilestoneState)> {
    let record = load_record(Reader::Pool(conn), id).await?.ok_or(RepoError::NotFound)?;
    let state = record.viewer_state();
    let published = shipment::ActiveModel {
        published_status: Set(state.status.as_str().to_owned()),
        published_etd: Set(state.etd.as_ref().map(offset_time_text)),
        published_eta: Set(state.eta.as_ref().map(offset_time_text)),
        published_atd: Set(state.atd.as_ref().map(offset_time_text)),
        published_ata: Set(state.ata.as_ref().map(offset_time_text)),
        updated_at: Set(now.to_owned()),
        ..Default::default()
    };
    let done_since = if state.status == Status::Done {
        Func::coalesce([Expr::col(shipment::Column::PublishedDoneAt), Expr::value(now)]).into()
    } else {
        Expr::value(Option::<String>::None)
    };
    shipment::Entity::update_many()
        .set(published)
        .col_expr(shipment::Column::PublishedDoneAt, done_since)
        .filter(shipment::Column::Id.eq(id.as_str()))
        .exec(conn)
        .await
        .map_err(unavailable)?;
    Ok((record, state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_is_exactly_what_str_trim_removes() {
        let rust: BTreeSet<char> =
            (0..=u32::from(char::MAX)).filter_map(char::from_u32).filter(|c| c.is_whitespace()).collect();
        let ours: BTreeSet<char> = WHITESPACE.chars().collect();
        assert_eq!(ours, rust);
        assert_eq!(WHITESPACE.chars().count(), ours.len(), "no character twice");
    }

    #[test]
    fn like_wildcards_are_taken_literally() {
        assert_eq!(escape_like("SHP/2025"), "SHP/2025");
        assert_eq!(escape_like("A_B%C!D"), "A!_B!%C!!D");
    }

    #[test]
    fn prefix_end_bounds_exactly_the_strings_with_the_prefix() {
        assert_eq!(prefix_end("MSKU12").as_deref(), Some("MSKU13"));
        assert_eq!(prefix_end("MSK9").as_deref(), Some("MSK:"));
        assert_eq!(prefix_end("Z").as_deref(), Some("["));
        assert_eq!(prefix_end(""), None);
        let end = prefix_end("MSKU9").expect("an end");
        for inside in ["MSKU9", "MSKU9999999", "MSKU9Z"] {
            assert!(("MSKU9"..end.as_str()).contains(&inside), "{inside}");
        }
        for outside in ["MSKU8999999", "MSKV0000000", "MSKU:", "MSKU"] {
            assert!(!("MSKU9"..end.as_str()).contains(&outside), "{outside}");
        }
    }
}

/// How SQLite plans the scoped query. Its planner answers on an empty
/// table as it would on a full one; PostgreSQL's would rightly prefer a
/// scan there, so it is not asked.
#[cfg(test)]
mod plans {
    use sea_orm::DbBackend;

    use super::*;

    async fn plan(store: &crate::Store, scope: &ViewerScope, search: Option<&str>) -> Vec<String> {
        let query = ShipmentQuery {
            status: Some(Status::InTransit),
            search: search.map(|text| ShipmentSearch::of(text.to_owned())),
            before: ShipmentReference::parse("SHP/202505/00080").ok(),
            limit: 51,
        };
        let statement = DbBackend::Sqlite.build(&scoped_page(scope, &query).expect("a scope that admits something"));
        crate::repo::sqlite_plan(store, statement).await
    }

    fn parties(role: TrackingRole, organizations: &[&str], agent_customers: &[&str]) -> ViewerScope {
        let ids = |ids: &[&str]| ids.iter().map(|id| OrganizationId::new(*id)).collect();
        ViewerScope::Parties { role, organization_ids: ids(organizations), agent_customer_ids: ids(agent_customers) }
    }

    /// Every shipment the plan reads comes from an ordered range of the
    /// `(party, reference)` index and no table is scanned. Only the merge of
    /// several branches sorts: each branch's page, at most `limit` rows.
    fn reads_ranges_of(details: &[String], index: &str, branches: usize) {
        let ranges = details.iter().filter(|d| d.contains(&format!("{index} ("))).count();
        assert_eq!(ranges, branches, "{index}: {details:?}");
        let scans_a_table = |d: &&String| d.starts_with("SCAN") && d.as_str() != "SCAN branch";
        assert!(!details.iter().any(|d| scans_a_table(&d)), "scans: {details:?}");
        let sorts = details.iter().filter(|d| d.contains("TEMP B-TREE")).count();
        let merge_sorts = if branches > 1 { branches } else { 0 };
        assert!(sorts <= merge_sorts, "sorts more than the merge: {details:?}");
    }

    #[tokio::test]
    async fn each_party_value_is_one_ordered_index_range() {
        let store = crate::Store::connect("sqlite::memory:").await.expect("connect");
        store.migrate().await.expect("migrate");
        for (role, index) in [
            (TrackingRole::Customer, "idx_shipments_customer_id_reference"),
            (TrackingRole::Shipper, "idx_shipments_shipper_id_reference"),
            (TrackingRole::Consignee, "idx_shipments_consignee_id_reference"),
        ] {
            for search in [None, Some("MSKU12")] {
                let one = plan(&store, &parties(role, &["org_a"], &[]), search).await;
                reads_ranges_of(&one, index, 1);
                let three = plan(&store, &parties(role, &["org_a", "org_b", "org_c"], &[]), search).await;
                reads_ranges_of(&three, index, 3);
            }
        }
        let agent = parties(TrackingRole::OverseasAgent, &["org_agent", "org_agent_2"], &["org_a", "org_b"]);
        reads_ranges_of(&plan(&store, &agent, None).await, "idx_shipments_customer_id_reference", 2);
    }

    #[tokio::test]
    async fn a_container_search_reads_the_container_number_index() {
        let store = crate::Store::connect("sqlite::memory:").await.expect("connect");
        store.migrate().await.expect("migrate");
        let details = plan(&store, &parties(TrackingRole::Customer, &["org_a"], &[]), Some("MSKU12")).await;
        assert!(
            details.iter().any(|d| d.contains("idx_shipment_containers_number (number>? AND number<?)")),
            "{details:?}"
        );
        let details = plan(&store, &parties(TrackingRole::Customer, &["org_a"], &[]), Some("SHP/2025")).await;
        assert!(!details.iter().any(|d| d.contains("shipment_containers")), "no container can start so: {details:?}");
    }

    #[tokio::test]
    async fn a_whole_container_number_is_looked_up_not_searched_for() {
        let store = crate::Store::connect("sqlite::memory:").await.expect("connect");
        store.migrate().await.expect("migrate");
        for role in TrackingRole::ALL {
            let agent_customers: &[&str] = if role == TrackingRole::OverseasAgent { &["org_c", "org_d"] } else { &[] };
            let scope = parties(role, &["org_a", "org_b"], agent_customers);
            let details = plan(&store, &scope, Some("MSKU1234565")).await;
            assert!(
                details.iter().any(|d| d.contains("idx_shipment_containers_number (number=?)")),
                "{role:?}: {details:?}"
            );
            assert!(
                details.iter().filter(|d| d.contains("SEARCH shipments")).all(|d| d.contains("(id=?)")),
                "{role:?}: shipments are found by id, no party range is walked: {details:?}"
            );
            assert!(!details.iter().any(|d| d.starts_with("SCAN shipments")), "{role:?}: {details:?}");
        }
    }
}
