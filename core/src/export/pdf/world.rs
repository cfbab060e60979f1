//! The closed world a document is compiled in: the template as the main file, the
//! document's data, logo and QR code as files beside it, and the fonts built into the
//! library. Nothing is read from the disk or the network, so the output depends only
//! on what is given (and a template cannot read the user's files).
//!
//! Fonts: `DejaVu Sans` and `DejaVu Sans Bold` (`resources/fonts/`, Bitstream Vera licence,
//! free to embed and redistribute), the app's own font: it covers Latin, Greek and
//! Cyrillic with `€`, and the app's binary already carries it.

use std::sync::OnceLock;

use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt as _, World, WorldExt as _};

/// The built-in template.
pub(super) const TEMPLATE: &str = include_str!("../../../../resources/templates/document.typ");
const REGULAR: &[u8] = include_bytes!("../../../../resources/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../../../resources/fonts/DejaVuSans-Bold.ttf");

/// The paths the template reads.
pub(super) const MAIN_PATH: &str = "/document.typ";
pub(super) const DATA_PATH: &str = "/data.json";
pub(super) const LOGO_PATH: &str = "/logo.png";
pub(super) const QR_PATH: &str = "/qr.svg";
/// The CII XML a Factur-X attaches (see `facturx`).
pub(super) const FACTURX_PATH: &str = "/factur-x.xml";

/// What every compilation shares: the standard library and the fonts, built once.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let fonts: Vec<Font> = [REGULAR, BOLD].into_iter().filter_map(|data| Font::new(Bytes::new(data), 0)).collect();
        Shared {
            library: LazyHash::new(Library::builder().build()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        }
    })
}

/// `text` as the fonts can print it: a control character becomes a space (a line
/// break stays), a character the fonts have no glyph for becomes `?`. A PDF/A refuses text
/// it cannot show (and a plain PDF would show an empty box), and a customer's name or a
/// pasted description can hold anything.
pub(super) fn printable(text: &str) -> Option<String> {
    let faces = faces();
    // In both fonts: any text may be printed bold (DejaVu Sans Bold has fewer glyphs).
    // The glyph tables themselves, not typst's coverage: a font may map a code point to
    // its .notdef glyph (DejaVu Sans does U+0E86), which PDF/A refuses.
    let shown =
        |c: char| !faces.is_empty() && faces.iter().all(|face| face.glyph_index(c).is_some_and(|glyph| glyph.0 != 0));
    let fits = |c: char| c == '\n' || (!c.is_control() && (c == ' ' || shown(c)));
    if text.chars().all(fits) {
        return None;
    }
    Some(
        text.chars()
            .map(|c| match c {
                c if fits(c) => c,
                c if c.is_control() || c.is_whitespace() => ' ',
                _ => '?',
            })
            .collect(),
    )
}

/// The fonts' glyph tables, parsed once (a font that does not parse has no glyphs).
fn faces() -> &'static [ttf_parser::Face<'static>] {
    static FACES: OnceLock<Vec<ttf_parser::Face<'static>>> = OnceLock::new();
    FACES.get_or_init(|| [REGULAR, BOLD].into_iter().filter_map(|data| ttf_parser::Face::parse(data, 0).ok()).collect())
}

/// The file id of a path in the project (the ids are interned once per path).
pub(super) fn file_id(path: &str) -> Option<FileId> {
    VirtualPath::new(path).ok().map(|vpath| RootedPath::new(VirtualRoot::Project, vpath).intern())
}

/// One document's world.
pub(super) struct DocumentWorld {
    main: Source,
    files: Vec<(FileId, Bytes)>,
    today: Datetime,
}

impl DocumentWorld {
    /// A world whose main file is `source` (a template), with `files` (path, bytes)
    /// beside it; `today` is what the template's `datetime.today()` gives.
    pub(super) fn new(source: String, files: Vec<(&str, Vec<u8>)>, today: Datetime) -> Option<Self> {
        let main = Source::new(file_id(MAIN_PATH)?, source);
        let files = files
            .into_iter()
            .map(|(path, bytes)| Some((file_id(path)?, Bytes::new(bytes))))
            .collect::<Option<Vec<_>>>()?;
        Some(Self { main, files, today })
    }

    /// The diagnostics as one message: each with its line in the template when it has
    /// one ("line 12: unknown variable: foo").
    pub(super) fn describe(&self, diagnostics: &[SourceDiagnostic]) -> String {
        diagnostics
            .iter()
            .map(|diagnostic| {
                let line = (diagnostic.span.id() == Some(self.main.id()))
                    .then(|| self.range(diagnostic.span))
                    .flatten()
                    .and_then(|range| self.main.lines().byte_to_line(range.start));
                match line {
                    Some(line) => format!("line {}: {}", line + 1, diagnostic.message),
                    None => diagnostic.message.to_string(),
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl World for DocumentWorld {
    fn library(&self) -> &LazyHash<Library> {
        &shared().library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &shared().book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() { Ok(self.main.clone()) } else { Err(FileError::NotSource) }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.clone()));
        }
        self.files
            .iter()
            .find(|(file, _)| *file == id)
            .map(|(_, bytes)| bytes.clone())
            .ok_or_else(|| FileError::NotFound(id.get().vpath().get_without_slash().into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        shared().fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn what_the_fonts_lack_becomes_a_question_mark() {
        assert_eq!(printable("Überprüfung — 2 €"), None);
        assert_eq!(printable("a\u{7}b\nc").as_deref(), Some("a b\nc"));
        assert_eq!(printable("\u{e86}\u{4e2d}").as_deref(), Some("??"));
    }
}
