//! Tenant-key rotation: new key, fields re-encrypted, old key destroyed, resumable `--all`.

use harim_store::{
    StoreError, identity,
    scope::{PlatformScope, ShopScope},
    tenant_rotation::{Outcome, rotate_shop, run_all, start_all},
    testkit::entity::{merchant_identity, tenant_key},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use time::OffsetDateTime;

use crate::{db_test, harness::Store};

fn operator() -> PlatformScope {
    PlatformScope::command_line("test")
}

async fn versions(store: &Store, scope: &ShopScope) -> Vec<i32> {
    tenant_key::Entity::find()
        .filter(tenant_key::Column::TenantId.eq(scope.tenant_id()))
        .all(&store.db)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.tk_version)
        .collect()
}

/// The shop's identity row as stored (ciphertexts).
async fn identity_row(store: &Store, scope: &ShopScope) -> merchant_identity::Model {
    merchant_identity::Entity::find_by_id(scope.tenant_id())
        .one(&store.db)
        .await
        .unwrap()
        .unwrap()
}

db_test!(
    a_shop_gets_a_new_key_its_fields_follow_and_the_old_key_is_destroyed,
    |store: Store| async move {
        let (_, scope) = store.merchant("tkrot").await;
        store.write_identity(&scope).await;
        let before = identity_row(&store, &scope).await;

        let out = rotate_shop(
            &store.db,
            &store.vault,
            &operator(),
            scope.shop(),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
        assert_eq!(out, Outcome::Rotated(2));
        assert_eq!(versions(&store, &scope).await, vec![2]);
        let after = identity_row(&store, &scope).await;
        assert_eq!(after.tk_version, 2);
        assert_ne!(after.iban, before.iban);
        assert_eq!(
            after.iban_bidx, before.iban_bidx,
            "blind indexes do not depend on the tenant key"
        );
        assert_eq!(
            store.reveal_iban(&scope).await,
            "IR062960000000100324200001"
        );

        // A key newer than the cutoff is left alone.
        let stale_cutoff = OffsetDateTime::now_utc() - time::Duration::hours(1);
        assert_eq!(
            rotate_shop(
                &store.db,
                &store.vault,
                &operator(),
                scope.shop(),
                stale_cutoff
            )
            .await
            .unwrap(),
            Outcome::AlreadyFresh
        );
        assert_eq!(versions(&store, &scope).await, vec![2]);
        // Writes after the rotation use the new key.
        store.write_identity(&scope).await;
        store.assert_chains_verify().await;
    }
);

db_test!(
    rotating_every_shop_resumes_and_rotates_each_shop_once,
    |store: Store| async move {
        let mut shops = Vec::new();
        for i in 0..5 {
            let (_, scope) = store.merchant(&format!("all{i}")).await;
            // Shops 0, 2 and 4 register an identity; 1 and 3 have only their tenant key.
            let has_identity = i % 2 == 0;
            if has_identity {
                store.write_identity(&scope).await;
            }
            shops.push((scope, has_identity));
        }
        let job = start_all(&store.db, &operator()).await.unwrap();
        assert_eq!(job.total, 5);
        // A worker died after one shop: that shop is done under this job's cutoff...
        rotate_shop(
            &store.db,
            &store.vault,
            &operator(),
            shops[0].0.shop(),
            job.created_at,
        )
        .await
        .unwrap();
        // ...and the resumed job (the same one) does the rest, not that shop again.
        let again = start_all(&store.db, &operator()).await.unwrap();
        assert_eq!(again.id, job.id);
        let done = run_all(&store.db, &store.vault, &operator(), again, &|_, _| {})
            .await
            .unwrap();
        assert_eq!(done.state, harim_store::rotation::JobState::Done);
        for (scope, has_identity) in &shops {
            assert_eq!(versions(&store, scope).await, vec![2], "{}", scope.shop());
            let read = identity::read_masked(&store.db, &store.vault, scope).await;
            if *has_identity {
                // Readable under the new key.
                let (masked, _) = read.unwrap();
                assert!(masked.iban.ends_with("0001"), "{}", scope.shop());
            } else {
                assert!(matches!(read, Err(StoreError::NotFound)), "{read:?}");
            }
        }
        assert_eq!(
            store.reveal_iban(&shops[2].0).await,
            "IR062960000000100324200001"
        );
        store.assert_chains_verify().await;
    }
);

db_test!(
    only_platform_admins_rotate_tenant_keys,
    |store: Store| async move {
        let (owner, scope) = store.merchant("tk-reviewer").await;
        // A shop owner's principal is no operator at all; a reviewer is one, but not an admin.
        assert!(PlatformScope::of(&owner).is_none());
        let token = harim_store::auth::create_platform_token(
            &store.db,
            harim_store::roles::PlatformRole::Reviewer,
            "reviewer",
            harim_store::auth::PLATFORM_TOKEN_DEFAULT_TTL_DAYS,
        )
        .await
        .unwrap();
        use secrecy::ExposeSecret;
        let principal = harim_store::auth::authenticate(&store.db, token.token.expose_secret())
            .await
            .unwrap()
            .unwrap();
        let reviewer = PlatformScope::of(&principal).unwrap();
        let out = rotate_shop(
            &store.db,
            &store.vault,
            &reviewer,
            scope.shop(),
            OffsetDateTime::now_utc(),
        )
        .await;
        assert!(matches!(out, Err(StoreError::Forbidden(_))), "{out:?}");
        assert_eq!(versions(&store, &scope).await, vec![1]);
    }
);
