//! Tenant-key rotation: new key, fields re-encrypted, old key destroyed, resumable `--all`.

use axum::http::StatusCode;
use harim_store::{
    tenant_rotation::{Outcome, rotate_shop, run_all, start_all},
    testkit::entity::{merchant_identity, tenant_key},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::helpers::cli_operator;
use crate::{db_test, helpers::TestApp, identity::iranian_identity};

async fn versions(app: &TestApp, shop: &str) -> Vec<i32> {
    tenant_key::Entity::find()
        .filter(tenant_key::Column::TenantId.eq(Uuid::parse_str(shop).unwrap()))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.tk_version)
        .collect()
}

/// The shop's identity row as stored (ciphertexts).
async fn identity_row(app: &TestApp, shop: Uuid) -> merchant_identity::Model {
    merchant_identity::Entity::find_by_id(shop)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn reveal_iban(app: &TestApp, owner: &str, shop: &str) -> String {
    let r = app
        .reveal(
            owner,
            shop,
            json!({"fields": ["iban"], "purpose": "payout"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    r.json["fields"]["iban"].as_str().unwrap().to_string()
}

db_test!(
    a_shop_gets_a_new_key_its_fields_follow_and_the_old_key_is_destroyed,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant_with_identity("tkrot").await;
        let id = Uuid::parse_str(&shop).unwrap();
        let before = identity_row(&app, id).await;

        let out = rotate_shop(
            &app.db,
            &app.vault,
            &cli_operator("test"),
            id.into(),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
        assert_eq!(out, Outcome::Rotated(2));
        assert_eq!(versions(&app, &shop).await, vec![2]);
        let after = identity_row(&app, id).await;
        assert_eq!(after.tk_version, 2);
        assert_ne!(after.iban, before.iban);
        assert_eq!(
            after.iban_bidx, before.iban_bidx,
            "blind indexes do not depend on the tenant key"
        );
        assert_eq!(
            reveal_iban(&app, &owner, &shop).await,
            "IR062960000000100324200001"
        );

        // A key newer than the cutoff is left alone.
        let stale_cutoff = OffsetDateTime::now_utc() - time::Duration::hours(1);
        assert_eq!(
            rotate_shop(
                &app.db,
                &app.vault,
                &cli_operator("test"),
                id.into(),
                stale_cutoff
            )
            .await
            .unwrap(),
            Outcome::AlreadyFresh
        );
        assert_eq!(versions(&app, &shop).await, vec![2]);
        // Writes after the rotation use the new key.
        app.write_identity(&owner, &shop, iranian_identity()).await;
        app.assert_chains_verify().await;
    }
);

db_test!(
    rotating_every_shop_resumes_and_rotates_each_shop_once,
    |app: TestApp| async move {
        let mut shops = Vec::new();
        for i in 0..5 {
            let (owner, shop) = app.merchant(&format!("all{i}")).await;
            // Shops 0, 2 and 4 register an identity; 1 and 3 have only their tenant key.
            let has_identity = i % 2 == 0;
            if has_identity {
                app.write_identity(&owner, &shop, iranian_identity()).await;
            }
            shops.push((owner, shop, has_identity));
        }
        let job = start_all(&app.db, &cli_operator("test")).await.unwrap();
        assert_eq!(job.total, 5);
        // A worker died after one shop: that shop is done under this job's cutoff...
        let first = Uuid::parse_str(&shops[0].1).unwrap();
        rotate_shop(
            &app.db,
            &app.vault,
            &cli_operator("test"),
            first.into(),
            job.created_at,
        )
        .await
        .unwrap();
        // ...and the resumed job (the same one) does the rest, not that shop again.
        let again = start_all(&app.db, &cli_operator("test")).await.unwrap();
        assert_eq!(again.id, job.id);
        let done = run_all(
            &app.db,
            &app.vault,
            &cli_operator("test"),
            again,
            &|_, _| {},
        )
        .await
        .unwrap();
        assert_eq!(done.state, harim_store::rotation::JobState::Done);
        for (owner, shop, has_identity) in &shops {
            assert_eq!(versions(&app, shop).await, vec![2], "{shop}");
            let g = app.get(&format!("/v1/shops/{shop}/identity"), owner).await;
            if *has_identity {
                // Readable under the new key.
                assert_eq!(g.status, StatusCode::OK, "{shop}: {:?}", g.json);
                assert!(g.json["iban"].as_str().unwrap().ends_with("0001"), "{shop}");
            } else {
                g.assert_problem(StatusCode::NOT_FOUND, "not-found");
            }
        }
        assert_eq!(
            reveal_iban(&app, &shops[2].0, &shops[2].1).await,
            "IR062960000000100324200001"
        );
        app.assert_chains_verify().await;
    }
);
