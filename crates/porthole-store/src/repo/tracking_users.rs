use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use porthole_app::ports::{MailCause, RepoError, RepoResult, TrackingUserRepository};
use porthole_domain::{
    Email, NotificationPreferences, OrganizationId, TrackingUser, TrackingUserId, UserId, UserState,
};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::SelectStatement;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select,
};

use super::credentials::{end_sessions, forget_login_tokens};
use super::outbox::record_causes;
use super::{INSERT_CHUNK, finish};
use crate::Store;
use crate::codec::{notifications_text, tracking_user_of, tracking_user_row, utc_text};
use crate::entity::{
    tracking_user, tracking_user_additional_email, tracking_user_agent_customer, tracking_user_organization,
};
use crate::error::{Unique, unavailable, write_error};

const USER_ID: Unique = Unique::new("tracking_users", "user_id", "user_id");
const EMAIL: Unique = Unique::new("tracking_users", "email", "email");

#[async_trait]
impl TrackingUserRepository for Store {
    async fn insert_tracking_user(&self, user: &TrackingUser, causes: &[MailCause]) -> RepoResult<()> {
        let now = utc_text(&self.clock.now());
        let row = tracking_user_row(user, &now);
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            tracking_user::Entity::insert(row.into_active_model())
                .exec_without_returning(&txn)
                .await
                .map_err(|e| write_error(e, &[USER_ID, EMAIL]))?;
            insert_links(&txn, user).await?;
            record_causes(&txn, causes, &now).await
        }
        .await;
        finish(txn, result).await
    }

    /// The state is left alone: it changes only through `set_password` and
    /// `disable_tracking_user`, so an edit based on an older read can never
    /// re-enable a user who was disabled in the meantime.
    async fn update_tracking_user(&self, user: &TrackingUser) -> RepoResult<()> {
        let row = tracking_user_row(user, "");
        let profile = tracking_user::ActiveModel {
            user_id: Set(row.user_id),
            first_name: Set(row.first_name),
            last_name: Set(row.last_name),
            email: Set(row.email),
            additional_emails: Set(row.additional_emails),
            role: Set(row.role),
            notifications: Set(row.notifications),
            display: Set(row.display),
            ..Default::default()
        };
        let id = user.id.as_str();
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            let before = tracking_user::Entity::find_by_id(id)
                .select_only()
                .column(tracking_user::Column::Email)
                .into_tuple::<String>()
                .one(&txn)
                .await
                .map_err(unavailable)?
                .ok_or(RepoError::NotFound)?;
            tracking_user::Entity::update_many()
                .set(profile)
                .filter(tracking_user::Column::Id.eq(id))
                .exec(&txn)
                .await
                .map_err(|e| write_error(e, &[USER_ID, EMAIL]))?;
            if before != user.email.as_str() {
                // Links mailed to the old address (perhaps a mistyped one)
                // must not open the account, nor may sessions begun from them
                // outlive the correction.
                end_sessions(&txn, &user.id).await?;
                forget_login_tokens(&txn, &user.id).await?;
            }
            tracking_user_organization::Entity::delete_many()
                .filter(tracking_user_organization::Column::TrackingUserId.eq(id))
                .exec(&txn)
                .await
                .map_err(unavailable)?;
            tracking_user_agent_customer::Entity::delete_many()
                .filter(tracking_user_agent_customer::Column::TrackingUserId.eq(id))
                .exec(&txn)
                .await
                .map_err(unavailable)?;
            tracking_user_additional_email::Entity::delete_many()
                .filter(tracking_user_additional_email::Column::TrackingUserId.eq(id))
                .exec(&txn)
                .await
                .map_err(unavailable)?;
            insert_links(&txn, user).await
        }
        .await;
        finish(txn, result).await
    }

    /// Also forgets the user's one-time tokens: a disabled user has no use
    /// for them, and enabling the user again must not revive old links.
    async fn disable_tracking_user(&self, id: &TrackingUserId) -> RepoResult<()> {
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            let updated = tracking_user::Entity::update_many()
                .set(tracking_user::ActiveModel {
                    state: Set(UserState::Disabled.as_str().to_owned()),
                    ..Default::default()
                })
                .filter(tracking_user::Column::Id.eq(id.as_str()))
                .exec(&txn)
                .await
                .map_err(unavailable)?;
            if updated.rows_affected == 0 {
                return Err(RepoError::NotFound);
            }
            end_sessions(&txn, id).await?;
            forget_login_tokens(&txn, id).await
        }
        .await;
        finish(txn, result).await
    }

    async fn update_notifications(&self, id: &TrackingUserId, preferences: &NotificationPreferences) -> RepoResult<()> {
        let updated = tracking_user::Entity::update_many()
            .set(tracking_user::ActiveModel {
                notifications: Set(notifications_text(preferences)),
                ..Default::default()
            })
            .filter(tracking_user::Column::Id.eq(id.as_str()))
            .exec(&self.db)
            .await
            .map_err(unavailable)?;
        match updated.rows_affected {
            0 => Err(RepoError::NotFound),
            _ => Ok(()),
        }
    }

    /// One conditional UPDATE per outcome, so a concurrent disable or
    /// password change cannot be undone by a stale read.
    async fn enable_tracking_user(&self, id: &TrackingUserId) -> RepoResult<()> {
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            let exists = tracking_user::Entity::find_by_id(id.as_str())
                .select_only()
                .column(tracking_user::Column::Id)
                .into_tuple::<String>()
                .one(&txn)
                .await
                .map_err(unavailable)?;
            if exists.is_none() {
                return Err(RepoError::NotFound);
            }
            for (state, has_password) in [(UserState::Active, true), (UserState::Invited, false)] {
                let password = if has_password {
                    tracking_user::Column::PasswordHash.is_not_null()
                } else {
                    tracking_user::Column::PasswordHash.is_null()
                };
                tracking_user::Entity::update_many()
                    .set(tracking_user::ActiveModel { state: Set(state.as_str().to_owned()), ..Default::default() })
                    .filter(tracking_user::Column::Id.eq(id.as_str()))
                    .filter(tracking_user::Column::State.eq(UserState::Disabled.as_str()))
                    .filter(password)
                    .exec(&txn)
                    .await
                    .map_err(unavailable)?;
            }
            Ok(())
        }
        .await;
        finish(txn, result).await
    }

    async fn tracking_user(&self, id: &TrackingUserId) -> RepoResult<Option<TrackingUser>> {
        let users = self.load_users(tracking_user::Entity::find_by_id(id.as_str())).await?;
        Ok(users.into_iter().next())
    }

    async fn tracking_user_by_login(&self, user_id: &UserId) -> RepoResult<Option<TrackingUser>> {
        let users = self
            .load_users(tracking_user::Entity::find().filter(tracking_user::Column::UserId.eq(user_id.as_str())))
            .await?;
        Ok(users.into_iter().next())
    }

    async fn tracking_users_by_email(&self, email: &Email) -> RepoResult<Vec<TrackingUser>> {
        let listing_it: SelectStatement = tracking_user_additional_email::Entity::find()
            .select_only()
            .column(tracking_user_additional_email::Column::TrackingUserId)
            .filter(tracking_user_additional_email::Column::Email.eq(email.as_str()))
            .into_query();
        let users = tracking_user::Entity::find()
            .filter(
                Condition::any()
                    .add(tracking_user::Column::Email.eq(email.as_str()))
                    .add(tracking_user::Column::Id.in_subquery(listing_it)),
            )
            .order_by_asc(tracking_user::Column::UserId);
        self.load_users(users).await
    }

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
        let users = tracking_user::Entity::find()
            .filter(tracking_user::Column::Id.in_subquery(members))
            .order_by_asc(tracking_user::Column::UserId);
        self.load_users(users).await
    }

    async fn tracking_users(&self, after: Option<TrackingUserId>, limit: u64) -> RepoResult<Vec<TrackingUser>> {
        let mut users = tracking_user::Entity::find().order_by_asc(tracking_user::Column::Id).limit(limit);
        if let Some(after) = after {
            users = users.filter(tracking_user::Column::Id.gt(after.as_str()));
        }
        self.load_users(users).await
    }
}

impl Store {
    /// The users `users` selects, in its order, whole. Three queries
    /// whatever the number of users: the users, all their memberships, all
    /// their agent-customer links. The links are selected through `users`
    /// as a subquery, so no id list grows with the answer.
    async fn load_users(&self, users: Select<tracking_user::Entity>) -> RepoResult<Vec<TrackingUser>> {
        let ids: SelectStatement = users.clone().select_only().column(tracking_user::Column::Id).into_query();
        let txn = self.begin_read().await.map_err(unavailable)?;
        let result = async {
            let rows = users.all(&txn).await.map_err(unavailable)?;
            if rows.is_empty() {
                return Ok(Vec::new());
            }
            let memberships = tracking_user_organization::Entity::find()
                .filter(tracking_user_organization::Column::TrackingUserId.in_subquery(ids.clone()))
                .all(&txn)
                .await
                .map_err(unavailable)?;
            let agent_customers = tracking_user_agent_customer::Entity::find()
                .filter(tracking_user_agent_customer::Column::TrackingUserId.in_subquery(ids))
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
            rows.into_iter()
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
}

/// Writes the user's organizations, agent customers and the lookup rows of
/// their additional e-mails. An unknown organization is `NotFound`.
async fn insert_links(txn: &DatabaseTransaction, user: &TrackingUser) -> RepoResult<()> {
    let id = user.id.as_str();
    let memberships: Vec<_> = user
        .organization_ids
        .iter()
        .map(|org| tracking_user_organization::Model {
            tracking_user_id: id.to_owned(),
            organization_id: org.as_str().to_owned(),
        })
        .collect();
    for chunk in memberships.chunks(INSERT_CHUNK) {
        insert_rows::<tracking_user_organization::Entity>(txn, chunk).await?;
    }
    let agent_customers: Vec<_> = user
        .agent_customer_ids
        .iter()
        .map(|org| tracking_user_agent_customer::Model {
            tracking_user_id: id.to_owned(),
            organization_id: org.as_str().to_owned(),
        })
        .collect();
    for chunk in agent_customers.chunks(INSERT_CHUNK) {
        insert_rows::<tracking_user_agent_customer::Entity>(txn, chunk).await?;
    }
    // The lookup holds each address once, even if the list repeats one.
    let addresses: BTreeSet<&str> = user.additional_emails.iter().map(Email::as_str).collect();
    let additional: Vec<_> = addresses
        .into_iter()
        .map(|email| tracking_user_additional_email::Model { tracking_user_id: id.to_owned(), email: email.to_owned() })
        .collect();
    for chunk in additional.chunks(INSERT_CHUNK) {
        insert_rows::<tracking_user_additional_email::Entity>(txn, chunk).await?;
    }
    Ok(())
}

/// One multi-row INSERT; `rows` must be non-empty and at most
/// [`INSERT_CHUNK`] long.
async fn insert_rows<E>(conn: &impl ConnectionTrait, rows: &[E::Model]) -> RepoResult<()>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel> + Clone,
{
    E::insert_many(rows.iter().cloned().map(IntoActiveModel::into_active_model))
        .exec_without_returning(conn)
        .await
        .map(drop)
        .map_err(|e| write_error(e, &[]))
}
