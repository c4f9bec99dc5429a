//! Stripping metadata from a JPEG without touching its pixels.
//!
//! What a JPEG leaks lives in its marker segments, not in the picture: APP1 carries Exif (camera
//! make and serial number, the time the ID card was photographed, GPS coordinates of the
//! merchant's home, and a thumbnail of the *uncropped* original) and XMP (editing history, author
//! names); APP13 carries Photoshop/IPTC captions and keywords; APP3..APP15 carry vendor blobs
//! (Ducky, Picture Info, MPF pointers to extra images); COM segments carry free text; and the JFIF
//! APP0 segment may embed its own thumbnail (and its JFXX extension a whole JPEG one). Bytes after
//! EOI are invisible to viewers but are exactly where polyglot files hide a ZIP or a second image.
//!
//! The stripper walks the marker segments and keeps only what decoding needs: APP0 JFIF (with its
//! thumbnail cut off), APP2 `ICC_PROFILE` (colour), APP14 `Adobe` (tells the decoder whether to
//! apply the YCbCr/YCCK transform), the tables, frame and scan headers, and the entropy-coded
//! data byte for byte. Pixels are never decoded and re-encoded: re-encoding would cost quality,
//! make the stored document differ from what the merchant uploaded in ways a reviewer cannot
//! check, and run a full image decoder on untrusted input inside the upload path. Metadata-only
//! removal keeps the scan data identical, so the image the reviewer sees is the one uploaded.
//!
//! State is bounded: at most the first [`MAX_PREFIX`] bytes of an APPn segment are held back to
//! read its identifier; everything else streams through (or is skipped) as it arrives.

use super::SanitizeError;

fn malformed(reason: &'static str) -> SanitizeError {
    SanitizeError::Malformed {
        kind: "JPEG",
        reason,
    }
}

/// Most identifier bytes an APPn segment is held back for (JFIF APP0 up to its thumbnail size).
const MAX_PREFIX: usize = 14;

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP0: u8 = 0xE0;
const APP2: u8 = 0xE2;
const APP14: u8 = 0xEE;
const COM: u8 = 0xFE;

#[derive(Debug)]
enum State {
    /// Reading the leading FF D8; how many of its bytes were seen.
    Soi(u8),
    /// Between segments: the next byte must be the FF that starts a marker.
    MarkerStart,
    /// After FF (and perhaps fill FFs): the next byte is the marker code.
    MarkerCode,
    /// Reading the two-byte length of `marker`'s segment; `hi` once its first byte is in.
    Length { marker: u8, hi: Option<u8> },
    /// Holding the first `want` payload bytes of an APPn segment to decide whether to keep it.
    Prefix {
        marker: u8,
        payload: usize,
        buf: [u8; MAX_PREFIX],
        have: usize,
        want: usize,
    },
    /// Passing `remaining` payload bytes through; entropy-coded data follows if `then_scan`.
    Copy { remaining: usize, then_scan: bool },
    /// Dropping `remaining` payload bytes.
    Skip { remaining: usize },
    /// Entropy-coded data after a scan header.
    Scan,
    /// Entropy-coded data, just after an FF that is not yet emitted.
    ScanFf,
    /// EOI was emitted; whatever follows is dropped.
    Done,
    /// A previous call failed; the document is refused.
    Failed(SanitizeError),
}

/// Streaming JPEG metadata stripper; see the module docs.
#[derive(Debug)]
pub struct JpegStripper {
    state: State,
    /// A scan header went through (an SOI..EOI file without image data is refused).
    seen_scan: bool,
    max_pixels: u64,
    /// The first bytes of a frame header (SOFn: precision, height, width) as they pass, while
    /// `Some(have)`.
    sof: Option<usize>,
    sof_buf: [u8; 5],
    seen_frame: bool,
}

impl Default for JpegStripper {
    fn default() -> Self {
        Self::new()
    }
}

impl JpegStripper {
    pub fn new() -> Self {
        Self::with_max_pixels(super::MAX_IMAGE_PIXELS)
    }

    /// A stripper that refuses frames declaring more than `max_pixels` pixels (or none).
    pub fn with_max_pixels(max_pixels: u64) -> Self {
        Self {
            state: State::Soi(0),
            seen_scan: false,
            max_pixels,
            sof: None,
            sof_buf: [0; 5],
            seen_frame: false,
        }
    }

    /// The frame header's size fields are in: zero or over-budget dimensions are refused (a
    /// decoder would allocate width × height × components before reading a byte of data).
    fn check_frame(&mut self) -> Result<(), SanitizeError> {
        let b = self.sof_buf;
        let height = u64::from(u16::from_be_bytes([b[1], b[2]]));
        let width = u64::from(u16::from_be_bytes([b[3], b[4]]));
        // A zero height is legal only with a DNL marker, which no camera writes and which
        // would let the real size go unchecked.
        if width == 0 || height == 0 {
            return Err(malformed("zero width or height"));
        }
        if width * height > self.max_pixels {
            return Err(malformed("more pixels than the budget allows"));
        }
        self.seen_frame = true;
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
            _ => Err(malformed("truncated (no end-of-image marker)")),
        }
    }

    fn run(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), SanitizeError> {
        let mut i = 0;
        while i < input.len() {
            let rest = &input[i..];
            let b = rest[0];
            match &mut self.state {
                State::Soi(seen) => {
                    let expected = if *seen == 0 { 0xFF } else { SOI };
                    if b != expected {
                        return Err(malformed("does not start with a start-of-image marker"));
                    }
                    if *seen == 0 {
                        *seen = 1;
                    } else {
                        out.extend_from_slice(&[0xFF, SOI]);
                        self.state = State::MarkerStart;
                    }
                    i += 1;
                }
                State::MarkerStart => {
                    if b != 0xFF {
                        return Err(malformed("expected a marker between segments"));
                    }
                    self.state = State::MarkerCode;
                    i += 1;
                }
                State::MarkerCode => {
                    // Further FFs are fill bytes before the marker code; they are not kept.
                    if b != 0xFF {
                        self.marker(b, out)?;
                    }
                    i += 1;
                }
                State::Length { marker, hi } => {
                    let marker = *marker;
                    match *hi {
                        None => *hi = Some(b),
                        Some(hi) => self.segment(marker, hi, b, out)?,
                    }
                    i += 1;
                }
                State::Prefix {
                    marker,
                    payload,
                    buf,
                    have,
                    want,
                } => {
                    let n = (*want - *have).min(rest.len());
                    buf[*have..*have + n].copy_from_slice(&rest[..n]);
                    *have += n;
                    i += n;
                    if *have == *want {
                        let (marker, payload, buf, want) = (*marker, *payload, *buf, *want);
                        self.decide_app(marker, payload, &buf[..want], out);
                    }
                }
                State::Copy {
                    remaining,
                    then_scan,
                } => {
                    let n = (*remaining).min(rest.len());
                    *remaining -= n;
                    let (done, then_scan) = (*remaining == 0, *then_scan);
                    out.extend_from_slice(&rest[..n]);
                    if let Some(have) = self.sof {
                        let take = n.min(self.sof_buf.len() - have);
                        self.sof_buf[have..have + take].copy_from_slice(&rest[..take]);
                        if have + take == self.sof_buf.len() {
                            self.sof = None;
                            self.check_frame()?;
                        } else {
                            self.sof = Some(have + take);
                        }
                    }
                    i += n;
                    if done {
                        if self.sof.is_some() {
                            return Err(malformed("a frame header too short for its size"));
                        }
                        self.state = if then_scan {
                            State::Scan
                        } else {
                            State::MarkerStart
                        };
                    }
                }
                State::Skip { remaining } => {
                    let n = (*remaining).min(rest.len());
                    *remaining -= n;
                    i += n;
                    if *remaining == 0 {
                        self.state = State::MarkerStart;
                    }
                }
                State::Scan => {
                    // The hot loop: entropy-coded data is most of a photo. Stuffed zeros and
                    // restart markers stay inside the run, so the run is copied in one go and
                    // only a real marker (or an FF at the end of the piece) leaves the scan.
                    let mut from = 0;
                    loop {
                        match memchr::memchr(0xFF, &rest[from..]) {
                            None => {
                                out.extend_from_slice(rest);
                                i = input.len();
                                break;
                            }
                            Some(p) => {
                                let ff = from + p;
                                if let Some(0x00 | 0xD0..=0xD7) = rest.get(ff + 1) {
                                    from = ff + 2;
                                    continue;
                                }
                                out.extend_from_slice(&rest[..ff]);
                                self.state = State::ScanFf;
                                i += ff + 1;
                                break;
                            }
                        }
                    }
                }
                State::ScanFf => {
                    match b {
                        // A stuffed zero byte or a restart marker: still entropy-coded data.
                        0x00 | 0xD0..=0xD7 => {
                            out.extend_from_slice(&[0xFF, b]);
                            self.state = State::Scan;
                        }
                        // Fill byte: the marker code is still to come.
                        0xFF => {}
                        // A real marker ends the scan (EOI, or DHT/SOS/... between scans).
                        _ => self.marker(b, out)?,
                    }
                    i += 1;
                }
                State::Done => return Ok(()),
                State::Failed(e) => return Err(e.clone()),
            }
        }
        Ok(())
    }

    /// A marker code `code` (after FF) was read outside a segment.
    fn marker(&mut self, code: u8, out: &mut Vec<u8>) -> Result<(), SanitizeError> {
        match code {
            EOI => {
                if !self.seen_scan {
                    return Err(malformed("ends before any image data"));
                }
                out.extend_from_slice(&[0xFF, EOI]);
                self.state = State::Done;
            }
            SOI => return Err(malformed("a second start-of-image marker")),
            0x00 => return Err(malformed("an invalid marker")),
            // Standalone markers without a length: TEM and stray restart markers.
            0x01 | 0xD0..=0xD7 => {
                out.extend_from_slice(&[0xFF, code]);
                self.state = State::MarkerStart;
            }
            _ => {
                self.state = State::Length {
                    marker: code,
                    hi: None,
                }
            }
        }
        Ok(())
    }

    /// The length of `marker`'s segment is known: decide to keep, drop or inspect it.
    fn segment(
        &mut self,
        marker: u8,
        hi: u8,
        lo: u8,
        out: &mut Vec<u8>,
    ) -> Result<(), SanitizeError> {
        let length = usize::from(u16::from_be_bytes([hi, lo]));
        if length < 2 {
            return Err(malformed("a segment length below 2"));
        }
        let payload = length - 2;
        let want = match marker {
            APP0 => MAX_PREFIX,
            APP2 => ICC_ID.len(),
            APP14 => ADOBE_ID.len(),
            // Exif, XMP, Photoshop/IPTC and the other application segments; comments.
            0xE1 | 0xE3..=0xED | 0xEF | COM => {
                self.state = skip(payload);
                return Ok(());
            }
            _ => {
                out.extend_from_slice(&[0xFF, marker, hi, lo]);
                if marker == SOS {
                    if !self.seen_frame {
                        return Err(malformed("a scan before any frame header"));
                    }
                    self.seen_scan = true;
                }
                // SOF0–SOF15 but DHT (C4), JPG (C8) and DAC (CC): a frame header.
                if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
                    self.sof = Some(0);
                }
                self.state = match (payload, marker == SOS) {
                    (0, true) => State::Scan,
                    (0, false) => State::MarkerStart,
                    (remaining, then_scan) => State::Copy {
                        remaining,
                        then_scan,
                    },
                };
                return Ok(());
            }
        };
        let want = want.min(payload);
        self.state = State::Prefix {
            marker,
            payload,
            buf: [0; MAX_PREFIX],
            have: 0,
            want,
        };
        if want == 0 {
            self.decide_app(marker, payload, &[], out);
        }
        Ok(())
    }

    /// The identifier `prefix` of an APP0/APP2/APP14 segment is in: keep or drop the segment.
    fn decide_app(&mut self, marker: u8, payload: usize, prefix: &[u8], out: &mut Vec<u8>) {
        let rest = payload - prefix.len();
        self.state = match marker {
            // JFIF: keep the densities, cut off the thumbnail (it may show the uncropped image).
            APP0 if prefix.len() == MAX_PREFIX && prefix.starts_with(JFIF_ID) => {
                out.extend_from_slice(&[0xFF, APP0, 0x00, 0x10]);
                out.extend_from_slice(&prefix[..12]);
                out.extend_from_slice(&[0, 0]);
                skip(rest)
            }
            APP2 if prefix == ICC_ID => keep_rest(marker, payload, prefix, out),
            APP14 if prefix == ADOBE_ID => keep_rest(marker, payload, prefix, out),
            // JFXX thumbnails, MPF, FlashPix and anything else in these segments.
            _ => skip(rest),
        };
    }
}

const JFIF_ID: &[u8] = b"JFIF\0";
const ICC_ID: &[u8] = b"ICC_PROFILE\0";
const ADOBE_ID: &[u8] = b"Adobe";

fn skip(remaining: usize) -> State {
    if remaining == 0 {
        State::MarkerStart
    } else {
        State::Skip { remaining }
    }
}

/// Emits a kept segment's header and identifier; the rest of its payload is copied.
fn keep_rest(marker: u8, payload: usize, prefix: &[u8], out: &mut Vec<u8>) -> State {
    // `payload` came from a u16 length minus 2, so this fits.
    let [hi, lo] = u16::try_from(payload + 2).unwrap_or(u16::MAX).to_be_bytes();
    out.extend_from_slice(&[0xFF, marker, hi, lo]);
    out.extend_from_slice(prefix);
    let remaining = payload - prefix.len();
    if remaining == 0 {
        State::MarkerStart
    } else {
        State::Copy {
            remaining,
            then_scan: false,
        }
    }
}

/// Stuffed `FF 00` pairs put between the scan and EOI by [`check_pixels`]: 64 bytes of one bits,
/// more than the 16 bits of the longest Huffman code plus the decoder's look-ahead.
const GUARD: usize = 64;

/// Checks that the entropy-coded data of a (stripped) JPEG really holds the picture its frame
/// header declares: the whole file is decoded once by `zune-jpeg` in strict mode, where a scan
/// that ends early, a marker inside the data, or a Huffman code that leads nowhere is an error
/// rather than grey filler, and a scan that stops short cannot be padded out with zero bits (see
/// `GUARD`; this covers the last scan of a progressive file, not a short scan before another
/// one). Output is 8-bit luma only (every component is still entropy-decoded,
/// so every byte of the scan is checked), so the pixel buffer is width × height bytes, never more
/// than `max_pixels` (the header was already checked against it), and it is wiped after use: it
/// is a picture of an ID card. Time is linear in the pixel count (measured per megapixel in
/// docs/benchmarks.md); callers run it off the async executor.
pub fn check_pixels(jpeg: &[u8], max_pixels: u64) -> Result<(), SanitizeError> {
    use zune_jpeg::zune_core::bytestream::ZCursor;
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;

    // Width and height are 16-bit in a frame header; the budget bounds their product.
    let side =
        usize::try_from(max_pixels.min(u64::from(u16::MAX))).unwrap_or(usize::from(u16::MAX));
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(side)
        .set_max_height(side)
        .jpeg_set_out_colorspace(ColorSpace::Luma);
    // Decoders pad a scan that stops early with zero bits, as browsers do, so a short scan would
    // decode "fine". Between the data and the end-of-image marker goes a run of one bits
    // (stuffed `FF 00` bytes): a complete scan never reads them, while a short one must decode
    // them, and a run of 16 one bits is no Huffman code (T.81 reserves it), so it fails.
    let Some(body) = jpeg.strip_suffix(&[0xFF, EOI]) else {
        return Err(malformed("truncated (no end-of-image marker)"));
    };
    let mut guarded = zeroize::Zeroizing::new(Vec::with_capacity(body.len() + 2 * GUARD + 2));
    guarded.extend_from_slice(body);
    for _ in 0..GUARD {
        guarded.extend_from_slice(&[0xFF, 0x00]);
    }
    guarded.extend_from_slice(&[0xFF, EOI]);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(&guarded[..]), options);
    decoder
        .decode_headers()
        .map_err(|_| malformed("frame or table headers do not decode"))?;
    let Some(info) = decoder.info() else {
        return Err(malformed("frame or table headers do not decode"));
    };
    if u64::from(info.width) * u64::from(info.height) > max_pixels {
        return Err(malformed("more pixels than the budget allows"));
    }
    let Some(size) = decoder.output_buffer_size() else {
        return Err(malformed("frame or table headers do not decode"));
    };
    let mut pixels = zeroize::Zeroizing::new(vec![0u8; size]);
    decoder
        .decode_into(&mut pixels)
        .map_err(|_| malformed("the image data does not match its header"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let len = u16::try_from(payload.len() + 2).unwrap();
        let mut v = vec![0xFF, marker];
        v.extend_from_slice(&len.to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    /// Exif APP1 payload with IFD0 -> GPS IFD holding a latitude, in little-endian TIFF.
    fn exif_with_gps() -> Vec<u8> {
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"II*\0");
        tiff.extend_from_slice(&8u32.to_le_bytes()); // IFD0 at offset 8
        // IFD0: two entries (Make, GPSInfo pointer), next IFD = 0.
        let ifd0_len = 2 + 2 * 12 + 4;
        let make_off = 8 + ifd0_len;
        let make = b"SpyCam\0\0";
        let gps_off = make_off + make.len();
        tiff.extend_from_slice(&2u16.to_le_bytes());
        // Make (0x010F), ASCII, count 8, offset
        tiff.extend_from_slice(&0x010Fu16.to_le_bytes());
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&8u32.to_le_bytes());
        tiff.extend_from_slice(&u32::try_from(make_off).unwrap().to_le_bytes());
        // GPSInfo (0x8825), LONG, count 1, value = offset of the GPS IFD
        tiff.extend_from_slice(&0x8825u16.to_le_bytes());
        tiff.extend_from_slice(&4u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&u32::try_from(gps_off).unwrap().to_le_bytes());
        tiff.extend_from_slice(&0u32.to_le_bytes());
        tiff.extend_from_slice(make);
        // GPS IFD: GPSLatitudeRef 'N', GPSLatitude 3 rationals.
        let gps_ifd_len = 2 + 2 * 12 + 4;
        let lat_off = gps_off + gps_ifd_len;
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&0x0001u16.to_le_bytes());
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&2u32.to_le_bytes());
        tiff.extend_from_slice(b"N\0\0\0");
        tiff.extend_from_slice(&0x0002u16.to_le_bytes());
        tiff.extend_from_slice(&5u16.to_le_bytes());
        tiff.extend_from_slice(&3u32.to_le_bytes());
        tiff.extend_from_slice(&u32::try_from(lat_off).unwrap().to_le_bytes());
        tiff.extend_from_slice(&0u32.to_le_bytes());
        for (num, den) in [(37u32, 1u32), (33, 1), (1234, 100)] {
            tiff.extend_from_slice(&num.to_le_bytes());
            tiff.extend_from_slice(&den.to_le_bytes());
        }
        let mut payload = b"Exif\0\0".to_vec();
        payload.extend_from_slice(&tiff);
        payload
    }

    const XMP: &[u8] = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><rdf:Description \
        exif:GPSLatitude=\"37,33.12N\" xmp:CreatorTool=\"SecretPhone\"/></x:xmpmeta>";
    const COMMENT: &[u8] = b"taken at 12 Secret Street";
    const TRAILER: &[u8] = b"PK\x03\x04appended-zip-payload";

    fn gradient_jpeg() -> (Vec<u8>, image::RgbImage) {
        let img = image::RgbImage::from_fn(37, 23, |x, y| {
            image::Rgb([
                u8::try_from(x * 6).unwrap(),
                u8::try_from(y * 11).unwrap(),
                u8::try_from((x + y) * 3).unwrap(),
            ])
        });
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
            .encode_image(&img)
            .unwrap();
        (jpeg, img)
    }

    /// A real JPEG with Exif/GPS, XMP, a comment, a JFIF thumbnail, MPF-like APP2 and a trailer.
    fn dirty_jpeg() -> (Vec<u8>, Vec<u8>) {
        let (clean, _) = gradient_jpeg();
        assert_eq!(&clean[..2], &[0xFF, 0xD8]);
        let mut dirty = clean[..2].to_vec();
        dirty.extend(segment(0xE1, &exif_with_gps()));
        dirty.extend(segment(0xE1, XMP));
        dirty.extend(segment(COM, COMMENT));
        dirty.extend(segment(0xE2, b"MPF\0secret-second-image-index"));
        dirty.extend(segment(0xED, b"Photoshop 3.0\08BIM caption"));
        dirty.extend_from_slice(&clean[2..]);
        dirty.extend_from_slice(TRAILER);
        (clean, dirty)
    }

    fn strip_in(input: &[u8], sizes: &[usize]) -> Result<Vec<u8>, SanitizeError> {
        crate::sanitize::run_in_pieces(crate::sanitize::DocumentType::Jpeg, input, sizes)
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    fn assert_clean(out: &[u8], original: &[u8]) {
        assert!(!contains(out, b"Exif"));
        assert!(!contains(out, b"SpyCam"));
        assert!(!contains(out, b"II*\0"));
        let mut latitude = 1234u32.to_le_bytes().to_vec();
        latitude.extend_from_slice(&100u32.to_le_bytes());
        assert!(!contains(out, &latitude));
        assert!(!contains(out, b"ns.adobe.com/xap"));
        assert!(!contains(out, b"GPSLatitude"));
        assert!(!contains(out, COMMENT));
        assert!(!contains(out, b"MPF\0"));
        assert!(!contains(out, b"8BIM"));
        assert!(!contains(out, b"appended-zip-payload"));
        assert!(out.ends_with(&[0xFF, 0xD9]));
        let a = image::load_from_memory(original).unwrap().to_rgb8();
        let b = image::load_from_memory(out).unwrap().to_rgb8();
        assert_eq!(a.dimensions(), b.dimensions());
        assert_eq!(a.as_raw(), b.as_raw());
    }

    #[test]
    fn strips_exif_xmp_comments_and_trailer_whole() {
        let (clean, dirty) = dirty_jpeg();
        assert!(contains(&dirty, b"Exif") && contains(&dirty, TRAILER));
        let out = strip_in(&dirty, &[]).unwrap();
        assert_clean(&out, &dirty);
        // Nothing but the metadata went: the encoder's own output is kept as is.
        assert_eq!(out, strip_in(&clean, &[]).unwrap());
    }

    #[test]
    fn strips_when_fed_one_byte_at_a_time() {
        let (_, dirty) = dirty_jpeg();
        let whole = strip_in(&dirty, &[]).unwrap();
        let bytewise = strip_in(&dirty, &[1]).unwrap();
        assert_eq!(whole, bytewise);
        assert_clean(&bytewise, &dirty);
    }

    #[test]
    fn clean_jpeg_keeps_its_scan_data_byte_for_byte() {
        let (clean, _) = gradient_jpeg();
        let out = strip_in(&clean, &[]).unwrap();
        // The encoder's JFIF APP0 has no thumbnail, so the output is the input.
        assert_eq!(out, clean);
    }

    #[test]
    fn keeps_icc_and_adobe_drops_jfif_thumbnail_and_jfxx() {
        let (clean, _) = gradient_jpeg();
        let mut jfif = b"JFIF\0\x01\x02\x01\x00\x48\x00\x48\x01\x01".to_vec();
        jfif.extend_from_slice(&[0xAB, 0xCD, 0xEF]); // 1x1 RGB thumbnail
        let icc = b"ICC_PROFILE\0\x01\x01fake-profile".to_vec();
        let adobe = b"Adobe\x00\x64\x00\x00\x00\x00\x01".to_vec();
        let mut input = clean[..2].to_vec();
        input.extend(segment(APP0, &jfif));
        input.extend(segment(APP0, b"JFXX\0\x10thumbnail-jpeg"));
        input.extend(segment(APP2, &icc));
        input.extend(segment(APP14, &adobe));
        input.extend_from_slice(&clean[2..]);
        let out = strip_in(&input, &[3]).unwrap();
        let mut expected_jfif = segment(APP0, &jfif[..12]);
        expected_jfif.extend_from_slice(&[0, 0]);
        expected_jfif[3] = 16;
        assert!(out[2..].starts_with(&expected_jfif));
        assert!(!contains(&out, &[0xAB, 0xCD, 0xEF]));
        assert!(!contains(&out, b"JFXX"));
        assert!(contains(&out, &segment(APP2, &icc)));
        assert!(contains(&out, &segment(APP14, &adobe)));
    }

    /// A hand-made progressive-like layout: two scans, tables and a comment between them,
    /// stuffed zeros, restart markers and fill bytes in the entropy-coded data.
    #[test]
    fn walks_multiple_scans_restarts_stuffing_and_fill_bytes() {
        let mut input = vec![0xFF, 0xD8];
        input.extend(segment(0xC4, b"\x00dht-table"));
        input.extend(segment(0xC2, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00"));
        input.extend(segment(SOS, b"\x01\x01\x00\x00\x3F\x00"));
        let scan1 = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xD7, 0x78];
        input.extend_from_slice(&scan1);
        input.extend_from_slice(&[0xFF, 0xFF]); // fill bytes before the next marker
        input.extend(segment(COM, b"between scans"));
        input.extend(segment(0xC4, b"\x10dht-two"));
        input.extend(segment(SOS, b"\x01\x01\x00\x01\x3F\x00"));
        let scan2 = [0x9A, 0xFF, 0x00, 0xBC];
        input.extend_from_slice(&scan2);
        input.extend_from_slice(&[0xFF, 0xD9]);
        input.extend_from_slice(b"trailing");

        let mut expected = vec![0xFF, 0xD8];
        expected.extend(segment(0xC4, b"\x00dht-table"));
        expected.extend(segment(0xC2, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00"));
        expected.extend(segment(SOS, b"\x01\x01\x00\x00\x3F\x00"));
        expected.extend_from_slice(&scan1);
        expected.extend(segment(0xC4, b"\x10dht-two"));
        expected.extend(segment(SOS, b"\x01\x01\x00\x01\x3F\x00"));
        expected.extend_from_slice(&scan2);
        expected.extend_from_slice(&[0xFF, 0xD9]);

        assert_eq!(strip_in(&input, &[]).unwrap(), expected);
        assert_eq!(strip_in(&input, &[1]).unwrap(), expected);
    }

    #[test]
    fn truncated_jpeg_fails_at_finish() {
        let (_, dirty) = dirty_jpeg();
        // Cut inside the entropy-coded data, inside a segment, and right after the EXIF.
        for cut in [dirty.len() - TRAILER.len() - 2, dirty.len() / 2, 40, 3] {
            let err = strip_in(&dirty[..cut], &[7]).unwrap_err();
            assert!(
                matches!(err, SanitizeError::Malformed { kind: "JPEG", .. }),
                "{cut}: {err:?}"
            );
        }
    }

    #[test]
    fn malformed_structures_are_refused() {
        let bad_len = [0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0xFF, 0xD9];
        let not_jpeg = b"GIF89a..";
        let garbage_between = [0xFF, 0xD8, 0x00, 0xFF, 0xD9];
        let no_scan = [0xFF, 0xD8, 0xFF, 0xD9];
        for input in [&bad_len[..], not_jpeg, &garbage_between, &no_scan] {
            let err = strip_in(input, &[1]).unwrap_err();
            assert!(matches!(err, SanitizeError::Malformed { kind: "JPEG", .. }));
        }
    }

    /// `jpeg` with its frame header's height and width replaced.
    fn with_frame_size(jpeg: &[u8], height: u16, width: u16) -> Vec<u8> {
        let mut v = jpeg.to_vec();
        let sof = v
            .windows(2)
            .position(|w| w[0] == 0xFF && matches!(w[1], 0xC0..=0xC2))
            .unwrap();
        // FF Cn, length (2), precision (1), then height and width.
        v[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
        v[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
        v
    }

    #[test]
    fn frames_declaring_no_pixels_or_too_many_are_refused() {
        let (jpeg, _) = gradient_jpeg();
        let reason = |input: &[u8]| match strip_in(input, &[1, 7, 64]).unwrap_err() {
            SanitizeError::Malformed { reason, .. } => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            reason(&with_frame_size(&jpeg, 0, 0)),
            "zero width or height"
        );
        assert_eq!(
            reason(&with_frame_size(&jpeg, 0, 40)),
            "zero width or height"
        );
        assert_eq!(
            reason(&with_frame_size(&jpeg, 65_000, 65_000)),
            "more pixels than the budget allows"
        );
        assert!(strip_in(&jpeg, &[]).is_ok());
        let mut small = JpegStripper::with_max_pixels(10);
        let mut out = Vec::new();
        assert!(small.push(&jpeg, &mut out).is_err());
    }

    #[test]
    fn an_error_is_sticky() {
        let mut s = JpegStripper::new();
        let mut out = Vec::new();
        assert!(s.push(b"xx", &mut out).is_err());
        assert!(s.push(&[0xFF, 0xD8], &mut out).is_err());
        assert!(s.finish(&mut out).is_err());
    }

    const MAX: u64 = crate::sanitize::MAX_IMAGE_PIXELS;

    fn photo_jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = crate::sanitize::photo_like(w, h);
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&img)
            .unwrap();
        out
    }

    #[test]
    fn pixel_data_must_match_the_frame_header() {
        let jpeg = photo_jpeg(64, 48);
        check_pixels(&jpeg, MAX).unwrap();
        // The scan cut in half, then a proper end-of-image marker.
        let mut cut = jpeg[..jpeg.len() / 2].to_vec();
        cut.extend_from_slice(&[0xFF, EOI]);
        assert!(check_pixels(&cut, MAX).is_err());
        // The frame header claims ten times the rows the scan holds.
        let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        let mut taller = jpeg.clone();
        taller[sof + 5..sof + 7].copy_from_slice(&480u16.to_be_bytes());
        assert!(check_pixels(&taller, MAX).is_err());
        // Garbage in the entropy-coded data where a Huffman code is expected.
        let sos = jpeg.windows(2).position(|w| w == [0xFF, SOS]).unwrap();
        let mut noisy = jpeg.clone();
        let end = noisy.len() - 2;
        for b in &mut noisy[sos + 20..end] {
            *b = 0xFF;
        }
        assert!(check_pixels(&noisy, MAX).is_err());
        // The budget is applied to the decoded frame as well.
        assert!(check_pixels(&jpeg, 64 * 47).is_err());
    }

    /// What the JPEG pixel check costs, printed (no threshold): decoding a 4-megapixel photo-like
    /// JPEG to luma in strict mode, against the same run's baseline of stripping its metadata
    /// (what an upload did before). Run:
    /// `cargo test -p harim-kyc --release -- --ignored --nocapture jpeg_check_cost`.
    #[test]
    #[ignore = "a measurement, run by hand (docs/benchmarks.md)"]
    fn jpeg_check_cost_per_megapixel() {
        let (w, h) = (2000u32, 2000u32);
        let jpeg = photo_jpeg(w, h);
        let runs = 5;
        let t = std::time::Instant::now();
        for _ in 0..runs {
            check_pixels(&jpeg, MAX).unwrap();
        }
        let check = t.elapsed() / runs;
        let t = std::time::Instant::now();
        for _ in 0..runs {
            std::hint::black_box(
                crate::sanitize::run_in_pieces(
                    crate::sanitize::DocumentType::Jpeg,
                    &jpeg,
                    &[64 * 1024],
                )
                .unwrap(),
            );
        }
        let strip = t.elapsed() / runs;
        let mp = f64::from(w * h) / 1e6;
        println!(
            "JPEG {w}x{h} ({} KiB): pixel check {:.1} ms = {:.2} ms/MP; strip-only baseline {:.2} ms = {:.2} ms/MP; ratio {:.1}x",
            jpeg.len() / 1024,
            check.as_secs_f64() * 1e3,
            check.as_secs_f64() * 1e3 / mp,
            strip.as_secs_f64() * 1e3,
            strip.as_secs_f64() * 1e3 / mp,
            check.as_secs_f64() / strip.as_secs_f64()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_split_gives_the_same_output(sizes in proptest::collection::vec(1usize..700, 1..24)) {
            let (_, dirty) = dirty_jpeg();
            let whole = strip_in(&dirty, &[]).unwrap();
            let split = strip_in(&dirty, &sizes).unwrap();
            prop_assert_eq!(&whole, &split);
            assert_clean(&split, &dirty);
        }
    }
}
