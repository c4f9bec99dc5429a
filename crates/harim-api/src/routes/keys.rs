//! Platform administration of root keys: status, rotation jobs (admin role only). The job logic
//! lives in `crate::rotation`.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::ApiJson;
use crate::{
    AppState,
    auth::{PlatformPrincipal, PlatformRole},
    error::ApiError,
    rotation::{self, KeysStatus},
};

use super::identity::RequestId;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(keys_status))
        .routes(routes!(start_rotation))
        .routes(routes!(rotation_job))
}

fn require_admin(p: &PlatformPrincipal) -> Result<(), ApiError> {
    if p.role != PlatformRole::Admin {
        return Err(ApiError::Forbidden("Platform admins only."));
    }
    Ok(())
}

fn actor(p: &PlatformPrincipal) -> String {
    format!("platform_{}:{}", p.role.as_str(), p.token_id)
}

/// Root key versions, how many tenant keys each wraps, and the current or last rotation.
#[utoipa::path(get, path = "/v1/admin/keys", tag = "admin",
    responses(
        (status = 200, body = KeysStatus),
        (status = 403, body = crate::Problem, content_type = "application/problem+json")))]
async fn keys_status(
    State(state): State<AppState>,
    operator: PlatformPrincipal,
) -> Result<ApiJson<KeysStatus>, ApiError> {
    require_admin(&operator)?;
    Ok(ApiJson(rotation::status(&state.db, &state.vault).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotationStarted {
    pub job_id: Uuid,
    /// The root version every tenant key is being re-wrapped to.
    pub target_kek_version: i32,
    /// False when an unfinished rotation existed: that job is returned (and resumed).
    pub created: bool,
}

/// Adds a new root key version (active at once) and starts re-wrapping every tenant key under
/// it in the background. An unfinished rotation is resumed instead of starting another.
#[utoipa::path(post, path = "/v1/admin/keys/rotate", tag = "admin",
    responses(
        (status = 202, body = RotationStarted),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 409, description = "key provider is read-only", body = crate::Problem, content_type = "application/problem+json")))]
async fn start_rotation(
    State(state): State<AppState>,
    operator: PlatformPrincipal,
    RequestId(request_id): RequestId,
) -> Result<(StatusCode, ApiJson<RotationStarted>), ApiError> {
    require_admin(&operator)?;
    let (job, created) =
        rotation::start(&state.db, &state.vault, &actor(&operator), request_id).await?;
    let (db, vault, id) = (state.db.clone(), state.vault.clone(), job.id);
    // This process works on it now; other replicas' background workers may join (PostgreSQL).
    tokio::spawn(async move {
        if let Err(e) = rotation::run(&db, &vault, id, rotation::DEFAULT_BATCH, None).await {
            tracing::error!(job = %id, error = %e, "key rotation failed");
        }
    });
    Ok((
        StatusCode::ACCEPTED,
        ApiJson(RotationStarted {
            job_id: job.id,
            target_kek_version: job.target_kek_version,
            created,
        }),
    ))
}

/// Progress of one rotation job.
#[utoipa::path(get, path = "/v1/admin/keys/rotations/{job_id}", tag = "admin",
    params(("job_id" = Uuid, Path)),
    responses(
        (status = 200, body = rotation::JobView),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn rotation_job(
    State(state): State<AppState>,
    operator: PlatformPrincipal,
    Path(job_id): Path<Uuid>,
) -> Result<ApiJson<rotation::JobView>, ApiError> {
    require_admin(&operator)?;
    Ok(ApiJson(rotation::job(&state.db, job_id).await?.into()))
}
