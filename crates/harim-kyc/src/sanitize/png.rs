//! Stripping metadata chunks from a PNG without touching its pixels.
//!
//! A PNG leaks through its ancillary chunks: `tEXt`/`zTXt`/`iTXt` hold free text (author, the
//! software and often the device or a comment such as an address; XMP travels in `iTXt`), `eXIf`
//! holds a full Exif block with GPS coordinates and camera serial numbers, `tIME` the time of the
//! last edit, and private chunks whatever their writer wanted. Bytes after `IEND` are ignored by
//! viewers and are where polyglot files hide another payload.
//!
//! The stripper keeps the critical chunks (`IHDR`, `PLTE`, `IDAT`, `IEND`) and the ancillary
//! chunks that change how the pixels render (`tRNS`, `gAMA`, `cHRM`, `sRGB`, `iCCP`, `sBIT`,
//! `bKGD`, `pHYs`, `cICP`), and drops every other ancillary chunk, known or not (APNG's
//! `acTL`/`fcTL`/`fdAT` included, so an animation is reduced to its default image). Pixels are
//! never decoded and re-encoded: the `IDAT` stream goes through byte for byte, which keeps the
//! image exactly as uploaded and keeps a full decoder off the upload path. A chunk with an
//! unknown *critical* type is refused, since no viewer could show the image anyway.
//!
//! Every kept chunk's CRC is checked as it streams (a bad one refuses the document, so a corrupt
//! or tampered file is not stored as if it were fine). State is bounded: an 8-byte chunk header or
//! a 4-byte CRC at most is held back; chunk data streams through or is skipped as it arrives.
//!
//! The header must tell the truth about the pixels. `IHDR` may not declare zero pixels, or more
//! than the pixel budget ([`super::MAX_IMAGE_PIXELS`] by default): a 51 KB file can declare
//! 100000 × 100000 pixels and inflate to 30 GB in whoever decodes it later. And the `IDAT`
//! stream is inflated as it passes (flate2's zlib, into a fixed 32 KiB scratch buffer, never
//! kept) and must come to exactly the size the header implies, filter bytes included: more is
//! refused as soon as it appears, less at `IEND`. Filters are not undone, so this costs one
//! inflate pass (measured in docs/benchmarks.md), not a decode.

use super::SanitizeError;
use flate2::{Crc, Decompress, FlushDecompress, Status};

fn malformed(reason: &'static str) -> SanitizeError {
    SanitizeError::Malformed {
        kind: "PNG",
        reason,
    }
}

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// Ancillary chunks that affect rendering and carry nothing about the person or device.
const KEPT_ANCILLARY: [&[u8; 4]; 9] = [
    b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"bKGD", b"pHYs", b"cICP",
];

/// The Adam7 passes: (first column, first row, column step, row step).
const ADAM7: [(u64, u64, u64, u64); 7] = [
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
];

/// Largest chunk length the format allows.
const MAX_CHUNK_LEN: u32 = 0x7FFF_FFFF;

#[derive(Debug)]
enum State {
    /// Reading the signature; how many bytes matched.
    Signature(usize),
    /// Reading a chunk's length and type.
    Header { buf: [u8; 8], have: usize },
    /// Chunk data: `remaining` bytes, passed through (and CRC'd) if `keep`.
    Data {
        ty: [u8; 4],
        remaining: u32,
        keep: bool,
    },
    /// The chunk's CRC.
    Crc {
        ty: [u8; 4],
        keep: bool,
        buf: [u8; 4],
        have: usize,
    },
    /// IEND went through; what follows is dropped.
    Done,
    /// A previous call failed; the document is refused.
    Failed(SanitizeError),
}

/// Streaming PNG metadata stripper; see the module docs.
#[derive(Debug)]
pub struct PngStripper {
    state: State,
    crc: Crc,
    seen_ihdr: bool,
    seen_idat: bool,
    max_pixels: u64,
    /// The IHDR payload as it streams.
    ihdr: [u8; 13],
    ihdr_have: usize,
    /// Inflated bytes the header implies, once IHDR is checked.
    expected: u64,
    inflate: Box<Decompress>,
    inflated: u64,
    stream_end: bool,
    /// A pixel-data refusal, raised at the end of its chunk so a bad CRC (the likelier cause of
    /// damaged data) is named first; nothing more is inflated meanwhile.
    pending: Option<SanitizeError>,
}

impl Default for PngStripper {
    fn default() -> Self {
        Self::new()
    }
}

impl PngStripper {
    pub fn new() -> Self {
        Self::with_max_pixels(super::MAX_IMAGE_PIXELS)
    }

    /// A stripper that refuses images declaring more than `max_pixels` pixels.
    pub fn with_max_pixels(max_pixels: u64) -> Self {
        Self {
            state: State::Signature(0),
            crc: Crc::new(),
            seen_ihdr: false,
            seen_idat: false,
            max_pixels,
            ihdr: [0; 13],
            ihdr_have: 0,
            expected: 0,
            inflate: Box::new(Decompress::new(true)),
            inflated: 0,
            stream_end: false,
            pending: None,
        }
    }

    /// Checks the declared size against the budget and computes the inflated size it implies.
    fn check_ihdr(&mut self) -> Result<(), SanitizeError> {
        let h = &self.ihdr;
        let width = u64::from(u32::from_be_bytes([h[0], h[1], h[2], h[3]]));
        let height = u64::from(u32::from_be_bytes([h[4], h[5], h[6], h[7]]));
        let (depth, color, interlace) = (h[8], h[9], h[12]);
        if width == 0 || height == 0 {
            return Err(malformed("zero width or height"));
        }
        if width > u64::from(MAX_CHUNK_LEN) || height > u64::from(MAX_CHUNK_LEN) {
            return Err(malformed("a width or height above 2^31-1"));
        }
        if width.saturating_mul(height) > self.max_pixels {
            return Err(malformed("more pixels than the budget allows"));
        }
        let channels: u64 = match (color, depth) {
            (0, 1 | 2 | 4 | 8 | 16) => 1,
            (3, 1 | 2 | 4 | 8) => 1,
            (2, 8 | 16) => 3,
            (4, 8 | 16) => 2,
            (6, 8 | 16) => 4,
            _ => return Err(malformed("an invalid bit depth and colour type")),
        };
        let bits = channels * u64::from(depth);
        // One filter byte, then the row's bits rounded up to whole bytes.
        let rows = |w: u64, h: u64| {
            if w == 0 {
                0
            } else {
                h * (1 + (w * bits).div_ceil(8))
            }
        };
        self.expected = match interlace {
            0 => rows(width, height),
            1 => ADAM7
                .iter()
                .map(|&(x0, y0, dx, dy)| {
                    let w = width.saturating_sub(x0).div_ceil(dx);
                    let h = height.saturating_sub(y0).div_ceil(dy);
                    rows(w, h)
                })
                .sum(),
            _ => return Err(malformed("an unknown interlace method")),
        };
        Ok(())
    }

    /// Inflates IDAT bytes into a scratch buffer only to count them.
    fn count_pixels(&mut self, mut data: &[u8]) -> Result<(), SanitizeError> {
        let mut scratch = [0u8; 32 * 1024];
        while !data.is_empty() || !self.stream_end {
            if self.stream_end {
                return Err(malformed("data after the end of the image's zlib stream"));
            }
            let (before_in, before_out) = (self.inflate.total_in(), self.inflate.total_out());
            let status = self
                .inflate
                .decompress(data, &mut scratch, FlushDecompress::None)
                .map_err(|_| malformed("image data that does not inflate"))?;
            let used = usize::try_from(self.inflate.total_in() - before_in).unwrap_or(data.len());
            let made = self.inflate.total_out() - before_out;
            data = data.get(used..).unwrap_or_default();
            self.inflated += made;
            if self.inflated > self.expected {
                return Err(malformed("more pixel data than its header declares"));
            }
            match status {
                Status::StreamEnd => self.stream_end = true,
                // No progress: all input consumed and the scratch buffer was not filled.
                _ if used == 0 && made == 0 => break,
                _ => {}
            }
        }
        Ok(())
    }

    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), SanitizeError> {
        if let State::Failed(e) = &self.state {
            return Err(e.clone());
        }
        self.run(input, out).inspect_err(|e| {
            self.state = State::Failed(e.clone());
        })
    }

    pub fn finish(self, _out: &mut Vec<u8>) -> Result<(), SanitizeError> {
        match self.state {
            State::Done => Ok(()),
            State::Failed(e) => Err(e),
            _ => Err(malformed("truncated (no IEND chunk)")),
        }
    }

    fn run(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), SanitizeError> {
        let mut rest = input;
        while !rest.is_empty() {
            match &mut self.state {
                State::Signature(have) => {
                    let n = (SIGNATURE.len() - *have).min(rest.len());
                    if rest[..n] != SIGNATURE[*have..*have + n] {
                        return Err(malformed("bad signature"));
                    }
                    *have += n;
                    rest = &rest[n..];
                    if *have == SIGNATURE.len() {
                        out.extend_from_slice(&SIGNATURE);
                        self.state = State::Header {
                            buf: [0; 8],
                            have: 0,
                        };
                    }
                }
                State::Header { buf, have } => {
                    let n = (8 - *have).min(rest.len());
                    buf[*have..*have + n].copy_from_slice(&rest[..n]);
                    *have += n;
                    rest = &rest[n..];
                    if *have == 8 {
                        let buf = *buf;
                        self.header(buf, out)?;
                    }
                }
                State::Data {
                    ty,
                    remaining,
                    keep,
                } => {
                    let (ty, keep) = (*ty, *keep);
                    let n = rest
                        .len()
                        .min(usize::try_from(*remaining).unwrap_or(usize::MAX));
                    // n <= remaining, which is a u32.
                    *remaining -= u32::try_from(n).unwrap_or(*remaining);
                    let done = *remaining == 0;
                    let data = &rest[..n];
                    if keep {
                        self.crc.update(data);
                        out.extend_from_slice(data);
                    }
                    match &ty {
                        b"IHDR" => {
                            let take = n.min(self.ihdr.len() - self.ihdr_have);
                            self.ihdr[self.ihdr_have..self.ihdr_have + take]
                                .copy_from_slice(&data[..take]);
                            self.ihdr_have += take;
                        }
                        b"IDAT" if self.pending.is_none() => {
                            if let Err(e) = self.count_pixels(data) {
                                self.pending = Some(e);
                            }
                        }
                        _ => {}
                    }
                    rest = &rest[n..];
                    if done {
                        self.state = State::Crc {
                            ty,
                            keep,
                            buf: [0; 4],
                            have: 0,
                        };
                    }
                }
                State::Crc {
                    ty,
                    keep,
                    buf,
                    have,
                } => {
                    let n = (4 - *have).min(rest.len());
                    buf[*have..*have + n].copy_from_slice(&rest[..n]);
                    *have += n;
                    rest = &rest[n..];
                    if *have == 4 {
                        let (ty, keep, crc) = (*ty, *keep, *buf);
                        if keep {
                            if u32::from_be_bytes(crc) != self.crc.sum() {
                                return Err(malformed("a chunk with a bad CRC"));
                            }
                            out.extend_from_slice(&crc);
                        }
                        if let Some(e) = self.pending.take() {
                            return Err(e);
                        }
                        if &ty == b"IHDR" {
                            self.check_ihdr()?;
                        }
                        self.state = if &ty == b"IEND" {
                            State::Done
                        } else {
                            State::Header {
                                buf: [0; 8],
                                have: 0,
                            }
                        };
                    }
                }
                State::Done => return Ok(()),
                State::Failed(e) => return Err(e.clone()),
            }
        }
        Ok(())
    }

    /// A chunk's length and type are in: validate them and decide its fate.
    fn header(&mut self, buf: [u8; 8], out: &mut Vec<u8>) -> Result<(), SanitizeError> {
        let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
        let ty = [buf[4], buf[5], buf[6], buf[7]];
        if len > MAX_CHUNK_LEN {
            return Err(malformed("a chunk length above 2^31-1"));
        }
        if !ty.iter().all(u8::is_ascii_alphabetic) {
            return Err(malformed("a chunk type that is not four letters"));
        }
        let critical = ty[0].is_ascii_uppercase();
        match &ty {
            b"IHDR" => {
                if self.seen_ihdr {
                    return Err(malformed("a second IHDR chunk"));
                }
                if len != 13 {
                    return Err(malformed("an IHDR chunk of the wrong length"));
                }
                self.seen_ihdr = true;
            }
            _ if !self.seen_ihdr => return Err(malformed("a first chunk that is not IHDR")),
            b"IDAT" => self.seen_idat = true,
            b"IEND" => {
                if len != 0 {
                    return Err(malformed("an IEND chunk with data"));
                }
                if !self.seen_idat {
                    return Err(malformed("no image data (IDAT) before IEND"));
                }
                if !self.stream_end || self.inflated != self.expected {
                    return Err(malformed("less pixel data than its header declares"));
                }
            }
            b"PLTE" => {}
            _ if critical => return Err(malformed("an unknown critical chunk")),
            _ => {}
        }
        let keep = critical || KEPT_ANCILLARY.contains(&&ty);
        if keep {
            out.extend_from_slice(&buf);
            self.crc.reset();
            self.crc.update(&ty);
        }
        self.state = if len == 0 {
            State::Crc {
                ty,
                keep,
                buf: [0; 4],
                have: 0,
            }
        } else {
            State::Data {
                ty,
                remaining: len,
                keep,
            }
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::ImageEncoder;
    use proptest::prelude::*;

    fn chunk(ty: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut v = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
        v.extend_from_slice(ty);
        v.extend_from_slice(data);
        let mut crc = Crc::new();
        crc.update(ty);
        crc.update(data);
        v.extend_from_slice(&crc.sum().to_be_bytes());
        v
    }

    fn gradient_png() -> Vec<u8> {
        let img = image::RgbaImage::from_fn(29, 17, |x, y| {
            image::Rgba([
                u8::try_from(x * 8).unwrap(),
                u8::try_from(y * 15).unwrap(),
                u8::try_from(x * y % 256).unwrap(),
                u8::try_from(255 - x * 3).unwrap(),
            ])
        });
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(img.as_raw(), 29, 17, image::ExtendedColorType::Rgba8)
            .unwrap();
        png
    }

    /// Splits an encoded PNG into its signature and chunks (type, whole chunk bytes).
    fn chunks(png: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
        let mut v = Vec::new();
        let mut at = 8;
        while at < png.len() {
            let len =
                usize::try_from(u32::from_be_bytes(png[at..at + 4].try_into().unwrap())).unwrap();
            let ty: [u8; 4] = png[at + 4..at + 8].try_into().unwrap();
            v.push((ty, png[at..at + 12 + len].to_vec()));
            at += 12 + len;
        }
        v
    }

    const TRAILER: &[u8] = b"PK\x03\x04appended-zip-payload";

    /// The clean PNG plus pHYs (kept) and tEXt, zTXt, iTXt, eXIf, tIME, a private chunk (dropped).
    fn dirty_png() -> (Vec<u8>, Vec<u8>) {
        let clean = gradient_png();
        let parts = chunks(&clean);
        assert_eq!(&parts[0].0, b"IHDR");
        let phys = chunk(b"pHYs", &[0, 0, 0x0B, 0x13, 0, 0, 0x0B, 0x13, 1]);
        let mut dirty = clean[..8].to_vec();
        let mut expected = clean[..8].to_vec();
        dirty.extend_from_slice(&parts[0].1);
        expected.extend_from_slice(&parts[0].1);
        dirty.extend(chunk(b"tEXt", b"Comment\0secret gps 37.5665N 126.9780E"));
        dirty.extend(chunk(b"zTXt", b"Author\0\0x\x9c compressed-secret"));
        dirty.extend(chunk(
            b"iTXt",
            b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta>SecretPhone</x:xmpmeta>",
        ));
        dirty.extend(chunk(b"eXIf", b"MM\0*\0\0\0\x08GPS-ifd-secret"));
        dirty.extend(chunk(b"tIME", &[0x07, 0xE8, 1, 2, 3, 4, 5]));
        dirty.extend(&phys);
        expected.extend(&phys);
        for (i, (_, bytes)) in parts.iter().enumerate().skip(1) {
            if i + 1 == parts.len() {
                dirty.extend(chunk(b"prVt", b"private-vendor-secret"));
            }
            dirty.extend_from_slice(bytes);
            expected.extend_from_slice(bytes);
        }
        dirty.extend_from_slice(TRAILER);
        (dirty, expected)
    }

    fn strip_in(input: &[u8], sizes: &[usize]) -> Result<Vec<u8>, SanitizeError> {
        crate::sanitize::run_in_pieces(crate::sanitize::DocumentType::Png, input, sizes)
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    fn assert_clean(out: &[u8], original: &[u8]) {
        for secret in [
            &b"secret"[..],
            b"tEXt",
            b"zTXt",
            b"iTXt",
            b"eXIf",
            b"tIME",
            b"prVt",
            b"xmpmeta",
            b"appended-zip-payload",
        ] {
            assert!(
                !contains(out, secret),
                "{}",
                String::from_utf8_lossy(secret)
            );
        }
        assert!(contains(out, b"pHYs"));
        let a = image::load_from_memory(original).unwrap().to_rgba8();
        let b = image::load_from_memory(out).unwrap().to_rgba8();
        assert_eq!(a.dimensions(), b.dimensions());
        assert_eq!(a.as_raw(), b.as_raw());
    }

    #[test]
    fn strips_text_exif_time_private_chunks_and_trailer() {
        let (dirty, expected) = dirty_png();
        let out = strip_in(&dirty, &[]).unwrap();
        assert_eq!(out, expected);
        assert_clean(&out, &dirty);
    }

    #[test]
    fn strips_when_fed_one_byte_at_a_time() {
        let (dirty, expected) = dirty_png();
        let out = strip_in(&dirty, &[1]).unwrap();
        assert_eq!(out, expected);
    }

    #[test]
    fn clean_png_passes_unchanged() {
        let clean = gradient_png();
        assert_eq!(strip_in(&clean, &[5]).unwrap(), clean);
    }

    #[test]
    fn a_flipped_crc_or_data_bit_is_refused() {
        let (dirty, _) = dirty_png();
        let clean = gradient_png();
        let idat = clean.windows(4).position(|w| w == b"IDAT").unwrap();
        let ihdr_crc = 8 + 8 + 13;
        for at in [ihdr_crc, idat + 6, clean.len() - 1] {
            let mut bad = clean.clone();
            bad[at] ^= 0x01;
            let err = strip_in(&bad, &[3]).unwrap_err();
            assert_eq!(err, malformed("a chunk with a bad CRC"), "at {at}");
        }
        // A bad CRC on a dropped chunk does not matter: it is not kept.
        let text = dirty.windows(4).position(|w| w == b"tEXt").unwrap();
        let mut bad = dirty.clone();
        bad[text + 6] ^= 0x01;
        assert!(strip_in(&bad, &[]).is_ok());
    }

    #[test]
    fn truncated_and_malformed_pngs_are_refused() {
        let (dirty, _) = dirty_png();
        let iend = dirty.windows(4).position(|w| w == b"IEND").unwrap();
        for cut in [4, 8, 20, dirty.len() / 2, iend + 4] {
            let err = strip_in(&dirty[..cut], &[2]).unwrap_err();
            assert!(matches!(err, SanitizeError::Malformed { kind: "PNG", .. }));
        }
        let clean = gradient_png();
        let parts = chunks(&clean);
        let mut no_ihdr = SIGNATURE.to_vec();
        no_ihdr.extend(chunk(b"tEXt", b"a\0b"));
        no_ihdr.extend_from_slice(&clean[8..]);
        let mut huge = clean[..33].to_vec();
        huge.extend_from_slice(&[0x80, 0, 0, 0]);
        huge.extend_from_slice(b"IDAT");
        let mut unknown_critical = clean[..33].to_vec();
        unknown_critical.extend(chunk(b"CgBI", b"\0\0\0\0"));
        unknown_critical.extend_from_slice(&clean[33..]);
        let mut no_idat = clean[..33].to_vec();
        no_idat.extend_from_slice(&parts.last().unwrap().1);
        for bad in [
            no_ihdr,
            huge,
            unknown_critical,
            no_idat,
            b"\x89PNG\r\n\x1a\x0bxx".to_vec(),
        ] {
            let err = strip_in(&bad, &[]).unwrap_err();
            assert!(matches!(err, SanitizeError::Malformed { kind: "PNG", .. }));
        }
    }

    /// A PNG declaring `w` × `h` RGB8 pixels whose IDAT is zlib of `raw` (whatever it is).
    fn declared(w: u32, h: u32, interlace: u8, raw: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut ihdr = w.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, interlace]);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(raw).unwrap();
        let mut v = SIGNATURE.to_vec();
        v.extend(chunk(b"IHDR", &ihdr));
        v.extend(chunk(b"IDAT", &z.finish().unwrap()));
        v.extend(chunk(b"IEND", &[]));
        v
    }

    fn reason(input: &[u8]) -> &'static str {
        match strip_in(input, &[]).unwrap_err() {
            SanitizeError::Malformed { reason, .. } => reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn decompression_bombs_and_lying_headers_are_refused() {
        // 100000 x 100000 declared in a few hundred bytes: refused before any inflating.
        assert_eq!(
            reason(&declared(100_000, 100_000, 0, &vec![0; 50 << 10])),
            "more pixels than the budget allows"
        );
        assert_eq!(
            reason(&declared(0x7FFF_FFFF, 0x7FFF_FFFF, 0, &[0])),
            "more pixels than the budget allows"
        );
        assert_eq!(reason(&declared(0, 0, 0, &[])), "zero width or height");
        assert_eq!(reason(&declared(10, 0, 0, &[])), "zero width or height");
        // 10 x 10 RGB8 is 10 rows of 1 + 30 bytes: 50 MiB of zeros is a bomb within the budget.
        assert_eq!(
            reason(&declared(10, 10, 0, &vec![0; 50 << 20])),
            "more pixel data than its header declares"
        );
        assert_eq!(
            reason(&declared(100, 100, 0, &vec![0; 10 * 31])),
            "less pixel data than its header declares"
        );
        // Exactly right passes, also interlaced (Adam7: 7 passes, each with filter bytes).
        assert!(strip_in(&declared(10, 10, 0, &[0; 310]), &[]).is_ok());
        let adam7: usize = [(2, 2), (1, 2), (3, 1), (2, 3), (5, 2), (5, 5), (10, 5)]
            .iter()
            .map(|(w, h)| h * (1 + 3 * w))
            .sum();
        assert!(strip_in(&declared(10, 10, 1, &vec![0; adam7]), &[]).is_ok());
        assert_eq!(
            reason(&declared(10, 10, 1, &[0; 310])),
            "less pixel data than its header declares"
        );
        // A smaller budget is honoured.
        let mut s = PngStripper::with_max_pixels(99);
        let mut out = Vec::new();
        assert!(s.push(&declared(10, 10, 0, &[0; 310]), &mut out).is_err());
    }

    /// What the pixel-data check costs, printed (no threshold): stripping a 4-megapixel photo-
    /// like RGB PNG, against the same run's baseline of CRC-checking the same bytes (what the
    /// stripper did before it inflated IDAT). Run:
    /// `cargo test -p harim-kyc --release -- --ignored --nocapture png_check_cost`.
    #[test]
    #[ignore = "a measurement, run by hand (docs/benchmarks.md)"]
    fn png_check_cost_per_megapixel() {
        let (w, h) = (2000u32, 2000u32);
        let img = crate::sanitize::photo_like(w, h);
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
            .unwrap();
        let runs = 5;
        let t = std::time::Instant::now();
        for _ in 0..runs {
            strip_in(&png, &[64 * 1024]).unwrap();
        }
        let strip = t.elapsed() / runs;
        let t = std::time::Instant::now();
        for _ in 0..runs {
            let mut c = Crc::new();
            for piece in png.chunks(64 * 1024) {
                c.update(piece);
            }
            std::hint::black_box(c.sum());
        }
        let crc = t.elapsed() / runs;
        let mp = f64::from(w * h) / 1e6;
        println!(
            "PNG {w}x{h} ({} KiB): strip with pixel check {:.1} ms = {:.2} ms/MP; CRC-only baseline {:.2} ms = {:.2} ms/MP; ratio {:.1}x",
            png.len() / 1024,
            strip.as_secs_f64() * 1e3,
            strip.as_secs_f64() * 1e3 / mp,
            crc.as_secs_f64() * 1e3,
            crc.as_secs_f64() * 1e3 / mp,
            strip.as_secs_f64() / crc.as_secs_f64()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_split_gives_the_same_output(sizes in proptest::collection::vec(1usize..300, 1..24)) {
            let (dirty, expected) = dirty_png();
            let out = strip_in(&dirty, &sizes).unwrap();
            prop_assert_eq!(&out, &expected);
        }
    }
}
