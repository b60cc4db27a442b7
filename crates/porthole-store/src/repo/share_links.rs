use async_trait::async_trait;
use chrono::{DateTime, Utc};
use porthole_app::ports::{
    LinkAccessEntry, LinkSession, RepoError, RepoResult, ShareLinkRepository, StoredShareLink, VerificationCode,
};
use porthole_app::secret::SecretDigest;
use porthole_domain::{CodeState, Email, ShareLink, ShareLinkId, ShipmentId};

use crate::Store;

// PENDING(store): replaced by the real implementation.
#[async_trait]
impl ShareLinkRepository for Store {
    async fn insert_share_links(&self, _links: &[(ShareLink, SecretDigest)]) -> RepoResult<()> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn share_link(&self, _id: &ShareLinkId) -> RepoResult<Option<StoredShareLink>> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn share_link_by_token(&self, _digest: &SecretDigest) -> RepoResult<Option<StoredShareLink>> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn share_links_of(&self, _shipment_id: &ShipmentId) -> RepoResult<Vec<StoredShareLink>> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn revoke_share_link(&self, _id: &ShareLinkId, _at: DateTime<Utc>) -> RepoResult<()> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn replace_share_link_token(&self, _id: &ShareLinkId, _digest: &SecretDigest) -> RepoResult<()> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn record_link_access(&self, _id: &ShareLinkId, _entry: &LinkAccessEntry) -> RepoResult<()> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn link_access_log(&self, _id: &ShareLinkId, _limit: u64) -> RepoResult<Vec<LinkAccessEntry>> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn insert_verification_code(&self, _code: &VerificationCode) -> RepoResult<()> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn verification_code(
        &self,
        _link_id: &ShareLinkId,
        _email: &Email,
    ) -> RepoResult<Option<(VerificationCode, CodeState)>> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn record_code_failure(&self, _digest: &SecretDigest) -> RepoResult<()> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn redeem_verification_code(&self, _digest: &SecretDigest, _session: &LinkSession) -> RepoResult<bool> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn insert_link_session(&self, _session: &LinkSession) -> RepoResult<()> {
        Err(RepoError::Unavailable("pending".into()))
    }
    async fn link_session(&self, _digest: &SecretDigest, _now: DateTime<Utc>) -> RepoResult<Option<LinkSession>> {
        Err(RepoError::Unavailable("pending".into()))
    }
}
