use async_trait::async_trait;
use porthole_app::ports::{ApiKey, ApiKeyRepository, RepoResult};
use porthole_app::secret::SecretDigest;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};

use super::finish;
use crate::Store;
use crate::codec::{api_key_of, utc_text};
use crate::entity::api_key;
use crate::error::{Unique, unavailable, write_error};

const DIGEST: Unique = Unique::new("api_keys", "digest", "digest");

#[async_trait]
impl ApiKeyRepository for Store {
    async fn insert_api_key(&self, key: &ApiKey, digest: &SecretDigest) -> RepoResult<()> {
        let row = api_key::Model {
            id: key.id.clone(),
            name: key.name.clone(),
            role: key.role.as_str().to_owned(),
            digest: digest.as_str().to_owned(),
            created_at: utc_text(&key.created_at),
            revoked_at: None,
        };
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = api_key::Entity::insert(row.into_active_model())
            .exec_without_returning(&txn)
            .await
            .map(drop)
            .map_err(|e| write_error(e, &[DIGEST]));
        finish(txn, result).await
    }

    async fn api_key_by_digest(&self, digest: &SecretDigest) -> RepoResult<Option<ApiKey>> {
        let row = api_key::Entity::find()
            .filter(api_key::Column::Digest.eq(digest.as_str()))
            .filter(api_key::Column::RevokedAt.is_null())
            .one(&self.db)
            .await
            .map_err(unavailable)?;
        Ok(row.map(api_key_of).transpose()?)
    }
}
