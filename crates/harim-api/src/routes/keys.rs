//! Platform administration of root keys: status, rotation jobs (admin role only), and the
//! revocation of platform tokens. The job logic lives in `harim_store::rotation`.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use harim_store::rotation;

use super::ApiJson;
use crate::{AppState, auth::Operator, error::ApiError};

use super::RequestId;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(keys_status))
        .routes(routes!(start_rotation))
        .routes(routes!(rotation_job))
        .routes(routes!(revoke_platform_token))
}

/// Revoke a platform token (admins): from now on it authenticates nothing. Recorded in the
/// platform's audit chain (`platform_token.revoke`). The id is the one `harim admin
/// create-token` printed.
#[utoipa::path(delete, path = "/v1/admin/platform-tokens/{token_id}", tag = "admin",
    params(("token_id" = Uuid, Path)),
    responses(
        (status = 204, description = "revoked"),
        (status = 401, body = crate::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn revoke_platform_token(
    State(state): State<AppState>,
    operator: Operator,
    RequestId(request_id): RequestId,
    Path(token_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    // Anything that is not a UUID names no token (404, as an unknown one does).
    let id = Uuid::parse_str(&token_id).map_err(|_| ApiError::NotFound)?;
    harim_store::auth::revoke_platform_token(
        &state.db,
        &state.vault,
        &operator,
        id.into(),
        request_id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Root key versions, how many tenant keys each wraps, and the current or last rotation.
#[utoipa::path(get, path = "/v1/admin/keys", tag = "admin",
    responses(
        (status = 200, body = KeysStatus),
        (status = 403, body = crate::Problem, content_type = "application/problem+json")))]
async fn keys_status(
    State(state): State<AppState>,
    operator: Operator,
) -> Result<ApiJson<KeysStatus>, ApiError> {
    operator.require_admin()?;
    Ok(ApiJson(
        rotation::status(&state.db, &state.vault).await?.into(),
    ))
}

/// Progress of a job as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    pub id: Uuid,
    /// `pending`, `running`, `done` or `failed`.
    pub state: String,
    pub target_kek_version: i32,
    pub done: i64,
    pub total: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<time::OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl From<rotation::JobView> for JobView {
    fn from(j: rotation::JobView) -> Self {
        Self {
            id: j.id,
            state: j.state,
            target_kek_version: j.target_kek_version,
            done: j.done,
            total: j.total,
            created_at: j.created_at,
            updated_at: j.updated_at,
            finished_at: j.finished_at,
            error: j.error,
        }
    }
}

/// One root key version in the status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionStatus {
    pub version: u32,
    /// `active`, `decrypt_only`, `retired` (destroyed) or `missing` (referenced by rows but
    /// unknown to the key provider: investigate).
    pub state: String,
    /// Tenant keys wrapped under this version.
    pub tenant_keys: u64,
    /// Identities whose blind indexes are under this version.
    pub blind_indexes: u64,
}

/// `GET /v1/admin/keys` and `harim keys status`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeysStatus {
    /// `file`, `env`, ...
    pub provider: String,
    pub active_version: u32,
    pub versions: Vec<VersionStatus>,
    /// The running job, or else the most recent one.
    pub rotation: Option<JobView>,
}

impl From<rotation::KeysStatus> for KeysStatus {
    fn from(s: rotation::KeysStatus) -> Self {
        Self {
            provider: s.provider,
            active_version: s.active_version,
            versions: s
                .versions
                .into_iter()
                .map(|v| VersionStatus {
                    version: v.version,
                    state: v.state.as_str().to_string(),
                    tenant_keys: v.tenant_keys,
                    blind_indexes: v.blind_indexes,
                })
                .collect(),
            rotation: s.rotation.map(JobView::from),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotationStarted {
    pub job_id: Uuid,
    /// The root version every tenant key is being re-wrapped to.
    pub target_kek_version: i32,
    /// Always true: an unfinished rotation is answered with 409 instead (the CLI's
    /// `harim keys rotate --wait` resumes it).
    pub created: bool,
}

/// Optional body of `POST /v1/admin/keys/rotate`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateIn {
    /// Rotate even if the last rotation started less than `root_rotation_min_interval_secs`
    /// ago (default one hour).
    #[serde(default)]
    pub force: bool,
}

/// Adds a new root key version (active at once) and starts re-wrapping every tenant key under
/// it in the background. Refused while a rotation is unfinished, and within
/// `root_rotation_min_interval_secs` of the last one unless `force` is set.
#[utoipa::path(post, path = "/v1/admin/keys/rotate", tag = "admin",
    request_body(content = Option<RotateIn>, description = "optional; `{}` or no body is the same as `{\"force\": false}`"),
    responses(
        (status = 202, body = RotationStarted),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 409, description = "a rotation is unfinished or ran recently, or the key provider is read-only", body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn start_rotation(
    State(state): State<AppState>,
    operator: Operator,
    RequestId(request_id): RequestId,
    body: axum::body::Bytes,
) -> Result<(StatusCode, ApiJson<RotationStarted>), ApiError> {
    operator.require_admin()?;
    // No body, `null` and `{}` all mean "not forced".
    let input: RotateIn = if body.iter().all(u8::is_ascii_whitespace) {
        RotateIn::default()
    } else {
        serde_json::from_slice::<Option<RotateIn>>(&body)
            .map_err(|_| {
                ApiError::validation_one("force", "invalid", "Send `{}` or `{\"force\": true}`.")
            })?
            .unwrap_or_default()
    };
    let brake = rotation::Brake {
        min_interval: state.config.root_rotation_min_interval,
        force: input.force,
    };
    let (job, created) =
        rotation::start(&state.db, &state.vault, &operator, request_id, brake).await?;
    if !created {
        return Err(ApiError::Conflict(
            "A root rotation is unfinished; follow it with GET /v1/admin/keys (or resume it with `harim keys rotate --wait`).",
        ));
    }
    let (db, vault, id) = (state.db.clone(), state.vault.clone(), job.id);
    let batch = state.config.root_rotation_batch;
    // This process works on it now; other replicas' background workers may join (PostgreSQL).
    tokio::spawn(async move {
        if let Err(e) = rotation::run(&db, &vault, id.into(), batch, None).await {
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
        (status = 200, body = JobView),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn rotation_job(
    State(state): State<AppState>,
    operator: Operator,
    Path(job_id): Path<Uuid>,
) -> Result<ApiJson<JobView>, ApiError> {
    operator.require_admin()?;
    Ok(ApiJson(
        rotation::JobView::from(rotation::job(&state.db, job_id.into()).await?).into(),
    ))
}
