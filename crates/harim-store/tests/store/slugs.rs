//! An erased shop's slug stays its own (issue "Evidence that survives a database writer", medium
//! item 5): another account that starts creating a shop with the slug while the erasure runs must
//! not win it once the erasure commits.

use harim_store::{StoreError, accounts, checkpoint::Pause, rights::erasure, shops};
use secrecy::SecretString;

use crate::{db_test, harness::Store};

db_test!(
    a_slug_is_not_taken_over_by_a_creation_racing_its_erasure,
    |store: Store| async move {
        let slug = format!("race-slug-{}", uuid::Uuid::new_v4().simple());
        let (_, owner) = store.merchant(&slug).await;
        let rival = accounts::create_account(
            &store.db,
            &store.passwords,
            "rival@example.com",
            SecretString::from("another long passphrase".to_string()),
            None,
        )
        .await
        .unwrap();

        // The rival's creation has checked what it checks before its transaction, and waits.
        let pause = Pause::arm("shops.create.before_transaction", &slug);
        let (db, vault, taken) = (store.db.clone(), store.vault.clone(), slug.clone());
        let creating = tokio::spawn(async move {
            shops::create(
                &db,
                &vault,
                rival,
                "Rival".into(),
                taken,
                harim_policy::Locale::En,
            )
            .await
        });
        pause.reached().await;
        // Meanwhile the owner erases the shop, to the end.
        erasure::erase_shop(
            &store.rights,
            &store.passwords,
            &owner,
            &slug,
            crate::harness::password(),
            None,
        )
        .await
        .unwrap();
        pause.release().await;

        let created = creating.await.unwrap();
        assert!(
            matches!(created, Err(StoreError::Conflict(_))),
            "the erased shop's slug went to another shop: {created:?}"
        );
        let public = harim_store::policies::resolve(&store.db, &slug, None).await;
        assert!(matches!(public, Err(StoreError::Gone(_))), "{public:?}");
    }
);
