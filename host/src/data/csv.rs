//! The CSV shape check that runs before polars parses a file.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::shorten;

/// Reads a CSV file once, quote-aware, before polars does, and refuses what polars would read
/// wrongly or explain badly: a header that is one column holding another delimiter, duplicate
/// column names (polars would rename them silently), and rows with more or fewer fields than the
/// header. Blank lines are skipped, as polars does. The error says what is wrong and what to do.
pub(super) fn check_csv_shape(path: &Path) -> Result<(), String> {
    let file = File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    check_csv_records(file)
}

fn check_csv_records(reader: impl Read) -> Result<(), String> {
    let mut header: Option<Vec<String>> = None;
    let mut fields: Vec<Vec<u8>> = vec![Vec::new()];
    let (mut in_quotes, mut quote_pending, mut empty) = (false, false, true);
    let (mut line, mut record_line) = (1usize, 1usize);
    let mut end_record = |fields: &mut Vec<Vec<u8>>,
                          empty: bool,
                          record_line: usize|
     -> Result<(), String> {
        let n = fields.len();
        let taken = std::mem::replace(fields, vec![Vec::new()]);
        if empty {
            return Ok(());
        }
        match &header {
            None => {
                let names: Vec<String> = taken.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
                if names.len() == 1 {
                    if let Some(d) = [';', '\t', '|'].into_iter().find(|d| names[0].contains(*d)) {
                        let shown = if d == '\t' { "a tab".to_string() } else { format!("`{d}`") };
                        return Err(format!(
                            "the header is a single column `{}`: the file looks separated by {shown}, but modelgate \
                             reads comma-separated CSV; re-export it with `,` as the delimiter",
                            shorten(&names[0], 60)
                        ));
                    }
                }
                let mut seen = std::collections::HashMap::new();
                for (i, n) in names.iter().enumerate() {
                    if let Some(first) = seen.insert(n.as_str(), i) {
                        return Err(format!(
                            "column `{n}` appears twice in the header (columns {} and {}); rename or drop one of \
                             them: modelgate does not guess which one is meant",
                            first + 1,
                            i + 1
                        ));
                    }
                }
                header = Some(names);
            }
            Some(h) if n != h.len() => {
                return Err(format!(
                    "line {record_line} has {n} fields but the header has {}; fix that row (a missing or extra `,`, \
                     or a `,` inside a value that is not quoted)",
                    h.len()
                ))
            }
            Some(_) => {}
        }
        Ok(())
    };
    for b in std::io::BufReader::with_capacity(1 << 16, reader).bytes() {
        let b = b.map_err(|e| format!("cannot read the file: {e}"))?;
        if quote_pending {
            quote_pending = false;
            if b == b'"' {
                fields.last_mut().expect("a record has a field").push(b'"');
                continue;
            }
            in_quotes = false;
        }
        if in_quotes {
            match b {
                b'"' => quote_pending = true,
                b'\n' => {
                    line += 1;
                    fields.last_mut().expect("a record has a field").push(b);
                }
                _ => fields.last_mut().expect("a record has a field").push(b),
            }
            continue;
        }
        match b {
            b'"' if fields.last().is_some_and(|f| f.is_empty()) => {
                in_quotes = true;
                empty = false;
            }
            b',' => {
                fields.push(Vec::new());
                empty = false;
            }
            b'\n' => {
                end_record(&mut fields, empty, record_line)?;
                empty = true;
                line += 1;
                record_line = line;
            }
            b'\r' => {}
            _ => {
                fields.last_mut().expect("a record has a field").push(b);
                empty = false;
            }
        }
    }
    end_record(&mut fields, empty, record_line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_shape_refuses_duplicates_other_delimiters_and_ragged_rows() {
        let check = |t: &str| check_csv_records(t.as_bytes());
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
            e.contains("separated by `;`") && e.contains("re-export"),
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
}
