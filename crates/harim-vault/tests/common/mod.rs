#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic
#![allow(dead_code)]

use std::sync::Arc;

use harim_vault::{CacheConfig, EnvKeyring, Vault};

/// Two root versions, 2 active (1 decrypt-only), from fixed test keys.
pub fn env_provider() -> Arc<EnvKeyring> {
    let k1 = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    let k2 = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";
    Arc::new(EnvKeyring::from_values(&format!("1:{k1},2:{k2}"), Some("2")).unwrap())
}

pub fn vault() -> Vault {
    Vault::new(env_provider(), CacheConfig::default())
}
