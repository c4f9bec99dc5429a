//! Sign-up, sign-in and sign-out.

use axum::{
    Extension,
    extract::{ConnectInfo, State},
    http::StatusCode,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::ApiJson;
use crate::{
    AppState,
    auth::{Principal, TokenKind, mint_token},
    entity::{account, session},
    error::ApiError,
    validate::{self, Errors},
};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_account))
        .routes(routes!(create_session))
        .routes(routes!(delete_session))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountIn {
    email: String,
    #[schema(value_type = String, min_length = 12, max_length = 256)]
    password: SecretString,
    display_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AccountOut {
    id: Uuid,
    email: String,
}

/// Create an account (a merchant or staff person).
#[utoipa::path(post, path = "/v1/accounts", tag = "accounts", security(()),
    request_body = AccountIn,
    responses(
        (status = 201, body = AccountOut),
        (status = 409, description = "e-mail already registered", body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn create_account(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<AccountIn>,
) -> Result<(StatusCode, ApiJson<AccountOut>), ApiError> {
    let mut errs = Errors::default();
    let email = validate::email(&input.email);
    if email.is_none() {
        errs.add("email", "invalid", "Must be an e-mail address.");
    }
    validate::password(&mut errs, "password", input.password.expose_secret());
    let display_name = input
        .display_name
        .as_deref()
        .map(|d| validate::label(&mut errs, "display_name", d, 100));
    errs.finish()?;
    let email = email.ok_or_else(|| ApiError::internal("validation", "email"))?;

    let hash = state.passwords.hash(input.password).await?;
    let id = Uuid::now_v7();
    let row = account::ActiveModel {
        id: Set(id),
        email: Set(email.clone()),
        password_hash: Set(hash),
        display_name: Set(display_name),
        created_at: Set(OffsetDateTime::now_utc()),
    };
    match row.insert(&state.db).await {
        Ok(_) => Ok((StatusCode::CREATED, ApiJson(AccountOut { id, email }))),
        Err(e) => match ApiError::from(e) {
            e if e.is_unique_violation() => Err(ApiError::Conflict(
                "An account with this e-mail address already exists.",
            )),
            e => Err(e),
        },
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionIn {
    email: String,
    #[schema(value_type = String)]
    password: SecretString,
}

#[derive(Serialize, ToSchema)]
pub struct SessionOut {
    /// Bearer token; shown once.
    token: String,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
}

/// Sign in. Rate limited per client address and per e-mail address.
#[utoipa::path(post, path = "/v1/sessions", tag = "accounts", security(()),
    request_body = SessionIn,
    responses(
        (status = 201, body = SessionOut),
        (status = 401, body = crate::Problem, content_type = "application/problem+json"),
        (status = 429, body = crate::Problem, content_type = "application/problem+json")))]
async fn create_session(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<std::net::SocketAddr>>>,
    ApiJson(input): ApiJson<SessionIn>,
) -> Result<(StatusCode, ApiJson<SessionOut>), ApiError> {
    let email = validate::email(&input.email).unwrap_or_default();
    state
        .login_limiter
        .check(connect.map(|c| c.0.0.ip()), &email)
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;

    let found = if email.is_empty() {
        None
    } else {
        account::Entity::find()
            .filter(account::Column::Email.eq(email))
            .one(&state.db)
            .await?
    };
    // Same argon2id work whether or not the account exists: no timing oracle.
    let ok = state
        .passwords
        .verify(
            input.password,
            found.as_ref().map(|a| a.password_hash.clone()),
        )
        .await?;
    let account = match (ok, found) {
        (true, Some(a)) => a,
        _ => return Err(ApiError::Unauthorized),
    };

    let token = mint_token(TokenKind::Session);
    let now = OffsetDateTime::now_utc();
    let expires_at = now + state.config.session_ttl;
    session::ActiveModel {
        token_hash: Set(token.digest),
        account_id: Set(account.id),
        created_at: Set(now),
        expires_at: Set(expires_at),
    }
    .insert(&state.db)
    .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(SessionOut {
            token: token.token.expose_secret().to_string(),
            expires_at,
        }),
    ))
}

/// Sign out: the current session token stops working at once.
#[utoipa::path(delete, path = "/v1/sessions/current", tag = "accounts",
    responses(
        (status = 204, description = "signed out"),
        (status = 401, body = crate::Problem, content_type = "application/problem+json")))]
async fn delete_session(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<StatusCode, ApiError> {
    match principal {
        Principal::Account { session_digest, .. } => {
            session::Entity::delete_by_id(session_digest)
                .exec(&state.db)
                .await?;
            Ok(StatusCode::NO_CONTENT)
        }
        _ => Err(ApiError::Forbidden("Only a session can be signed out.")),
    }
}
