use sea_orm::entity::prelude::*;

/// Where privacy events go. `secret` is the signing secret sealed as a field under the platform
/// key (table `webhook_endpoints`, field `secret`): shown once when made, never again.
#[derive(Clone, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub url: String,
    /// Comma-separated topics.
    pub topics: String,
    pub secret: super::redacted::RedactedBytes,
    pub created_at: TimeDateTimeWithTimeZone,
    pub created_by: String,
    pub disabled_at: Option<TimeDateTimeWithTimeZone>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("id", &self.id)
            .field("topics", &self.topics)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
