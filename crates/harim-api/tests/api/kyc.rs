//! KYC documents end to end through the router, against the real S3 server in CI (see
//! `helpers::test_documents`): what is stored, what comes back, what is refused, who may see it,
//! and what retention leaves behind.

use std::{collections::HashSet, io::Cursor};

use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use futures::TryStreamExt;
use harim_store::roles::PlatformRole;
use object_store::{ObjectStore, PutPayload, path::Path as ObjPath};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::{
    db_test,
    helpers::{Resp, TestApp},
};

/// A noisy RGB image, so its JPEG is large (several STREAM chunks) and incompressible-looking.
fn noisy_rgb(w: u32, h: u32, seed: u32) -> image::RgbImage {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    image::RgbImage::from_fn(w, h, |i, j| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let n = (x & 0x3f) as u8;
        image::Rgb([
            (i * 255 / w) as u8 ^ n,
            (j * 255 / h) as u8,
            ((i + j) % 256) as u8 ^ (n >> 1),
        ])
    })
}

pub fn plain_jpeg(w: u32, h: u32, seed: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&noisy_rgb(w, h, seed))
        .unwrap();
    out
}

fn png_of(img: &image::RgbImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// The GPS latitude rationals written into the test EXIF: 35°41'22.5" N.
const GPS_RATIONALS: [u32; 6] = [35, 1, 41, 1, 225, 10];

/// An APP1 Exif segment with an IFD0 pointing at a GPS IFD (latitude ref + latitude).
fn gps_exif_segment() -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    // IFD0 at 8: one entry, GPSInfo (0x8825, LONG) -> 26.
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x8825u16.to_le_bytes());
    tiff.extend_from_slice(&4u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&26u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    // GPS IFD at 26: LatitudeRef "N", Latitude 3 RATIONAL at 56.
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&2u32.to_le_bytes());
    tiff.extend_from_slice(b"N\0\0\0");
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&5u16.to_le_bytes());
    tiff.extend_from_slice(&3u32.to_le_bytes());
    tiff.extend_from_slice(&56u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(tiff.len(), 56);
    for v in GPS_RATIONALS {
        tiff.extend_from_slice(&v.to_le_bytes());
    }
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    seg.extend_from_slice(&payload);
    seg
}

fn gps_bytes() -> Vec<u8> {
    GPS_RATIONALS.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A camera-style JPEG: SOI, Exif with GPS, then the encoder's segments.
pub fn jpeg_with_gps(w: u32, h: u32) -> Vec<u8> {
    let plain = plain_jpeg(w, h, 7);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&gps_exif_segment());
    out.extend_from_slice(&plain[2..]);
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Uploads a small JPEG as the shop's owner; returns the document id.
pub async fn upload_jpeg(app: &TestApp, owner: &str, shop: &str) -> String {
    let r = upload(app, owner, shop, "national_id_front", plain_jpeg(32, 32, 9)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    r.json["id"].as_str().unwrap().to_string()
}

async fn upload(app: &TestApp, token: &str, shop: &str, kind: &str, bytes: Vec<u8>) -> Resp {
    upload_as(app, token, shop, kind, "image/jpeg", bytes).await
}

async fn upload_as(
    app: &TestApp,
    token: &str,
    shop: &str,
    kind: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> Resp {
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/v1/shops/{shop}/kyc/documents?kind={kind}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(Body::from(bytes))
        .unwrap();
    let (status, headers, body) = app.raw(req).await;
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        json,
    }
}

async fn content(
    app: &TestApp,
    token: &str,
    shop: &str,
    doc: &str,
    purpose: &str,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let req = Request::builder()
        .uri(format!(
            "/v1/shops/{shop}/kyc/documents/{doc}/content?purpose={purpose}"
        ))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    app.raw(req).await
}

async fn objects(app: &TestApp) -> Vec<ObjPath> {
    app.documents
        .object_store()
        .list(None)
        .map_ok(|m| m.location)
        .try_collect()
        .await
        .unwrap()
}

fn object_path(shop: &str, doc: &str) -> ObjPath {
    harim_kyc::DocumentStore::object_path(shop.parse().unwrap(), doc.parse().unwrap())
}

async fn read_object(app: &TestApp, shop: &str, doc: &str) -> Vec<u8> {
    app.documents
        .object_store()
        .get(&object_path(shop, doc))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

async fn write_object(app: &TestApp, shop: &str, doc: &str, bytes: Vec<u8>) {
    app.documents
        .object_store()
        .put(&object_path(shop, doc), PutPayload::from(bytes))
        .await
        .unwrap();
}

db_test!(
    a_jpeg_is_stored_encrypted_and_comes_back_stripped_of_gps,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("kyc-owner").await;
        let original = jpeg_with_gps(640, 480);
        assert!(contains(&original, &gps_bytes()) && contains(&original, b"Exif\0\0"));
        let r = upload(&app, &owner, &shop, "national_id_front", original.clone()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert_eq!(r.json["status"], "pending");
        assert_eq!(r.json["kind"], "national_id_front");
        assert_eq!(r.json["content_type"], "image/jpeg");
        let doc = r.json["id"].as_str().unwrap().to_string();
        let size = r.json["size"].as_u64().unwrap();
        assert!(
            size < original.len() as u64,
            "the EXIF segment was not removed"
        );

        // The object, read straight from the store: nothing of the upload in it.
        let stored = read_object(&app, &shop, &doc).await;
        let windows: HashSet<&[u8]> = stored.windows(12).collect();
        let leaked = original.windows(12).filter(|w| windows.contains(w)).count();
        assert_eq!(
            leaked, 0,
            "{leaked} 12-byte windows of the upload are in the object"
        );
        assert!(!contains(&stored, b"Exif") && !contains(&stored, b"JFIF"));
        // Its name says nothing but ids.
        let names = objects(&app).await;
        assert_eq!(names.len(), 1);
        assert!(names[0].as_ref().ends_with(&format!("t/{shop}/d/{doc}")));

        // The download is the stripped image: it decodes, to the same pixels, without GPS.
        let (status, headers, body) = content(&app, &owner, &shop, &doc, "kyc_review").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "image/jpeg");
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(body.len() as u64, size);
        assert!(!contains(&body, b"Exif\0\0") && !contains(&body, &gps_bytes()));
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body));
        assert_eq!(r.json["sha256"], sha);
        let decoded = image::load_from_memory(&body).unwrap().to_rgb8();
        let reference = image::load_from_memory(&original).unwrap().to_rgb8();
        assert_eq!(decoded.dimensions(), (640, 480));
        assert!(decoded == reference, "stripping changed the pixels");

        // The download is in the audit chain with its purpose.
        let audit = app.get(&format!("/v1/shops/{shop}/audit"), &owner).await;
        let entries = audit.json.as_array().unwrap();
        assert!(entries.iter().any(|e| e["action"] == "kyc.upload"));
        assert!(entries.iter().any(|e| e["action"] == "kyc.download"
            && e["purpose"] == "kyc_review"
            && e["fields"][0] == format!("document:{doc}")));
    }
);

db_test!(
    a_multipart_sized_png_round_trips_and_loses_its_text_chunks,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("kyc-png").await;
        // About 6 MiB of noise: larger than one 5 MiB part, so S3 sees a multipart upload.
        let img = noisy_rgb(1800, 1800, 3);
        let clean = png_of(&img);
        assert!(clean.len() > 5 * 1024 * 1024, "{}", clean.len());
        // Insert a tEXt chunk after IHDR (8 + 25 bytes).
        let mut text = Vec::new();
        let data = b"Comment\0home address: 12 Secret St";
        text.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(b"tEXt");
        crc.update(data);
        text.extend_from_slice(b"tEXt");
        text.extend_from_slice(data);
        text.extend_from_slice(&crc.sum().to_be_bytes());
        let mut upload_bytes = clean[..33].to_vec();
        upload_bytes.extend_from_slice(&text);
        upload_bytes.extend_from_slice(&clean[33..]);

        let r = upload_as(
            &app,
            &owner,
            &shop,
            "business_license",
            "application/pdf",
            upload_bytes,
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        // The bytes decide the type, not the header.
        assert_eq!(r.json["content_type"], "image/png");
        let doc = r.json["id"].as_str().unwrap().to_string();
        let (status, _, body) = content(&app, &owner, &shop, &doc, "kyc_review").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body, clean,
            "the PNG should come back as it was, minus the text chunk"
        );
        assert!(image::load_from_memory(&body).unwrap().to_rgb8() == img);
    }
);

db_test!(refused_uploads_store_nothing, |app: TestApp| async move {
    let (owner, shop) = app.merchant("kyc-refused").await;
    // 11 MiB that starts like a JPEG: refused while streaming (no Content-Length here).
    let mut big = plain_jpeg(64, 64, 1);
    big.resize(11 * 1024 * 1024, 0x55);
    upload(&app, &owner, &shop, "selfie", big.clone())
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
    // The same with a declared length: refused before a byte is read.
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/v1/shops/{shop}/kyc/documents?kind=selfie"))
        .header("authorization", format!("Bearer {owner}"))
        .header("content-length", big.len().to_string())
        .body(Body::from(big))
        .unwrap();
    let (status, _, _) = app.raw(req).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    // Executables, markup and empty bodies, whatever they claim to be.
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
    elf.resize(4096, 0x90);
    let mut pe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec();
    pe.resize(4096, 0);
    for body in [
        elf,
        pe,
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
        b"<!doctype html><script>alert(1)</script>".to_vec(),
        b"GIF89a\x01\0\x01\0".to_vec(),
        Vec::new(),
        vec![0xFF],
    ] {
        upload(&app, &owner, &shop, "selfie", body)
            .await
            .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");
    }
    // A JPEG cut short, and a PDF that would run JavaScript.
    let jpeg = plain_jpeg(64, 64, 2);
    upload(
        &app,
        &owner,
        &shop,
        "selfie",
        jpeg[..jpeg.len() / 2].to_vec(),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "malformed-document");
    // JPEGs whose pixel data does not match their frame header: the scan cut off and an
    // end-of-image marker put after it (every marker is in order, only decoding tells), and a
    // whole 64 × 64 image whose header claims 64 × 640 (within the pixel budget).
    let mut cut = jpeg[..jpeg.len() / 2].to_vec();
    cut.extend_from_slice(&[0xFF, 0xD9]);
    let mut taller = jpeg.clone();
    let sof = taller
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline frame header");
    taller[sof + 5..sof + 7].copy_from_slice(&640u16.to_be_bytes());
    for lying in [cut, taller] {
        upload(&app, &owner, &shop, "selfie", lying)
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "malformed-document");
    }
    let pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
    upload_as(
        &app,
        &owner,
        &shop,
        "business_license",
        "application/pdf",
        pdf.to_vec(),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "unsafe-document");
    // Bad kinds.
    for kind in ["", "passport", "selfie%00"] {
        upload(&app, &owner, &shop, kind, plain_jpeg(8, 8, 1))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    }

    assert_eq!(
        objects(&app).await,
        Vec::<ObjPath>::new(),
        "a refused upload left an object"
    );
    let list = app
        .get(&format!("/v1/shops/{shop}/kyc/documents"), &owner)
        .await;
    assert_eq!(list.json, json!([]));
});

db_test!(
    a_plain_pdf_is_accepted_unchanged,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("kyc-pdf").await;
        let pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n".to_vec();
        let r = upload_as(
            &app,
            &owner,
            &shop,
            "business_license",
            "image/jpeg",
            pdf.clone(),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert_eq!(r.json["content_type"], "application/pdf");
        let doc = r.json["id"].as_str().unwrap();
        let (status, headers, body) = content(&app, &owner, &shop, doc, "legal_obligation").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, pdf);
        assert_eq!(headers["content-type"], "application/pdf");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("sandbox")
        );
    }
);

db_test!(
    a_truncated_or_swapped_object_fails_to_decrypt,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("kyc-tamper").await;
        let a = upload(
            &app,
            &owner,
            &shop,
            "national_id_front",
            plain_jpeg(1000, 800, 1),
        )
        .await;
        let b = upload(
            &app,
            &owner,
            &shop,
            "national_id_back",
            plain_jpeg(1000, 800, 2),
        )
        .await;
        let (a, b) = (
            a.json["id"].as_str().unwrap().to_string(),
            b.json["id"].as_str().unwrap().to_string(),
        );
        let obj_a = read_object(&app, &shop, &a).await;
        let obj_b = read_object(&app, &shop, &b).await;
        assert!(obj_a.len() > 2 * 65_552, "the test needs several chunks");

        let c = 64 * 1024 + 16;
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("last chunk dropped", obj_a[..16 + c].to_vec()),
            ("cut mid-chunk", obj_a[..obj_a.len() - 100].to_vec()),
            ("header only", obj_a[..16].to_vec()),
            ("another document's object", obj_b.clone()),
            ("chunks swapped", {
                let mut s = obj_a.clone();
                let (x, rest) = s[16..].split_at_mut(c);
                x.swap_with_slice(&mut rest[..c]);
                s
            }),
            ("a flipped bit", {
                let mut s = obj_a.clone();
                s[1000] ^= 1;
                s
            }),
        ];
        for (what, bytes) in cases {
            write_object(&app, &shop, &a, bytes).await;
            let (status, headers, body) = content(&app, &owner, &shop, &a, "support").await;
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{what}");
            assert_eq!(
                headers["content-type"], "application/problem+json",
                "{what}"
            );
            let p: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(
                p["type"],
                format!("{}document-corrupt", harim_api::error::PROBLEM_BASE),
                "{what}"
            );
        }
        // Put it back: it reads again; B was never affected.
        write_object(&app, &shop, &a, obj_a).await;
        assert_eq!(
            content(&app, &owner, &shop, &a, "support").await.0,
            StatusCode::OK
        );
        assert_eq!(
            content(&app, &owner, &shop, &b, "support").await.0,
            StatusCode::OK
        );
    }
);

db_test!(
    reviewers_decide_merchants_see_the_reason_and_upload_again,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("kyc-review").await;
        let (_, staff_key) = app.api_key(&owner, &shop, "staff").await;
        let reviewer = app.platform_token(PlatformRole::Reviewer).await;
        let admin = app.platform_token(PlatformRole::Admin).await;
        let doc = upload(&app, &owner, &shop, "selfie", plain_jpeg(32, 32, 1))
            .await
            .json["id"]
            .as_str()
            .unwrap()
            .to_string();

        // Staff may not upload or download, but may see status.
        upload(&app, &staff_key, &shop, "selfie", plain_jpeg(8, 8, 1))
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        let (status, _, _) = content(&app, &staff_key, &shop, &doc, "support").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = content(&app, &admin, &shop, &doc, "support").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(
            app.get(&format!("/v1/shops/{shop}/kyc/documents"), &staff_key)
                .await
                .status,
            StatusCode::OK
        );
        // A purpose is required.
        let (status, _, _) = content(&app, &owner, &shop, &doc, "curiosity").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // The queue: reviewers and admins, not merchants.
        for t in [&reviewer, &admin] {
            let q = app.get("/v1/admin/kyc/queue", t).await;
            assert_eq!(q.status, StatusCode::OK);
            assert!(
                q.json
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| d["id"] == doc.as_str())
            );
        }
        app.get("/v1/admin/kyc/queue", &owner)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        // A reviewer downloads it for review.
        let (status, _, _) = content(&app, &reviewer, &shop, &doc, "kyc_review").await;
        assert_eq!(status, StatusCode::OK);

        let decide = |body: Value, token: String| {
            let app = &app;
            let doc = doc.clone();
            async move {
                app.post(
                    &format!("/v1/admin/kyc/documents/{doc}/decision"),
                    Some(&token),
                    body,
                )
                .await
            }
        };
        decide(json!({"decision": "rejected"}), reviewer.clone())
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        decide(
            json!({"decision": "rejected", "reason": "   "}),
            reviewer.clone(),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        decide(
            json!({"decision": "maybe", "reason": "x"}),
            reviewer.clone(),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        decide(json!({"decision": "approved"}), owner.clone())
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        decide(json!({"decision": "approved"}), admin.clone())
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        let r = decide(
            json!({"decision": "rejected", "reason": "The photo is blurred; retake it in daylight."}),
            reviewer.clone(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        decide(json!({"decision": "approved"}), reviewer.clone())
            .await
            .assert_problem(StatusCode::CONFLICT, "conflict");

        let seen = app
            .get(&format!("/v1/shops/{shop}/kyc/documents/{doc}"), &owner)
            .await;
        assert_eq!(seen.json["status"], "rejected");
        assert_eq!(
            seen.json["reason"],
            "The photo is blurred; retake it in daylight."
        );
        assert!(seen.json["decided_at"].is_string());
        let q = app.get("/v1/admin/kyc/queue", &reviewer).await;
        assert!(
            !q.json
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["id"] == doc.as_str())
        );

        // Upload again; approve the new one.
        let again = upload(&app, &owner, &shop, "selfie", plain_jpeg(32, 32, 2)).await;
        assert_eq!(again.status, StatusCode::CREATED);
        let doc2 = again.json["id"].as_str().unwrap();
        let r = app
            .post(
                &format!("/v1/admin/kyc/documents/{doc2}/decision"),
                Some(&reviewer),
                json!({"decision": "approved"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json["status"], "approved");
        let list = app
            .get(&format!("/v1/shops/{shop}/kyc/documents"), &owner)
            .await;
        assert_eq!(list.json.as_array().unwrap().len(), 2);

        // Unknown and malformed ids.
        app.post(
            "/v1/admin/kyc/documents/not-a-uuid/decision",
            Some(&reviewer),
            json!({"decision": "approved"}),
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
        app.post(
            &format!("/v1/admin/kyc/documents/{}/decision", uuid::Uuid::new_v4()),
            Some(&reviewer),
            json!({"decision": "approved"}),
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    }
);

db_test!(
    another_tenant_cannot_reach_a_document_by_its_id,
    |app: TestApp| async move {
        let (victim, shop_a) = app.merchant("kyc-victim").await;
        let (attacker, shop_b) = app.merchant("kyc-attacker").await;
        let doc = upload(
            &app,
            &victim,
            &shop_a,
            "national_id_front",
            plain_jpeg(32, 32, 1),
        )
        .await
        .json["id"]
            .as_str()
            .unwrap()
            .to_string();
        // The attacker's own shop in the path, the victim's document id: still 404.
        for path in [
            format!("/v1/shops/{shop_b}/kyc/documents/{doc}"),
            format!("/v1/shops/{shop_b}/kyc/documents/{doc}/content?purpose=support"),
            format!("/v1/shops/{shop_a}/kyc/documents/{doc}"),
            format!("/v1/shops/{shop_a}/kyc/documents/{doc}/content?purpose=support"),
            format!("/v1/shops/{shop_a}/kyc/documents"),
        ] {
            app.get(&path, &attacker)
                .await
                .assert_problem(StatusCode::NOT_FOUND, "not-found");
        }
        upload(&app, &attacker, &shop_a, "selfie", plain_jpeg(8, 8, 1))
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not-found");
        let own = app
            .get(&format!("/v1/shops/{shop_b}/kyc/documents"), &attacker)
            .await;
        assert_eq!(own.json, json!([]));
    }
);

db_test!(
    retention_purges_object_and_key_and_keeps_a_tombstone,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("kyc-retention").await;
        let reviewer = app.platform_token(PlatformRole::Reviewer).await;
        // The shop promises 30 days after a decision.
        let mut settings = crate::policies::valid_settings();
        settings["retention"]["kyc_documents_after_decision_days"] = json!(30);
        app.save_settings(&owner, &shop, settings).await;

        let decided = upload(
            &app,
            &owner,
            &shop,
            "national_id_front",
            plain_jpeg(64, 64, 1),
        )
        .await
        .json["id"]
            .as_str()
            .unwrap()
            .to_string();
        let pending = upload(
            &app,
            &owner,
            &shop,
            "national_id_back",
            plain_jpeg(64, 64, 2),
        )
        .await
        .json["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = app
            .post(
                &format!("/v1/admin/kyc/documents/{decided}/decision"),
                Some(&reviewer),
                json!({"decision": "approved"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);

        let now = OffsetDateTime::now_utc();
        let early = harim_store::kyc::run_retention(
            &app.db,
            &app.vault,
            &app.documents,
            now + Duration::days(29),
        )
        .await
        .unwrap();
        assert_eq!(early.purged, 0);
        let run = harim_store::kyc::run_retention(
            &app.db,
            &app.vault,
            &app.documents,
            now + Duration::days(31),
        )
        .await
        .unwrap();
        assert_eq!(run.purged, 1, "{run:?}");

        // No object left for it; the pending one is untouched.
        let names = objects(&app).await;
        assert_eq!(names.len(), 1);
        assert!(names[0].as_ref().ends_with(&pending));
        let tomb = app
            .get(&format!("/v1/shops/{shop}/kyc/documents/{decided}"), &owner)
            .await;
        assert!(tomb.json["purged_at"].is_string());
        assert_eq!(tomb.json["status"], "approved");
        let (status, _, body) = content(&app, &owner, &shop, &decided, "support").await;
        assert_eq!(
            status,
            StatusCode::GONE,
            "{}",
            String::from_utf8_lossy(&body)
        );
        // The wrapped key is gone from the row too.
        use sea_orm::EntityTrait;
        let row = harim_store::testkit::entity::kyc_document::Entity::find_by_id((
            shop.parse().unwrap(),
            decided.parse().unwrap(),
        ))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
        assert!(row.wrapped_key.is_none());
        // Running again does nothing more; the purge is in the audit chain.
        let again = harim_store::kyc::run_retention(
            &app.db,
            &app.vault,
            &app.documents,
            now + Duration::days(400),
        )
        .await
        .unwrap();
        assert_eq!(again.purged, 0);
        let audit = app.get(&format!("/v1/shops/{shop}/audit"), &owner).await;
        assert!(
            audit
                .json
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == "kyc.purge" && e["actor"] == "system:retention")
        );
    }
);

db_test!(
    the_sweep_removes_orphans_but_not_live_documents,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("kyc-sweep").await;
        let live = upload(&app, &owner, &shop, "selfie", plain_jpeg(16, 16, 1))
            .await
            .json["id"]
            .as_str()
            .unwrap()
            .to_string();
        // An object whose row never got written (a crash between the two).
        let orphan = uuid::Uuid::new_v4().to_string();
        write_object(&app, &shop, &orphan, vec![1, 2, 3]).await;
        let now = OffsetDateTime::now_utc();
        // Young orphans may be uploads in flight: left alone.
        assert_eq!(
            harim_store::kyc::sweep_orphans(&app.db, &app.documents, now)
                .await
                .unwrap(),
            0
        );
        let removed =
            harim_store::kyc::sweep_orphans(&app.db, &app.documents, now + Duration::hours(2))
                .await
                .unwrap();
        assert_eq!(removed, 1);
        let names = objects(&app).await;
        assert_eq!(names.len(), 1);
        assert!(names[0].as_ref().ends_with(&live));
        assert_eq!(
            content(&app, &owner, &shop, &live, "support").await.0,
            StatusCode::OK
        );
    }
);

db_test!(
    tenant_key_rotation_keeps_documents_readable,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("kyc-rotate").await;
        let doc = upload(&app, &owner, &shop, "selfie", plain_jpeg(64, 64, 1))
            .await
            .json["id"]
            .as_str()
            .unwrap()
            .to_string();
        let out = harim_store::tenant_rotation::rotate_shop(
            &app.db,
            &app.vault,
            &crate::helpers::cli_operator("test"),
            shop.parse::<uuid::Uuid>().unwrap().into(),
            OffsetDateTime::now_utc() + Duration::seconds(1),
        )
        .await
        .unwrap();
        assert_eq!(out, harim_store::tenant_rotation::Outcome::Rotated(2));
        let (status, _, body) = content(&app, &owner, &shop, &doc, "support").await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        assert!(image::load_from_memory(&body).is_ok());
    }
);
