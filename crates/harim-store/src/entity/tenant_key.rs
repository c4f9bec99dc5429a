use sea_orm::entity::prelude::*;

#[derive(Clone, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub tk_version: i32,
    pub kek_version: i32,
    /// The tenant key wrapped by root key `kek_version`; never the key itself.
    pub wrapped: super::redacted::RedactedBytes,
    /// Field encryptions made under this key, for the GCM random-nonce budget.
    pub encryptions: i64,
    pub created_at: TimeDateTimeWithTimeZone,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantKey")
            .field("tenant_id", &self.tenant_id)
            .field("tk_version", &self.tk_version)
            .field("kek_version", &self.kek_version)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
