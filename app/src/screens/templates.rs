//! Paramètres → Modèles: the company's document templates on this machine (see
//! [`comptoir_core::export::templates`]): the built-in one and the company's files, the
//! one in use marked. "Choisir" (owners and admins), "Dupliquer…" (asks a name),
//! "Modifier dans l'éditeur" (the system's editor), "Recharger" (reads the file again
//! and checks it: "Modèle valide" or "Ligne 12 : …"), "Ouvrir le dossier".
//!
//! Files and folders open through the desktop's shell (the system's programs; a test
//! records instead). Every file operation and every check (it lays out sample
//! documents: tens of milliseconds to a second) runs on a thread of its own; the answers
//! come back through a channel the screen reads each frame, and wake the window.
//!
//! The choice is this machine's (a file beside the templates), not a company record:
//! the offline grace period does not restrict it, only the role does.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};

use comptoir_core::export::templates::{
    ActiveTemplate, TemplateChoice, TemplateError, TemplateFolder, TemplateName, TemplateProblem, TemplateWarning,
};
use comptoir_core::model::{CompanyId, Permission};

use super::{Context, waker};
use crate::i18n::Texts;

/// What a background operation answered.
#[derive(Debug)]
enum Done {
    /// The folder's files.
    Listed(Result<Vec<TemplateName>, TemplateError>),
    /// The template in use, as documents get it (checked, or fallen back with a warning).
    Active(ActiveTemplate),
    Checked(TemplateName, Result<(), TemplateProblem>),
    Duplicated(Result<TemplateName, TemplateError>),
    Chosen(Result<ActiveTemplate, TemplateError>),
    Opened(Result<(), String>),
}

/// The threads at work and their answers.
#[derive(Debug)]
struct Work {
    sender: Sender<Done>,
    answers: Receiver<Done>,
}

impl Default for Work {
    fn default() -> Self {
        let (sender, answers) = std::sync::mpsc::channel();
        Self { sender, answers }
    }
}

impl Work {
    /// Runs `job` on a thread of its own; its answer wakes the window. False when no
    /// thread could be started.
    fn run(&self, wake: Arc<dyn Fn() + Send + Sync>, job: impl FnOnce() -> Done + Send + 'static) -> bool {
        let sender = self.sender.clone();
        std::thread::Builder::new()
            .name("comptoir-templates".into())
            .spawn(move || {
                let _ = sender.send(job());
                wake();
            })
            .is_ok()
    }
}

/// A template's last check.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Check {
    Running,
    Done(Result<(), TemplateProblem>),
}

/// "Dupliquer…" open: what is copied, and the new name as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Duplicating {
    from: TemplateChoice,
    name: String,
    /// The copy is being written.
    creating: bool,
}

/// The Modèles section's state.
#[derive(Debug, Default)]
pub struct TemplatesState {
    /// The open company's folder (a switch of company starts again).
    folder: Option<(CompanyId, TemplateFolder)>,
    /// The folder's files, once read.
    names: Option<Vec<TemplateName>>,
    /// The template in use, once read and checked.
    active: Option<ActiveTemplate>,
    checks: BTreeMap<TemplateName, Check>,
    duplicating: Option<Duplicating>,
    /// A choice sent, until it is written.
    choosing: bool,
    /// The last outcome, in the user's words (`true`: a failure).
    message: Option<(String, bool)>,
    work: Work,
}

impl TemplatesState {
    /// The template in use, as the last check found it (`None` until read): the
    /// fallback warning it carries is the one documents get.
    pub fn active(&self) -> Option<&ActiveTemplate> {
        self.active.as_ref()
    }

    fn take_answers(&mut self, texts: &Texts, wake: &Arc<dyn Fn() + Send + Sync>) {
        while let Ok(done) = self.work.answers.try_recv() {
            match done {
                Done::Listed(Ok(names)) => self.names = Some(names),
                Done::Listed(Err(e)) => {
                    self.names = Some(Vec::new());
                    self.message = Some((error_text(&e, texts), true));
                }
                Done::Active(active) => self.set_active(active),
                Done::Checked(name, result) => {
                    self.checks.insert(name, Check::Done(result));
                }
                Done::Duplicated(Ok(name)) => {
                    self.message = Some((texts.with("templates-created", &[("name", name.to_string().into())]), false));
                    self.duplicating = None;
                    self.list(wake);
                    self.check(name, wake);
                }
                Done::Duplicated(Err(e)) => {
                    if let Some(duplicating) = &mut self.duplicating {
                        duplicating.creating = false;
                    }
                    self.message = Some((error_text(&e, texts), true));
                }
                Done::Chosen(Ok(active)) => {
                    self.choosing = false;
                    let name =
                        active.choice.name().map_or_else(|| texts.get("templates-built-in"), ToString::to_string);
                    self.message = Some((texts.with("templates-chosen", &[("name", name.into())]), false));
                    self.set_active(active);
                }
                Done::Chosen(Err(e)) => {
                    self.choosing = false;
                    self.message = Some((error_text(&e, texts), true));
                }
                Done::Opened(Ok(())) => {}
                Done::Opened(Err(reason)) => {
                    self.message = Some((texts.with("templates-open-failed", &[("reason", reason.into())]), true));
                }
            }
        }
    }

    /// The template in use; the check of its file follows from it.
    fn set_active(&mut self, active: ActiveTemplate) {
        if let TemplateChoice::File(name) = &active.choice {
            let result = match &active.warning {
                Some(warning) => Err(warning.problem.clone()),
                None => Ok(()),
            };
            self.checks.insert(name.clone(), Check::Done(result));
        }
        self.active = Some(active);
    }

    fn folder(&self) -> Option<TemplateFolder> {
        self.folder.as_ref().map(|(_, folder)| folder.clone())
    }

    fn run(&mut self, wake: &Arc<dyn Fn() + Send + Sync>, job: impl FnOnce(TemplateFolder) -> Done + Send + 'static) {
        let Some(folder) = self.folder() else { return };
        if !self.work.run(wake.clone(), move || job(folder)) {
            tracing::warn!("no thread could be started for a template operation");
        }
    }

    fn list(&mut self, wake: &Arc<dyn Fn() + Send + Sync>) {
        self.run(wake, |folder| Done::Listed(folder.list()));
    }

    /// Reads and checks the template in use (what documents get).
    fn load_active(&mut self, wake: &Arc<dyn Fn() + Send + Sync>) {
        if let Some(TemplateChoice::File(name)) = self.active.as_ref().map(|active| &active.choice) {
            self.checks.insert(name.clone(), Check::Running);
        }
        self.run(wake, |folder| Done::Active(folder.active()));
    }

    fn check(&mut self, name: TemplateName, wake: &Arc<dyn Fn() + Send + Sync>) {
        self.checks.insert(name.clone(), Check::Running);
        self.run(wake, move |folder| {
            let result = folder.check_file(&name);
            Done::Checked(name, result)
        });
    }

    /// "Recharger": the file is read and checked again (the one in use as documents
    /// will get it), and the folder listed again (files added or removed beside it).
    fn reload(&mut self, name: TemplateName, wake: &Arc<dyn Fn() + Send + Sync>) {
        self.message = None;
        self.list(wake);
        if self.in_use(&TemplateChoice::File(name.clone())) {
            self.checks.insert(name, Check::Running);
            self.load_active(wake);
        } else {
            self.check(name, wake);
        }
    }

    fn in_use(&self, choice: &TemplateChoice) -> bool {
        self.active.as_ref().is_some_and(|active| active.choice == *choice)
    }
}

/// The Modèles section of Paramètres for company `company`.
pub fn templates_ui(ui: &mut egui::Ui, state: &mut TemplatesState, ctx: &Context<'_>, company: CompanyId) {
    let texts = ctx.texts;
    let wake = waker(ui.ctx());
    if state.folder.as_ref().is_none_or(|(id, _)| *id != company) {
        *state = TemplatesState {
            folder: Some((company, TemplateFolder::new(&ctx.desktop.data_dir, company))),
            ..TemplatesState::default()
        };
        state.list(&wake);
        state.load_active(&wake);
    }
    state.take_answers(texts, &wake);
    ui.weak(texts.get("templates-help"));
    if let Some(warning) = state.active.as_ref().and_then(|active| active.warning.as_ref()) {
        warning_ui(ui, warning, texts);
    }
    // Choosing changes every document's layout: owners and admins only (the choice is
    // this machine's, so the offline grace period does not restrict it).
    let blocked = ctx.cannot_read(Permission::EditCompanySettings);
    if let Some(reason) = &blocked {
        ui.label(egui::RichText::new(reason).italics().weak());
    }
    let mut choices = vec![TemplateChoice::BuiltIn];
    if let Some(names) = &state.names {
        choices.extend(names.iter().cloned().map(TemplateChoice::File));
    }
    for choice in choices {
        ui.separator();
        row_ui(ui, state, &choice, blocked.as_deref(), ctx, &wake);
    }
    ui.separator();
    if state.names.is_none() {
        ui.add(egui::Spinner::new());
    }
    duplicate_ui(ui, state, texts, &wake);
    ui.horizontal_wrapped(|ui| {
        if ui.button(texts.get("templates-open-folder")).clicked() {
            let shell = ctx.desktop.shell.clone();
            state.run(&wake, move |folder| {
                let path = folder.path().to_path_buf();
                let opened = std::fs::create_dir_all(&path)
                    .map_err(|e| e.to_string())
                    .and_then(|()| shell.open(&path).map_err(|e| e.to_string()));
                Done::Opened(opened)
            });
        }
        if let Some(folder) = state.folder() {
            ui.weak(folder.path().display().to_string());
        }
    });
    if let Some((message, failed)) = &state.message {
        let text = egui::RichText::new(message.as_str());
        ui.label(if *failed { text.color(ui.visuals().error_fg_color) } else { text });
    }
}

/// One template: its name (and "En service"), its check, its actions.
fn row_ui(
    ui: &mut egui::Ui,
    state: &mut TemplatesState,
    choice: &TemplateChoice,
    blocked: Option<&str>,
    ctx: &Context<'_>,
    wake: &Arc<dyn Fn() + Send + Sync>,
) {
    let texts = ctx.texts;
    let title = match choice {
        TemplateChoice::BuiltIn => texts.get("templates-built-in"),
        TemplateChoice::File(name) => name.to_string(),
    };
    let in_use = state.in_use(choice);
    // Name and actions on one line; the check's outcome below, wrapped (typst's
    // messages can be long).
    ui.horizontal_wrapped(|ui| {
        ui.label(crate::theme::bold(title.as_str()));
        if in_use {
            ui.label(egui::RichText::new(texts.get("templates-in-use")).color(ui.visuals().selection.bg_fill));
        }
        ui.add_space(12.0);
        let named = |ui: &mut egui::Ui, response: &egui::Response, id: &str| {
            crate::theme::name_for_screen_readers(ui, response, format!("{} — {title}", texts.get(id)));
        };
        let choosable = !in_use && !state.choosing && state.active.is_some();
        let choose = ui.add_enabled(blocked.is_none() && choosable, egui::Button::new(texts.get("templates-choose")));
        let choose = match blocked {
            Some(reason) => choose.on_disabled_hover_text(reason),
            None => choose,
        };
        named(ui, &choose, "templates-choose");
        if choose.clicked() {
            state.choosing = true;
            state.message = None;
            let choice = choice.clone();
            state.run(wake, move |folder| Done::Chosen(folder.choose(&choice).map(|()| folder.active())));
        }
        let duplicate = ui.button(texts.get("templates-duplicate"));
        named(ui, &duplicate, "templates-duplicate");
        if duplicate.clicked() {
            let name = texts.with("templates-copy-name", &[("name", title.clone().into())]);
            state.duplicating = Some(Duplicating { from: choice.clone(), name, creating: false });
            state.message = None;
        }
        let TemplateChoice::File(name) = choice else { return };
        let edit = ui.button(texts.get("templates-edit"));
        named(ui, &edit, "templates-edit");
        if edit.clicked() {
            let shell = ctx.desktop.shell.clone();
            let name = name.clone();
            state.run(wake, move |folder| Done::Opened(shell.open(&folder.file(&name)).map_err(|e| e.to_string())));
        }
        let checking = state.checks.get(name) == Some(&Check::Running);
        let reload = ui.add_enabled(!checking, egui::Button::new(texts.get("templates-reload")));
        named(ui, &reload, "templates-reload");
        if reload.clicked() {
            state.reload(name.clone(), wake);
        }
    });
    match choice {
        TemplateChoice::BuiltIn => ui.label(texts.get("templates-valid")),
        TemplateChoice::File(name) => check_ui(ui, state.checks.get(name), texts),
    };
}

/// A file's last check: "Modèle valide", "Ligne 12 : …", or why it cannot be read.
fn check_ui(ui: &mut egui::Ui, check: Option<&Check>, texts: &Texts) -> egui::Response {
    match check {
        None => ui.weak(texts.get("templates-unchecked")),
        Some(Check::Running) => ui.weak(texts.get("templates-checking")),
        Some(Check::Done(Ok(()))) => ui.label(texts.get("templates-valid")),
        Some(Check::Done(Err(problem))) => ui.colored_label(ui.visuals().error_fg_color, problem_text(problem, texts)),
    }
}

/// What is wrong with a template, in the user's words ("Ligne 12 : unknown variable").
pub fn problem_text(problem: &TemplateProblem, texts: &Texts) -> String {
    match problem {
        TemplateProblem::Missing => texts.get("templates-missing"),
        TemplateProblem::Unreadable(reason) => texts.with("templates-unreadable", &[("reason", reason.clone().into())]),
        TemplateProblem::Broken(fault) => match fault.line {
            Some(line) => texts.with(
                "templates-broken-line",
                &[("line", line.to_string().into()), ("message", fault.message.clone().into())],
            ),
            None => texts.with("templates-broken", &[("message", fault.message.clone().into())]),
        },
    }
}

/// The fallback warning: the chosen template is not used, and why.
pub fn warning_text(warning: &TemplateWarning, texts: &Texts) -> String {
    texts.with(
        "templates-fallback",
        &[("name", warning.name.to_string().into()), ("problem", problem_text(&warning.problem, texts).into())],
    )
}

fn warning_ui(ui: &mut egui::Ui, warning: &TemplateWarning, texts: &Texts) {
    egui::Frame::group(ui.style()).fill(ui.visuals().warn_fg_color.gamma_multiply(0.15)).show(ui, |ui| {
        ui.label(warning_text(warning, texts));
    });
}

/// "Dupliquer…": the new template's name, checked as typed.
fn duplicate_ui(ui: &mut egui::Ui, state: &mut TemplatesState, texts: &Texts, wake: &Arc<dyn Fn() + Send + Sync>) {
    let Some(duplicating) = &mut state.duplicating else { return };
    let mut create = None;
    let mut cancel = false;
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(texts.get("templates-new-name"));
        let field =
            ui.add(egui::TextEdit::singleline(&mut duplicating.name).desired_width(220.0)).labelled_by(label.id);
        let parsed = TemplateName::parse(&duplicating.name);
        let taken = parsed.as_ref().ok().is_some_and(|name| {
            state
                .names
                .iter()
                .flatten()
                .any(|existing| existing.as_str().to_lowercase() == name.as_str().to_lowercase())
        });
        let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let ready = parsed.is_ok() && !taken && !duplicating.creating;
        if ui.add_enabled(ready, egui::Button::new(texts.get("templates-create"))).clicked() || (enter && ready) {
            create = parsed.as_ref().ok().cloned();
        }
        if ui.button(texts.get("editor-cancel")).clicked() {
            cancel = true;
        }
        if !duplicating.name.trim().is_empty() {
            if let Err(e) = &parsed {
                ui.colored_label(ui.visuals().error_fg_color, error_text(e, texts));
            } else if taken {
                ui.colored_label(ui.visuals().error_fg_color, texts.get("error-template_exists"));
            }
        }
    });
    if cancel {
        state.duplicating = None;
    } else if let Some(name) = create {
        duplicating.creating = true;
        let from = duplicating.from.clone();
        state.run(wake, move |folder| Done::Duplicated(folder.duplicate(&from, &name).map(|_| name)));
    }
}

fn error_text(error: &TemplateError, texts: &Texts) -> String {
    texts.error(error.code(), &error.to_string())
}
