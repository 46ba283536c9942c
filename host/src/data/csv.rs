//! The CSV shape check that runs before polars parses a file.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::shorten;
use crate::policy::CsvDialect;

/// Reads a CSV file once, quote-aware, before polars does, and refuses what polars would read
/// wrongly or explain badly: a header that is one column holding another delimiter, duplicate
/// column names (polars would rename them silently), and rows with more or fewer fields than the
/// header. Blank lines are skipped, as polars does. The error says what is wrong and what to do.
pub(super) fn check_csv_shape(path: &Path, dialect: &CsvDialect) -> Result<(), String> {
    let file = File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    check_csv_records(file, dialect)
}

/// How a separator is named in messages.
fn separator_name(d: u8) -> String {
    match d {
        b'\t' => "a tab".to_string(),
        d => format!("`{}`", d as char),
    }
}

fn check_csv_records(reader: impl Read, dialect: &CsvDialect) -> Result<(), String> {
    let (sep, quote) = (dialect.separator, dialect.quote_char);
    let sep_name = separator_name(sep);
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
                    let others = [b',', b';', b'\t', b'|'].into_iter().filter(|d| *d != sep);
                    if let Some(d) = others.into_iter().find(|d| names[0].as_bytes().contains(d)) {
                        let (shown, escaped) = (separator_name(d), if d == b'\t' { "\\t".to_string() } else { (d as char).to_string() });
                        return Err(format!(
                            "the first row is a single field `{}`: the file looks separated by {shown}, not \
                             {sep_name}; say so on the dataset: `{{ path = \"…\", separator = \"{escaped}\" }}`",
                            shorten(&names[0], 60)
                        ));
                    }
                }
                if !dialect.has_header {
                    // Without a header row the first row is data: it only sets the field count.
                    header = Some((0..names.len()).map(|i| format!("column_{}", i + 1)).collect());
                    return Ok(());
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
                    "line {record_line} has {n} fields but the {} has {}; fix that row (a missing or extra \
                     {sep_name}, or a {sep_name} inside a value that is not quoted)",
                    if dialect.has_header { "header" } else { "first row" },
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
            if Some(b) == quote {
                fields.last_mut().expect("a record has a field").push(b);
                continue;
            }
            in_quotes = false;
        }
        if in_quotes {
            match b {
                b if Some(b) == quote => quote_pending = true,
                b'\n' => {
                    line += 1;
                    fields.last_mut().expect("a record has a field").push(b);
                }
                _ => fields.last_mut().expect("a record has a field").push(b),
            }
            continue;
        }
        match b {
            b if Some(b) == quote && fields.last().is_some_and(|f| f.is_empty()) => {
                in_quotes = true;
                empty = false;
            }
            b if b == sep => {
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
        let check = |t: &str| check_csv_records(t.as_bytes(), &CsvDialect::default());
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
