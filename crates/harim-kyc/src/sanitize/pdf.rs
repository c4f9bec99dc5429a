//! Refusing PDFs that carry active content, without rewriting any.
//!
//! A PDF is a program as much as a document: it can run JavaScript when opened (`/OpenAction`,
//! `/AA` additional actions, `/JavaScript` name trees, `/JS` action entries), start another
//! program (`/Launch`), carry arbitrary files (`/EmbeddedFile(s)`), embed Flash-era rich media
//! (`/RichMedia`), hold an XFA form (a second, scriptable document model), and send form data
//! out or pull it in (`/SubmitForm`, `/ImportData`). A reviewer opening such a document in a
//! viewer would run it. Rewriting PDFs safely needs a full parser and changes what the merchant
//! signed, so PDFs are passed through unchanged or refused as a whole.
//!
//! The scanner tokenizes the file as it streams and refuses on the first name object from the
//! list above. Names are compared after decoding `#xx` escapes (`/J#61vaScript` is
//! `/JavaScript`) and as whole tokens (`/JSX` is not `/JS`). Literal and hex strings and comments
//! are skipped, so text such as `(/JavaScript)` does not refuse a document; names are only
//! counted where a reader would read a name.
//!
//! Stream data is skipped without looking for names (an image's bytes can contain `/JS` by
//! chance), with one exception: object streams. Since PDF 1.5, whole dictionaries (including
//! actions and catalog entries) can live compressed inside a `/Type /ObjStm` stream, where a byte
//! scan of the file would never see them. A stream is treated as an object stream when its
//! dictionary says `/Type /ObjStm` *or* has a `/First` entry (some readers do not check the
//! type). Its data is inflated incrementally (at most 64 MiB in total per document) and fed to a
//! second tokenizer that does not enter streams. An object stream whose contents cannot be
//! checked (a filter other than a single `/FlateDecode`, any `/DecodeParms`, or bytes between
//! the `stream` keyword and its end of line) is refused. A stream starts where a reader starts
//! one, at a `stream` keyword right after a dictionary; since `/Length` may be an indirect
//! reference, it ends at the first `endstream` keyword, which is never later than where a reader
//! ends it, so nothing a reader parses as objects is skipped.
//!
//! State is bounded: a name of at most 127 bytes, a few bytes of the current keyword and of a
//! partial `endstream`, a stack of open dictionaries/arrays (at most 256 deep), and the inflate
//! window of the current object stream.

use super::SanitizeError;
use flate2::{Decompress, FlushDecompress, Status};

fn malformed(reason: &'static str) -> SanitizeError {
    SanitizeError::Malformed {
        kind: "PDF",
        reason,
    }
}

/// Longest name accepted (the PDF implementation limit).
const MAX_NAME: usize = 127;
/// Deepest nesting of dictionaries and arrays accepted.
const MAX_DEPTH: usize = 256;
/// Most bytes inflated from object streams per document.
const MAX_INFLATED: u64 = 64 << 20;

const UNINSPECTABLE: SanitizeError = SanitizeError::ActivePdf("an object stream it cannot inspect");

/// Names whose presence refuses the document, and what the refusal says it contains.
// `EF` is the embedded-file stream entry of a file specification: a file attachment annotation
// can carry one without ever naming /EmbeddedFile(s).
// `Encrypt` is the trailer's encryption dictionary: an encrypted file's streams (and strings)
// cannot be inspected, so it can hide any of the others.
const ACTIVE: [(&[u8], &str); 14] = [
    (b"JavaScript", "JavaScript"),
    (b"JS", "JavaScript"),
    (b"Launch", "a launch action"),
    (b"OpenAction", "an open action"),
    (b"AA", "additional actions"),
    (b"EmbeddedFile", "an embedded file"),
    (b"EmbeddedFiles", "embedded files"),
    (b"RichMedia", "rich media"),
    (b"XFA", "an XFA form"),
    (b"SubmitForm", "a form-submit action"),
    (b"ImportData", "a form-data import action"),
    (b"EF", "an embedded file"),
    (b"FileAttachment", "a file attachment"),
    (
        b"Encrypt",
        "encryption, which hides its content from inspection",
    ),
];

fn is_whitespace(b: u8) -> bool {
    matches!(b, 0 | b'\t' | b'\n' | 0x0C | b'\r' | b' ')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn ends_token(b: u8) -> bool {
    is_whitespace(b) || is_delimiter(b)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// What a stream dictionary's `/Filter` says, as far as object streams care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    /// No filter (absent or an empty array).
    None,
    Flate,
    /// Anything else: another filter, a chain, a reference, or /Filter given twice.
    Unsupported,
}

/// The key whose value comes next in a dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Type,
    Filter,
    Other,
}

/// What a dictionary says that decides how its stream (if any) is scanned.
#[derive(Debug, Clone, Copy)]
struct DictInfo {
    pending: Option<Key>,
    objstm_type: bool,
    has_first: bool,
    has_decode_parms: bool,
    filter: Option<Filter>,
}

impl DictInfo {
    fn new() -> Self {
        Self {
            pending: None,
            objstm_type: false,
            has_first: false,
            has_decode_parms: false,
            filter: None,
        }
    }

    fn set_filter(&mut self, filter: Filter) {
        self.filter = Some(match self.filter {
            None => filter,
            Some(_) => Filter::Unsupported,
        });
    }

    /// A non-name value token (number, keyword, string, stray delimiter) at this level.
    fn value(&mut self) {
        if self.pending.take() == Some(Key::Filter) {
            self.set_filter(Filter::Unsupported);
        }
    }
}

/// An array that is the value of its dictionary's `/Filter`.
#[derive(Debug, Clone, Copy)]
struct FilterArray {
    names: u32,
    only_flate: bool,
}

#[derive(Debug)]
enum Container {
    Dict(DictInfo),
    Array(Option<FilterArray>),
}

/// Inside a name after `#`: nothing yet, or the first hex digit.
#[derive(Debug, Clone, Copy)]
enum Hash {
    No,
    Sign,
    Digit(u8),
}

#[derive(Debug, Clone, Copy)]
enum Lex {
    /// Between tokens.
    Space,
    /// In a comment; how many bytes of `%EOF` followed its `%` (5: not an EOF comment).
    Comment(u8),
    Name(Hash),
    /// A keyword or number.
    Word,
    /// After `<`: a dictionary or a hex string.
    Lt,
    /// After `>`: the end of a dictionary, or a stray `>`.
    Gt,
    HexString,
    Literal {
        depth: u32,
        escape: bool,
    },
}

#[derive(Debug, Clone, Copy)]
enum Token<'a> {
    Name(&'a [u8]),
    /// A keyword or number, if short enough to be `stream`.
    Word(Option<&'a [u8]>),
    DictOpen,
    DictClose,
    ArrayOpen,
    ArrayClose,
    /// A string or a stray delimiter.
    Other,
}

const WORD_CAP: usize = 8;

/// The streaming PDF tokenizer: finds names (refusing active ones) and, if `streams`, the start
/// of each stream's data.
#[derive(Debug)]
struct Tokenizer {
    lex: Lex,
    name: [u8; MAX_NAME],
    name_len: usize,
    word: [u8; WORD_CAP],
    word_len: usize,
    stack: Vec<Container>,
    /// The dictionary that was the last token, if it was one (a `stream` keyword may follow).
    last_dict: Option<DictInfo>,
    /// Whether `stream` keywords start stream data (not inside an object stream).
    streams: bool,
    eof_seen: bool,
    /// Something other than whitespace came after the latest `%%EOF`.
    after_eof: bool,
}

impl Tokenizer {
    fn new(streams: bool) -> Self {
        Self {
            lex: Lex::Space,
            name: [0; MAX_NAME],
            name_len: 0,
            word: [0; WORD_CAP],
            word_len: 0,
            stack: Vec::new(),
            last_dict: None,
            streams,
            eof_seen: false,
            after_eof: false,
        }
    }

    /// Tokenizes `data`. Stops at a `stream` keyword that follows a dictionary, returning the
    /// index of the byte that ended the keyword and the dictionary; `None` when all is consumed.
    ///
    /// One function on purpose: it is the tokenizer's state machine, one `match` arm per lexical
    /// state over bytes that may arrive split anywhere; cut into helpers, each would need the
    /// whole state and the loop index back, and the transitions could no longer be read at once.
    fn feed(&mut self, data: &[u8]) -> Result<Option<(usize, DictInfo)>, SanitizeError> {
        let mut i = 0;
        while i < data.len() {
            let b = data[i];
            if self.eof_seen && !is_whitespace(b) {
                // Reset when this turns out to be the next `%%EOF` (an incremental update).
                self.after_eof = true;
            }
            match self.lex {
                Lex::Space => {
                    i += 1;
                    match b {
                        b'%' => self.lex = Lex::Comment(0),
                        b'/' => {
                            self.name_len = 0;
                            self.lex = Lex::Name(Hash::No);
                        }
                        b'(' => {
                            self.token(Token::Other)?;
                            self.lex = Lex::Literal {
                                depth: 1,
                                escape: false,
                            };
                        }
                        b'<' => self.lex = Lex::Lt,
                        b'>' => self.lex = Lex::Gt,
                        b'[' => {
                            self.token(Token::ArrayOpen)?;
                        }
                        b']' => {
                            self.token(Token::ArrayClose)?;
                        }
                        b')' | b'{' | b'}' => {
                            self.token(Token::Other)?;
                        }
                        _ if is_whitespace(b) => {}
                        _ => {
                            self.word[0] = b;
                            self.word_len = 1;
                            self.lex = Lex::Word;
                        }
                    }
                }
                Lex::Comment(matched) => {
                    i += 1;
                    if b == b'\r' || b == b'\n' {
                        self.lex = Lex::Space;
                    } else if matched < 4 {
                        let matched = if b == b"%EOF"[usize::from(matched)] {
                            matched + 1
                        } else {
                            5
                        };
                        if matched == 4 {
                            self.eof_seen = true;
                            self.after_eof = false;
                        }
                        self.lex = Lex::Comment(matched);
                    }
                }
                Lex::Name(hash) => {
                    if ends_token(b) {
                        // Not consumed: the delimiter is read again between tokens.
                        match hash {
                            Hash::No => {}
                            Hash::Sign => self.name_push(b'#')?,
                            Hash::Digit(d) => {
                                self.name_push(b'#')?;
                                self.name_push(d)?;
                            }
                        }
                        self.end_name()?;
                        continue;
                    }
                    i += 1;
                    self.lex = Lex::Name(Hash::No);
                    match (hash, hex_value(b)) {
                        (Hash::No, _) if b == b'#' => self.lex = Lex::Name(Hash::Sign),
                        (Hash::No, _) => self.name_push(b)?,
                        (Hash::Sign, Some(_)) => self.lex = Lex::Name(Hash::Digit(b)),
                        (Hash::Digit(d), Some(lo)) => {
                            let hi = hex_value(d).unwrap_or(0);
                            self.name_push((hi << 4) | lo)?;
                        }
                        // Not an escape after all: the bytes stand for themselves, as readers
                        // tolerate.
                        (Hash::Sign, None) => {
                            self.name_push(b'#')?;
                            self.name_push(b)?;
                        }
                        (Hash::Digit(d), None) => {
                            self.name_push(b'#')?;
                            self.name_push(d)?;
                            self.name_push(b)?;
                        }
                    }
                }
                Lex::Word => {
                    if ends_token(b) {
                        self.lex = Lex::Space;
                        if let Some(dict) = self.end_word()? {
                            return Ok(Some((i, dict)));
                        }
                        continue;
                    }
                    if self.word_len < WORD_CAP {
                        self.word[self.word_len] = b;
                    }
                    self.word_len = self.word_len.saturating_add(1);
                    i += 1;
                }
                Lex::Lt => {
                    if b == b'<' {
                        i += 1;
                        self.lex = Lex::Space;
                        self.token(Token::DictOpen)?;
                    } else {
                        self.lex = Lex::HexString;
                        self.token(Token::Other)?;
                    }
                }
                Lex::Gt => {
                    self.lex = Lex::Space;
                    if b == b'>' {
                        i += 1;
                        self.token(Token::DictClose)?;
                    } else {
                        self.token(Token::Other)?;
                    }
                }
                Lex::HexString => match data[i..].iter().position(|&c| c == b'>') {
                    Some(p) => {
                        i += p + 1;
                        self.lex = Lex::Space;
                    }
                    None => i = data.len(),
                },
                Lex::Literal { depth, escape } => {
                    i += 1;
                    self.lex = match (escape, b) {
                        (true, _) => Lex::Literal {
                            depth,
                            escape: false,
                        },
                        (false, b'\\') => Lex::Literal {
                            depth,
                            escape: true,
                        },
                        (false, b'(') => Lex::Literal {
                            depth: depth.saturating_add(1),
                            escape: false,
                        },
                        (false, b')') if depth == 1 => Lex::Space,
                        (false, b')') => Lex::Literal {
                            depth: depth - 1,
                            escape: false,
                        },
                        _ => Lex::Literal { depth, escape },
                    };
                }
            }
        }
        Ok(None)
    }

    /// End of the data: a name or keyword running up to it is complete.
    fn end(&mut self) -> Result<(), SanitizeError> {
        match self.lex {
            Lex::Name(hash) => {
                match hash {
                    Hash::No => {}
                    Hash::Sign => self.name_push(b'#')?,
                    Hash::Digit(d) => {
                        self.name_push(b'#')?;
                        self.name_push(d)?;
                    }
                }
                self.end_name()?;
            }
            Lex::Word => {
                self.lex = Lex::Space;
                // A `stream` keyword at the very end starts nothing.
                self.end_word()?;
            }
            _ => {}
        }
        self.lex = Lex::Space;
        Ok(())
    }

    fn name_push(&mut self, b: u8) -> Result<(), SanitizeError> {
        if self.name_len == MAX_NAME {
            return Err(malformed("a name longer than 127 bytes"));
        }
        self.name[self.name_len] = b;
        self.name_len += 1;
        Ok(())
    }

    fn end_name(&mut self) -> Result<(), SanitizeError> {
        self.lex = Lex::Space;
        let name = self.name;
        self.token(Token::Name(&name[..self.name_len]))?;
        Ok(())
    }

    fn end_word(&mut self) -> Result<Option<DictInfo>, SanitizeError> {
        let word = self.word;
        let word = (self.word_len <= WORD_CAP).then(|| &word[..self.word_len]);
        self.token(Token::Word(word))
    }

    /// Applies one token to the dictionary/array structure. Returns the dictionary whose stream
    /// starts here if the token is a `stream` keyword right after it.
    fn token(&mut self, token: Token<'_>) -> Result<Option<DictInfo>, SanitizeError> {
        let after_dict = self.last_dict.take();
        match token {
            Token::Name(name) => {
                if let Some((_, what)) = ACTIVE.iter().find(|(active, _)| *active == name) {
                    return Err(SanitizeError::ActivePdf(what));
                }
                match self.stack.last_mut() {
                    Some(Container::Dict(dict)) => match dict.pending.take() {
                        None => {
                            dict.pending = Some(match name {
                                b"Type" => Key::Type,
                                b"Filter" => Key::Filter,
                                b"First" => {
                                    dict.has_first = true;
                                    Key::Other
                                }
                                b"DecodeParms" | b"DP" => {
                                    dict.has_decode_parms = true;
                                    Key::Other
                                }
                                _ => Key::Other,
                            });
                        }
                        Some(Key::Type) => dict.objstm_type |= name == b"ObjStm",
                        Some(Key::Filter) => dict.set_filter(if name == b"FlateDecode" {
                            Filter::Flate
                        } else {
                            Filter::Unsupported
                        }),
                        Some(Key::Other) => {}
                    },
                    Some(Container::Array(Some(filters))) => {
                        filters.names = filters.names.saturating_add(1);
                        filters.only_flate &= name == b"FlateDecode";
                    }
                    _ => {}
                }
            }
            Token::Word(word) => {
                if self.streams
                    && word == Some(b"stream")
                    && let Some(dict) = after_dict
                {
                    return Ok(Some(dict));
                }
                self.value();
            }
            Token::Other => self.value(),
            Token::DictOpen | Token::ArrayOpen => {
                let mut filter_array = None;
                match self.stack.last_mut() {
                    Some(Container::Dict(dict)) => match dict.pending.take() {
                        // Readers disagree on what a container in key position means.
                        None => return Err(malformed("a dictionary key that is not a name")),
                        Some(Key::Filter) if matches!(token, Token::ArrayOpen) => {
                            filter_array = Some(FilterArray {
                                names: 0,
                                only_flate: true,
                            });
                        }
                        Some(Key::Filter) => dict.set_filter(Filter::Unsupported),
                        Some(_) => {}
                    },
                    Some(Container::Array(Some(filters))) => filters.only_flate = false,
                    _ => {}
                }
                if self.stack.len() == MAX_DEPTH {
                    return Err(malformed("dictionaries or arrays nested too deep"));
                }
                self.stack.push(match token {
                    Token::DictOpen => Container::Dict(DictInfo::new()),
                    _ => Container::Array(filter_array),
                });
            }
            Token::DictClose => match self.stack.last() {
                Some(Container::Dict(dict)) => {
                    self.last_dict = Some(*dict);
                    self.stack.pop();
                }
                // A stray `>>` is an element or skipped, as readers do.
                _ => self.value(),
            },
            Token::ArrayClose => match self.stack.last() {
                Some(Container::Array(filters)) => {
                    let filters = *filters;
                    self.stack.pop();
                    if let (Some(filters), Some(Container::Dict(dict))) =
                        (filters, self.stack.last_mut())
                    {
                        dict.set_filter(match (filters.names, filters.only_flate) {
                            (0, true) => Filter::None,
                            (1, true) => Filter::Flate,
                            _ => Filter::Unsupported,
                        });
                    }
                }
                _ => self.value(),
            },
        }
        Ok(None)
    }

    /// A value token that is not a name, dictionary or array.
    fn value(&mut self) {
        match self.stack.last_mut() {
            Some(Container::Dict(dict)) => dict.value(),
            Some(Container::Array(Some(filters))) => filters.only_flate = false,
            _ => {}
        }
    }
}

const ENDSTREAM: &[u8; 9] = b"endstream";
/// KMP failure function of `endstream`: after a mismatch with `k` bytes matched, `FAIL[k - 1]`
/// of them still match.
const FAIL: [usize; 9] = [0, 0, 0, 0, 0, 0, 1, 0, 0];

fn advance_match(mut matched: usize, b: u8) -> usize {
    loop {
        if ENDSTREAM[matched] == b {
            return matched + 1;
        }
        if matched == 0 {
            return 0;
        }
        matched = FAIL[matched - 1];
    }
}

/// An object stream being inflated.
#[derive(Debug)]
struct Inflater {
    z: Decompress,
    done: bool,
}

impl Inflater {
    fn feed(
        &mut self,
        mut input: &[u8],
        inner: &mut Tokenizer,
        inflated: &mut u64,
        limit: u64,
    ) -> Result<(), SanitizeError> {
        let mut buf = [0u8; 8192];
        while !self.done {
            let (in0, out0) = (self.z.total_in(), self.z.total_out());
            let status = self
                .z
                .decompress(input, &mut buf, FlushDecompress::None)
                .map_err(|_| malformed("an object stream that does not inflate"))?;
            let consumed = usize::try_from(self.z.total_in() - in0).unwrap_or(input.len());
            let produced = usize::try_from(self.z.total_out() - out0).unwrap_or(0);
            input = input.get(consumed..).unwrap_or_default();
            *inflated += produced as u64;
            if *inflated > limit {
                return Err(SanitizeError::ActivePdf("an oversized object stream"));
            }
            inner.feed(buf.get(..produced).unwrap_or_default())?;
            if status == Status::StreamEnd {
                self.done = true;
            } else if consumed == 0 && produced == 0 {
                break;
            }
        }
        Ok(())
    }
}

/// How a stream's data is read.
#[derive(Debug)]
enum Body {
    /// Not an object stream: skipped.
    Skip,
    /// An uncompressed object stream: tokenized as is.
    Raw(Box<Tokenizer>),
    /// A Flate object stream: inflated, then tokenized.
    Inflate(Box<Inflater>, Box<Tokenizer>),
}

impl Body {
    fn for_dict(dict: &DictInfo) -> Result<Self, SanitizeError> {
        if !(dict.objstm_type || dict.has_first) {
            return Ok(Self::Skip);
        }
        if dict.has_decode_parms {
            return Err(UNINSPECTABLE);
        }
        match dict.filter.unwrap_or(Filter::None) {
            Filter::None => Ok(Self::Raw(Box::new(Tokenizer::new(false)))),
            Filter::Flate => Ok(Self::Inflate(
                Box::new(Inflater {
                    z: Decompress::new(true),
                    done: false,
                }),
                Box::new(Tokenizer::new(false)),
            )),
            Filter::Unsupported => Err(UNINSPECTABLE),
        }
    }

    fn feed(&mut self, data: &[u8], inflated: &mut u64, limit: u64) -> Result<(), SanitizeError> {
        match self {
            Self::Skip => Ok(()),
            Self::Raw(inner) => inner.feed(data).map(|_| ()),
            Self::Inflate(z, inner) => z.feed(data, inner, inflated, limit),
        }
    }

    fn end(&mut self) -> Result<(), SanitizeError> {
        match self {
            Self::Skip => Ok(()),
            Self::Raw(inner) => inner.end(),
            Self::Inflate(z, inner) => {
                if !z.done {
                    return Err(malformed("an object stream that does not inflate"));
                }
                inner.end()
            }
        }
    }
}

#[derive(Debug)]
enum Mode {
    Tokens,
    /// After a `stream` keyword, up to the end of its line; `cr` once a CR was read.
    Preamble {
        body: Body,
        cr: bool,
    },
    /// Stream data; `matched` bytes of `endstream` seen (and held back from `body`).
    Data {
        body: Body,
        matched: usize,
    },
    /// A previous call failed; the document is refused.
    Failed(SanitizeError),
}

/// Streaming PDF active-content scanner; see the module docs.
#[derive(Debug)]
pub struct PdfScanner {
    /// Boxed, like the object-stream tokenizers, to keep [`super::Sanitizer`] small.
    tokens: Box<Tokenizer>,
    mode: Mode,
    /// Bytes inflated from object streams so far.
    inflated: u64,
    /// Most bytes to inflate ([`MAX_INFLATED`] but in tests).
    inflate_limit: u64,
}

impl Default for PdfScanner {
    fn default() -> Self {
        Self::new()
    }
}

impl PdfScanner {
    pub fn new() -> Self {
        Self {
            tokens: Box::new(Tokenizer::new(true)),
            mode: Mode::Tokens,
            inflated: 0,
            inflate_limit: MAX_INFLATED,
        }
    }

    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), SanitizeError> {
        if let Mode::Failed(e) = &self.mode {
            return Err(e.clone());
        }
        match self.run(input) {
            Ok(()) => {
                out.extend_from_slice(input);
                Ok(())
            }
            Err(e) => {
                self.mode = Mode::Failed(e.clone());
                Err(e)
            }
        }
    }

    pub fn finish(mut self, _out: &mut Vec<u8>) -> Result<(), SanitizeError> {
        match self.mode {
            Mode::Tokens => {}
            Mode::Failed(e) => return Err(e),
            Mode::Preamble { .. } | Mode::Data { .. } => {
                return Err(malformed("truncated (inside a stream)"));
            }
        }
        self.tokens.end()?;
        if !self.tokens.eof_seen {
            return Err(malformed("truncated"));
        }
        // A reader stops at the last `%%EOF`; anything after it (an HTML page, a second file) is
        // a polyglot, refused rather than stored.
        if self.tokens.after_eof {
            return Err(malformed("data after the end of the file"));
        }
        Ok(())
    }

    fn run(&mut self, mut rest: &[u8]) -> Result<(), SanitizeError> {
        while !rest.is_empty() {
            match &mut self.mode {
                Mode::Tokens => match self.tokens.feed(rest)? {
                    None => rest = &[],
                    Some((at, dict)) => {
                        self.mode = Mode::Preamble {
                            body: Body::for_dict(&dict)?,
                            cr: false,
                        };
                        rest = rest.get(at..).unwrap_or_default();
                    }
                },
                Mode::Preamble { body, cr } => {
                    let b = rest[0];
                    let data_starts = match (*cr, b) {
                        (_, b'\n') => {
                            rest = &rest[1..];
                            true
                        }
                        (true, _) => true,
                        (false, b'\r') => {
                            *cr = true;
                            rest = &rest[1..];
                            false
                        }
                        (false, _) => {
                            // Readers disagree on whether such bytes are data: an object
                            // stream must not depend on it.
                            if !matches!(body, Body::Skip) && b != b' ' && b != b'\t' {
                                return Err(UNINSPECTABLE);
                            }
                            rest = &rest[1..];
                            false
                        }
                    };
                    if data_starts {
                        let body = std::mem::replace(body, Body::Skip);
                        self.mode = Mode::Data { body, matched: 0 };
                    }
                }
                Mode::Data { body, matched } => {
                    // The held-back bytes are `ENDSTREAM[..held]`; find where `endstream` ends.
                    let held = *matched;
                    let mut m = held;
                    let mut end = None;
                    for (i, &b) in rest.iter().enumerate() {
                        m = advance_match(m, b);
                        if m == ENDSTREAM.len() {
                            end = Some(i + 1);
                            break;
                        }
                    }
                    let scanned = end.unwrap_or(rest.len());
                    // Bytes of (held ++ rest[..scanned]) that are stream data.
                    let data_len = held + scanned - m;
                    let from_held = data_len.min(held);
                    let limit = self.inflate_limit;
                    body.feed(&ENDSTREAM[..from_held], &mut self.inflated, limit)?;
                    body.feed(&rest[..data_len - from_held], &mut self.inflated, limit)?;
                    rest = &rest[scanned..];
                    if end.is_some() {
                        body.end()?;
                        self.mode = Mode::Tokens;
                    } else {
                        *matched = m;
                    }
                }
                Mode::Failed(e) => return Err(e.clone()),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Write;

    /// A PDF with the given object bodies (numbered from 1), a correct xref and trailer.
    fn pdf(objects: &[Vec<u8>], trailer_extra: &str) -> Vec<u8> {
        let mut v = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let mut offsets = Vec::new();
        for (n, body) in objects.iter().enumerate() {
            offsets.push(v.len());
            v.extend_from_slice(format!("{} 0 obj\n", n + 1).as_bytes());
            v.extend_from_slice(body);
            v.extend_from_slice(b"\nendobj\n");
        }
        let xref = v.len();
        v.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for off in offsets {
            v.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
        }
        v.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R{trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        v
    }

    fn obj(s: &str) -> Vec<u8> {
        s.as_bytes().to_vec()
    }

    fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut v = format!("<< {dict} /Length {} >>\nstream\r\n", data.len()).into_bytes();
        v.extend_from_slice(data);
        v.extend_from_slice(b"\r\nendstream");
        v
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(data).unwrap();
        z.finish().unwrap()
    }

    /// An object stream holding objects 4 and 5 (5 given as text), compressed with Flate.
    fn objstm(dict_extra: &str, obj5: &str) -> Vec<u8> {
        let objects = format!("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> {obj5}");
        let second = objects.find(obj5).unwrap();
        let header = format!("4 0 5 {second} ");
        let mut content = header.clone().into_bytes();
        content.extend_from_slice(objects.as_bytes());
        stream(
            &format!("/Type /ObjStm /N 2 /First {} {dict_extra}", header.len()),
            &zlib(&content),
        )
    }

    fn basic(extra_catalog: &str, more: &[Vec<u8>]) -> Vec<u8> {
        let mut objects = vec![
            obj(&format!("<< /Type /Catalog /Pages 2 0 R{extra_catalog} >>")),
            obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
            obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"),
        ];
        objects.extend_from_slice(more);
        pdf(&objects, "")
    }

    fn scan_in(input: &[u8], sizes: &[usize]) -> Result<Vec<u8>, SanitizeError> {
        crate::sanitize::run_in_pieces(crate::sanitize::DocumentType::Pdf, input, sizes)
    }

    /// Scans whole and byte by byte; both must agree.
    fn scan(input: &[u8]) -> Result<Vec<u8>, SanitizeError> {
        let whole = scan_in(input, &[]);
        assert_eq!(whole, scan_in(input, &[1]), "byte-by-byte result differs");
        whole
    }

    fn accepted(input: &[u8]) {
        assert_eq!(scan(input).unwrap(), input);
    }

    fn refused(input: &[u8]) -> SanitizeError {
        let err = scan(input).unwrap_err();
        assert!(matches!(err, SanitizeError::ActivePdf(_)), "{err:?}");
        err
    }

    fn image_xobject(data: &[u8]) -> Vec<u8> {
        stream(
            "/Type /XObject /Subtype /Image /Width 4 /Height 4 /BitsPerComponent 8 \
             /ColorSpace /DeviceGray /Filter /DCTDecode",
            data,
        )
    }

    #[test]
    fn a_plain_pdf_passes_unchanged() {
        let content = stream("", b"BT /F1 12 Tf 72 712 Td (Hello) Tj ET");
        let input = basic("", &[content, objstm("/Filter /FlateDecode", "<< /A 1 >>")]);
        accepted(&input);
    }

    #[test]
    fn active_names_are_refused() {
        let js_action = obj("<< /S /JavaScript /JS (app.alert\\(1\\)) >>");
        let cases = [
            (
                basic(
                    " /OpenAction 4 0 R",
                    &[obj("<< /S /GoTo /D [3 0 R /Fit] >>")],
                ),
                "an open action",
            ),
            (basic("", &[js_action]), "JavaScript"),
            (
                basic("", &[obj("<< /S /J#61vaScript /J#53 (x) >>")]),
                "JavaScript",
            ),
            (
                basic("", &[obj("<< /S /Launch /F (calc.exe) >>")]),
                "a launch action",
            ),
            (
                basic(
                    " /Names << /EmbeddedFiles 4 0 R >>",
                    &[obj("<< /Names [] >>")],
                ),
                "embedded files",
            ),
            (
                basic(" /AA << /O 4 0 R >>", &[obj("<< >>")]),
                "additional actions",
            ),
            (
                basic(" /AcroForm << /XFA 4 0 R >>", &[obj("<< >>")]),
                "an XFA form",
            ),
            (
                basic("", &[obj("<< /S /SubmitForm /F (http://x) >>")]),
                "a form-submit action",
            ),
            (
                basic("", &[obj("<</S/ImportData>>")]),
                "a form-data import action",
            ),
            (basic("", &[obj("<</Subtype/RichMedia>>")]), "rich media"),
            (
                basic("", &[stream("/Type /EmbeddedFile", b"MZ")]),
                "an embedded file",
            ),
            // Hex escapes everywhere, including the initial letter and lowercase digits.
            (basic("", &[obj("<< /#4Aava#53cript 1 >>")]), "JavaScript"),
            (
                basic("", &[obj("<< /#4f#70enAction 1 >>")]),
                "an open action",
            ),
            // Names right before a delimiter.
            (basic("", &[obj("[/Launch]")]), "a launch action"),
            (basic("", &[obj("<</A<</S/JS(x)>>>>")]), "JavaScript"),
        ];
        for (input, what) in cases {
            assert_eq!(refused(&input), SanitizeError::ActivePdf(what));
        }
        // A name that runs to the very end of the file.
        let mut at_end = basic("", &[]);
        at_end.extend_from_slice(b"/JS");
        assert_eq!(refused(&at_end), SanitizeError::ActivePdf("JavaScript"));
    }

    #[test]
    fn javascript_hidden_in_a_compressed_object_stream_is_refused() {
        let hidden = objstm(
            "/Filter /FlateDecode",
            "<< /S /JavaScript /JS (app.alert(1)) >>",
        );
        assert!(!hidden.windows(3).any(|w| w == b"/JS"));
        assert_eq!(
            refused(&basic("", &[hidden])),
            SanitizeError::ActivePdf("JavaScript")
        );
        // The same with a one-element filter array, with hex escapes in the dictionary keys,
        // without /Type (readers that only look at /First), and with /JS as the last token.
        for input in [
            basic("", &[objstm("/Filter [/FlateDecode]", "<< /S /JS >>")]),
            basic("", &[objstm("/F#69lter /Fl#61teDecode", "<</AA 1>>")]),
            basic(
                "",
                &[stream(
                    "/N 1 /First 4 /Filter /FlateDecode",
                    &zlib(b"4 0 <</OpenAction 5 0 R>>"),
                )],
            ),
            basic(
                "",
                &[stream(
                    "/Type/ObjStm/N 1/First 4/Filter/FlateDecode",
                    &zlib(b"4 0 /JS"),
                )],
            ),
        ] {
            refused(&input);
        }
    }

    #[test]
    fn uncompressed_object_streams_are_scanned() {
        let raw = stream("/Type /ObjStm /N 1 /First 4", b"4 0 << /S /Launch >>");
        assert_eq!(
            refused(&basic("", &[raw])),
            SanitizeError::ActivePdf("a launch action")
        );
        // The name ends where the stream data ends, right before `endstream`.
        let mut tight = b"<< /Type /ObjStm /N 1 /First 4 >>\nstream\n4 0 /JS".to_vec();
        tight.extend_from_slice(b"endstream");
        refused(&basic("", &[tight]));
    }

    #[test]
    fn object_streams_that_cannot_be_inspected_are_refused() {
        let uninspectable = SanitizeError::ActivePdf("an object stream it cannot inspect");
        for input in [
            basic("", &[objstm("/Filter /LZWDecode", "<< >>")]),
            basic(
                "",
                &[objstm("/Filter [/FlateDecode /ASCIIHexDecode]", "<< >>")],
            ),
            basic("", &[objstm("/Filter 9 0 R", "<< >>")]),
            basic(
                "",
                &[objstm(
                    "/Filter /FlateDecode /DecodeParms << /Predictor 12 >>",
                    "<< >>",
                )],
            ),
            basic(
                "",
                &[objstm("/Filter /FlateDecode /Filter /FlateDecode", "<< >>")],
            ),
        ] {
            assert_eq!(scan(&input).unwrap_err(), uninspectable);
        }
        // Bytes between `stream` and the end of its line of an object stream.
        let data = zlib(b"4 0 << >>");
        let mut odd = b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >> stream x\n".to_vec();
        odd.extend_from_slice(&data);
        odd.extend_from_slice(b"\nendstream");
        assert_eq!(scan(&basic("", &[odd])).unwrap_err(), uninspectable);
    }

    #[test]
    fn a_corrupt_object_stream_is_malformed() {
        let mut data = zlib(b"4 0 << /A 1 >>");
        let last = data.len() - 1;
        data[last] ^= 0xFF; // the Adler-32 checksum
        let bad = stream("/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", &data);
        let truncated = stream(
            "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
            &zlib(b"4 0 << /A 1 >>")[..6],
        );
        for input in [bad, truncated] {
            let err = scan(&basic("", &[input])).unwrap_err();
            assert!(
                matches!(err, SanitizeError::Malformed { kind: "PDF", .. }),
                "{err:?}"
            );
        }
    }

    #[test]
    fn names_in_strings_comments_and_image_data_do_not_count() {
        let image_bytes = b"\xFF\xD8 /JS /JavaScript /OpenAction ( << /S /Launch >> \xFF\xD9";
        let input = basic(
            "",
            &[
                obj("<< /Title (/JavaScript) /Subject (nested (/JS) and \\) escaped /Launch) >>"),
                obj("<< /Author <2F4A53> >> % a comment about /OpenAction\n"),
                image_xobject(image_bytes),
                // Names that merely start like active ones.
                obj("<< /JSX 1 /JavaScriptish 2 /AAA 3 /Launcher 4 /J#53X 5 >>"),
            ],
        );
        accepted(&input);
    }

    #[test]
    fn stream_data_ends_at_endstream_even_across_pieces() {
        // `endstream` with a near-miss `endstre` + `endstream` overlapping inside the data.
        let data = b"endstrendstreaXendstre";
        let mut s = stream("/Subtype /Image", data);
        s.extend_from_slice(b"\n<< /S /JS >>");
        refused(&basic("", &[s]));
    }

    #[test]
    fn a_stream_keyword_not_after_a_dictionary_starts_nothing() {
        // A reader does not treat this as stream data, so neither does the scanner.
        let input = basic(
            "",
            &[obj("[ 1 2 ] stream\n<< /S /JavaScript >>\nendstream")],
        );
        refused(&input);
    }

    #[test]
    fn truncated_and_malformed_pdfs_are_refused() {
        let input = basic("", &[image_xobject(b"0123456789")]);
        let eof = input.windows(5).rposition(|w| w == b"%%EOF").unwrap();
        let in_stream = input.windows(10).position(|w| w == b"0123456789").unwrap() + 3;
        for cut in [eof, eof + 3, in_stream, 20] {
            assert_eq!(
                scan(&input[..cut]).unwrap_err(),
                malformed(if cut == in_stream {
                    "truncated (inside a stream)"
                } else {
                    "truncated"
                }),
                "cut at {cut}"
            );
        }
        let long_name = format!("<< /{} 1 >>", "A".repeat(128));
        assert_eq!(
            scan(&basic("", &[obj(&long_name)])).unwrap_err(),
            malformed("a name longer than 127 bytes")
        );
        assert!(scan(&basic("", &[obj(&format!("<< /{} 1 >>", "A".repeat(127)))])).is_ok());
        let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
        assert!(matches!(
            scan(&basic("", &[obj(&deep)])).unwrap_err(),
            SanitizeError::Malformed { .. }
        ));
        assert!(matches!(
            scan(&basic("", &[obj("<< << /Type /ObjStm >> >>")])).unwrap_err(),
            SanitizeError::Malformed { .. }
        ));
    }

    #[test]
    fn an_oversized_object_stream_is_refused() {
        assert_eq!(MAX_INFLATED, 64 << 20);
        // The limit counts across object streams: two of 600 KiB pass 1 MiB together.
        let zeros = zlib(&vec![b' '; 600 << 10]);
        let bomb = stream("/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", &zeros);
        let one = basic("", std::slice::from_ref(&bomb));
        let two = basic("", &[bomb.clone(), bomb]);
        let scan_limited = |input: &[u8]| {
            let mut s = PdfScanner::new();
            s.inflate_limit = 1 << 20;
            let mut out = Vec::new();
            s.push(input, &mut out)?;
            s.finish(&mut out)
        };
        assert_eq!(scan_limited(&one), Ok(()));
        assert_eq!(
            scan_limited(&two),
            Err(SanitizeError::ActivePdf("an oversized object stream"))
        );
    }

    #[test]
    fn encrypted_pdfs_are_refused() {
        let input = pdf(
            &[
                obj("<< /Type /Catalog /Pages 2 0 R >>"),
                obj("<< /Type /Pages /Kids [] /Count 0 >>"),
                obj("<< /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >>"),
            ],
            " /Encrypt 3 0 R /ID [<01> <01>]",
        );
        assert_eq!(
            refused(&input),
            SanitizeError::ActivePdf("encryption, which hides its content from inspection")
        );
    }

    #[test]
    fn bytes_after_the_last_eof_are_refused_but_incremental_updates_pass() {
        let input = basic("", &[]);
        let mut html = input.clone();
        html.extend_from_slice(
            b"<html><script>alert(1)</script></html>
",
        );
        assert_eq!(
            scan(&html).unwrap_err(),
            malformed("data after the end of the file")
        );
        let mut junk = input.clone();
        junk.extend_from_slice(b"trailing");
        assert!(scan(&junk).is_err());
        // Whitespace (NUL included) after the end is harmless padding.
        let mut padded = input.clone();
        padded.extend_from_slice(b"\r\n\0\0  \n");
        assert!(scan(&padded).is_ok());
        // An incremental update: new objects, a new trailer, a second %%EOF.
        let mut updated = input.clone();
        updated.extend_from_slice(
            b"4 0 obj\n<< /Producer (x) >>\nendobj\ntrailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n0\n%%EOF\n",
        );
        assert!(scan(&updated).is_ok());
    }

    #[test]
    fn an_error_is_sticky() {
        let mut s = PdfScanner::new();
        let mut out = Vec::new();
        assert!(s.push(b"%PDF-1.7\n<< /JS 1 >>", &mut out).is_err());
        assert!(out.is_empty());
        assert!(s.push(b"\n%%EOF\n", &mut out).is_err());
        assert!(s.finish(&mut out).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn any_split_gives_the_same_verdict(sizes in proptest::collection::vec(1usize..64, 1..16)) {
            let clean = basic("", &[
                image_xobject(b"/JS endstrea /JavaScript"),
                objstm("/Filter /FlateDecode", "<< /A (/JS) >>"),
            ]);
            prop_assert_eq!(scan_in(&clean, &sizes), Ok(clean.clone()));
            for bad in [
                basic("", &[objstm("/Filter /FlateDecode", "<< /S /J#61vaScript >>")]),
                basic("", &[obj("<< /J#61vaScript 1 >>")]),
            ] {
                prop_assert_eq!(scan_in(&bad, &sizes), Err(SanitizeError::ActivePdf("JavaScript")));
            }
        }
    }
}
