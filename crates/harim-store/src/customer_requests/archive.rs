//! The copy an access request answers with: one zip, in the customer's language.
//!
//! `manifest.json` comes first (every other file with its size and SHA-256, the shop, the
//! customer, the request, the data-map version), then `README.txt` (what the files are, in the
//! customer's language), `data/customer.json` (the fields, orders and messages harim holds),
//! `data/consents.json` (every consent event and the current choices), `systems.json` (what each
//! of the platform's other systems answered) and, under `systems/<endpoint>/`, the files they
//! handed over. Built in memory: one customer's data is small, and an endpoint's file is at most
//! [`super::MAX_ANSWER_FILE`].

use std::io::Write;

use harim_vault::SubjectKey;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::{
    StoreError,
    entity::{customer, customer_request, request_answer},
    ids::CustomerId,
};

/// A built copy: the zip and its SHA-256.
pub(crate) struct Built {
    pub bytes: Zeroizing<Vec<u8>>,
    pub sha256: Vec<u8>,
}

fn readme(lang: &str, shop: &str) -> String {
    match lang {
        "fa" => format!(
            "این پرونده رونوشت داده‌های شخصی شما در فروشگاه «{shop}» است.\n\
             manifest.json: فهرست پرونده‌ها با اندازه و چکیدهٔ SHA-256 هر یک.\n\
             data/customer.json: نام، راه‌های تماس، نشانی‌ها، سفارش‌ها و پیام‌هایی که برایتان فرستاده شده است.\n\
             data/consents.json: هر رضایتی که داده یا پس گرفته‌اید، با نسخهٔ سیاستی که دیده‌اید.\n\
             systems.json و پوشهٔ systems: پاسخ سامانه‌های دیگر پلتفرم که داده‌ای از شما نگه می‌دارند.\n"
        ),
        "ar" => format!(
            "هذا الملف نسخة من بياناتك الشخصية لدى متجر «{shop}».\n\
             manifest.json: قائمة الملفات مع حجم كل منها وبصمة SHA-256.\n\
             data/customer.json: الاسم ووسائل التواصل والعناوين والطلبات والرسائل المرسلة إليك.\n\
             data/consents.json: كل موافقة منحتها أو سحبتها، مع إصدار السياسة الذي عُرض عليك.\n\
             systems.json ومجلد systems: ردود أنظمة المنصة الأخرى التي تحتفظ ببيانات عنك.\n"
        ),
        "sq" => format!(
            "Ky skedar është kopja e të dhënave tuaja personale te dyqani «{shop}».\n\
             manifest.json: lista e skedarëve me madhësinë dhe gjurmën SHA-256 të secilit.\n\
             data/customer.json: emri, kontaktet, adresat, porositë dhe mesazhet që ju janë dërguar.\n\
             data/consents.json: çdo pëlqim që keni dhënë ose tërhequr, me versionin e politikës që keni parë.\n\
             systems.json dhe dosja systems: përgjigjet e sistemeve të tjera të platformës që mbajnë të dhëna për ju.\n"
        ),
        _ => format!(
            "This archive is the copy of your personal data at the shop \"{shop}\".\n\
             manifest.json: every file with its size and SHA-256.\n\
             data/customer.json: your name, contacts, addresses, orders and the messages sent to you.\n\
             data/consents.json: every consent you gave or withdrew, with the policy version you saw.\n\
             systems.json and the systems folder: the answers of the platform's other systems that hold data about you.\n"
        ),
    }
}

fn pretty(v: &Value) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec_pretty(v).map_err(|e| StoreError::internal("export", e))
}

/// Builds the copy for request `req` of customer `crow` (key `ck`), with the endpoints'
/// `answers`.
pub(crate) async fn build(
    db: &impl ConnectionTrait,
    crow: &customer::Model,
    ck: &SubjectKey,
    req: &customer_request::Model,
    answers: &[request_answer::Model],
    now: OffsetDateTime,
) -> Result<Built, StoreError> {
    let t = crow.tenant_id;
    let shop = crate::entity::shop::Entity::find_by_id(t)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut files: Vec<(String, Zeroizing<Vec<u8>>)> = vec![
        (
            "README.txt".into(),
            Zeroizing::new(readme(&req.language, &shop.name).into_bytes()),
        ),
        (
            "data/customer.json".into(),
            Zeroizing::new(pretty(&crate::customers::export_of(db, crow, ck).await?)?),
        ),
        (
            "data/consents.json".into(),
            Zeroizing::new(pretty(
                &serde_json::to_value(crate::consent::consents(db, t, crow.id).await?)
                    .map_err(|e| StoreError::internal("export", e))?,
            )?),
        ),
        (
            "systems.json".into(),
            Zeroizing::new(pretty(&Value::Array(
                answers.iter().map(super::answer_entry).collect(),
            ))?),
        ),
    ];
    for a in answers {
        if let (Some(name), Some(sealed)) = (&a.file_name, &a.file) {
            let bytes = ck.open(
                &super::answer_file_at(t, a.event_id, a.endpoint_id),
                &sealed.0,
            )?;
            files.push((format!("systems/{}/{name}", a.endpoint_id), bytes));
        }
    }
    let listed: Vec<Value> = files
        .iter()
        .map(|(path, bytes)| {
            json!({
                "path": path,
                "size": bytes.len(),
                "sha256": hex::encode(Sha256::digest(bytes.as_slice())),
            })
        })
        .collect();
    let manifest = json!({
        "format": "harim-customer-export/1",
        "shop": {"id": t.to_string(), "name": shop.name},
        "customer_id": CustomerId::from(crow.id).public(),
        "request_id": req.id.to_string(),
        "language": req.language,
        "created_at": crate::customers::rfc3339_of(now),
        "data_map_version": crate::datamap::version(),
        "files": listed,
    });
    files.insert(
        0,
        ("manifest.json".into(), Zeroizing::new(pretty(&manifest)?)),
    );
    let zip_err = |e: zip::result::ZipError| StoreError::internal("export zip", e);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (path, bytes) in &files {
        zip.start_file(path.as_str(), opts).map_err(zip_err)?;
        zip.write_all(bytes)
            .map_err(|e| StoreError::internal("export zip", e))?;
    }
    let bytes = Zeroizing::new(zip.finish().map_err(zip_err)?.into_inner());
    let sha256 = Sha256::digest(bytes.as_slice()).to_vec();
    Ok(Built { bytes, sha256 })
}
