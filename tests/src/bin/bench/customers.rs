//! Issue 25's figures, on PostgreSQL, in one run: creating a customer against a plain
//! transaction writing the same rows (goal ≥ 0.5×), a reveal's p99 at 4 connections (goal
//! < 5 ms), a lookup by phone in a shop of `p.customers_big` customers (goal p99 < 5 ms), a
//! batch reveal of 500 (goal < 100 ms) and the erasure of one customer (goal < 10 ms).

use std::{fmt::Write as _, sync::Arc, time::Instant};

use anyhow::{Result, anyhow};
use hyper::body::Bytes;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use harim_store::testkit::{entity::audit_entry, statement};

use crate::{
    Ctx, Section,
    load::{self, MakeRequest, Operation, request},
    scenarios::{audit_row, checked, met, ms, pg_rig},
};

fn customer(i: usize) -> Value {
    json!({
        "name": format!("Customer {i}"),
        "email": format!("c{i}@example.ir"),
        "phone": format!("+98912{:07}", 1_000_000 + i % 8_000_000),
        "addresses": [{"line": "No. 4, Golestan St.", "city": "Tehran",
                       "postal_code": "1417614418", "country": "IR"}],
        "locale": "fa",
    })
}

/// One customer created through the API: its id.
async fn create(
    c: &reqwest::Client,
    base: &str,
    token: &str,
    shop: &str,
    i: usize,
) -> Result<String> {
    let r: Value = c
        .post(format!("{base}/v1/shops/{shop}/customers"))
        .bearer_auth(token)
        .json(&customer(i))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    r["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no customer id"))
}

/// The rows one create writes, in one transaction, without harim: the shop's audit head bumped
/// and its entry inserted, the tenant key's count, the customer's key row and the customer row with
/// ciphertext-sized bytes.
fn create_baseline(pool: DatabaseConnection, tenant: Uuid) -> Operation {
    Arc::new(move |_| {
        let pool = pool.clone();
        Box::pin(async move {
            let txn = pool.begin().await?;
            // The shop's audit head, bumped as harim bumps it: the same serialisation point.
            let seq: i64 = txn
                .query_one(statement(
                    &txn,
                    "UPDATE audit_heads SET seq = seq + 1 WHERE tenant_id = $1 RETURNING seq",
                    [tenant.into()],
                ))
                .await?
                .ok_or_else(|| anyhow!("no audit head"))?
                .try_get("", "seq")?;
            let id = Uuid::new_v4();
            let now = time::OffsetDateTime::now_utc();
            audit_entry::Entity::insert(audit_row(tenant, seq, "customer.write"))
                .exec_without_returning(&txn)
                .await?;
            txn.execute(statement(
                &txn,
                "UPDATE tenant_keys SET encryptions = encryptions + 1 WHERE tenant_id = $1",
                [tenant.into()],
            ))
            .await?;
            txn.execute(statement(
                &txn,
                "INSERT INTO customer_keys (tenant_id, customer_id, tk_version, wrapped, created_at) \
                 VALUES ($1, $2, 1, $3, $4)",
                [tenant.into(), id.into(), vec![7u8; 65].into(), now.into()],
            ))
            .await?;
            txn.execute(statement(
                &txn,
                "INSERT INTO customers (tenant_id, id, name, email, phone, addresses, locale, \
                 external_ref, email_index, phone_index, index_tk_version, created_at, updated_at, last_active_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'fa', NULL, $7, $8, 1, $9, $9, $9)",
                [
                    tenant.into(),
                    id.into(),
                    vec![3u8; 40].into(),
                    vec![3u8; 45].into(),
                    vec![3u8; 42].into(),
                    vec![3u8; 130].into(),
                    vec![5u8; 32].into(),
                    vec![6u8; 32].into(),
                    now.into(),
                ],
            ))
            .await?;
            txn.commit().await?;
            Ok(())
        })
    })
}

/// `n` more customers of `tenant`, written straight into the tables (ciphertext-sized bytes,
/// distinct random indexes), so a lookup runs against a shop of that size.
async fn seed(pool: &DatabaseConnection, tenant: Uuid, n: usize) -> Result<()> {
    let batch = 100_000usize;
    let mut done = 0usize;
    while done < n {
        let k = batch.min(n - done);
        pool.execute(statement(
            pool,
            "INSERT INTO customers (tenant_id, id, name, email, phone, addresses, locale, external_ref, \
             email_index, phone_index, index_tk_version, created_at, updated_at, last_active_at) \
             SELECT $1, gen_random_uuid(), '\\x00', NULL, '\\x00', NULL, 'fa', NULL, NULL, \
             decode(md5(random()::text) || md5(random()::text), 'hex'), 1, now(), now(), now() \
             FROM generate_series(1, $2)",
            [tenant.into(), i64::try_from(k)?.into()],
        ))
        .await?;
        done += k;
    }
    pool.execute_unprepared("ANALYZE customers").await?;
    Ok(())
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

pub async fn customers(ctx: &Ctx) -> Result<Section> {
    let w = ctx.p.window;
    let r = pg_rig(ctx, "customers", false).await?;
    let addr = r.h.addr();
    let pid = Some(r.h.child.id());
    let base = r.h.base.clone();
    let shop = r.ids[0].clone();
    let tenant = Uuid::parse_str(&shop)?;
    let pool = r.d.pool().await?;
    let token = r.token.clone();
    let auth = format!("Bearer {token}");
    let c = reqwest::Client::new();

    // 1. Create at 32 connections, against the same rows written by a plain transaction.
    let create_req: MakeRequest = {
        let (path, auth) = (format!("/v1/shops/{shop}/customers"), auth.clone());
        Arc::new(move |i| {
            // Every request a customer of its own (distinct phones and e-mails).
            let body = Bytes::from(customer(10_000 + i as usize).to_string());
            request("POST", &path, &[("authorization", &auth)], Some(&body))
        })
    };
    let h_create = checked(
        "create customer @32",
        load::http(&addr, 32, w, create_req, pid).await?,
    )?;
    let b_create = checked(
        "create baseline @32",
        load::ops(32, w, create_baseline(pool.clone(), tenant)).await?,
    )?;
    let create_ratio = h_create.rps / b_create.rps;

    // Customers to reveal, batch-reveal and erase, in a second shop (the first is now large).
    let shop2 = r.ids.get(1).cloned().unwrap_or_else(|| shop.clone());
    let batch_n = if ctx.p.smoke { 20 } else { 500 };
    let erase_n = if ctx.p.smoke { 10 } else { 200 };
    let mut ids = Vec::with_capacity(batch_n + erase_n);
    for i in 0..batch_n + erase_n {
        ids.push(create(&c, &base, &token, &shop2, i).await?);
    }

    // 2. Reveal p99 at 4 connections.
    let reveal_req: MakeRequest = {
        let (shop2, auth, ids) = (
            shop2.clone(),
            auth.clone(),
            Arc::new(ids[..batch_n].to_vec()),
        );
        let body = Bytes::from(
            json!({"fields": ["phone", "addresses"], "purpose": "shipping"}).to_string(),
        );
        Arc::new(move |i| {
            let id = &ids[i as usize % ids.len()];
            request(
                "POST",
                &format!("/v1/shops/{shop2}/customers/{id}/reveal"),
                &[("authorization", &auth)],
                Some(&body),
            )
        })
    };
    let h_reveal = checked("reveal @4", load::http(&addr, 4, w, reveal_req, pid).await?)?;

    // 3. Lookup by phone in a shop of `customers_big` customers: one has this phone.
    let mut wanted = customer(0);
    wanted["phone"] = json!("+989351234567");
    c.post(format!("{base}/v1/shops/{shop}/customers"))
        .bearer_auth(&token)
        .json(&wanted)
        .send()
        .await?
        .error_for_status()?;
    let t = Instant::now();
    seed(&pool, tenant, ctx.p.customers_big).await?;
    eprintln!(
        "  {} customers seeded in {:.1?}",
        ctx.p.customers_big,
        t.elapsed()
    );
    let lookup_req: MakeRequest = {
        let (path, auth) = (
            format!("/v1/shops/{shop}/customers?phone=%2B989351234567"),
            auth.clone(),
        );
        Arc::new(move |_| request("GET", &path, &[("authorization", &auth)], None))
    };
    let h_lookup = checked(
        "lookup by phone @4",
        load::http(&addr, 4, w, lookup_req, pid).await?,
    )?;

    // 4. Batch reveal of `batch_n`, one at a time.
    let batch_body = json!({"customer_ids": ids[..batch_n], "fields": ["name", "phone", "addresses"], "purpose": "shipping"});
    let mut batch_ms = Vec::new();
    for _ in 0..if ctx.p.smoke { 3 } else { 30 } {
        let t = Instant::now();
        c.post(format!("{base}/v1/shops/{shop2}/customers/reveal"))
            .bearer_auth(&token)
            .json(&batch_body)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        batch_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let batch_p50 = percentile(&mut batch_ms, 0.5);
    let batch_p99 = percentile(&mut batch_ms, 0.99);

    // 5. Erasure of one customer, one after another.
    let mut erase_ms = Vec::new();
    for id in &ids[batch_n..] {
        let t = Instant::now();
        c.delete(format!("{base}/v1/shops/{shop2}/customers/{id}"))
            .bearer_auth(&token)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        erase_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let erase_p50 = percentile(&mut erase_ms, 0.5);
    let erase_p99 = percentile(&mut erase_ms, 0.99);

    let mut s = format!(
        "PostgreSQL deployment (harim and the database on the same 2 cores as the load \
         generator). Create: throughput at 32 connections against a plain transaction writing the \
         same rows through harim's pool (audit entry, tenant-key count, customer key row, customer \
         row with ciphertext-sized bytes, no encryption, no validation). Reveal and lookup: 4 \
         connections. The lookup runs in a shop of {} customers (seeded straight into the table \
         with random indexes, plus the customers created above). Batch reveal: {batch_n} customers, \
         3 fields, {} requests one after another. Erasure: {erase_n} customers erased one after \
         another (each: key row deleted, row deleted, orders anonymised, fence, signed receipt).\n\n\
         | what | harim | baseline | ratio / figure | goal | |\n|---|---|---|---|---|---|\n",
        ctx.p.customers_big,
        batch_ms.len()
    );
    let _ = writeln!(
        s,
        "| create customer @32 | {:.0} req/s (p99 {} ms) | {:.0} tx/s (p99 {} ms) | {:.2}× | ≥ 0.5× | {} |",
        h_create.rps,
        ms(h_create.p99_ms),
        b_create.rps,
        ms(b_create.p99_ms),
        create_ratio,
        met(create_ratio >= 0.5)
    );
    let _ = writeln!(
        s,
        "| reveal @4, 2 fields | {:.0} req/s, p50 {} ms | | p99 {} ms | < 5 ms | {} |",
        h_reveal.rps,
        ms(h_reveal.p50_ms),
        ms(h_reveal.p99_ms),
        met(h_reveal.p99_ms < 5.0)
    );
    let _ = writeln!(
        s,
        "| lookup by phone @4, {} customers | {:.0} req/s, p50 {} ms | | p99 {} ms | < 5 ms | {} |",
        ctx.p.customers_big,
        h_lookup.rps,
        ms(h_lookup.p50_ms),
        ms(h_lookup.p99_ms),
        met(h_lookup.p99_ms < 5.0)
    );
    let _ = writeln!(
        s,
        "| batch reveal of {batch_n} | p50 {} ms | | p99 {} ms | < 100 ms | {} |",
        ms(batch_p50),
        ms(batch_p99),
        met(batch_p99 < 100.0)
    );
    let _ = writeln!(
        s,
        "| erasure of one customer | p50 {} ms | | p99 {} ms | < 10 ms | {} |",
        ms(erase_p50),
        ms(erase_p99),
        met(erase_p99 < 10.0)
    );
    Ok(Section {
        name: "customers",
        markdown: s,
    })
}
