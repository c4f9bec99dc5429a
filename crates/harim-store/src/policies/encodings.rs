//! The content codings a frozen policy document is kept in: the text itself, gzip and brotli.
//!
//! Why here, in the store, and not in `harim-policy` or the HTTP layer: the compressed forms
//! are *stored* forms of a frozen document. They are made once, by the publishing use case
//! (before its transaction), written with the text ([`super::publish`]) and read back with it
//! ([`super::document`]); so a page view does no compression work and the API only chooses
//! among forms it is handed. `harim-policy` stays the pure compiler from settings to documents
//! (what a policy says, not how its bytes travel), and HTTP code compresses nothing.
//!
//! Settings: at publish time gzip at its best level (9) and brotli at quality 11 with a 4 MiB
//! window (lgwin 22), the slowest and smallest (~25 ms per document); publishing is rare and the
//! bytes are then served many times. A document published before the forms were stored is
//! compressed when read, at gzip 6 and brotli 5 (about a millisecond): while the page cache is
//! bypassed (a replica that lost its event listener) that happens on every view, and it must not
//! make a page view cost tens of milliseconds of CPU.

use std::io::Write;

use bytes::Bytes;

use crate::StoreError;

/// gzip level of stored forms (flate2's best).
pub const GZIP_LEVEL: u32 = 9;
/// brotli quality of stored forms (the maximum).
pub const BROTLI_QUALITY: i32 = 11;
/// brotli window: 2^22 bytes, larger than any policy document.
pub const BROTLI_LGWIN: i32 = 22;
/// gzip level and brotli quality of forms made when read (documents published before the
/// forms were stored).
const READ_GZIP_LEVEL: u32 = 6;
const READ_BROTLI_QUALITY: i32 = 5;

/// One frozen document in every coding the public pages serve. Each form decodes to exactly
/// `identity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub identity: Bytes,
    pub gzip: Bytes,
    pub br: Bytes,
}

impl Encoded {
    /// [`Encoded::from_stored`] for a row just read: as it is when both coded forms are stored,
    /// else compressed off the async executor (the caller keeps the result: the page cache).
    pub(crate) async fn load(
        body: String,
        gzip_form: Option<Vec<u8>>,
        br_form: Option<Vec<u8>>,
    ) -> Result<Self, StoreError> {
        if gzip_form.is_some() && br_form.is_some() {
            return Self::from_stored(body, gzip_form, br_form);
        }
        tokio::task::spawn_blocking(move || Self::from_stored(body, gzip_form, br_form))
            .await
            .map_err(|e| StoreError::internal("compressing a policy document", e))?
    }

    /// The stored forms, each compressed now only if it is missing (a document published
    /// before the forms were stored).
    pub(crate) fn from_stored(
        body: String,
        gzip_form: Option<Vec<u8>>,
        br_form: Option<Vec<u8>>,
    ) -> Result<Self, StoreError> {
        let identity = Bytes::from(body);
        let gzip_form = match gzip_form {
            Some(g) => g,
            None => gzip_at(&identity, READ_GZIP_LEVEL)?,
        };
        let br_form = match br_form {
            Some(b) => b,
            None => brotli_at(&identity, READ_BROTLI_QUALITY)?,
        };
        Ok(Self {
            identity,
            gzip: gzip_form.into(),
            br: br_form.into(),
        })
    }
}

/// `body` gzip-compressed (RFC 1952) at [`GZIP_LEVEL`], as stored at publish time.
pub fn gzip(body: &[u8]) -> Result<Vec<u8>, StoreError> {
    gzip_at(body, GZIP_LEVEL)
}

/// `body` brotli-compressed (RFC 7932) at [`BROTLI_QUALITY`] and [`BROTLI_LGWIN`], as stored at
/// publish time.
pub fn brotli(body: &[u8]) -> Result<Vec<u8>, StoreError> {
    brotli_at(body, BROTLI_QUALITY)
}

fn gzip_at(body: &[u8], level: u32) -> Result<Vec<u8>, StoreError> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 3),
        flate2::Compression::new(level),
    );
    enc.write_all(body)
        .and_then(|()| enc.finish())
        .map_err(|e| StoreError::internal("gzip", e))
}

fn brotli_at(body: &[u8], quality: i32) -> Result<Vec<u8>, StoreError> {
    let params = brotli::enc::BrotliEncoderParams {
        quality,
        lgwin: BROTLI_LGWIN,
        size_hint: body.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(body.len() / 4);
    brotli::BrotliCompress(&mut &body[..], &mut out, &params)
        .map_err(|e| StoreError::internal("brotli", e))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::io::Read;

    use super::*;

    fn gunzip(b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(b)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn unbrotli(b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli::Decompressor::new(b, 4096)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn every_form_decodes_to_the_text_and_missing_forms_are_made() {
        let text = "<p>سیاست حفظ حریم خصوصی — privacy policy</p>\n".repeat(200);
        let e = Encoded::from_stored(text.clone(), None, None).unwrap();
        assert_eq!(e.identity, text.as_bytes());
        assert_eq!(gunzip(&e.gzip), text.as_bytes());
        assert_eq!(unbrotli(&e.br), text.as_bytes());
        assert!(e.br.len() < e.gzip.len() && e.gzip.len() < text.len() / 4);
        // Stored forms are used as they are; only missing ones are made.
        let stored = Encoded::from_stored(text.clone(), Some(b"g".to_vec()), None).unwrap();
        assert_eq!(&stored.gzip[..], b"g");
        assert_eq!(stored.br, e.br);
        // Publish-time forms: the best settings, never larger than the read-time ones.
        let (g, b) = (
            gzip(text.as_bytes()).unwrap(),
            brotli(text.as_bytes()).unwrap(),
        );
        assert_eq!(gunzip(&g), text.as_bytes());
        assert_eq!(unbrotli(&b), text.as_bytes());
        assert!(g.len() <= e.gzip.len() && b.len() <= e.br.len());
        let empty = Encoded::from_stored(String::new(), None, None).unwrap();
        assert!(gunzip(&empty.gzip).is_empty() && unbrotli(&empty.br).is_empty());
    }
}
