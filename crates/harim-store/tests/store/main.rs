//! The store's use cases driven directly, below HTTP: each test runs once on SQLite and, when
//! `HARIM_TEST_DATABASE_URL` names a server, once more on its own fresh PostgreSQL database.
//! HTTP behaviour (status codes, problem documents, headers) is tested in `harim-api`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod account_erasure;
mod harness;
mod key_records;
mod slugs;
mod tenant_rotation;
mod wrap_verification;
mod writers;
