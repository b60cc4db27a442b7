use async_trait::async_trait;
use porthole_app::ports::{OrganizationRepository, RepoError, RepoResult};
use porthole_domain::{Organization, OrganizationId};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};

use super::{LOOKUP_CHUNK, finish};
use crate::Store;
use crate::codec::{organization_of, organization_row};
use crate::entity::organization;
use crate::error::{Unique, unavailable, write_error};

const CODE: Unique = Unique::new("organizations", "code", "code");

#[async_trait]
impl OrganizationRepository for Store {
    async fn insert_organization(&self, org: &Organization) -> RepoResult<()> {
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = organization::Entity::insert(organization_row(org).into_active_model())
            .exec_without_returning(&txn)
            .await
            .map(drop)
            .map_err(|e| write_error(e, &[CODE]));
        finish(txn, result).await
    }

    async fn update_organization(&self, org: &Organization) -> RepoResult<()> {
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = organization::Entity::update_many()
            .set(organization::ActiveModel {
                code: Set(org.code.clone()),
                name: Set(org.name.clone()),
                portal_enabled: Set(org.portal_enabled),
                show_charges: Set(org.show_charges),
                ..Default::default()
            })
            .filter(organization::Column::Id.eq(org.id.as_str()))
            .exec(&txn)
            .await
            .map_err(|e| write_error(e, &[CODE]))
            .and_then(|updated| if updated.rows_affected == 0 { Err(RepoError::NotFound) } else { Ok(()) });
        finish(txn, result).await
    }

    async fn organization(&self, id: &OrganizationId) -> RepoResult<Option<Organization>> {
        let row = organization::Entity::find_by_id(id.as_str()).one(&self.db).await.map_err(unavailable)?;
        Ok(row.map(organization_of))
    }

    async fn organizations(&self, ids: &[OrganizationId]) -> RepoResult<Vec<Organization>> {
        let mut found = Vec::new();
        for chunk in ids.chunks(LOOKUP_CHUNK) {
            let rows = organization::Entity::find()
                .filter(organization::Column::Id.is_in(chunk.iter().map(OrganizationId::as_str)))
                .all(&self.db)
                .await
                .map_err(unavailable)?;
            found.extend(rows.into_iter().map(organization_of));
        }
        Ok(found)
    }

    async fn all_organizations(&self) -> RepoResult<Vec<Organization>> {
        let rows = organization::Entity::find()
            .order_by_asc(organization::Column::Code)
            .all(&self.db)
            .await
            .map_err(unavailable)?;
        Ok(rows.into_iter().map(organization_of).collect())
    }
}
