//! One error mapping: each domain error becomes its HTTP problem here, so handlers end in
//! `?`. Every type is stable and listed in docs/http-conventions.md; internal causes are
//! logged with the request id, never returned.

use axum::http::StatusCode;

use super::access::wire_name;
use super::problem::Problem;
use crate::domain::accounts::AccountError;
use crate::domain::billing::BillingError;
use crate::domain::catalogue::CatalogueError;
use crate::domain::cost_centres::{CostCentreError, MAX_PER_ACCOUNT};
use crate::domain::identity::IdentityError;
use crate::domain::orders::OrderError;
use crate::domain::paging::PagingError;
use crate::domain::service_groups::GroupError;
use crate::domain::services::ServiceError;
use crate::domain::tenancy::TenantError;
use crate::domain::usage::UsageError;
use crate::domain::usage::alerts::AlertError;
use crate::domain::usage::export::ExportError;

impl From<IdentityError> for Problem {
    fn from(error: IdentityError) -> Self {
        match error {
            IdentityError::Invalid(violations) => Problem::from_violations(violations),
            IdentityError::NotFound => Problem::not_found(),
            IdentityError::UsernameTaken(name) => Problem::new(
                StatusCode::CONFLICT,
                "username-taken",
                "That username is taken",
            )
            .detail(format!(
                "{name:?} belongs to another login; choose another."
            ))
            .field("/username", "taken"),
            IdentityError::InvalidCredentials => Problem::new(
                StatusCode::UNAUTHORIZED,
                "invalid-credentials",
                "The username or password is wrong",
            ),
            IdentityError::Locked => Problem::new(
                StatusCode::LOCKED,
                "login-locked",
                "This login is locked after too many failed sign-ins",
            )
            .detail(
                "If the login is yours, the email we sent it has a link that unlocks it; \
                 your provider can unlock it too.",
            ),
            IdentityError::AccountInactive => Problem::new(
                StatusCode::FORBIDDEN,
                "account-inactive",
                "This account is closed to the portal",
            )
            .detail("Your provider has made the account inactive; contact them to open it again."),
            IdentityError::Throttled { retry_after } => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-attempts",
                "Too many failed sign-ins from this address",
            )
            .detail(format!("Try again in {retry_after} seconds."))
            .retry_after(retry_after),
            IdentityError::LinkUnusable => Problem::new(
                StatusCode::GONE,
                "link-unusable",
                "This link has expired or was already used",
            )
            .detail("Sign in, or ask for a new link."),
            IdentityError::ChallengeUnusable => Problem::new(
                StatusCode::UNAUTHORIZED,
                "sign-in-challenge-unusable",
                "This sign-in has expired or ran out of tries",
            )
            .detail("Sign in again with your password."),
            IdentityError::Unauthenticated => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Sign in first; the session has ended or was never there",
            ),
            IdentityError::Forbidden(why) => {
                Problem::new(StatusCode::FORBIDDEN, "forbidden", "This is not allowed").detail(why)
            }
            IdentityError::Conflict(detail) => Problem::conflict(detail),
            IdentityError::InvalidCursor => Problem::invalid_cursor(),
            IdentityError::Storage(e) => Problem::storage(&e),
            IdentityError::Hash(e) => Problem::internal(&e),
            IdentityError::Mail(e) => Problem::internal(&e),
        }
    }
}

impl From<AccountError> for Problem {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Invalid(violations) => Problem::from_violations(violations),
            AccountError::NotFound => Problem::not_found(),
            AccountError::NumberTaken(number) => Problem::new(
                StatusCode::CONFLICT,
                "account-number-taken",
                "That account number is taken",
            )
            .detail(format!(
                "Account number {number} belongs to another account."
            )),
            AccountError::StaleVersion { expected, current } => Problem::new(
                StatusCode::CONFLICT,
                "stale-version",
                "The account changed since you read it",
            )
            .detail(format!(
                "You sent version {expected}; it is at {current}. Read it again and retry."
            )),
            AccountError::IdempotencyKeyReused => Problem::idempotency_key_reused(),
            AccountError::DeletionRefused => Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "deletion-refused",
                "Accounts are made inactive, never deleted",
            )
            .detail(
                "An account keeps its services, usage, orders and history. To close it, make it \
                 inactive (POST /v1/console/accounts/{account}/deactivate): its logins are signed \
                 out and cannot sign in, and it can be made active again.",
            ),
            AccountError::KindImmutable(kind) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "kind-immutable",
                "An account's kind never changes",
            )
            .detail(format!(
                "This account is {}. To serve the customer as another kind, open a new account.",
                wire_name(&kind).replace('_', "-")
            ))
            .field("/kind", "an account's kind never changes"),
            AccountError::WrongTenantKind => Problem::new(
                StatusCode::FORBIDDEN,
                "wrong-tenant-kind",
                "Accounts belong to retail providers",
            ),
            AccountError::InvalidCursor => Problem::invalid_cursor(),
            AccountError::Storage(e) => Problem::storage(&e),
        }
    }
}

impl From<AlertError> for Problem {
    fn from(e: AlertError) -> Self {
        match e {
            AlertError::Invalid(v) => Problem::from_violations(v),
            AlertError::NotFound => Problem::not_found(),
            AlertError::Usage(e) => Problem::from(e),
            AlertError::Storage(e) => Problem::storage(&e),
        }
    }
}

impl From<TenantError> for Problem {
    fn from(error: TenantError) -> Self {
        match error {
            TenantError::Invalid(violations) => Problem::from_violations(violations),
            TenantError::InvalidCursor => Problem::invalid_cursor(),
            TenantError::Storage(e) => Problem::storage(&e),
            TenantError::SlugTaken(_) | TenantError::DomainTaken(_) | TenantError::NotFound => {
                Problem::not_found()
            }
        }
    }
}

impl From<CostCentreError> for Problem {
    fn from(e: CostCentreError) -> Self {
        match e {
            CostCentreError::Invalid(v) => Problem::from_violations(v),
            CostCentreError::NotFound => Problem::not_found(),
            CostCentreError::TooMany => Problem::new(
                StatusCode::CONFLICT,
                "too-many-cost-centres",
                "The account has as many cost centres as it may",
            )
            .detail(format!(
                "An account has at most {MAX_PER_ACCOUNT} cost centres."
            )),
            CostCentreError::Service(e) => Problem::from(e),
            CostCentreError::Usage(e) => Problem::from(e),
            CostCentreError::Storage(e) => Problem::storage(&e),
        }
    }
}

impl From<ExportError> for Problem {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::Invalid(m) => Problem::validation().detail(m),
            ExportError::NotFound => Problem::not_found(),
            ExportError::IdempotencyKeyReused => Problem::idempotency_key_reused(),
            ExportError::Usage(e) => Problem::from(e),
            ExportError::Storage(e) => Problem::storage(&e),
            ExportError::Blobs(e) => Problem::unavailable(&e),
        }
    }
}

impl From<OrderError> for Problem {
    fn from(e: OrderError) -> Self {
        match e {
            OrderError::Invalid(v) => Problem::from_violations(v),
            OrderError::NotOffered(m) => Problem::new(
                StatusCode::FORBIDDEN,
                "order-not-offered",
                "Your provider does not offer this order",
            )
            .detail(m),
            OrderError::NotFound => Problem::not_found(),
            OrderError::NumberUnavailable(n) => Problem::new(
                StatusCode::CONFLICT,
                "number-unavailable",
                "That number is no longer available",
            )
            .detail(format!("{n} was taken or is not offered; search again.")),
            OrderError::IdentifierTaken(id) => Problem::new(
                StatusCode::CONFLICT,
                "identifier-taken",
                "Another service has this identifier",
            )
            .detail(format!("{id} is already a service of the provider.")),
            OrderError::WrongState { state, step } => Problem::new(
                StatusCode::CONFLICT,
                "order-state",
                "The order is not in a state for this",
            )
            .detail(format!(
                "The order is {}: it cannot {step} now.",
                super::access::wire_name(&state).replace('_', " ")
            )),
            OrderError::Conflict => Problem::conflict("the order changed meanwhile; try again"),
            OrderError::IdempotencyKeyReused => Problem::idempotency_key_reused(),
            OrderError::AlreadyOpen(order) => Problem::new(
                StatusCode::CONFLICT,
                "order-already-open",
                "The same order is already waiting or being fulfilled",
            )
            .detail(format!("See order {order}: it asks for the same."))
            .existing(&order),
            OrderError::Paging(e) => Problem::from(e),
            OrderError::Storage(e) => Problem::storage(&e),
        }
    }
}

impl From<GroupError> for Problem {
    fn from(e: GroupError) -> Self {
        match e {
            GroupError::Invalid(v) => Problem::from_violations(v),
            GroupError::NotFound => Problem::not_found(),
            GroupError::Service(e) => Problem::from(e),
            GroupError::Paging(e) => Problem::from(e),
            GroupError::Storage(e) => Problem::storage(&e),
        }
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(v) => Problem::from_violations(v),
            ServiceError::NotFound => Problem::not_found(),
            ServiceError::IdentifierTaken(id) => Problem::new(
                StatusCode::CONFLICT,
                "identifier-taken",
                "Another service has this identifier",
            )
            .detail(format!(
                "{id:?} belongs to another service of the provider."
            ))
            .field("/identifier", "taken"),
            ServiceError::Conflict => Problem::conflict("the service changed meanwhile; try again"),
            ServiceError::Storage(e) => Problem::storage(&e),
        }
    }
}

impl From<CatalogueError> for Problem {
    fn from(e: CatalogueError) -> Self {
        match e {
            CatalogueError::Invalid(v) => Problem::from_violations(v),
            CatalogueError::NotFound => Problem::not_found(),
            CatalogueError::Paging(e) => Problem::from(e),
            CatalogueError::Storage(e) => Problem::storage(&e),
        }
    }
}

impl From<UsageError> for Problem {
    fn from(e: UsageError) -> Self {
        match e {
            UsageError::Invalid(m) => Problem::validation().detail(m),
            UsageError::Paging(e) => Problem::from(e),
            UsageError::Storage(e) => Problem::storage(&e),
            UsageError::WaitingFor(file) => Problem::unavailable(&format!("waiting for {file}")),
            UsageError::Blobs(e) => Problem::unavailable(&e),
        }
    }
}

impl From<PagingError> for Problem {
    fn from(error: PagingError) -> Self {
        match error {
            PagingError::InvalidLimit(message) => Problem::validation().field("limit", message),
            PagingError::InvalidCursor => Problem::invalid_cursor(),
            PagingError::Storage(e) => Problem::storage(&e),
        }
    }
}

impl From<crate::ports::TableError> for Problem {
    fn from(error: crate::ports::TableError) -> Self {
        Problem::storage(&error)
    }
}

impl From<crate::domain::settings::SettingsError> for Problem {
    fn from(error: crate::domain::settings::SettingsError) -> Self {
        use crate::domain::settings::SettingsError;
        match error {
            SettingsError::Invalid(violations) => Problem::from_violations(violations),
            SettingsError::Storage(e) => Problem::storage(&e),
        }
    }
}

impl From<BillingError> for Problem {
    fn from(e: BillingError) -> Self {
        match e {
            BillingError::Invalid(v) => Problem::from_violations(v),
            BillingError::NotFound => Problem::not_found(),
            BillingError::NothingToBill => Problem::new(
                StatusCode::CONFLICT,
                "nothing-to-bill",
                "The account has nothing to bill for this period",
            )
            .detail("Every charge of the period is billed already and no new usage has arrived."),
            BillingError::CurrencyMismatch(what, currency, billing) => Problem::new(
                StatusCode::CONFLICT,
                "currency-mismatch",
                "A charge is priced in another currency than the provider bills in",
            )
            .detail(format!(
                "{what} is priced in {currency}; the billing settings say {billing}."
            )),
            BillingError::TooManyCharges(n) => Problem::new(
                StatusCode::CONFLICT,
                "invoice-too-long",
                "The invoice has more charges than one invoice can hold yet",
            )
            .detail(format!("{n} writes; an invoice holds up to 100.")),
            BillingError::PaymentReferenceUsed(reference) => Problem::new(
                StatusCode::CONFLICT,
                "payment-reference-used",
                "Another payment of this account has that reference",
            )
            .detail(format!(
                "{reference:?} was recorded with another amount, date or method; give this payment its own reference."
            ))
            .field("/reference", "belongs to another payment"),
            BillingError::ChargeInvoiced => Problem::new(
                StatusCode::CONFLICT,
                "charge-invoiced",
                "The charge is on an invoice already",
            )
            .detail("Correct an issued invoice with a credit note."),
            BillingError::CurrencyFixed => Problem::new(
                StatusCode::CONFLICT,
                "currency-fixed",
                "The currency cannot change once invoices are issued",
            )
            .detail("Invoices, payments and balances are in the currency they were issued in.")
            .field("/currency", "fixed once invoices are issued"),
            BillingError::Conflict => {
                Problem::conflict("Others changed the account's billing meanwhile; try again.")
            }
            BillingError::Files(e) => Problem::unavailable(&e),
            BillingError::IdempotencyKeyReused => Problem::idempotency_key_reused(),
            BillingError::Paging(e) => Problem::from(e),
            BillingError::Storage(e) => Problem::storage(&e),
        }
    }
}
