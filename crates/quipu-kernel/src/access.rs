//! Identity and access: who is calling, what they may see, and the checks
//! of their secrets.
//!
//! Authorization is decided in the services, next to the data, never in the
//! HTTP layer: every service call takes a [`Principal`] and checks it before
//! touching anything. Someone else's resource answers exactly like a missing
//! one.

use quipu_domain::Timestamp;
use quipu_domain::identity::{MerchantId, PhoneNumber, Pin, Role, SecretText, UserId};
use quipu_domain::ledger::AccountKind;
use quipu_domain::text::StatedReason;
use quipu_store::{
    AccessEntryRecord, AccountOwner, CheckOutcome, GuessLimit, OwnedAccount, SecretKind, SessionRecord, SourceAttempts,
    UserRecord,
};
use uuid::Uuid;

use crate::Kernel;
use crate::error::{CoreError, CoreResult, ErrorKind};
use crate::random::Random;
use crate::secrets::{constant_time_eq, sha256};
use crate::text::rfc3339;

pub const SESSION_PREFIX: &str = "qps_";
pub const API_KEY_PREFIX: &str = "qpk_";
/// How long one check of a secret may hold its claim; longer than a hashing slot wait plus a hash.
const CHECK_CLAIM_SECONDS: i64 = 30;
/// How long a source that got a secret right stays one of the owner's own channels (a usual agent,
/// shop or address), unheld by the lock strangers' guesses put on all sources together.
const TRUSTED_SOURCE_SECONDS: i64 = 90 * 24 * 3600;
/// An API key's last use is written at most this often, so a busy key costs no write per request.
const KEY_USE_RESOLUTION_SECONDS: i64 = 60;

/// A fresh session for `user`: the bearer token, shown once to its owner, and
/// the record to store, which holds only the token's SHA-256.
pub fn new_session(random: &dyn Random, user: UserId, now: Timestamp, ttl_seconds: i64) -> (String, SessionRecord) {
    let token = format!("{SESSION_PREFIX}{}", crate::random::hex(random, 32));
    let session = SessionRecord {
        token_hash: sha256(token.as_bytes()),
        user_id: user,
        created_at: now,
        expires_at: now.plus_seconds(ttl_seconds),
        watched_by: None,
    };
    (token, session)
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    User {
        id: UserId,
        role: Role,
        merchant_id: Option<MerchantId>,
    },
    /// A merchant's server calling with an API key.
    MerchantKey {
        merchant_id: MerchantId,
        key_id: Uuid,
    },
}

impl Principal {
    /// Whose idempotency-key space a request falls in.
    pub fn scope(&self) -> Uuid {
        match self {
            Principal::User { id, .. } => id.0,
            Principal::MerchantKey { key_id, .. } => *key_id,
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Principal::User { role, .. } => Some(*role),
            Principal::MerchantKey { .. } => None,
        }
    }

    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Principal::User { id, .. } => Some(*id),
            Principal::MerchantKey { .. } => None,
        }
    }

    /// The merchant whose staff or key this is.
    pub fn merchant(&self) -> Option<MerchantId> {
        match self {
            Principal::User { role: Role::MerchantOwner | Role::Cashier | Role::Pharmacist, merchant_id, .. } => {
                *merchant_id
            }
            Principal::MerchantKey { merchant_id, .. } => Some(*merchant_id),
            Principal::User { .. } => None,
        }
    }

    /// The merchant whose staff or key this is, or `forbidden`.
    pub fn require_merchant(&self) -> CoreResult<MerchantId> {
        self.merchant().ok_or_else(CoreError::forbidden)
    }

    pub fn require(&self, role: Role) -> CoreResult<UserId> {
        self.require_any(&[role])
    }

    /// A user with one of `roles`, or `forbidden`.
    pub fn require_any(&self, roles: &[Role]) -> CoreResult<UserId> {
        match self {
            Principal::User { id, role, .. } if roles.contains(role) => Ok(*id),
            _ => Err(CoreError::forbidden()),
        }
    }

    /// The merchant a caller administers: its owner or one of its API keys; cashiers do not.
    pub fn require_merchant_admin(&self) -> CoreResult<MerchantId> {
        match (self.merchant(), self.role()) {
            (Some(merchant), Some(Role::MerchantOwner) | None) => Ok(merchant),
            _ => Err(CoreError::forbidden()),
        }
    }

    /// Whether this caller may see an account's balance and history.
    ///
    /// People see their own accounts; merchant staff and keys their
    /// merchant's; operators and auditors the network's own books and agent
    /// floats, never a customer's wallet (a person's history is theirs).
    pub fn can_view(&self, account: &OwnedAccount) -> bool {
        match (self, account.owner) {
            (Principal::User { id, .. }, AccountOwner::User(owner)) if *id == owner => true,
            (_, AccountOwner::Merchant(owner)) if self.merchant() == Some(owner) => true,
            (Principal::User { role: Role::Operator | Role::Auditor, .. }, _) => {
                account.owner == AccountOwner::System
                    || matches!(account.account.kind, AccountKind::AgentFloat | AccountKind::Merchant)
            }
            _ => false,
        }
    }
}

/// Who is guessing a secret. Each source has its own limit on wrong guesses,
/// and the owner a higher one for all sources together: five wrong PINs
/// typed at one agent lock that agent out of this person's PIN, not the
/// person out of their money, and the person's own session is never held by
/// others' guesses. All the staff and keys of one shop are one source, so
/// ten cashiers do not get ten times the guesses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuessSource(String);

impl GuessSource {
    /// The signed-in caller: a person, or a shop (its staff and keys together).
    pub fn of(principal: &Principal) -> Self {
        match (principal.merchant(), principal) {
            (Some(merchant), _) => Self(format!("merchant:{}", merchant.0)),
            (None, Principal::User { id, .. }) => Self::user(*id),
            (None, Principal::MerchantKey { key_id, .. }) => Self(format!("key:{key_id}")),
        }
    }

    /// A person by their id.
    pub fn user(id: UserId) -> Self {
        Self(format!("user:{}", id.0))
    }

    /// Someone not signed in, known only by their network address.
    pub fn address(address: Option<std::net::IpAddr>) -> Self {
        match address {
            Some(address) => Self(format!("address:{address}")),
            None => Self("address:unknown".to_owned()),
        }
    }

    /// The caller checking a secret of their own (changing their PIN or password): always the
    /// person, even a merchant's staff, so others' guesses at their shop never hold them.
    pub fn own(principal: &Principal) -> Self {
        match principal {
            Principal::User { id, .. } => Self::user(*id),
            Principal::MerchantKey { .. } => Self::of(principal),
        }
    }

    /// Whether this source is the person `owner` (the owner of a PIN, or a card's linked holder).
    fn is_user(&self, owner: Option<UserId>) -> bool {
        owner.is_some_and(|owner| self.0 == format!("user:{}", owner.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Proof that a staff member holds a live, read-only grant to read one
/// person's history. Only [`Kernel::granted_read`] makes one, after finding
/// the grant in the store, and only read operations take one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantedRead {
    subject: UserId,
    grantee: UserId,
    grant: Uuid,
    reason: String,
}

impl GrantedRead {
    /// The person whose history may be read.
    pub fn subject(&self) -> UserId {
        self.subject
    }

    pub fn grantee(&self) -> UserId {
        self.grantee
    }

    pub fn grant_id(&self) -> Uuid {
        self.grant
    }

    /// Why the grant was asked for: every read under it is logged with it.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// A user as others may see them: no hashes, no attempt counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub role: Role,
    pub phone: String,
    pub full_name: String,
    pub merchant_id: Option<MerchantId>,
}

impl From<&UserRecord> for User {
    fn from(user: &UserRecord) -> Self {
        Self {
            id: user.id,
            role: user.role,
            phone: user.phone.clone(),
            full_name: user.full_name.clone(),
            merchant_id: user.merchant_id,
        }
    }
}

/// A successful login: the bearer token (shown this once) and who it is.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub expires_at: Timestamp,
    pub user: User,
}

/// Sign-in credentials as given: a phone number that parsed, and the password as typed.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub phone: PhoneNumber,
    pub password: SecretText,
}

/// Wrong phone number or password, said the same way for both.
pub fn bad_credentials() -> CoreError {
    CoreError::unauthenticated("invalid_credentials", "wrong phone number or password")
}

fn locked(code: &'static str, until: Timestamp) -> CoreError {
    CoreError::new(ErrorKind::Locked, code, format!("too many wrong attempts; locked until {}", rfc3339(until)))
}

impl Kernel {
    /// Logs in with phone and password; repeated failures from one address
    /// lock that address out for a while, and many more from everywhere lock the login.
    pub async fn login(&self, credentials: &Credentials, source: &GuessSource) -> CoreResult<Session> {
        let password = credentials.password.expose();
        let Some(user) = self.store.user_by_phone(credentials.phone.as_str()).await? else {
            // Same work as for a real user, so timing does not reveal which phones exist: a claim
            // (on nobody), a hash, and a count of the guess against its source.
            self.check_unknown(password, source).await?;
            return Err(bad_credentials());
        };
        let check = self.check_secret(user.id.0, SecretKind::Password, source, false, password, &user.password_hash);
        match check.await? {
            SecretCheck::Correct => {}
            SecretCheck::Wrong { .. } => return Err(bad_credentials()),
            SecretCheck::Locked(until) => return Err(locked("login_locked", until)),
            SecretCheck::Busy => return Err(busy()),
        }
        // A removed cashier's password still checks (so timing says nothing), but signs in no one.
        if user.removed_at.is_some() {
            return Err(bad_credentials());
        }
        let (token, mut session) =
            new_session(self.random.as_ref(), user.id, self.now(), self.settings.session_ttl_seconds);
        // A password set from a reset code is one its issuer could know: its sessions are watched.
        session.watched_by = self.store.reset_watch(user.id).await?.map(|watch| watch.issued_by);
        self.store.insert_session(&session).await?;
        Ok(Session { token, expires_at: session.expires_at, user: User::from(&user) })
    }

    /// A login for a phone nobody has: the statements and the hash a real one
    /// costs, so the answer takes as long. The nil owner matches no row.
    async fn check_unknown(&self, password: &str, source: &GuessSource) -> CoreResult<()> {
        let (now, nobody) = (self.now(), Uuid::nil());
        self.store.source_lock(nobody, SecretKind::Password, source.as_str(), now).await?;
        let claim_until = now.plus_seconds(CHECK_CLAIM_SECONDS);
        self.store.claim_secret_check(nobody, SecretKind::Password, source.as_str(), now, claim_until).await?;
        self.hasher.verify(password, None).await?;
        self.store
            .finish_secret_check(nobody, SecretKind::Password, source.as_str(), CheckOutcome::Abandoned, now)
            .await?;
        Ok(())
    }

    pub async fn logout(&self, token: &str) -> CoreResult<()> {
        Ok(self.store.delete_session(&sha256(token.as_bytes())).await?)
    }

    /// Resolves a bearer token (session) or API key to a principal, for a request that does
    /// `what` (its method and path, nothing of its content): a session opened with a password set
    /// from a reset code writes it to the person's access log, where they see what was done.
    pub async fn authenticate(&self, credential: &str, what: &str) -> CoreResult<Principal> {
        if credential.starts_with(API_KEY_PREFIX) {
            return self.authenticate_api_key(credential).await;
        }
        let invalid = || CoreError::unauthenticated("invalid_token", "the token is not valid; log in again");
        if !credential.starts_with(SESSION_PREFIX) || credential.len() > 100 {
            return Err(invalid());
        }
        let hash = sha256(credential.as_bytes());
        let session = self.store.session(&hash).await?.ok_or_else(invalid)?;
        if session.expires_at <= self.now() {
            self.store.delete_session(&hash).await?;
            return Err(CoreError::unauthenticated("session_expired", "the session has expired; log in again"));
        }
        let user = self.store.user(session.user_id).await?.ok_or_else(invalid)?;
        if user.removed_at.is_some() {
            return Err(invalid());
        }
        if let Some(staff) = session.watched_by {
            self.log_watched(user.id, staff, what).await?;
        }
        Ok(Principal::User { id: user.id, role: user.role, merchant_id: user.merchant_id })
    }

    /// Writes one request of a watched session to the person's access log, under the staff member
    /// whose reset code set the password and the reason they gave. Before the request runs: what
    /// is read is logged, or it is not read.
    async fn log_watched(&self, person: UserId, staff: UserId, what: &str) -> CoreResult<()> {
        let watch = self.store.reset_watch(person).await?;
        let reason = watch.map(|watch| watch.reason).unwrap_or_default();
        let role = self.store.user(staff).await?.map_or(Role::Operator, |staff| staff.role);
        let entry = AccessEntryRecord {
            id: self.new_id(),
            subject: person.0,
            actor: staff,
            actor_role: role,
            action: "session_after_reset".to_owned(),
            reason,
            detail: format!("{what}, in a session opened with the password set from their reset code"),
            at: self.now(),
        };
        Ok(self.store.insert_access_entry(&entry).await?)
    }

    async fn authenticate_api_key(&self, key: &str) -> CoreResult<Principal> {
        let invalid = || CoreError::unauthenticated("invalid_api_key", "the API key is not valid");
        let (prefix, secret) = key.split_once('.').ok_or_else(invalid)?;
        if prefix.len() > 40 || secret.len() > 100 {
            return Err(invalid());
        }
        let record = self.store.api_key_by_prefix(prefix).await?.ok_or_else(invalid)?;
        if record.revoked_at.is_some() || !constant_time_eq(&sha256(secret.as_bytes()), &record.secret_hash) {
            return Err(invalid());
        }
        let now = self.now();
        let stale = record.last_used_at.is_none_or(|at| at <= now.plus_seconds(-KEY_USE_RESOLUTION_SECONDS));
        if stale {
            // Best effort: a key that works is not refused because its last use could not be written.
            if let Err(error) = self.store.touch_api_key(record.id, now).await {
                tracing::warn!(%error, key = %record.id, "could not record an api key's use");
            }
        }
        Ok(Principal::MerchantKey { merchant_id: record.merchant_id, key_id: record.id })
    }

    /// Whether `secret` matches an Argon2id hash; with no hash, the same work
    /// against a decoy (so a missing record takes as long as a wrong secret).
    pub async fn verify_secret(&self, secret: &str, phc: Option<&str>) -> CoreResult<bool> {
        self.hasher.verify(secret, phc).await
    }

    /// Argon2id of a secret (a password, a PIN), on the blocking pool.
    pub async fn hash_secret(&self, secret: &str) -> CoreResult<String> {
        self.hasher.hash(secret).await
    }

    /// Checks a user's payment PIN, counting wrong tries against `source` and
    /// the user, and locking after too many.
    pub async fn check_pin(&self, user: &UserRecord, pin: &Pin, source: &GuessSource) -> CoreResult<()> {
        let Some(hash) = user.pin_hash.as_deref() else {
            return Err(CoreError::new(ErrorKind::Rejected, "pin_not_set", "this user has no payment PIN"));
        };
        let own = source.is_user(Some(user.id));
        pin_outcome(self.check_secret(user.id.0, SecretKind::Pin, source, own, pin.expose(), hash).await?)
    }

    /// Checks a user's password while they are signed in (to change it): wrong tries count
    /// against `source` and the user, as wrong logins do, and lock the same way.
    pub async fn check_password(&self, user: &UserRecord, password: &str, source: &GuessSource) -> CoreResult<()> {
        let own = source.is_user(Some(user.id));
        let check = self.check_secret(user.id.0, SecretKind::Password, source, own, password, &user.password_hash);
        match check.await? {
            SecretCheck::Correct => Ok(()),
            SecretCheck::Locked(until) => Err(locked("login_locked", until)),
            SecretCheck::Busy => Err(busy()),
            SecretCheck::Wrong { attempts_left } => Err(CoreError::new(
                ErrorKind::Forbidden,
                "wrong_password",
                format!("wrong password; {attempts_left} attempts left before it locks"),
            )
            .with_attempts_left(attempts_left)),
        }
    }

    /// Ends a user's sessions but the one with `keep` as its token (all if `None`); how many ended.
    pub async fn end_sessions(&self, user: UserId, keep: Option<&str>) -> CoreResult<u64> {
        let keep = keep.map(|token| sha256(token.as_bytes()));
        Ok(self.store.delete_user_sessions(user, keep.as_deref()).await?)
    }

    /// Checks a prepaid card's PIN; wrong tries count against `source` and the card.
    pub async fn check_card_pin(
        &self,
        card: &quipu_store::cards::CardRecord,
        pin: &Pin,
        source: &GuessSource,
    ) -> CoreResult<()> {
        let own = source.is_user(card.customer_id);
        let check = self.check_secret(card.id.0, SecretKind::CardPin, source, own, pin.expose(), &card.pin_hash);
        pin_outcome(check.await?)
    }

    /// Who has been guessing a user's or card's secrets, newest first.
    pub async fn guesses_at(&self, owner: Uuid) -> CoreResult<Vec<SourceAttempts>> {
        Ok(self.store.secret_attempts(owner).await?)
    }

    /// Verifies a password or PIN under its attempt limits.
    ///
    /// One check per owner (user or card) and secret at a time: the check is
    /// claimed in the database before Argon2 runs (the claim lapses by itself
    /// after `CHECK_CLAIM_SECONDS` if a process dies), so parallel guesses are
    /// counted exactly like guesses one after another. A wrong secret counts
    /// against its source (locked at the per-source limit) and the owner
    /// (locked at the higher total limit, which the owner's own session,
    /// `own`, is not held by). The check runs in its own task: a client that
    /// hangs up cannot leave it half-counted.
    async fn check_secret(
        &self,
        owner: Uuid,
        kind: SecretKind,
        source: &GuessSource,
        own: bool,
        secret: &str,
        hash: &str,
    ) -> CoreResult<SecretCheck> {
        let now = self.now();
        let limits = self.guess_limits(kind, now);
        let source = source.as_str().to_owned();
        // A source already locked out is answered without taking the owner's claim, so its
        // retries cannot keep the owner's own checks busy.
        if let Some(until) = self.store.source_lock(owner, kind, &source, now).await? {
            return Ok(SecretCheck::Locked(until));
        }
        let (store, hasher) = (self.store.clone(), self.hasher.clone());
        let (secret, hash) = (secret.to_owned(), hash.to_owned());
        // Claimed, checked and finished in a task of its own: a client that hangs up cannot leave
        // the claim held or the guess uncounted.
        let check = tokio::spawn(async move {
            let claim_until = now.plus_seconds(CHECK_CLAIM_SECONDS);
            let Some(attempts) = store.claim_secret_check(owner, kind, &source, now, claim_until).await? else {
                return Ok(SecretCheck::Busy);
            };
            // The owner's own channels (their session, a source that knew the secret before) are
            // not held by the lock for all sources together: strangers' guesses lock out strangers.
            let own = own || attempts.source_trusted;
            let total_lock = attempts.total.locked_until.filter(|_| !own);
            if let Some(until) = attempts.source.locked_until.or(total_lock) {
                store.finish_secret_check(owner, kind, &source, CheckOutcome::Abandoned, now).await?;
                return Ok(SecretCheck::Locked(until));
            }
            let outcome = match hasher.verify(&secret, Some(&hash)).await {
                Ok(true) => CheckOutcome::Right { trusted_until: now.plus_seconds(TRUSTED_SOURCE_SECONDS) },
                Ok(false) => CheckOutcome::Wrong { per_source: limits.per_source, total: limits.total },
                Err(error) => {
                    store.finish_secret_check(owner, kind, &source, CheckOutcome::Abandoned, now).await?;
                    return Err(error);
                }
            };
            let after = store.finish_secret_check(owner, kind, &source, outcome, now).await?;
            let total_lock = after.total.locked_until.filter(|_| !own);
            Ok(match (outcome, after.source.locked_until.or(total_lock)) {
                (CheckOutcome::Right { .. }, _) => SecretCheck::Correct,
                (_, Some(until)) => SecretCheck::Locked(until),
                _ => {
                    let source_left = limits.per_source.max_attempts.saturating_sub(after.source.failed_attempts);
                    let total_left = limits.total.max_attempts.saturating_sub(after.total.failed_attempts);
                    SecretCheck::Wrong { attempts_left: if own { source_left } else { source_left.min(total_left) } }
                }
            })
        });
        check.await.map_err(|_| CoreError::new(ErrorKind::Unavailable, "internal_error", "the secret check failed"))?
    }

    /// The limits on wrong guesses at a kind of secret, locking from `now`.
    fn guess_limits(&self, kind: SecretKind, now: Timestamp) -> GuessLimits {
        let settings = &self.settings;
        let (per_source, total, lock_seconds) = match kind {
            SecretKind::Pin => (settings.pin_max_attempts, settings.pin_max_attempts_total, settings.pin_lock_seconds),
            SecretKind::Password => {
                (settings.login_max_attempts, settings.login_max_attempts_total, settings.login_lock_seconds)
            }
            SecretKind::CardPin => {
                (settings.pin_max_attempts, settings.pin_max_attempts_total, settings.card_pin_lock_seconds)
            }
        };
        let lock_until = now.plus_seconds(lock_seconds);
        GuessLimits {
            per_source: GuessLimit { max_attempts: per_source, lock_until },
            total: GuessLimit { max_attempts: total, lock_until },
        }
    }

    /// An access-log entry for what staff member `actor` does about `subject`,
    /// to be written with the action itself.
    pub fn access_entry(
        &self,
        actor: &Principal,
        subject: Uuid,
        action: &str,
        reason: &StatedReason,
        detail: String,
    ) -> CoreResult<AccessEntryRecord> {
        let (Some(actor_id), Some(actor_role)) = (actor.user_id(), actor.role()) else {
            return Err(CoreError::forbidden());
        };
        Ok(AccessEntryRecord {
            id: self.new_id(),
            subject,
            actor: actor_id,
            actor_role,
            action: action.to_owned(),
            reason: reason.as_str().to_owned(),
            detail,
            at: self.now(),
        })
    }

    /// The caller's live grant to read `subject`'s history, or `forbidden`:
    /// operators and auditors read a person's payments only under a grant
    /// they asked for with a reason, and only while it lasts.
    pub async fn granted_read(&self, principal: &Principal, subject: UserId) -> CoreResult<GrantedRead> {
        let grantee = principal.require_any(&[Role::Operator, Role::Auditor])?;
        let grant = self.store.live_access_grant(subject, grantee, self.now()).await?.ok_or_else(|| {
            CoreError::new(
                ErrorKind::Forbidden,
                "access_grant_required",
                "reading a person's history needs a live access grant: request one with a reason first",
            )
        })?;
        Ok(GrantedRead { subject, grantee, grant: grant.id, reason: grant.reason })
    }

    /// The caller's own user record.
    pub async fn current_user(&self, principal: &Principal) -> CoreResult<UserRecord> {
        let id = principal.user_id().ok_or_else(CoreError::forbidden)?;
        self.store.user(id).await?.ok_or_else(|| CoreError::not_found("user"))
    }
}

/// A PIN check's outcome as the caller sees it: wrong tries say how many are left.
fn pin_outcome(check: SecretCheck) -> CoreResult<()> {
    match check {
        SecretCheck::Correct => Ok(()),
        SecretCheck::Locked(until) => Err(locked("pin_locked", until)),
        SecretCheck::Busy => Err(busy()),
        SecretCheck::Wrong { attempts_left } => Err(CoreError::new(
            ErrorKind::Forbidden,
            "wrong_pin",
            format!("wrong PIN; {attempts_left} attempts left before it locks"),
        )
        .with_attempts_left(attempts_left)),
    }
}

#[derive(Debug, Clone, Copy)]
struct GuessLimits {
    per_source: GuessLimit,
    total: GuessLimit,
}

/// The outcome of checking a secret under its attempt limit.
enum SecretCheck {
    Correct,
    Wrong {
        attempts_left: u32,
    },
    Locked(Timestamp),
    /// Another check of the same secret is running right now.
    Busy,
}

fn busy() -> CoreError {
    CoreError::new(ErrorKind::Throttled, "check_in_progress", "another attempt is being checked; retry in a moment")
}
