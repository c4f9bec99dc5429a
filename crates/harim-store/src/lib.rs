//! `harim-store`: harim's use cases over the database, below the HTTP layer and above the pure
//! domain crates (`harim-vault`, `harim-kyc`, `harim-policy`).
//!
//! Owns the sea-orm entities and every query: the audit chain ([`audit`]), tenant keys
//! ([`keys`]), root and tenant key rotation ([`rotation`], [`tenant_rotation`]), KYC document
//! rows ([`kyc`]), and the one retention job that runs every retention rule of the data map
//! ([`retention`]). Knows nothing of HTTP: errors are [`StoreError`], outcomes are
//! enums, and `harim-api` maps both to responses in one place.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod checkpoint;
pub mod datamap;
pub mod db;
pub mod entity;
pub mod error;
pub mod events;
mod hash_pool;
pub mod identity;
pub mod ids;
pub mod keys;
pub mod kyc;
pub mod login_limit;
pub mod platform_policy;
pub mod policies;
pub mod retention;
pub mod rights;
pub mod rotation;
pub mod scope;
pub mod shops;
pub mod tenant_rotation;
pub mod tx;

pub use error::StoreError;
