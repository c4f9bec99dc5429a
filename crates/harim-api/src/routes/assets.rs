//! Static assets of the public pages: the vendored fonts (`harim_policy::fonts`), embedded in
//! the binary and served by harim itself, so a policy page needs no third-party host and its
//! CSP can say `font-src 'self'`.

use axum::{
    extract::Path,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{AppState, error::ApiError};

/// The name carries the content hash, so a name always means the same bytes: caches may keep
/// a font for a year without revalidating.
const FONT_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(font))
}

/// One vendored font (WOFF2), by its content-hashed name as the policy pages' `@font-face`
/// rules name it, e.g. `vazirmatn-regular-058794a3.woff2`.
#[utoipa::path(get, path = "/assets/fonts/{name}", tag = "public", security(()),
    params(("name" = String, Path, description = "`<font>-<first 8 hex of its SHA-256>.woff2`"),
        ("If-None-Match" = Option<String>, Header)),
    responses(
        (status = 200, description = "WOFF2 font", content_type = "font/woff2", body = Vec<u8>,
            headers(("Cache-Control" = String, description = "`public, max-age=31536000, immutable`"),
                ("ETag" = String, description = "Strong: the file's SHA-256"))),
        (status = 304, description = "not modified",
            headers(("ETag" = String, description = "Strong: the file's SHA-256"))),
        (status = 404, description = "no font of that name", body = crate::Problem, content_type = "application/problem+json")))]
async fn font(Path(name): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    let font = harim_policy::fonts::find(&name).ok_or(ApiError::NotFound)?;
    let etag = format!("\"{}\"", font.sha256);
    let mut out = HeaderMap::with_capacity(5);
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(FONT_CACHE_CONTROL),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, v);
    }
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag);
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, out).into_response());
    }
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static("font/woff2"));
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok((StatusCode::OK, out, font.file.bytes).into_response())
}
