//! A document's PDF from its detail panel: "Aperçu" shows its pages in a window of their
//! own (a spinner while they are drawn off the UI thread, then the pages fitted to the
//! window's width with "Page n / N"); "Enregistrer en PDF…" saves it where the user
//! chooses; "Ouvrir" hands it to the system's viewer, which prints. An issued invoice or
//! credit note leaves as its Factur-X PDF, and its preview shows that very file (see
//! [`crate::pdf_pages`]).
//!
//! The PDF is made and drawn on threads of their own; their answers come through
//! channels polled each frame, whose growth is bounded by the work (one message per
//! page, one per save). The page textures are made once per preview and dropped with it
//! (the window closed, the panel closed); the pages are drawn again when the data
//! changes and the document's sources with it.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};

use comptoir_core::export::pdf::PdfError;
use comptoir_core::export::sources::{DocumentSources, FileError};
use comptoir_core::export::templates::TemplateFolder;
use comptoir_core::model::Document;
use thiserror::Error;

use super::{Context, action_button, waker};
use crate::desktop::{OpenError, Shell, Wake};
use crate::i18n::Texts;
use crate::pdf_pages::{PREVIEW_SCALE, PageEvent, RasterError, document_pdf, page_images, write_file};

/// Room between two pages of the preview, in points.
const PAGE_GAP: f32 = 8.0;
/// An A4 page's height over its width: the room a page takes until it is drawn.
const A4_RATIO: f32 = 297.0 / 210.0;

/// The PDF actions of one document's detail panel.
#[derive(Debug, Default)]
pub struct DocumentFiles {
    /// What the document's files are made from, read when first needed and again after
    /// the data changed (`Err`: why it cannot be read, in the user's language).
    sources: Option<Result<DocumentSources, String>>,
    /// The Aperçu window, when open.
    pub preview: Option<Preview>,
    /// The save dialog's answer, when it comes, with what the file is made from.
    chosen: Option<(Receiver<Option<PathBuf>>, Box<DocumentSources>)>,
    /// A save or an open under way.
    job: Option<Receiver<Result<Done, JobError>>>,
    /// How the last save or open ended, in words.
    pub outcome: Option<Result<String, String>>,
}

/// The pages of the Aperçu window.
#[derive(Default)]
pub struct Preview {
    /// What the pages shown (or being drawn) were made from.
    shown: Option<DocumentSources>,
    rendering: Option<Receiver<Rendered>>,
    /// The number of pages, once the PDF is made.
    pub count: Option<usize>,
    /// Each page's texture, once drawn (the previous drawing's stays until then).
    pages: Vec<Option<egui::TextureHandle>>,
    /// Why the pages cannot be shown, in the user's language.
    pub error: Option<String>,
    /// The page at the middle of the view (1-based), from the last frame.
    current: usize,
    /// How many times the pages were made: once when opened, again whenever the
    /// document changed.
    pub drawings: u32,
}

impl std::fmt::Debug for Preview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Preview")
            .field("count", &self.count)
            .field("drawn", &self.drawn())
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl Preview {
    /// How many pages are drawn.
    pub fn drawn(&self) -> usize {
        self.pages.iter().flatten().count()
    }

    /// What the pages shown (or being drawn) are made from.
    pub fn shown(&self) -> Option<&DocumentSources> {
        self.shown.as_ref()
    }

    /// Whether pages are being made or drawn.
    pub fn rendering(&self) -> bool {
        self.rendering.is_some()
    }
}

/// What the preview's thread reports.
enum Rendered {
    Page(PageEvent),
    Failed(Failure),
}

/// Why a preview could not be drawn.
#[derive(Debug, Error)]
enum Failure {
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Raster(#[from] RasterError),
}

/// A save or an open that went through.
#[derive(Debug)]
enum Done {
    Saved { path: PathBuf, facturx: bool },
    Opened(PathBuf),
}

/// Why a save or an open failed.
#[derive(Debug, Error)]
enum JobError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Open { path: PathBuf, source: OpenError },
    #[error("no thread: {0}")]
    Thread(std::io::Error),
}

impl DocumentFiles {
    /// The company's data changed: the sources are read again, and the open preview is
    /// drawn again if they changed.
    pub fn data_changed(&mut self) {
        self.sources = None;
    }

    /// Reads the sources if needed, and draws the preview again when they changed.
    fn load(&mut self, document: &Document, ctx: &Context<'_>, wake: &Wake, scale: f32) {
        if self.sources.is_some() {
            return;
        }
        let loaded = DocumentSources::load(ctx.reader.store(), document.id);
        let loaded = loaded.map_err(|e| ctx.texts.error(e.code(), &e.to_string()));
        if let Some(preview) = &mut self.preview {
            match &loaded {
                Ok(sources) if preview.shown.as_ref() != Some(sources) => {
                    preview.start(sources.clone(), scale, wake.clone(), ctx);
                }
                Ok(_) => {}
                Err(reason) => preview.error = Some(reason.clone()),
            }
        }
        self.sources = Some(loaded);
    }

    /// Takes in what the threads sent since the last frame.
    fn poll(&mut self, ui: &egui::Ui, ctx: &Context<'_>) {
        if let Some(preview) = &mut self.preview {
            preview.poll(ui.ctx(), ctx.texts);
        }
        if let Some((chosen, _)) = &self.chosen {
            match chosen.try_recv() {
                Ok(Some(path)) => {
                    if let Some((_, sources)) = self.chosen.take() {
                        let facturx = sources.is_einvoice();
                        let data_dir = ctx.desktop.data_dir.clone();
                        self.start_job(ctx, waker(ui.ctx()), move |_| {
                            let pdf = made_now(&sources, &data_dir)?;
                            write_file(&path, &pdf).map_err(|source| JobError::Write { path: path.clone(), source })?;
                            Ok(Done::Saved { path, facturx })
                        });
                    }
                }
                Ok(None) | Err(TryRecvError::Disconnected) => self.chosen = None,
                Err(TryRecvError::Empty) => {}
            }
        }
        if let Some(job) = &self.job {
            let outcome = match job.try_recv() {
                Ok(Ok(done)) => Ok(done_text(&done, ctx.texts)),
                Ok(Err(e)) => Err(job_error_text(&e, ctx.texts)),
                Err(TryRecvError::Disconnected) => Err(ctx.texts.get("pdf-job-lost")),
                Err(TryRecvError::Empty) => return,
            };
            self.job = None;
            self.outcome = Some(outcome);
        }
    }

    /// Runs `work` (a save or an open) on a thread of its own.
    fn start_job(
        &mut self,
        ctx: &Context<'_>,
        wake: Wake,
        work: impl FnOnce(&dyn Shell) -> Result<Done, JobError> + Send + 'static,
    ) {
        let (sender, done) = std::sync::mpsc::channel();
        let shell = ctx.desktop.shell.clone();
        let spawned = std::thread::Builder::new().name("comptoir-pdf-file".into()).spawn(move || {
            let _ = sender.send(work(shell.as_ref()));
            wake();
        });
        match spawned {
            Ok(_) => {
                self.outcome = None;
                self.job = Some(done);
            }
            Err(e) => self.outcome = Some(Err(job_error_text(&JobError::Thread(e), ctx.texts))),
        }
    }

    /// Whether a save or an open is under way.
    pub fn busy(&self) -> bool {
        self.chosen.is_some() || self.job.is_some()
    }
}

impl Preview {
    /// Makes and draws the pages of `sources` on a thread of their own, at `scale`
    /// pixels per point; the pages shown stay until their new drawing comes.
    fn start(&mut self, sources: DocumentSources, scale: f32, wake: Wake, ctx: &Context<'_>) {
        let texts = ctx.texts;
        let (sender, rendered) = std::sync::mpsc::channel();
        let made_from = sources.clone();
        let data_dir = ctx.desktop.data_dir.clone();
        let spawned = std::thread::Builder::new().name("comptoir-preview".into()).spawn(move || {
            let drawn = made_now(&made_from, &data_dir).map_err(Failure::from).and_then(|pdf| {
                page_images(pdf, scale, |event| {
                    // Nobody waits any more (the preview closed, or a newer drawing
                    // started): stop.
                    let waited = sender.send(Rendered::Page(event)).is_ok();
                    wake();
                    waited
                })
                .map_err(Failure::from)
            });
            if let Err(failure) = drawn {
                let _ = sender.send(Rendered::Failed(failure));
            }
            wake();
        });
        self.shown = Some(sources);
        self.drawings += 1;
        match spawned {
            Ok(_) => {
                self.rendering = Some(rendered);
                self.error = None;
            }
            Err(e) => self.error = Some(job_error_text(&JobError::Thread(e), texts)),
        }
    }

    /// Takes in the pages drawn since the last frame, as textures.
    fn poll(&mut self, window: &egui::Context, texts: &Texts) {
        while let Some(rendering) = &self.rendering {
            match rendering.try_recv() {
                Ok(Rendered::Page(PageEvent::Count(count))) => {
                    self.count = Some(count);
                    self.pages.resize_with(count, || None);
                    self.current = self.current.clamp(1, count.max(1));
                }
                Ok(Rendered::Page(PageEvent::Page { index, image })) => {
                    if let Some(page) = self.pages.get_mut(index) {
                        let name = format!("document-preview-{index}");
                        *page = Some(window.load_texture(name, image, egui::TextureOptions::LINEAR));
                    }
                }
                Ok(Rendered::Failed(failure)) => {
                    self.error = Some(failure_text(&failure, texts));
                    self.pages.clear();
                    self.count = None;
                    self.rendering = None;
                }
                Err(TryRecvError::Empty) => break,
                // Every page drawn: the thread is gone.
                Err(TryRecvError::Disconnected) => self.rendering = None,
            }
        }
    }
}

/// The PDF actions of `document` (Aperçu, Enregistrer en PDF…, Ouvrir) in its detail
/// panel's row of actions, the outcome of the last save or open, and the Aperçu window
/// when open.
pub fn document_files_ui(ui: &mut egui::Ui, files: &mut DocumentFiles, document: &Document, ctx: &Context<'_>) {
    let texts = ctx.texts;
    let wake = waker(ui.ctx());
    let scale = (PREVIEW_SCALE * ui.ctx().pixels_per_point()).clamp(PREVIEW_SCALE, 2.0 * PREVIEW_SCALE);
    files.load(document, ctx, &wake, scale);
    files.poll(ui, ctx);
    let (sources, unreadable) = match &files.sources {
        Some(Ok(sources)) => (Some(sources), None),
        Some(Err(reason)) => (None, Some(reason.as_str())),
        None => (None, None),
    };
    if action_button(ui, &texts.get("pdf-preview"), unreadable)
        && let Some(sources) = sources
    {
        let mut preview = Preview::default();
        preview.start(sources.clone(), scale, wake.clone(), ctx);
        files.preview = Some(preview);
    }
    let busy = files.busy().then(|| texts.get("pdf-busy"));
    let blocked = unreadable.or(busy.as_deref());
    let facturx = sources.is_some_and(DocumentSources::is_einvoice);
    let hint = texts.get(if facturx { "pdf-save-facturx-hint" } else { "pdf-save-hint" });
    let save = ui.add_enabled(blocked.is_none(), egui::Button::new(texts.get("pdf-save"))).on_hover_text(&hint);
    if save.clicked()
        && let Some(sources) = sources
    {
        let name = sources.file_name("pdf");
        files.outcome = None;
        let chosen = ctx.desktop.shell.choose_save_path(name, ("PDF", &["pdf"]), wake.clone());
        files.chosen = chosen.map(|chosen| (chosen, Box::new(sources.clone())));
    }
    let open = ui
        .add_enabled(blocked.is_none(), egui::Button::new(texts.get("pdf-open")))
        .on_hover_text(texts.get("pdf-open-hint"));
    if open.clicked()
        && let Some(sources) = sources.cloned()
    {
        let folder = ctx.desktop.cache_dir.join("pdf");
        let data_dir = ctx.desktop.data_dir.clone();
        files.start_job(ctx, wake, move |shell| {
            let pdf = made_now(&sources, &data_dir)?;
            let path = folder.join(sources.file_name("pdf"));
            std::fs::create_dir_all(&folder)
                .and_then(|()| write_file(&path, &pdf))
                .map_err(|source| JobError::Write { path: path.clone(), source })?;
            shell.open(&path).map_err(|source| JobError::Open { path: path.clone(), source })?;
            Ok(Done::Opened(path))
        });
    }
    if files.busy() {
        ui.spinner();
    }
    match &files.outcome {
        Some(Ok(text)) => {
            ui.label(text);
        }
        Some(Err(text)) => {
            ui.colored_label(ui.visuals().error_fg_color, text);
        }
        None => {}
    }
    if let Some(preview) = &mut files.preview
        && !preview_window_ui(ui, preview, document, texts)
    {
        files.preview = None;
    }
}

/// The Aperçu window; returns `false` when the user closed it.
fn preview_window_ui(ui: &egui::Ui, preview: &mut Preview, document: &Document, texts: &Texts) -> bool {
    let kind = texts.get(&format!("kind-{}", document.kind.as_str().replace('_', "-")));
    let number = document.number.clone().unwrap_or_else(|| texts.get("document-draft"));
    let title = texts.with("pdf-preview-title", &[("document", format!("{kind} {number}").into())]);
    let mut open = true;
    egui::Window::new(title)
        .id(egui::Id::unique("document-preview"))
        .open(&mut open)
        .collapsible(false)
        .default_size([640.0, 820.0])
        .show(ui.ctx(), |ui| {
            ui.horizontal(|ui| {
                if let Some(count) = preview.count.filter(|count| *count > 0) {
                    let current = preview.current.clamp(1, count);
                    ui.label(texts.with("pdf-preview-page", &[("page", current.into()), ("count", count.into())]));
                }
                if preview.rendering.is_some() {
                    ui.spinner();
                    ui.label(texts.get("pdf-preview-rendering"));
                }
            });
            if let Some(error) = &preview.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            pages_ui(ui, preview, texts);
        });
    open
}

/// The pages, one under the other, fitted to the window's width: a spinner in the room
/// of a page not drawn yet.
fn pages_ui(ui: &mut egui::Ui, preview: &mut Preview, texts: &Texts) {
    let count = preview.pages.len();
    let mut current = preview.current;
    egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
        let width = ui.available_width();
        let middle = ui.clip_rect().center().y;
        for (index, page) in preview.pages.iter().enumerate() {
            let rect = if let Some(texture) = page {
                let [w, h] = texture.size();
                #[allow(clippy::cast_precision_loss, reason = "a page's size in pixels, far below f32's range")]
                let size = egui::vec2(width, width * h as f32 / w.max(1) as f32);
                let alt = texts.with("pdf-preview-page-image", &[("page", (index + 1).into())]);
                let image = egui::Image::from_texture(egui::load::SizedTexture::new(texture.id(), size));
                ui.add(image.alt_text(alt)).rect
            } else {
                let (rect, _) = ui.allocate_exact_size(egui::vec2(width, width * A4_RATIO), egui::Sense::hover());
                ui.put(egui::Rect::from_center_size(rect.center(), egui::vec2(32.0, 32.0)), egui::Spinner::new());
                rect
            };
            if rect.top() <= middle {
                current = index + 1;
            }
            ui.add_space(PAGE_GAP);
        }
    });
    preview.current = current.clamp(1, count.max(1));
}

/// The document's file, made now: the one place the window makes it, so that the
/// preview shows what is saved and opened. Laid out with the company's template in
/// use (Paramètres → Modèles, which shows when the chosen one falls back), the built-in
/// one where it breaks.
fn made_now(sources: &DocumentSources, data_dir: &std::path::Path) -> Result<Vec<u8>, FileError> {
    let now = chrono::Utc::now();
    let template = TemplateFolder::new(data_dir, sources.seller.id).active();
    match document_pdf(sources, template.template(), now) {
        Err(FileError::Pdf(PdfError::Template(_))) if template.template().is_some() => document_pdf(sources, None, now),
        made => made,
    }
}

/// A finished save or open, in words.
fn done_text(done: &Done, texts: &Texts) -> String {
    match done {
        Done::Saved { path, facturx } => {
            let id = if *facturx { "pdf-saved-facturx" } else { "pdf-saved" };
            texts.with(id, &[("path", path.display().to_string().into())])
        }
        Done::Opened(path) => texts.with("pdf-opened", &[("path", path.display().to_string().into())]),
    }
}

/// A failed save or open, in words.
fn job_error_text(error: &JobError, texts: &Texts) -> String {
    match error {
        JobError::File(e) => file_error_text(e, texts),
        JobError::Write { path, source } => texts.with(
            "pdf-write-failed",
            &[("path", path.display().to_string().into()), ("reason", source.to_string().into())],
        ),
        JobError::Open { path, source } => texts.with(
            "pdf-open-failed",
            &[("path", path.display().to_string().into()), ("reason", source.to_string().into())],
        ),
        JobError::Thread(e) => texts.with("pdf-thread-failed", &[("reason", e.to_string().into())]),
    }
}

/// Why the preview could not be drawn, in words.
fn failure_text(failure: &Failure, texts: &Texts) -> String {
    match failure {
        Failure::File(e) => file_error_text(e, texts),
        Failure::Raster(e) => texts.with("pdf-preview-unreadable", &[("reason", e.to_string().into())]),
    }
}

/// A document's file that cannot be made, in words: the error's text in the user's
/// language where the locale files have one, else its own message (a broken template
/// says where it is broken).
fn file_error_text(error: &FileError, texts: &Texts) -> String {
    match error {
        FileError::Pdf(PdfError::Template(place)) => {
            texts.with("pdf-template-broken", &[("reason", place.clone().into())])
        }
        _ => texts.error(error.code(), &error.to_string()),
    }
}
