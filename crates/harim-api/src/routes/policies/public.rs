//! The public policy pages: frozen documents served as stored, one handler per format over
//! [`serve`], behind a per-instance cache. Each document is served in the content coding the
//! client prefers among brotli, gzip and identity; the compressed forms were made when the
//! version was published (`harim_store::policies::encodings`), so a page view compresses
//! nothing, and the API-wide compression layer leaves these answers alone.
//!
//! One exception to "as stored": `privacy.json` gets the version's hash as its last member
//! ([`policies::with_hash_member`]), because a document cannot contain the hash that covers it.
//! Its coded forms are made when the page cache is filled, not per view.

use std::{
    collections::{BTreeMap, HashMap},
    sync::RwLock,
};

use axum::{
    body::Bytes,
    extract::{FromRequestParts, Path, Query},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use harim_policy::{Locale, negotiate};
use harim_store::policies::{self, DocumentFormat, Encoded, Resolved};
use serde::Deserialize;
use utoipa::{
    IntoParams, IntoResponses,
    openapi::{RefOr, Response as ResponseDoc},
};
use uuid::Uuid;

use crate::{AppState, error::ApiError};

/// `Content-Security-Policy` of the HTML pages: inline CSS and the fonts harim serves itself
/// (`/assets/fonts/`), nothing else; even a mistake in escaping cannot run script.
pub(crate) const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The strong ETag of a public document without quotes or coding suffix:
/// `<first 32 hex of the version hash>-<locale>-<format>`. The JSON-LD's format token is
/// `json+hash`: it is served with its hash member added, so its bytes differ from what versions
/// served before that rule (`json`), and a validator held from then must not match.
pub(crate) fn etag_base(hash: &str, locale: Locale, format: DocumentFormat) -> String {
    let token = match format {
        DocumentFormat::JsonLd => "json+hash",
        other => other.as_str(),
    };
    format!(
        "{}-{}-{token}",
        hash.get(..32).unwrap_or(hash),
        locale.tag()
    )
}

/// `Cache-Control` of the public pages. Documents are frozen, but the version in force changes
/// when a new one is published or takes effect, so caches revalidate after five minutes.
const PUBLIC_CACHE_CONTROL: &str = "public, max-age=300";

pub(crate) fn content_type(format: DocumentFormat) -> &'static str {
    match format {
        DocumentFormat::Html => "text/html; charset=utf-8",
        DocumentFormat::Markdown => "text/markdown; charset=utf-8",
        DocumentFormat::JsonLd => "application/ld+json",
    }
}

/// How a public page answers, for the OpenAPI document. Shop pages and the platform's pages
/// all answer through [`serve`], so one description serves both: a route names the marker of
/// its format ([`HtmlPage`], [`JsonLdPage`], [`MarkdownPage`]) and adds its own 404.
fn page_responses(format: DocumentFormat) -> BTreeMap<String, RefOr<ResponseDoc>> {
    use utoipa::openapi::{
        ContentBuilder, HeaderBuilder, ObjectBuilder, ResponseBuilder, schema::Type,
    };
    let (description, body) = match format {
        DocumentFormat::Html => ("HTML page", Type::String),
        DocumentFormat::JsonLd => ("JSON-LD", Type::Object),
        DocumentFormat::Markdown => ("Markdown", Type::String),
    };
    let header = |description: &str| {
        HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(Type::String))
            .description(Some(description))
            .build()
    };
    let vary = || header("`Accept-Language, Accept-Encoding`");
    let ok = ResponseBuilder::new()
        .description(description)
        .header("Content-Encoding", header("`br` or `gzip`, whichever `Accept-Encoding` ranks higher (brotli on a tie); absent for identity"))
        .header("Vary", vary())
        .header("ETag", header("Strong; the compressed forms end in `-br` or `-gz` inside the quotes"))
        .content(
            content_type(format),
            ContentBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(body)))
                .build(),
        )
        .build();
    let not_modified = ResponseBuilder::new()
        .description("not modified (any coding's ETag of the same document counts, if that coding is acceptable now)")
        .header("Vary", vary())
        .header("ETag", header("The validator the client sent that matched"))
        .build();
    BTreeMap::from([
        ("200".to_string(), RefOr::T(ok)),
        ("304".to_string(), RefOr::T(not_modified)),
    ])
}

/// The answers of an HTML page ([`page_responses`]).
pub(crate) struct HtmlPage;
/// The answers of a JSON-LD page ([`page_responses`]).
pub(crate) struct JsonLdPage;
/// The answers of a Markdown page ([`page_responses`]).
pub(crate) struct MarkdownPage;

impl IntoResponses for HtmlPage {
    fn responses() -> BTreeMap<String, RefOr<ResponseDoc>> {
        page_responses(DocumentFormat::Html)
    }
}
impl IntoResponses for JsonLdPage {
    fn responses() -> BTreeMap<String, RefOr<ResponseDoc>> {
        page_responses(DocumentFormat::JsonLd)
    }
}
impl IntoResponses for MarkdownPage {
    fn responses() -> BTreeMap<String, RefOr<ResponseDoc>> {
        page_responses(DocumentFormat::Markdown)
    }
}

/// Read-path caches of one application instance.
///
/// - Frozen documents by (tenant, version, locale, format), each in all three codings
///   ([`Encoded`]: identity, gzip, brotli), so a hit does no IO and no compression. They never
///   go stale: a published document never changes.
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
    docs: RwLock<HashMap<DocKey, Encoded>>,
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
/// (tenant, version, locale, format).
pub(crate) type DocKey = (Uuid, i32, Locale, DocumentFormat);

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
    pub(crate) fn get(&self, key: &DocKey, coding: Coding) -> Option<Bytes> {
        if !self.usable() {
            return None;
        }
        self.docs
            .read()
            .ok()?
            .get(key)
            .map(|e| coding.form(e).clone())
    }
    pub(crate) fn put(&self, key: DocKey, body: Encoded) {
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
    pub(crate) lang: Option<String>,
}

/// The request headers a public page reads, for the OpenAPI document (the handlers read them
/// from the [`PageRequest`]).
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub(crate) struct PageHeaders {
    #[param(rename = "Accept-Language")]
    accept_language: Option<String>,
    #[param(rename = "If-None-Match")]
    if_none_match: Option<String>,
}

/// What every public page reads besides its path: `?lang=`, the request headers (language,
/// codings, validators), the state and its page cache.
pub(crate) struct PageRequest {
    state: AppState,
    q: LangQuery,
    headers: HeaderMap,
}

impl FromRequestParts<AppState> for PageRequest {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Query(q) = Query::<LangQuery>::from_request_parts(parts, state).await?;
        Ok(Self {
            state: state.clone(),
            q,
            headers: parts.headers.clone(),
        })
    }
}

impl PageRequest {
    /// The page of `source` in `format`: the version in force, or `version`.
    pub(crate) async fn serve(
        &self,
        source: Source<'_>,
        version: Option<i32>,
        format: DocumentFormat,
    ) -> Result<Response, ApiError> {
        serve(
            &self.state,
            &self.state.pages,
            source,
            version,
            format,
            &self.q,
            &self.headers,
        )
        .await
    }
}

/// The content codings a public page is served in, in order of preference when the client
/// accepts several equally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Br,
    Gzip,
    Identity,
}

impl Coding {
    const ALL: [Coding; 3] = [Coding::Br, Coding::Gzip, Coding::Identity];

    /// `Content-Encoding` (none for identity).
    pub(crate) fn header(self) -> Option<&'static str> {
        match self {
            Coding::Br => Some("br"),
            Coding::Gzip => Some("gzip"),
            Coding::Identity => None,
        }
    }
    /// What the ETag of this coding adds inside the quotes: each coding is its own
    /// representation with its own bytes, so its own strong validator.
    pub(crate) fn etag_suffix(self) -> &'static str {
        match self {
            Coding::Br => "-br",
            Coding::Gzip => "-gz",
            Coding::Identity => "",
        }
    }
    pub(crate) fn form(self, e: &Encoded) -> &Bytes {
        match self {
            Coding::Br => &e.br,
            Coding::Gzip => &e.gzip,
            Coding::Identity => &e.identity,
        }
    }
}

/// What a request's `Accept-Encoding` says of each coding we have (RFC 9110 §12.5.3), as
/// q-values in thousandths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AcceptEncoding {
    br: u16,
    gzip: u16,
    /// `None` when neither `identity` nor `*` is listed: acceptable, but only as the fallback.
    identity: Option<u16>,
}

impl AcceptEncoding {
    /// No header: identity only (every coding is allowed then, but a client that sends no
    /// `Accept-Encoding` is rarely one that decodes). `x-gzip` is `gzip`; an entry whose
    /// q-value does not parse is ignored; `*` stands for every coding not listed by name.
    pub(crate) fn parse(headers: &HeaderMap) -> Self {
        let (mut br, mut gzip, mut identity, mut star) = (None, None, None, None);
        let items = headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','));
        for item in items {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let mut q = Some(1000);
            for p in parts {
                let p = p.trim();
                if let Some(v) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) {
                    q = qvalue(v.trim());
                }
            }
            let Some(q) = q else { continue };
            let slot = if name.eq_ignore_ascii_case("br") {
                &mut br
            } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                &mut gzip
            } else if name.eq_ignore_ascii_case("identity") {
                &mut identity
            } else if name == "*" {
                &mut star
            } else {
                continue;
            };
            *slot = Some(slot.map_or(q, |old: u16| old.max(q)));
        }
        Self {
            br: br.or(star).unwrap_or(0),
            gzip: gzip.or(star).unwrap_or(0),
            identity: identity.or(star),
        }
    }

    fn acceptable(self, c: Coding) -> bool {
        match c {
            Coding::Br => self.br > 0,
            Coding::Gzip => self.gzip > 0,
            Coding::Identity => self.identity.is_none_or(|q| q > 0),
        }
    }

    /// The highest q-value wins; ties go to brotli, then gzip, then identity. When nothing is
    /// acceptable (`identity;q=0` and no coding we have), identity all the same: the RFC lets a
    /// server ignore the field rather than answer 406.
    pub(crate) fn choose(self) -> Coding {
        let q = |c| match c {
            Coding::Br => self.br,
            Coding::Gzip => self.gzip,
            Coding::Identity => self.identity.unwrap_or(0),
        };
        Coding::ALL
            .into_iter()
            .filter(|c| q(*c) > 0)
            .fold(None, |best: Option<Coding>, c| match best {
                Some(b) if q(b) >= q(c) => Some(b),
                _ => Some(c),
            })
            .unwrap_or(Coding::Identity)
    }
}

/// An RFC 9110 qvalue (`0`, `0.5`, `1.000`) in thousandths; `None` if it is not one.
fn qvalue(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac: u16 = format!("{frac:0<3}").parse().ok()?;
    match int {
        "0" => Some(frac),
        "1" if frac == 0 => Some(1000),
        _ => None,
    }
}

/// Which coding of this representation (`base`: the ETag without quotes or coding suffix) an
/// `If-None-Match` names, among those this request accepts; the chosen coding first, so a
/// client holding several copies revalidates the one it would be sent. `*` names the chosen
/// coding.
pub(crate) fn not_modified(
    headers: &HeaderMap,
    base: &str,
    accept: AcceptEncoding,
    chosen: Coding,
) -> Option<Coding> {
    let mut named = Vec::new();
    let tags = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim);
    for t in tags {
        if t == "*" {
            return Some(chosen);
        }
        let t = t.strip_prefix("W/").unwrap_or(t);
        let Some(inner) = t.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
            continue;
        };
        let Some(rest) = inner.strip_prefix(base) else {
            continue;
        };
        named.extend(Coding::ALL.into_iter().filter(|c| rest == c.etag_suffix()));
    }
    if named.contains(&chosen) {
        return Some(chosen);
    }
    named.into_iter().find(|c| accept.acceptable(*c))
}

/// A version number from a path: 1, 2, ...; anything else is no such version (404).
pub(crate) fn version_number(n: &str) -> Result<i32, ApiError> {
    n.parse().ok().filter(|n| *n >= 1).ok_or(ApiError::NotFound)
}

/// Whose policy a public page serves.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source<'a> {
    /// A shop's, by slug.
    Shop(&'a str),
    /// The platform's own policy for merchants.
    Platform,
}

/// The resolution cache's key for the platform policy: no slug contains `/`.
const PLATFORM_KEY: &str = "/platform";

pub(crate) async fn serve(
    state: &AppState,
    cache: &DocCache,
    source: Source<'_>,
    version: Option<i32>,
    format: DocumentFormat,
    q: &LangQuery,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let key_slug = match source {
        Source::Shop(slug) => slug,
        Source::Platform => PLATFORM_KEY,
    };
    let resolved = match cache.resolved(key_slug, version) {
        Some(r) => r,
        None => {
            let r = match source {
                Source::Shop(slug) => policies::resolve(&state.db, slug, version).await?,
                Source::Platform => {
                    harim_store::platform_policy::resolve(&state.db, version).await?
                }
            };
            cache.put_resolved(key_slug, version, r.clone());
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
    let locale = negotiate(q.lang.as_deref(), accept, available, default);

    // Strong: the version hash names the exact bytes of every document of that version, and the
    // suffix the coding (the compressed forms were made once, at publish time).
    let base = etag_base(&resolved.hash, locale, format);
    let accept_encoding = AcceptEncoding::parse(headers);
    let chosen = accept_encoding.choose();
    let etag = |c: Coding| format!("\"{base}{}\"", c.etag_suffix());
    // Constant values are static (no per-request parsing or copying: this is the hottest path).
    let mut out = HeaderMap::with_capacity(10);
    fn set(out: &mut HeaderMap, name: header::HeaderName, value: &str) {
        if let Ok(v) = HeaderValue::from_str(value) {
            out.insert(name, v);
        }
    }
    fn fixed(out: &mut HeaderMap, name: header::HeaderName, value: &'static str) {
        out.insert(name, HeaderValue::from_static(value));
    }
    fixed(&mut out, header::CACHE_CONTROL, PUBLIC_CACHE_CONTROL);
    fixed(&mut out, header::VARY, "Accept-Language, Accept-Encoding");
    fixed(&mut out, header::CONTENT_LANGUAGE, locale.tag());
    if let Some(held) = not_modified(headers, &base, accept_encoding, chosen) {
        // The validator of the copy the client holds, so its cache updates that copy.
        set(&mut out, header::ETAG, &etag(held));
        return Ok((StatusCode::NOT_MODIFIED, out).into_response());
    }
    set(&mut out, header::ETAG, &etag(chosen));
    if let Some(coding) = chosen.header() {
        fixed(&mut out, header::CONTENT_ENCODING, coding);
    }
    fixed(&mut out, header::CONTENT_TYPE, content_type(format));
    fixed(&mut out, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if format == DocumentFormat::Html {
        fixed(&mut out, header::CONTENT_SECURITY_POLICY, PAGE_CSP);
    }

    let key = (resolved.tenant_id, resolved.version, locale, format);
    let body = match cache.get(&key, chosen) {
        Some(b) => b,
        None => {
            let mut doc = match source {
                Source::Shop(_) => policies::document(&state.db, &resolved, locale, format).await?,
                Source::Platform => {
                    harim_store::platform_policy::document(&state.db, &resolved, locale, format)
                        .await?
                }
            };
            if format == DocumentFormat::JsonLd {
                doc = policies::with_hash_member(&doc, &resolved.hash).await?;
            }
            let b = chosen.form(&doc).clone();
            cache.put(key, doc);
            b
        }
    };
    // Content-Length comes from the body, which is complete.
    Ok((StatusCode::OK, out, body).into_response())
}

/// The privacy policy in force, as an HTML page. Language: `?lang=`, then `Accept-Language`,
/// then the shop's default. Answers 304 to a matching `If-None-Match`. Every public page is
/// served brotli- or gzip-compressed when `Accept-Encoding` accepts it (q-values honoured,
/// brotli on a tie, identity without the header), from forms made at publish time.
#[utoipa::path(get, path = "/shops/{slug}/privacy", tag = "public", security(()),
    params(("slug" = String, Path), LangQuery, PageHeaders),
    responses(HtmlPage,
                (status = 404, description = "unknown shop or nothing published", body = crate::Problem, content_type = "application/problem+json")))]
pub(super) async fn public_html(
    Path(slug): Path<String>,
    page: PageRequest,
) -> Result<Response, ApiError> {
    page.serve(Source::Shop(&slug), None, DocumentFormat::Html)
        .await
}

/// The policy in force as JSON-LD (W3C DPV terms, clause ids and localised text).
#[utoipa::path(get, path = "/shops/{slug}/privacy.json", tag = "public", security(()),
    params(("slug" = String, Path), LangQuery, PageHeaders),
    responses(JsonLdPage,
                (status = 404, description = "unknown shop or nothing published", body = crate::Problem, content_type = "application/problem+json")))]
pub(super) async fn public_json(
    Path(slug): Path<String>,
    page: PageRequest,
) -> Result<Response, ApiError> {
    page.serve(Source::Shop(&slug), None, DocumentFormat::JsonLd)
        .await
}

/// The policy in force as Markdown.
#[utoipa::path(get, path = "/shops/{slug}/privacy.md", tag = "public", security(()),
    params(("slug" = String, Path), LangQuery, PageHeaders),
    responses(MarkdownPage,
                (status = 404, description = "unknown shop or nothing published", body = crate::Problem, content_type = "application/problem+json")))]
pub(super) async fn public_markdown(
    Path(slug): Path<String>,
    page: PageRequest,
) -> Result<Response, ApiError> {
    page.serve(Source::Shop(&slug), None, DocumentFormat::Markdown)
        .await
}

/// One published version as HTML, including a version that has not taken effect yet.
#[utoipa::path(get, path = "/shops/{slug}/privacy/versions/{n}", tag = "public", security(()),
    params(("slug" = String, Path), ("n" = u32, Path), LangQuery, PageHeaders),
    responses(HtmlPage,
                (status = 404, description = "unknown shop or version", body = crate::Problem, content_type = "application/problem+json")))]
pub(super) async fn public_version_html(
    Path((slug, n)): Path<(String, String)>,
    page: PageRequest,
) -> Result<Response, ApiError> {
    let n = version_number(&n)?;
    page.serve(Source::Shop(&slug), Some(n), DocumentFormat::Html)
        .await
}
