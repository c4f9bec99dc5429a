//! Issue 26's figures, on PostgreSQL, in one run: the notification gate's decision (a marketing
//! SMS to a customer who has not consented: every check runs, nothing is queued or sent) at 32
//! connections (goal ≥ 5,000 req/s) and its p99 at 4 (goal < 5 ms); recording a consent event
//! against a plain transaction inserting one row of the same shape (goal ≥ 0.5×).

use std::{fmt::Write as _, sync::Arc};

use anyhow::{Result, anyhow};
use hyper::body::Bytes;
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use harim_store::testkit::statement;

use crate::{
    Ctx, Section,
    load::{self, MakeRequest, Operation, request},
    scenarios::{checked, met, ms, pg_rig},
};

fn settings() -> Value {
    let mut s = json!(harim_policy::examples::iranian_shop().0);
    s["notifications"]["marketing_sms"] = json!(true);
    s["analytics"] = json!(["matomo"]);
    s
}

/// One plain transaction inserting one consent-event row (random tenant: no head, no chain).
fn record_baseline(pool: DatabaseConnection) -> Operation {
    Arc::new(move |i| {
        let pool = pool.clone();
        Box::pin(async move {
            let txn = pool.begin().await?;
            let now = time::OffsetDateTime::now_utc();
            txn.execute(statement(
                &txn,
                "INSERT INTO consent_events (tenant_id, seq, id, customer_id, visitor_hash, purpose, \
                 state, policy_version, policy_hash, language, collection, actor, at, valid_until, \
                 prev_hash, hash, erased_mac) VALUES ($1, $2, $3, NULL, $4, 'analytics', 'given', 1, \
                 $5, 'fa', 'api', 'bench', $6, $6, $7, $8, NULL)",
                [
                    Uuid::new_v4().into(),
                    i64::try_from(i)?.into(),
                    Uuid::new_v4().into(),
                    vec![1u8; 32].into(),
                    "0".repeat(64).into(),
                    now.into(),
                    vec![2u8; 32].into(),
                    vec![3u8; 32].into(),
                ],
            ))
            .await?;
            txn.commit().await?;
            Ok(())
        })
    })
}

pub async fn consent(ctx: &Ctx) -> Result<Section> {
    let w = ctx.p.window;
    let r = pg_rig(ctx, "consent", false).await?;
    let addr = r.h.addr();
    let pid = Some(r.h.child.id());
    let base = r.h.base.clone();
    let pool = r.d.pool().await?;
    let token = r.token.clone();
    let auth = format!("Bearer {token}");
    let c = reqwest::Client::new();
    let mut customers = Vec::with_capacity(r.ids.len());
    for shop in &r.ids {
        for (m, path, body) in [
            (
                reqwest::Method::PUT,
                format!("/v1/shops/{shop}/privacy-settings"),
                Some(settings()),
            ),
            (
                reqwest::Method::POST,
                format!("/v1/shops/{shop}/policies"),
                None,
            ),
        ] {
            let mut req = c.request(m, format!("{base}{path}")).bearer_auth(&token);
            if let Some(b) = body {
                req = req.json(&b);
            }
            req.send().await?.error_for_status()?;
        }
        let v: Value = c
            .post(format!("{base}/v1/shops/{shop}/customers"))
            .bearer_auth(&token)
            .json(&json!({"name": "Maryam Rezaei", "phone": "+989121234567"}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        customers.push(
            v["id"]
                .as_str()
                .ok_or_else(|| anyhow!("no customer id"))?
                .to_string(),
        );
    }
    let pairs = Arc::new(
        r.ids
            .iter()
            .cloned()
            .zip(customers)
            .collect::<Vec<(String, String)>>(),
    );

    // 1. The gate's decision: marketing SMS without consent, rotating over the shops.
    let gate_req: MakeRequest = {
        let (pairs, auth) = (pairs.clone(), auth.clone());
        Arc::new(move |i| {
            let (shop, customer) = &pairs[i as usize % pairs.len()];
            let body = Bytes::from(
                json!({"customer_id": customer, "channel": "sms", "kind": "marketing",
                       "template": "marketing", "values": {"text": "Yalda sale"}})
                .to_string(),
            );
            request(
                "POST",
                &format!("/v1/shops/{shop}/notifications"),
                &[("authorization", &auth)],
                Some(&body),
            )
        })
    };
    let refused = |s: u16| s == 409;
    let g32 = checked(
        "gate decision @32",
        load::http_accepting(&addr, 32, w, gate_req.clone(), pid, refused).await?,
    )?;
    let g4 = checked(
        "gate decision @4",
        load::http_accepting(&addr, 4, w, gate_req, pid, refused).await?,
    )?;

    // 2. Recording a consent event (a visitor's, through the API) against a plain insert.
    let record_req: MakeRequest = {
        let (ids, auth) = (Arc::new(r.ids.clone()), auth.clone());
        Arc::new(move |i| {
            let shop = &ids[i as usize % ids.len()];
            let body = Bytes::from(
                json!({"visitor_id": format!("v_{:032x}", i), "purpose": "analytics",
                       "state": "given", "policy_version": 1, "language": "fa", "collection": "api"})
                .to_string(),
            );
            request(
                "POST",
                &format!("/v1/shops/{shop}/consents"),
                &[("authorization", &auth)],
                Some(&body),
            )
        })
    };
    let h_rec = checked(
        "record consent @32",
        load::http(&addr, 32, w, record_req, pid).await?,
    )?;
    let b_rec = checked(
        "plain insert @32",
        load::ops(32, w, record_baseline(pool.clone())).await?,
    )?;
    let ratio = h_rec.rps / b_rec.rps;

    let mut s = format!(
        "PostgreSQL deployment (harim and the database on the same 2 cores as the load generator), \
         {} shops, each with a published policy (order and marketing SMS, one analytics service) \
         and one customer. Gate decision: `POST .../notifications` for a marketing SMS to a \
         customer who has not consented, rotating over the shops; every check runs (template, \
         policy in force, customer and their key, consent fold, suppressions) and the answer is \
         409 `no-consent`; nothing is written or sent. Recording: `POST .../consents` (a visitor's \
         analytics consent: policy version check, one chained event, a signed receipt) against a \
         plain transaction inserting one row of the same shape through harim's pool.\n\n\
         | what | harim | baseline | ratio / figure | goal | |\n|---|---|---|---|---|---|\n",
        r.ids.len()
    );
    let _ = writeln!(
        s,
        "| gate decision @32 | {:.0} req/s (p99 {} ms) | | {:.0} req/s | ≥ 5,000 req/s | {} |",
        g32.rps,
        ms(g32.p99_ms),
        g32.rps,
        met(g32.rps >= 5000.0)
    );
    let _ = writeln!(
        s,
        "| gate decision @4 | {:.0} req/s, p50 {} ms | | p99 {} ms | < 5 ms | {} |",
        g4.rps,
        ms(g4.p50_ms),
        ms(g4.p99_ms),
        met(g4.p99_ms < 5.0)
    );
    let _ = writeln!(
        s,
        "| record a consent event @32 | {:.0} req/s (p99 {} ms) | {:.0} tx/s (p99 {} ms) | {:.2}× | ≥ 0.5× | {} |",
        h_rec.rps,
        ms(h_rec.p99_ms),
        b_rec.rps,
        ms(b_rec.p99_ms),
        ratio,
        met(ratio >= 0.5)
    );
    Ok(Section {
        name: "consent",
        markdown: s,
    })
}
