//! Errors a use-case can end with. The HTTP adapter maps each variant to a
//! status in one place.

use crate::ports::RepoError;

/// One input field that was refused, named as the caller wrote it
/// (`pol.unlocode`, `events[3].event_code`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }

    /// Prefixes the field with its parent, e.g. `pol` + `unlocode`.
    pub fn within(self, parent: &str) -> Self {
        Self { field: format!("{parent}.{}", self.field), message: self.message }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input is well-formed JSON but a field is wrong. Nothing was
    /// written.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// The resource does not exist — or exists but is not the caller's,
    /// which callers must not be able to tell apart.
    #[error("not found")]
    NotFound,
    /// A unique field clashes with an existing resource.
    #[error("{field} is already taken")]
    Conflict { field: String, message: String },
    /// No or unknown credentials.
    #[error("unauthorized")]
    Unauthorized,
    /// Sign-in refused. The same answer for an unknown login, a wrong
    /// password, a user who may not sign in, and a dead one-time link.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many attempts; the caller may retry after this long.
    #[error("too many attempts; retry in {} s", retry_after.as_secs().max(1))]
    RateLimited { retry_after: std::time::Duration },
    /// A share-link verification code was wrong; the code survives
    /// `attempts_left` more wrong entries.
    #[error("wrong code; {attempts_left} attempts left")]
    CodeRejected { attempts_left: u32 },
    /// No live code: expired, used, locked after too many wrong entries,
    /// replaced by a newer one, or never sent. A new one must be asked for.
    #[error("the code is no longer valid")]
    CodeExpired,
    /// Known caller, not allowed to do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Storage failed; the operation had no effect.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

impl From<RepoError> for AppError {
    fn from(error: RepoError) -> Self {
        match error {
            RepoError::NotFound => AppError::NotFound,
            RepoError::Duplicate { field } => {
                let message = format!("{field} is already in use");
                AppError::Conflict { field, message }
            }
            RepoError::Unavailable(detail) => AppError::Unavailable(detail),
        }
    }
}
