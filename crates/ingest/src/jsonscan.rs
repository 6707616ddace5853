//! Splits a JSON stream into records without holding the whole file: NDJSON (one value per
//! line, read line by line so a broken line costs only itself), a top-level array, or a
//! container object whose `value` (Graph OData page) or `records` (diagnostic settings, Event
//! Hub, Defender streaming) array holds the records. Containers may also appear one per line.
//! Each record comes with the line and byte offset where it starts.

use serde_json::Value;
use std::io::BufRead;

/// One record's raw text and where it starts in the file.
#[derive(Debug)]
pub struct RawRecord {
    pub bytes: Vec<u8>,
    pub line: u64,
    pub offset: u64,
}

#[derive(Debug)]
pub enum ScanItem {
    Record(RawRecord),
    /// Text that is not a JSON value where one was expected.
    Malformed {
        raw: RawRecord,
        reason: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("read error at byte {offset}: {source}")]
    Io {
        offset: u64,
        #[source]
        source: std::io::Error,
    },
    #[error("line {line}, byte {offset}: {msg}")]
    Syntax { line: u64, offset: u64, msg: String },
}

enum Mode {
    /// Nothing read yet: decide from the first value.
    Start,
    /// One value per line.
    Lines,
    /// Inside a streamed array; `container` when the array is a container object's member.
    Array {
        container: bool,
    },
    /// Items already split out of a container or array found on one line.
    Queued(std::collections::VecDeque<ScanItem>),
    Done,
}

pub struct JsonRecords<R: BufRead> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    /// File offset of `buf[0]`.
    base: u64,
    line: u64,
    eof: bool,
    mode: Mode,
    /// Allocations of records already taken, handed back for the next records (see
    /// [`JsonRecords::recycle`]).
    spare: Vec<Vec<u8>>,
}

/// Record buffers kept for reuse at most.
const MAX_SPARE: usize = 4096;
/// The largest record buffer kept for reuse.
const MAX_SPARE_BYTES: usize = 64 * 1024;

const CHUNK: usize = 1 << 20;

impl<R: BufRead> JsonRecords<R> {
    pub fn new(src: R) -> Self {
        Self {
            src,
            buf: Vec::new(),
            pos: 0,
            base: 0,
            line: 1,
            eof: false,
            mode: Mode::Start,
            spare: Vec::new(),
        }
    }

    /// Hands back a record's buffer once it is no longer needed: the next records are read
    /// into it instead of fresh memory.
    pub fn recycle(&mut self, mut bytes: Vec<u8>) {
        // Buffers of unusually long records are not kept.
        if self.spare.len() < MAX_SPARE && bytes.capacity() <= MAX_SPARE_BYTES {
            bytes.clear();
            self.spare.push(bytes);
        }
    }

    /// Whether the input is being read one value per line (see [`Self::next_block`]).
    pub fn line_mode(&self) -> bool {
        matches!(self.mode, Mode::Lines)
    }

    fn record_buffer(&mut self) -> Vec<u8> {
        self.spare.pop().unwrap_or_default()
    }

    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Makes sure at least one unread byte is buffered; false at end of input.
    fn fill(&mut self) -> Result<bool, ScanError> {
        if self.pos < self.buf.len() {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        self.base += self.buf.len() as u64;
        self.pos = 0;
        // The buffer is read into directly (its allocation reused from chunk to chunk).
        self.buf.resize(CHUNK, 0);
        loop {
            match std::io::Read::read(&mut self.src, &mut self.buf) {
                Ok(0) => {
                    self.buf.clear();
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.buf.truncate(n);
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.clear();
                    return Err(ScanError::Io {
                        offset: self.offset(),
                        source: e,
                    });
                }
            }
        }
    }

    fn peek(&mut self) -> Result<Option<u8>, ScanError> {
        Ok(if self.fill()? {
            Some(self.buf[self.pos])
        } else {
            None
        })
    }

    fn bump(&mut self) -> Result<Option<u8>, ScanError> {
        let c = self.peek()?;
        if let Some(b) = c {
            self.pos += 1;
            if b == b'\n' {
                self.line += 1;
            }
        }
        Ok(c)
    }

    fn skip_ws(&mut self) -> Result<Option<u8>, ScanError> {
        loop {
            match self.peek()? {
                Some(b' ' | b'\t' | b'\r' | b'\n') => {
                    self.bump()?;
                }
                // A UTF-8 byte-order mark at the start of the file.
                Some(0xEF) if self.offset() == 0 => {
                    for _ in 0..3 {
                        self.bump()?;
                    }
                }
                other => return Ok(other),
            }
        }
    }

    fn syntax(&self, msg: impl Into<String>) -> ScanError {
        ScanError::Syntax {
            line: self.line,
            offset: self.offset(),
            msg: msg.into(),
        }
    }

    /// Reads one complete JSON value (string, number, literal, object or array) into `out`.
    fn capture_value(&mut self, out: &mut Vec<u8>) -> Result<(), ScanError> {
        let mut depth = 0usize;
        let mut in_str = false;
        let mut esc = false;
        loop {
            let Some(c) = self.bump()? else {
                return if depth == 0 && !in_str && !out.is_empty() {
                    Ok(())
                } else {
                    Err(self.syntax("unexpected end of input inside a JSON value"))
                };
            };
            out.push(c);
            if in_str {
                if esc {
                    esc = false;
                } else if c == b'\\' {
                    esc = true;
                } else if c == b'"' {
                    in_str = false;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                continue;
            }
            match c {
                b'"' => in_str = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    if depth == 0 {
                        return Err(self.syntax(format!("unexpected '{}'", c as char)));
                    }
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ if depth == 0 => {
                    // A scalar: ends before the next delimiter.
                    if let Some(n) = self.peek()?
                        && matches!(n, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n')
                    {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
    }

    /// Reads a JSON string token (the opening quote is next) and returns its raw text.
    fn read_key(&mut self) -> Result<Vec<u8>, ScanError> {
        let mut k = Vec::new();
        if self.peek()? != Some(b'"') {
            return Err(self.syntax("expected a quoted key"));
        }
        self.capture_value(&mut k)?;
        Ok(k)
    }

    fn read_line(&mut self) -> Result<Option<RawRecord>, ScanError> {
        loop {
            if !self.fill()? {
                return Ok(None);
            }
            let line = self.line;
            let offset = self.offset();
            let mut bytes = self.record_buffer();
            loop {
                if !self.fill()? {
                    break;
                }
                let rest = &self.buf[self.pos..];
                match memchr::memchr(b'\n', rest) {
                    Some(i) => {
                        bytes.extend_from_slice(&rest[..i]);
                        self.pos += i + 1;
                        self.line += 1;
                        break;
                    }
                    None => {
                        bytes.extend_from_slice(rest);
                        self.pos = self.buf.len();
                    }
                }
            }
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
            if bytes.iter().all(|b| b.is_ascii_whitespace()) {
                self.recycle(bytes);
                continue;
            }
            return Ok(Some(RawRecord {
                bytes,
                line,
                offset,
            }));
        }
    }

    /// The next record, a malformed stretch, or None at the end.
    pub fn next_item(&mut self) -> Result<Option<ScanItem>, ScanError> {
        loop {
            match &mut self.mode {
                Mode::Done => return Ok(None),
                Mode::Queued(q) => match q.pop_front() {
                    Some(item) => return Ok(Some(item)),
                    None => self.mode = Mode::Lines,
                },
                Mode::Start => {
                    let Some(c) = self.skip_ws()? else {
                        self.mode = Mode::Done;
                        return Ok(None);
                    };
                    match c {
                        b'[' => {
                            self.bump()?;
                            self.mode = Mode::Array { container: false };
                        }
                        b'{' => return self.first_object(),
                        _ => {
                            return Err(self.syntax(format!(
                                "expected a JSON object or array, found '{}'",
                                c.escape_ascii()
                            )));
                        }
                    }
                }
                Mode::Lines => {
                    let Some(raw) = self.read_line()? else {
                        self.mode = Mode::Done;
                        return Ok(None);
                    };
                    if !needs_expanding(&raw.bytes) {
                        return Ok(Some(ScanItem::Record(raw)));
                    }
                    // A container or array on one line: its members are the records.
                    self.mode = Mode::Queued(expand_line(raw).into());
                }
                Mode::Array { container } => {
                    let container = *container;
                    match self.skip_ws()? {
                        None => return Err(self.syntax("unexpected end of input inside an array")),
                        Some(b']') => {
                            self.bump()?;
                            if container {
                                self.finish_container()?;
                            }
                            self.mode = Mode::Lines;
                        }
                        Some(b',') => {
                            self.bump()?;
                        }
                        Some(_) => {
                            let line = self.line;
                            let offset = self.offset();
                            let mut bytes = self.record_buffer();
                            self.capture_value(&mut bytes)?;
                            return Ok(Some(ScanItem::Record(RawRecord {
                                bytes,
                                line,
                                offset,
                            })));
                        }
                    }
                }
            }
        }
    }

    /// In NDJSON mode, the next whole lines of the input as one block of about [`CHUNK`]
    /// bytes (a line longer than that makes a longer block), read into `block`'s allocation
    /// (whose bytes are overwritten: a recycled block is not zeroed again). The lines are
    /// split with [`block_lines`]. None at the end of the input, or when the input is not
    /// (or no longer) one value per line: then [`Self::next_item`] goes on.
    pub fn next_block(&mut self, mut block: Vec<u8>) -> Result<Option<LineBlock>, ScanError> {
        if !matches!(self.mode, Mode::Lines) {
            return Ok(None);
        }
        let line = self.line;
        let offset = self.offset();
        // What the scanner has read already comes first; then the input is read straight
        // into the block. `filled` bytes of it hold input.
        let pending = &self.buf[self.pos..];
        let mut filled = pending.len();
        if block.len() < filled {
            block.resize(filled, 0);
        }
        block[..filled].copy_from_slice(pending);
        self.pos = self.buf.len();
        let mut searched = 0;
        let cut = loop {
            if filled >= CHUNK
                && let Some(i) = memchr::memrchr(b'\n', &block[searched..filled])
            {
                break searched + i + 1;
            }
            if self.eof {
                break filled;
            }
            searched = filled;
            if block.len() < filled + CHUNK {
                block.resize(filled + CHUNK, 0);
            }
            let n = loop {
                match std::io::Read::read(&mut self.src, &mut block[filled..filled + CHUNK]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        return Err(ScanError::Io {
                            offset: offset + filled as u64,
                            source: e,
                        });
                    }
                }
            };
            filled += n;
            if n == 0 {
                self.eof = true;
            }
        };
        // The partial line after the cut stays for the next block.
        self.buf.clear();
        self.buf.extend_from_slice(&block[cut..filled]);
        self.base = offset + cut as u64;
        self.pos = 0;
        if cut == 0 {
            self.mode = Mode::Done;
            return Ok(None);
        }
        self.line += memchr::memchr_iter(b'\n', &block[..cut]).count() as u64;
        Ok(Some(LineBlock {
            bytes: block,
            len: cut,
            line,
            offset,
        }))
    }

    /// The first top-level object: either a container (stream its array) or the first record
    /// of an NDJSON / concatenated stream.
    fn first_object(&mut self) -> Result<Option<ScanItem>, ScanError> {
        let line = self.line;
        let offset = self.offset();
        let mut cap = Vec::new();
        self.bump()?;
        cap.push(b'{');
        let mut first_key = true;
        let mut only_odata = true;
        loop {
            match self.skip_ws_capture(&mut cap)? {
                None => return Err(self.syntax("unexpected end of input inside an object")),
                Some(b'}') => {
                    self.bump()?;
                    cap.push(b'}');
                    break;
                }
                Some(b',') => {
                    self.bump()?;
                    cap.push(b',');
                    continue;
                }
                Some(_) => {}
            }
            let key = self.read_key()?;
            cap.extend_from_slice(&key);
            if self.skip_ws_capture(&mut cap)? != Some(b':') {
                return Err(self.syntax("expected ':' after an object key"));
            }
            self.bump()?;
            cap.push(b':');
            let next = self.skip_ws_capture(&mut cap)?;
            let is_container_key =
                key == b"\"records\"" || (key == b"\"value\"" && (first_key || only_odata));
            if is_container_key && next == Some(b'[') {
                self.bump()?;
                self.mode = Mode::Array { container: true };
                return self.next_item();
            }
            only_odata &= key.starts_with(b"\"@odata") || key.starts_with(b"\"odata");
            first_key = false;
            self.capture_value(&mut cap)?;
        }
        // A plain record: the rest of the file is one record per line (or concatenated).
        let multiline = cap.contains(&b'\n');
        self.mode = if multiline { Mode::Start } else { Mode::Lines };
        if multiline {
            // Pretty-printed objects one after another: keep splitting by structure.
            self.mode = Mode::Start;
        }
        Ok(Some(ScanItem::Record(RawRecord {
            bytes: cap,
            line,
            offset,
        })))
    }

    fn skip_ws_capture(&mut self, cap: &mut Vec<u8>) -> Result<Option<u8>, ScanError> {
        loop {
            match self.peek()? {
                Some(c @ (b' ' | b'\t' | b'\r' | b'\n')) => {
                    self.bump()?;
                    cap.push(c);
                }
                other => return Ok(other),
            }
        }
    }

    /// After a container's array closed: skip its remaining members up to the closing brace.
    fn finish_container(&mut self) -> Result<(), ScanError> {
        loop {
            match self.skip_ws()? {
                None => return Err(self.syntax("unexpected end of input inside an object")),
                Some(b'}') => {
                    self.bump()?;
                    return Ok(());
                }
                Some(b',') => {
                    self.bump()?;
                    self.skip_ws()?;
                    self.read_key()?;
                    if self.skip_ws()? != Some(b':') {
                        return Err(self.syntax("expected ':' after an object key"));
                    }
                    self.bump()?;
                    self.skip_ws()?;
                    let mut sink = Vec::new();
                    self.capture_value(&mut sink)?;
                }
                Some(c) => {
                    return Err(self.syntax(format!(
                        "expected ',' or '}}' after the records array, found '{}'",
                        c.escape_ascii()
                    )));
                }
            }
        }
    }
}

/// Whole lines of NDJSON input taken together (see [`JsonRecords::next_block`]).
#[derive(Debug)]
pub struct LineBlock {
    /// The lines are `bytes[..len]` (the rest is spare room of the allocation).
    pub bytes: Vec<u8>,
    pub len: usize,
    /// The line number and file offset of the block's first byte.
    pub line: u64,
    pub offset: u64,
}

/// One line of a block: its text (without the line break) and where it starts.
pub struct BlockLine<'b> {
    pub bytes: &'b [u8],
    pub line: u64,
    pub offset: u64,
}

/// The lines of a block that hold something (blank lines left out), in order.
pub fn block_lines(block: &LineBlock) -> impl Iterator<Item = BlockLine<'_>> {
    let b = &block.bytes[..block.len];
    let mut start = 0;
    let mut line = block.line;
    std::iter::from_fn(move || {
        while start < b.len() {
            let end = memchr::memchr(b'\n', &b[start..]).map_or(b.len(), |i| start + i);
            let mut text = &b[start..end];
            if text.last() == Some(&b'\r') {
                text = &text[..text.len() - 1];
            }
            let here = BlockLine {
                bytes: text,
                line,
                offset: block.offset + start as u64,
            };
            start = end + 1;
            line += 1;
            if !text.iter().all(|c| c.is_ascii_whitespace()) {
                return Some(here);
            }
        }
        None
    })
}

/// Whether an NDJSON line may hold several records (a container object or an array) rather
/// than being one: see [`expand_line`].
pub fn needs_expanding(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    t.first() == Some(&b'[') || (t.first() == Some(&b'{') && container_first_key(t))
}

/// The items of a line for which [`needs_expanding`] holds: the members of a container or
/// array (none when it is empty), or the line itself when it is an ordinary record after all.
pub fn expand_line(raw: RawRecord) -> Vec<ScanItem> {
    let trimmed = raw.bytes.trim_ascii();
    if trimmed.first() == Some(&b'{') {
        return match container_members(trimmed) {
            Some(members) => members
                .into_iter()
                .map(|bytes| {
                    ScanItem::Record(RawRecord {
                        bytes,
                        line: raw.line,
                        offset: raw.offset,
                    })
                })
                .collect(),
            None => vec![ScanItem::Record(raw)],
        };
    }
    if trimmed.first() == Some(&b'[')
        && let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(trimmed)
    {
        return items
            .into_iter()
            .map(|v| {
                ScanItem::Record(RawRecord {
                    bytes: serde_json::to_vec(&v).unwrap_or_default(),
                    line: raw.line,
                    offset: raw.offset,
                })
            })
            .collect();
    }
    vec![ScanItem::Malformed {
        raw,
        reason: "a JSON array line that is not valid JSON".into(),
    }]
}

/// Whether the object `text` starts with a container's first key: `records`, `value` or an
/// `@odata` annotation.
fn container_first_key(text: &[u8]) -> bool {
    let first_key = text
        .get(1..)
        .map(|t| t.trim_ascii_start())
        .unwrap_or_default();
    first_key.starts_with(b"\"records\"")
        || first_key.starts_with(b"\"value\"")
        || first_key.starts_with(b"\"@odata")
        || first_key.starts_with(b"\"odata")
}

/// If `text` is a container object (`{"records":[...]}` or an OData page), its members' text.
fn container_members(text: &[u8]) -> Option<Vec<Vec<u8>>> {
    // Cheap check before parsing the whole line.
    if !container_first_key(text) {
        return None;
    }
    let Value::Object(m) = serde_json::from_slice::<Value>(text).ok()? else {
        return None;
    };
    let arr = match m.get("records") {
        Some(Value::Array(a)) => a,
        _ => {
            let only_odata = m
                .keys()
                .all(|k| k == "value" || k.starts_with("@odata") || k.starts_with("odata"));
            match m.get("value") {
                Some(Value::Array(a)) if only_odata => a,
                _ => return None,
            }
        }
    };
    Some(
        arr.iter()
            .map(|v| serde_json::to_vec(v).unwrap_or_default())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Vec<String> {
        let mut s = JsonRecords::new(std::io::Cursor::new(text.as_bytes().to_vec()));
        let mut out = Vec::new();
        while let Some(item) = s.next_item().expect("scan") {
            match item {
                ScanItem::Record(r) => out.push(String::from_utf8_lossy(&r.bytes).into_owned()),
                ScanItem::Malformed { raw, .. } => {
                    out.push(format!("BAD:{}", String::from_utf8_lossy(&raw.bytes)))
                }
            }
        }
        out
    }

    #[test]
    fn recycled_buffers_hold_only_their_new_record() {
        let text = "{\"long\":\"aaaaaaaaaaaaaaaaaaaa\"}\n{\"b\":1}\n  \n[1]\n{\"c\":2}\n";
        let mut s = JsonRecords::new(std::io::Cursor::new(text.as_bytes().to_vec()));
        let mut out = Vec::new();
        while let Some(item) = s.next_item().expect("scan") {
            let raw = match item {
                ScanItem::Record(r) => r,
                ScanItem::Malformed { raw, .. } => raw,
            };
            out.push(String::from_utf8_lossy(&raw.bytes).into_owned());
            s.recycle(raw.bytes);
        }
        assert_eq!(out, records(text));
        assert_eq!(out[1], "{\"b\":1}");
    }

    /// What the mapping threads see when the scanner hands out whole blocks of lines once
    /// the input is in line mode (as ingest's fast path does).
    fn block_records(text: &[u8]) -> Vec<(String, u64, u64)> {
        let mut s = JsonRecords::new(std::io::Cursor::new(text.to_vec()));
        let mut out = Vec::new();
        let mut push = |item: ScanItem| {
            let (raw, bad) = match item {
                ScanItem::Record(r) => (r, ""),
                ScanItem::Malformed { raw, .. } => (raw, "BAD:"),
            };
            let text = format!("{bad}{}", String::from_utf8_lossy(&raw.bytes));
            out.push((text, raw.line, raw.offset));
        };
        loop {
            if s.line_mode()
                && let Some(block) = s.next_block(Vec::new()).expect("scan")
            {
                for l in block_lines(&block) {
                    let raw = RawRecord {
                        bytes: l.bytes.to_vec(),
                        line: l.line,
                        offset: l.offset,
                    };
                    if needs_expanding(l.bytes) {
                        expand_line(raw).into_iter().for_each(&mut push);
                    } else {
                        push(ScanItem::Record(raw));
                    }
                }
                continue;
            }
            match s.next_item().expect("scan") {
                Some(item) => push(item),
                None => break,
            }
        }
        out
    }

    fn item_records(text: &[u8]) -> Vec<(String, u64, u64)> {
        let mut s = JsonRecords::new(std::io::Cursor::new(text.to_vec()));
        let mut out = Vec::new();
        while let Some(item) = s.next_item().expect("scan") {
            let (raw, bad) = match item {
                ScanItem::Record(r) => (r, ""),
                ScanItem::Malformed { raw, .. } => (raw, "BAD:"),
            };
            let text = format!("{bad}{}", String::from_utf8_lossy(&raw.bytes));
            out.push((text, raw.line, raw.offset));
        }
        out
    }

    #[test]
    fn blocks_of_lines_hold_the_same_records_lines_and_offsets() {
        let long = format!("{{\"long\":\"{}\"}}", "x".repeat(3 * CHUNK));
        let mut many = String::new();
        for i in 0..40_000 {
            many.push_str(&format!(
                "{{\"i\":{i},\"pad\":\"{}\"}}\r\n",
                "p".repeat(i % 97)
            ));
            if i % 1000 == 0 {
                many.push_str("   \n\n");
            }
            if i % 7919 == 0 {
                many.push_str(
                    "{\"records\":[{\"a\":1},{\"a\":2}]}\n[{\"b\":1}]\n[]\n{\"records\":[]}\n[1,\n",
                );
            }
            if i == 20_000 {
                many.push_str(&long);
                many.push('\n');
            }
        }
        let inputs = [
            many.clone(),
            format!("\u{feff}{many}"),
            many.trim_end().to_string(),
            format!("{{\"a\":1}}\n{long}"),
            "{\"a\":1}\n\n{\"a\":\n{\"a\":3}".to_string(),
            "{\"a\":1}".to_string(),
        ];
        for text in inputs {
            let want = item_records(text.as_bytes());
            assert!(!want.is_empty());
            assert_eq!(block_records(text.as_bytes()), want);
        }
    }

    #[test]
    fn empty_container_and_array_lines_hold_no_records() {
        // At the end of the input too (these once came out as a record `{}` there).
        assert_eq!(
            records("{\"a\":1}\n{\"records\":[]}\n[]\n{\"a\":2}\n[]\n{\"records\":[]}\n"),
            ["{\"a\":1}", "{\"a\":2}"]
        );
    }

    #[test]
    fn ndjson_lines() {
        assert_eq!(
            records("{\"a\":1}\n\n{\"a\":2}\r\n"),
            ["{\"a\":1}", "{\"a\":2}"]
        );
    }

    #[test]
    fn array_and_containers() {
        assert_eq!(
            records(" [ {\"a\":1} , {\"b\":[1,2]} ] "),
            ["{\"a\":1}", "{\"b\":[1,2]}"]
        );
        assert_eq!(
            records(
                "{\"@odata.context\":\"x\",\"value\":[{\"a\":\"}\"},{\"a\":2}],\"@odata.nextLink\":\"y\"}"
            ),
            ["{\"a\":\"}\"}", "{\"a\":2}"]
        );
        assert_eq!(
            records("{\"records\":[{\"a\":1}]}\n{\"records\":[{\"a\":2},{\"a\":3}]}\n"),
            ["{\"a\":1}", "{\"a\":2}", "{\"a\":3}"]
        );
    }

    #[test]
    fn pretty_printed_objects_one_after_another() {
        assert_eq!(
            records("{\n \"a\": 1\n}\n{\n \"a\": 2\n}\n"),
            ["{\n \"a\": 1\n}", "{\n \"a\": 2\n}"]
        );
    }

    #[test]
    fn broken_line_is_its_own_record() {
        assert_eq!(
            records("{\"a\":1}\n{\"a\":\n{\"a\":3}\n"),
            ["{\"a\":1}", "{\"a\":", "{\"a\":3}"]
        );
    }
}
