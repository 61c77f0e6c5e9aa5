//! A deployed function's configuration: typed, from the environment, read once at start-up.

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{0}: {1}")]
    Invalid(&'static str, String),
}

fn var(name: &'static str) -> Result<String, ConfigError> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or(ConfigError::Missing(name))
}

/// Signs page cursors. At least 32 bytes; from the stack's secret when deployed.
fn cursor_key(text: String) -> Result<Vec<u8>, ConfigError> {
    if text.len() < 32 {
        return Err(ConfigError::Invalid(
            "SELFCARE_CURSOR_KEY",
            "use at least 32 characters".into(),
        ));
    }
    Ok(text.into_bytes())
}

fn sealing_key(text: String) -> Result<Vec<u8>, ConfigError> {
    if text.len() < 32 {
        return Err(ConfigError::Invalid(
            "SELFCARE_SEALING_KEY",
            "use at least 32 characters".into(),
        ));
    }
    Ok(text.into_bytes())
}

/// What a deployed function needs: the names the template gives it.
#[derive(Clone)]
pub struct AwsConfig {
    pub table: String,
    pub exports_bucket: String,
    pub ingest_bucket: String,
    pub cursor_key: Vec<u8>,
    /// Each tenant's portal answers at `{slug}.{portal_domain}`; mail links point there.
    pub portal_domain: String,
    /// The platform's sender address (verified in SES) for tenants without their own.
    pub mail_from: selfcare::domain::contact::EmailAddress,
    /// Seals the providers' gateway keys at rest. At least 32 bytes; from the stack's
    /// secret when deployed.
    pub sealing_key: Vec<u8>,
    /// Stripe's API (`https://api.stripe.com`; an emulator's address in tests).
    pub stripe_api: String,
}

impl std::fmt::Debug for AwsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsConfig")
            .field("table", &self.table)
            .field("exports_bucket", &self.exports_bucket)
            .field("ingest_bucket", &self.ingest_bucket)
            .field("cursor_key", &"(secret)")
            .field("portal_domain", &self.portal_domain)
            .field("mail_from", &self.mail_from)
            .field("sealing_key", &"(secret)")
            .field("stripe_api", &self.stripe_api)
            .finish()
    }
}

impl AwsConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(AwsConfig {
            table: var("SELFCARE_TABLE")?,
            exports_bucket: var("SELFCARE_EXPORTS_BUCKET")?,
            ingest_bucket: var("SELFCARE_INGEST_BUCKET")?,
            cursor_key: cursor_key(var("SELFCARE_CURSOR_KEY")?)?,
            portal_domain: var("SELFCARE_PORTAL_DOMAIN")?,
            mail_from: selfcare::domain::contact::EmailAddress::parse(&var("SELFCARE_MAIL_FROM")?)
                .map_err(|m| ConfigError::Invalid("SELFCARE_MAIL_FROM", m))?,
            sealing_key: sealing_key(var("SELFCARE_SEALING_KEY")?)?,
            stripe_api: std::env::var("SELFCARE_STRIPE_API")
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "https://api.stripe.com".to_owned()),
        })
    }
}
