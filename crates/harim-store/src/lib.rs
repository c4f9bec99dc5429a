//! `harim-store`: harim's use cases over the database, below the HTTP layer and above the pure
//! domain crates (`harim-vault`, `harim-kyc`, `harim-policy`).
//!
//! Two floors. **The sealed floor** (`pub(crate)`): the sea-orm entities, tenant keys (`tenant_keys`),
//! the audit append, the one audited transaction (`tx`), raw statements (`db::statement`), the
//! erasure fences (`fence`): everything that takes a raw `tenant_id`. **The use cases** (`pub`):
//! each takes a [`scope::ShopScope`] (a verified principal and shop) or a
//! [`scope::PlatformScope`] (a verified operator), so no other crate can run a tenant query for a
//! shop its caller may not act in, or an audited write that skips its entry. The floor imports no
//! use-case module (`rights`, `rotation`, ...): `.ci/check-deps` fails the build when it does.
//!
//! Knows nothing of HTTP: errors are [`StoreError`], outcomes are enums, and `harim-api` maps
//! both to responses in one place. Tests that must reach below the use cases (tampering with a
//! row, seeding a thousand keys) use [`testkit`], behind the `testkit` feature that only dev- and
//! bench builds turn on.

// The sealed floor.
pub(crate) mod entity;
pub(crate) mod evidence;
pub(crate) mod fence;
mod hash_pool;
pub(crate) mod tenant_keys;
pub(crate) mod tx;

// Leaves every layer may name.
pub mod checkpoint;
pub mod citus;
pub mod datamap;
pub mod db;
pub mod error;
pub mod events;
pub mod ids;
pub mod roles;

// Use cases.
pub mod accounts;
pub mod audit;
pub mod auth;
pub mod consent;
pub mod customer_requests;
pub mod customers;
pub mod identity;
pub mod kyc;
pub mod login_limit;
pub mod notify;
pub mod pipeline;
pub mod platform_policy;
pub mod policies;
pub mod privacy_events;
pub mod retention;
pub mod rights;
pub mod rotation;
pub mod scope;
pub mod shops;
pub mod tenant_rotation;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use error::StoreError;
