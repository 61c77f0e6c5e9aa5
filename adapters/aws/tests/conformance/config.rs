//! A deployed function's keys come from Secrets Manager (moto here), named by the
//! template; the environment's own value wins (locally, in tests); a key that cannot be
//! read stops the function with the variable named and no secret in the message.

use std::collections::HashMap;

use selfcare_aws::{AwsConfig, ConfigError};

use crate::support::{moto_config, unique};

async fn secret(sdk: &aws_config::SdkConfig, value: &str) -> String {
    aws_sdk_secretsmanager::Client::new(sdk)
        .create_secret()
        .name(unique("selfcare-key"))
        .secret_string(value)
        .send()
        .await
        .expect("moto makes the secret")
        .arn
        .expect("a new secret has an ARN")
}

fn names() -> HashMap<&'static str, String> {
    HashMap::from([
        ("SELFCARE_TABLE", "table".to_owned()),
        ("SELFCARE_EXPORTS_BUCKET", "exports".to_owned()),
        ("SELFCARE_INGEST_BUCKET", "ingest".to_owned()),
        ("SELFCARE_PORTAL_DOMAIN", "portal.example".to_owned()),
        ("SELFCARE_MAIL_FROM", "billing@portal.example".to_owned()),
    ])
}

async fn load(
    sdk: &aws_config::SdkConfig,
    env: &HashMap<&'static str, String>,
) -> Result<AwsConfig, ConfigError> {
    AwsConfig::load_from(sdk, &|name| env.get(name).cloned()).await
}

#[tokio::test]
async fn keys_are_read_from_the_secrets_the_template_names() {
    let sdk = moto_config().await;
    let cursor = "cursor-key-0123456789abcdef0123456789";
    let sealing = "sealing-key-0123456789abcdef012345678";
    let mut env = names();
    env.insert("SELFCARE_CURSOR_KEY_SECRET", secret(&sdk, cursor).await);
    env.insert("SELFCARE_SEALING_KEY_SECRET", secret(&sdk, sealing).await);
    env.insert(
        "SELFCARE_EDGE_KEY_SECRET",
        secret(&sdk, "edge-key-abc").await,
    );

    let config = load(&sdk, &env).await.expect("the keys are read");
    assert_eq!(config.cursor_key, cursor.as_bytes());
    assert_eq!(config.sealing_key, sealing.as_bytes());
    assert_eq!(config.edge_key.as_deref(), Some("edge-key-abc"));
    assert!(
        !format!("{config:?}").contains("0123456789"),
        "keys never in logs"
    );

    // A key rotated in Secrets Manager is what the next start reads.
    let rotated = "cursor-key-rotated-0123456789abcdef01";
    aws_sdk_secretsmanager::Client::new(&sdk)
        .put_secret_value()
        .secret_id(&env["SELFCARE_CURSOR_KEY_SECRET"])
        .secret_string(rotated)
        .send()
        .await
        .expect("moto takes the new value");
    let config = load(&sdk, &env).await.expect("the keys are read");
    assert_eq!(config.cursor_key, rotated.as_bytes());

    // The environment's own value wins (the local runtime, the tests).
    env.insert(
        "SELFCARE_CURSOR_KEY",
        "local-cursor-key-0123456789abcdef01".into(),
    );
    let config = load(&sdk, &env).await.expect("the keys are read");
    assert_eq!(config.cursor_key, b"local-cursor-key-0123456789abcdef01");
}

#[tokio::test]
async fn a_key_that_cannot_be_read_stops_the_start_naming_its_variable() {
    let sdk = moto_config().await;
    let mut env = names();
    env.insert(
        "SELFCARE_CURSOR_KEY",
        "local-cursor-key-0123456789abcdef01".into(),
    );
    env.insert(
        "SELFCARE_SEALING_KEY_SECRET",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:gone-AbCdEf".into(),
    );
    let error = load(&sdk, &env).await.expect_err("no such secret");
    assert!(
        matches!(
            error,
            ConfigError::Invalid("SELFCARE_SEALING_KEY_SECRET", _)
        ),
        "{error}"
    );

    // Too short a key is refused, and its text is not repeated.
    env.insert(
        "SELFCARE_SEALING_KEY_SECRET",
        secret(&sdk, "short-secret").await,
    );
    let error = load(&sdk, &env).await.expect_err("too short");
    assert!(!error.to_string().contains("short-secret"), "{error}");

    // No key at all: the function says which.
    env.remove("SELFCARE_SEALING_KEY_SECRET");
    let error = load(&sdk, &env).await.expect_err("missing");
    assert!(
        matches!(error, ConfigError::Missing("SELFCARE_SEALING_KEY")),
        "{error}"
    );
}
