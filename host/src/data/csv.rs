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

    /// Takes the next bytes of the file. Once the header is read, runs of bytes that mean
    /// nothing to the shape (a field's content) are skipped at once (`memchr`), and only
    /// separators, quotes and line ends are looked at one by one.
    pub(super) fn feed(&mut self, bytes: &[u8]) -> Result<(), String> {
        let (sep, quote) = (self.dialect.separator, self.dialect.quote_char);
        let mut rest = bytes;
        while !rest.is_empty() {
            if self.first.is_none() && !self.quote_pending {
                let next = match (self.in_quotes, quote) {
                    (true, Some(q)) => memchr::memchr2(q, b'\n', rest),
                    (false, Some(q)) => memchr::memchr3(sep, q, b'\n', rest),
                    (false, None) => memchr::memchr2(sep, b'\n', rest),
                    (true, None) => memchr::memchr(b'\n', rest),
                };
                let run = next.unwrap_or(rest.len());
                // Content: every byte in quotes; outside them, anything but a carriage return.
                if rest[..run].iter().any(|&b| self.in_quotes || b != b'\r') {
                    self.field_empty = false;
                    self.empty = false;
                }
                rest = &rest[run..];
                let Some((&b, tail)) = rest.split_first() else {
                    break;
                };
                self.step(b)?;
                rest = tail;
            } else {
                self.step(rest[0])?;
                rest = &rest[1..];
            }
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
