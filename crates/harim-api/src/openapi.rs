//! The OpenAPI document, generated from the handlers' annotations.

use std::sync::OnceLock;

use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "harim",
        description = "Compliance module of a multi-tenant storefront platform: tenants, encrypted \
                       merchant identity, KYC documents and generated privacy policies. Every \
                       error is application/problem+json (RFC 9457).",
    ),
    components(schemas(crate::error::Problem, crate::error::Violation)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct Base;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(
                            "A session token (hs_...), a shop API key (hk_...) or a platform token (ha_...).",
                        ))
                        .build(),
                ),
            );
        }
    }
}

/// The full document served at `/openapi.json`: the handlers' annotations plus the answers the
/// layers and extractors give on every route (see [`with_layer_answers`]).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, doc) = utoipa_axum::router::OpenApiRouter::with_openapi(Base::openapi())
        .merge(crate::routes::router())
        .split_for_parts();
    with_layer_answers(doc)
}

/// [`openapi`] as served, made once per process.
pub(crate) fn served_json() -> &'static str {
    static SPEC: OnceLock<String> = OnceLock::new();
    SPEC.get_or_init(|| openapi().to_pretty_json().unwrap_or_default())
}

/// Adds the problem answers no handler writes but every client can meet, so generated clients
/// and contract testers (schemathesis) know them: 503 everywhere (a dependency down, or the
/// request timed out), 401 and 403 on every authenticated operation, 404 on every path with an
/// id, 400 where parameters are read, and 400/413/415/422 on every operation with a body. An answer a handler documented is kept.
fn with_layer_answers(doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let Ok(mut v) = serde_json::to_value(&doc) else {
        return doc;
    };
    let problem = |description: &str| {
        serde_json::json!({
            "description": description,
            "content": {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}
            }}
        })
    };
    if let Some(paths) = v.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, op) in item.iter_mut() {
                if !matches!(method.as_str(), "get" | "put" | "post" | "delete" | "patch") {
                    continue;
                }
                let public = op
                    .get("security")
                    .and_then(|s| s.as_array())
                    .is_some_and(|s| {
                        s.iter()
                            .all(|r| r.as_object().is_some_and(|o| o.is_empty()))
                    });
                let has_body = op.get("requestBody").is_some();
                let has_params = op
                    .get("parameters")
                    .and_then(|p| p.as_array())
                    .is_some_and(|p| !p.is_empty());
                let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut())
                else {
                    continue;
                };
                let mut add = |code: &str, description: &str| {
                    responses
                        .entry(code.to_string())
                        .or_insert_with(|| problem(description));
                };
                add(
                    "503",
                    "a dependency is down or the request timed out; retry later",
                );
                if !public {
                    add("401", "no valid bearer token");
                    add("403", "the caller's role may not do this");
                }
                if has_params {
                    add("400", "a path or query parameter could not be read");
                }
                if path.contains('{') {
                    add("404", "nothing with this id is yours to see");
                }
                if has_body {
                    add("400", "the body is not valid JSON or could not be read");
                    add("413", "the body is larger than the limit");
                    add("415", "the body's content type is not accepted");
                    add("422", "a field is missing or invalid; every one is named");
                }
            }
        }
    }
    serde_json::from_value(v).unwrap_or(doc)
}
