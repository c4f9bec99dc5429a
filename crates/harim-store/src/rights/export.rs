//! Exports (access and portability): a zip built from the data map.
//!
//! `manifest.json` comes first and lists every file with its size and SHA-256, the data-map
//! version and the time; then one `data/<category>.json` per category of the map (identity
//! fields decrypted; digests of secrets and wrapped keys described, not handed out), then every
//! live KYC document as its original file under `documents/`. An account export holds the
//! account's own rows, every shop it owns in full under `shops/<shop_id>/`, and every audit
//! entry it is the actor of.
//!
//! Memory stays bounded: the JSON files are small and built first (so the manifest can lead),
//! documents are fetched one at a time (each at most the upload limit) and handed to a blocking
//! zip writer through a channel of one. The zip (`zip` crate, streaming mode) is written through
//! [`harim_kyc::SealingWriter`] into a temporary file, so no plaintext touches the disk; the
//! sealed file is then copied to the object store and removed. The archive key is wrapped under
//! the shop's tenant key (the platform's for account exports) like a document key.

use std::collections::BTreeMap;
use std::io::Write;

use harim_kyc::{
    ArchiveOwner, DocumentBinding, DocumentKey, DocumentStore, ObjectPath, SealingWriter,
};
use harim_vault::{FieldContext, Vault};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait,
};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::{RequestView, Rights, find};
use crate::{
    StoreError, audit,
    auth::Principal,
    datamap::{self, Column, ExportForm, Table, Ty},
    entity::{
        data_request::{self, RequestKind, RequestState},
        kyc_document, membership,
        redacted::RedactedBytes,
    },
    ids::{AccountId, DataRequestId, PLATFORM_TENANT},
    policies,
    roles::ShopRole,
    scope::ShopScope,
    tenant_keys,
    tx::{self, Finish},
};

/// The purpose every export records.
pub const PURPOSE: &str = "data_subject_request";
const KEY_TABLE: &str = "data_requests";
const KEY_FIELD: &str = "archive_key";

fn key_ctx(tenant_id: Uuid, request_id: Uuid) -> FieldContext<'static> {
    FieldContext {
        tenant_id,
        table: KEY_TABLE,
        record_id: request_id,
        field: KEY_FIELD,
    }
}

fn categories() -> Vec<String> {
    let mut c: Vec<String> = datamap::TABLES
        .iter()
        .filter(|t| t.erasure().is_some())
        .map(|t| t.category.as_str().to_string())
        .collect();
    c.dedup();
    c
}

/// Why an API key cannot export: one call would hand every national ID, IBAN and identity
/// document of the shop to whoever holds a leaked key.
const SIGNED_IN_ONLY: &str =
    "Exports need the owner signed in: an API key cannot take the shop's data out.";

/// Asks for an export of the scope's shop (owner, signed in). The access is recorded as a
/// reveal of every category before anything is read.
pub async fn request_shop(
    rights: &Rights,
    scope: &ShopScope,
    request_id: Option<String>,
) -> Result<RequestView, StoreError> {
    scope.require_owner_signed_in(SIGNED_IN_ONLY)?;
    let now = OffsetDateTime::now_utc();
    let days = policies::settings(&rights.db, scope).await?.response_days;
    let row = super::new_request(
        scope.tenant_id(),
        RequestKind::ExportShop,
        scope.principal().account_id().ok().map(AccountId::uuid),
        now,
        days,
    );
    record(
        rights,
        vec![scope.tenant_id()],
        &scope.actor(),
        request_id,
        row,
    )
    .await
}

/// Records an export request: its reveal of every category in each of `chains` first, then the
/// request row, in one audited transaction; refused whole if any entry cannot be written.
async fn record(
    rights: &Rights,
    chains: Vec<Uuid>,
    actor: &str,
    request_id: Option<String>,
    row: data_request::Model,
) -> Result<RequestView, StoreError> {
    let view = RequestView::from(&row);
    let entries = chains
        .into_iter()
        .map(|chain| {
            let event = audit::Event {
                actor: actor.to_string(),
                action: audit::Action::ExportReveal,
                fields: categories(),
                purpose: Some(PURPOSE),
                request_id: request_id.clone(),
            };
            (chain, event)
        })
        .collect();
    let vault = rights.vault.clone();
    tx::audited_in_each_or_refuse(
        &rights.db,
        &rights.vault,
        entries,
        "The export could not be recorded, so it was not started.",
        move |txn| {
            Box::pin(async move {
                // A shop's export asks the platform's other systems for their part too.
                if row.kind == RequestKind::ExportShop {
                    crate::privacy_events::emit(
                        txn,
                        row.tenant_id,
                        crate::privacy_events::Topic::ShopDataRequest,
                        Some(row.id),
                        Some(row.due_at),
                        serde_json::json!({"shop_id": row.tenant_id.to_string()}),
                    )
                    .await?;
                }
                super::insert(txn, &vault, row).await?;
                Ok(Finish::Commit(()))
            })
        },
    )
    .await?;
    rights.wake.notify_one();
    Ok(view)
}

/// Asks for an export of everything about the signed-in person. Recorded in the platform's
/// chain and in the chain of every shop the person owns, before anything is read.
pub async fn request_account(
    rights: &Rights,
    principal: &Principal,
    request_id: Option<String>,
) -> Result<RequestView, StoreError> {
    let account = principal.account_id()?.uuid();
    let now = OffsetDateTime::now_utc();
    let row = super::new_request(
        PLATFORM_TENANT,
        RequestKind::ExportAccount,
        Some(account),
        now,
        rights.config.default_response_days,
    );
    let owned = owned_shops(&rights.db, account).await?;
    let chains = std::iter::once(PLATFORM_TENANT).chain(owned).collect();
    record(rights, chains, &principal.actor(), request_id, row).await
}

async fn owned_shops(db: &impl ConnectionTrait, account: Uuid) -> Result<Vec<Uuid>, StoreError> {
    Ok(membership::Entity::find()
        .filter(membership::Column::AccountId.eq(account))
        .filter(membership::Column::Role.eq(ShopRole::Owner))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.tenant_id)
        .collect())
}

fn export_of(row: &data_request::Model) -> Result<(), StoreError> {
    if row.kind.is_export() {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

/// An export of the scope's shop (owner only).
pub async fn get_shop(
    db: &impl ConnectionTrait,
    scope: &ShopScope,
    id: DataRequestId,
) -> Result<RequestView, StoreError> {
    scope.require_owner()?;
    let row = find(db, scope.tenant_id(), id.uuid())
        .await?
        .filter(|r| r.kind == RequestKind::ExportShop)
        .ok_or(StoreError::NotFound)?;
    Ok(RequestView::from(&row))
}

/// An export of the signed-in person.
pub async fn get_account(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: DataRequestId,
) -> Result<RequestView, StoreError> {
    let account = principal
        .account_id()
        .map_err(|_| StoreError::NotFound)?
        .uuid();
    let row = find(db, PLATFORM_TENANT, id.uuid())
        .await?
        .filter(|r| r.kind == RequestKind::ExportAccount && r.subject_account == Some(account))
        .ok_or(StoreError::NotFound)?;
    Ok(RequestView::from(&row))
}

/// A ready archive, decrypted as it streams.
pub type Archive = std::pin::Pin<
    Box<dyn futures::Stream<Item = Result<bytes::Bytes, harim_kyc::KycError>> + Send>,
>;

/// Streams the archive of an export of the scope's shop (owner, signed in), recording the
/// download.
pub async fn download_shop(
    rights: &Rights,
    scope: &ShopScope,
    id: DataRequestId,
    request_id: Option<String>,
) -> Result<(RequestView, Archive), StoreError> {
    scope.require_owner_signed_in(SIGNED_IN_ONLY)?;
    let row = find(&rights.db, scope.tenant_id(), id.uuid())
        .await?
        .filter(|r| r.kind == RequestKind::ExportShop)
        .ok_or(StoreError::NotFound)?;
    download(rights, row, scope.actor(), scope.tenant_id(), request_id).await
}

/// Streams the archive of an export of the signed-in person, recording the download.
pub async fn download_account(
    rights: &Rights,
    principal: &Principal,
    id: DataRequestId,
    request_id: Option<String>,
) -> Result<(RequestView, Archive), StoreError> {
    let account = principal
        .account_id()
        .map_err(|_| StoreError::NotFound)?
        .uuid();
    let row = find(&rights.db, PLATFORM_TENANT, id.uuid())
        .await?
        .filter(|r| r.kind == RequestKind::ExportAccount && r.subject_account == Some(account))
        .ok_or(StoreError::NotFound)?;
    download(rights, row, principal.actor(), PLATFORM_TENANT, request_id).await
}

fn owner_of(row: &data_request::Model) -> Result<ArchiveOwner, StoreError> {
    match row.kind {
        RequestKind::ExportShop => Ok(ArchiveOwner::Shop(row.tenant_id)),
        RequestKind::ExportAccount => row
            .subject_account
            .map(ArchiveOwner::Account)
            .ok_or_else(|| StoreError::internal("export", "account export without a subject")),
        _ => Err(StoreError::NotFound),
    }
}

async fn download(
    rights: &Rights,
    row: data_request::Model,
    actor: String,
    chain: Uuid,
    request_id: Option<String>,
) -> Result<(RequestView, Archive), StoreError> {
    export_of(&row)?;
    // Past its expiry the archive is refused even before the retention job (which runs every
    // `retention_interval_secs`) has deleted it: the stated time is what the subject was told.
    let lapsed = row
        .expires_at
        .is_some_and(|e| e <= OffsetDateTime::now_utc());
    match row.state {
        RequestState::Ready if !lapsed => {}
        RequestState::Ready | RequestState::Expired => {
            return Err(StoreError::Gone(
                "This export's archive was deleted when its time ran out.",
            ));
        }
        _ => return Err(StoreError::Conflict("This export is not ready yet.")),
    }
    let event = audit::Event {
        actor,
        action: audit::Action::ExportDownload,
        fields: vec![format!("export:{}", row.id)],
        purpose: Some(PURPOSE),
        request_id,
    };
    let v = rights.vault.clone();
    let r = row.clone();
    let key = tx::audited_or_refuse(
        &rights.db,
        &rights.vault,
        chain,
        event,
        "The access could not be recorded, so nothing was served.",
        move |txn| {
            Box::pin(async move {
                let wrapped = r
                    .wrapped_key
                    .as_ref()
                    .ok_or(StoreError::Gone("This export's archive was deleted."))?;
                let wk = tenant_keys::version(
                    txn,
                    r.tenant_id,
                    r.tk_version
                        .ok_or_else(|| StoreError::internal("export", "no key version"))?,
                )
                .await?;
                let key = v.decrypt_field(&wk, &key_ctx(r.tenant_id, r.id), &wrapped.0)?;
                Ok(Finish::Commit(DocumentKey::from_bytes(&key)?))
            })
        },
    )
    .await?;
    let binding = DocumentBinding {
        tenant_id: row.tenant_id,
        document_id: row.id,
    };
    let path = DocumentStore::archive_path(owner_of(&row)?, row.id);
    let stream = rights.documents.open_sealed(path, binding, key).await?;
    Ok((RequestView::from(&row), Box::pin(stream)))
}

// --- building ------------------------------------------------------------------------------

/// A stored ciphertext the exporter decrypts.
type Ciphertext = Zeroizing<Vec<u8>>;

fn value_of(
    r: &sea_orm::QueryResult,
    c: &Column,
) -> Result<(Value, Option<Ciphertext>), StoreError> {
    let name = c.name;
    let v = match c.ty {
        Ty::Uuid => json!(r.try_get::<Option<Uuid>>("", name)?.map(|u| u.to_string())),
        Ty::Text => json!(r.try_get::<Option<String>>("", name)?),
        Ty::Int => json!(r.try_get::<Option<i32>>("", name)?),
        Ty::BigInt => json!(r.try_get::<Option<i64>>("", name)?),
        Ty::Time => json!(
            r.try_get::<Option<OffsetDateTime>>("", name)?
                .and_then(|t| t
                    .format(&time::format_description::well_known::Rfc3339)
                    .ok())
        ),
        Ty::Bytes => {
            let b = r.try_get::<Option<Vec<u8>>>("", name)?;
            if matches!(
                c.export,
                ExportForm::Decrypted | ExportForm::CustomerDecrypted { .. }
            ) {
                return Ok((Value::Null, b.map(Zeroizing::new)));
            }
            json!(b.map(hex::encode))
        }
    };
    Ok((v, None))
}

/// The rows of `table` whose `column` is `id`, as the map says to export them.
async fn table_rows(
    db: &impl ConnectionTrait,
    vault: &Vault,
    table: &Table,
    column: &str,
    id: Uuid,
) -> Result<Vec<Value>, StoreError> {
    let cols: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
    let sql = format!(
        "SELECT {} FROM {} WHERE {column} = $1",
        cols.join(", "),
        table.name
    );
    let rows = db
        .query_all(crate::db::statement(db, &sql, [id.into()]))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut obj = serde_json::Map::new();
        let mut sealed = Vec::new();
        let mut customer_sealed = Vec::new();
        for c in table.columns {
            let (v, ct) = value_of(&r, c)?;
            if let (ExportForm::CustomerDecrypted { customer }, Some(ct)) = (c.export, &ct) {
                customer_sealed.push((c.name, customer, ct.clone()));
                obj.insert(c.name.to_string(), Value::Null);
                continue;
            }
            let v = match c.export {
                ExportForm::Described { what } => {
                    if v.is_null() {
                        Value::Null
                    } else {
                        json!({ "described": what })
                    }
                }
                _ => v,
            };
            if let Some(ct) = ct {
                sealed.push((c.name, ct));
            }
            obj.insert(c.name.to_string(), v);
        }
        if !sealed.is_empty() {
            // Identity fields: one record per shop, bound to the shop id.
            let tenant: Uuid = r.try_get("", "tenant_id")?;
            let tk: i32 = r.try_get("", "tk_version")?;
            let wk = tenant_keys::version(db, tenant, tk).await?;
            for (field, ct) in sealed {
                let ctx = FieldContext {
                    tenant_id: tenant,
                    table: table.name,
                    record_id: tenant,
                    field,
                };
                let plain = vault.decrypt_field_string(&wk, &ctx, &ct)?;
                obj.insert(field.to_string(), json!(plain.expose_secret()));
            }
        }
        if !customer_sealed.is_empty() {
            // Customers' fields: under each customer's own key (an erased customer's are gone).
            let tenant: Uuid = r.try_get("", "tenant_id")?;
            let record: Uuid = r.try_get("", "id")?;
            for (field, customer_col, ct) in customer_sealed {
                let Some(customer) = r.try_get::<Option<Uuid>>("", customer_col)? else {
                    continue;
                };
                let Some((_, ck)) = crate::customers::open_key(db, vault, tenant, customer).await?
                else {
                    continue;
                };
                let ctx = FieldContext {
                    tenant_id: tenant,
                    table: table.name,
                    record_id: record,
                    field,
                };
                let plain = ck.open_string(&ctx, &ct)?;
                let v = serde_json::from_str::<Value>(plain.expose_secret())
                    .ok()
                    .filter(|v| v.is_object() || v.is_array())
                    .unwrap_or_else(|| json!(plain.expose_secret()));
                obj.insert(field.to_string(), v);
            }
        }
        out.push(Value::Object(obj));
    }
    Ok(out)
}

/// A planned file of the archive.
enum Entry {
    Json {
        path: String,
        bytes: Zeroizing<Vec<u8>>,
    },
    Document {
        path: String,
        row: Box<kyc_document::Model>,
    },
}

fn extension(content_type: &str) -> &'static str {
    match content_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "application/pdf" => "pdf",
        _ => "bin",
    }
}

fn json_file(path: String, v: &Value) -> Result<Entry, StoreError> {
    let bytes = serde_json::to_vec_pretty(v).map_err(|e| StoreError::internal("export json", e))?;
    Ok(Entry::Json {
        path,
        bytes: Zeroizing::new(bytes),
    })
}

/// Every file of one shop, under `prefix`.
async fn shop_entries(
    db: &impl ConnectionTrait,
    vault: &Vault,
    shop: Uuid,
    prefix: &str,
    out: &mut Vec<Entry>,
) -> Result<(), StoreError> {
    let mut by_category: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for t in datamap::TABLES {
        let (Some(_), Some(column)) = (t.erasure(), t.shop_column()) else {
            continue;
        };
        let rows = table_rows(db, vault, t, column, shop).await?;
        by_category
            .entry(t.category.as_str())
            .or_default()
            .push(json!({ "table": t.name, "rows": rows }));
    }
    for (category, tables) in by_category {
        out.push(json_file(
            format!("{prefix}data/{category}.json"),
            &json!({ "category": category, "shop_id": shop.to_string(), "tables": tables }),
        )?);
    }
    let docs = kyc_document::Entity::find()
        .filter(kyc_document::Column::TenantId.eq(shop))
        .filter(kyc_document::Column::PurgedAt.is_null())
        .all(db)
        .await?;
    for row in docs {
        out.push(Entry::Document {
            path: format!(
                "{prefix}documents/{}.{}",
                row.id,
                extension(&row.content_type)
            ),
            row: Box::new(row),
        });
    }
    Ok(())
}

async fn account_entries(
    db: &impl ConnectionTrait,
    vault: &Vault,
    account: Uuid,
    shops: &[Uuid],
    out: &mut Vec<Entry>,
) -> Result<(), StoreError> {
    let mut by_category: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for t in datamap::TABLES {
        let (Some(_), Some(column)) = (t.erasure(), t.account_column()) else {
            continue;
        };
        let rows = table_rows(db, vault, t, column, account).await?;
        by_category
            .entry(t.category.as_str())
            .or_default()
            .push(json!({ "table": t.name, "rows": rows }));
    }
    // What the person did anywhere, as the audit chains recorded it.
    if let Some(audit) = datamap::table("audit_log") {
        let actor = format!("account:{account}");
        let cols: Vec<&str> = audit.columns.iter().map(|c| c.name).collect();
        let sql = format!(
            "SELECT {} FROM audit_log WHERE actor = $1 ORDER BY tenant_id, seq",
            cols.join(", ")
        );
        let rows = db
            .query_all(crate::db::statement(db, &sql, [actor.into()]))
            .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for r in rows {
            let mut obj = serde_json::Map::new();
            for c in audit.columns {
                obj.insert(c.name.to_string(), value_of(&r, c)?.0);
            }
            entries.push(Value::Object(obj));
        }
        by_category
            .entry("audit_log")
            .or_default()
            .push(json!({ "table": "audit_log", "as_actor": true, "rows": entries }));
    }
    for (category, tables) in by_category {
        out.push(json_file(
            format!("data/{category}.json"),
            &json!({ "category": category, "account_id": account.to_string(), "tables": tables }),
        )?);
    }
    for shop in shops {
        shop_entries(db, vault, *shop, &format!("shops/{shop}/"), out).await?;
    }
    Ok(())
}

/// What the blocking zip writer is handed.
enum Piece {
    File(String, Zeroizing<Vec<u8>>, bool),
}

struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    len: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

type Sealed = SealingWriter<std::io::BufWriter<std::fs::File>>;

fn zip_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::internal("export zip", e.to_string())
}

/// The blocking half: writes each piece into the zip as it arrives.
fn write_zip(
    sink: Hashing<Sealed>,
    mut rx: tokio::sync::mpsc::Receiver<Piece>,
) -> Result<Hashing<Sealed>, StoreError> {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new_stream(sink);
    while let Some(Piece::File(path, bytes, compress)) = rx.blocking_recv() {
        let method = if compress {
            zip::CompressionMethod::Deflated
        } else {
            // Images and PDFs are compressed already.
            zip::CompressionMethod::Stored
        };
        let opts = SimpleFileOptions::default()
            .compression_method(method)
            .large_file(bytes.len() > u32::MAX as usize / 2);
        zip.start_file(path, opts).map_err(zip_err)?;
        zip.write_all(&bytes).map_err(zip_err)?;
    }
    let stream = zip.finish().map_err(zip_err)?;
    Ok(stream.into_inner())
}

/// How often an account export is rebuilt in one run when shops it included are erased while
/// it is built; past that the run fails and the request is retried when its lease runs out.
const MAX_BUILDS: usize = 3;

/// What one build of an archive came to.
enum Built {
    /// Stored and marked ready.
    Ready,
    /// Ended without an archive: its shop was erased, or the request is no longer this
    /// worker's to finish.
    Ended,
    /// A shop it included was erased meanwhile: the archive was deleted, to be built again
    /// without that shop.
    Stale,
}

/// Whether shop `tenant_id` was erased (a fence harim wrote; a forged one erases nothing).
async fn erased(
    db: &impl ConnectionTrait,
    vault: &Vault,
    tenant_id: Uuid,
) -> Result<bool, StoreError> {
    Ok(matches!(
        crate::fence::verified(db, vault, tenant_id).await?,
        crate::fence::Fence::Verified(_)
    ))
}

/// The worker's part of an export: builds, seals and stores the archive, then marks it ready.
/// An export of an erased shop ends (state `expired`, no object) instead of failing and being
/// retried; an account export that included a shop erased while it was built is rebuilt
/// without it.
pub(super) async fn build(rights: &Rights, row: &data_request::Model) -> Result<(), StoreError> {
    if let ArchiveOwner::Shop(shop) = owner_of(row)?
        && erased(&rights.db, &rights.vault, shop).await?
    {
        return delete_archive(rights, row).await;
    }
    for _ in 0..MAX_BUILDS {
        match build_once(rights, row).await? {
            Built::Ready | Built::Ended => return Ok(()),
            Built::Stale => {}
        }
    }
    Err(StoreError::Unavailable(
        "Shops of this export kept being erased while it was built; it is retried later.",
    ))
}

async fn build_once(rights: &Rights, row: &data_request::Model) -> Result<Built, StoreError> {
    let db = &rights.db;
    let vault = &rights.vault;
    let owner = owner_of(row)?;
    let mut entries = Vec::new();
    // The shops whose data the archive carries: checked again where it is marked ready.
    let included: Vec<Uuid>;
    let subject = match owner {
        ArchiveOwner::Shop(shop) => {
            included = vec![shop];
            shop_entries(db, vault, shop, "", &mut entries).await?;
            json!({"kind": "shop", "id": shop.to_string()})
        }
        ArchiveOwner::Account(account) => {
            included = owned_shops(db, account).await?;
            account_entries(db, vault, account, &included, &mut entries).await?;
            json!({"kind": "account", "id": account.to_string()})
        }
    };
    let now = OffsetDateTime::now_utc();
    let files: Vec<Value> = entries
        .iter()
        .map(|e| match e {
            Entry::Json { path, bytes } => json!({
                "path": path, "size": bytes.len(), "sha256": hex::encode(Sha256::digest(&bytes[..])),
            }),
            Entry::Document { path, row } => json!({
                "path": path, "size": row.size, "sha256": hex::encode(&row.sha256),
                "content_type": row.content_type,
            }),
        })
        .collect();
    let manifest = json!({
        "format": "harim-export/1",
        "request_id": row.id.to_string(),
        "subject": subject,
        "data_map_version": datamap::version(),
        "created_at": now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "files": files,
    });
    let manifest =
        serde_json::to_vec_pretty(&manifest).map_err(|e| StoreError::internal("manifest", e))?;

    let key = DocumentKey::generate()?;
    let binding = DocumentBinding {
        tenant_id: row.tenant_id,
        document_id: row.id,
    };
    std::fs::create_dir_all(&rights.config.work_dir)
        .map_err(|e| StoreError::internal("export work dir", e))?;
    let temp = tempfile::NamedTempFile::new_in(&rights.config.work_dir)
        .map_err(|e| StoreError::internal("export temp file", e))?;
    let file = temp
        .reopen()
        .map_err(|e| StoreError::internal("export temp file", e))?;
    let sink = Hashing {
        inner: SealingWriter::new(&key, binding, std::io::BufWriter::new(file))?,
        hasher: Sha256::new(),
        len: 0,
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Piece>(1);
    let writer = tokio::task::spawn_blocking(move || write_zip(sink, rx));
    let send = |p: Piece| {
        let tx = tx.clone();
        async move {
            tx.send(p)
                .await
                .map_err(|_| StoreError::internal("export", "the zip writer stopped"))
        }
    };
    let fed: Result<(), StoreError> = async {
        send(Piece::File(
            "manifest.json".into(),
            Zeroizing::new(manifest),
            true,
        ))
        .await?;
        for e in entries {
            match e {
                Entry::Json { path, bytes } => send(Piece::File(path, bytes, true)).await?,
                Entry::Document { path, row: doc } => {
                    let key = crate::kyc::unwrap_key(db, vault, &doc).await?;
                    let b = DocumentBinding {
                        tenant_id: doc.tenant_id,
                        document_id: doc.id,
                    };
                    let bytes = rights.documents.download(b, key, &doc.sha256).await?;
                    send(Piece::File(path, bytes, false)).await?;
                    super::renew(db, row, rights.config.lease).await?;
                }
            }
        }
        Ok(())
    }
    .await;
    drop(tx);
    let written = writer
        .await
        .map_err(|e| StoreError::internal("export writer", e))?;
    fed?;
    let hashing = written?;
    let zip_sha256: [u8; 32] = hashing.hasher.finalize().into();
    let zip_len = hashing.len;
    hashing.inner.finish()?;

    crate::checkpoint::reached("export.build.before_store", row.id).await;
    let path: ObjectPath = DocumentStore::archive_path(owner, row.id);
    rights.documents.put_file(path.clone(), temp.path()).await?;
    drop(temp);

    // Wrap the archive key and mark the export ready, in one transaction, which first checks
    // that the archive may exist at all: a shop it carries erased while it was built (the
    // erasure's job may already have emptied the shop's prefix and swept the account
    // archives, so nothing else would delete this one), or the request no longer this
    // worker's (expired by an erasure, or taken over after a lapsed lease).
    let txn = db.begin().await?;
    let mut gone = false;
    for shop in &included {
        gone |= erased(&txn, vault, *shop).await?;
    }
    if gone {
        txn.rollback().await?;
        rights.documents.delete_path(&path).await?;
        return Ok(match owner {
            ArchiveOwner::Shop(_) => {
                delete_archive(rights, row).await?;
                Built::Ended
            }
            ArchiveOwner::Account(_) => Built::Stale,
        });
    }
    let wk = tenant_keys::current(&txn, vault, row.tenant_id).await?;
    let wrapped = vault.encrypt_field(&wk, &key_ctx(row.tenant_id, row.id), key.expose())?;
    tenant_keys::count_encryptions(&txn, &wk, 1).await?;
    let done = OffsetDateTime::now_utc();
    let tk_version =
        i32::try_from(wk.tk_version).map_err(|e| StoreError::internal("tk_version", e))?;
    // `claim` counted this worker's attempt: the row is still ours only while that count and
    // the running state stand.
    let marked = txn
        .execute(crate::db::statement(
            &txn,
            "UPDATE data_requests SET state = 'ready', completed_at = $1, expires_at = $2, \
             lease_until = NULL, object_size = $3, object_sha256 = $4, wrapped_key = $5, \
             tk_version = $6, error = NULL \
             WHERE tenant_id = $7 AND id = $8 AND state = 'running' AND attempts = $9",
            [
                done.into(),
                (done + rights.config.export_ttl).into(),
                i64::try_from(zip_len).unwrap_or(i64::MAX).into(),
                zip_sha256.to_vec().into(),
                wrapped.into(),
                tk_version.into(),
                row.tenant_id.into(),
                row.id.into(),
                row.attempts.saturating_add(1).into(),
            ],
        ))
        .await?
        .rows_affected();
    if marked == 0 {
        txn.rollback().await?;
        // Expired meanwhile (an erasure's job swept it): this archive outlived its request.
        // Taken over by another worker instead: the path is that worker's now, left alone.
        if find(db, row.tenant_id, row.id)
            .await?
            .is_none_or(|r| r.state == RequestState::Expired)
        {
            rights.documents.delete_path(&path).await?;
        }
        return Ok(Built::Ended);
    }
    txn.commit().await?;
    metrics::counter!("harim_exports_total").increment(1);
    Ok(Built::Ready)
}

/// Re-encrypts the archive keys of a shop's ready exports from `old` to `new` (tenant-key
/// rotation, inside its transaction). Returns the number of encryptions made.
pub(crate) async fn reencrypt_keys(
    txn: &impl ConnectionTrait,
    vault: &Vault,
    old: &harim_vault::WrappedTenantKey,
    new: &harim_vault::WrappedTenantKey,
) -> Result<i64, StoreError> {
    let rows = data_request::Entity::find()
        .filter(data_request::Column::TenantId.eq(old.tenant_id))
        .filter(data_request::Column::WrappedKey.is_not_null())
        .all(txn)
        .await?;
    let mut n = 0;
    for row in rows {
        let Some(ct) = row.wrapped_key.as_ref().map(|w| w.0.clone()) else {
            continue;
        };
        let fresh = vault.reencrypt_field(old, new, &key_ctx(row.tenant_id, row.id), &ct)?;
        let mut am: data_request::ActiveModel = row.into();
        am.wrapped_key = Set(Some(RedactedBytes(fresh)));
        am.tk_version = Set(Some(
            i32::try_from(new.tk_version).map_err(|e| StoreError::internal("tk_version", e))?,
        ));
        am.update(txn).await?;
        n += 1;
    }
    Ok(n)
}

/// Deletes the archives of exports that have been ready for `ttl` at `now` (or whose stated
/// expiry passed, should `ttl` have grown since); returns how many. Run by the retention job
/// ([`crate::retention::run`]).
pub async fn expire(
    db: &impl ConnectionTrait,
    documents: &DocumentStore,
    ttl: time::Duration,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    use sea_orm::sea_query::Condition;
    let rows = data_request::Entity::find()
        .filter(data_request::Column::State.eq(RequestState::Ready))
        .filter(
            Condition::any()
                .add(data_request::Column::ExpiresAt.lte(now))
                .add(data_request::Column::CompletedAt.lte(now - ttl)),
        )
        .all(db)
        .await?;
    let mut n = 0;
    for row in rows {
        delete_archive_of(db, documents, &row).await?;
        n += 1;
    }
    Ok(n + sweep_orphan_archives(db, documents).await?)
}

/// Deletes every export archive object (`t/<shop>/x/<id>`, `a/<account>/x/<id>`) that no live
/// request stands behind: no row, or one that is expired (a build that outlived its shop's
/// erasure, a run killed between deleting a row's archive and marking it, a row erased with
/// its shop). Part of the `expired_exports` rule of the retention job ([`expire`]), counted
/// with it. No grace period is needed: a request row exists, pending or running, before its
/// archive is written.
pub async fn sweep_orphan_archives(
    db: &impl ConnectionTrait,
    documents: &DocumentStore,
) -> Result<u64, StoreError> {
    let mut removed = 0;
    for top in ["t", "a"] {
        for path in documents.list_prefix(&ObjectPath::from(top)).await? {
            let parts: Vec<String> = path.parts().map(|p| p.as_ref().to_string()).collect();
            let [_, owner, x, id] = parts.as_slice() else {
                continue;
            };
            let (Ok(owner), Ok(id), true) = (Uuid::parse_str(owner), Uuid::parse_str(id), x == "x")
            else {
                continue;
            };
            let row = if top == "t" {
                find(db, owner, id).await?
            } else {
                find(db, PLATFORM_TENANT, id)
                    .await?
                    .filter(|r| r.subject_account == Some(owner))
            };
            let live = row.is_some_and(|r| {
                r.kind.is_export()
                    && matches!(
                        r.state,
                        RequestState::Pending | RequestState::Running | RequestState::Ready
                    )
            });
            if !live {
                documents.delete_path(&path).await?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// Deletes an export's archive (object first, then the key) and marks it expired.
pub(crate) async fn delete_archive(
    rights: &Rights,
    row: &data_request::Model,
) -> Result<(), StoreError> {
    delete_archive_of(&rights.db, &rights.documents, row).await
}

async fn delete_archive_of(
    db: &impl ConnectionTrait,
    documents: &DocumentStore,
    row: &data_request::Model,
) -> Result<(), StoreError> {
    let path = DocumentStore::archive_path(owner_of(row)?, row.id);
    // A run killed between the two steps leaves a ready row without its object: the next run
    // deletes again (a missing object is not an error) and marks it.
    documents.delete_path(&path).await?;
    let mut am: data_request::ActiveModel = row.clone().into();
    am.state = Set(RequestState::Expired);
    am.wrapped_key = Set(None);
    am.lease_until = Set(None);
    am.update(db).await?;
    Ok(())
}
