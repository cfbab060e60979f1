//! Bytes to text: UTF-8 (with or without its byte-order mark), else Windows-1252, the
//! encoding Excel uses for "CSV (séparateur : point-virgule)" on a French or Dutch
//! Windows. Nothing else is guessed: UTF-16 and binary files are refused by name.

use super::ImportError;

/// The encoding a file was read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Windows1252,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Windows1252 => "Windows-1252",
        }
    }
}

/// What Windows-1252 puts at 0x80–0x9F (the rest of its upper half is Latin-1). The five
/// bytes it leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) stay the C1 controls of the
/// same value, as browsers read them.
const WINDOWS_1252_80_9F: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}', //
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
];

/// One Windows-1252 byte as a character.
fn windows_1252(byte: u8) -> char {
    match byte {
        0x80..=0x9F => WINDOWS_1252_80_9F[usize::from(byte - 0x80)],
        other => char::from(other),
    }
}

/// Reads `bytes` as text; the byte-order mark, when there is one, is not part of it.
pub fn decode(bytes: &[u8]) -> Result<(String, Encoding), ImportError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(ImportError::Utf16);
    }
    if bytes.contains(&0) {
        return Err(ImportError::NotText);
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok((text.to_owned(), Encoding::Utf8)),
        Err(_) => Ok((bytes.iter().copied().map(windows_1252).collect(), Encoding::Windows1252)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(
            decode("Nom;Ville\nÉlise;Liège".as_bytes()).unwrap(),
            ("Nom;Ville\nÉlise;Liège".into(), Encoding::Utf8)
        );
        let mut with_bom = vec![0xEF, 0xBB, 0xBF];
        with_bom.extend_from_slice("Désignation".as_bytes());
        assert_eq!(decode(&with_bom).unwrap().0, "Désignation");
    }

    #[test]
    fn windows_1252_upper_half() {
        // "Désignation;Prix €" as Excel saves it on a French Windows.
        let bytes = b"D\xE9signation;Prix \x80;\x9Cuvre \x92s \x85";
        let (text, encoding) = decode(bytes).unwrap();
        assert_eq!(encoding, Encoding::Windows1252);
        assert_eq!(text, "Désignation;Prix €;œuvre ’s …");
        // Every byte but NUL reads as one character.
        let all: Vec<u8> = (1..=255).collect();
        assert_eq!(decode(&all).unwrap().0.chars().count(), 255);
        assert_eq!(windows_1252(0xA0), '\u{A0}');
        assert_eq!(windows_1252(0xFF), 'ÿ');
        assert_eq!(windows_1252(0x9F), 'Ÿ');
    }

    #[test]
    fn utf16_and_binary_are_refused() {
        assert_eq!(decode(&[0xFF, 0xFE, b'N', 0]).unwrap_err().code(), "import_utf16");
        assert_eq!(decode(b"PK\x03\x04\x00\x00").unwrap_err().code(), "import_not_text");
    }
}
