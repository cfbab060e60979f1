//! The user's own document templates (Paramètres → Modèles): typst files a company's
//! users copy from the built-in template and change in their own editor.
//!
//! Where they live: one folder per company under the app's data folder,
//! `<data>/templates/<company id>/<name>.typ` ([`TemplateFolder`]). The template in use
//! is written beside them, in `active.json` (`{"template": "Mon modèle"}`, or `null` for
//! the built-in one), rather than in the app's SQLite file: the engine owns that file's
//! only write connection and the window never writes SQLite, while the choice is read
//! by the window, the command line and the e-mail outbox alike, and belongs with the
//! files it names (a copied or restored folder keeps its choice; a removed company's
//! folder leaves nothing behind elsewhere). It is written to a temporary file and
//! renamed, so a crash leaves the old choice or the new one.
//!
//! The choice is this machine's: templates are files on it, not company records, so
//! they are not synced.
//!
//! A template is checked ([`check`]) by laying out fixed sample documents (see
//! `sample`): a long invoice over several pages with a credit line, a credit note, a
//! draft. [`TemplateFolder::active`] gives the template to lay documents out with: the
//! chosen file when it checks, else the built-in one with a [`TemplateWarning`] saying
//! why, for the window to show. [`ActiveTemplate::pdf`] and [`ActiveTemplate::facturx`]
//! fall back the same way when the chosen template breaks on one particular document,
//! and [`ActiveTemplate::lay_out`] does it for any other layout (the window's page
//! images); each returns the warning with what it made.
//!
//! Who calls what: the command line and the e-mail outbox take
//! `TemplateFolder::new(data_dir, company).active()` once per batch and lay every
//! document out with it; the window does the same off the UI thread and shows the
//! warning beside what it made.
//!
//! Hostile files are normal input: a template is read up to [`MAX_TEMPLATE_BYTES`] and
//! must be UTF-8; typst compiles it in a closed world (it reads no other file) and a
//! panic inside typst is caught and reported as a broken template.

mod sample;

use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::export::pdf::{self, BUILT_IN_TEMPLATE, DocumentPdf, PdfError, Relationship};
use crate::export::sources::{DocumentSources, FileError};
use crate::model::CompanyId;

/// The folder under the app's data folder that holds every company's templates.
pub const TEMPLATES_DIR: &str = "templates";
/// The extension of a template file.
pub const TEMPLATE_EXTENSION: &str = "typ";
/// The file beside the templates that names the one in use.
pub const CHOICE_FILE: &str = "active.json";
/// The longest name, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// The largest template file read (1 MiB): the built-in one is about 5 KiB.
pub const MAX_TEMPLATE_BYTES: u64 = 1024 * 1024;

/// Names Windows reserves for devices, whatever the extension: a file cannot bear them.
const RESERVED_NAMES: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2",
    "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Why a template operation failed.
#[derive(Debug, Error)]
pub enum TemplateError {
    /// The name cannot be a template's: what is wrong with it.
    #[error("“{name}” cannot name a template: {reason}")]
    InvalidName { name: String, reason: &'static str },
    /// A template of that name exists already.
    #[error("a template named “{0}” exists already")]
    Exists(TemplateName),
    /// No template of that name (it was renamed or removed).
    #[error("no template named “{0}”")]
    NotFound(TemplateName),
    /// The file is larger than [`MAX_TEMPLATE_BYTES`].
    #[error("the template “{0}” is too large (1 MiB at most)")]
    TooLarge(TemplateName),
    /// The file is not UTF-8 text.
    #[error("the template “{0}” is not text (UTF-8)")]
    NotText(TemplateName),
    /// The file system refused.
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

impl TemplateError {
    /// A stable code, for the window (`error-template-<code>` in the locale files) and
    /// the logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidName { .. } => "template_name_invalid",
            Self::Exists(_) => "template_exists",
            Self::NotFound(_) => "template_not_found",
            Self::TooLarge(_) => "template_too_large",
            Self::NotText(_) => "template_not_text",
            Self::Io { .. } => "template_io",
        }
    }

    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io { path: path.to_path_buf(), source }
    }
}

/// A template's name: its file is `<name>.typ` in the company's folder. Letters, digits,
/// spaces, `-` and `_`, 1 to [`MAX_NAME_CHARS`] characters, no space at either end, not a
/// name Windows reserves: so it never holds a path separator or `..`, and the same name
/// makes a valid file on every system.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TemplateName(String);

impl TemplateName {
    /// Checks `name` (surrounding spaces are ignored).
    pub fn parse(name: &str) -> Result<Self, TemplateError> {
        // The name as reported: bounded, whatever was typed.
        let invalid =
            |reason| TemplateError::InvalidName { name: name.chars().take(MAX_NAME_CHARS + 1).collect(), reason };
        let trimmed = name.trim();
        if trimmed.is_empty() {
            return Err(invalid("it is empty"));
        }
        if trimmed.chars().count() > MAX_NAME_CHARS {
            return Err(invalid("it is longer than 64 characters"));
        }
        if !trimmed.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_')) {
            return Err(invalid("only letters, digits, spaces, “-” and “_” are allowed"));
        }
        if RESERVED_NAMES.iter().any(|reserved| trimmed.eq_ignore_ascii_case(reserved)) {
            return Err(invalid("the system reserves this name"));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its file's name in the company's folder.
    pub fn file_name(&self) -> String {
        format!("{}.{TEMPLATE_EXTENSION}", self.0)
    }
}

impl fmt::Display for TemplateName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for TemplateName {
    type Error = TemplateError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TemplateName> for String {
    fn from(name: TemplateName) -> Self {
        name.0
    }
}

/// A template to use or to copy: the built-in one or a file of the company's folder.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum TemplateChoice {
    #[default]
    BuiltIn,
    File(TemplateName),
}

impl TemplateChoice {
    /// The file's name, `None` for the built-in template.
    pub fn name(&self) -> Option<&TemplateName> {
        match self {
            Self::BuiltIn => None,
            Self::File(name) => Some(name),
        }
    }
}

/// `active.json`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ChoiceFile {
    template: Option<TemplateName>,
}

/// Why the chosen template is not the one documents are laid out with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateProblem {
    /// The chosen file is not there any more.
    Missing,
    /// It could not be read (too large, not text, refused by the system): why.
    Unreadable(String),
    /// It does not lay documents out: where and why.
    Broken(TemplateFault),
}

/// Where a template is broken: the line of the first error in the template (1-based)
/// when typst gives one, and typst's message(s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateFault {
    pub line: Option<u32>,
    pub message: String,
}

impl TemplateFault {
    /// Reads the `line 12: …` that [`PdfError::Template`] starts with.
    fn of(description: &str) -> Self {
        let line = description
            .strip_prefix("line ")
            .and_then(|rest| rest.split_once(": "))
            .and_then(|(line, message)| Some((line.parse().ok()?, message)));
        match line {
            Some((line, message)) => Self { line: Some(line), message: message.to_owned() },
            None => Self { line: None, message: description.to_owned() },
        }
    }
}

impl fmt::Display for TemplateFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl fmt::Display for TemplateProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str("the file is missing"),
            Self::Unreadable(reason) => f.write_str(reason),
            Self::Broken(fault) => fault.fmt(f),
        }
    }
}

/// The chosen template could not be used: documents are laid out with the built-in one.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("the template “{name}” is not used ({problem}): documents are laid out with the built-in template")]
pub struct TemplateWarning {
    pub name: TemplateName,
    pub problem: TemplateProblem,
}

/// Checks that `source` lays out the sample documents (a long invoice over several
/// pages with a credit line, a credit note, a draft quote): `Ok` or where it is broken.
/// Slow (tens of milliseconds to a second): call it off the UI thread.
pub fn check(source: &str) -> Result<(), TemplateFault> {
    let samples = sample::Samples::new()
        .map_err(|e| TemplateFault { line: None, message: format!("the sample documents could not be built: {e}") })?;
    for (what, input) in samples.inputs() {
        match lay_out(&input, Some(source)) {
            Ok(_) => {}
            Err(PdfError::Template(description)) => {
                let mut fault = TemplateFault::of(&description);
                fault.message = format!("{} (sample {what})", fault.message);
                return Err(fault);
            }
            Err(e) => {
                return Err(TemplateFault { line: None, message: format!("sample {what}: {e}") });
            }
        }
    }
    Ok(())
}

/// Lays `input` out, a panic inside typst reported as a broken template.
fn lay_out(input: &DocumentPdf<'_>, template: Option<&str>) -> Result<Vec<u8>, PdfError> {
    contain(|| pdf::render_with_template(input, template))
}

/// Runs `render`, a panic (a typst bug a hostile template reaches) turned into
/// [`PdfError::Template`].
fn contain<T>(render: impl FnOnce() -> Result<T, PdfError>) -> Result<T, PdfError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(render))
        .unwrap_or_else(|_| Err(PdfError::Template("the layout engine stopped on this template".to_owned())))
}

/// The template documents are laid out with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveTemplate {
    /// What the user chose.
    pub choice: TemplateChoice,
    /// The chosen file's text when it checked; `None`: the built-in template.
    pub source: Option<String>,
    /// Why the chosen file is not used, when it is not.
    pub warning: Option<TemplateWarning>,
}

/// A PDF, and the warning to show when it fell back to the built-in template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    pub warning: Option<TemplateWarning>,
}

impl ActiveTemplate {
    /// The built-in template, chosen.
    pub fn built_in() -> Self {
        Self { choice: TemplateChoice::BuiltIn, source: None, warning: None }
    }

    /// The source to lay out with (`None`: the built-in template), as
    /// [`pdf::render_with_template`] and [`DocumentSources::pdf`] take it.
    pub fn template(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// The PDF of `sources` with this template; when it breaks on this document, with
    /// the built-in one and the warning saying why.
    pub fn pdf(&self, sources: &DocumentSources, created: DateTime<Utc>) -> Result<Rendered, FileError> {
        let (pdf, warning) = self.lay_out(|template| sources.pdf(template, created).map_err(pdf_error))?;
        Ok(Rendered { pdf, warning })
    }

    /// The Factur-X PDF of `sources` with this template, falling back like [`Self::pdf`].
    pub fn facturx(
        &self,
        sources: &DocumentSources,
        relationship: Relationship,
        created: DateTime<Utc>,
    ) -> Result<Rendered, FileError> {
        let xml = sources.cii()?;
        let (pdf, warning) =
            self.lay_out(|template| pdf::render_facturx(&sources.pdf_input(created), template, &xml, relationship))?;
        Ok(Rendered { pdf, warning })
    }

    /// Runs `render` (a layout given the template's source, `None` for the built-in
    /// one) with this template; when it breaks ([`PdfError::Template`]), again with
    /// the built-in one, and returns the warning saying why. For what [`Self::pdf`]
    /// does not cover (the window's page images, say). The warning of a choice that
    /// already fell back comes back with each result. A panic inside `render` is
    /// reported as a broken template.
    pub fn lay_out<T>(
        &self,
        render: impl Fn(Option<&str>) -> Result<T, PdfError>,
    ) -> Result<(T, Option<TemplateWarning>), PdfError> {
        let (Some(source), TemplateChoice::File(name)) = (&self.source, &self.choice) else {
            return Ok((render(None)?, self.warning.clone()));
        };
        match contain(|| render(Some(source))) {
            Ok(laid_out) => Ok((laid_out, None)),
            Err(PdfError::Template(description)) => {
                let warning = TemplateWarning {
                    name: name.clone(),
                    problem: TemplateProblem::Broken(TemplateFault::of(&description)),
                };
                tracing::warn!(%warning, "a document fell back to the built-in template");
                Ok((render(None)?, Some(warning)))
            }
            Err(e) => Err(e),
        }
    }
}

/// The PDF error inside a document file's error (the only kind `DocumentSources::pdf`
/// returns); anything else as an export failure.
fn pdf_error(error: FileError) -> PdfError {
    match error {
        FileError::Pdf(e) => e,
        FileError::Einvoice(e) => PdfError::Export(e.to_string()),
    }
}

/// One company's templates: the folder `<data>/templates/<company id>/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateFolder {
    dir: PathBuf,
}

impl TemplateFolder {
    /// The folder of `company`'s templates under the app's data folder (created when
    /// a template is first written).
    pub fn new(data_dir: &Path, company: CompanyId) -> Self {
        Self { dir: data_dir.join(TEMPLATES_DIR).join(company.0.to_string()) }
    }

    /// The folder itself (Paramètres → Modèles → Ouvrir le dossier).
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The file of template `name`.
    pub fn file(&self, name: &TemplateName) -> PathBuf {
        self.dir.join(name.file_name())
    }

    /// The company's template files, sorted by name (files whose name is not a valid
    /// template name are left out). No folder yet: none.
    pub fn list(&self) -> Result<Vec<TemplateName>, TemplateError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(TemplateError::io(&self.dir)(e)),
        };
        let mut names: Vec<TemplateName> = entries
            .filter_map(Result::ok)
            .filter(|entry| entry.file_type().is_ok_and(|kind| !kind.is_dir()))
            .filter_map(|entry| {
                let path = entry.path();
                if path.extension()? != TEMPLATE_EXTENSION {
                    return None;
                }
                TemplateName::parse(path.file_stem()?.to_str()?).ok()
            })
            .collect();
        names.sort_by_key(|name| name.as_str().to_lowercase());
        Ok(names)
    }

    /// The text of `choice`: the built-in template's, or the file's (read whole, up to
    /// [`MAX_TEMPLATE_BYTES`], UTF-8).
    pub fn source(&self, choice: &TemplateChoice) -> Result<String, TemplateError> {
        let TemplateChoice::File(name) = choice else {
            return Ok(BUILT_IN_TEMPLATE.to_owned());
        };
        let path = self.file(name);
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(TemplateError::NotFound(name.clone())),
            Err(e) => return Err(TemplateError::io(&path)(e)),
        };
        let mut bytes = Vec::new();
        file.take(MAX_TEMPLATE_BYTES + 1).read_to_end(&mut bytes).map_err(TemplateError::io(&path))?;
        if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_TEMPLATE_BYTES {
            return Err(TemplateError::TooLarge(name.clone()));
        }
        String::from_utf8(bytes).map_err(|_| TemplateError::NotText(name.clone()))
    }

    /// Copies `from` (the built-in template or a file) to a new file `name`, and
    /// returns its path. An existing file is never overwritten.
    pub fn duplicate(&self, from: &TemplateChoice, name: &TemplateName) -> Result<PathBuf, TemplateError> {
        let source = self.source(from)?;
        std::fs::create_dir_all(&self.dir).map_err(TemplateError::io(&self.dir))?;
        let path = self.file(name);
        let mut file = match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(TemplateError::Exists(name.clone())),
            Err(e) => return Err(TemplateError::io(&path)(e)),
        };
        let written = std::io::Write::write_all(&mut file, source.as_bytes()).and_then(|()| file.sync_all());
        if let Err(e) = written {
            // No half-written copy is left behind.
            let _ = std::fs::remove_file(&path);
            return Err(TemplateError::io(&path)(e));
        }
        Ok(path)
    }

    /// The template chosen for the company's documents. No choice yet, or a choice file
    /// that cannot be read: the built-in template (logged).
    pub fn chosen(&self) -> TemplateChoice {
        let path = self.dir.join(CHOICE_FILE);
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return TemplateChoice::BuiltIn,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "the template choice could not be read");
                return TemplateChoice::BuiltIn;
            }
        };
        match serde_json::from_slice::<ChoiceFile>(&text) {
            Ok(ChoiceFile { template: Some(name) }) => TemplateChoice::File(name),
            Ok(ChoiceFile { template: None }) => TemplateChoice::BuiltIn,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "the template choice is damaged; built-in used");
                TemplateChoice::BuiltIn
            }
        }
    }

    /// Makes `choice` the template of the company's documents. A file must exist; it
    /// is not checked here: a broken one is reported by [`Self::active`] and falls back.
    pub fn choose(&self, choice: &TemplateChoice) -> Result<(), TemplateError> {
        if let TemplateChoice::File(name) = choice
            && !self.file(name).is_file()
        {
            return Err(TemplateError::NotFound(name.clone()));
        }
        std::fs::create_dir_all(&self.dir).map_err(TemplateError::io(&self.dir))?;
        let json = serde_json::to_vec_pretty(&ChoiceFile { template: choice.name().cloned() })
            .map_err(|e| TemplateError::io(&self.dir)(std::io::Error::other(e)))?;
        let path = self.dir.join(CHOICE_FILE);
        let temporary = self.dir.join(format!("{CHOICE_FILE}.tmp"));
        std::fs::write(&temporary, json)
            .and_then(|()| std::fs::rename(&temporary, &path))
            .map_err(TemplateError::io(&path))
    }

    /// Reads template `name` again and [checks](check) it (Paramètres → Modèles →
    /// Recharger): `Ok` or what is wrong. Slow: call it off the UI thread.
    pub fn check_file(&self, name: &TemplateName) -> Result<(), TemplateProblem> {
        self.checked_source(name).map(drop)
    }

    /// The text of template `name` once it has checked.
    fn checked_source(&self, name: &TemplateName) -> Result<String, TemplateProblem> {
        let source = self.source(&TemplateChoice::File(name.clone())).map_err(|e| match e {
            TemplateError::NotFound(_) => TemplateProblem::Missing,
            e => TemplateProblem::Unreadable(e.to_string()),
        })?;
        check(&source).map_err(TemplateProblem::Broken)?;
        Ok(source)
    }

    /// The template to lay the company's documents out with: the chosen file when it
    /// reads and [checks](check), else the built-in one with the warning saying why.
    /// Slow when a file is chosen (it lays out the samples): call it off the UI thread,
    /// once per batch of documents.
    pub fn active(&self) -> ActiveTemplate {
        let choice = self.chosen();
        let TemplateChoice::File(name) = &choice else {
            return ActiveTemplate::built_in();
        };
        let problem = match self.checked_source(name) {
            Ok(source) => return ActiveTemplate { choice, source: Some(source), warning: None },
            Err(problem) => problem,
        };
        let warning = TemplateWarning { name: name.clone(), problem };
        tracing::warn!(%warning, "the chosen template is not used");
        ActiveTemplate { choice, source: None, warning: Some(warning) }
    }
}

#[cfg(test)]
mod tests;
