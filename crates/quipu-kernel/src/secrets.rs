//! Secrets: Argon2id for passwords and PINs, random bearer tokens and API
//! keys stored as SHA-256, constant-time comparison.
//!
//! Argon2 is deliberately slow, so hashing runs on the blocking pool and
//! never stalls the async workers that carry other requests.

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{CoreError, CoreResult, ErrorKind};
use crate::random::{Random, bytes};

/// How long a caller waits for a hashing slot before being told the server is busy.
const SLOT_WAIT: Duration = Duration::from_secs(5);

/// Argon2id cost. The defaults follow OWASP's minimum (19 MiB, 2 passes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl Default for HashCost {
    fn default() -> Self {
        Self { memory_kib: 19 * 1024, iterations: 2 }
    }
}

fn internal(detail: &str) -> CoreError {
    tracing::error!(detail, "secret hashing failed");
    CoreError::new(ErrorKind::Unavailable, "internal_error", "an internal error occurred")
}

#[derive(Clone)]
pub struct SecretHasher {
    cost: HashCost,
    random: Arc<dyn Random>,
    /// At most this many hashes run at once: each takes `memory_kib` of RAM,
    /// and unauthenticated logins must not be able to exhaust memory.
    slots: Arc<Semaphore>,
    /// Verified against when a login names no user, so timing does not reveal which phones exist.
    decoy: String,
}

impl SecretHasher {
    pub fn new(cost: HashCost, random: Arc<dyn Random>) -> CoreResult<Self> {
        let decoy = hash_now(cost, "decoy password nobody has", &bytes::<16>(random.as_ref()))?;
        let parallel = std::thread::available_parallelism().map_or(2, usize::from);
        Ok(Self { cost, random, slots: Arc::new(Semaphore::new(parallel)), decoy })
    }

    /// Waits briefly for a hashing slot; under a flood, callers are told to come back later.
    async fn slot(&self) -> CoreResult<OwnedSemaphorePermit> {
        match tokio::time::timeout(SLOT_WAIT, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(CoreError::new(
                ErrorKind::Unavailable,
                "server_busy",
                "too many sign-ins at once; try again shortly",
            )),
        }
    }

    pub async fn hash(&self, secret: &str) -> CoreResult<String> {
        let cost = self.cost;
        let secret = secret.to_owned();
        let salt = bytes::<16>(self.random.as_ref());
        let permit = self.slot().await?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            hash_now(cost, &secret, &salt)
        })
        .await
        .map_err(|_| internal("hashing task failed"))?
    }

    pub async fn verify(&self, secret: &str, phc: Option<&str>) -> CoreResult<bool> {
        let secret = secret.to_owned();
        let (phc, real) = match phc {
            Some(phc) => (phc.to_owned(), true),
            None => (self.decoy.clone(), false),
        };
        let permit = self.slot().await?;
        let matches = tokio::task::spawn_blocking(move || {
            // Held until the hash is done, even if the request was abandoned meanwhile.
            let _permit = permit;
            PasswordHash::new(&phc)
                .map(|parsed| Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok())
                .unwrap_or(false)
        })
        .await
        .map_err(|_| internal("verification task failed"))?;
        Ok(matches && real)
    }
}

fn hash_now(cost: HashCost, secret: &str, salt: &[u8; 16]) -> CoreResult<String> {
    let params =
        Params::new(cost.memory_kib, cost.iterations, 1, None).map_err(|_| internal("bad argon2 parameters"))?;
    let salt = SaltString::encode_b64(salt).map_err(|_| internal("bad salt"))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(secret.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| internal("argon2 refused to hash"))
}

pub fn sha256(data: &[u8]) -> Vec<u8> {
    Sha256::digest(data).to_vec()
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

pub use quipu_domain::ledger::derived_id;
