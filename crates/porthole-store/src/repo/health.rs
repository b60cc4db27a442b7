use async_trait::async_trait;
use porthole_app::ports::{HealthCheck, RepoResult};

use crate::Store;
use crate::error::unavailable;

#[async_trait]
impl HealthCheck for Store {
    async fn ping(&self) -> RepoResult<()> {
        self.db.ping().await.map_err(unavailable)
    }
}
