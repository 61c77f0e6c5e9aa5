//! A deployed function's configuration: typed, read once at start-up. Names come from the
//! environment; keys from Secrets Manager where the template names their secrets (so a
//! rotated key reaches every function as its next execution environment starts, with no
//! redeploy), or from the environment itself locally and in tests.

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{0}: {1}")]
    Invalid(&'static str, String),
}

/// Where the settings come from: the process environment when deployed, a map in tests.
type Lookup<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

fn var(env: Lookup<'_>, name: &'static str) -> Result<String, ConfigError> {
    env(name)
        .filter(|v| !v.is_empty())
        .ok_or(ConfigError::Missing(name))
}

/// A key: the environment's `{name}` when set (locally, in tests), else the secret whose
/// ARN is in `{name}_SECRET` (deployed: the template names it, the function may read it).
async fn key(
    env: Lookup<'_>,
    secrets: &aws_sdk_secretsmanager::Client,
    name: &'static str,
    secret_variable: &'static str,
) -> Result<Option<String>, ConfigError> {
    if let Some(text) = env(name).filter(|v| !v.is_empty()) {
        return Ok(Some(text));
    }
    let Some(arn) = env(secret_variable).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let value = secrets
        .get_secret_value()
        .secret_id(&arn)
        .send()
        .await
        // The SDK's error names the call and the secret, never the value.
        .map_err(|error| {
            ConfigError::Invalid(
                secret_variable,
                aws_sdk_secretsmanager::error::DisplayErrorContext(error).to_string(),
            )
        })?;
    value.secret_string.map(Some).ok_or(ConfigError::Invalid(
        secret_variable,
        "the secret holds no text".into(),
    ))
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
    /// What CloudFront adds on its way to the API (`x-selfcare-edge`): the proof that a
    /// request's viewer address is the viewer's. None where no distribution stands in front.
    pub edge_key: Option<String>,
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
            .field("edge_key", &self.edge_key.as_ref().map(|_| "(secret)"))
            .finish()
    }
}

impl AwsConfig {
    /// Reads the names from the environment and the keys, the three requests to Secrets
    /// Manager at once on a cold start (the function keeps them while it stays warm; a
    /// cold start fails while Secrets Manager does not answer).
    pub async fn load(sdk: &aws_config::SdkConfig) -> Result<Self, ConfigError> {
        Self::load_from(sdk, &|name| std::env::var(name).ok()).await
    }

    /// As `load`, with the settings looked up in `env`.
    pub async fn load_from(
        sdk: &aws_config::SdkConfig,
        env: Lookup<'_>,
    ) -> Result<Self, ConfigError> {
        let secrets = aws_sdk_secretsmanager::Client::new(sdk);
        let (cursor, sealing, edge_key) = tokio::try_join!(
            key(
                env,
                &secrets,
                "SELFCARE_CURSOR_KEY",
                "SELFCARE_CURSOR_KEY_SECRET"
            ),
            key(
                env,
                &secrets,
                "SELFCARE_SEALING_KEY",
                "SELFCARE_SEALING_KEY_SECRET"
            ),
            key(
                env,
                &secrets,
                "SELFCARE_EDGE_KEY",
                "SELFCARE_EDGE_KEY_SECRET"
            ),
        )?;
        Ok(AwsConfig {
            table: var(env, "SELFCARE_TABLE")?,
            exports_bucket: var(env, "SELFCARE_EXPORTS_BUCKET")?,
            ingest_bucket: var(env, "SELFCARE_INGEST_BUCKET")?,
            cursor_key: cursor_key(cursor.ok_or(ConfigError::Missing("SELFCARE_CURSOR_KEY"))?)?,
            portal_domain: var(env, "SELFCARE_PORTAL_DOMAIN")?,
            mail_from: selfcare::domain::contact::EmailAddress::parse(&var(
                env,
                "SELFCARE_MAIL_FROM",
            )?)
            .map_err(|m| ConfigError::Invalid("SELFCARE_MAIL_FROM", m))?,
            sealing_key: sealing_key(sealing.ok_or(ConfigError::Missing("SELFCARE_SEALING_KEY"))?)?,
            stripe_api: env("SELFCARE_STRIPE_API")
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "https://api.stripe.com".to_owned()),
            edge_key,
        })
    }
}
