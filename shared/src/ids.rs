//! Identifiers: ULIDs, sortable by creation time, behind types of their own so a tenant id
//! can never be passed where an account id belongs.

use std::fmt;
use std::str::FromStr;

use time::OffsetDateTime;

macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(ulid::Ulid);

        impl $name {
            pub fn generate(at: OffsetDateTime) -> Self {
                $name(ulid::Ulid::from_datetime(at.into()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(text: &str) -> Result<Self, InvalidId> {
                ulid::Ulid::from_string(text).map($name).map_err(|_| InvalidId)
            }
        }

        // As its text, in the events handed between functions (a bill run's batches).
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a valid identifier")]
pub struct InvalidId;

ulid_id!(
    /// A wholesale or retail provider.
    TenantId
);
ulid_id!(
    /// An end-user or agent account of a retail provider.
    AccountId
);
ulid_id!(
    /// A login: an end user's or a provider's staff member's way in.
    LoginId
);
ulid_id!(
    /// A plan of a provider's catalogue.
    PlanId
);
ulid_id!(
    /// A bolt-on or add-on of a provider's catalogue.
    BoltOnId
);
ulid_id!(
    /// A service of an account: a phone number, a circuit, a mobile.
    ServiceId
);
ulid_id!(
    /// A usage export of an account: a CSV file, made at once or by a job.
    ExportId
);
ulid_id!(
    /// A cost centre an end user puts its services under.
    CostCentreId
);
ulid_id!(
    /// A provider's group of services (number groups, endpoints, 911 groups, ...).
    ServiceGroupId
);
ulid_id!(
    /// A usage alert: a threshold on spend or quantity.
    AlertId
);
ulid_id!(
    /// An order: a change an end user asked for (a bolt-on, a number, a port, ...).
    OrderId
);
ulid_id!(
    /// An invoice (its number is separate: sequential per provider, given when issued).
    InvoiceId
);
ulid_id!(
    /// A payment received outside a card gateway (bank transfer, cheque, cash).
    PaymentId
);
ulid_id!(
    /// A card payment started in the portal, by autopay or by staff, whatever its gateway.
    CardPaymentId
);
