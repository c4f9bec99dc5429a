//! Version metadata of a published policy: its number, date, alternates and update history.

use serde::{Deserialize, Serialize};

use crate::diff::Change;

/// Version metadata of a published policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyMeta {
    /// Version number, from 1.
    pub version: u32,
    /// Date this version takes effect.
    pub effective_at: time::Date,
    /// Earlier and current versions with their changes (newest first is not required; rendered newest first).
    pub history: Vec<HistoryEntry>,
    /// The locales this version is published in, its default first: each page links to the
    /// others (`hreflang`, language links) and the first is the `x-default`.
    #[serde(default)]
    pub alternates: Vec<crate::locale::Locale>,
    /// The previous version's hash (`None` for version 1). Known before this version is hashed,
    /// so the JSON-LD states it and a reader can follow the chain from the public document.
    #[serde(default)]
    pub previous_hash: Option<String>,
}

/// One published version in the update history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Version number.
    pub version: u32,
    /// Date it took effect.
    pub effective_at: time::Date,
    /// What changed against the previous version (empty for the first).
    pub changes: Vec<Change>,
}
