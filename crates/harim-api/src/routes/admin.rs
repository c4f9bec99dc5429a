//! Platform administration: tokens for operators.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use secrecy::SecretString;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    auth::{PlatformRole, TokenKind, mint_token},
    entity::platform_token,
    error::ApiError,
};

/// Mints a platform token (used by `harim admin create-token`); returns it once.
pub async fn create_platform_token(
    db: &impl ConnectionTrait,
    role: PlatformRole,
    name: &str,
) -> Result<SecretString, ApiError> {
    let token = mint_token(TokenKind::Platform);
    platform_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        token_hash: Set(token.digest),
        name: Set(name.to_string()),
        role: Set(role.as_str().into()),
        created_at: Set(OffsetDateTime::now_utc()),
    }
    .insert(db)
    .await?;
    Ok(token.token)
}
