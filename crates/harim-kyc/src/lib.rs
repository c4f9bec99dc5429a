//! `harim-kyc`: the KYC document store.
//!
//! Owns the upload pipeline (size limit while streaming, type sniffed from bytes, metadata
//! stripping, encrypt-while-streaming with per-document keys), the `object_store` backends
//! (local filesystem, S3, in-memory) and the document state machine. The API crate keeps the
//! metadata rows, wraps document keys under tenant keys (through `harim-vault`) and audits.
//!
//! Must never: depend on HTTP crates, or write an unencrypted byte of a document anywhere.

pub mod crypt;
pub mod sanitize;
pub mod store;
mod workflow;

pub use crypt::{DocumentBinding, DocumentKey, SealingWriter};
pub use object_store::path::Path as ObjectPath;
pub use sanitize::{DocumentType, SanitizeError};
pub use store::{
    ArchiveOwner, BodyError, DocumentStore, MAX_BUFFERED_PER_UPLOAD, StoredDocument, StoredObject,
};
pub use workflow::{Decision, DocumentKind, DocumentStatus, RejectionReason};

/// Everything that can go wrong with a document.
#[derive(Debug, thiserror::Error)]
pub enum KycError {
    #[error("the document is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("only JPEG, PNG and PDF documents are accepted")]
    UnsupportedType,
    #[error(transparent)]
    Refused(#[from] SanitizeError),
    #[error("the upload body could not be read: {0}")]
    Body(String),
    #[error("object store: {0}")]
    Store(#[source] object_store::Error),
    #[error("the document's object is missing from the store")]
    ObjectMissing,
    #[error("the stored document is corrupt: {0}")]
    Corrupt(&'static str),
    #[error("encryption: {0}")]
    Crypto(&'static str),
    #[error("object store configuration: {0}")]
    Config(String),
}
