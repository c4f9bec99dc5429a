//! Privacy settings, published policy versions and the public policy pages, over
//! `harim_store::policies` (where publishing, versions and resolution live):
//! [`settings`] edits the settings, [`publish`] freezes versions, [`public`] serves the frozen
//! documents with a read-path cache.

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;

pub mod platform;
pub mod public;
pub mod publish;
pub mod settings;

pub use public::{DocCache, RESOLVE_TTL};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(settings::get_settings, settings::put_settings))
        .routes(routes!(publish::publish, publish::list_versions))
        .routes(routes!(public::public_html))
        .routes(routes!(public::public_json))
        .routes(routes!(public::public_markdown))
        .routes(routes!(public::public_version_html))
        .routes(routes!(
            platform::publish_platform,
            platform::list_platform_versions
        ))
        .routes(routes!(platform::policy_consistency))
        .routes(routes!(platform::platform_html))
        .routes(routes!(platform::platform_json))
        .routes(routes!(platform::platform_markdown))
        .routes(routes!(platform::platform_version_html))
}
