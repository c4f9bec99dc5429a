//! The document kinds and the review state machine: pending → approved | rejected.

use serde::{Deserialize, Serialize};

/// What a document is. Stored as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    NationalIdFront,
    NationalIdBack,
    Selfie,
    BusinessLicense,
}

impl DocumentKind {
    pub const ALL: [Self; 4] = [
        Self::NationalIdFront,
        Self::NationalIdBack,
        Self::Selfie,
        Self::BusinessLicense,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NationalIdFront => "national_id_front",
            Self::NationalIdBack => "national_id_back",
            Self::Selfie => "selfie",
            Self::BusinessLicense => "business_license",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where a document is in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    Pending,
    Approved,
    Rejected,
}

impl DocumentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Approved, Self::Rejected]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A reviewer's reason for a rejection: trimmed, 1 to 500 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectionReason(String);

impl RejectionReason {
    pub fn parse(raw: &str) -> Option<Self> {
        let s = raw.trim();
        let n = s.chars().count();
        if n == 0 || n > 500 || s.chars().any(|c| c.is_control()) {
            return None;
        }
        Some(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A review decision: a rejection cannot exist without its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve { note: Option<String> },
    Reject(RejectionReason),
}

impl Decision {
    pub fn status(&self) -> DocumentStatus {
        match self {
            Self::Approve { .. } => DocumentStatus::Approved,
            Self::Reject(_) => DocumentStatus::Rejected,
        }
    }

    /// The reason stored with the decision (optional for approvals).
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Approve { note } => note.as_deref(),
            Self::Reject(r) => Some(r.as_str()),
        }
    }

    /// Only a pending document can be decided; a decision is final (the merchant uploads again).
    pub fn applies_to(status: DocumentStatus) -> bool {
        status == DocumentStatus::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(DocumentKind::parse("passport"), None);
    }

    #[test]
    fn reasons_are_required_and_bounded() {
        assert!(RejectionReason::parse("   ").is_none());
        assert!(RejectionReason::parse(&"x".repeat(501)).is_none());
        assert!(RejectionReason::parse("blurry\u{0}").is_none());
        assert_eq!(
            RejectionReason::parse("  The photo is blurry. ")
                .unwrap()
                .as_str(),
            "The photo is blurry."
        );
        assert!(Decision::applies_to(DocumentStatus::Pending));
        assert!(!Decision::applies_to(DocumentStatus::Approved));
    }
}
