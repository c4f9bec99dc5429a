//! The tower stack every request passes through, and request telemetry.
//!
//! Order, outermost first: request id → sensitive-header redaction → trace span (matched route,
//! request id; never bodies or credentials) → metrics → response compression (JSON that is not
//! `no-store`, see [`CompressibleJson`]) → security headers (`nosniff`, `no-store`, the CSP of
//! `/docs`) → problem+json normaliser → panic catcher → timeout → body limit → router.

use std::{any::Any, time::Instant};

use axum::{
    Router,
    body::{Body, HttpBody},
    extract::{MatchedPath, Request},
    http::{HeaderMap, HeaderName, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::{
        CompressionLayer, CompressionLevel,
        predicate::{DefaultPredicate, Predicate},
    },
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    sensitive_headers::SetSensitiveHeadersLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{ApiConfig, AppState, error::ApiError};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    // The payload may hold anything, including values; it is not logged here. The panic hook
    // has already printed the location.
    ApiError::Internal("handler panicked".into()).into_response()
}

/// Turns any error response that is not yet problem+json (a layer's 413 or 408, a bare status
/// from an extractor) into one, so clients meet one error format everywhere.
async fn problemify(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if is_problem {
        return resp;
    }
    let err = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => ApiError::Timeout,
        StatusCode::NOT_FOUND => ApiError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::UnsupportedMediaType("This content type is not accepted here.".into())
        }
        StatusCode::UNAUTHORIZED => ApiError::Unauthorized,
        s if s.is_client_error() => {
            ApiError::BadRequest("The request could not be processed.".into())
        }
        _ => ApiError::Internal(format!("bare {status} from a layer")),
    };
    let mut out = err.into_response();
    // Keep headers a layer set on purpose (Allow, Retry-After, request id).
    for name in [header::ALLOW, header::RETRY_AFTER, REQUEST_ID] {
        if let Some(v) = resp.headers().get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}

/// The viewer's page may run only its own, vendored script and read only this origin.
/// RapiDoc styles its shadow DOM inline, hence `'unsafe-inline'` for styles (never for scripts).
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     connect-src 'self'; img-src 'self' data:; font-src 'self' data:; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'none'";

/// Every response: `nosniff`, and `no-store` unless the route chose its own caching (the public
/// policy pages and the vendored script do). API bodies carry tokens, identity values and audit
/// data; no shared or browser cache may keep them. `/docs` also gets its CSP here.
async fn security_headers(req: Request, next: Next) -> Response {
    let is_docs = req.uri().path() == "/docs";
    let mut resp = next.run(req).await;
    let resp_is_unavailable = resp.status() == StatusCode::SERVICE_UNAVAILABLE;
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    // Every 503 (a dependency down, a timeout) says when to come back.
    if resp_is_unavailable && !h.contains_key(header::RETRY_AFTER) {
        h.insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    }
    if is_docs && !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static(DOCS_CSP),
        );
    }
    resp
}

/// What the compression layer may compress, besides tower-http's defaults (32 bytes or more;
/// not images, gRPC or event streams; never a response that already has a `Content-Encoding`,
/// such as the public policy pages' precompressed forms):
///
/// - JSON only (`application/json`, `application/*+json`). Downloads (KYC documents, export
///   archives) stream their bodies and are already compressed or encrypted; HTML and scripts
///   are not the API.
/// - Never a response marked `Cache-Control: no-store`. Those carry tokens, identity values,
///   audit data or other personal data, often next to text an attacker chose (a name, a
///   purpose, a search): compressing a secret with attacker-influenced text lets the compressed
///   length reveal it (BREACH). [`security_headers`] marks every response that did not choose
///   its own caching `no-store` and runs *inside* this layer, so a route compresses only if it
///   declared itself cacheable: fail closed, a new route is never compressed by accident.
/// - Never a response that already varies on `Accept-Encoding`: its handler chose the coding
///   (the public pages' identity answers when identity was preferred).
#[derive(Debug, Clone, Copy)]
pub struct CompressibleJson;

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
}

/// Whether header `name` lists `token` (or `*`, as in `Vary: *`), in any of its values.
fn lists(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        // A value that is not text cannot be read, so it counts as saying everything: fail
        // closed.
        v.to_str().map_or(true, |v| {
            v.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case(token) || t.trim() == "*")
        })
    })
}

impl Predicate for CompressibleJson {
    fn should_compress<B: HttpBody>(&self, response: &Response<B>) -> bool {
        let h = response.headers();
        let json = h
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json);
        json && !lists(h, header::CACHE_CONTROL, "no-store")
            && !lists(h, header::VARY, "accept-encoding")
    }
}

/// The compression layer: gzip or brotli by `Accept-Encoding`, at level 4 for both. Brotli's
/// default is quality 11, over a millisecond of CPU per KiB (measured on the policy pages): far
/// too slow for answers made per request.
pub fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(4))
        .compress_when(DefaultPredicate::new().and(CompressibleJson))
}

/// Request counter and latency histogram, labelled by matched route (never the raw path, which
/// holds ids and would explode cardinality).
async fn record_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().to_string();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2])
        .record(start.elapsed().as_secs_f64());
    resp
}

pub fn layers(router: Router<AppState>, cfg: &ApiConfig) -> Router<AppState> {
    let sensitive = [header::AUTHORIZATION, header::COOKIE, header::SET_COOKIE];
    let trace = TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map_or("unmatched", |p| p.as_str());
        let request_id = req
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!("http", method = %req.method(), route, request_id)
    });
    // Router::layer wraps each route after routing, so MatchedPath is known to the span and
    // the metrics; unknown paths reach the fallback and are labelled "unmatched". The last layer
    // added is the outermost.
    // Two limits: extractors that buffer (JSON) stop at `body_limit_bytes`; the KYC upload
    // streams its body and enforces its own limit while reading, so the outer layer only
    // refuses what no route could accept (and answers 413 at once when Content-Length says so).
    let outer_limit = usize::try_from(cfg.kyc_upload_limit_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(64 * 1024)
        .max(cfg.body_limit_bytes);
    router
        .layer(axum::extract::DefaultBodyLimit::max(cfg.body_limit_bytes))
        .layer(RequestBodyLimitLayer::new(outer_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            cfg.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn(problemify))
        .layer(middleware::from_fn(security_headers))
        // Outside `security_headers`, so it sees the final `Cache-Control` (see CompressibleJson).
        .layer(compression())
        .layer(middleware::from_fn(record_metrics))
        .layer(trace)
        .layer(SetSensitiveHeadersLayer::new(sensitive))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        // Outermost, so `SetRequestId` makes a fresh id where this dropped the client's.
        .layer(tower::util::MapRequestLayer::new(drop_unusable_request_id))
}

/// A client may send its own `x-request-id` (to find its calls in the audit log), but the value
/// is stored verbatim in audit entries and written to logs: only one bounded token is kept (1 to
/// 64 of `A-Z a-z 0-9 . _ : -`, the shape of UUIDs, ULIDs and trace ids). Anything else (a
/// second header, markup, control or non-ASCII bytes, a kilobyte of text) is dropped, and the
/// request gets a UUID like one that sent none.
fn drop_unusable_request_id<B>(mut req: axum::http::Request<B>) -> axum::http::Request<B> {
    let mut values = req.headers().get_all(&REQUEST_ID).iter();
    let usable = match (values.next(), values.next()) {
        (Some(v), None) => is_request_token(v.as_bytes()),
        _ => false,
    };
    if !usable {
        req.headers_mut().remove(&REQUEST_ID);
    }
    req
}

fn is_request_token(v: &[u8]) -> bool {
    (1..=64).contains(&v.len())
        && v.iter()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(b))
}
