//! A tenant's settings: which portal modules are on, who gets portal access how, how long
//! links and sessions live, when a login locks, what customers may edit, its language and
//! time zone, and the contact details its mail carries.

use std::collections::BTreeSet;

use std::sync::Arc;

use crate::domain::Violations;
use crate::domain::contact::EmailAddress;
use crate::ids::TenantId;
use crate::ports::Clock;
use crate::ports::table::{Key, Table, TableError};
use crate::store::Stamp;
use crate::store::{self, keys};

/// A part of the portal a tenant turns on or off.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Module {
    Services,
    Usage,
    Invoices,
    Payments,
    Orders,
    NumberOrdering,
    E911,
    ServiceDesk,
    Reports,
}

/// The account fields a customer may change from the portal.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EditableField {
    Name,
    BillingAddress,
    Phones,
    Emails,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AccessSettings {
    /// New accounts get a credential-create email at once.
    pub send_create_email_on_new_account: bool,
    /// How long a credential-create link lives, in days (1 to 30).
    pub create_link_days: u32,
    /// Failed sign-ins in a row that lock a login (3 to 20).
    pub lockout_threshold: u32,
    /// Staff must sign in with a second factor (those without one set it up at sign-in).
    pub two_factor_required_for_staff: bool,
    /// End users must sign in with a second factor.
    pub two_factor_required_for_end_users: bool,
    /// An end user's session ends after this many idle minutes (5 to 720).
    pub idle_minutes: u32,
    /// Every session ends this many hours after sign-in (1 to 720).
    pub absolute_hours: u32,
    /// The portal's modules that are on.
    pub modules: BTreeSet<Module>,
    /// What customers may change of their account.
    pub customer_editable_fields: BTreeSet<EditableField>,
    /// The language of mail to an account that has no login yet (`en` or `fr`).
    pub default_language: String,
    /// The sender of the tenant's mail; left out, the platform's own address.
    pub mail_from: Option<String>,
    /// Contact details printed in the tenant's mail.
    pub support_email: Option<String>,
    pub support_phone: Option<String>,
    pub logo_url: Option<String>,
    /// The provider's time zone (IANA, `Australia/Sydney`): its days, months and due dates.
    /// Usage already loaded keeps the days it was cut into.
    pub time_zone: String,
    /// The provider's country (ISO 3166-1 alpha-2, `AU`): phone numbers written in its
    /// national form (`02 9876 5432`) are read as its numbers. None: international form only.
    pub phone_country: Option<String>,
}

pub const LANGUAGES: [&str; 2] = ["en", "fr"];

/// The language of mail and pages when a login's own is not one we have.
pub const LANGUAGE_FALLBACK: &str = "en";

impl Default for AccessSettings {
    fn default() -> Self {
        AccessSettings {
            send_create_email_on_new_account: true,
            create_link_days: 7,
            lockout_threshold: 5,
            two_factor_required_for_staff: false,
            two_factor_required_for_end_users: false,
            idle_minutes: 30,
            absolute_hours: 12,
            modules: [
                Module::Services,
                Module::Usage,
                Module::Invoices,
                Module::Orders,
            ]
            .into_iter()
            .collect(),
            customer_editable_fields: [
                EditableField::Name,
                EditableField::BillingAddress,
                EditableField::Phones,
                EditableField::Emails,
            ]
            .into_iter()
            .collect(),
            default_language: "en".into(),
            mail_from: None,
            support_email: None,
            support_phone: None,
            logo_url: None,
            time_zone: crate::domain::calendar::DEFAULT_ZONE.to_owned(),
            phone_country: None,
        }
    }
}

impl AccessSettings {
    /// Must `principal` sign in with a second factor?
    pub fn requires_two_factor(&self, staff: bool) -> bool {
        if staff {
            self.two_factor_required_for_staff
        } else {
            self.two_factor_required_for_end_users
        }
    }

    pub fn check(&self) -> Result<(), Violations> {
        let mut v = Violations::default();
        // A module with no pages yet is not offered to customers.
        if self.modules.contains(&Module::ServiceDesk) {
            v.add(
                "/modules",
                "the service desk is not built yet: it cannot be turned on",
            );
        }
        if !(1..=30).contains(&self.create_link_days) {
            v.add("/create_link_days", "from 1 to 30 days");
        }
        if !(3..=20).contains(&self.lockout_threshold) {
            v.add("/lockout_threshold", "from 3 to 20 attempts");
        }
        if !(5..=720).contains(&self.idle_minutes) {
            v.add("/idle_minutes", "from 5 to 720 minutes");
        }
        if !(1..=720).contains(&self.absolute_hours) {
            v.add("/absolute_hours", "from 1 to 720 hours");
        }
        if let Some(country) = &self.phone_country
            && (country.len() != 2
                || !country.bytes().all(|b| b.is_ascii_uppercase())
                || country.parse::<phonenumber::country::Id>().is_err())
        {
            v.add(
                "/phone_country",
                "a country's two capital letters, as in AU or GB",
            );
        }
        if let Err(why) = crate::domain::calendar::ProviderZone::parse(&self.time_zone) {
            v.add("/time_zone", why);
        }
        if !LANGUAGES.contains(&self.default_language.as_str()) {
            v.add("/default_language", "one of en, fr");
        }
        for (field, value) in [
            ("/mail_from", &self.mail_from),
            ("/support_email", &self.support_email),
        ] {
            if let Some(address) = value
                && let Err(m) = EmailAddress::parse(address)
            {
                v.add(field, m);
            }
        }
        if let Some(phone) = &self.support_phone
            && phone.chars().count() > 40
        {
            v.add("/support_phone", "at most 40 characters");
        }
        if let Some(url) = &self.logo_url
            && (!url.starts_with("https://") || url.len() > 500)
        {
            v.add("/logo_url", "an https:// address of at most 500 characters");
        }
        v.into_result()
    }
}

fn key(tenant: &TenantId) -> Key {
    Key::new(keys::tenant(tenant), "SETTINGS#ACCESS")
}

/// A tenant's settings, the defaults where it has chosen none (for other capabilities'
/// mail, which needs the tenant's branding without the rest of identity).
pub async fn read(table: &dyn Table, tenant: &TenantId) -> Result<AccessSettings, TableError> {
    store::read_settings(table, &key(tenant), "settings").await
}

/// A provider's time zone as its settings hold it (UTC while it has chosen none; a name
/// that no longer parses is logged and read as UTC rather than stopping its usage).
pub async fn zone(
    table: &dyn crate::ports::Table,
    tenant: &TenantId,
) -> Result<crate::domain::calendar::ProviderZone, TableError> {
    use crate::domain::calendar::ProviderZone;
    let settings = read(table, tenant).await?;
    Ok(
        ProviderZone::parse(&settings.time_zone).unwrap_or_else(|why| {
            tracing::error!(tenant = %tenant, why, "a stored time zone does not parse; using UTC");
            ProviderZone::utc()
        }),
    )
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("invalid settings: {0}")]
    Invalid(Violations),
    #[error(transparent)]
    Storage(#[from] TableError),
}

/// Reads and changes a tenant's settings.
#[derive(Clone)]
pub struct Settings {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
}

impl Settings {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>) -> Self {
        Settings { table, clock }
    }

    /// The tenant's settings, the defaults where it has chosen none.
    pub async fn get(&self, tenant: &TenantId) -> Result<AccessSettings, TableError> {
        read(self.table.as_ref(), tenant).await
    }

    pub async fn set(
        &self,
        tenant: &TenantId,
        settings: AccessSettings,
        stamp: &Stamp,
    ) -> Result<AccessSettings, SettingsError> {
        settings.check().map_err(SettingsError::Invalid)?;
        store::write_settings(
            self.table.as_ref(),
            &key(tenant),
            "settings",
            &settings,
            self.clock.now(),
            stamp.writes(),
        )
        .await?;
        Ok(settings)
    }
}
