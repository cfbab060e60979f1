//! The first-run wizard: Connexion (with the two-factor code when the account has it),
//! Choix de l'entreprise (when the account has several), Synchronisation initiale, Prêt.
//! It draws the engine's setup steps and turns the user's clicks into commands.
//!
//! The first step also offers the ways without a server ([`crate::local_setup`]): a
//! company created on this computer — the app's local host creates and serves it, then
//! the wizard signs in to it over the loopback as to any server — or a computer of the
//! local network joined by its invitation.

use comptoir_core::engine::{Command, CompanyChoice, Event, Progress, Secret, SetupError, SetupStep};
use comptoir_core::sync::RecordKind;

use crate::i18n::Texts;
use crate::local_host::NewCompany;
use crate::local_setup::{CreateForm, JoinForm, LocalAction, Start};

/// Demo credentials the wizard shows (demo mode only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoAccount {
    pub email: String,
    pub password: String,
}

/// What the wizard holds between frames.
#[derive(Debug)]
pub struct Wizard {
    /// The engine's current step (`None` until it says).
    pub step: Option<SetupStep>,
    pub error: Option<SetupError>,
    pub server: String,
    /// The address the engine accepted, if any.
    accepted_server: Option<String>,
    pub email: String,
    pub password: String,
    pub code: String,
    /// A sign-in waiting for the engine to accept the server's address first.
    sign_in_after_server: bool,
    /// A request is with the engine: buttons wait.
    pub busy: bool,
    /// The download's latest progress, still shown once it is done.
    pub progress: Option<Progress>,
    /// The user went through a step of the wizard in this run (not just a company
    /// reopened at start).
    pub walked: bool,
    demo: Option<DemoAccount>,
    /// The way the first step goes: a server, a company created here, a host joined.
    pub start: Start,
    pub create: CreateForm,
    pub join: JoinForm,
    /// Where the company created on this computer stands.
    created: Created,
    /// Why the local host could not create or serve the company.
    host_problem: Option<crate::hosting::HostProblem>,
}

/// The company of « Créer une entreprise sur cet ordinateur », as the wizard follows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Created {
    /// None asked for.
    #[default]
    Not,
    /// Handed to the local host to create and serve: the sign-in waits for it to serve
    /// ([`Wizard::host_serving`]).
    Creating,
    /// Served at `own` (the host's loopback address): a retry signs in again rather than
    /// creating another company.
    Served { own: String },
}

/// What a frame of the wizard asks for.
#[derive(Debug, Default)]
pub struct WizardOutput {
    pub commands: Vec<Command>,
    /// "Commencer" was clicked on this company.
    pub start: Option<CompanyChoice>,
    /// « Créer » on the form of a company hosted here: the app's local host creates and
    /// serves it (then [`Wizard::host_serving`] or [`Wizard::host_failed`]).
    pub create: Option<NewCompany>,
}

impl Wizard {
    pub fn new(demo: Option<DemoAccount>) -> Self {
        Self {
            step: None,
            error: None,
            server: String::new(),
            accepted_server: None,
            email: demo.as_ref().map(|d| d.email.clone()).unwrap_or_default(),
            password: String::new(),
            code: String::new(),
            sign_in_after_server: false,
            busy: false,
            progress: None,
            walked: false,
            demo,
            start: Start::default(),
            create: CreateForm::default(),
            join: JoinForm::default(),
            created: Created::Not,
            host_problem: None,
        }
    }

    /// Whether a company created here waits for the local host to serve it.
    pub fn awaiting_host(&self) -> bool {
        self.created == Created::Creating
    }

    /// The local host serves the company created here at `own` (its loopback
    /// `comptoir-lan://` address): the wizard signs in to it with the owner's email and
    /// password, as to any server, then downloads it.
    pub fn host_serving(&mut self, own: &str) -> Command {
        self.created = Created::Served { own: own.to_owned() };
        own.clone_into(&mut self.server);
        self.sign_in()
    }

    /// A company of a server moves onto this computer's host (« Héberger sur cet
    /// ordinateur »), its owner `email` keeping `password` here: once the host serves
    /// it, the wizard signs in to it as after « Créer une entreprise sur cet ordinateur ».
    pub fn await_moved_host(&mut self, email: &str, password: &str) {
        email.clone_into(&mut self.email);
        password.clone_into(&mut self.password);
        self.start = Start::Moving;
        self.created = Created::Creating;
        // The steps of the company left behind are over: the engine says the next one.
        self.step = None;
        self.progress = None;
        self.host_problem = None;
        self.error = None;
    }

    /// Signs in to `server` as `email` (a company given back to it from this computer):
    /// the steps of the company left behind are over, the engine says the next one.
    pub fn sign_in_to(&mut self, server: &str, email: &str, password: &str) -> Command {
        self.start = Start::Server;
        self.created = Created::Not;
        self.step = None;
        self.progress = None;
        server.clone_into(&mut self.server);
        email.clone_into(&mut self.email);
        password.clone_into(&mut self.password);
        self.sign_in()
    }

    /// The local host could not create or serve the company (`reason`, in the host's
    /// words, when it gave one).
    pub fn host_failed(&mut self, reason: Option<crate::hosting::HostProblem>) {
        self.created = Created::Not;
        self.busy = false;
        self.host_problem =
            Some(reason.unwrap_or_else(|| crate::hosting::HostProblem::new("host_stopped", "the host stopped")));
    }

    /// Does what a form without a server asked.
    fn local_action(&mut self, action: LocalAction, out: &mut WizardOutput) {
        self.error = None;
        self.host_problem = None;
        match action {
            LocalAction::Back => self.start = Start::Server,
            LocalAction::Create(company) => {
                self.email.clone_from(&company.email);
                self.password.clone_from(&company.password.0);
                if let Created::Served { own } = self.created.clone() {
                    // Created already; only the sign-in failed: try it again.
                    out.commands.push(self.host_serving(&own));
                } else {
                    self.busy = true;
                    self.created = Created::Creating;
                    out.create = Some(company);
                }
            }
            LocalAction::Join { invitation, device_name } => {
                self.busy = true;
                out.commands.push(Command::Join { invitation, device_name });
            }
        }
    }

    /// The demo account, in demo mode.
    pub fn demo_account(&self) -> Option<&DemoAccount> {
        self.demo.as_ref()
    }

    /// Takes in one of the engine's events; may ask for a command in reply.
    pub fn on_event(&mut self, event: &Event) -> Option<Command> {
        match event {
            Event::Setup(step) => {
                match step {
                    SetupStep::Server { url } if self.server.is_empty() => self.server.clone_from(url),
                    SetupStep::SignIn { server, email } => {
                        self.accepted_server = Some(server.clone());
                        if self.server.is_empty() {
                            self.server.clone_from(server);
                        }
                        if let (true, Some(email)) = (self.email.is_empty(), email) {
                            self.email.clone_from(email);
                        }
                    }
                    _ => {}
                }
                if !matches!(step, SetupStep::Ready { .. }) {
                    self.walked = true;
                }
                if let SetupStep::Downloading { progress, .. } = step {
                    self.progress = Some(progress.clone());
                } else {
                    self.busy = false;
                }
                self.step = Some(step.clone());
                if matches!(step, SetupStep::SignIn { .. }) && std::mem::take(&mut self.sign_in_after_server) {
                    self.busy = true;
                    return Some(self.sign_in_command());
                }
                if !matches!(step, SetupStep::SignIn { .. } | SetupStep::Server { .. }) {
                    self.error = None;
                }
                None
            }
            Event::SetupFailed(error) => {
                if *error == SetupError::WrongCredentials {
                    self.password.clear();
                }
                self.error = Some(error.clone());
                self.busy = false;
                self.sign_in_after_server = false;
                None
            }
            _ => None,
        }
    }

    /// The company being downloaded can open now (see [`Event::CopyUsable`]): the last
    /// step shows, with its download going on.
    pub fn on_copy_usable(&mut self, company: CompanyChoice, path: &std::path::Path) {
        self.step = Some(SetupStep::Ready { company, path: path.to_path_buf() });
        self.busy = false;
        self.error = None;
    }

    fn sign_in_command(&self) -> Command {
        Command::SignIn { email: self.email.trim().to_owned(), password: Secret(self.password.clone()) }
    }

    /// The sign-in button: first the server's address when it is new, then the sign-in.
    fn sign_in(&mut self) -> Command {
        self.busy = true;
        self.error = None;
        let server = self.server.trim().to_owned();
        if self.accepted_server.as_deref() == Some(server.as_str()) {
            self.sign_in_command()
        } else {
            self.sign_in_after_server = true;
            Command::SetServer { url: server }
        }
    }
}

/// Draws the wizard; returns what the user asked for.
/// Draws the wizard's current step. `downloading`: the company it readied can open
/// while the rest of its download goes on (see [`Event::CopyUsable`]).
pub fn wizard_ui(ui: &mut egui::Ui, wizard: &mut Wizard, texts: &Texts, downloading: bool) -> WizardOutput {
    let mut out = WizardOutput::default();
    egui::CentralPanel::default().show(ui, |ui| {
        ui.vertical_centered(|ui| {
            ui.add_space(24.0);
            ui.heading(texts.get("wizard-title"));
            ui.add_space(8.0);
            steps_ui(ui, wizard.step.as_ref(), texts);
            ui.add_space(16.0);
        });
        ui.separator();
        match wizard.step.clone() {
            None => {
                ui.spinner();
            }
            Some(SetupStep::Server { .. } | SetupStep::SignIn { .. }) => match wizard.start {
                Start::Server => connection_ui(ui, wizard, texts, &mut out),
                Start::Create => {
                    let busy = wizard.busy;
                    if let Some(action) = crate::local_setup::create_ui(ui, &mut wizard.create, texts, busy) {
                        wizard.local_action(action, &mut out);
                    }
                    if let Some(problem) = &wizard.host_problem {
                        let text = texts.with("wizard-create-failed", &[("message", problem.text(texts).into())]);
                        ui.colored_label(ui.visuals().error_fg_color, text);
                    }
                    error_ui(ui, wizard, texts);
                }
                Start::Moving => {
                    if wizard.awaiting_host() {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label(texts.get("move-here-moving"));
                        });
                    }
                    if let Some(problem) = &wizard.host_problem {
                        let text = texts.with("move-here-failed", &[("message", problem.text(texts).into())]);
                        ui.colored_label(ui.visuals().error_fg_color, text);
                        if ui.button(texts.get("wizard-back")).clicked() {
                            wizard.local_action(LocalAction::Back, &mut out);
                        }
                    }
                    error_ui(ui, wizard, texts);
                }
                Start::Join => {
                    let busy = wizard.busy;
                    if let Some(action) = crate::local_setup::join_ui(ui, &mut wizard.join, texts, busy) {
                        wizard.local_action(action, &mut out);
                    }
                    error_ui(ui, wizard, texts);
                }
            },
            Some(SetupStep::Code { .. }) => code_ui(ui, wizard, texts, &mut out),
            Some(SetupStep::ChooseCompany { companies }) => {
                ui.label(texts.get("wizard-company-help"));
                for company in companies {
                    let label = if company.local {
                        format!("{} ({})", company.name, texts.get("wizard-company-local"))
                    } else {
                        company.name.clone()
                    };
                    if ui.add_enabled(!wizard.busy, egui::Button::new(label)).clicked() {
                        wizard.busy = true;
                        out.commands.push(Command::ChooseCompany { company: company.id });
                    }
                }
                error_ui(ui, wizard, texts);
            }
            Some(SetupStep::Downloading { company, progress }) => download_ui(ui, &company, &progress, texts),
            Some(SetupStep::Ready { company, .. }) => {
                // Nothing above the button changes height when the download ends: a click
                // on it must not land where it was a frame before.
                if let Some(progress) = &wizard.progress {
                    download_progress_ui(ui, &company, progress, texts);
                    ui.separator();
                }
                ui.label(texts.with("wizard-ready-text", &[("company", company.name.clone().into())]));
                if ui.button(texts.get("wizard-start")).clicked() {
                    out.start = Some(company);
                }
                // Until the download ends, the copy does not hold everything: "even offline"
                // would promise what it cannot keep yet.
                if downloading {
                    ui.label(egui::RichText::new(texts.get("wizard-usable-text")).italics());
                } else {
                    ui.label(texts.get("wizard-offline-text"));
                }
            }
        }
    });
    out
}

/// The four steps, the current one in bold.
fn steps_ui(ui: &mut egui::Ui, step: Option<&SetupStep>, texts: &Texts) {
    let current = match step {
        None | Some(SetupStep::Server { .. } | SetupStep::SignIn { .. } | SetupStep::Code { .. }) => 0,
        Some(SetupStep::ChooseCompany { .. }) => 1,
        Some(SetupStep::Downloading { .. }) => 2,
        Some(SetupStep::Ready { .. }) => 3,
    };
    ui.horizontal_wrapped(|ui| {
        for (i, id) in ["wizard-step-connection", "wizard-step-company", "wizard-step-sync", "wizard-step-ready"]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                ui.label("›");
            }
            let text = egui::RichText::new(format!("{}. {}", i + 1, texts.get(id)));
            ui.label(if i == current { text.strong() } else { text.weak() });
        }
    });
}

/// A text field with its label, the label also naming it for screen readers.
pub(crate) fn field_ui(ui: &mut egui::Ui, label: &str, value: &mut String, password: bool) -> egui::Response {
    let label = ui.label(label);
    ui.add(egui::TextEdit::singleline(value).password(password).desired_width(320.0)).labelled_by(label.id)
}

fn connection_ui(ui: &mut egui::Ui, wizard: &mut Wizard, texts: &Texts, out: &mut WizardOutput) {
    if let Some(demo) = &wizard.demo {
        ui.group(|ui| {
            ui.strong(texts.get("wizard-demo-title"));
            ui.label(texts.with(
                "wizard-demo-credentials",
                &[("email", demo.email.clone().into()), ("password", demo.password.clone().into())],
            ));
        });
    }
    field_ui(ui, &texts.get("wizard-server"), &mut wizard.server, false);
    field_ui(ui, &texts.get("wizard-email"), &mut wizard.email, false);
    let password = field_ui(ui, &texts.get("wizard-password"), &mut wizard.password, true);
    let enter = password.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    let label = if wizard.error.is_some() { texts.get("wizard-retry") } else { texts.get("wizard-sign-in") };
    let ready = !wizard.busy && !wizard.email.trim().is_empty() && !wizard.password.is_empty();
    let clicked = ui.add_enabled(ready, egui::Button::new(label)).clicked();
    if ready && (clicked || enter) {
        out.commands.push(wizard.sign_in());
    }
    if wizard.busy {
        ui.spinner();
    }
    error_ui(ui, wizard, texts);
    if wizard.demo.is_none()
        && let Some(start) = crate::local_setup::choices_ui(ui, texts, wizard.busy)
    {
        wizard.error = None;
        wizard.start = start;
    }
}

fn code_ui(ui: &mut egui::Ui, wizard: &mut Wizard, texts: &Texts, out: &mut WizardOutput) {
    ui.strong(texts.get("wizard-code-title"));
    ui.label(texts.get("wizard-code-help"));
    field_ui(ui, &texts.get("wizard-code"), &mut wizard.code, false);
    let ready = !wizard.busy && wizard.code.trim().len() >= 6;
    if ui.add_enabled(ready, egui::Button::new(texts.get("wizard-code-submit"))).clicked() {
        wizard.busy = true;
        wizard.error = None;
        out.commands.push(Command::SubmitCode { code: std::mem::take(&mut wizard.code) });
    }
    error_ui(ui, wizard, texts);
}

/// The download's progress: overall, then per category.
fn download_ui(ui: &mut egui::Ui, company: &CompanyChoice, progress: &Progress, texts: &Texts) {
    download_progress_ui(ui, company, progress, texts);
    if progress.overall < 1.0 {
        ui.label(egui::RichText::new(texts.get("wizard-sync-warning")).italics());
    }
}

/// How far a download has come, overall and per category.
fn download_progress_ui(ui: &mut egui::Ui, company: &CompanyChoice, progress: &Progress, texts: &Texts) {
    ui.strong(&company.name);
    let percent = f64::from((progress.overall * 100.0).round());
    ui.add(
        egui::ProgressBar::new(progress.overall)
            .text(texts.with("wizard-sync-overall", &[("percent", percent.into())])),
    );
    egui::Grid::new("categories").num_columns(2).show(ui, |ui| {
        for kind in
            [RecordKind::Contact, RecordKind::Article, RecordKind::Document, RecordKind::Payment, RecordKind::Settings]
        {
            let category = progress.categories.get(&kind).copied().unwrap_or_default();
            ui.label(texts.get(&format!("category-{}", kind.as_str())));
            ui.label(texts.with("category-count", &[("done", category.done.into()), ("total", category.total.into())]));
            ui.end_row();
        }
    });
}

fn error_ui(ui: &mut egui::Ui, wizard: &Wizard, texts: &Texts) {
    let Some(error) = &wizard.error else { return };
    ui.colored_label(ui.visuals().error_fg_color, setup_error_text(error, texts));
}

/// What a failed setup step says: the reason in words, and what to check.
pub fn setup_error_text(error: &SetupError, texts: &Texts) -> String {
    match error {
        SetupError::Unreachable { url } | SetupError::BadUrl { url } => {
            texts.with(&format!("setup-error-{}", error.code()), &[("url", url.clone().into())])
        }
        SetupError::HostUnreachable { address } => {
            texts.with("setup-error-host_unreachable", &[("address", address.clone().into())])
        }
        SetupError::Local { message } => {
            texts.with("setup-error-local_file_error", &[("message", message.clone().into())])
        }
        // A refusal the locale files know by its code (the client's own, or a server's
        // rate limit) is told in the user's language; any other, with the server's reason.
        SetupError::Refused { code, message } if texts.has(&format!("error-{code}")) => texts.error(code, message),
        SetupError::Refused { message, .. } => texts.with("setup-error-other", &[("message", message.clone().into())]),
        _ => texts.get(&format!("setup-error-{}", error.code())),
    }
}
