//! The dataset on disk: made once per (plan, seed, generator version,
//! migrations) and kept under `target/bench-data/`, then copied for each
//! run, so a run's writes (sessions, access log, ingested events) never
//! reach the cached file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use porthole_app::passwords::Passwords;
use porthole_migrations::{Migrator, MigratorTrait};
use porthole_store::Store;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::loader::{self, Loaded};
use crate::world::{GENERATOR_VERSION, PASSWORD, Plan, World};

/// What a cached dataset was made from; any change makes a new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CacheKey {
    pub plan: Plan,
    pub seed: u64,
    pub generator_version: u32,
    /// The schema's migrations, in order, by name.
    pub migrations: Vec<String>,
}

impl CacheKey {
    pub fn new(plan: Plan, seed: u64) -> CacheKey {
        let migrations = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
        CacheKey { plan, seed, generator_version: GENERATOR_VERSION, migrations }
    }

    /// A short digest of the whole key, for the file name.
    pub fn digest(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        hex::encode(&Sha256::digest(text.as_bytes())[..8])
    }

    pub fn file_name(&self) -> String {
        format!("dataset-{}-seed{}-{}.db", self.plan.shipments, self.seed, self.digest())
    }
}

/// Written next to a dataset once it is complete; a dataset without it is
/// made again.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    key: serde_json::Value,
    loaded: serde_json::Value,
}

/// The cached dataset for `key` under `dir`, made first if it is missing
/// (or `regenerate` is set).
pub async fn ensure(dir: &Path, key: &CacheKey, regenerate: bool) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(key.file_name());
    let manifest = path.with_extension("json");
    if !regenerate && path.exists() && manifest.exists() {
        eprintln!("Using the cached dataset {}", path.display());
        return Ok(path);
    }
    for stale in [&path, &manifest, &with_suffix(&path, "-wal"), &with_suffix(&path, "-shm")] {
        if stale.exists() {
            std::fs::remove_file(stale).with_context(|| format!("cannot remove {}", stale.display()))?;
        }
    }
    eprintln!("Generating the dataset {} (seed {}): {:?}", path.display(), key.seed, key.plan);
    let store = Store::connect(&sqlite_url(&path)).await.context("cannot create the dataset's database")?;
    store.migrate().await.context("cannot migrate the dataset's database")?;
    store.connection().clone().close().await.context("cannot close the migrated database")?;

    // One argon2id hash, made exactly as the application makes them, for
    // every user with a password.
    let hash = Passwords::new(1).hash(PASSWORD.to_owned()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let world = World::new(key.seed, key.plan);
    let loaded: Loaded = tokio::task::spawn_blocking({
        let path = path.clone();
        move || loader::load(&path, &world, &hash)
    })
    .await
    .context("the loader stopped")??;
    eprintln!(
        "Generated {} shipments, {} events, {} containers, {} masters, {} organizations, {} users and {} share \
         links in {:.0} s",
        loaded.shipments,
        loaded.events,
        loaded.containers,
        loaded.masters,
        loaded.organizations,
        loaded.users,
        loaded.share_links,
        loaded.seconds
    );
    let manifest_text = serde_json::to_string_pretty(&Manifest {
        key: serde_json::to_value(key)?,
        loaded: serde_json::to_value(loaded)?,
    })?;
    std::fs::write(&manifest, manifest_text).with_context(|| format!("cannot write {}", manifest.display()))?;
    Ok(path)
}

/// A fresh copy of `dataset` at `run_dir/porthole.db` for one run.
pub fn working_copy(dataset: &Path, run_dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(run_dir).with_context(|| format!("cannot create {}", run_dir.display()))?;
    let copy = run_dir.join("porthole.db");
    for stale in [copy.clone(), with_suffix(&copy, "-wal"), with_suffix(&copy, "-shm")] {
        if stale.exists() {
            std::fs::remove_file(&stale).with_context(|| format!("cannot remove {}", stale.display()))?;
        }
    }
    std::fs::copy(dataset, &copy)
        .with_context(|| format!("cannot copy {} to {}", dataset.display(), copy.display()))?;
    Ok(copy)
}

pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_names_the_plan_seed_generator_and_schema() {
        let key = CacheKey::new(Plan::for_shipments(1_000), 42);
        assert_eq!(key.digest(), CacheKey::new(Plan::for_shipments(1_000), 42).digest(), "stable");
        assert!(key.file_name().starts_with("dataset-1000-seed42-"), "{}", key.file_name());
        assert!(!key.migrations.is_empty());
        let differs = |other: CacheKey| assert_ne!(other.digest(), key.digest(), "{other:?}");
        differs(CacheKey::new(Plan::for_shipments(1_001), 42));
        differs(CacheKey::new(Plan::for_shipments(1_000), 43));
        differs(CacheKey { generator_version: key.generator_version + 1, ..key.clone() });
        let mut fewer = key.clone();
        fewer.migrations.pop();
        differs(fewer);
    }
}
