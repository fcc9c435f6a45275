//! Running the store: health, the idempotency records behind retried
//! requests, housekeeping and backups.

use std::path::Path;

use quipu_domain::Timestamp;
use uuid::Uuid;

use crate::StoreResult;

/// The first response to an idempotent request, replayed on retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// Whose key space this is: the user or merchant making the request.
    pub scope: Uuid,
    pub key: String,
    /// SHA-256 of method, path and body: the same key with another request is refused.
    pub request_hash: Vec<u8>,
    pub status: u16,
    pub body: Vec<u8>,
    pub created_at: Timestamp,
}

#[async_trait::async_trait]
pub trait OperationsStore: Send + Sync {
    /// "sqlite" or "postgres", for logs and `/readyz`.
    fn backend_name(&self) -> &'static str;

    /// Cheap round-trip to the database, for readiness.
    async fn ping(&self) -> StoreResult<()>;

    async fn idempotency_record(&self, scope: Uuid, key: &str) -> StoreResult<Option<IdempotencyRecord>>;

    /// Stores the record unless one exists for (scope, key); returns whichever is stored.
    async fn save_idempotency_record(&self, record: &IdempotencyRecord) -> StoreResult<IdempotencyRecord>;

    /// Deletes up to `limit` idempotency records created before
    /// `idempotency_before`, up to `limit` sessions expired before
    /// `sessions_before`, and up to `limit` counts of wrong guesses last made
    /// before `idempotency_before` that no longer lock; returns how many rows went.
    async fn purge_stale(
        &self,
        idempotency_before: Timestamp,
        sessions_before: Timestamp,
        limit: u32,
    ) -> StoreResult<u64>;

    /// A consistent online copy of the database at `destination` (which must not exist).
    async fn backup(&self, destination: &Path) -> StoreResult<()>;
}
