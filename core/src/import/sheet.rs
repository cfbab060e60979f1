//! CSV text to rows of cells (RFC 4180: fields in double quotes may hold the separator,
//! line breaks and doubled quotes), with the separator guessed from the header.
//!
//! A record whose quotes do not balance is refused alone: parsing starts again on the
//! physical line after the one where it began, so one stray quote costs one row, not
//! the rest of the file.

use super::{ImportError, MAX_COLUMNS, MAX_ROWS, RowProblem};

/// A quoted field may span this many physical lines; past them, its opening quote is
/// taken for a stray one (an address has a few lines, not a hundred).
const MAX_RECORD_LINES: usize = 100;

/// The separators a spreadsheet writes: `;` (French and Dutch Excel), `,`, tab.
const SEPARATORS: [char; 3] = [';', ',', '\t'];

/// A file read as rows: the header, then one row per record, each with the number of the
/// physical line where it starts (the header's is 1 when it opens the file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sheet {
    pub separator: char,
    pub encoding: super::Encoding,
    pub headers: Vec<String>,
    pub rows: Vec<SheetRow>,
}

/// One record of the file: its cells, or why they could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetRow {
    pub line: usize,
    pub cells: Result<Vec<String>, RowProblem>,
}

/// The separator the header uses most, outside quotes (`;` when it has none: one column).
pub fn detect_separator(text: &str) -> char {
    let mut counts = [0usize; SEPARATORS.len()];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = SEPARATORS.iter().position(|s| *s == c) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    // The first of the most frequent: `;` wins a tie, as French files mostly use it.
    let best = counts.iter().enumerate().fold(0, |best, (i, n)| if *n > counts[best] { i } else { best });
    SEPARATORS[best]
}

/// How reading one record ended.
enum Record {
    Cells(Vec<String>),
    Malformed(RowProblem),
}

/// A cursor over the text, counting physical lines.
struct Reader<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
    separator: char,
}

impl Reader<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Consumes a line break (`\n`, `\r\n` or a lone `\r`) after its first character.
    fn end_of_line(&mut self, c: char) {
        if c == '\r' && self.peek() == Some('\n') {
            self.pos += 1;
        }
        self.line += 1;
    }

    /// Skips to the start of the physical line after the one at `from` (recovery).
    fn skip_line_from(&mut self, from: usize, line: usize) {
        self.pos = from;
        self.line = line;
        while let Some(c) = self.bump() {
            if c == '\n' || c == '\r' {
                self.end_of_line(c);
                return;
            }
        }
    }

    /// Reads one record from the current position.
    fn record(&mut self) -> Record {
        let start_line = self.line;
        let mut cells = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut at_field_start = true;
        loop {
            let Some(c) = self.bump() else {
                if quoted {
                    return Record::Malformed(RowProblem::UnbalancedQuotes);
                }
                cells.push(field);
                return Record::Cells(cells);
            };
            if quoted {
                match c {
                    '"' if self.peek() == Some('"') => {
                        self.pos += 1;
                        field.push('"');
                    }
                    '"' => {
                        quoted = false;
                        // After a closing quote: the separator, a line break or the end.
                        match self.peek() {
                            None | Some('\n' | '\r') => {}
                            Some(next) if next == self.separator => {}
                            Some(_) => return Record::Malformed(RowProblem::UnbalancedQuotes),
                        }
                    }
                    '\n' | '\r' => {
                        self.end_of_line(c);
                        field.push('\n');
                        if self.line - start_line > MAX_RECORD_LINES {
                            return Record::Malformed(RowProblem::UnbalancedQuotes);
                        }
                    }
                    other => field.push(other),
                }
                continue;
            }
            match c {
                '"' if at_field_start => {
                    quoted = true;
                    at_field_start = false;
                }
                '\n' | '\r' => {
                    self.end_of_line(c);
                    cells.push(field);
                    return Record::Cells(cells);
                }
                c if c == self.separator => {
                    cells.push(std::mem::take(&mut field));
                    at_field_start = true;
                    if cells.len() >= MAX_COLUMNS {
                        return Record::Malformed(RowProblem::TooManyCells { max: MAX_COLUMNS });
                    }
                }
                // A quote inside an unquoted field is kept as typed (`12 "bis"`).
                other => {
                    field.push(other);
                    at_field_start = false;
                }
            }
        }
    }
}

/// Reads `text` (already decoded) into a header and rows. Blank lines and rows whose
/// cells are all empty (a spreadsheet's trailing rows) are skipped.
pub fn parse(text: &str, encoding: super::Encoding) -> Result<Sheet, ImportError> {
    let separator = detect_separator(text);
    let mut reader = Reader { text, pos: 0, line: 1, separator };
    let mut headers = None;
    let mut rows = Vec::new();
    while reader.pos < text.len() {
        let (start, line) = (reader.pos, reader.line);
        let record = reader.record();
        let cells = match record {
            Record::Cells(cells) if cells.iter().all(|c| c.trim().is_empty()) => continue,
            Record::Cells(cells) => Ok(cells),
            Record::Malformed(problem) => {
                reader.skip_line_from(start, line);
                Err(problem)
            }
        };
        if headers.is_none() {
            match cells {
                Ok(cells) => headers = Some(cells.into_iter().map(|h| h.trim().to_owned()).collect()),
                Err(problem) => return Err(ImportError::BadHeader { line, problem }),
            }
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(ImportError::TooManyRows { max: MAX_ROWS });
        }
        rows.push(SheetRow { line, cells });
    }
    let headers = headers.ok_or(ImportError::Empty)?;
    if rows.is_empty() {
        return Err(ImportError::NoRows);
    }
    Ok(Sheet { separator, encoding, headers, rows })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::Encoding;

    fn rows(text: &str) -> Vec<(usize, Result<Vec<String>, RowProblem>)> {
        parse(text, Encoding::Utf8).unwrap().rows.into_iter().map(|r| (r.line, r.cells)).collect()
    }

    #[allow(clippy::unnecessary_wraps, reason = "compared with rows' cells, which are results")]
    fn cells(list: &[&str]) -> Result<Vec<String>, RowProblem> {
        Ok(list.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn separators_are_guessed_from_the_header() {
        assert_eq!(detect_separator("Nom;Ville;Pays\n"), ';');
        assert_eq!(detect_separator("Name,City,Country\n"), ',');
        assert_eq!(detect_separator("Name\tCity\n"), '\t');
        assert_eq!(detect_separator("\"Nom, prénom\";Ville\n"), ';', "a separator in quotes does not count");
        assert_eq!(detect_separator("Nom\n"), ';');
        assert_eq!(detect_separator(""), ';');
    }

    #[test]
    fn quotes_line_breaks_and_line_numbers() {
        let text = "Nom;Adresse;Ville\r\n\
                    Martin;\"12 rue \"\"Haute\"\"\";Lyon\r\n\
                    \r\n\
                    \"Dupont; fils\";\"Bât. B\r\n3 rue Basse\";Paris\r\n\
                    ;;\r\n\
                    Durand;12 \"bis\" rue;Nice";
        let sheet = parse(text, Encoding::Utf8).unwrap();
        assert_eq!(sheet.separator, ';');
        assert_eq!(sheet.headers, ["Nom", "Adresse", "Ville"]);
        assert_eq!(
            rows(text),
            [
                (2, cells(&["Martin", "12 rue \"Haute\"", "Lyon"])),
                (4, cells(&["Dupont; fils", "Bât. B\n3 rue Basse", "Paris"])),
                (7, cells(&["Durand", "12 \"bis\" rue", "Nice"])),
            ]
        );
    }

    #[test]
    fn an_unbalanced_quote_costs_its_row_only() {
        let text = "Nom,Ville\nA,Lyon\n\"B,Paris\nC,Nice\n\"D\" x,Metz\nE,Brest\n";
        assert_eq!(
            rows(text),
            [
                (2, cells(&["A", "Lyon"])),
                (3, Err(RowProblem::UnbalancedQuotes)),
                (4, cells(&["C", "Nice"])),
                (5, Err(RowProblem::UnbalancedQuotes)),
                (6, cells(&["E", "Brest"])),
            ]
        );
        // Unclosed at the end of the file.
        assert_eq!(
            rows("Nom\nA\n\"B\nC"),
            [(2, cells(&["A"])), (3, Err(RowProblem::UnbalancedQuotes)), (4, cells(&["C"]))]
        );
    }

    #[test]
    fn file_level_errors() {
        assert_eq!(parse("", Encoding::Utf8).unwrap_err().code(), "import_empty");
        assert_eq!(parse("\n\n;;\n", Encoding::Utf8).unwrap_err().code(), "import_empty");
        assert_eq!(parse("Nom;Ville\n", Encoding::Utf8).unwrap_err().code(), "import_no_rows");
        assert_eq!(parse("\"Nom;Ville\nA;B", Encoding::Utf8).unwrap_err().code(), "import_bad_header");
        let wide = format!("{}\nA", ";".repeat(MAX_COLUMNS + 5));
        assert_eq!(parse(&wide, Encoding::Utf8).unwrap_err().code(), "import_bad_header");
        let long = format!("Nom\n{}", "A\n".repeat(MAX_ROWS + 1));
        assert_eq!(parse(&long, Encoding::Utf8).unwrap_err().code(), "import_too_many_rows");
    }
}
