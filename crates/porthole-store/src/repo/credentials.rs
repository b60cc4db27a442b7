//! Passwords, one-time sign-in tokens and portal sessions.
//!
//! Liveness is decided by comparing stored RFC 3339 text with `now` written
//! the same way (`utc_text`: UTC, fixed width), so the database compares
//! times by comparing text, on both backends.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use porthole_app::ports::{
    CredentialRepository, LoginToken, PortalSession, RepoError, RepoResult, SessionHolder, TokenPurpose,
    UnsubscribeToken,
};
use porthole_app::secret::SecretDigest;
use porthole_domain::{OrganizationId, TrackingUserId, UserState};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, SelectStatement, UnionType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, IntoActiveModel, JoinType, QueryFilter,
    QuerySelect, QueryTrait, RelationTrait,
};
use serde::Deserialize;

use super::finish;
use crate::Store;
use crate::codec::{
    login_token_row, organization_of, portal_session_of, portal_session_row, tracking_user_of, unsubscribe_token_of,
    unsubscribe_token_row, utc_text,
};
use crate::entity::{
    login_token, organization, portal_session, tracking_user, tracking_user_agent_customer, tracking_user_organization,
    unsubscribe_token,
};
use crate::error::{unavailable, write_error};
use crate::reads::Joined;

#[async_trait]
impl CredentialRepository for Store {
    async fn password_hash(&self, id: &TrackingUserId) -> RepoResult<Option<String>> {
        let hash = tracking_user::Entity::find_by_id(id.as_str())
            .select_only()
            .column(tracking_user::Column::PasswordHash)
            .into_tuple::<Option<String>>()
            .one(&self.db)
            .await
            .map_err(unavailable)?;
        Ok(hash.flatten())
    }

    async fn set_password(&self, id: &TrackingUserId, hash: &str) -> RepoResult<()> {
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = store_password(&txn, id, hash).await;
        finish(txn, result).await
    }

    /// Also drops the user's tokens that are already dead, so the table
    /// holds a handful of rows per user rather than every link ever sent.
    async fn insert_login_token(&self, token: &LoginToken) -> RepoResult<()> {
        let user = token.tracking_user_id.as_str();
        let now = utc_text(&token.created_at);
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            // Two resends at once must still leave one live setup link. On
            // PostgreSQL the user's row lock queues them, so the second
            // sees the first's token; SQLite's write lock already does.
            tracking_user::Entity::find_by_id(user)
                .select_only()
                .column(tracking_user::Column::Id)
                .lock_exclusive()
                .into_tuple::<String>()
                .one(&txn)
                .await
                .map_err(unavailable)?;
            let mut superseded = Condition::any()
                .add(login_token::Column::UsedAt.is_not_null())
                .add(login_token::Column::ExpiresAt.lte(now.as_str()));
            if token.purpose == TokenPurpose::PasswordSetup {
                // Resending the setup mail kills the link sent before.
                superseded = superseded.add(login_token::Column::Purpose.eq(TokenPurpose::PasswordSetup.as_str()));
            }
            login_token::Entity::delete_many()
                .filter(login_token::Column::TrackingUserId.eq(user))
                .filter(superseded)
                .exec(&txn)
                .await
                .map_err(unavailable)?;
            login_token::Entity::insert(login_token_row(token).into_active_model())
                .exec_without_returning(&txn)
                .await
                .map(drop)
                .map_err(|e| write_error(e, &[]))
        }
        .await;
        finish(txn, result).await
    }

    async fn live_login_token(
        &self,
        digest: &SecretDigest,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> RepoResult<Option<TrackingUserId>> {
        let user = login_token::Entity::find()
            .select_only()
            .column(login_token::Column::TrackingUserId)
            .filter(live_token(digest, purpose, now))
            .into_tuple::<String>()
            .one(&self.db)
            .await
            .map_err(unavailable)?;
        Ok(user.map(TrackingUserId::new))
    }

    async fn consume_login_token(
        &self,
        digest: &SecretDigest,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> RepoResult<Option<TrackingUserId>> {
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = consume(&txn, digest, purpose, now).await;
        finish(txn, result).await
    }

    async fn complete_password_setup(
        &self,
        digest: &SecretDigest,
        hash: &str,
        now: DateTime<Utc>,
    ) -> RepoResult<Option<TrackingUserId>> {
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            let Some(user) = consume(&txn, digest, TokenPurpose::PasswordSetup, now).await? else {
                return Ok(None);
            };
            store_password(&txn, &user, hash).await?;
            Ok(Some(user))
        }
        .await;
        finish(txn, result).await
    }

    /// Also ends the user's sessions that have already expired, which
    /// nothing else would ever delete.
    async fn insert_session(&self, session: &PortalSession) -> RepoResult<()> {
        let now = utc_text(&session.created_at);
        let txn = self.begin_write().await.map_err(unavailable)?;
        let result = async {
            portal_session::Entity::delete_many()
                .filter(portal_session::Column::TrackingUserId.eq(session.tracking_user_id.as_str()))
                .filter(portal_session::Column::ExpiresAt.lte(now.as_str()))
                .exec(&txn)
                .await
                .map_err(unavailable)?;
            portal_session::Entity::insert(portal_session_row(session).into_active_model())
                .exec_without_returning(&txn)
                .await
                .map(drop)
                .map_err(|e| write_error(e, &[]))
        }
        .await;
        finish(txn, result).await
    }

    /// Two statements: the session with its user (one join, so one
    /// snapshot), then the user's organization links. On the pool they run
    /// without a transaction, so the links may be a moment newer than the
    /// user row, which is what a request arriving a moment later would see
    /// anyway.
    async fn session_holder(&self, digest: &SecretDigest, now: DateTime<Utc>) -> RepoResult<Option<SessionHolder>> {
        let reads = self.reads();
        let reader = reads.reader();
        let found = portal_session::Entity::find_by_id(digest.as_str())
            .filter(portal_session::Column::ExpiresAt.gt(utc_text(&now)))
            .find_also_related(tracking_user::Entity);
        let found: Option<Joined<portal_session::Model, tracking_user::Model>> = reader.one(found.into_query()).await?;
        let Some(Joined(session, Some(user))) = found else { return Ok(None) };
        let rows: Vec<LinkedOrganization> = reader.all(&linked_organizations(&user.id)).await?;
        let mut organizations = Vec::new();
        let mut organization_ids = BTreeSet::new();
        let mut agent_customer_ids = BTreeSet::new();
        for LinkedOrganization { id, code, name, portal_enabled, show_charges, link } in rows {
            if link == MEMBER {
                organization_ids.insert(OrganizationId::new(id.clone()));
                organizations.push(organization_of(organization::Model {
                    id,
                    code,
                    name,
                    portal_enabled,
                    show_charges,
                }));
            } else {
                agent_customer_ids.insert(OrganizationId::new(id));
            }
        }
        Ok(Some(SessionHolder {
            session: portal_session_of(session)?,
            user: tracking_user_of(user, organization_ids, agent_customer_ids)?,
            organizations,
        }))
    }

    async fn delete_session(&self, digest: &SecretDigest) -> RepoResult<()> {
        portal_session::Entity::delete_many()
            .filter(portal_session::Column::Digest.eq(digest.as_str()))
            .exec(&self.db)
            .await
            .map(drop)
            .map_err(unavailable)
    }

    async fn insert_unsubscribe_token(&self, token: &UnsubscribeToken) -> RepoResult<()> {
        unsubscribe_token::Entity::insert(unsubscribe_token_row(token).into_active_model())
            .exec_without_returning(&self.db)
            .await
            .map(drop)
            .map_err(|e| write_error(e, &[]))
    }

    async fn unsubscribe_token(&self, digest: &SecretDigest) -> RepoResult<Option<UnsubscribeToken>> {
        let row = unsubscribe_token::Entity::find_by_id(digest.as_str()).one(&self.db).await.map_err(unavailable)?;
        Ok(row.map(unsubscribe_token_of).transpose()?)
    }
}

/// A token of this digest and purpose that is unused and not yet expired.
fn live_token(digest: &SecretDigest, purpose: TokenPurpose, now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(login_token::Column::Digest.eq(digest.as_str()))
        .add(login_token::Column::Purpose.eq(purpose.as_str()))
        .add(login_token::Column::UsedAt.is_null())
        .add(login_token::Column::ExpiresAt.gt(utc_text(&now)))
}

/// Marks the token used if it is live, and names its user.
///
/// One conditional UPDATE decides: of concurrent callers only the one whose
/// UPDATE changed the row gets the user. SQLite serializes writers; on
/// PostgreSQL a second UPDATE waits for the first's row lock and then
/// re-checks `used_at IS NULL`, which no longer holds.
async fn consume(
    conn: &impl ConnectionTrait,
    digest: &SecretDigest,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> RepoResult<Option<TrackingUserId>> {
    let used = login_token::Entity::update_many()
        .col_expr(login_token::Column::UsedAt, Expr::value(utc_text(&now)))
        .filter(live_token(digest, purpose, now))
        .exec(conn)
        .await
        .map_err(unavailable)?;
    if used.rows_affected == 0 {
        return Ok(None);
    }
    let user = login_token::Entity::find_by_id(digest.as_str())
        .select_only()
        .column(login_token::Column::TrackingUserId)
        .into_tuple::<String>()
        .one(conn)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| RepoError::Unavailable("a token vanished while it was being used".to_owned()))?;
    Ok(Some(TrackingUserId::new(user)))
}

/// Stores the hash, activates an invited user (a disabled one stays
/// disabled) and ends the user's sessions.
async fn store_password(conn: &impl ConnectionTrait, id: &TrackingUserId, hash: &str) -> RepoResult<()> {
    let updated = tracking_user::Entity::update_many()
        .set(tracking_user::ActiveModel { password_hash: Set(Some(hash.to_owned())), ..Default::default() })
        .filter(tracking_user::Column::Id.eq(id.as_str()))
        .exec(conn)
        .await
        .map_err(unavailable)?;
    if updated.rows_affected == 0 {
        return Err(RepoError::NotFound);
    }
    tracking_user::Entity::update_many()
        .set(tracking_user::ActiveModel { state: Set(UserState::Active.as_str().to_owned()), ..Default::default() })
        .filter(tracking_user::Column::Id.eq(id.as_str()))
        .filter(tracking_user::Column::State.eq(UserState::Invited.as_str()))
        .exec(conn)
        .await
        .map_err(unavailable)?;
    // A new password closes every other way in: a setup link still in
    // someone's inbox must not replace it, nor a sign-in link bypass it.
    forget_login_tokens(conn, id).await?;
    end_sessions(conn, id).await
}

/// Deletes every session of the user.
pub(super) async fn end_sessions(conn: &impl ConnectionTrait, id: &TrackingUserId) -> RepoResult<()> {
    portal_session::Entity::delete_many()
        .filter(portal_session::Column::TrackingUserId.eq(id.as_str()))
        .exec(conn)
        .await
        .map(drop)
        .map_err(unavailable)
}

/// Deletes every one-time token of the user, live or not.
pub(super) async fn forget_login_tokens(conn: &impl ConnectionTrait, id: &TrackingUserId) -> RepoResult<()> {
    login_token::Entity::delete_many()
        .filter(login_token::Column::TrackingUserId.eq(id.as_str()))
        .exec(conn)
        .await
        .map(drop)
        .map_err(unavailable)
}

const MEMBER: &str = "member";
const AGENT_CUSTOMER: &str = "agent_customer";

/// A row of [`linked_organizations`].
#[derive(FromQueryResult, Deserialize)]
struct LinkedOrganization {
    id: String,
    code: String,
    name: String,
    portal_enabled: bool,
    show_charges: bool,
    link: String,
}

/// Every organization the user is linked to, each row with a `link` column
/// saying how: `member` (the user's own organizations) or `agent_customer`
/// (customers an overseas agent's user is limited to). One statement, so
/// the portal's session check stays at two round trips.
fn linked_organizations(tracking_user_id: &str) -> SelectStatement {
    // Joins rather than `id IN (subquery)`: SQLite would build a temporary
    // table and a Bloom filter for each list, on every portal request.
    let mut statement = organization::Entity::find()
        .column_as(Expr::cust(format!("'{MEMBER}'")), "link")
        .join_rev(JoinType::InnerJoin, tracking_user_organization::Relation::Organization.def())
        .filter(tracking_user_organization::Column::TrackingUserId.eq(tracking_user_id))
        .into_query();
    let agent_customers = organization::Entity::find()
        .column_as(Expr::cust(format!("'{AGENT_CUSTOMER}'")), "link")
        .join_rev(JoinType::InnerJoin, tracking_user_agent_customer::Relation::Organization.def())
        .filter(tracking_user_agent_customer::Column::TrackingUserId.eq(tracking_user_id))
        .into_query();
    statement.union(UnionType::All, agent_customers);
    statement
}

#[cfg(test)]
mod plans {
    use sea_orm::DbBackend;

    use super::*;

    /// Each list of links is read from its own index by user, then each
    /// organization by id: no table scanned, and no temporary table or
    /// Bloom filter built per request.
    #[tokio::test]
    async fn linked_organizations_are_found_through_the_users_links() {
        let store = Store::connect("sqlite::memory:").await.expect("connect");
        store.migrate().await.expect("migrate");
        let statement = DbBackend::Sqlite.build(&linked_organizations("tu_1"));
        let details = crate::repo::sqlite_plan(&store, statement).await;
        for links in ["tracking_user_organizations", "tracking_user_agent_customers"] {
            let by_user =
                format!("SEARCH {links} USING COVERING INDEX sqlite_autoindex_{links}_1 (tracking_user_id=?)");
            assert!(details.contains(&by_user), "{details:?}");
        }
        let organizations = "SEARCH organizations USING INDEX sqlite_autoindex_organizations_1 (id=?)";
        assert_eq!(details.iter().filter(|d| d.as_str() == organizations).count(), 2, "{details:?}");
        assert!(!details.iter().any(|d| d.starts_with("SCAN") || d.contains("LIST SUBQUERY")), "{details:?}");
        assert!(!details.iter().any(|d| d.contains("BLOOM")), "{details:?}");
    }
}
