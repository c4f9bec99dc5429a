//! The object store behind the documents and the upload/download pipeline over it.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use object_store::{
    ObjectStore, PutPayloadMut, WriteMultipart, local::LocalFileSystem, memory::InMemory,
    path::Path,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::{
    KycError,
    crypt::{ChunkDecryptor, ChunkEncryptor, DocumentBinding, DocumentKey},
    sanitize::{DocumentType, SNIFF_LEN, SanitizeError, Sanitizer, Sniff, sniff},
};

/// Default bytes buffered before an upload switches to a multipart upload; 5 MiB is the S3
/// minimum part size, so it is also the smallest buffer that works against every S3 server.
pub const DEFAULT_PART_SIZE: usize = 5 * 1024 * 1024;

/// The most one upload holds in memory, the one statement of this bound that every other place
/// refers to: two parts (one uploading while the next fills; the sink waits for the first before
/// taking more) plus one encryption chunk being sealed. With the default part size: 10 MiB +
/// 64 KiB. `kyc_max_concurrent_uploads` times this bounds all uploads together. A JPEG also holds
/// its stripped bytes (at most the upload limit) until its pixel data has been checked, and for
/// that check a luma buffer of width × height bytes (at most the pixel budget).
pub const MAX_BUFFERED_PER_UPLOAD: usize = 2 * DEFAULT_PART_SIZE + crate::crypt::CHUNK_SIZE;

/// Why reading an upload's body failed, as the transport tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// The transport's own size limit stopped the body.
    TooLarge,
    /// The client went away or sent a broken body.
    Other(String),
}

/// What an accepted upload produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    pub document_type: DocumentType,
    /// Bytes of the sanitized document (what a download returns).
    pub size: u64,
    /// SHA-256 of the sanitized document.
    pub sha256: [u8; 32],
    /// Bytes of the encrypted object.
    pub stored_size: u64,
}

/// An object found by [`DocumentStore::list_objects`].
#[derive(Debug, Clone)]
pub struct StoredObject {
    pub tenant_id: Uuid,
    pub document_id: Uuid,
    pub last_modified: time::OffsetDateTime,
}

/// Encrypted documents in an object store (local directory, S3, or memory).
#[derive(Clone)]
pub struct DocumentStore {
    store: Arc<dyn ObjectStore>,
    describe: String,
    part_size: usize,
    max_image_pixels: u64,
}

impl std::fmt::Debug for DocumentStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentStore")
            .field("backend", &self.describe)
            .field("part_size", &self.part_size)
            .finish()
    }
}

impl DocumentStore {
    /// Opens the store a URL names:
    /// - `file:///absolute/dir` (created if missing),
    /// - `s3://bucket[/prefix]`, with credentials, region and endpoint from the usual `AWS_*`
    ///   environment variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
    ///   `AWS_ENDPOINT`, `AWS_ALLOW_HTTP`); path-style requests, so any S3-compatible server works,
    /// - `memory://` for tests.
    pub fn from_url(url: &str) -> Result<Self, KycError> {
        let parsed = url::Url::parse(url).map_err(|_| KycError::Config("not a URL".into()))?;
        match parsed.scheme() {
            "file" => {
                let dir = parsed
                    .to_file_path()
                    .map_err(|_| KycError::Config("a file URL needs an absolute path".into()))?;
                Self::local(&dir)
            }
            "memory" => Ok(Self::in_memory()),
            "s3" | "s3a" => {
                let bucket = parsed
                    .host_str()
                    .filter(|b| !b.is_empty())
                    .ok_or_else(|| KycError::Config("an s3 URL names a bucket".into()))?;
                let s3 = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_virtual_hosted_style_request(false)
                    .with_retry(object_store::RetryConfig {
                        max_retries: 3,
                        retry_timeout: Duration::from_secs(30),
                        ..Default::default()
                    })
                    .build()
                    .map_err(|e| KycError::Config(format!("S3 store: {e}")))?;
                let prefix = parsed.path().trim_matches('/');
                let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                    Arc::new(s3)
                } else {
                    Arc::new(object_store::prefix::PrefixStore::new(s3, prefix))
                };
                Ok(Self {
                    store,
                    describe: format!("s3://{bucket}/{prefix}"),
                    part_size: DEFAULT_PART_SIZE,
                    max_image_pixels: crate::sanitize::MAX_IMAGE_PIXELS,
                })
            }
            other => Err(KycError::Config(format!(
                "unsupported object store scheme '{other}' (use file://, s3:// or memory://)"
            ))),
        }
    }

    /// A directory on the local filesystem, created (mode 0700 on Unix) if missing.
    pub fn local(dir: &std::path::Path) -> Result<Self, KycError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| KycError::Config(format!("cannot create {}: {e}", dir.display())))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        let fs = LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| KycError::Config(format!("local store: {e}")))?;
        Ok(Self {
            store: Arc::new(fs),
            describe: format!("file://{}", dir.display()),
            part_size: DEFAULT_PART_SIZE,
            max_image_pixels: crate::sanitize::MAX_IMAGE_PIXELS,
        })
    }

    /// An in-memory store (tests).
    pub fn in_memory() -> Self {
        Self {
            store: Arc::new(InMemory::new()),
            describe: "memory://".into(),
            part_size: DEFAULT_PART_SIZE,
            max_image_pixels: crate::sanitize::MAX_IMAGE_PIXELS,
        }
    }

    /// The largest image accepted, in declared pixels (width × height); see
    /// [`crate::sanitize::MAX_IMAGE_PIXELS`] for the default.
    pub fn with_max_image_pixels(mut self, pixels: u64) -> Self {
        self.max_image_pixels = pixels.max(1);
        self
    }

    /// Bytes buffered before switching to a multipart upload (at least 5 MiB on S3).
    pub fn with_part_size(mut self, part_size: usize) -> Self {
        self.part_size = part_size.max(64 * 1024);
        self
    }

    /// Where the store is, without credentials (for logs and `/readyz`).
    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// The raw store (tests read objects back through it).
    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// The object name of a document: random ids only, nothing about its content or owner.
    pub fn object_path(tenant_id: Uuid, document_id: Uuid) -> Path {
        Path::from(format!("t/{tenant_id}/d/{document_id}"))
    }

    /// The inverse of [`DocumentStore::object_path`].
    pub fn parse_object_path(path: &Path) -> Option<(Uuid, Uuid)> {
        let parts: Vec<_> = path.parts().collect();
        match parts.as_slice() {
            [t, tenant, d, doc] if t.as_ref() == "t" && d.as_ref() == "d" => Some((
                Uuid::parse_str(tenant.as_ref()).ok()?,
                Uuid::parse_str(doc.as_ref()).ok()?,
            )),
            _ => None,
        }
    }

    /// Proves the store answers: a HEAD of a name that never exists must say "not found".
    pub async fn check(&self) -> Result<(), KycError> {
        match self.store.head(&Path::from("readyz/probe")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(KycError::Store(e)),
        }
    }

    /// Streams an upload through the pipeline: size limit, type sniffing, sanitizing, hashing,
    /// encryption, then the object store. Memory stays at about one part per upload, whatever
    /// the body size. On any error nothing is left in the store.
    pub async fn upload<S, E>(
        &self,
        binding: DocumentBinding,
        key: &DocumentKey,
        body: S,
        limit: u64,
    ) -> Result<StoredDocument, KycError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<BodyError>,
    {
        let path = Self::object_path(binding.tenant_id, binding.document_id);
        let mut sink = ObjectSink::new(self.store.clone(), path, self.part_size);
        match self.run_upload(binding, key, body, limit, &mut sink).await {
            Ok(stored) => match sink.finish().await {
                Ok(()) => Ok(stored),
                Err(e) => Err(KycError::Store(e)),
            },
            Err(e) => {
                sink.abort().await;
                Err(e)
            }
        }
    }

    async fn run_upload<S, E>(
        &self,
        binding: DocumentBinding,
        key: &DocumentKey,
        body: S,
        limit: u64,
        sink: &mut ObjectSink,
    ) -> Result<StoredDocument, KycError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<BodyError>,
    {
        let mut body = std::pin::pin!(body);
        let mut received: u64 = 0;
        // The first bytes of a national-ID scan are personal data too: wiped on drop.
        let mut prefix: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::with_capacity(SNIFF_LEN));
        let mut state: Option<(DocumentType, Sanitizer)> = None;
        let (mut enc, header) = ChunkEncryptor::new(key, binding)?;
        let mut cipher_out = header;
        let mut clean = Zeroizing::new(Vec::new());
        let mut hasher = Sha256::new();
        // A JPEG's pixel data can only be checked by decoding the whole file, which needs it in
        // one piece: the stripped bytes are held (at most the upload limit, wiped on drop) and
        // decoded once the last one is in. PNGs and PDFs are checked as they stream.
        let mut held: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::new());
        let mut size: u64 = 0;
        let mut stored_size: u64 = 0;

        loop {
            let piece = match body.next().await {
                Some(Ok(b)) => Some(b),
                Some(Err(e)) => {
                    return Err(match e.into() {
                        BodyError::TooLarge => KycError::TooLarge { limit },
                        BodyError::Other(why) => KycError::Body(why),
                    });
                }
                None => None,
            };
            let at_eof = piece.is_none();
            let input: &[u8] = piece.as_deref().unwrap_or(&[]);
            received += input.len() as u64;
            if received > limit {
                return Err(KycError::TooLarge { limit });
            }
            // Until the type is known, hold the first few bytes.
            let feed: Zeroizing<Vec<u8>>;
            let input = if state.is_none() {
                prefix.extend_from_slice(input);
                match sniff(&prefix, at_eof) {
                    Sniff::NeedMore => continue,
                    Sniff::Refused => return Err(KycError::UnsupportedType),
                    Sniff::Type(t) => {
                        if t == DocumentType::Jpeg {
                            // Reserved once, so growing never leaves a copy behind in freed
                            // memory; pages are only touched as bytes arrive.
                            held.reserve_exact(usize::try_from(limit).unwrap_or(0));
                        }
                        state = Some((t, Sanitizer::with_max_pixels(t, self.max_image_pixels)));
                        feed = std::mem::take(&mut prefix);
                        &feed[..]
                    }
                }
            } else {
                input
            };
            let Some((_, sanitizer)) = state.as_mut() else {
                return Err(KycError::UnsupportedType);
            };
            clean.clear();
            sanitizer.push(input, &mut clean)?;
            if at_eof {
                let Some((ty, sanitizer)) = state.take() else {
                    return Err(KycError::UnsupportedType);
                };
                sanitizer.finish(&mut clean)?;
                if ty == DocumentType::Jpeg {
                    held.extend_from_slice(&clean);
                    let max_pixels = self.max_image_pixels;
                    let bytes = std::mem::take(&mut held);
                    tokio::task::spawn_blocking(move || {
                        crate::sanitize::jpeg::check_pixels(&bytes, max_pixels)
                    })
                    .await
                    .map_err(|_| {
                        // A decoder that panics on a hostile file has refused it.
                        SanitizeError::Malformed {
                            kind: "JPEG",
                            reason: "the image data does not decode",
                        }
                    })??;
                }
                hasher.update(&clean[..]);
                size += clean.len() as u64;
                enc.push(&clean, &mut cipher_out)?;
                enc.finish(&mut cipher_out)?;
                stored_size += cipher_out.len() as u64;
                sink.put(Bytes::from(std::mem::take(&mut cipher_out)))
                    .await
                    .map_err(KycError::Store)?;
                return Ok(StoredDocument {
                    document_type: ty,
                    size,
                    sha256: hasher.finalize().into(),
                    stored_size,
                });
            }
            if matches!(state, Some((DocumentType::Jpeg, _))) {
                held.extend_from_slice(&clean);
            }
            hasher.update(&clean[..]);
            size += clean.len() as u64;
            enc.push(&clean, &mut cipher_out)?;
            if !cipher_out.is_empty() {
                stored_size += cipher_out.len() as u64;
                sink.put(Bytes::from(std::mem::take(&mut cipher_out)))
                    .await
                    .map_err(KycError::Store)?;
            }
        }
    }

    /// Reads, decrypts and verifies a document. The whole plaintext is checked against its
    /// recorded SHA-256 before a byte is returned, so a caller never serves half a document.
    pub async fn download(
        &self,
        binding: DocumentBinding,
        key: DocumentKey,
        expected_sha256: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, KycError> {
        let path = Self::object_path(binding.tenant_id, binding.document_id);
        let got = self.store.get(&path).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => KycError::ObjectMissing,
            e => KycError::Store(e),
        })?;
        // Sized once up front (the plaintext is never larger than the object), so growing the
        // buffer never leaves a copy of the document behind in freed memory.
        let capacity = usize::try_from(got.meta.size).unwrap_or(0);
        let mut stream = got.into_stream();
        let mut dec = ChunkDecryptor::new(key, binding);
        let mut out = Zeroizing::new(Vec::with_capacity(capacity));
        while let Some(piece) = stream.try_next().await.map_err(KycError::Store)? {
            dec.push(&piece, &mut out)?;
        }
        dec.finish(&mut out)?;
        let digest: [u8; 32] = Sha256::digest(&out[..]).into();
        if digest.as_slice() != expected_sha256 {
            return Err(KycError::Corrupt(
                "content does not match its recorded SHA-256",
            ));
        }
        Ok(out)
    }

    /// Deletes a document's object; an object already gone is not an error.
    pub async fn delete(&self, tenant_id: Uuid, document_id: Uuid) -> Result<(), KycError> {
        match self
            .store
            .delete(&Self::object_path(tenant_id, document_id))
            .await
        {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(KycError::Store(e)),
        }
    }

    /// Every document object in the store (for the orphan sweep). Names that are not document
    /// objects are skipped.
    pub async fn list_objects(&self) -> Result<Vec<StoredObject>, KycError> {
        let mut out = Vec::new();
        let mut listing = self.store.list(Some(&Path::from("t")));
        while let Some(meta) = listing.try_next().await.map_err(KycError::Store)? {
            if let Some((tenant_id, document_id)) = Self::parse_object_path(&meta.location) {
                let ts = meta.last_modified.timestamp_nanos_opt().unwrap_or(0);
                let last_modified = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ts))
                    .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
                out.push(StoredObject {
                    tenant_id,
                    document_id,
                    last_modified,
                });
            }
        }
        Ok(out)
    }
}

/// Where a sealed archive (a data-subject export) lives. Shop archives sit under the shop's
/// prefix, so erasing the shop's prefix removes them with its documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveOwner {
    Shop(Uuid),
    Account(Uuid),
}

impl DocumentStore {
    /// The object name of an export archive.
    pub fn archive_path(owner: ArchiveOwner, archive_id: Uuid) -> Path {
        match owner {
            ArchiveOwner::Shop(t) => Path::from(format!("t/{t}/x/{archive_id}")),
            ArchiveOwner::Account(a) => Path::from(format!("a/{a}/x/{archive_id}")),
        }
    }

    /// Every object under a shop (documents, archives, anything left behind).
    pub fn shop_prefix(tenant_id: Uuid) -> Path {
        Path::from(format!("t/{tenant_id}"))
    }

    /// Every object under an account (its archives).
    pub fn account_prefix(account_id: Uuid) -> Path {
        Path::from(format!("a/{account_id}"))
    }

    /// Copies a local file (a sealed export archive: ciphertext already) into the object store
    /// part by part; memory stays at about one part. Returns its size.
    pub async fn put_file(&self, path: Path, file: &std::path::Path) -> Result<u64, KycError> {
        use tokio::io::AsyncReadExt;
        let mut input = tokio::fs::File::open(file)
            .await
            .map_err(|e| KycError::Body(format!("archive: {e}")))?;
        let mut sink = ObjectSink::new(self.store.clone(), path, self.part_size);
        let mut stored: u64 = 0;
        let result: Result<(), KycError> = async {
            loop {
                let mut buf = vec![0u8; 1 << 20];
                let n = input
                    .read(&mut buf)
                    .await
                    .map_err(|e| KycError::Body(format!("archive: {e}")))?;
                if n == 0 {
                    return Ok(());
                }
                buf.truncate(n);
                stored += n as u64;
                sink.put(Bytes::from(buf)).await.map_err(KycError::Store)?;
            }
        }
        .await;
        match result {
            Ok(()) => {
                sink.finish().await.map_err(KycError::Store)?;
                Ok(stored)
            }
            Err(e) => {
                sink.abort().await;
                Err(e)
            }
        }
    }

    /// Streams a sealed object back, decrypted chunk by chunk. Every chunk is authenticated;
    /// a truncated or altered object ends the stream with an error, never with wrong bytes.
    pub async fn open_sealed(
        &self,
        path: Path,
        binding: DocumentBinding,
        key: DocumentKey,
    ) -> Result<impl Stream<Item = Result<Bytes, KycError>> + Send + use<>, KycError> {
        let got = self.store.get(&path).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => KycError::ObjectMissing,
            e => KycError::Store(e),
        })?;
        let stream = got.into_stream();
        let state = (stream, Some(ChunkDecryptor::new(key, binding)));
        Ok(futures::stream::unfold(
            state,
            |(mut stream, mut dec)| async move {
                let d = dec.as_mut()?;
                loop {
                    match stream.next().await {
                        Some(Ok(piece)) => {
                            let mut out = Vec::new();
                            if let Err(e) = d.push(&piece, &mut out) {
                                return Some((Err(e), (stream, None)));
                            }
                            if !out.is_empty() {
                                return Some((Ok(Bytes::from(out)), (stream, dec)));
                            }
                        }
                        Some(Err(e)) => return Some((Err(KycError::Store(e)), (stream, None))),
                        None => {
                            let d = dec.take()?;
                            let mut out = Vec::new();
                            return match d.finish(&mut out) {
                                Ok(()) => Some((Ok(Bytes::from(out)), (stream, None))),
                                Err(e) => Some((Err(e), (stream, None))),
                            };
                        }
                    }
                }
            },
        ))
    }

    /// Deletes one object; one already gone is not an error.
    pub async fn delete_path(&self, path: &Path) -> Result<(), KycError> {
        match self.store.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(KycError::Store(e)),
        }
    }

    /// Every object name under `prefix`.
    pub async fn list_prefix(&self, prefix: &Path) -> Result<Vec<Path>, KycError> {
        let mut out = Vec::new();
        let mut listing = self.store.list(Some(prefix));
        while let Some(meta) = listing.try_next().await.map_err(KycError::Store)? {
            out.push(meta.location);
        }
        Ok(out)
    }

    /// Deletes every object under `prefix` and then lists it again, until the store confirms it
    /// is empty; returns how many objects were deleted.
    pub async fn delete_prefix(&self, prefix: &Path) -> Result<u64, KycError> {
        let mut deleted = 0;
        for _ in 0..5 {
            let names = self.list_prefix(prefix).await?;
            if names.is_empty() {
                return Ok(deleted);
            }
            for name in names {
                self.delete_path(&name).await?;
                deleted += 1;
            }
        }
        if self.list_prefix(prefix).await?.is_empty() {
            Ok(deleted)
        } else {
            Err(KycError::Corrupt("objects remain under an erased prefix"))
        }
    }
}

/// Buffers up to one part; a document that fits is written with one PUT (atomic: nothing is
/// visible until it completes), a larger one becomes a multipart upload that is aborted on error.
struct ObjectSink {
    store: Arc<dyn ObjectStore>,
    path: Path,
    part_size: usize,
    buffer: PutPayloadMut,
    multipart: Option<WriteMultipart>,
}

impl ObjectSink {
    fn new(store: Arc<dyn ObjectStore>, path: Path, part_size: usize) -> Self {
        Self {
            store,
            path,
            part_size,
            buffer: PutPayloadMut::new(),
            multipart: None,
        }
    }

    async fn put(&mut self, bytes: Bytes) -> object_store::Result<()> {
        if let Some(mp) = self.multipart.as_mut() {
            // At most one part in flight while the next one fills: two parts per upload.
            mp.wait_for_capacity(1).await?;
            mp.put(bytes);
            return Ok(());
        }
        self.buffer.push(bytes);
        if self.buffer.content_length() >= self.part_size {
            let upload = self.store.put_multipart(&self.path).await?;
            let mut mp = WriteMultipart::new_with_chunk_size(upload, self.part_size);
            for chunk in std::mem::take(&mut self.buffer).freeze() {
                mp.put(chunk);
            }
            self.multipart = Some(mp);
        }
        Ok(())
    }

    async fn finish(mut self) -> object_store::Result<()> {
        match self.multipart.take() {
            Some(mp) => mp.finish().await.map(|_| ()),
            None => {
                let payload = std::mem::take(&mut self.buffer).freeze();
                self.store.put(&self.path, payload).await.map(|_| ())
            }
        }
    }

    async fn abort(mut self) {
        if let Some(mp) = self.multipart.take()
            && let Err(e) = mp.abort().await
        {
            tracing::warn!(error = %e, "aborting a multipart upload failed; the orphan sweep or the bucket's lifecycle rule removes its parts");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::stream;

    fn binding() -> DocumentBinding {
        DocumentBinding {
            tenant_id: Uuid::new_v4(),
            document_id: Uuid::new_v4(),
        }
    }

    fn pieces(data: &[u8], n: usize) -> impl Stream<Item = Result<Bytes, BodyError>> + Send {
        let v: Vec<Result<Bytes, BodyError>> = data
            .chunks(n)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        stream::iter(v)
    }

    /// A PDF (passed through unchanged) of about `len` bytes.
    fn pdf(len: usize) -> Vec<u8> {
        let mut v = b"%PDF-1.4\n".to_vec();
        while v.len() < len {
            v.extend_from_slice(b"% filler line of a long document, nothing active here\n");
        }
        v.extend_from_slice(b"%%EOF\n");
        v
    }

    async fn count(store: &DocumentStore) -> usize {
        store.list_objects().await.unwrap().len()
    }

    #[tokio::test]
    async fn round_trip_single_put_and_multipart() {
        // A small part size forces the multipart path on the in-memory store too.
        let store = DocumentStore::in_memory().with_part_size(64 * 1024);
        for len in [100, 300 * 1024] {
            let key = DocumentKey::generate().unwrap();
            let b = binding();
            let doc = pdf(len);
            let stored = store
                .upload(b, &key, pieces(&doc, 7000), 1 << 20)
                .await
                .unwrap();
            assert_eq!(stored.document_type, DocumentType::Pdf);
            assert_eq!(stored.size, doc.len() as u64);
            assert_eq!(stored.sha256, <[u8; 32]>::from(Sha256::digest(&doc)));
            let key2 = DocumentKey::from_bytes(key.expose()).unwrap();
            let back = store.download(b, key2, &stored.sha256).await.unwrap();
            assert_eq!(&back[..], &doc[..]);
        }
        assert_eq!(count(&store).await, 2);
    }

    #[tokio::test]
    async fn over_the_limit_leaves_nothing_even_after_multipart_began() {
        let store = DocumentStore::in_memory().with_part_size(64 * 1024);
        let key = DocumentKey::generate().unwrap();
        let doc = pdf(600 * 1024);
        let err = store
            .upload(binding(), &key, pieces(&doc, 10_000), 500 * 1024)
            .await
            .unwrap_err();
        assert!(matches!(err, KycError::TooLarge { limit: 512_000 }));
        assert_eq!(count(&store).await, 0);
        // The transport's own limit maps to the same error.
        let s = stream::iter(vec![
            Ok(Bytes::from_static(b"%PDF-1.4\n")),
            Err(BodyError::TooLarge),
        ]);
        let err = store.upload(binding(), &key, s, 1 << 20).await.unwrap_err();
        assert!(matches!(err, KycError::TooLarge { .. }));
        assert_eq!(count(&store).await, 0);
    }

    #[tokio::test]
    async fn refused_and_broken_bodies_leave_nothing() {
        let store = DocumentStore::in_memory();
        let key = DocumentKey::generate().unwrap();
        let err = store
            .upload(
                binding(),
                &key,
                pieces(b"MZ\x90\0 an executable", 3),
                1 << 20,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, KycError::UnsupportedType));
        let s = stream::iter(vec![
            Ok(Bytes::from_static(b"%PDF-1.4\n")),
            Err(BodyError::Other("client went away".into())),
        ]);
        let err = store.upload(binding(), &key, s, 1 << 20).await.unwrap_err();
        assert!(matches!(err, KycError::Body(_)));
        let err = store
            .upload(
                binding(),
                &key,
                pieces(b"%PDF-1.4\n/OpenAction\n%%EOF\n", 5),
                1 << 20,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, KycError::Refused(_)));
        assert_eq!(count(&store).await, 0);
    }

    #[tokio::test]
    async fn a_wrong_checksum_or_key_never_returns_bytes() {
        let store = DocumentStore::in_memory();
        let key = DocumentKey::generate().unwrap();
        let b = binding();
        let stored = store
            .upload(b, &key, pieces(&pdf(1000), 100), 1 << 20)
            .await
            .unwrap();
        let k = || DocumentKey::from_bytes(key.expose()).unwrap();
        assert!(matches!(
            store.download(b, k(), &[0u8; 32]).await,
            Err(KycError::Corrupt(_))
        ));
        assert!(matches!(
            store
                .download(b, DocumentKey::generate().unwrap(), &stored.sha256)
                .await,
            Err(KycError::Corrupt(_))
        ));
        store.delete(b.tenant_id, b.document_id).await.unwrap();
        store.delete(b.tenant_id, b.document_id).await.unwrap();
        assert!(matches!(
            store.download(b, k(), &stored.sha256).await,
            Err(KycError::ObjectMissing)
        ));
    }

    #[test]
    fn object_names_hold_only_ids() {
        let (t, d) = (Uuid::new_v4(), Uuid::new_v4());
        let p = DocumentStore::object_path(t, d);
        assert_eq!(p.as_ref(), format!("t/{t}/d/{d}"));
        assert_eq!(DocumentStore::parse_object_path(&p), Some((t, d)));
        assert_eq!(
            DocumentStore::parse_object_path(&Path::from("t/x/d/y")),
            None
        );
        assert!(DocumentStore::from_url("ftp://x").is_err());
        assert!(DocumentStore::from_url("memory://").is_ok());
    }
}
