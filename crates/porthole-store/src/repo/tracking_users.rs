use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use porthole_app::ports::{RepoResult, TrackingUserRepository};
use porthole_domain::{OrganizationId, TrackingUser};
use sea_orm::sea_query::SelectStatement;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, QueryTrait};

use super::{INSERT_CHUNK, finish};
use crate::Store;
use crate::codec::{tracking_user_of, tracking_user_row, utc_text};
use crate::entity::{tracking_user, tracking_user_agent_customer, tracking_user_organization};
use crate::error::{Unique, unavailable, write_error};

const USER_ID: Unique = Unique::new("tracking_users", "user_id", "user_id");

#[async_trait]
impl TrackingUserRepository for Store {
    async fn insert_tracking_user(&self, user: &TrackingUser) -> RepoResult<()> {
        let row = tracking_user_row(user, &utc_text(&self.clock.now()));
        let memberships = user.organization_ids.iter().map(|org| tracking_user_organization::Model {
            tracking_user_id: user.id.as_str().to_owned(),
            organization_id: org.as_str().to_owned(),
        });
        let agent_customers = user.agent_customer_ids.iter().map(|org| tracking_user_agent_customer::Model {
            tracking_user_id: user.id.as_str().to_owned(),
            organization_id: org.as_str().to_owned(),
        });
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            tracking_user::Entity::insert(row.into_active_model())
                .exec_without_returning(&txn)
                .await
                .map_err(|e| write_error(e, &[USER_ID]))?;
            for chunk in memberships.collect::<Vec<_>>().chunks(INSERT_CHUNK) {
                tracking_user_organization::Entity::insert_many(
                    chunk.iter().cloned().map(IntoActiveModel::into_active_model),
                )
                .exec_without_returning(&txn)
                .await
                .map_err(|e| write_error(e, &[]))?;
            }
            for chunk in agent_customers.collect::<Vec<_>>().chunks(INSERT_CHUNK) {
                tracking_user_agent_customer::Entity::insert_many(
                    chunk.iter().cloned().map(IntoActiveModel::into_active_model),
                )
                .exec_without_returning(&txn)
                .await
                .map_err(|e| write_error(e, &[]))?;
            }
            Ok(())
        }
        .await;
        finish(txn, result).await
    }

    /// Three queries whatever the number of users: the users, all their
    /// memberships, all their agent-customer links. The set of users is a
    /// subquery, so no id list grows with the answer.
    async fn tracking_users_in(&self, organization_ids: &[OrganizationId]) -> RepoResult<Vec<TrackingUser>> {
        if organization_ids.is_empty() {
            return Ok(Vec::new());
        }
        let members: SelectStatement = tracking_user_organization::Entity::find()
            .select_only()
            .column(tracking_user_organization::Column::TrackingUserId)
            .filter(
                tracking_user_organization::Column::OrganizationId
                    .is_in(organization_ids.iter().map(OrganizationId::as_str)),
            )
            .into_query();
        let txn = self.begin_read().await.map_err(unavailable)?;
        let result = async {
            let users = tracking_user::Entity::find()
                .filter(tracking_user::Column::Id.in_subquery(members.clone()))
                .order_by_asc(tracking_user::Column::UserId)
                .all(&txn)
                .await
                .map_err(unavailable)?;
            let memberships = tracking_user_organization::Entity::find()
                .filter(tracking_user_organization::Column::TrackingUserId.in_subquery(members.clone()))
                .all(&txn)
                .await
                .map_err(unavailable)?;
            let agent_customers = tracking_user_agent_customer::Entity::find()
                .filter(tracking_user_agent_customer::Column::TrackingUserId.in_subquery(members.clone()))
                .all(&txn)
                .await
                .map_err(unavailable)?;

            let mut orgs_of: HashMap<String, BTreeSet<OrganizationId>> = HashMap::new();
            for link in memberships {
                orgs_of.entry(link.tracking_user_id).or_default().insert(OrganizationId::new(link.organization_id));
            }
            let mut customers_of: HashMap<String, BTreeSet<OrganizationId>> = HashMap::new();
            for link in agent_customers {
                customers_of
                    .entry(link.tracking_user_id)
                    .or_default()
                    .insert(OrganizationId::new(link.organization_id));
            }
            users
                .into_iter()
                .map(|row| {
                    let orgs = orgs_of.remove(&row.id).unwrap_or_default();
                    let customers = customers_of.remove(&row.id).unwrap_or_default();
                    Ok(tracking_user_of(row, orgs, customers)?)
                })
                .collect()
        }
        .await;
        finish(txn, result).await
    }
    // PENDING(store): replaced by the real implementation.
    async fn update_tracking_user(&self, _user: &TrackingUser) -> RepoResult<()> {
        Err(porthole_app::ports::RepoError::Unavailable("pending".into()))
    }

    async fn disable_tracking_user(&self, _id: &porthole_domain::TrackingUserId) -> RepoResult<()> {
        Err(porthole_app::ports::RepoError::Unavailable("pending".into()))
    }

    async fn tracking_user(&self, _id: &porthole_domain::TrackingUserId) -> RepoResult<Option<TrackingUser>> {
        Err(porthole_app::ports::RepoError::Unavailable("pending".into()))
    }

    async fn tracking_user_by_login(&self, _user_id: &porthole_domain::UserId) -> RepoResult<Option<TrackingUser>> {
        Err(porthole_app::ports::RepoError::Unavailable("pending".into()))
    }

    async fn tracking_users_by_email(&self, _email: &porthole_domain::Email) -> RepoResult<Vec<TrackingUser>> {
        Err(porthole_app::ports::RepoError::Unavailable("pending".into()))
    }

    async fn tracking_users(
        &self,
        _after: Option<porthole_domain::TrackingUserId>,
        _limit: u64,
    ) -> RepoResult<Vec<TrackingUser>> {
        Err(porthole_app::ports::RepoError::Unavailable("pending".into()))
    }
}
