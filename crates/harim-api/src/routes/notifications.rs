//! The notification gate: a message to a customer is decided here and queued, or refused with a
//! stable code; SMS providers' inbound hooks turn "stop" replies into suppressions.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use harim_notify::{Channel, Kind};
use harim_store::{
    ids::CustomerId,
    notify::{self, Request, Status},
};
use secrecy::ExposeSecret;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::ApiJson;
use crate::{AppState, error::ApiError, scope::ShopCtx};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(submit))
        .routes(routes!(get_notification))
        .routes(routes!(inbound_sms))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationIn {
    customer_id: String,
    #[schema(value_type = String)]
    channel: Channel,
    #[schema(value_type = String)]
    kind: Kind,
    /// `order_placed`, `order_shipped`, `verification_code`, `marketing`.
    template: String,
    #[serde(default)]
    values: BTreeMap<String, String>,
    /// The same id again answers the first request's notification.
    request_id: Option<String>,
}

#[derive(serde::Serialize, ToSchema)]
pub struct NotificationOut {
    id: Uuid,
    /// `queued`, `sent`, `failed`.
    state: String,
    provider_message_id: Option<String>,
}

impl From<Status> for NotificationOut {
    fn from(s: Status) -> Self {
        Self {
            id: s.id,
            state: s.state,
            provider_message_id: s.provider_message_id,
        }
    }
}

#[utoipa::path(post, path = "/v1/shops/{shop_id}/notifications", tag = "notifications",
    params(("shop_id" = Uuid, Path)), request_body = NotificationIn,
    responses((status = 202, body = NotificationOut),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 409, description = "refused: `code` is not-enabled, no-consent, suppressed or quiet-hours", body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn submit(
    State(state): State<AppState>,
    tenant: ShopCtx,
    ApiJson(input): ApiJson<NotificationIn>,
) -> Result<(StatusCode, ApiJson<NotificationOut>), ApiError> {
    let customer = CustomerId::parse_public(&input.customer_id).ok_or(ApiError::NotFound)?;
    if let Some(r) = &input.request_id
        && (r.is_empty() || r.len() > 128 || r.chars().any(char::is_control))
    {
        return Err(ApiError::Validation(vec![harim_violation::Violation::new(
            "request_id",
            "invalid",
            "1 to 128 characters, no control characters.",
        )]));
    }
    let decided = notify::submit(
        &state.db,
        &state.vault,
        &tenant,
        Request {
            customer,
            channel: input.channel,
            kind: input.kind,
            template: input.template,
            values: input.values,
            request_id: input.request_id,
        },
        state.clock.now(),
    )
    .await?;
    match decided {
        Ok(s) => {
            state.outbox_wake.notify_one();
            Ok((StatusCode::ACCEPTED, ApiJson(s.into())))
        }
        Err(r) => Err(ApiError::Refused {
            code: r.code(),
            detail: r.detail(),
        }),
    }
}

#[utoipa::path(get, path = "/v1/shops/{shop_id}/notifications/{id}", tag = "notifications",
    params(("shop_id" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = NotificationOut),
        (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn get_notification(
    State(state): State<AppState>,
    tenant: ShopCtx,
    Path((_, id)): Path<(String, String)>,
) -> Result<ApiJson<NotificationOut>, ApiError> {
    let id = Uuid::try_parse(&id).map_err(|_| ApiError::NotFound)?;
    Ok(ApiJson(notify::get(&state.db, &tenant, id).await?.into()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HookQuery {
    /// The installation's `HARIM_SMS_INBOUND_TOKEN`.
    token: Option<String>,
}

/// The inbound-message form of both providers: Kavenegar posts `from` and `message`,
/// Unifonic `Sender` and `Body`.
#[derive(Deserialize, ToSchema)]
pub struct InboundIn {
    from: Option<String>,
    message: Option<String>,
    #[serde(rename = "Sender")]
    sender: Option<String>,
    #[serde(rename = "Body")]
    body: Option<String>,
}

#[utoipa::path(post, path = "/v1/hooks/sms/{provider}", tag = "notifications", security(()),
    params(("provider" = String, Path), HookQuery),
    request_body(content = InboundIn, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "received; a stop keyword suppresses marketing to the number at once"),
        (status = 401, body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn inbound_sms(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    Query(q): Query<HookQuery>,
    axum::extract::Form(input): axum::extract::Form<InboundIn>,
) -> Result<Response, ApiError> {
    if provider != "kavenegar" && provider != "unifonic" {
        return Err(ApiError::NotFound);
    }
    let Some(expected) = &state.notify.inbound_token else {
        return Err(ApiError::Unauthorized);
    };
    let given = q.token.unwrap_or_default();
    if !bool::from(given.as_bytes().ct_eq(expected.expose_secret().as_bytes())) {
        return Err(ApiError::Unauthorized);
    }
    let (from, text) = match (input.from.or(input.sender), input.message.or(input.body)) {
        (Some(f), Some(t)) => (f, t),
        _ => {
            return Err(ApiError::Validation(vec![harim_violation::Violation::new(
                "from",
                "required",
                "The sender and the text of the message are needed.",
            )]));
        }
    };
    let country = state.notify.inbound_country.or(match provider.as_str() {
        "kavenegar" => Some("IR"),
        _ => Some("SA"),
    });
    let shops = notify::inbound_sms(&state.db, &state.vault, &from, &text, country).await?;
    Ok((
        StatusCode::OK,
        ApiJson(serde_json::json!({"received": true, "shops_suppressed": shops})),
    )
        .into_response())
}
