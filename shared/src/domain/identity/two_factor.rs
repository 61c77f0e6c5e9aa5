//! Two-factor sign-in: TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps, one step of clock
//! skew either way) with single-use recovery codes.
//!
//! Setting it up takes two steps, so nobody is locked out by a secret their app never
//! received: `begin` hands out a secret (and its `otpauth://` URI and QR code) kept aside
//! for 15 minutes; `confirm` with a code from the app turns it on and shows ten recovery
//! codes once. A code is accepted once only (RFC 6238 §5.2): the login keeps the last step
//! it accepted, and every change of the second factor is conditional on the login's
//! version, so two sign-ins racing with one code cannot both win.
//!
//! Signing in with it is two requests: the password answers with a challenge (a random
//! token stored hashed, 5 minutes, 5 tries), and the challenge with a code answers with the
//! session. Wrong codes count towards the login's lock-out like wrong passwords do.
//!
//! The TOTP secret must be readable to check codes, so unlike passwords and tokens it is
//! stored as is, in the login's item (encrypted at rest by the table), and never shown
//! again after set-up. Recovery codes are 50 random bits each and stored as SHA-256 hashes.

use std::sync::Arc;

use super::context::Context;
use super::lockout::Lockout;
use super::logins::Logins;
use super::model::{
    Challenge, Login, Permission, Principal, SecondFactor, Session, SessionSpec, Started,
};
use super::records;
use super::sessions::Sessions;

use time::{Duration, OffsetDateTime};
use totp_rs::{Builder, Secret, Totp};

use super::error::{IdentityError, invalid};
use super::tokens;
use crate::domain::notifications::Notice;
use crate::domain::outbox;
use crate::ids::{LoginId, TenantId};
use crate::ports::table::{Condition, EXPIRES_AT, Item, Key, TableError, Update, Value, Write};
use crate::store::{self, keys};

/// How many recovery codes a login gets at a time.
pub const RECOVERY_CODES: usize = 10;
/// How long a secret handed out by `begin` waits for its confirming code.
pub const SETUP_LIFETIME: Duration = Duration::minutes(15);
/// How long the second step of a sign-in may take.
pub const CHALLENGE_LIFETIME: Duration = Duration::minutes(5);
/// The longest a card-pages-only session lasts (from a "fix your card" link).
pub const CARD_SESSION: Duration = Duration::minutes(30);
/// Wrong codes a challenge takes before it is spent (each also counts towards lock-out).
pub const CHALLENGE_TRIES: i64 = 5;
/// Crockford's base 32: no I, L, O or U to misread.
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// What a login's second factor looks like to its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub enabled: bool,
    pub enabled_at: Option<OffsetDateTime>,
    pub recovery_codes_left: usize,
    /// The tenant requires it for this kind of login (it cannot be turned off).
    pub required: bool,
}

/// A secret handed out to be confirmed: shown here once.
#[derive(Clone)]
pub struct Setup {
    pub secret: String,
    /// The `otpauth://totp/...` URI the QR code carries.
    pub uri: String,
    /// The URI as a QR code, an SVG document.
    pub qr_svg: String,
    pub expires_at: OffsetDateTime,
}

/// What proves the second factor.
#[derive(Debug, Clone, Copy)]
pub enum Proof<'a> {
    /// Six digits from the authenticator app (spaces are ignored).
    Code(&'a str),
    /// One of the recovery codes (case, spaces and dashes are ignored); each works once.
    RecoveryCode(&'a str),
}

/// New recovery codes, shown once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryCodes(pub Vec<String>);

fn totp(secret: &str, issuer: &str, account: &str) -> Result<Totp, IdentityError> {
    let secret = Secret::try_from_base32(secret)
        .map_err(|_| TableError::Unreadable("a stored TOTP secret is not base 32".into()))?;
    // A colon separates issuer from account in the URI's label; neither may hold one.
    Builder::new()
        .with_secret(secret)
        .with_issuer(Some(issuer.replace(':', " ")))
        .with_account_name(account.replace(':', " "))
        .build()
        .map_err(|e| TableError::Unavailable(format!("a TOTP secret is unusable: {e}")).into())
}

/// The step a code belongs to, if it is right at `now` (one step of skew either way).
fn code_step(totp: &Totp, code: &str, now: OffsetDateTime) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    totp.check(&code, u64::try_from(now.unix_timestamp()).ok()?)
}

fn normalise_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn new_recovery_codes() -> (RecoveryCodes, Vec<String>) {
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let bytes = rand::random::<[u8; 10]>();
            let chars: String = bytes
                .iter()
                .map(|b| RECOVERY_ALPHABET[usize::from(b & 31)] as char)
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect();
    let hashes = codes
        .iter()
        .map(|c| tokens::hash(&normalise_recovery(c)))
        .collect();
    (RecoveryCodes(codes), hashes)
}

fn setup_key(tenant: &TenantId, login: &LoginId) -> Key {
    Key::new(keys::login(tenant, login), "TWO_FACTOR_SETUP")
}

fn challenge_key(tenant: &TenantId, hash: &str) -> Key {
    Key::new(keys::sign_in_challenge(tenant, hash), "CHALLENGE")
}

/// The login's write, conditional on the version read, so concurrent changes of the
/// second factor (or a code used twice at once) cannot both land.
fn versioned(login: &Login, update: Update) -> Write {
    store::update_on_version(
        records::key(&login.tenant, &login.id),
        update,
        login.version,
    )
}

fn turned_off() -> Update {
    Update::default()
        .remove("totp_secret")
        .remove("totp_last_step")
        .remove("recovery_codes")
        .remove("two_factor_enabled_at")
}

fn own_session_only(session: &Session) -> Result<(), IdentityError> {
    if session.impersonator.is_some() {
        return Err(IdentityError::Forbidden(
            "only the login's owner changes its second factor, never an impersonation",
        ));
    }
    Ok(())
}

/// Two-factor sign-in: set-up, the second step of a sign-in, recovery codes, reset by staff.
#[derive(Clone)]
pub struct TwoFactor {
    pub(super) cx: Arc<Context>,
}

impl TwoFactor {
    fn lockout(&self) -> Lockout {
        Lockout {
            cx: self.cx.clone(),
        }
    }

    fn logins(&self) -> Logins {
        Logins {
            cx: self.cx.clone(),
        }
    }

    fn sessions(&self) -> Sessions {
        Sessions {
            cx: self.cx.clone(),
        }
    }

    pub async fn two_factor_status(&self, session: &Session) -> Result<Status, IdentityError> {
        let login = self.logins().login(&session.tenant, &session.login).await?;
        let settings = self.cx.settings(&session.tenant).await?;
        Ok(Status {
            enabled: login.second_factor.is_some(),
            enabled_at: login.second_factor.as_ref().map(|f| f.enabled_at),
            recovery_codes_left: login
                .second_factor
                .as_ref()
                .map_or(0, SecondFactor::recovery_codes_left),
            required: settings
                .requires_two_factor(matches!(login.principal, Principal::Staff { .. })),
        })
    }

    /// Hands out a new secret to be confirmed with a code within 15 minutes. Asking again
    /// replaces the one handed out before.
    pub async fn begin_two_factor(&self, session: &Session) -> Result<Setup, IdentityError> {
        own_session_only(session)?;
        let login = self.logins().login(&session.tenant, &session.login).await?;
        if login.second_factor.is_some() {
            return Err(IdentityError::Conflict(
                "two-factor sign-in is already on; turn it off first to move it to a new device"
                    .into(),
            ));
        }
        let tenant = self.cx.tenant(&session.tenant).await?;
        let secret = Secret::new_stack(rand::random::<[u8; 20]>()).to_base32();
        let code = totp(&secret, &tenant.name, &login.username)?;
        let uri = code
            .to_url()
            .map_err(|e| TableError::Unavailable(format!("a TOTP URI failed: {e}")))?;
        let qr_svg = qrcode::QrCode::new(uri.as_bytes())
            .map_err(|e| TableError::Unavailable(format!("a QR code failed: {e}")))?
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .build();
        let expires_at = self.cx.clock.now() + SETUP_LIFETIME;
        let k = setup_key(&session.tenant, &session.login);
        let mut item = store::keyed(
            Item::from([("secret".to_owned(), Value::S(secret.clone()))]),
            &[("pk", k.pk), ("sk", k.sk)],
        );
        item.insert(EXPIRES_AT.to_owned(), Value::N(expires_at.unix_timestamp()));
        self.cx.table.put(item, None).await?;
        Ok(Setup {
            secret,
            uri,
            qr_svg,
            expires_at,
        })
    }

    /// Turns two-factor sign-in on with a code from the app that took the secret; answers
    /// the recovery codes, shown this once.
    pub async fn confirm_two_factor(
        &self,
        session: &Session,
        code: &str,
        request_id: &str,
    ) -> Result<RecoveryCodes, IdentityError> {
        own_session_only(session)?;
        let now = self.cx.clock.now();
        let pending = self
            .cx
            .table
            .get(&setup_key(&session.tenant, &session.login))
            .await?
            .filter(|i| i.get(EXPIRES_AT).and_then(Value::as_n) > Some(now.unix_timestamp()));
        let Some(secret) = pending
            .as_ref()
            .and_then(|i| i.get("secret"))
            .and_then(Value::as_s)
        else {
            return Err(IdentityError::Conflict(
                "no set-up is waiting (or it expired); start again".into(),
            ));
        };
        let login = self.logins().login(&session.tenant, &session.login).await?;
        if login.second_factor.is_some() {
            return Err(IdentityError::Conflict(
                "two-factor sign-in is already on".into(),
            ));
        }
        let tenant = self.cx.tenant(&session.tenant).await?;
        let Some(step) = code_step(&totp(secret, &tenant.name, &login.username)?, code, now) else {
            return Err(invalid(
                "/code",
                "this is not the app's current code; check the device's clock and try again",
            ));
        };
        let (codes, hashes) = new_recovery_codes();
        let mut writes = vec![
            versioned(
                &login,
                Update::default()
                    .set("totp_secret", secret)
                    .set("totp_last_step", step as i64)
                    .set("recovery_codes", hashes.join(","))
                    .set("two_factor_enabled_at", store::rfc3339(now)),
            ),
            Write::Delete {
                key: setup_key(&session.tenant, &session.login),
                condition: None,
            },
            self.cx.audit().write(
                session,
                login.principal.account(),
                "two_factor.enabled",
                &login.username,
                request_id,
                false,
            )?,
            self.second_factor_notice(&login, "on").await?,
        ];
        if session.enrolment_only {
            writes.push(Sessions::enrolled_write(session));
        }
        self.commit_versioned(writes).await?;
        tracing::info!(tenant = %session.tenant, login = %session.login, "two-factor sign-in on");
        Ok(codes)
    }

    /// Turns two-factor sign-in off: needs the password and a code (or a recovery code),
    /// and is refused where the tenant requires it.
    pub async fn disable_two_factor(
        &self,
        session: &Session,
        password: &str,
        proof: Proof<'_>,
        request_id: &str,
    ) -> Result<(), IdentityError> {
        own_session_only(session)?;
        let login = self.logins().login(&session.tenant, &session.login).await?;
        if login.second_factor.is_none() {
            return Ok(());
        }
        if self
            .cx
            .settings(&session.tenant)
            .await?
            .requires_two_factor(matches!(login.principal, Principal::Staff { .. }))
        {
            return Err(IdentityError::Forbidden(
                "your provider requires two-factor sign-in; it cannot be turned off",
            ));
        }
        if !self
            .cx
            .hasher
            .verify(password, &login.password_hash)
            .await?
        {
            return Err(invalid("/password", "this is not your current password"));
        }
        // What the proof would spend (a step, a recovery code) is moot: everything goes.
        self.check_proof(&login, proof).await?;
        let writes = vec![
            versioned(&login, turned_off()),
            self.cx.audit().write(
                session,
                login.principal.account(),
                "two_factor.disabled",
                &login.username,
                request_id,
                false,
            )?,
            self.second_factor_notice(&login, "off").await?,
        ];
        self.commit_versioned(writes).await?;
        tracing::info!(tenant = %session.tenant, login = %session.login, "two-factor sign-in off");
        Ok(())
    }

    /// Replaces the recovery codes (the old ones stop working); needs a current code.
    pub async fn new_recovery_codes(
        &self,
        session: &Session,
        code: &str,
        request_id: &str,
    ) -> Result<RecoveryCodes, IdentityError> {
        own_session_only(session)?;
        let login = self.logins().login(&session.tenant, &session.login).await?;
        if login.second_factor.is_none() {
            return Err(IdentityError::Conflict(
                "two-factor sign-in is off; turn it on first".into(),
            ));
        }
        let used = self.check_proof(&login, Proof::Code(code)).await?;
        let (codes, hashes) = new_recovery_codes();
        let writes = vec![
            versioned(&login, used.set("recovery_codes", hashes.join(","))),
            self.cx.audit().write(
                session,
                login.principal.account(),
                "two_factor.recovery_codes_replaced",
                &login.username,
                request_id,
                false,
            )?,
        ];
        self.commit_versioned(writes).await?;
        Ok(codes)
    }

    /// Staff turn off a login's second factor (a lost phone): audited, its sessions end,
    /// and its owner is told by mail. The caller has checked the staff member may see the
    /// login (its account's group, or the staff permission for a staff login).
    pub async fn reset_two_factor(
        &self,
        staff: &Session,
        login: &Login,
        request_id: &str,
    ) -> Result<Login, IdentityError> {
        let needed = match login.principal {
            Principal::EndUser { .. } => Permission::LoginsManage,
            Principal::Staff { .. } => Permission::StaffManage,
        };
        if staff.impersonator.is_some() || !staff.principal.may(needed) {
            return Err(IdentityError::Forbidden(
                "resetting a second factor needs the permission that manages the login",
            ));
        }
        if login.id == staff.login {
            return Err(IdentityError::Forbidden(
                "another staff member resets your own second factor",
            ));
        }
        if matches!(login.principal, Principal::Staff { .. })
            && !staff.principal.reaches(&login.principal)
        {
            return Err(IdentityError::Forbidden(
                "staff reset only colleagues within their own reach",
            ));
        }
        if login.second_factor.is_some() {
            let writes = vec![
                versioned(login, turned_off().add("sessions_epoch", 1)),
                self.cx.audit().write(
                    staff,
                    login.principal.account(),
                    "two_factor.reset",
                    &login.username,
                    request_id,
                    false,
                )?,
                self.second_factor_notice(login, "reset").await?,
            ];
            self.commit_versioned(writes).await?;
            self.sessions()
                .end_sessions_of(&login.tenant, &login.id, None)
                .await?;
            tracing::info!(tenant = %staff.tenant, staff = %staff.login, login = %login.id,
                "second factor reset by staff");
        }
        self.logins().login(&login.tenant, &login.id).await
    }

    /// After a right password, for a login with a second factor: the challenge to answer.
    pub(super) async fn challenge(&self, login: &Login) -> Result<Challenge, IdentityError> {
        self.challenge_for(login, false).await
    }

    /// The second step's challenge; `card_only`: its session is for the card pages only.
    pub(super) async fn challenge_for(
        &self,
        login: &Login,
        card_only: bool,
    ) -> Result<Challenge, IdentityError> {
        let (secret, _) = tokens::generate();
        let token = format!("{}.{secret}", login.tenant);
        let hash_of_token = tokens::hash(&token);
        let expires_at = self.cx.clock.now() + CHALLENGE_LIFETIME;
        let k = challenge_key(&login.tenant, &hash_of_token);
        let mut item = store::keyed(
            Item::from([
                ("login".to_owned(), Value::S(login.id.to_string())),
                ("tries".to_owned(), Value::N(0)),
                ("card_only".to_owned(), Value::Bool(card_only)),
            ]),
            &[("pk", k.pk), ("sk", k.sk)],
        );
        item.insert(EXPIRES_AT.to_owned(), Value::N(expires_at.unix_timestamp()));
        self.cx.table.put(item, Some(Condition::Absent)).await?;
        Ok(Challenge { token, expires_at })
    }

    /// The second step of a sign-in: the challenge and a code (or a recovery code).
    pub async fn complete_sign_in(
        &self,
        tenant: &TenantId,
        challenge: &str,
        proof: Proof<'_>,
        address: &str,
    ) -> Result<Started, IdentityError> {
        let now = self.cx.clock.now();
        let window = records::window_key(tenant, address, now);
        self.lockout().refuse_if_throttled(&window, now).await?;
        let k = challenge_key(tenant, &tokens::hash(challenge));
        let open = self
            .cx
            .table
            .get(&k)
            .await?
            .filter(|i| i.get(EXPIRES_AT).and_then(Value::as_n) > Some(now.unix_timestamp()))
            .filter(|i| i.get("tries").and_then(Value::as_n) < Some(CHALLENGE_TRIES));
        let card_only = open
            .as_ref()
            .and_then(|i| i.get("card_only"))
            .is_some_and(|v| *v == Value::Bool(true));
        let login_id: Option<LoginId> = open
            .as_ref()
            .and_then(|i| i.get("login"))
            .and_then(Value::as_s)
            .and_then(|l| l.parse().ok());
        let Some(login_id) = login_id else {
            return Err(IdentityError::ChallengeUnusable);
        };
        let login = match self.logins().login(tenant, &login_id).await {
            Ok(login) => login,
            Err(IdentityError::NotFound) => return Err(IdentityError::ChallengeUnusable),
            Err(e) => return Err(e),
        };
        if login.is_locked() {
            return Err(IdentityError::Locked);
        }
        self.logins().refuse_if_account_inactive(&login).await?;
        let used = match self.check_proof(&login, proof).await {
            Ok(used) => used,
            Err(IdentityError::Invalid(v)) => {
                self.lockout().count_failure(&window, now).await?;
                self.cx
                    .table
                    .update(
                        &k,
                        Update::default().add("tries", 1),
                        Some(Condition::Exists),
                    )
                    .await
                    .or_else(|e| match e {
                        TableError::ConditionFailed => Ok(Item::new()),
                        e => Err(e),
                    })?;
                if self.lockout().fail_login(&login, address).await? {
                    return Err(IdentityError::Locked);
                }
                return Err(IdentityError::Invalid(v));
            }
            Err(e) => return Err(e),
        };
        let (started, session_write) = self.new_session_for(&login, card_only).await?;
        let writes = vec![
            session_write,
            versioned(
                &login,
                used.set("last_sign_in_at", store::rfc3339(now))
                    .set("failed_attempts", 0),
            ),
            Write::Delete {
                key: k,
                condition: Some(Condition::Exists),
            },
        ];
        match self.cx.table.transact(writes).await {
            Ok(()) => {}
            // The code was used meanwhile, or the challenge: as if the code were wrong.
            Err(TableError::TransactionConditionFailed { .. })
            | Err(TableError::TransactionConflict) => {
                return Err(invalid("/code", "this code was already used"));
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(tenant = %tenant, login = %login.id, "signed in with a second factor");
        Ok(started)
    }

    /// Checks a proof against the login's second factor; answers the change that spends
    /// it (the step now used, or the recovery codes left), to be written with the version
    /// condition. A wrong proof is an `Invalid` on `/code`.
    async fn check_proof(&self, login: &Login, proof: Proof<'_>) -> Result<Update, IdentityError> {
        let Some(factor) = &login.second_factor else {
            return Err(invalid("/code", "two-factor sign-in is off for this login"));
        };
        match proof {
            Proof::Code(code) => {
                let tenant = self.cx.tenant(&login.tenant).await?;
                let step = code_step(
                    &totp(&factor.secret, &tenant.name, &login.username)?,
                    code,
                    self.cx.clock.now(),
                )
                .filter(|step| *step > factor.last_step);
                match step {
                    Some(step) => Ok(Update::default().set("totp_last_step", step as i64)),
                    None => Err(invalid(
                        "/code",
                        "this code is wrong, expired or already used; wait for the next one",
                    )),
                }
            }
            Proof::RecoveryCode(code) => {
                let hash = tokens::hash(&normalise_recovery(code));
                let left: Vec<&String> = factor
                    .recovery_hashes
                    .iter()
                    .filter(|h| !tokens::same(h, &hash))
                    .collect();
                if left.len() == factor.recovery_hashes.len() {
                    return Err(invalid(
                        "/recovery_code",
                        "this recovery code is wrong or already used",
                    ));
                }
                let left: Vec<&str> = left.into_iter().map(String::as_str).collect();
                Ok(Update::default().set("recovery_codes", left.join(",")))
            }
        }
    }

    /// Starts a session after a complete sign-in; enrolment-only when the tenant requires
    /// a second factor this login has not set up.
    pub(super) async fn session_for(
        &self,
        login: &Login,
    ) -> Result<(Started, Write), IdentityError> {
        self.new_session_for(login, false).await
    }

    /// A session for the card pages only, for half an hour at most (a "fix your card"
    /// link's, once spent, and after its second step).
    pub(super) async fn card_session_for(
        &self,
        login: &Login,
    ) -> Result<(Started, Write), IdentityError> {
        self.new_session_for(login, true).await
    }

    async fn new_session_for(
        &self,
        login: &Login,
        card_only: bool,
    ) -> Result<(Started, Write), IdentityError> {
        let settings = self.cx.settings(&login.tenant).await?;
        let mut idle = Duration::minutes(i64::from(settings.idle_minutes));
        let mut absolute = Duration::hours(i64::from(settings.absolute_hours));
        if card_only {
            idle = idle.min(CARD_SESSION);
            absolute = absolute.min(CARD_SESSION);
        }
        self.sessions().new_session(
            login,
            SessionSpec {
                idle,
                absolute,
                impersonator: None,
                read_only: false,
                enrolment_only: !card_only
                    && settings
                        .requires_two_factor(matches!(login.principal, Principal::Staff { .. }))
                    && login.second_factor.is_none(),
                card_only,
            },
        )
    }

    async fn second_factor_notice(
        &self,
        login: &Login,
        change: &str,
    ) -> Result<Write, IdentityError> {
        let tenant = self.cx.tenant(&login.tenant).await?;
        let settings = self.cx.settings(&login.tenant).await?;
        let message = self.cx.mail_to_login(
            &tenant,
            &settings,
            login,
            Notice::SecondFactorChanged {
                username: &login.username,
                change,
            },
        )?;
        Ok(outbox::enqueue(&message, self.cx.clock.now()))
    }

    async fn commit_versioned(&self, writes: Vec<Write>) -> Result<(), IdentityError> {
        match self.cx.table.transact(writes).await {
            Ok(()) => Ok(()),
            Err(TableError::TransactionConditionFailed { .. })
            | Err(TableError::TransactionConflict) => Err(IdentityError::login_changed()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B: the SHA-1 secret "12345678901234567890" gives 94287082 at
    /// T = 59 s and 07081804 at T = 1111111109 s (eight digits; our six are their tail).
    #[test]
    fn codes_follow_rfc_6238() {
        let secret = Secret::new_stack(*b"12345678901234567890").to_base32();
        let code = totp(&secret, "Acme: Telecom", "sam").unwrap();
        let at = |t: i64| OffsetDateTime::from_unix_timestamp(t).unwrap();
        assert_eq!(code_step(&code, "287082", at(59)), Some(1));
        assert_eq!(
            code_step(&code, "081 804", at(1_111_111_109)),
            Some(37_037_036)
        );
        // One step of skew either way, not two.
        assert_eq!(code_step(&code, "287082", at(59 + 30)), Some(1));
        assert_eq!(code_step(&code, "287082", at(59 + 60)), None);
        assert_eq!(code_step(&code, "28708", at(59)), None);
    }

    #[test]
    fn recovery_codes_are_distinct_readable_and_match_however_typed() {
        let (RecoveryCodes(codes), hashes) = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        for (code, hash) in codes.iter().zip(&hashes) {
            assert!(
                code.chars()
                    .all(|c| c == '-' || RECOVERY_ALPHABET.contains(&(c as u8)))
            );
            let typed = format!(" {} ", code.to_uppercase().replace('-', " "));
            assert_eq!(&tokens::hash(&normalise_recovery(&typed)), hash);
        }
        let distinct: std::collections::BTreeSet<_> = hashes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
    }
}
