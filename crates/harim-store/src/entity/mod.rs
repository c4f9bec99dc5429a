//! sea-orm entities. They are the storage shape only: handlers never accept or return them.

pub mod account;
pub mod api_key;
pub mod audit_entry;
pub mod audit_head;
pub mod consent_event;
pub mod consent_head;
pub mod consent_link;
pub mod consent_renewal;
pub mod customer;
pub mod customer_fence;
pub mod customer_key;
pub mod customer_order;
pub mod customer_request;
pub mod data_request;
pub mod erasure_fence;
pub mod event_delivery;
pub mod invitation;
pub mod kyc_document;
pub mod membership;
pub mod merchant_identity;
pub mod notification;
pub mod platform_policy_document;
pub mod platform_policy_version;
pub mod platform_token;
pub mod policy_document;
pub mod policy_version;
pub mod privacy_event;
pub mod privacy_settings;
pub mod redacted;
pub mod request_answer;
pub mod rotation_job;
pub mod session;
pub mod shop;
pub mod suppression;
pub mod tenant_key;
pub mod webhook_endpoint;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use sea_orm::{ActiveValue::Set, IntoActiveModel};
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::{
        account, kyc_document,
        redacted::{RedactedBytes, RedactedString},
        tenant_key,
    };

    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$SECRETHASHVALUE";
    const KEY: [u8; 4] = [0xde, 0xad, 0xbe, 0xef];

    /// `{:?}` of a model or active model never shows a password hash or a wrapped key, in
    /// any of the forms `Debug` prints bytes or strings.
    fn assert_redacted(printed: &str) {
        for needle in ["SECRETHASHVALUE", "222, 173, 190, 239", "deadbeef", "[222"] {
            assert!(!printed.contains(needle), "{needle} leaked: {printed}");
        }
    }

    #[test]
    fn secret_columns_never_print() {
        let now = OffsetDateTime::now_utc();
        let acct = account::Model {
            id: Uuid::nil(),
            email: "a@example.com".into(),
            password_hash: RedactedString(HASH.into()),
            display_name: None,
            created_at: now,
        };
        assert_redacted(&format!("{acct:?}"));
        assert_redacted(&format!("{:?}", acct.clone().into_active_model()));
        let mut am = <account::ActiveModel as sea_orm::ActiveModelTrait>::default();
        am.password_hash = Set(RedactedString(HASH.into()));
        assert_redacted(&format!("{am:?}"));

        let tk = tenant_key::Model {
            tenant_id: Uuid::nil(),
            tk_version: 1,
            kek_version: 1,
            wrapped: RedactedBytes(KEY.to_vec()),
            encryptions: 0,
            created_at: now,
        };
        assert_redacted(&format!("{tk:?}"));
        assert_redacted(&format!("{:?}", tk.into_active_model()));

        let doc = kyc_document::Model {
            tenant_id: Uuid::nil(),
            id: Uuid::nil(),
            kind: kyc_document::StoredKind::Selfie,
            status: kyc_document::StoredStatus::Pending,
            content_type: "image/png".into(),
            size: 1,
            stored_size: 1,
            sha256: Vec::new(),
            wrapped_key: Some(RedactedBytes(KEY.to_vec())),
            uploaded_by: "t".into(),
            uploaded_at: now,
            decided_at: None,
            decided_by: None,
            reason: None,
            purged_at: None,
        };
        assert_redacted(&format!("{doc:?}"));
        assert_redacted(&format!("{:?}", doc.into_active_model()));
    }
}
