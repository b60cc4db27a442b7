//! How SQLite plans the queries on the benchmarked paths, asked of the
//! run's database with `EXPLAIN QUERY PLAN`.
//!
//! The portal's list and search statements come from the store itself
//! (`porthole_store::shipments_in_scope_statement`): they are the ones
//! whose shape depends on the scope and the search. The fixed lookups are
//! written out here as the store's code builds them (same tables,
//! conditions, joins, order and limits; see the file and function named
//! with each). Real values from the generated world are bound to all.

use std::path::Path;

use anyhow::{Context, Result};
use porthole_app::ports::{ShipmentQuery, ShipmentSearch};
use porthole_app::secret::SecretDigest;
use porthole_domain::{OrganizationId, ShipmentReference, TrackingRole, ViewerScope};
use rusqlite::types::Value as SqlValue;

use crate::rows::utc_text;
use crate::world::World;

/// One query: where the store makes it, its SQL, and values for its `?`s.
struct Query {
    path: &'static str,
    origin: &'static str,
    sql: String,
    values: Vec<SqlValue>,
}

fn text(value: impl Into<String>) -> SqlValue {
    SqlValue::Text(value.into())
}

/// The statement the store itself runs for a page of `shipments_in_scope`
/// (`porthole_store::shipments_in_scope_statement`), with its values.
fn store_page(scope: &ViewerScope, query: &ShipmentQuery) -> Result<(String, Vec<SqlValue>)> {
    let statement = porthole_store::shipments_in_scope_statement(scope, query)
        .context("the benchmark's scope admits nothing: no statement to explain")?;
    let values = statement.values.map(|values| values.0).unwrap_or_default();
    let values = values.into_iter().map(porthole_store::sql_value).collect::<Result<_, _>>()?;
    Ok((statement.sql, values))
}

const LINK_COLUMNS: &str = "\"share_links\".\"id\", \"share_links\".\"shipment_id\", \
    \"share_links\".\"require_verification\", \"share_links\".\"expires_at\", \"share_links\".\"expire_on_delivery\", \
    \"share_links\".\"section_containers\", \"share_links\".\"section_cargo\", \"share_links\".\"section_documents\", \
    \"share_links\".\"created_at\", \"share_links\".\"revoked_at\", \"shipments\".\"published_done_at\" AS \
    \"delivered_at\"";

const OPENED_BY: &str = "(\"share_links\".\"token_digest\" = ? OR \"share_links\".\"id\" IN (SELECT \
    \"share_link_mail_tokens\".\"link_id\" FROM \"share_link_mail_tokens\" WHERE \
    \"share_link_mail_tokens\".\"digest\" = ? AND \"share_link_mail_tokens\".\"purpose\" = ?))";

/// `links_of`: the links meeting `condition`, with their shipment's
/// delivery time, newest first.
fn links_of(condition: &str) -> String {
    format!(
        "SELECT {LINK_COLUMNS} FROM \"share_links\" INNER JOIN \"shipments\" ON \
         \"share_links\".\"shipment_id\" = \"shipments\".\"id\" WHERE {condition} ORDER BY \
         \"share_links\".\"created_at\" DESC, \"share_links\".\"id\" DESC"
    )
}

fn queries(world: &World) -> Result<Vec<Query>> {
    let big = world.organization_id(world.plan.big_customer()).to_string();
    let big_shipment = world.plan.big_customer_shipment_indexes().nth(5).unwrap_or_default();
    let shipment = world.shipment(big_shipment);
    let id = shipment.shipment.id.to_string();
    let container = shipment.shipment.containers.first().map(|c| c.number.to_string()).unwrap_or_default();
    let now = utc_text(&chrono::Utc::now());
    let user = world.tracking_user_id(0).to_string();
    let link = world.share_link(0);
    let digest = SecretDigest::of(&link.token).as_str().to_owned();
    // The big customer's users, as the portal asks for 50 a page (one more,
    // to know whether a next page exists).
    let scope = ViewerScope::Parties {
        role: TrackingRole::Customer,
        organization_ids: vec![OrganizationId::new(big.clone())],
        agent_customer_ids: Vec::new(),
    };
    let page = |before: Option<ShipmentReference>, search: Option<ShipmentSearch>| {
        store_page(&scope, &ShipmentQuery { status: None, search, before, limit: 51 })
    };
    let (first_page, first_page_values) = page(None, None)?;
    let (deep_page, deep_page_values) = page(Some(shipment.shipment.reference.clone()), None)?;
    let (search, search_values) = page(None, Some(ShipmentSearch::of(container)))?;
    Ok(vec![
        Query {
            path: "every portal request",
            origin: "credentials.rs session_holder (the session and its user)",
            sql: "SELECT \"portal_sessions\".*, \"tracking_users\".* FROM \"portal_sessions\" LEFT JOIN \
                  \"tracking_users\" ON \"portal_sessions\".\"tracking_user_id\" = \"tracking_users\".\"id\" \
                  WHERE \"portal_sessions\".\"digest\" = ? AND \"portal_sessions\".\"expires_at\" > ? LIMIT 1"
                .into(),
            values: vec![text("0".repeat(64)), text(now.clone())],
        },
        Query {
            path: "every portal request",
            origin: "credentials.rs linked_organizations (memberships UNION ALL agent customers)",
            sql: "SELECT \"organizations\".*, 'member' AS \"link\" FROM \"organizations\" INNER JOIN \
                  \"tracking_user_organizations\" ON \"tracking_user_organizations\".\"organization_id\" = \
                  \"organizations\".\"id\" WHERE \"tracking_user_organizations\".\"tracking_user_id\" = ? UNION ALL \
                  SELECT \"organizations\".*, 'agent_customer' AS \"link\" FROM \"organizations\" INNER JOIN \
                  \"tracking_user_agent_customers\" ON \"tracking_user_agent_customers\".\"organization_id\" = \
                  \"organizations\".\"id\" WHERE \"tracking_user_agent_customers\".\"tracking_user_id\" = ?"
                .into(),
            values: vec![text(user.clone()), text(user.clone())],
        },
        Query {
            path: "detail; share page; ingest",
            origin: "shipments.rs load_record (parties)",
            sql: "SELECT * FROM \"organizations\" WHERE \"organizations\".\"id\" IN (?, ?)".into(),
            values: vec![text(big.clone()), text(world.organization_id(1).to_string())],
        },
        Query {
            path: "portal list, first page",
            origin: "shipments.rs scoped_page (customer, one organization)",
            sql: first_page,
            values: first_page_values,
        },
        Query {
            path: "portal list, deep page",
            origin: "shipments.rs scoped_page with the keyset cursor",
            sql: deep_page,
            values: deep_page_values,
        },
        Query {
            path: "portal search by container number",
            origin: "shipments.rs scoped_page + search_condition (a whole container number)",
            sql: search,
            values: search_values,
        },
        Query {
            path: "detail; share page; ingest",
            origin: "shipments.rs load_record (shipment with its master)",
            sql: "SELECT \"shipments\".*, \"masters\".* FROM \"shipments\" LEFT JOIN \"masters\" ON \
                  \"shipments\".\"master_id\" = \"masters\".\"id\" WHERE \"shipments\".\"id\" = ? LIMIT 1"
                .into(),
            values: vec![text(id.clone())],
        },
        Query {
            path: "detail; share page; ingest",
            origin: "shipments.rs containers_of",
            sql: "SELECT * FROM \"shipment_containers\" WHERE \"shipment_containers\".\"shipment_id\" = ? ORDER BY \
                  \"shipment_containers\".\"position\" ASC"
                .into(),
            values: vec![text(id.clone())],
        },
        Query {
            path: "detail; share page; ingest",
            origin: "shipments.rs load_record (events)",
            sql: "SELECT * FROM \"tracking_events\" WHERE \"tracking_events\".\"shipment_id\" = ? ORDER BY \
                  \"tracking_events\".\"id\" ASC"
                .into(),
            values: vec![text(id.clone())],
        },
        Query {
            path: "share link open",
            origin: "share_links.rs links_of(opened_by)",
            sql: links_of(OPENED_BY),
            values: vec![text(digest.clone()), text(digest.clone()), text("open")],
        },
        Query {
            path: "share link open; share page",
            origin: "share_links.rs recipients_of",
            sql: format!(
                "SELECT \"share_link_recipients\".* FROM \"share_link_recipients\" INNER JOIN \"share_links\" ON \
                 \"share_link_recipients\".\"link_id\" = \"share_links\".\"id\" WHERE {OPENED_BY} ORDER BY \
                 \"share_links\".\"created_at\" DESC, \"share_links\".\"id\" DESC, \
                 \"share_link_recipients\".\"position\" ASC"
            ),
            values: vec![text(digest.clone()), text(digest), text("open")],
        },
        Query {
            path: "share link open",
            origin: "share_links.rs insert_session (expired sessions of the link)",
            sql: "DELETE FROM \"link_sessions\" WHERE \"link_sessions\".\"link_id\" = ? AND \
                  \"link_sessions\".\"expires_at\" <= ?"
                .into(),
            values: vec![text(link.link.id.to_string()), text(now.clone())],
        },
        Query {
            path: "share page",
            origin: "share_links.rs link_session",
            sql: "SELECT * FROM \"link_sessions\" WHERE \"link_sessions\".\"digest\" = ? AND \
                  \"link_sessions\".\"expires_at\" > ? LIMIT 1"
                .into(),
            values: vec![text("0".repeat(64)), text(now.clone())],
        },
        Query {
            path: "share page",
            origin: "share_links.rs links_of(id)",
            sql: links_of("\"share_links\".\"id\" = ?"),
            values: vec![text(link.link.id.to_string())],
        },
        Query {
            path: "ingest",
            origin: "api_keys.rs api_key_by_digest",
            sql:
                "SELECT * FROM \"api_keys\" WHERE \"api_keys\".\"digest\" = ? AND \"api_keys\".\"revoked_at\" IS NULL \
                  LIMIT 1"
                    .into(),
            values: vec![text("0".repeat(64))],
        },
        Query {
            path: "ingest",
            origin: "shipments.rs append_events (ON CONFLICT (shipment_id, event_id) DO NOTHING)",
            sql: "INSERT INTO \"tracking_events\" (\"shipment_id\", \"event_id\", \"code\", \"classifier\", \
                  \"event_time\", \"recorded_at\", \"published\", \"received_at\") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON \
                  CONFLICT (\"shipment_id\", \"event_id\") DO NOTHING"
                .into(),
            values: vec![
                text(id.clone()),
                text("x"),
                text("ARRI"),
                text("EST"),
                text(now.clone()),
                text(now.clone()),
                SqlValue::Integer(1),
                text(now.clone()),
            ],
        },
        Query {
            path: "ingest",
            origin: "shipments.rs publish_viewer_state",
            sql: "UPDATE \"shipments\" SET \"published_status\" = ?, \"updated_at\" = ? WHERE \"shipments\".\"id\" = ?"
                .into(),
            values: vec![text("in_transit"), text(now.clone()), text(id)],
        },
        Query {
            path: "login",
            origin: "tracking_users.rs tracking_user_by_login",
            sql: "SELECT * FROM \"tracking_users\" WHERE \"tracking_users\".\"user_id\" = ?".into(),
            values: vec![text("bigcustomer")],
        },
        Query {
            path: "login",
            origin: "credentials.rs insert_session (expired sessions of the user)",
            sql: "DELETE FROM \"portal_sessions\" WHERE \"portal_sessions\".\"tracking_user_id\" = ? AND \
                  \"portal_sessions\".\"expires_at\" <= ?"
                .into(),
            values: vec![text(user), text(now)],
        },
    ])
}

/// The plans, as Markdown.
pub fn plans(database: &Path, world: &World) -> Result<String> {
    let conn = rusqlite::Connection::open_with_flags(database, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open {}", database.display()))?;
    let mut out = String::new();
    for query in queries(world)? {
        let mut statement = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", query.sql))
            .with_context(|| format!("cannot explain the query of {}", query.origin))?;
        let details: Vec<(i64, i64, String)> = statement
            .query_map(rusqlite::params_from_iter(query.values.iter()), |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        out.push_str(&format!("{} — `{}`:\n\n```\n", query.path, query.origin));
        out.push_str(&indent(&details));
        out.push_str("```\n\n");
    }
    Ok(out)
}

/// The plan's rows as the sqlite3 shell draws them, one level of
/// indentation per parent.
fn indent(rows: &[(i64, i64, String)]) -> String {
    let mut depth_of: Vec<(i64, usize)> = Vec::new();
    let mut out = String::new();
    for (id, parent, detail) in rows {
        let depth = depth_of.iter().find(|(node, _)| node == parent).map_or(0, |(_, depth)| depth + 1);
        depth_of.push((*id, depth));
        out.push_str(&format!("{}{detail}\n", "  ".repeat(depth)));
    }
    out
}

#[cfg(test)]
mod tests {
    use porthole_store::Store;

    use super::*;
    use crate::world::Plan;

    #[tokio::test]
    async fn every_query_is_valid_sql_for_the_migrated_schema() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("plans.db");
        let store = Store::connect(&crate::dataset::sqlite_url(&path)).await.expect("connect");
        store.migrate().await.expect("migrate");
        store.connection().clone().close().await.expect("close");
        let world = World::new(1, Plan::for_shipments(1_000));
        let plans = plans(&path, &world).expect("every query explains");
        assert!(plans.contains("idx_shipments_customer_id_reference"), "{plans}");
        assert_eq!(plans.matches("```\n\n").count(), queries(&world).expect("queries").len());
    }

    #[test]
    fn plans_are_indented_under_their_parents() {
        let rows = vec![(2, 0, "SEARCH a".to_owned()), (5, 2, "SEARCH b".to_owned()), (7, 0, "SCAN c".to_owned())];
        assert_eq!(indent(&rows), "SEARCH a\n  SEARCH b\nSCAN c\n");
    }
}
