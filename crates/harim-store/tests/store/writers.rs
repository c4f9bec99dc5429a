//! Audited writes of one shop queue one behind the other: on SQLite in the process's writer
//! queue (`tx`), on PostgreSQL on the shop's audit-head row lock. Each test stops the first
//! writer inside its transaction, sees the second one *waiting* (not guessed from a sleep), then
//! lets the first go.

use std::time::Duration;

use harim_store::{StoreError, checkpoint::Pause, identity, rights::erasure, testkit};
use sea_orm::ConnectionTrait;

use crate::{
    db_test,
    harness::{Store, identity},
};

/// Writers of this database waiting behind another: SQLite's writer queue, or PostgreSQL
/// sessions waiting for a lock.
async fn writers_waiting(store: &Store) -> u64 {
    match testkit::lock_waiters(&store.db).await.unwrap() {
        Some(n) => n,
        None => testkit::sqlite_writers_waiting(&store.db) as u64,
    }
}

db_test!(
    an_identity_write_waits_for_a_shop_erasure_and_then_finds_the_shop_gone,
    |store: Store| async move {
        let (_, scope) = store.merchant("queue-erase").await;
        let shop = scope.tenant_id();
        let pause = Pause::arm("erasure.shred.locked", shop);
        let (rights, passwords, owner) =
            (store.rights.clone(), store.passwords.clone(), scope.clone());
        let erasing = tokio::spawn(async move {
            let password = crate::harness::password();
            erasure::erase_shop(&rights, &passwords, &owner, "queue-erase", password, None).await
        });
        pause.reached().await;

        let (db, vault, owner) = (store.db.clone(), store.vault.clone(), scope.clone());
        let writing =
            tokio::spawn(
                async move { identity::write(&db, &vault, &owner, identity(), None).await },
            );
        while writers_waiting(&store).await == 0 {
            assert!(!writing.is_finished(), "the write ran past a held erasure");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(!writing.is_finished());
        pause.release().await;

        let receipt = erasing.await.unwrap().unwrap();
        assert_eq!(receipt.receipt["subject"]["kind"], "shop");
        let written = writing.await.unwrap();
        assert!(
            matches!(written, Err(StoreError::NotFound | StoreError::Gone(_))),
            "a write queued behind an erasure must find the shop gone, not {written:?}"
        );
        let rows = store
            .db
            .query_one(testkit::statement(
                &store.db,
                "SELECT COUNT(*) AS n FROM merchant_identities WHERE tenant_id = $1",
                [shop.into()],
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        assert_eq!(rows, 0, "nothing of the identity outlives the erasure");
        store.assert_chains_verify().await;
    }
);
