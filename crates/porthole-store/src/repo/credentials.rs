use async_trait::async_trait;
use chrono::{DateTime, Utc};
use porthole_app::ports::{CredentialRepository, LoginToken, PortalSession, RepoError, RepoResult, TokenPurpose};
use porthole_app::secret::SecretDigest;
use porthole_domain::TrackingUserId;

use crate::Store;

// PENDING(store): replaced by the real implementation.
#[async_trait]
impl CredentialRepository for Store {
    async fn password_hash(&self, _id: &TrackingUserId) -> RepoResult<Option<String>> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn set_password(&self, _id: &TrackingUserId, _hash: &str) -> RepoResult<()> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn insert_login_token(&self, _token: &LoginToken) -> RepoResult<()> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn live_login_token(
        &self,
        _digest: &SecretDigest,
        _purpose: TokenPurpose,
        _now: DateTime<Utc>,
    ) -> RepoResult<Option<TrackingUserId>> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn consume_login_token(
        &self,
        _digest: &SecretDigest,
        _purpose: TokenPurpose,
        _now: DateTime<Utc>,
    ) -> RepoResult<Option<TrackingUserId>> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn complete_password_setup(
        &self,
        _digest: &SecretDigest,
        _hash: &str,
        _now: DateTime<Utc>,
    ) -> RepoResult<Option<TrackingUserId>> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn insert_session(&self, _session: &PortalSession) -> RepoResult<()> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn session(&self, _digest: &SecretDigest, _now: DateTime<Utc>) -> RepoResult<Option<PortalSession>> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn delete_session(&self, _digest: &SecretDigest) -> RepoResult<()> {
        Err(RepoError::Unavailable("pending".into()))
    }
}
