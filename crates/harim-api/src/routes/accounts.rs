//! Sign-up, sign-in and sign-out.

use axum::{
    Extension,
    extract::{ConnectInfo, State},
    http::StatusCode,
};
use harim_store::accounts;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::ApiJson;
use crate::{
    AppState,
    auth::Caller,
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
    #[schema(format = Email, min_length = 6, max_length = 254, pattern = "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}$")]
    email: String,
    #[schema(value_type = String, min_length = 12, max_length = 256)]
    password: SecretString,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u180E\\u200B\\u2060\\uFEFF\\u202A-\\u202E\\u2066-\\u2069][^\\u0000-\\u001F\\u007F-\\u009F\\u180E\\u200B\\u2060\\uFEFF\\u202A-\\u202E\\u2066-\\u2069]*$"
    )]
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

    let id = accounts::create_account(
        &state.db,
        &state.passwords,
        &email,
        input.password,
        display_name,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(AccountOut {
            id: id.uuid(),
            email,
        }),
    ))
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
    headers: axum::http::HeaderMap,
    ApiJson(input): ApiJson<SessionIn>,
) -> Result<(StatusCode, ApiJson<SessionOut>), ApiError> {
    let email = validate::email(&input.email).unwrap_or_default();
    let client = client_ip(
        connect.map(|c| c.0.0.ip()),
        &headers,
        &state.config.trusted_proxies,
    );
    let mut buckets = vec![harim_store::login_limit::Bucket::Email(&email)];
    if let Some(ip) = client {
        buckets.push(harim_store::login_limit::Bucket::Ip(ip));
    }
    // Counted in the database, so the limit holds whichever replica the attempt reaches.
    harim_store::login_limit::attempt(
        &state.db,
        &buckets,
        state.config.login_attempts_per_minute,
        OffsetDateTime::now_utc(),
    )
    .await?
    .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;

    let session = accounts::sign_in(
        &state.db,
        &state.passwords,
        &email,
        input.password,
        state.config.session_ttl,
    )
    .await?
    .ok_or(ApiError::Unauthorized)?;
    Ok((
        StatusCode::CREATED,
        ApiJson(SessionOut {
            token: session.token.expose_secret().to_string(),
            expires_at: session.expires_at,
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
    caller: Caller,
) -> Result<StatusCode, ApiError> {
    accounts::sign_out(&state.db, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The client's address: the TCP peer, or, when the peer is a trusted load balancer, the last
/// address of `X-Forwarded-For` (the one that balancer saw; anything before it is the client's
/// own claim and could be forged).
pub(crate) fn client_ip(
    peer: Option<std::net::IpAddr>,
    headers: &axum::http::HeaderMap,
    trusted: &[std::net::IpAddr],
) -> Option<std::net::IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .and_then(|a| a.trim().parse().ok())
        .or(Some(peer))
}
