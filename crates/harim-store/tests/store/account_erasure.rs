//! No shop is left without an owner when its owner's account erasure races its creation (issue
//! 24, low item 4): the erasure found the shops it solely owns before its transaction, so a
//! `POST /v1/shops` committing in between made a shop whose owner membership the erasure then
//! deleted. Either the creation is refused, or the shop is erased with the account.

use harim_store::{StoreError, checkpoint::Pause, rights::erasure, shops};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::{
    db_test,
    harness::{Store, password},
};

/// Shops that no account owns.
async fn ownerless_shops(db: &DatabaseConnection) -> i64 {
    let row = db
        .query_one(harim_store::testkit::statement(
            db,
            "SELECT COUNT(*) AS n FROM shops s WHERE NOT EXISTS \
             (SELECT 1 FROM memberships m WHERE m.tenant_id = s.id AND m.role = 'owner')",
            [],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

async fn create(
    store: &Store,
    owner: harim_store::ids::AccountId,
    slug: &str,
) -> Result<shops::Shop, StoreError> {
    shops::create(
        &store.db,
        &store.vault,
        owner,
        "Late".into(),
        slug.to_string(),
        harim_policy::Locale::En,
    )
    .await
}

db_test!(
    a_shop_created_while_its_owners_account_is_erased_is_erased_with_it,
    |store: Store| async move {
        let (principal, _) = store.merchant("acct-race-first").await;
        let account = principal.account_id().unwrap();

        // The erasure has erased the shops it found and waits before its own transaction.
        let pause = Pause::arm("erasure.account.before_transaction", account);
        let (rights, passwords, who) = (
            store.rights.clone(),
            store.passwords.clone(),
            principal.clone(),
        );
        let erasing = tokio::spawn(async move {
            erasure::erase_account(&rights, &passwords, &who, password(), None).await
        });
        pause.reached().await;
        // Meanwhile the same person opens another shop, to the end.
        let late = create(&store, account, "acct-race-late").await.unwrap();
        pause.release().await;

        let signed = erasing.await.unwrap().unwrap();
        assert_eq!(
            ownerless_shops(&store.db).await,
            0,
            "a shop was left without its owner"
        );
        assert_eq!(
            signed.receipt["shop_receipts"].as_array().unwrap().len(),
            2,
            "{}",
            signed.receipt
        );
        // The late shop is erased as any other: its page is gone, its slug fenced.
        let public = harim_store::policies::resolve(&store.db, &late.slug, None).await;
        assert!(matches!(public, Err(StoreError::Gone(_))), "{public:?}");
        store.assert_chains_verify().await;
    }
);

db_test!(
    a_shop_creation_waiting_out_its_owners_account_erasure_is_refused,
    |store: Store| async move {
        let (principal, _) = store.merchant("acct-race-second").await;
        let account = principal.account_id().unwrap();

        // The creation has checked what it checks before its transaction, and waits.
        let pause = Pause::arm("shops.create.before_transaction", "acct-race-after");
        let (db, vault) = (store.db.clone(), store.vault.clone());
        let creating = tokio::spawn(async move {
            shops::create(
                &db,
                &vault,
                account,
                "After".into(),
                "acct-race-after".into(),
                harim_policy::Locale::En,
            )
            .await
        });
        pause.reached().await;
        // Meanwhile the account is erased, to the end.
        erasure::erase_account(
            &store.rights,
            &store.passwords,
            &principal,
            password(),
            None,
        )
        .await
        .unwrap();
        pause.release().await;

        let created = creating.await.unwrap();
        assert!(
            matches!(created, Err(StoreError::Conflict(_))),
            "a shop was made for an erased account: {created:?}"
        );
        assert_eq!(
            ownerless_shops(&store.db).await,
            0,
            "a shop was left without its owner"
        );
    }
);
