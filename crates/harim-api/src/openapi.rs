//! The OpenAPI document, generated from the handlers' annotations.

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
    components(schemas(crate::error::Problem, crate::error::FieldError)),
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

pub(crate) fn base() -> utoipa::openapi::OpenApi {
    Base::openapi()
}

/// The full document served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    crate::routes::router().split_for_parts().1
}
