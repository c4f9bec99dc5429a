//! Document encryption: a fresh AES-256-GCM key per document, used as a STREAM of chunks.
//!
//! Object layout (all integers big-endian), documented in `crates/harim-vault/FORMAT.md` too:
//!
//! ```text
//! header (16 bytes): "HKD" | format 0x01 | chunk_size u32 | nonce_prefix [7] | 0x00
//! chunk i:           AES-256-GCM(key, nonce = nonce_prefix | i u32 | last u8,
//!                                 aad = header | tenant_id [16] | document_id [16] | i u32 | last u8,
//!                                 plaintext_i) = ciphertext_i | tag [16]
//! ```
//!
//! Every chunk but the last holds exactly `chunk_size` plaintext bytes; the last holds
//! `0..=chunk_size`. The nonce construction is the STREAM construction of Hoang, Reyhanitabar,
//! Rogaway and Vizár (`aead::stream::StreamBE32`): a dropped last chunk makes the previous chunk
//! fail as "last", reordered chunks fail their counter, and an object copied onto another
//! document's name fails its AAD. The AAD repeats the index and flag so the binding is explicit
//! in one place a reviewer can read.

use aead::{
    Payload,
    stream::{DecryptorBE32, EncryptorBE32},
};
use aes_gcm::{Aes256Gcm, KeyInit};
use rand::{RngCore, rngs::OsRng};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::KycError;

/// Plaintext bytes per chunk: small enough to keep memory flat, large enough that the 16-byte
/// tags cost 0.02 %.
pub const CHUNK_SIZE: usize = 64 * 1024;
/// Bytes of the object header.
pub const HEADER_LEN: usize = 16;
/// Bytes of a GCM tag.
pub const TAG_LEN: usize = 16;
const MAGIC: &[u8; 3] = b"HKD";
const FORMAT_V1: u8 = 1;
const NONCE_PREFIX_LEN: usize = 7;

/// A document's data key. Never leaves the process unwrapped; zeroed on drop.
pub struct DocumentKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for DocumentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DocumentKey(<redacted>)")
    }
}

impl DocumentKey {
    /// A fresh random key from the operating system.
    pub fn generate() -> Result<Self, KycError> {
        let mut key = Zeroizing::new([0u8; 32]);
        OsRng
            .try_fill_bytes(&mut *key)
            .map_err(|_| KycError::Crypto("the random number generator failed"))?;
        Ok(Self(key))
    }

    /// A key unwrapped by the vault.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KycError> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KycError::Crypto("a document key must be 32 bytes"))?;
        Ok(Self(Zeroizing::new(arr)))
    }

    /// The raw key, for wrapping under the tenant key.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(self.0.as_ref().into())
    }
}

/// The identity a document's chunks are bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentBinding {
    pub tenant_id: Uuid,
    pub document_id: Uuid,
}

fn chunk_aad(header: &[u8; HEADER_LEN], b: DocumentBinding, index: u32, last: bool) -> Vec<u8> {
    let mut aad = Vec::with_capacity(HEADER_LEN + 16 + 16 + 4 + 1);
    aad.extend_from_slice(header);
    aad.extend_from_slice(b.tenant_id.as_bytes());
    aad.extend_from_slice(b.document_id.as_bytes());
    aad.extend_from_slice(&index.to_be_bytes());
    aad.push(u8::from(last));
    aad
}

/// Encrypts a document chunk by chunk. Feed plaintext with [`ChunkEncryptor::push`]; the
/// encryptor keeps at most one chunk of plaintext.
pub struct ChunkEncryptor {
    header: [u8; HEADER_LEN],
    binding: DocumentBinding,
    inner: Option<EncryptorBE32<Aes256Gcm>>,
    index: u32,
    pending: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for ChunkEncryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkEncryptor")
            .field("binding", &self.binding)
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl ChunkEncryptor {
    /// Starts a document; returns the encryptor and the object header to write first.
    pub fn new(key: &DocumentKey, binding: DocumentBinding) -> Result<(Self, Vec<u8>), KycError> {
        let mut prefix = [0u8; NONCE_PREFIX_LEN];
        OsRng
            .try_fill_bytes(&mut prefix)
            .map_err(|_| KycError::Crypto("the random number generator failed"))?;
        let mut header = [0u8; HEADER_LEN];
        header[..3].copy_from_slice(MAGIC);
        header[3] = FORMAT_V1;
        header[4..8].copy_from_slice(&(CHUNK_SIZE as u32).to_be_bytes());
        header[8..15].copy_from_slice(&prefix);
        let inner = EncryptorBE32::from_aead(key.cipher(), prefix.as_ref().into());
        Ok((
            Self {
                header,
                binding,
                inner: Some(inner),
                index: 0,
                pending: Zeroizing::new(Vec::with_capacity(CHUNK_SIZE)),
            },
            header.to_vec(),
        ))
    }

    /// Adds plaintext; appends every completed ciphertext chunk to `out`. A full chunk is only
    /// sealed once more bytes arrive, because only then is it known not to be the last.
    pub fn push(&mut self, mut plaintext: &[u8], out: &mut Vec<u8>) -> Result<(), KycError> {
        while !plaintext.is_empty() {
            if self.pending.len() == CHUNK_SIZE {
                self.seal_pending(false, out)?;
            }
            let take = (CHUNK_SIZE - self.pending.len()).min(plaintext.len());
            self.pending.extend_from_slice(&plaintext[..take]);
            plaintext = &plaintext[take..];
        }
        Ok(())
    }

    fn seal_pending(&mut self, last: bool, out: &mut Vec<u8>) -> Result<(), KycError> {
        let aad = chunk_aad(&self.header, self.binding, self.index, last);
        let payload = Payload {
            msg: &self.pending,
            aad: &aad,
        };
        let ct = if last {
            let inner = self
                .inner
                .take()
                .ok_or(KycError::Crypto("the document stream is already finished"))?;
            inner.encrypt_last(payload)
        } else {
            self.inner
                .as_mut()
                .ok_or(KycError::Crypto("the document stream is already finished"))?
                .encrypt_next(payload)
        }
        .map_err(|_| KycError::Crypto("chunk encryption failed"))?;
        out.extend_from_slice(&ct);
        self.pending.clear();
        self.index = self
            .index
            .checked_add(1)
            .ok_or(KycError::Crypto("too many chunks"))?;
        Ok(())
    }

    /// Seals the last chunk (possibly empty).
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), KycError> {
        self.seal_pending(true, out)
    }
}

/// Decrypts a stored object chunk by chunk. Fails, never returns a wrong byte, if the object
/// was truncated, extended, reordered, altered or belongs to another document.
pub struct ChunkDecryptor {
    header: [u8; HEADER_LEN],
    header_len: usize,
    binding: DocumentBinding,
    key: DocumentKey,
    inner: Option<DecryptorBE32<Aes256Gcm>>,
    index: u32,
    chunk_ct_len: usize,
    pending: Vec<u8>,
}

impl std::fmt::Debug for ChunkDecryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkDecryptor")
            .field("binding", &self.binding)
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl ChunkDecryptor {
    pub fn new(key: DocumentKey, binding: DocumentBinding) -> Self {
        Self {
            header: [0u8; HEADER_LEN],
            header_len: 0,
            binding,
            key,
            inner: None,
            index: 0,
            chunk_ct_len: 0,
            pending: Vec::new(),
        }
    }

    /// Adds stored bytes; appends decrypted plaintext to `out`.
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<u8>) -> Result<(), KycError> {
        if self.header_len < HEADER_LEN {
            let take = (HEADER_LEN - self.header_len).min(data.len());
            self.header[self.header_len..self.header_len + take].copy_from_slice(&data[..take]);
            self.header_len += take;
            data = &data[take..];
            if self.header_len == HEADER_LEN {
                self.start()?;
            }
        }
        while !data.is_empty() {
            if self.pending.len() == self.chunk_ct_len {
                self.open_pending(false, out)?;
            }
            let take = (self.chunk_ct_len - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        Ok(())
    }

    fn start(&mut self) -> Result<(), KycError> {
        if &self.header[..3] != MAGIC || self.header[3] != FORMAT_V1 || self.header[15] != 0 {
            return Err(KycError::Corrupt("unknown object header"));
        }
        let mut cs = [0u8; 4];
        cs.copy_from_slice(&self.header[4..8]);
        let chunk_size = u32::from_be_bytes(cs) as usize;
        if chunk_size == 0 || chunk_size > 16 * 1024 * 1024 {
            return Err(KycError::Corrupt("implausible chunk size"));
        }
        self.chunk_ct_len = chunk_size + TAG_LEN;
        self.pending.reserve(self.chunk_ct_len);
        self.inner = Some(DecryptorBE32::from_aead(
            self.key.cipher(),
            self.header[8..15].into(),
        ));
        Ok(())
    }

    fn open_pending(&mut self, last: bool, out: &mut Vec<u8>) -> Result<(), KycError> {
        let aad = chunk_aad(&self.header, self.binding, self.index, last);
        let payload = Payload {
            msg: &self.pending,
            aad: &aad,
        };
        // The chunk's plaintext is wiped once copied out.
        let pt = zeroize::Zeroizing::new(
            if last {
                self.inner
                    .take()
                    .ok_or(KycError::Corrupt("data after the last chunk"))?
                    .decrypt_last(payload)
            } else {
                self.inner
                    .as_mut()
                    .ok_or(KycError::Corrupt("data after the last chunk"))?
                    .decrypt_next(payload)
            }
            .map_err(|_| KycError::Corrupt("a chunk failed authentication"))?,
        );
        out.extend_from_slice(&pt);
        self.pending.clear();
        self.index = self
            .index
            .checked_add(1)
            .ok_or(KycError::Corrupt("too many chunks"))?;
        Ok(())
    }

    /// End of the object: the held chunk must authenticate as the last one.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), KycError> {
        if self.header_len < HEADER_LEN {
            return Err(KycError::Corrupt("object shorter than its header"));
        }
        if self.pending.len() < TAG_LEN {
            return Err(KycError::Corrupt("object truncated"));
        }
        self.open_pending(true, out)
    }
}

/// A `std::io::Write` that seals everything written through it with [`ChunkEncryptor`] before
/// it reaches `inner`: an archive built on local disk never touches the disk in plaintext.
/// Call [`SealingWriter::finish`] at the end; dropping it unfinished leaves an object that
/// fails to decrypt (truncation is detected), never a readable partial one.
pub struct SealingWriter<W: std::io::Write> {
    inner: W,
    enc: Option<ChunkEncryptor>,
    out: Vec<u8>,
}

impl<W: std::io::Write> std::fmt::Debug for SealingWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealingWriter").finish_non_exhaustive()
    }
}

impl<W: std::io::Write> SealingWriter<W> {
    pub fn new(
        key: &DocumentKey,
        binding: DocumentBinding,
        mut inner: W,
    ) -> Result<Self, KycError> {
        let (enc, header) = ChunkEncryptor::new(key, binding)?;
        inner
            .write_all(&header)
            .map_err(|e| KycError::Body(format!("archive: {e}")))?;
        Ok(Self {
            inner,
            enc: Some(enc),
            out: Vec::new(),
        })
    }

    /// Seals the last chunk and returns the inner writer.
    pub fn finish(mut self) -> Result<W, KycError> {
        let enc = self
            .enc
            .take()
            .ok_or(KycError::Crypto("archive already finished"))?;
        enc.finish(&mut self.out)?;
        self.inner
            .write_all(&self.out)
            .and_then(|()| self.inner.flush())
            .map_err(|e| KycError::Body(format!("archive: {e}")))?;
        Ok(self.inner)
    }
}

impl<W: std::io::Write> std::io::Write for SealingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let enc = self
            .enc
            .as_mut()
            .ok_or_else(|| std::io::Error::other("archive already finished"))?;
        self.out.clear();
        enc.push(buf, &mut self.out)
            .map_err(|_| std::io::Error::other("sealing the archive failed"))?;
        self.inner.write_all(&self.out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding() -> DocumentBinding {
        DocumentBinding {
            tenant_id: Uuid::new_v4(),
            document_id: Uuid::new_v4(),
        }
    }

    fn seal(key: &DocumentKey, b: DocumentBinding, data: &[u8], piece: usize) -> Vec<u8> {
        let (mut enc, mut out) = ChunkEncryptor::new(key, b).unwrap();
        for p in data.chunks(piece.max(1)) {
            enc.push(p, &mut out).unwrap();
        }
        enc.finish(&mut out).unwrap();
        out
    }

    fn open(
        key: &DocumentKey,
        b: DocumentBinding,
        data: &[u8],
        piece: usize,
    ) -> Result<Vec<u8>, KycError> {
        let mut dec = ChunkDecryptor::new(DocumentKey::from_bytes(key.expose()).unwrap(), b);
        let mut out = Vec::new();
        for p in data.chunks(piece.max(1)) {
            dec.push(p, &mut out)?;
        }
        dec.finish(&mut out)?;
        Ok(out)
    }

    #[test]
    fn round_trips_at_every_boundary() {
        let key = DocumentKey::generate().unwrap();
        let b = binding();
        for len in [
            0,
            1,
            CHUNK_SIZE - 1,
            CHUNK_SIZE,
            CHUNK_SIZE + 1,
            3 * CHUNK_SIZE,
        ] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            for piece in [1000, CHUNK_SIZE, 7 * CHUNK_SIZE] {
                let ct = seal(&key, b, &data, piece);
                let chunks = len.div_ceil(CHUNK_SIZE).max(1);
                assert_eq!(ct.len(), HEADER_LEN + len + chunks * TAG_LEN);
                assert_eq!(open(&key, b, &ct, 777).unwrap(), data);
            }
        }
    }

    #[test]
    fn truncation_reordering_swapping_and_flips_fail() {
        let key = DocumentKey::generate().unwrap();
        let b = binding();
        let data: Vec<u8> = (0..3 * CHUNK_SIZE + 10).map(|i| (i % 253) as u8).collect();
        let ct = seal(&key, b, &data, 4096);
        let c = CHUNK_SIZE + TAG_LEN;
        // Dropping the last chunk, at a chunk boundary.
        assert!(open(&key, b, &ct[..HEADER_LEN + 3 * c], 4096).is_err());
        // Cutting anywhere.
        assert!(open(&key, b, &ct[..ct.len() - 1], 4096).is_err());
        assert!(open(&key, b, &ct[..HEADER_LEN], 4096).is_err());
        assert!(open(&key, b, &ct[..3], 4096).is_err());
        // Swapping chunks 0 and 1.
        let mut swapped = ct.clone();
        let (a, rest) = swapped[HEADER_LEN..].split_at_mut(c);
        a.swap_with_slice(&mut rest[..c]);
        assert!(open(&key, b, &swapped, 4096).is_err());
        // Appending a chunk.
        let mut longer = ct.clone();
        longer.extend_from_slice(&ct[HEADER_LEN..HEADER_LEN + c]);
        assert!(open(&key, b, &longer, 4096).is_err());
        // Another document's name, another tenant, another key.
        let other = DocumentBinding {
            document_id: Uuid::new_v4(),
            ..b
        };
        assert!(open(&key, other, &ct, 4096).is_err());
        let other = DocumentBinding {
            tenant_id: Uuid::new_v4(),
            ..b
        };
        assert!(open(&key, other, &ct, 4096).is_err());
        assert!(open(&DocumentKey::generate().unwrap(), b, &ct, 4096).is_err());
        // A flipped bit anywhere, header included.
        for pos in [0, 5, 9, HEADER_LEN, HEADER_LEN + c + 3, ct.len() - 1] {
            let mut bad = ct.clone();
            bad[pos] ^= 0x01;
            assert!(open(&key, b, &bad, 4096).is_err(), "flip at {pos}");
        }
        assert_eq!(open(&key, b, &ct, 4096).unwrap(), data);
    }

    #[test]
    fn key_debug_is_redacted() {
        let key = DocumentKey::from_bytes(&[0x41; 32]).unwrap();
        assert_eq!(format!("{key:?}"), "DocumentKey(<redacted>)");
    }
}
