//! Deciding a document's type from its bytes and removing what it leaks, as a stream.
//!
//! Every sanitizer is a push parser: it sees the upload in whatever pieces the network delivers,
//! keeps at most a bounded amount of state (never the whole file), and emits the bytes to keep.
//! Pixels are never re-encoded: JPEG and PNG keep their image data byte for byte and lose only
//! metadata segments/chunks; PDFs are passed through unchanged or refused.

pub(crate) mod jpeg;
mod pdf;
mod png;

/// The document types the store accepts, decided by [`sniff`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentType {
    Jpeg,
    Png,
    Pdf,
}

impl DocumentType {
    /// The media type the store records and serves.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Pdf => "application/pdf",
        }
    }
}

/// What the first bytes of an upload say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniff {
    /// Not enough bytes yet to decide (fewer than [`SNIFF_LEN`] and still a possible prefix).
    NeedMore,
    Type(DocumentType),
    /// Not a JPEG, PNG or PDF, whatever the request claimed.
    Refused,
}

/// Bytes [`sniff`] needs at most to decide.
pub const SNIFF_LEN: usize = 8;

/// The default pixel budget of an image: 40 megapixels. A phone's ID-card photo is 12–50 MP
/// at most after the camera's own downscaling and a scan at 600 dpi of an A4 page is 35 MP; a
/// decompression bomb declares billions. `DocumentStore::with_max_image_pixels` changes it.
pub const MAX_IMAGE_PIXELS: u64 = 40_000_000;

/// Decides the type from the leading bytes of the upload. `at_eof` says no more bytes will come
/// (so a short prefix is refused instead of `NeedMore`).
pub fn sniff(prefix: &[u8], at_eof: bool) -> Sniff {
    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF];
    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    const PDF: &[u8] = b"%PDF-";
    let mut possible = false;
    for (magic, ty) in [
        (JPEG, DocumentType::Jpeg),
        (PNG, DocumentType::Png),
        (PDF, DocumentType::Pdf),
    ] {
        if prefix.len() >= magic.len() {
            if prefix.starts_with(magic) {
                return Sniff::Type(ty);
            }
        } else if magic.starts_with(prefix) {
            possible = true;
        }
    }
    if possible && !at_eof {
        Sniff::NeedMore
    } else {
        Sniff::Refused
    }
}

/// Why a document was refused by its content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SanitizeError {
    /// The bytes are not a well-formed file of the sniffed type (truncated, bad structure).
    #[error("malformed {kind}: {reason}")]
    Malformed {
        kind: &'static str,
        reason: &'static str,
    },
    /// A PDF carries active content (JavaScript, launch/open actions, embedded files, ...).
    #[error("PDF refused: it contains {0}")]
    ActivePdf(&'static str),
}

/// A streaming sanitizer for one document.
#[derive(Debug)]
pub enum Sanitizer {
    Jpeg(jpeg::JpegStripper),
    Png(png::PngStripper),
    Pdf(pdf::PdfScanner),
}

impl Sanitizer {
    pub fn new(ty: DocumentType) -> Self {
        Self::with_max_pixels(ty, MAX_IMAGE_PIXELS)
    }

    /// A sanitizer whose images may declare at most `max_pixels` pixels.
    pub fn with_max_pixels(ty: DocumentType, max_pixels: u64) -> Self {
        match ty {
            DocumentType::Jpeg => Self::Jpeg(jpeg::JpegStripper::with_max_pixels(max_pixels)),
            DocumentType::Png => Self::Png(png::PngStripper::with_max_pixels(max_pixels)),
            DocumentType::Pdf => Self::Pdf(pdf::PdfScanner::new()),
        }
    }

    /// Feeds the next piece of the upload (any length, from the very first byte of the file);
    /// appends the bytes to keep to `out`.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), SanitizeError> {
        match self {
            Self::Jpeg(s) => s.push(input, out),
            Self::Png(s) => s.push(input, out),
            Self::Pdf(s) => s.push(input, out),
        }
    }

    /// End of the upload: flushes what is left and refuses a file that ended early.
    pub fn finish(self, out: &mut Vec<u8>) -> Result<(), SanitizeError> {
        match self {
            Self::Jpeg(s) => s.finish(out),
            Self::Png(s) => s.finish(out),
            Self::Pdf(s) => s.finish(out),
        }
    }
}

/// Runs a whole input through a fresh sanitizer, cut into pieces of the given sizes in turn
/// (`[]`: one piece), as the network might deliver it.
#[cfg(test)]
pub(crate) fn run_in_pieces(
    ty: DocumentType,
    input: &[u8],
    sizes: &[usize],
) -> Result<Vec<u8>, SanitizeError> {
    let mut s = Sanitizer::new(ty);
    let mut out = Vec::new();
    let mut rest = input;
    let mut k = 0;
    while !rest.is_empty() {
        let n = if sizes.is_empty() {
            rest.len()
        } else {
            sizes[k % sizes.len()].clamp(1, rest.len())
        };
        k += 1;
        s.push(&rest[..n], &mut out)?;
        rest = &rest[n..];
    }
    s.finish(&mut out)?;
    Ok(out)
}

/// A gradient with sensor-like noise in the low bits: compresses about as a photo of a document
/// does (the pixel-check measurements of both image formats use it).
#[cfg(test)]
pub(crate) fn photo_like(w: u32, h: u32) -> image::RgbImage {
    let mut state = 0x9E37_79B9u32;
    image::RgbImage::from_fn(w, h, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state & 0x1F) as u8;
        let base = ((x + y) / 16) as u8;
        image::Rgb([
            base ^ noise,
            base.wrapping_add(noise),
            (x / 8) as u8 ^ noise,
        ])
    })
}
