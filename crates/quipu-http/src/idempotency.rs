//! Idempotent money-moving requests.
//!
//! The transfer id is derived from (caller, Idempotency-Key), so however
//! often a request is retried, concurrently or after a crash, the ledger
//! writes at most one transfer. The first successful response is stored and
//! replayed byte for byte; the same key with a different request is refused.
//! Failures are not stored: nothing moved, so a retry simply runs again.
//!
//! Within one process, a retry that arrives while the first attempt is still
//! running waits for it and then replays its answer, instead of checking the
//! PIN a second time (a storm of retries must not lock a person's PIN). This
//! is a courtesy, not a safety net: across processes the derived transfer id
//! still guarantees one transfer.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use quipu_core::kernel::secrets::{derived_id, sha256};
use quipu_core::store::IdempotencyRecord;
use quipu_core::{CoreResult, Principal};
use quipu_domain::ledger::TransferId;
use serde::Serialize;

use crate::Http;
use crate::extract::IdempotencyKey;
use crate::problem::ApiError;

/// Runs `operation` once per (caller, key); replays its first success.
///
/// `request` is the parsed body; its serialisation is the fingerprint that is
/// stored, so secrets (PINs) in it are `SecretText`, which serialises as a
/// placeholder: a PIN must never be stored, not even hashed.
pub async fn once<R, T, F, Fut>(
    http: &Http,
    caller: &Principal,
    key: &IdempotencyKey,
    route: &str,
    request: &R,
    operation: F,
) -> Result<Response, ApiError>
where
    R: Serialize,
    T: Serialize,
    F: FnOnce(TransferId) -> Fut,
    Fut: Future<Output = CoreResult<T>>,
{
    let store = &http.services.kernel.store;
    let scope = caller.scope();
    let _turn = http.in_flight.wait_turn(scope, &key.0).await;
    let fingerprint = serde_json::to_vec(request)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", "unserialisable request"))?;
    let request_hash = sha256(&[route.as_bytes(), b"\n", &fingerprint].concat());
    if let Some(record) = store.idempotency_record(scope, &key.0).await.map_err(quipu_core::CoreError::from)? {
        return replay(record, &request_hash);
    }
    let transfer_id = TransferId(derived_id("quipu.idempotency", &[scope.as_bytes(), key.0.as_bytes()]));
    let body = operation(transfer_id).await?;
    let body = serde_json::to_vec(&body)
        .map_err(|_| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "internal_error", "unserialisable response"))?;
    let record = new_record(scope, key, request_hash.clone(), body, http.services.kernel.now());
    let stored = store.save_idempotency_record(&record).await.map_err(quipu_core::CoreError::from)?;
    let mut response = replay(stored, &request_hash)?;
    // This response is the original, not a replay.
    response.headers_mut().remove("idempotent-replayed");
    Ok(response)
}

fn new_record(
    scope: uuid::Uuid,
    key: &IdempotencyKey,
    request_hash: Vec<u8>,
    body: Vec<u8>,
    now: quipu_domain::Timestamp,
) -> IdempotencyRecord {
    IdempotencyRecord {
        scope,
        key: key.0.clone(),
        request_hash,
        status: StatusCode::CREATED.as_u16(),
        body,
        created_at: now,
    }
}

fn replay(record: IdempotencyRecord, request_hash: &[u8]) -> Result<Response, ApiError> {
    if record.request_hash != request_hash {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "this Idempotency-Key was already used for a different request",
        ));
    }
    let status = StatusCode::from_u16(record.status).unwrap_or(StatusCode::OK);
    let mut response = Response::new(Body::from(record.body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    Ok(response)
}

type KeyLock = Arc<tokio::sync::Mutex<()>>;

/// Keys remembered before idle ones are swept out of the map.
const SWEEP_ABOVE: usize = 4096;

/// The idempotency keys being worked on in this process; one turn per key at a time.
#[derive(Default)]
pub struct InFlight {
    keys: Mutex<HashMap<(uuid::Uuid, String), KeyLock>>,
}

impl InFlight {
    /// Waits until no other request with this key runs in this process.
    pub async fn wait_turn(&self, scope: uuid::Uuid, key: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
            if keys.len() >= SWEEP_ABOVE {
                // A key only the map still refers to is idle: nobody holds or awaits its turn.
                keys.retain(|_, lock| Arc::strong_count(lock) > 1);
            }
            keys.entry((scope, key.to_owned())).or_default().clone()
        };
        lock.lock_owned().await
    }
}
