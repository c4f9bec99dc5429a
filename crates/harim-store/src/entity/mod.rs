//! sea-orm entities. They are the storage shape only: handlers never accept or return them.

pub mod account;
pub mod api_key;
pub mod audit_entry;
pub mod audit_head;
pub mod kyc_document;
pub mod membership;
pub mod merchant_identity;
pub mod platform_token;
pub mod policy_document;
pub mod policy_version;
pub mod privacy_settings;
pub mod rotation_job;
pub mod session;
pub mod shop;
pub mod tenant_key;
