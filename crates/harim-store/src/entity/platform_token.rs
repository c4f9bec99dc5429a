use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "platform_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    pub name: String,
    /// Stored as its name (`owner`, `admin`, ...).
    pub role: crate::roles::PlatformRole,
    pub created_at: TimeDateTimeWithTimeZone,
    /// After this the token authenticates nothing. NULL only on a row written before harim
    /// knew expiry and missed by the migration that set it: read as expired (fail closed).
    pub expires_at: Option<TimeDateTimeWithTimeZone>,
}

impl Model {
    /// Whether the token may still authenticate at `now`.
    pub fn live_at(&self, now: TimeDateTimeWithTimeZone) -> bool {
        self.expires_at.is_some_and(|e| e > now)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
