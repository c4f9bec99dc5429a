//! `harim-kyc`: the KYC document store.
//!
//! Owns the upload pipeline (size limit while streaming, type sniffed from bytes, metadata
//! stripping, encrypt-while-streaming with per-document keys), the `object_store` backends
//! (local filesystem, S3, in-memory), the review workflow and the retention purge.
//!
//! Must never: depend on HTTP crates, or write an unencrypted byte of a document anywhere.

pub mod sanitize;
