//! Credentials: password hashing, bearer tokens, and who a token belongs to ([`Principal`]).
//!
//! Tokens are 256-bit random values with a short type prefix (`hs_` session, `hk_` API key,
//! `ha_` platform). Only their SHA-256 digests are stored; a lookup finds the row by digest and
//! the digest is compared again in constant time, so neither the database index nor our code
//! leaks a prefix-match timing.

use std::{sync::Arc, time::Duration};

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::{
    StoreError,
    entity::{api_key, platform_token, session},
    ids::{AccountId, ApiKeyId, PlatformTokenId, ShopId},
    roles::{PlatformRole, ShopRole},
};

/// What a token is for; the prefix makes leaked tokens recognisable to secret scanners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Session,
    ApiKey,
    Platform,
    /// A staff invitation, handed to the invitee; never a bearer token.
    Invitation,
}

impl TokenKind {
    pub fn prefix(self) -> &'static str {
        match self {
            TokenKind::Session => "hs_",
            TokenKind::ApiKey => "hk_",
            TokenKind::Platform => "ha_",
            TokenKind::Invitation => "hi_",
        }
    }
}

/// A freshly minted token: shown to its owner once, stored only as `digest`.
pub struct NewToken {
    pub token: SecretString,
    pub digest: Vec<u8>,
}

pub fn mint_token(kind: TokenKind) -> NewToken {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let token = format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(raw));
    let digest = token_digest(&token);
    NewToken {
        token: SecretString::from(token),
        digest,
    }
}

pub fn token_digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub fn digests_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// What an API key was limited to at its creation (nothing, by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyLimits {
    /// The key reaches only the customer routes (`scopes: ["customers"]`).
    pub customers_only: bool,
    /// The customer reveal purposes the key may use; `None`: all of them.
    pub reveal_purposes: Option<Vec<String>>,
}

impl KeyLimits {
    fn of(k: &api_key::Model) -> Self {
        Self {
            customers_only: k.scopes.as_deref() == Some("customers"),
            reveal_purposes: k
                .reveal_purposes
                .as_deref()
                .map(|p| p.split(',').map(str::to_string).collect()),
        }
    }
}

/// Who is calling, established from the bearer token.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A person signed in with a session.
    Account {
        account_id: AccountId,
        session_digest: Vec<u8>,
    },
    /// A shop's API key: acts for that shop only.
    ApiKey {
        shop: ShopId,
        key_id: ApiKeyId,
        role: ShopRole,
        limits: KeyLimits,
    },
    /// A platform operator token.
    Platform {
        token_id: PlatformTokenId,
        role: PlatformRole,
    },
}

impl Principal {
    /// A stable, non-secret description for audit records: `account:<id>`, `api_key:<id>`, ...
    pub fn actor(&self) -> String {
        match self {
            Principal::Account { account_id, .. } => format!("account:{account_id}"),
            Principal::ApiKey { key_id, .. } => format!("api_key:{key_id}"),
            Principal::Platform { token_id, role } => {
                format!("platform_{}:{token_id}", role.as_str())
            }
        }
    }

    /// The signed-in person, or [`StoreError::Forbidden`] for keys and platform tokens.
    pub fn account_id(&self) -> Result<AccountId, StoreError> {
        match self {
            Principal::Account { account_id, .. } => Ok(*account_id),
            _ => Err(StoreError::Forbidden(
                "This action needs a signed-in account.",
            )),
        }
    }

    pub fn platform_role(&self) -> Option<PlatformRole> {
        match self {
            Principal::Platform { role, .. } => Some(*role),
            _ => None,
        }
    }
}

/// Who holds `token` (a well-formed `hs_`/`hk_`/`ha_` token), or `None` for an unknown, expired or
/// malformed one.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<Principal>, StoreError> {
    let digest = token_digest(token);
    Ok(match token.get(..3) {
        Some("hs_") => session::Entity::find_by_id(digest.clone())
            .one(db)
            .await?
            .filter(|s| digests_equal(&s.token_hash, &digest))
            .filter(|s| s.expires_at > OffsetDateTime::now_utc())
            .map(|s| Principal::Account {
                account_id: s.account_id.into(),
                session_digest: digest.clone(),
            }),
        Some("hk_") => {
            let key = api_key::Entity::find()
                .filter(api_key::Column::KeyHash.eq(digest.clone()))
                .one(db)
                .await?
                .filter(|k| digests_equal(&k.key_hash, &digest));
            if let Some(k) = &key {
                note_use(db, k, OffsetDateTime::now_utc()).await;
            }
            key.map(|k| Principal::ApiKey {
                shop: k.tenant_id.into(),
                key_id: k.id.into(),
                role: k.role,
                limits: KeyLimits::of(&k),
            })
        }
        Some("ha_") => platform_token::Entity::find()
            .filter(platform_token::Column::TokenHash.eq(digest.clone()))
            .one(db)
            .await?
            .filter(|t| digests_equal(&t.token_hash, &digest))
            .filter(|t| t.live_at(OffsetDateTime::now_utc()))
            .map(|t| Principal::Platform {
                token_id: t.id.into(),
                role: t.role,
            }),
        _ => None,
    })
}

/// How stale an API key's `last_used_at` may get before authentication refreshes it. The
/// unused-key retention counts in days, so one write per key and day is precise enough and
/// keeps the common authenticated request at its one statement.
pub const LAST_USE_RESOLUTION: time::Duration = time::Duration::days(1);

/// Refreshes `last_used_at` when it is older than [`LAST_USE_RESOLUTION`]. Conditional, so
/// concurrent requests of one key write once. A failure is logged, not returned: refusing a
/// valid key because a bookkeeping write failed would be worse than a late timestamp, which
/// only matters after `api_key_unused_days` of failures.
async fn note_use(db: &impl ConnectionTrait, k: &api_key::Model, now: OffsetDateTime) {
    let stale = now - LAST_USE_RESOLUTION;
    if k.last_used_at.is_some_and(|t| t > stale) {
        return;
    }
    let r = db
        .execute(crate::db::statement(
            db,
            "UPDATE api_keys SET last_used_at = $1 WHERE tenant_id = $2 AND id = $3 \
             AND (last_used_at IS NULL OR last_used_at <= $4)",
            [now.into(), k.tenant_id.into(), k.id.into(), stale.into()],
        ))
        .await;
    if let Err(e) = r {
        tracing::warn!(key = %k.id, error = %e, "recording an API key's last use failed");
    }
}

/// How long a platform token lives unless its maker says otherwise (`--ttl-days`).
pub const PLATFORM_TOKEN_DEFAULT_TTL_DAYS: u32 = 90;

/// The longest lifetime a platform token may be given: an operator credential that outlives
/// the people and machines holding it is what expiry exists to prevent.
pub const PLATFORM_TOKEN_MAX_TTL_DAYS: u32 = 366;

/// A platform token just made: shown once; `id` is what revokes it.
pub struct NewPlatformToken {
    pub id: PlatformTokenId,
    pub token: SecretString,
    pub expires_at: OffsetDateTime,
}

impl std::fmt::Debug for NewPlatformToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewPlatformToken")
            .field("id", &self.id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Mints a platform token that lives `ttl_days` (1 to [`PLATFORM_TOKEN_MAX_TTL_DAYS`]; used by
/// `harim admin create-token`); returns it once.
pub async fn create_platform_token(
    db: &impl ConnectionTrait,
    role: PlatformRole,
    name: &str,
    ttl_days: u32,
) -> Result<NewPlatformToken, StoreError> {
    if !(1..=PLATFORM_TOKEN_MAX_TTL_DAYS).contains(&ttl_days) {
        return Err(StoreError::rejected(
            "ttl_days",
            "out_of_range",
            "A platform token lives 1 to 366 days.",
        ));
    }
    let token = mint_token(TokenKind::Platform);
    let id = Uuid::now_v7();
    let now = OffsetDateTime::now_utc();
    let expires_at = now + time::Duration::days(i64::from(ttl_days));
    platform_token::ActiveModel {
        id: Set(id),
        token_hash: Set(token.digest),
        name: Set(name.to_string()),
        role: Set(role),
        created_at: Set(now),
        expires_at: Set(Some(expires_at)),
    }
    .insert(db)
    .await?;
    Ok(NewPlatformToken {
        id: id.into(),
        token: token.token,
        expires_at,
    })
}

/// Revokes platform token `id` (platform admins, or the command line): from the commit on it
/// authenticates nothing, on any replica (every request reads the token's row). Recorded in the
/// platform's chain first, in the same transaction as the deletion. An unknown id is
/// [`StoreError::NotFound`] and leaves no entry.
pub async fn revoke_platform_token(
    db: &sea_orm::DatabaseConnection,
    vault: &harim_vault::Vault,
    operator: &crate::scope::PlatformScope,
    id: PlatformTokenId,
    request_id: Option<String>,
) -> Result<(), StoreError> {
    operator.require_admin()?;
    let event = crate::audit::Event {
        actor: operator.actor(),
        action: crate::audit::Action::PlatformTokenRevoke,
        fields: vec![format!("platform_token:{id}")],
        purpose: None,
        request_id,
    };
    let revoked = crate::tx::audited(db, vault, crate::ids::PLATFORM_TENANT, event, move |txn| {
        Box::pin(async move {
            let n = txn
                .execute(crate::db::statement(
                    txn,
                    "DELETE FROM platform_tokens WHERE id = $1",
                    [id.uuid().into()],
                ))
                .await?
                .rows_affected();
            // Nothing revoked, nothing recorded: the entry goes with the rollback.
            Ok(if n == 1 {
                crate::tx::Finish::Commit(true)
            } else {
                crate::tx::Finish::Rollback(false)
            })
        })
    })
    .await?;
    if revoked {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

/// Argon2id hashing on blocking threads, behind a semaphore so a login flood queues instead of
/// starving the async runtime or exhausting memory (each hash holds `m` KiB).
#[derive(Clone)]
pub struct Passwords {
    /// Its own threads at a lowered priority (`hash_pool`), so a sign-in flood cannot take the
    /// CPU from request handling.
    pool: crate::hash_pool::HashPool,
    permits: Arc<Semaphore>,
    /// A real hash of a random password: unknown e-mails are verified against it so the work,
    /// and so the time, is the same as for a known one.
    dummy_hash: Arc<str>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords").finish_non_exhaustive()
    }
}

/// OWASP Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1.
pub const ARGON2_M_KIB: u32 = 19 * 1024;
pub const ARGON2_T: u32 = 2;
pub const ARGON2_P: u32 = 1;

/// How long a caller waits for a hashing slot before getting 503.
const HASH_QUEUE_WAIT: Duration = Duration::from_secs(10);

impl Passwords {
    pub fn new(concurrency: usize) -> Result<Self, StoreError> {
        let params = Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None)
            .map_err(|e| StoreError::internal("argon2 params", e))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut random = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut random);
        let salt = SaltString::generate(&mut OsRng);
        let dummy_hash = argon
            .hash_password(&random, &salt)
            .map_err(|e| StoreError::internal("argon2 dummy", e))?
            .to_string();
        Ok(Self {
            pool: crate::hash_pool::HashPool::new(concurrency.max(1), &argon)?,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: dummy_hash.into(),
        })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Argon2<'static>) -> T + Send + 'static,
    ) -> Result<T, StoreError> {
        // One permit per hashing thread: a caller waits here (and gets 503 after the wait), not
        // in an unbounded queue of the pool.
        let permit = tokio::time::timeout(HASH_QUEUE_WAIT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| StoreError::Unavailable("Too many sign-ins at once; retry shortly."))?
            .map_err(|e| StoreError::internal("semaphore", e))?;
        let out = self.pool.run(f).await;
        drop(permit);
        out
    }

    pub async fn hash(&self, password: SecretString) -> Result<String, StoreError> {
        self.blocking(move |argon| {
            let salt = SaltString::generate(&mut OsRng);
            argon
                .hash_password(password.expose_secret().as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| StoreError::internal("argon2 hash", e))
        })
        .await?
    }

    /// Verifies `password` against `stored`, or against the dummy hash when there is no account,
    /// always doing one full argon2id computation.
    pub async fn verify(
        &self,
        password: SecretString,
        stored: Option<String>,
    ) -> Result<bool, StoreError> {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.to_string());
        let ok = self
            .blocking(move |argon| match PasswordHash::new(&hash) {
                Ok(parsed) => argon
                    .verify_password(password.expose_secret().as_bytes(), &parsed)
                    .is_ok(),
                Err(_) => false,
            })
            .await?;
        Ok(ok && known)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_are_prefixed_random_and_only_their_digest_matches() {
        let a = mint_token(TokenKind::Session);
        let b = mint_token(TokenKind::Session);
        assert!(a.token.expose_secret().starts_with("hs_"));
        assert_eq!(a.token.expose_secret().len(), 46);
        assert_ne!(a.token.expose_secret(), b.token.expose_secret());
        assert_eq!(token_digest(a.token.expose_secret()), a.digest);
        assert!(!digests_equal(&a.digest, &b.digest));
    }

    #[tokio::test]
    async fn verify_accepts_the_right_password_only_and_never_an_unknown_account() {
        let p = Passwords::new(2).unwrap();
        let h = p
            .hash(SecretString::from("correct horse battery"))
            .await
            .unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            p.verify(SecretString::from("correct horse battery"), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(
            !p.verify(SecretString::from("wrong horse battery"), Some(h))
                .await
                .unwrap()
        );
        assert!(
            !p.verify(SecretString::from("anything"), None)
                .await
                .unwrap()
        );
    }
}
