//! The CSV shape check, fed the file's bytes as they are hashed (beside polars' parse).

use super::shorten;
use crate::policy::CsvDialect;

/// How a separator is named in messages.
fn separator_name(d: u8) -> String {
    match d {
        b'\t' => "a tab".to_string(),
        d => format!("`{}`", d as char),
    }
}

/// Reads a CSV file's bytes once, quote-aware, and refuses what polars would read wrongly or
/// explain badly: a header that is one column holding another delimiter, duplicate column names
/// (polars would rename them silently), and rows with more or fewer fields than the header.
/// Blank lines are skipped, as polars does. The error says what is wrong and what to do.
///
/// Fed in pieces ([`CsvShape::feed`], any split) and finished ([`CsvShape::finish`]): the file
/// is read once for this and its digest, while polars parses it.
pub(super) struct CsvShape<'d> {
    dialect: &'d CsvDialect,
    /// The first record's fields, until it ends; then only counts.
    first: Option<Vec<Vec<u8>>>,
    /// Fields in the header (or the first row).
    width: usize,
    /// Fields of the current record so far (the last one still open).
    fields: usize,
    /// Whether the open field has no byte yet (a quote opens a quoted field only there).
    field_empty: bool,
    /// Whether the current record has anything (blank lines are skipped).
    empty: bool,
    in_quotes: bool,
    quote_pending: bool,
    line: usize,
    record_line: usize,
}

impl<'d> CsvShape<'d> {
    pub(super) fn new(dialect: &'d CsvDialect) -> Self {
        CsvShape {
            dialect,
            first: Some(vec![Vec::new()]),
            width: 0,
            fields: 1,
            field_empty: true,
            empty: true,
            in_quotes: false,
            quote_pending: false,
            line: 1,
            record_line: 1,
        }
    }

    /// Takes the next bytes of the file. Once the header is read, what lies outside quotes is
    /// taken a line at a time up to the next quote character (its separators counted at once),
    /// what lies inside them a run at a time up to the next quote or line end (`memchr`); only
    /// quotes and the bytes right after them are looked at one by one.
    pub(super) fn feed(&mut self, bytes: &[u8]) -> Result<(), String> {
        let quote = self.dialect.quote_char;
        let mut rest = bytes;
        while !rest.is_empty() {
            if self.first.is_some() || self.quote_pending {
                self.step(rest[0])?;
                rest = &rest[1..];
                continue;
            }
            let run = match (self.in_quotes, quote) {
                (true, Some(q)) => {
                    let run = memchr::memchr2(q, b'\n', rest).unwrap_or(rest.len());
                    // In quotes every byte is content.
                    if run > 0 {
                        self.field_empty = false;
                        self.empty = false;
                    }
                    run
                }
                (false, Some(q)) => {
                    let run = memchr::memchr(q, rest).unwrap_or(rest.len());
                    self.lines(&rest[..run])?;
                    run
                }
                (_, None) => {
                    self.lines(rest)?;
                    rest.len()
                }
            };
            rest = &rest[run..];
            let Some((&b, tail)) = rest.split_first() else {
                break;
            };
            self.step(b)?;
            rest = tail;
        }
        Ok(())
    }

    /// Bytes outside quotes with no quote character in them, after the header: each line's
    /// separators counted at once, each line end ending a record.
    fn lines(&mut self, mut bytes: &[u8]) -> Result<(), String> {
        let sep = self.dialect.separator;
        while !bytes.is_empty() {
            let end = memchr::memchr(b'\n', bytes);
            let line = &bytes[..end.unwrap_or(bytes.len())];
            // Content: anything but a carriage return.
            if let Some(last) = memchr::memrchr(sep, line) {
                self.fields += count_byte(line, sep);
                self.empty = false;
                self.field_empty = line[last + 1..].iter().all(|&b| b == b'\r');
            } else if line.iter().any(|&b| b != b'\r') {
                self.field_empty = false;
                self.empty = false;
            }
            let Some(end) = end else {
                break;
            };
            self.step(b'\n')?;
            bytes = &bytes[end + 1..];
        }
        Ok(())
    }

    /// One byte, whatever the state.
    fn step(&mut self, b: u8) -> Result<(), String> {
        let (sep, quote) = (self.dialect.separator, self.dialect.quote_char);
        if self.quote_pending {
            self.quote_pending = false;
            if Some(b) == quote {
                self.push(b);
                return Ok(());
            }
            self.in_quotes = false;
        }
        if self.in_quotes {
            if Some(b) == quote {
                self.quote_pending = true;
            } else {
                if b == b'\n' {
                    self.line += 1;
                }
                self.push(b);
            }
            return Ok(());
        }
        match b {
            b if Some(b) == quote && self.field_empty => {
                self.in_quotes = true;
                self.empty = false;
            }
            b if b == sep => {
                self.fields += 1;
                self.field_empty = true;
                if let Some(first) = &mut self.first {
                    first.push(Vec::new());
                }
                self.empty = false;
            }
            b'\n' => {
                self.end_record()?;
                self.line += 1;
                self.record_line = self.line;
            }
            b'\r' => {}
            _ => {
                self.push(b);
                self.empty = false;
            }
        }
        Ok(())
    }

    /// Ends the file (its last record may lack a newline).
    pub(super) fn finish(mut self) -> Result<(), String> {
        self.end_record()
    }

    fn push(&mut self, b: u8) {
        self.field_empty = false;
        if let Some(first) = &mut self.first {
            first.last_mut().expect("a record has a field").push(b);
        }
    }

    fn end_record(&mut self) -> Result<(), String> {
        let n = std::mem::replace(&mut self.fields, 1);
        self.field_empty = true;
        if std::mem::replace(&mut self.empty, true) {
            if let Some(first) = &mut self.first {
                *first = vec![Vec::new()];
            }
            return Ok(());
        }
        match self.first.take() {
            Some(names) => self.header(names),
            None if n != self.width => {
                let sep_name = separator_name(self.dialect.separator);
                Err(format!(
                    "line {} has {n} fields but the {} has {}; fix that row (a missing or extra \
                     {sep_name}, or a {sep_name} inside a value that is not quoted)",
                    self.record_line,
                    if self.dialect.has_header {
                        "header"
                    } else {
                        "first row"
                    },
                    self.width
                ))
            }
            None => Ok(()),
        }
    }

    /// Checks the first record: the header, or the first row of a file without one.
    fn header(&mut self, fields: Vec<Vec<u8>>) -> Result<(), String> {
        let sep = self.dialect.separator;
        let names: Vec<String> = fields
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        self.width = names.len();
        if names.len() == 1 {
            let others = [b',', b';', b'\t', b'|'].into_iter().filter(|d| *d != sep);
            if let Some(d) = others.into_iter().find(|d| names[0].as_bytes().contains(d)) {
                let shown = separator_name(d);
                let escaped = if d == b'\t' {
                    "\\t".to_string()
                } else {
                    (d as char).to_string()
                };
                return Err(format!(
                    "the first row is a single field `{}`: the file looks separated by {shown}, \
                     not {}; say so on the dataset: `{{ path = \"…\", separator = \"{escaped}\" }}`",
                    shorten(&names[0], 60),
                    separator_name(sep)
                ));
            }
        }
        if !self.dialect.has_header {
            // Without a header row the first row is data: it only sets the field count.
            return Ok(());
        }
        let mut seen = std::collections::HashMap::new();
        for (i, n) in names.iter().enumerate() {
            if let Some(first) = seen.insert(n.as_str(), i) {
                return Err(format!(
                    "column `{n}` appears twice in the header (columns {} and {}); rename or drop \
                     one of them: modelgate does not guess which one is meant",
                    first + 1,
                    i + 1
                ));
            }
        }
        Ok(())
    }
}

/// How often `byte` occurs in `hay`, 128 bytes at a time (a sum the compiler vectorises).
fn count_byte(hay: &[u8], byte: u8) -> usize {
    let mut chunks = hay.chunks_exact(128);
    let mut n: usize = (&mut chunks)
        .map(|c| c.iter().fold(0u8, |a, &b| a + u8::from(b == byte)) as usize)
        .sum();
    n += chunks.remainder().iter().filter(|&&b| b == byte).count();
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole text, fed in pieces of every size from 1 byte to all of it: the verdict is the
    /// same for every split.
    fn check_csv_records(text: &[u8], dialect: &CsvDialect) -> Result<(), String> {
        let whole = {
            let mut shape = CsvShape::new(dialect);
            shape.feed(text).and_then(|()| shape.finish())
        };
        for piece in 1..text.len().max(1) {
            let mut shape = CsvShape::new(dialect);
            let split = text
                .chunks(piece)
                .try_for_each(|c| shape.feed(c))
                .and_then(|()| shape.finish());
            assert_eq!(split, whole, "fed {piece} bytes at a time");
        }
        whole
    }

    #[test]
    fn csv_shape_refuses_duplicates_other_delimiters_and_ragged_rows() {
        let check = |t: &str| check_csv_records(t.as_bytes(), &CsvDialect::default());
        assert_eq!(check(""), Ok(()));
        assert_eq!(check("a,b\r\n\r\n1,2\r\n\r\n"), Ok(()), "blank CRLF lines");
        let e = check("a,b\n1,2\n\"3\",\"4\"\"\"\n5,6,7\n").unwrap_err();
        assert!(e.contains("line 4 has 3 fields"), "{e}");
        assert_eq!(
            check("a,b\nx\"y,2\n3,4\n"),
            Ok(()),
            "a quote inside a field is content"
        );
        assert_eq!(check("a,b\n1,2\n\n3,4\n"), Ok(()));
        assert_eq!(
            check("a,\"b,c\"\r\n1,\"x \"\"y\"\", z\"\r\n2,\"multi\nline\"\n"),
            Ok(())
        );
        let e = check("a,b,a\n1,2,3\n").unwrap_err();
        assert!(
            e.contains("column `a` appears twice") && e.contains("columns 1 and 3"),
            "{e}"
        );
        let e = check("a;b;c\n1;2;3\n").unwrap_err();
        assert!(
            e.contains("separated by `;`, not `,`") && e.contains("separator = \";\""),
            "{e}"
        );
        let e = check("a,b\n1,2\n1,2,3\n").unwrap_err();
        assert!(
            e.contains("line 3 has 3 fields but the header has 2"),
            "{e}"
        );
        let e = check("a,b\n\"x\ny\",2\n1\n").unwrap_err();
        assert!(e.contains("line 4 has 1 fields"), "{e}");
    }

    #[test]
    fn csv_shape_counts_long_lines_fields_at_once() {
        // Lines of 40 fields, longer than the 128-byte counting blocks, with CRLF ends, a
        // quoted field holding separators and a line end, a quote inside a field and a blank
        // line; then one field too few on line 8 (the quoted line end is line 4).
        let row = |i: usize| {
            (0..40)
                .map(|c| format!("v{i}_{c}_xxxxxx"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let header = (0..40)
            .map(|c| format!("c{c}"))
            .collect::<Vec<_>>()
            .join(",");
        let good = format!(
            "{header}\r\n{}\r\n\"q,u\no\"{}\r\n\r\n{}\r\nx\"y{}\n",
            row(1),
            &row(2)[row(2).find(',').unwrap()..],
            row(3),
            &row(4)[row(4).find(',').unwrap()..],
        );
        let check = |t: &str| check_csv_records(t.as_bytes(), &CsvDialect::default());
        assert_eq!(check(&good), Ok(()));
        let short = &row(5)[row(5).find(',').unwrap() + 1..];
        let e = check(&format!("{good}{short}\n{}\n", row(6))).unwrap_err();
        assert!(
            e.contains("line 8 has 39 fields but the header has 40"),
            "{e}"
        );
        assert_eq!(count_byte(good.as_bytes(), b','), good.matches(',').count());
    }

    #[test]
    fn csv_shape_follows_the_dialect() {
        let semi = CsvDialect {
            separator: b';',
            quote_char: Some(b'\''),
            ..CsvDialect::default()
        };
        let check = |t: &str, d: &CsvDialect| check_csv_records(t.as_bytes(), d);
        assert_eq!(check("a;b\n1;'x;y'\n", &semi), Ok(()));
        let e = check("a;b\n1;2;3\n", &semi).unwrap_err();
        assert!(
            e.contains("line 2 has 3 fields") && e.contains("a missing or extra `;`"),
            "{e}"
        );
        let e = check("a,b,c\n1,2,3\n", &semi).unwrap_err();
        assert!(e.contains("separated by `,`, not `;`"), "{e}");
        let tabs = CsvDialect {
            separator: b'\t',
            ..CsvDialect::default()
        };
        let e = check("a|b\n", &tabs).unwrap_err();
        assert!(e.contains("separator = \"|\""), "{e}");
        let e = check("a;b\n", &CsvDialect::default()).unwrap_err();
        assert!(e.contains("separated by `;`"), "{e}");
        let e = check("a\tb\n", &CsvDialect::default()).unwrap_err();
        assert!(e.contains("separator = \"\\t\""), "{e}");
        let headless = CsvDialect {
            has_header: false,
            ..CsvDialect::default()
        };
        assert_eq!(
            check("1,1\n2,2\n", &headless),
            Ok(()),
            "duplicate values are no duplicate names"
        );
        let e = check("1,2\n3\n", &headless).unwrap_err();
        assert!(e.contains("the first row has 2"), "{e}");
        let no_quotes = CsvDialect {
            quote_char: None,
            ..CsvDialect::default()
        };
        let e = check("a,b\n\"x,y\",2\n", &no_quotes).unwrap_err();
        assert!(e.contains("line 2 has 3 fields"), "{e}");
    }
}
