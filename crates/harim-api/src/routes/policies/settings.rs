//! The shop's privacy settings: read (defaults until saved) and replace (owner only).

use axum::extract::State;
use harim_policy::PrivacySettings;
use harim_store::policies;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::{AppState, error::ApiError, routes::ApiJson, scope::ShopCtx};

/// A shop's privacy settings (`harim_policy::PrivacySettings`). Unknown fields are refused.
#[derive(Serialize, Deserialize)]
#[serde(transparent)]
pub struct SettingsBody(PrivacySettings);

impl utoipa::PartialSchema for SettingsBody {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .description(Some(
                "harim_policy::PrivacySettings: customer_data, notifications {order_email, \
                 order_sms}, analytics, payment_gateways, processors, retention (days per kind), \
                 response_days, contact {email, phone?, address?}, controller, minimum_age, \
                 locales [{locale, calendar, digits}], default_locale.",
            ))
            .examples([json!(harim_policy::examples::iranian_shop().0)])
            .into()
    }
}

impl ToSchema for SettingsBody {}

/// The shop's privacy settings; the platform defaults if the owner never saved any (they do
/// not validate until contact and controller are filled in).
#[utoipa::path(get, path = "/v1/shops/{shop_id}/privacy-settings", tag = "policies",
    params(("shop_id" = Uuid, Path)),
    responses((status = 200, body = SettingsBody),
        (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
pub(super) async fn get_settings(
    State(state): State<AppState>,
    ctx: ShopCtx,
) -> Result<ApiJson<SettingsBody>, ApiError> {
    Ok(ApiJson(SettingsBody(
        policies::settings(&state.db, &ctx).await?,
    )))
}

/// Replace the privacy settings (owner only). Every invalid field is named in one 422.
#[utoipa::path(put, path = "/v1/shops/{shop_id}/privacy-settings", tag = "policies",
    params(("shop_id" = Uuid, Path)), request_body = SettingsBody,
    responses((status = 200, body = SettingsBody),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
pub(super) async fn put_settings(
    State(state): State<AppState>,
    ctx: ShopCtx,
    ApiJson(SettingsBody(settings)): ApiJson<SettingsBody>,
) -> Result<ApiJson<SettingsBody>, ApiError> {
    policies::save_settings(&state.db, &ctx, &settings).await?;
    Ok(ApiJson(SettingsBody(settings)))
}
