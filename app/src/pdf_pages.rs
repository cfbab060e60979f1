//! A document's PDF as the window hands it out, and its pages as images: the work behind
//! Aperçu, Enregistrer en PDF… and Ouvrir, done on threads of their own, never on the UI
//! thread.
//!
//! The preview shows the very bytes that are saved: an issued invoice or credit note is
//! its Factur-X PDF/A-3b, any other document its plain PDF (a draft prints
//! "BROUILLON", the template's job). `hayro` rasterises those bytes (it is already built
//! for typst), so what the user sees is the file, not a second rendering of it.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use comptoir_core::export::pdf::Relationship;
use comptoir_core::export::sources::{DocumentSources, FileError};
use thiserror::Error;

/// Pixels per PDF point of a preview's images at a window scale of 1 (an A4 page, 595
/// points wide, is 893 pixels wide): sharp when fitted to a preview window of usual width.
pub const PREVIEW_SCALE: f32 = 1.5;

/// The file a document leaves the app as: the Factur-X PDF of an issued invoice or
/// credit note, the PDF of any other document; `template`: the template's source (the
/// built-in one when `None`).
pub fn document_pdf(
    sources: &DocumentSources,
    template: Option<&str>,
    created: DateTime<Utc>,
) -> Result<Vec<u8>, FileError> {
    if sources.is_einvoice() {
        sources.facturx(template, Relationship::Data, created)
    } else {
        sources.pdf(template, created)
    }
}

/// What the rasteriser reports, in order: the number of pages, then each page.
#[derive(Debug)]
pub enum PageEvent {
    Count(usize),
    Page { index: usize, image: egui::ColorImage },
}

/// Why a PDF's pages cannot be drawn.
#[derive(Debug, Error)]
pub enum RasterError {
    #[error("the PDF cannot be read: {0:?}")]
    Unreadable(hayro::hayro_syntax::LoadPdfError),
}

/// Draws each page of `pdf` at `scale` pixels per point, on a white ground, and hands
/// the count, then each page as it is drawn, to `each`; stops early when `each` returns
/// `false` (nobody waits for the pages any more).
pub fn page_images(pdf: Vec<u8>, scale: f32, mut each: impl FnMut(PageEvent) -> bool) -> Result<(), RasterError> {
    use hayro::hayro_interpret::InterpreterSettings;
    use hayro::{RenderCache, RenderSettings};

    let pdf = hayro::hayro_syntax::Pdf::new(Arc::new(pdf)).map_err(RasterError::Unreadable)?;
    let pages = pdf.pages();
    if !each(PageEvent::Count(pages.len())) {
        return Ok(());
    }
    let cache = RenderCache::new();
    // The fonts are embedded (typst embeds every font it uses): nothing to resolve.
    let interpreter = InterpreterSettings::default();
    let settings = RenderSettings {
        x_scale: scale,
        y_scale: scale,
        bg_color: hayro::vello_cpu::color::palette::css::WHITE,
        ..RenderSettings::default()
    };
    for (index, page) in pages.iter().enumerate() {
        let pixmap = hayro::render(page, &cache, &interpreter, &settings);
        let size = [usize::from(pixmap.width()), usize::from(pixmap.height())];
        let image = egui::ColorImage::from_rgba_premultiplied(size, pixmap.data_as_u8_slice());
        if !each(PageEvent::Page { index, image }) {
            break;
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` whole or not at all: into a file beside it first, then moved
/// over it (a PDF half written by a crash or a full disk is never left under its name).
pub fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut part = path.as_os_str().to_owned();
    part.push(".part");
    let part = std::path::PathBuf::from(part);
    let written = std::fs::File::create(&part).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&part, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            Err(e)
        }
    }
}
