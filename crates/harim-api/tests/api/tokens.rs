//! Platform tokens end (issue 24, low item 2): past their expiry, or once revoked, they
//! authenticate nothing, on admin routes and shop routes alike; only admins revoke.

use axum::http::{Method, StatusCode};
use harim_store::roles::PlatformRole;
use time::OffsetDateTime;

use crate::{db_test, helpers::TestApp};

/// What a token reaches: an admin route (`auth::authenticate`) and a shop route (the one
/// statement of `ShopScope::authenticate`).
async fn reaches(app: &TestApp, token: &str, shop: &str) -> (StatusCode, StatusCode) {
    let admin = app.get("/v1/admin/kyc/queue", token).await.status;
    let shop = app.get(&format!("/v1/shops/{shop}"), token).await.status;
    (admin, shop)
}

async fn revoke(app: &TestApp, token: Option<&str>, id: &str) -> crate::helpers::Resp {
    app.call(
        Method::DELETE,
        &format!("/v1/admin/platform-tokens/{id}"),
        token,
        None,
    )
    .await
}

db_test!(
    an_expired_platform_token_is_refused_on_every_route,
    |app: TestApp| async move {
        let (_, shop) = app.merchant("expiry").await;
        let (id, token) = app.platform_token_with_id(PlatformRole::Reviewer).await;
        assert_eq!(
            reaches(&app, &token, &shop).await,
            (StatusCode::OK, StatusCode::OK)
        );
        let id: uuid::Uuid = id.parse().unwrap();
        let past = OffsetDateTime::now_utc() - time::Duration::seconds(1);
        app.exec(
            "UPDATE platform_tokens SET expires_at = $1 WHERE id = $2",
            [past.into(), id.into()],
        )
        .await;
        for path in [
            "/v1/admin/kyc/queue".to_string(),
            format!("/v1/shops/{shop}"),
        ] {
            app.get(&path, &token)
                .await
                .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
        }
        // A row without an expiry (written by something that predates it) is no token either.
        app.exec(
            "UPDATE platform_tokens SET expires_at = NULL WHERE id = $1",
            [id.into()],
        )
        .await;
        assert_eq!(
            reaches(&app, &token, &shop).await,
            (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
        );
        // A new token lives the default 90 days.
        let (fresh, _) = app.platform_token_with_id(PlatformRole::Admin).await;
        let fresh: uuid::Uuid = fresh.parse().unwrap();
        let expires: OffsetDateTime = app
            .row(
                "SELECT expires_at FROM platform_tokens WHERE id = $1",
                [fresh.into()],
            )
            .await
            .try_get("", "expires_at")
            .unwrap();
        let days = (expires - OffsetDateTime::now_utc()).whole_hours();
        assert!((89 * 24..=90 * 24).contains(&days), "{days} hours");
    }
);

db_test!(
    a_revoked_platform_token_is_refused_and_only_admins_revoke,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("revoker").await;
        let (_, owner_key) = app.api_key(&owner, &shop, "owner").await;
        let (_, admin) = app.platform_token_with_id(PlatformRole::Admin).await;
        let (reviewer_id, reviewer) = app.platform_token_with_id(PlatformRole::Reviewer).await;
        let (admin_id, _) = app.platform_token_with_id(PlatformRole::Admin).await;

        // Nobody but an admin revokes: not a reviewer, not the shop's owner, not its key.
        for cred in [&reviewer, &owner, &owner_key] {
            revoke(&app, Some(cred), &admin_id)
                .await
                .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        }
        revoke(&app, None, &admin_id)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
        assert_eq!(
            reaches(&app, &reviewer, &shop).await,
            (StatusCode::OK, StatusCode::OK)
        );

        let r = revoke(&app, Some(&admin), &reviewer_id).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.json);
        assert_eq!(
            reaches(&app, &reviewer, &shop).await,
            (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
        );
        // Once only; an unknown or malformed id is 404, and neither is recorded.
        revoke(&app, Some(&admin), &reviewer_id)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not-found");
        revoke(&app, Some(&admin), "not-a-token")
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not-found");
        let entries = app
            .count(
                "SELECT COUNT(*) AS n FROM audit_log \
                 WHERE action = 'platform_token.revoke' AND fields LIKE $1",
                [format!("%platform_token:{reviewer_id}%").into()],
            )
            .await;
        assert_eq!(entries, 1);
        app.assert_chains_verify().await;
    }
);
