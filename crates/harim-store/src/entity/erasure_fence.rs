use sea_orm::entity::prelude::*;

/// An erased shop. While this row exists (for ever), no tenant key can be created for the shop
/// id, no scope resolves into it and its slug's public pages answer 410 Gone. Only the slug's
/// SHA-256 is kept, never the slug.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "erasure_fences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub erased_at: TimeDateTimeWithTimeZone,
    pub request_id: Uuid,
    pub slug_digest: Vec<u8>,
    /// MAC under the audit key over the four columns above ([`crate::fence::seal`]); NULL on
    /// fences written before it existed, which are not trusted for anything destructive.
    pub mac: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
