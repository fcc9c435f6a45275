//! Service errors: a kind (which the HTTP layer maps to a status), a stable
//! machine-readable code, and a sentence for people.

use quipu_domain::card::CardNumberError;
use quipu_domain::identity::IdentityError;
use quipu_domain::ledger::TransferError;
use quipu_domain::merchant::CategoryCodeError;
use quipu_domain::money::MoneyError;
use quipu_domain::payment::PaymentTextError;
use quipu_store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request is malformed or a value is out of range.
    Invalid,
    /// No valid credentials.
    Unauthenticated,
    /// Valid credentials, not allowed (including someone else's resource).
    Forbidden,
    NotFound,
    /// Clashes with existing state (duplicate phone, reused idempotency key).
    Conflict,
    /// Well-formed, but a business rule refuses it (insufficient funds, limits).
    Rejected,
    /// A secret is locked after too many wrong tries.
    Locked,
    /// Too much at once from one caller or for one person; retry shortly.
    Throttled,
    /// The service cannot answer now (database down, shutting down).
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct CoreError {
    pub kind: ErrorKind,
    pub code: &'static str,
    pub detail: String,
    /// After a wrong PIN or password: the guesses left before it locks, for a person's own words.
    pub attempts_left: Option<u32>,
}

pub type CoreResult<T> = Result<T, CoreError>;

impl CoreError {
    pub fn new(kind: ErrorKind, code: &'static str, detail: impl Into<String>) -> Self {
        Self { kind, code, detail: detail.into(), attempts_left: None }
    }

    /// A wrong secret, with the guesses left before it locks.
    pub fn with_attempts_left(mut self, attempts_left: u32) -> Self {
        self.attempts_left = Some(attempts_left);
        self
    }

    pub fn invalid(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, code, detail)
    }

    /// Well formed, but a rule refuses it (422).
    pub fn rejected(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Rejected, code, detail)
    }

    pub fn forbidden() -> Self {
        Self::new(ErrorKind::Forbidden, "forbidden", "you are not allowed to do this")
    }

    /// Someone else's resource looks exactly like a missing one: no existence oracle.
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorKind::NotFound, "not_found", format!("{what} not found"))
    }

    pub fn unauthenticated(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthenticated, code, detail)
    }
}

impl From<StoreError> for CoreError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(what) => CoreError::new(ErrorKind::Conflict, "conflict", what),
            StoreError::Unsupported(what) => CoreError::new(ErrorKind::Invalid, "unsupported", what),
            other => {
                // The cause goes to the log; the caller learns only that it may retry.
                tracing::error!(error = %other, "storage failure");
                CoreError::new(
                    ErrorKind::Unavailable,
                    "storage_unavailable",
                    "storage is unavailable; retry with the same idempotency key",
                )
            }
        }
    }
}

impl From<MoneyError> for CoreError {
    fn from(error: MoneyError) -> Self {
        let code = match error {
            MoneyError::UnknownCurrency => "unknown_currency",
            MoneyError::Overflow => "amount_overflow",
            MoneyError::TooManyDecimals { .. } => "too_many_decimals",
            MoneyError::NotPositive => "amount_not_positive",
            MoneyError::Malformed(_) => "invalid_amount",
        };
        match error {
            // A well-formed code this network does not hold is refused, not malformed.
            MoneyError::UnknownCurrency => CoreError::new(ErrorKind::Rejected, code, error.to_string()),
            _ => CoreError::invalid(code, error.to_string()),
        }
    }
}

impl From<IdentityError> for CoreError {
    fn from(error: IdentityError) -> Self {
        let code = match error {
            IdentityError::MalformedPhone => "invalid_phone",
            IdentityError::MalformedCallingCode => "invalid_calling_code",
            IdentityError::MalformedPin => "invalid_pin_format",
            IdentityError::WeakPassword => "invalid_password",
            IdentityError::MalformedName => "invalid_name",
            IdentityError::HiddenCharacters => "hidden_characters",
            IdentityError::MalformedAccountNumber => "invalid_account_number",
        };
        CoreError::invalid(code, error.to_string())
    }
}

impl From<TransferError> for CoreError {
    fn from(error: TransferError) -> Self {
        let kind = match error {
            TransferError::IdempotencyConflict => ErrorKind::Conflict,
            TransferError::DebitAccountNotFound
            | TransferError::CreditAccountNotFound
            | TransferError::PendingNotFound => ErrorKind::NotFound,
            TransferError::ReferenceTooLong
            | TransferError::TimeoutTooLong
            | TransferError::ChainLength
            | TransferError::AmountNotPositive => ErrorKind::Invalid,
            _ => ErrorKind::Rejected,
        };
        CoreError::new(kind, error.code(), error.to_string())
    }
}

impl From<quipu_domain::text::ReasonError> for CoreError {
    fn from(error: quipu_domain::text::ReasonError) -> Self {
        CoreError::invalid("invalid_reason", error.to_string())
    }
}

impl From<PaymentTextError> for CoreError {
    fn from(error: PaymentTextError) -> Self {
        let code = match error {
            PaymentTextError::Till => "invalid_till",
            PaymentTextError::Reference | PaymentTextError::QrReference => "invalid_reference",
        };
        CoreError::invalid(code, error.to_string())
    }
}

impl From<CategoryCodeError> for CoreError {
    fn from(error: CategoryCodeError) -> Self {
        CoreError::invalid("invalid_category_code", error.to_string())
    }
}

impl From<CardNumberError> for CoreError {
    fn from(error: CardNumberError) -> Self {
        CoreError::invalid("invalid_card_number", error.to_string())
    }
}
