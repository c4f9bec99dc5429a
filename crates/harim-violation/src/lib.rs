//! `harim-violation`: one broken rule of an input, reported the same way by every layer: the
//! vault's PII types, the policy settings, the store's use cases and the HTTP problem document
//! (`errors[]` of a `validation` problem). One type, so a violation crosses the layers without
//! being copied field by field into a look-alike at each wall.

use serde::{Deserialize, Serialize};

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = FieldError))]
pub struct Violation {
    /// JSON path of the field, e.g. `email` or `retention.orders_days`.
    pub field: String,
    /// Stable machine-readable code, e.g. `required`, `invalid`, `too_short`.
    pub code: String,
    /// Human-readable explanation. Never contains the submitted value.
    pub message: String,
}

impl Violation {
    /// A violation of `field`'s rule `code`, explained by `message`.
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}
