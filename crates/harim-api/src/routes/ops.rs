//! Operations endpoints: liveness, readiness, metrics, the OpenAPI document and its viewer.

use std::sync::OnceLock;

use axum::{
    Extension,
    extract::State,
    http::{StatusCode, header},
    response::{Html, IntoResponse},
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{AppState, error::ApiError};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .routes(routes!(openapi_json))
        .routes(routes!(docs))
        .routes(routes!(docs_script))
}

/// The process-wide Prometheus recorder, installed on first use.
pub fn prometheus() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let buckets = [
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ];
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &buckets,
                )
                .ok()?
                .install_recorder()
                .ok()
        })
        .as_ref()
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", security(()),
    responses((status = 200, description = "alive", body = String)))]
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations", security(()),
    responses(
        (status = 200, description = "ready", body = String),
        (status = 503, description = "a dependency is down", body = crate::Problem, content_type = "application/problem+json")))]
async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    if state.draining.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(ApiError::Unavailable(
            "This instance is shutting down; send new requests elsewhere.",
        ));
    }
    harim_store::db::ping(&state.db)
        .await
        .map_err(|_| ApiError::Unavailable("The database is not reachable."))?;
    if let Err(e) = state.documents.check().await {
        tracing::warn!(error = %e, "readyz: object store check failed");
        return Err(ApiError::Unavailable(
            "The document store is not reachable.",
        ));
    }
    Ok("ready")
}

/// Prometheus text exposition: `http_requests_total` and `http_request_duration_seconds` by
/// method, matched route and status. Needs a platform token (any role; Prometheus sends it as
/// `authorization: Bearer`) unless `metrics_public` is set: route names, rates and error counts
/// tell an outsider more than they should.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String),
        (status = 401, body = crate::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::Problem, content_type = "application/problem+json")))]
async fn metrics(
    State(state): State<AppState>,
    mut parts: axum::http::request::Parts,
) -> Result<impl IntoResponse, ApiError> {
    if !state.config.metrics_public {
        use axum::extract::FromRequestParts;
        crate::auth::Operator::from_request_parts(&mut parts, &state).await?;
    }
    let body = prometheus()
        .map(PrometheusHandle::render)
        .unwrap_or_default();
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body))
}

/// The OpenAPI document as served. The app builder hands it in (`startup::app`): the document
/// is made from the router this handler is part of, so this module cannot make it itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec(pub(crate) &'static str);

/// This document. Public and the same for every caller, so it is not `no-store` (caches keep
/// it but revalidate) and is compressed when `Accept-Encoding` allows.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", security(()),
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
async fn openapi_json(Extension(Spec(spec)): Extension<Spec>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        spec,
    )
}

/// Interactive API documentation (RapiDoc, served from this binary), reading `/openapi.json`.
#[utoipa::path(get, path = "/docs", tag = "operations", security(()),
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
async fn docs() -> Html<&'static str> {
    Html(include_str!("docs.html"))
}

/// The viewer's script, vendored (see `assets/README.md`) so the docs work without a CDN.
#[utoipa::path(get, path = "/docs/rapidoc-min.js", tag = "operations", security(()),
    responses((status = 200, description = "JavaScript, gzip-encoded", content_type = "text/javascript")))]
async fn docs_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CONTENT_ENCODING, "gzip"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_bytes!("../../assets/rapidoc-min.js.gz").as_slice(),
    )
}
