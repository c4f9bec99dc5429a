//! Privacy events to the platform's other systems: endpoints (platform admins), their
//! deliveries and replays. Sending is `harim_store::privacy_events`'s worker.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use harim_store::privacy_events::{self, Delivery, Endpoint};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::ApiJson;
use crate::{AppState, auth::Operator, error::ApiError};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_endpoint, list_endpoints))
        .routes(routes!(endpoint_deliveries))
        .routes(routes!(replay))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointIn {
    /// https (http only to localhost or 127.0.0.1).
    url: String,
    /// Of customer.data_request, customer.redact, shop.data_request, shop.redact,
    /// consent.changed, policy.published.
    topics: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EndpointOut {
    #[schema(value_type = Object)]
    #[serde(flatten)]
    endpoint: Endpoint,
    /// `whsec_…`, shown this once: the key of every signature this endpoint will get.
    secret: String,
}

#[utoipa::path(post, path = "/v1/admin/webhook-endpoints", tag = "admin",
    request_body = EndpointIn,
    responses(
        (status = 201, body = EndpointOut),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn create_endpoint(
    State(state): State<AppState>,
    operator: Operator,
    ApiJson(input): ApiJson<EndpointIn>,
) -> Result<
    (
        StatusCode,
        [(axum::http::HeaderName, &'static str); 1],
        ApiJson<EndpointOut>,
    ),
    ApiError,
> {
    let (endpoint, secret) = privacy_events::create_endpoint(
        &state.db,
        &state.vault,
        &operator,
        input.url,
        input.topics,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        ApiJson(EndpointOut {
            endpoint,
            secret: secret.expose_secret().to_string(),
        }),
    ))
}

#[utoipa::path(get, path = "/v1/admin/webhook-endpoints", tag = "admin",
    responses(
        (status = 200, body = Vec<Object>),
        (status = 403, body = crate::Problem, content_type = "application/problem+json")))]
async fn list_endpoints(
    State(state): State<AppState>,
    operator: Operator,
) -> Result<ApiJson<Vec<Endpoint>>, ApiError> {
    Ok(ApiJson(
        privacy_events::endpoints(&state.db, &operator).await?,
    ))
}

fn endpoint_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound)
}

#[utoipa::path(get, path = "/v1/admin/webhook-endpoints/{id}/deliveries", tag = "admin",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Vec<Object>),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn endpoint_deliveries(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<ApiJson<Vec<Delivery>>, ApiError> {
    let id = endpoint_id(&id)?;
    Ok(ApiJson(
        privacy_events::deliveries(&state.db, &operator, id).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayIn {
    /// The events to send again (whatever their state); absent: every dead-lettered one.
    event_ids: Option<Vec<Uuid>>,
}

#[derive(Serialize, ToSchema)]
pub struct ReplayOut {
    replayed: u64,
}

#[utoipa::path(post, path = "/v1/admin/webhook-endpoints/{id}/replay", tag = "admin",
    params(("id" = Uuid, Path)), request_body = ReplayIn,
    responses(
        (status = 202, body = ReplayOut),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn replay(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReplayIn>,
) -> Result<(StatusCode, ApiJson<ReplayOut>), ApiError> {
    let id = endpoint_id(&id)?;
    if input
        .event_ids
        .as_ref()
        .is_some_and(|e| e.is_empty() || e.len() > 1000)
    {
        return Err(ApiError::Validation(vec![harim_violation::Violation::new(
            "event_ids",
            "length",
            "1 to 1,000 event ids, or none for every dead-lettered event.",
        )]));
    }
    let replayed =
        privacy_events::replay(&state.db, &state.vault, &operator, id, input.event_ids).await?;
    state.outbox_wake.notify_one();
    Ok((StatusCode::ACCEPTED, ApiJson(ReplayOut { replayed })))
}
