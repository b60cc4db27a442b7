//! Writes the generated world into a migrated SQLite file, fast.
//!
//! The schema comes from the real migrations (`Store::migrate`); rows are
//! the store's own entity types, inserted column by column as the entity
//! lists them, so a column added to an entity changes what is written here
//! too. For speed, and only while loading: the secondary indexes are
//! dropped and made again at the end (one sort each instead of millions of
//! random inserts), foreign keys are checked once at the end rather than
//! row by row, there is no rollback journal (a load that dies leaves a file
//! that is never marked complete and is made again), and rows go in as
//! prepared single-row inserts inside large transactions. The file is left
//! in WAL mode, as the server keeps it.

use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use porthole_domain::{Audience, MilestoneState};
use porthole_store::entity::{
    master, organization, share_link, share_link_recipient, shipment, shipment_container, tracking_event,
    tracking_user, tracking_user_additional_email, tracking_user_agent_customer, tracking_user_organization,
};
use sea_orm::{EntityTrait, IdenStatic, Iterable, ModelTrait};

use crate::rows;
use crate::world::World;

/// Shipments per message from the generating thread, and per transaction.
const SHIPMENTS_PER_BATCH: u64 = 2_000;

/// What one batch of shipments adds.
#[derive(Debug, Default)]
struct ShipmentBatch {
    masters: Vec<master::Model>,
    shipments: Vec<shipment::Model>,
    containers: Vec<shipment_container::Model>,
    events: Vec<tracking_event::Model>,
}

/// How many rows of each kind went in.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Loaded {
    pub organizations: u64,
    pub masters: u64,
    pub shipments: u64,
    pub containers: u64,
    pub events: u64,
    pub users: u64,
    pub share_links: u64,
    pub seconds: f64,
}

/// Loads `world` into the migrated database at `path`. `password_hash` is
/// every user's with a password.
pub fn load(path: &Path, world: &World, password_hash: &str) -> Result<Loaded> {
    let started = Instant::now();
    let mut conn = rusqlite::Connection::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF; \
         PRAGMA locking_mode = EXCLUSIVE; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -1048576;",
    )
    .context("cannot set the loading pragmas")?;
    let indexes = drop_indexes(&conn)?;
    let mut loaded = Loaded::default();

    let tx = conn.transaction()?;
    {
        let mut orgs = Inserter::<organization::Entity>::new(&tx)?;
        for k in 0..world.plan.organizations {
            orgs.insert(&rows::organization_row(&world.organization(k)))?;
        }
        loaded.organizations = world.plan.organizations;
    }
    tx.commit()?;

    load_shipments(&mut conn, world, &mut loaded)?;

    let bar = progress(world.plan.users, "tracking users");
    let tx = conn.transaction()?;
    {
        let mut users = Inserter::<tracking_user::Entity>::new(&tx)?;
        let mut memberships = Inserter::<tracking_user_organization::Entity>::new(&tx)?;
        let mut agent_customers = Inserter::<tracking_user_agent_customer::Entity>::new(&tx)?;
        let mut additional = Inserter::<tracking_user_additional_email::Entity>::new(&tx)?;
        for k in 0..world.plan.users {
            let user = rows::user_rows(&world.user(k), password_hash);
            users.insert(&user.user)?;
            for row in &user.organizations {
                memberships.insert(row)?;
            }
            for row in &user.agent_customers {
                agent_customers.insert(row)?;
            }
            for row in &user.additional_emails {
                additional.insert(row)?;
            }
            bar.inc(1);
        }
        loaded.users = world.plan.users;
    }
    tx.commit()?;
    bar.finish();

    let bar = progress(world.plan.share_links, "share links");
    let tx = conn.transaction()?;
    {
        let mut links = Inserter::<share_link::Entity>::new(&tx)?;
        let mut recipients = Inserter::<share_link_recipient::Entity>::new(&tx)?;
        for j in 0..world.plan.share_links {
            let (link, link_recipients) = rows::share_link_rows(&world.share_link(j));
            links.insert(&link)?;
            for row in &link_recipients {
                recipients.insert(row)?;
            }
            bar.inc(1);
        }
        loaded.share_links = world.plan.share_links;
    }
    tx.commit()?;
    bar.finish();

    let spinner = ProgressBar::new_spinner().with_message(format!("making {} indexes again", indexes.len()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(200));
    for (name, sql) in &indexes {
        spinner.set_message(format!("making index {name}"));
        conn.execute_batch(sql).with_context(|| format!("cannot make index {name} again"))?;
    }
    spinner.set_message("checking every foreign key");
    check_foreign_keys(&conn)?;
    spinner.finish_with_message("indexes made, foreign keys hold");

    conn.execute_batch("PRAGMA locking_mode = NORMAL;")?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        bail!("the database would not go back to WAL mode (it is in {mode} mode)");
    }
    drop(conn);
    loaded.seconds = started.elapsed().as_secs_f64();
    Ok(loaded)
}

/// Shipments are made on a thread of their own (the domain derives each
/// one's viewer state) while this one writes, batch by batch.
fn load_shipments(conn: &mut rusqlite::Connection, world: &World, loaded: &mut Loaded) -> Result<()> {
    let bar = progress(world.plan.shipments, "shipments");
    let (sender, receiver) = mpsc::sync_channel::<ShipmentBatch>(4);
    let world = *world;
    let producer = std::thread::spawn(move || {
        let mut next_event_id: i64 = 1;
        let mut last_master = None;
        let mut start = 0;
        while start < world.plan.shipments {
            let end = (start + SHIPMENTS_PER_BATCH).min(world.plan.shipments);
            let mut batch = ShipmentBatch::default();
            for i in start..end {
                let generated = world.shipment(i);
                if let Some(group) = generated.master_group
                    && last_master.is_none_or(|last| last < group)
                {
                    batch.masters.push(rows::master_row(&world.master(group)));
                    last_master = Some(group);
                }
                let state = MilestoneState::derive(&generated.shipment, &generated.events(), Audience::Viewer);
                batch.shipments.push(rows::shipment_row(&generated, &state));
                batch.containers.extend(rows::container_rows(&generated));
                let id = generated.shipment.id.as_str();
                for event in &generated.events {
                    batch.events.push(rows::event_row(id, event, next_event_id)?);
                    next_event_id += 1;
                }
            }
            if sender.send(batch).is_err() {
                return Ok(());
            }
            start = end;
        }
        Ok::<(), anyhow::Error>(())
    });
    for batch in receiver {
        let tx = conn.transaction()?;
        {
            let mut masters = Inserter::<master::Entity>::new(&tx)?;
            for row in &batch.masters {
                masters.insert(row)?;
            }
            let mut shipments = Inserter::<shipment::Entity>::new(&tx)?;
            for row in &batch.shipments {
                shipments.insert(row)?;
            }
            let mut containers = Inserter::<shipment_container::Entity>::new(&tx)?;
            for row in &batch.containers {
                containers.insert(row)?;
            }
            let mut events = Inserter::<tracking_event::Entity>::new(&tx)?;
            for row in &batch.events {
                events.insert(row)?;
            }
        }
        tx.commit()?;
        loaded.masters += batch.masters.len() as u64;
        loaded.shipments += batch.shipments.len() as u64;
        loaded.containers += batch.containers.len() as u64;
        loaded.events += batch.events.len() as u64;
        bar.inc(batch.shipments.len() as u64);
    }
    match producer.join() {
        Ok(generated) => generated?,
        Err(_) => bail!("the thread generating shipments panicked"),
    }
    if loaded.shipments != world.plan.shipments {
        bail!("only {} of {} shipments were generated", loaded.shipments, world.plan.shipments);
    }
    bar.finish();
    Ok(())
}

fn progress(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template("{msg:>16} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)")
        .map(|style| style.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(what.to_owned());
    bar
}

/// Drops every index that has its own `CREATE INDEX` (not those SQLite
/// makes for primary keys) and returns them, to be made again.
fn drop_indexes(conn: &rusqlite::Connection) -> Result<Vec<(String, String)>> {
    let mut statement =
        conn.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY rowid")?;
    let indexes: Vec<(String, String)> =
        statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<Result<_, _>>()?;
    for (name, _) in &indexes {
        conn.execute_batch(&format!("DROP INDEX \"{name}\""))?;
    }
    Ok(indexes)
}

fn check_foreign_keys(conn: &rusqlite::Connection) -> Result<()> {
    let mut statement = conn.prepare("PRAGMA foreign_key_check")?;
    let violations: Vec<(String, Option<i64>, String)> =
        statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?.collect::<Result<_, _>>()?;
    if let Some((table, rowid, parent)) = violations.first() {
        bail!(
            "{} rows break a foreign key, the first in {table} (rowid {rowid:?}) pointing to {parent}",
            violations.len()
        );
    }
    Ok(())
}

/// A prepared `INSERT` of every column of entity `E`, in the entity's
/// column order.
struct Inserter<'c, E: EntityTrait> {
    statement: rusqlite::Statement<'c>,
    columns: Vec<E::Column>,
}

impl<'c, E: EntityTrait> Inserter<'c, E> {
    fn new(conn: &'c rusqlite::Connection) -> Result<Self> {
        let columns: Vec<E::Column> = E::Column::iter().collect();
        let names: Vec<String> = columns.iter().map(|c| format!("\"{}\"", c.as_str())).collect();
        let marks = vec!["?"; columns.len()].join(", ");
        let table = E::default().table_name().to_owned();
        let sql = format!("INSERT INTO \"{table}\" ({}) VALUES ({marks})", names.join(", "));
        let statement = conn.prepare(&sql).with_context(|| format!("cannot prepare {sql}"))?;
        Ok(Self { statement, columns })
    }

    fn insert(&mut self, row: &E::Model) -> Result<()>
    where
        E::Model: ModelTrait<Entity = E>,
    {
        let values = self
            .columns
            .iter()
            .map(|column| porthole_store::sql_value(row.get(*column)))
            .collect::<Result<Vec<_>, _>>()?;
        self.statement.execute(rusqlite::params_from_iter(values))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use porthole_store::Store;

    use super::*;
    use crate::world::Plan;

    #[tokio::test]
    async fn a_small_world_loads_and_every_index_comes_back() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("bench.db");
        let store = Store::connect(&format!("sqlite://{}?mode=rwc", path.display())).await.expect("connect");
        store.migrate().await.expect("migrate");
        let before: Vec<String> = index_names(&path);
        store.connection().clone().close().await.expect("close");
        let world = World::new(3, Plan::for_shipments(300));
        let loaded = load(&path, &world, "hash").expect("loads");
        assert_eq!(loaded.shipments, 300);
        assert!(loaded.events > 2_000, "{loaded:?}");
        assert_eq!(index_names(&path), before);
        let conn = rusqlite::Connection::open(&path).expect("open");
        let count: i64 = conn.query_row("SELECT count(*) FROM tracking_events", [], |r| r.get(0)).expect("count");
        assert_eq!(count as u64, loaded.events);
    }

    fn index_names(path: &Path) -> Vec<String> {
        let conn = rusqlite::Connection::open(path).expect("open");
        let mut statement =
            conn.prepare("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name").expect("prepare");
        statement.query_map([], |row| row.get(0)).expect("query").collect::<Result<_, _>>().expect("names")
    }
}
