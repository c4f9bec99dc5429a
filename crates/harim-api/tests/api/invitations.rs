//! Membership needs the invitee's consent (issue "Hostile input", finding 7): an owner invites an
//! e-mail address, learns nothing about whether it has an account, and the person joins only by
//! accepting, signed in as that address.

use axum::http::StatusCode;
use serde_json::json;

use crate::{db_test, helpers::TestApp};

db_test!(
    staff_join_only_by_accepting_and_the_owner_learns_nothing,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("inviting").await;
        let (victim_id, victim) = app.account("victim@example.com").await;
        let invite = |email: &'static str| {
            let (app, owner, shop) = (&app, owner.clone(), shop.clone());
            async move {
                app.post(
                    &format!("/v1/shops/{shop}/members"),
                    Some(&owner),
                    json!({"email": email, "role": "staff"}),
                )
                .await
            }
        };
        let known = invite("victim@example.com").await;
        let unknown = invite("nobody-here@example.com").await;
        // The same answer whether or not the address has an account, and no account id.
        for r in [&known, &unknown] {
            assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
            let mut keys: Vec<&String> = r.json.as_object().unwrap().keys().collect();
            keys.sort();
            assert_eq!(keys, ["email", "expires_at", "role", "token"]);
        }
        assert!(!known.json.to_string().contains(&victim_id));
        // Before accepting, the shop is not the victim's and the victim is not its staff.
        assert_eq!(app.get("/v1/shops", &victim).await.json, json!([]));
        app.get(&format!("/v1/shops/{shop}"), &victim)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not-found");

        let token = known.json["token"].clone();
        // Another account cannot use it, nor can the owner, nor an unknown token.
        let (_, other) = app.account("someone-else@example.com").await;
        for (who, tok) in [
            (&other, token.clone()),
            (&owner, token.clone()),
            (&victim, json!("hi_not-a-real-token")),
        ] {
            app.post("/v1/invitations/accept", Some(who), json!({"token": tok}))
                .await
                .assert_problem(StatusCode::CONFLICT, "conflict");
        }
        // The invitee accepts: now a member, as staff.
        let ok = app
            .post(
                "/v1/invitations/accept",
                Some(&victim),
                json!({"token": token}),
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.json);
        assert_eq!(ok.json["shop_id"], shop);
        assert_eq!(ok.json["role"], "staff");
        let r = app.get(&format!("/v1/shops/{shop}"), &victim).await;
        assert_eq!(r.json["role"], "staff");
        // A token works once.
        app.post(
            "/v1/invitations/accept",
            Some(&victim),
            json!({"token": token}),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    }
);
