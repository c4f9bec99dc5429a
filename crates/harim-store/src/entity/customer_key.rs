use sea_orm::entity::prelude::*;

/// One customer's data key, wrapped by the shop's tenant key `tk_version` (a 0x01 field
/// ciphertext of the 32 key bytes). Deleting this row erases the customer: every field sealed
/// under the key is noise from that commit on.
#[derive(Clone, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: Uuid,
    pub tk_version: i32,
    pub wrapped: super::redacted::RedactedBytes,
    pub created_at: TimeDateTimeWithTimeZone,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerKey")
            .field("tenant_id", &self.tenant_id)
            .field("customer_id", &self.customer_id)
            .field("tk_version", &self.tk_version)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
