//! What identity's operations refuse, and why.

use super::passwords;
use crate::domain::Violations;
use crate::domain::accounts::AccountError;
use crate::ports::TableError;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("invalid request: {0}")]
    Invalid(Violations),
    #[error("not found")]
    NotFound,
    #[error("the username {0:?} is taken")]
    UsernameTaken(String),
    #[error("the username or password is wrong")]
    InvalidCredentials,
    #[error("this login is locked; staff can unlock it")]
    Locked,
    #[error("the login's account is inactive")]
    AccountInactive,
    #[error("too many attempts from this address; try again in {retry_after} seconds")]
    Throttled { retry_after: u64 },
    #[error("the link has expired or was already used")]
    LinkUnusable,
    #[error("the sign-in's second step expired or was used up; sign in again")]
    ChallengeUnusable,
    #[error("not signed in, or the session has ended")]
    Unauthenticated,
    #[error("not allowed: {0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("the cursor is not one this list issued")]
    InvalidCursor,
    #[error(transparent)]
    Storage(#[from] TableError),
    #[error(transparent)]
    Hash(#[from] passwords::HashError),
    #[error("rendering mail: {0}")]
    Mail(String),
}

impl From<crate::domain::notifications::ComposeError> for IdentityError {
    fn from(e: crate::domain::notifications::ComposeError) -> Self {
        IdentityError::Mail(e.to_string())
    }
}

impl From<AccountError> for IdentityError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound => IdentityError::NotFound,
            AccountError::Invalid(v) => IdentityError::Invalid(v),
            AccountError::Storage(e) => IdentityError::Storage(e),
            other => IdentityError::Conflict(other.to_string()),
        }
    }
}

impl From<crate::domain::paging::PagingError> for IdentityError {
    fn from(e: crate::domain::paging::PagingError) -> Self {
        use crate::domain::paging::PagingError;
        match e {
            PagingError::InvalidLimit(m) => invalid("limit", m),
            PagingError::InvalidCursor => IdentityError::InvalidCursor,
            PagingError::Storage(e) => IdentityError::Storage(e),
        }
    }
}

pub(crate) fn invalid(field: &str, message: impl Into<String>) -> IdentityError {
    let mut v = Violations::default();
    v.add(field, message);
    IdentityError::Invalid(v)
}

impl IdentityError {
    /// A login changed between its read and the write that followed.
    pub fn login_changed() -> Self {
        IdentityError::Conflict("the login changed meanwhile; try again".into())
    }
}
