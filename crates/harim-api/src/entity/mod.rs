//! sea-orm entities. They are the storage shape only: handlers never accept or return them.

pub mod account;
pub mod api_key;
pub mod membership;
pub mod platform_token;
pub mod session;
pub mod shop;
