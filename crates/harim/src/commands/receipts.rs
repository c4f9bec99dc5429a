//! `harim receipts`: erasure and consent receipts checked offline.

use anyhow::Context;

use crate::{config::Config, open};

/// `harim receipts verify`: exit 0 when the signature holds, 1 when it does not.
pub async fn verify(
    config: Config,
    file: &std::path::Path,
    keys: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use harim_store::rights::receipt;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let signed: receipt::SignedReceipt = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a signed receipt ({{receipt, signature, key_id}})",
            file.display()
        )
    })?;
    let keys: Vec<receipt::PublicKey> = match keys {
        Some(path) => {
            #[derive(serde::Deserialize)]
            struct Keys {
                keys: Vec<receipt::PublicKey>,
            }
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str::<Keys>(&text)
                .with_context(|| format!("{} is not a receipt-keys document", path.display()))?
                .keys
        }
        None => {
            let db = open::schema_ready_db(&config).await?;
            let vault = open::vault(&config, &db).await?;
            // Every key that ever signed, so a receipt from before a change still verifies.
            receipt::published_keys(&db, &vault).await?
        }
    };
    match receipt::verify(&signed, &keys) {
        Ok(()) => {
            println!("valid: signed by {}", signed.key_id);
            Ok(())
        }
        Err(e) => {
            println!("INVALID: {e}");
            std::process::exit(1);
        }
    }
}
