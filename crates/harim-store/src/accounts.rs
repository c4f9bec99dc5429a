//! Accounts and sessions: sign-up, sign-in, sign-out.

use std::time::Duration;

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use secrecy::SecretString;
use time::OffsetDateTime;

use crate::{
    StoreError,
    auth::{Passwords, Principal, TokenKind, mint_token},
    entity::{account, redacted::RedactedString, session},
    ids::AccountId,
};

/// Proves the signed-in person is `account`'s owner by its password, before something that
/// cannot be undone (an erasure). Each attempt counts against the account's limit first
/// ([`crate::login_limit::REAUTH_ATTEMPTS_PER_MINUTE`]), so no more than that many argon2id
/// computations and guesses a minute, on every replica together; over it:
/// [`StoreError::RateLimited`]. A wrong password is [`StoreError::Forbidden`] with `refusal`
/// (the caller failed to prove who it is; not a malformed field).
pub(crate) async fn reauthenticate(
    db: &sea_orm::DatabaseConnection,
    passwords: &Passwords,
    account_id: AccountId,
    password: SecretString,
    refusal: &'static str,
) -> Result<account::Model, StoreError> {
    crate::login_limit::attempt(
        db,
        &[crate::login_limit::Bucket::Reauth(account_id.uuid())],
        crate::login_limit::REAUTH_ATTEMPTS_PER_MINUTE,
        OffsetDateTime::now_utc(),
    )
    .await?
    .map_err(|retry_after_secs| StoreError::RateLimited { retry_after_secs })?;
    let acct = account::Entity::find_by_id(account_id.uuid())
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    if !passwords
        .verify(password, Some(acct.password_hash.0.clone()))
        .await?
    {
        return Err(StoreError::Forbidden(refusal));
    }
    Ok(acct)
}

/// A new person's account; the e-mail address is already validated and normalised.
pub async fn create_account(
    db: &impl ConnectionTrait,
    passwords: &Passwords,
    email: &str,
    password: SecretString,
    display_name: Option<String>,
) -> Result<AccountId, StoreError> {
    let hash = passwords.hash(password).await?;
    let id = AccountId::new();
    let row = account::ActiveModel {
        id: Set(id.uuid()),
        email: Set(email.to_string()),
        password_hash: Set(RedactedString(hash)),
        display_name: Set(display_name),
        created_at: Set(OffsetDateTime::now_utc()),
    };
    match row.insert(db).await.map_err(StoreError::from) {
        Ok(_) => Ok(id),
        Err(e) if e.is_unique_violation() => Err(StoreError::Conflict(
            "An account with this e-mail address already exists.",
        )),
        Err(e) => Err(e),
    }
}

/// A session's bearer token, shown once.
#[derive(Debug)]
pub struct NewSession {
    pub token: SecretString,
    pub expires_at: OffsetDateTime,
}

/// Signs in: a new session if `password` is right, `None` otherwise. The same argon2id work is
/// done whether or not the account exists (no timing oracle). An empty `email` matches nothing.
pub async fn sign_in(
    db: &impl ConnectionTrait,
    passwords: &Passwords,
    email: &str,
    password: SecretString,
    ttl: Duration,
) -> Result<Option<NewSession>, StoreError> {
    let found = if email.is_empty() {
        None
    } else {
        account::Entity::find()
            .filter(account::Column::Email.eq(email))
            .one(db)
            .await?
    };
    let ok = passwords
        .verify(password, found.as_ref().map(|a| a.password_hash.0.clone()))
        .await?;
    let account = match (ok, found) {
        (true, Some(a)) => a,
        _ => return Ok(None),
    };
    let token = mint_token(TokenKind::Session);
    let now = OffsetDateTime::now_utc();
    let expires_at = now + ttl;
    session::ActiveModel {
        token_hash: Set(token.digest),
        account_id: Set(account.id),
        created_at: Set(now),
        expires_at: Set(expires_at),
    }
    .insert(db)
    .await?;
    Ok(Some(NewSession {
        token: token.token,
        expires_at,
    }))
}

/// Signs out: the caller's session token stops working at once.
pub async fn sign_out(db: &impl ConnectionTrait, principal: &Principal) -> Result<(), StoreError> {
    match principal {
        Principal::Account { session_digest, .. } => {
            session::Entity::delete_by_id(session_digest.clone())
                .exec(db)
                .await?;
            Ok(())
        }
        _ => Err(StoreError::Forbidden("Only a session can be signed out.")),
    }
}
