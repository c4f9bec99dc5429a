//! The public policy pages: frozen documents served as stored, one handler per format over
//! [`serve`], behind a per-instance cache.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use axum::{
    Extension,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use harim_policy::{Locale, negotiate};
use harim_store::policies::{self, DocumentFormat, Resolved};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::{AppState, error::ApiError};

/// `Cache-Control` of the public pages. Documents are frozen, but the version in force changes
/// when a new one is published or takes effect, so caches revalidate after five minutes.
const PUBLIC_CACHE_CONTROL: &str = "public, max-age=300";

fn content_type(format: DocumentFormat) -> &'static str {
    match format {
        DocumentFormat::Html => "text/html; charset=utf-8",
        DocumentFormat::Markdown => "text/markdown; charset=utf-8",
        DocumentFormat::JsonLd => "application/ld+json",
    }
}

/// Read-path caches of one application instance.
///
/// - Frozen documents by (tenant, version, locale, format). They never go stale: a published
///   document never changes.
/// - Which version a (slug, requested version) resolves to, kept [`RESOLVE_TTL`]. Publishing
///   drops the shop's entries at once; the TTL bounds how late a future version takes over when
///   its date arrives and how long a deleted shop's page outlives it (the public
///   `Cache-Control` already allows clients five minutes).
///
/// Both maps are bounded by clearing them when full.
///
/// With several replicas the maps are only used while this process hears the others' changes
/// (`harim_store::events`): [`DocCache::set_coherent`]`(false)` when the listener is lost makes
/// every read go to the database (fail closed) until it is back.
#[derive(Debug)]
pub struct DocCache {
    docs: RwLock<HashMap<(Uuid, i32, Locale, DocumentFormat), Bytes>>,
    resolved: RwLock<HashMap<ResolveKey, (Resolved, std::time::Instant)>>,
    coherent: std::sync::atomic::AtomicBool,
}

impl Default for DocCache {
    fn default() -> Self {
        Self {
            docs: RwLock::default(),
            resolved: RwLock::default(),
            coherent: std::sync::atomic::AtomicBool::new(true),
        }
    }
}

/// (slug, requested version; `None` = the version in force).
type ResolveKey = (String, Option<i32>);

const DOC_CACHE_ENTRIES: usize = 2048;
const RESOLVE_CACHE_ENTRIES: usize = 4096;
/// How long a slug's resolution to a version is reused.
pub const RESOLVE_TTL: std::time::Duration = std::time::Duration::from_secs(1);

impl DocCache {
    /// Whether the maps may be used: false while this replica cannot hear the others' changes.
    /// Turning it on or off empties the maps, so nothing learnt before is trusted after.
    pub fn set_coherent(&self, coherent: bool) {
        self.forget_all();
        self.coherent
            .store(coherent, std::sync::atomic::Ordering::SeqCst);
    }
    fn usable(&self) -> bool {
        self.coherent.load(std::sync::atomic::Ordering::SeqCst)
    }
    fn get(&self, key: &(Uuid, i32, Locale, DocumentFormat)) -> Option<Bytes> {
        if !self.usable() {
            return None;
        }
        self.docs.read().ok()?.get(key).cloned()
    }
    fn put(&self, key: (Uuid, i32, Locale, DocumentFormat), body: Bytes) {
        if !self.usable() {
            return;
        }
        if let Ok(mut m) = self.docs.write() {
            if m.len() >= DOC_CACHE_ENTRIES {
                m.clear();
            }
            m.insert(key, body);
        }
    }
    pub fn forget_tenant(&self, tenant: Uuid) {
        if let Ok(mut m) = self.resolved.write() {
            m.retain(|_, (r, _)| r.tenant_id != tenant);
        }
        if let Ok(mut m) = self.docs.write() {
            m.retain(|(t, ..), _| *t != tenant);
        }
    }
    pub fn forget_all(&self) {
        if let Ok(mut m) = self.resolved.write() {
            m.clear();
        }
        if let Ok(mut m) = self.docs.write() {
            m.clear();
        }
    }
    fn resolved(&self, slug: &str, version: Option<i32>) -> Option<Resolved> {
        if !self.usable() {
            return None;
        }
        let m = self.resolved.read().ok()?;
        let (r, at) = m.get(&(slug.to_string(), version))?;
        (at.elapsed() < RESOLVE_TTL).then(|| r.clone())
    }
    fn put_resolved(&self, slug: &str, version: Option<i32>, r: Resolved) {
        if !self.usable() {
            return;
        }
        if let Ok(mut m) = self.resolved.write() {
            if m.len() >= RESOLVE_CACHE_ENTRIES {
                m.clear();
            }
            m.insert((slug.to_string(), version), (r, std::time::Instant::now()));
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// Language (`en`, `fa`, `ar`, `sq`); beats `Accept-Language`. Ignored if the version was
    /// not published in it.
    lang: Option<String>,
}

fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

async fn serve(
    state: &AppState,
    cache: &DocCache,
    slug: &str,
    version: Option<i32>,
    format: DocumentFormat,
    lang: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let resolved = match cache.resolved(slug, version) {
        Some(r) => r,
        None => {
            let r = policies::resolve(&state.db, slug, version).await?;
            cache.put_resolved(slug, version, r.clone());
            r
        }
    };
    let available = &resolved.locales;
    let default = resolved
        .shop_default
        .filter(|l| available.contains(l))
        .or(resolved.settings_default)
        .or_else(|| available.first().copied())
        .unwrap_or(Locale::En);
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let locale = negotiate(lang, accept, available, default);

    // Strong: the version hash names the exact bytes of every document of that version.
    let etag = format!(
        "\"{}-{}-{}\"",
        resolved.hash.get(..32).unwrap_or(&resolved.hash),
        locale.tag(),
        format.as_str()
    );
    let mut out = HeaderMap::new();
    fn set(out: &mut HeaderMap, name: header::HeaderName, value: &str) {
        if let Ok(v) = HeaderValue::from_str(value) {
            out.insert(name, v);
        }
    }
    set(&mut out, header::ETAG, &etag);
    set(&mut out, header::CACHE_CONTROL, PUBLIC_CACHE_CONTROL);
    set(&mut out, header::VARY, "Accept-Language");
    set(&mut out, header::CONTENT_LANGUAGE, locale.tag());
    if if_none_match(headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, out).into_response());
    }
    set(&mut out, header::CONTENT_TYPE, content_type(format));
    set(&mut out, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if format == DocumentFormat::Html {
        // The page has inline CSS and nothing else; even a mistake in escaping cannot run script.
        set(
            &mut out,
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        );
    }

    let key = (resolved.tenant_id, resolved.version, locale, format);
    let body = match cache.get(&key) {
        Some(b) => b,
        None => {
            let b = Bytes::from(policies::document(&state.db, &resolved, locale, format).await?);
            cache.put(key, b.clone());
            b
        }
    };
    Ok((StatusCode::OK, out, body).into_response())
}

/// The privacy policy in force, as an HTML page. Language: `?lang=`, then `Accept-Language`,
/// then the shop's default. Answers 304 to a matching `If-None-Match`.
#[utoipa::path(get, path = "/shops/{slug}/privacy", tag = "public", security(()),
    params(("slug" = String, Path), LangQuery,
        ("Accept-Language" = Option<String>, Header),
        ("If-None-Match" = Option<String>, Header)),
    responses((status = 200, description = "HTML page", content_type = "text/html; charset=utf-8", body = String),
        (status = 304, description = "not modified"),
        (status = 404, description = "unknown shop or nothing published", body = crate::Problem, content_type = "application/problem+json")))]
pub(super) async fn public_html(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<DocCache>>,
    Path(slug): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    serve(
        &state,
        &cache,
        &slug,
        None,
        DocumentFormat::Html,
        q.lang.as_deref(),
        &headers,
    )
    .await
}

/// The policy in force as JSON-LD (W3C DPV terms, clause ids and localised text).
#[utoipa::path(get, path = "/shops/{slug}/privacy.json", tag = "public", security(()),
    params(("slug" = String, Path), LangQuery,
        ("Accept-Language" = Option<String>, Header),
        ("If-None-Match" = Option<String>, Header)),
    responses((status = 200, description = "JSON-LD", content_type = "application/ld+json", body = Object),
        (status = 304, description = "not modified"),
        (status = 404, description = "unknown shop or nothing published", body = crate::Problem, content_type = "application/problem+json")))]
pub(super) async fn public_json(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<DocCache>>,
    Path(slug): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    serve(
        &state,
        &cache,
        &slug,
        None,
        DocumentFormat::JsonLd,
        q.lang.as_deref(),
        &headers,
    )
    .await
}

/// The policy in force as Markdown.
#[utoipa::path(get, path = "/shops/{slug}/privacy.md", tag = "public", security(()),
    params(("slug" = String, Path), LangQuery,
        ("Accept-Language" = Option<String>, Header),
        ("If-None-Match" = Option<String>, Header)),
    responses((status = 200, description = "Markdown", content_type = "text/markdown; charset=utf-8", body = String),
        (status = 304, description = "not modified"),
        (status = 404, description = "unknown shop or nothing published", body = crate::Problem, content_type = "application/problem+json")))]
pub(super) async fn public_markdown(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<DocCache>>,
    Path(slug): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    serve(
        &state,
        &cache,
        &slug,
        None,
        DocumentFormat::Markdown,
        q.lang.as_deref(),
        &headers,
    )
    .await
}

/// One published version as HTML, including a version that has not taken effect yet.
#[utoipa::path(get, path = "/shops/{slug}/privacy/versions/{n}", tag = "public", security(()),
    params(("slug" = String, Path), ("n" = u32, Path), LangQuery,
        ("Accept-Language" = Option<String>, Header),
        ("If-None-Match" = Option<String>, Header)),
    responses((status = 200, description = "HTML page", content_type = "text/html; charset=utf-8", body = String),
        (status = 304, description = "not modified"),
        (status = 404, description = "unknown shop or version", body = crate::Problem, content_type = "application/problem+json")))]
pub(super) async fn public_version_html(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<DocCache>>,
    Path((slug, n)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let n: i32 = n
        .parse()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or(ApiError::NotFound)?;
    serve(
        &state,
        &cache,
        &slug,
        Some(n),
        DocumentFormat::Html,
        q.lang.as_deref(),
        &headers,
    )
    .await
}
