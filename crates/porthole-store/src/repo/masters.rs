use async_trait::async_trait;
use porthole_app::ports::{MasterRepository, RepoResult};
use porthole_domain::{Master, MasterId};
use sea_orm::{EntityTrait, IntoActiveModel};

use super::finish;
use crate::Store;
use crate::codec::{master_of, master_row};
use crate::entity::master;
use crate::error::{Unique, unavailable, write_error};

const MBL_NO: Unique = Unique::new("masters", "mbl_no", "mbl_no");

#[async_trait]
impl MasterRepository for Store {
    async fn insert_master(&self, master: &Master) -> RepoResult<()> {
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = master::Entity::insert(master_row(master).into_active_model())
            .exec_without_returning(&txn)
            .await
            .map(drop)
            .map_err(|e| write_error(e, &[MBL_NO]));
        finish(txn, result).await
    }

    async fn master(&self, id: &MasterId) -> RepoResult<Option<Master>> {
        let row = master::Entity::find_by_id(id.as_str()).one(&self.db).await.map_err(unavailable)?;
        Ok(row.map(master_of))
    }
}
