//! The platform's own privacy policy, for its merchants: what the platform operator holds about
//! the people who run shops on it (their account, their identity for know-your-customer checks,
//! their staff, their access keys, the audit trail) and why.
//!
//! Nothing here is written by hand per installation. The inputs are the operator's facts
//! ([`Platform`], from the `[platform]` section of the configuration), the data map
//! ([`MerchantDataMap`], built by the store from its typed declaration of every table, object
//! and log) and the routes that carry out the rights ([`RightsRoutes`]). [`compile_platform`]
//! turns them into the same [`PolicyDocument`] the shop policies use, so the same renderers,
//! version hash chain and change lists apply. A data-map entry without words in some locale is a
//! missing message, which fails `try_render_*`: new storage cannot go unmentioned.

mod compile;
mod diff;
pub mod examples;
mod facts;

pub use compile::{compile_platform, platform_format, platform_language};
pub use diff::{PlatformChange, diff_platform};
pub use facts::{
    Basis, From, Kept, MerchantData, MerchantDataMap, MerchantSubject, Period, Platform,
    PlatformPolicyInputs, RightsRoutes, StorefrontCollection,
};
