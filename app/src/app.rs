//! The top-level [`eframe::App`]: it holds the engine's handle, takes in the engine's
//! events each frame, and draws the wizard until a company is ready, then the main
//! window.

use std::sync::{Arc, OnceLock};

use eframe::wgpu;

use comptoir_core::clock::Clock;
use comptoir_core::engine::{Command, CompanyChoice, Engine, EngineConfig, Event, Grace, Notice, SetupStep, SyncState};
use comptoir_core::model::{CompanyId, Currency, Role};

use crate::i18n::{Language, Texts};
use crate::preferences::{NoticeChoices, PreferencesAction, PreferencesContext, PreferencesState, preferences_ui};
use crate::reader::Reader;
use crate::screens::{Context, Screens, detail, navigation_ui, posting, screen_ui};
use crate::widgets::{banners_ui, notice_text, status_line_ui};
use crate::wizard::{DemoAccount, Wizard, wizard_ui};

/// The window's title, also its accessible name.
pub const WINDOW_TITLE: &str = "Comptoir";
/// The id under which eframe stores the window's position and size.
pub const APP_ID: &str = "comptoir";

/// How the window opens: its title, its first size and its least. `comptoir` opens it so,
/// and the `ui` benchmark's run in a real window.
///
/// The window draws with the graphics backends [`graphics_backends`] chooses.
pub fn window_options() -> eframe::NativeOptions {
    window_options_on(graphics_backends())
}

/// The window's options, drawing with `backends`.
pub fn window_options_on(backends: wgpu::Backends) -> eframe::NativeOptions {
    let mut wgpu_options = eframe::WgpuConfiguration::default();
    if let eframe::egui_wgpu::WgpuSetup::CreateNew(create_new) = &mut wgpu_options.wgpu_setup {
        create_new.instance_descriptor.backends = backends;
    }
    eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(WINDOW_TITLE)
            .with_inner_size([1100.0, 720.0])
            .with_min_inner_size([640.0, 420.0]),
        wgpu_options,
        ..Default::default()
    }
}

/// The platform's own graphics backend (Vulkan, Metal or Direct3D 12) when it has an
/// adapter here, else that and OpenGL. wgpu opens every backend it is given when the
/// window opens, and eframe gives it both: on Linux that loads Mesa's OpenGL driver
/// beside its Vulkan one, for nothing when Vulkan draws (9 MiB resident on software
/// rendering, the `comptoir` binary on 1M invoices). The probe takes one instance and one enumeration, before
/// the window exists. If the window cannot open without OpenGL after all (an adapter
/// that cannot show this window), `comptoir` tries again with it. `WGPU_BACKEND` (wgpu's
/// own variable: `vulkan`, `gl`, …) chooses instead, when it is set.
pub fn graphics_backends() -> wgpu::Backends {
    if let Some(chosen) = wgpu::Backends::from_env() {
        return chosen;
    }
    let primary = wgpu::Backends::PRIMARY;
    let probe = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: primary,
        ..wgpu::InstanceDescriptor::new_without_display_handle_from_env()
    });
    let adapters = pollster::block_on(probe.enumerate_adapters(primary));
    if adapters.is_empty() { WITH_OPENGL } else { primary }
}

/// Every backend eframe would use by itself: the platform's own and OpenGL.
pub const WITH_OPENGL: wgpu::Backends = wgpu::Backends::PRIMARY.union(wgpu::Backends::GL);

/// Notices the bell keeps.
pub const MAX_NOTICES: usize = 200;

/// The app's state.
pub struct ComptoirApp {
    engine: Engine,
    /// The engine told to stop when the app closes, for `main` to wait on (bounded) once
    /// the window is gone: see [`Self::engine_stopped`].
    engine_stopped: Arc<OnceLock<comptoir_core::engine::EngineStopping>>,
    /// Commands the engine's queue had no room for yet, in order: handed over at the
    /// next frames, never dropped (an import or a price change sends hundreds at once).
    backlog: std::cell::RefCell<std::collections::VecDeque<Command>>,
    /// Set on the first frame: the engine's wake-up calls `request_repaint` on it.
    ctx: Arc<OnceLock<egui::Context>>,
    pub texts: Texts,
    pub wizard: Wizard,
    /// The company the user started working in (the wizard's "Commencer"): its name
    /// shows in the menu bar, and the screens show its file.
    pub working: Option<CompanyChoice>,
    /// The company Préférences → Compte asked to open, until the engine reports it
    /// ready; meanwhile `working` and the screens stay those of the company open now.
    pub switching: Option<CompanyChoice>,
    /// A company asked for whose copy was not here, downloading in the background while
    /// `working` stays open and in use, and how far it has come.
    pub background: Option<(CompanyChoice, comptoir_core::engine::Progress)>,
    /// A company downloaded in the background, offered to open at once.
    pub ready_aside: Option<CompanyChoice>,
    /// The open company's first download goes on (it opened before its end, see
    /// [`Event::CopyUsable`]): lists fill as it comes, and search is partial.
    pub downloading: Option<CompanyId>,
    /// The open company's file let go of for the server's copy, which replaces it (see
    /// [`Event::CopyArrived`]): the screens stay, and read again once it opens.
    pub copy_arriving: Option<CompanyId>,
    pub status: SyncState,
    pub grace: Option<Grace>,
    pub notices: Vec<Notice>,
    /// Edits of the open copy waiting for other accounts (see [`Event::WaitingEdits`]).
    pub waiting_edits: crate::waiting_edits::WaitingEditsBanner,
    /// Old copies of the open company kept aside by a download again, until seen.
    pub kept_copies: Vec<comptoir_core::store::KeptCopy>,
    /// The Preferences window, when open.
    pub preferences: Option<PreferencesState>,
    /// The open company's file, for the screens.
    pub reader: Option<Reader>,
    pub screens: Screens,
    /// The signed-in user, their role in the open company, and the account's companies.
    pub email: Option<String>,
    pub role: Option<Role>,
    /// The account syncs with a computer of the local network, not a server: its
    /// `comptoir-lan://` address.
    pub lan_host: Option<String>,
    pub companies: Vec<CompanyChoice>,
    /// Whether the user has two-factor on, once the server has said.
    pub two_factor: Option<bool>,
    /// The company's currency, for amounts.
    currency: Currency,
    clock: Arc<dyn Clock>,
    next_request: u64,
    next_generation: u64,
    /// The last edit the engine refused, with its reason, until the next one succeeds.
    pub last_refusal: Option<String>,
    /// Which notices the bell collects (Préférences → Notifications).
    pub notice_choices: NoticeChoices,
    /// This launch's claim on the data folder; a later launch asks it to come forward.
    pub instance: Option<crate::instance::FirstInstance>,
    /// The tray icon, when the desktop has a tray (see [`Self::start_tray`]).
    pub tray: Option<crate::tray::Tray>,
    /// When the app started, to log the time to its first frame.
    started: std::time::Instant,
    /// The screenshot tour, when the app runs it (`--screenshots`).
    pub tour: Option<crate::tour::Tour>,
    /// The system's save dialog and viewer, and the cache folder (a test puts a
    /// recording shell in its place).
    pub desktop: crate::desktop::Desktop,
    /// Updates: the daily check, Préférences → Mises à jour (see [`crate::update`]).
    pub updater: crate::update::worker::Updater,
    /// The update installed, for `main` to start once the window has closed.
    update_after_exit: Arc<std::sync::Mutex<Option<crate::update::AfterExit>>>,
    /// The company this computer hosts for the local network, served while the app
    /// runs (when its folder holds one).
    pub local_host: Option<crate::local_host::LocalHost>,
    /// The app's folder, where the wizard creates a company hosted here.
    data_dir: std::path::PathBuf,
    /// Where the company this computer hosts is served.
    host_listen: std::net::SocketAddr,
    /// Fichier → Partager sur le réseau local…, when open.
    pub sharing: Option<crate::screens::sharing::SharingWindow>,
    /// Fichier → Héberger sur cet ordinateur…, when open.
    pub move_here: Option<crate::screens::move_here::MoveHereWindow>,
    /// Fichier → Remettre sur un serveur Comptoir…, when open; it keeps the password
    /// sent, for the sign-in to the server once the company is back there.
    pub give_back: Option<(crate::screens::move_here::GiveBackWindow, Option<GiveBackSent>)>,
    /// Aide → À propos de Comptoir, when open.
    pub about: Option<crate::screens::about::AboutWindow>,
    /// The notifications list is open.
    pub bell_open: bool,
    /// How many notices came since the list was last opened.
    pub unread: usize,
}

impl std::fmt::Debug for ComptoirApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComptoirApp").field("status", &self.status).finish_non_exhaustive()
    }
}

/// How the app starts, besides its engine's configuration.
#[derive(Debug)]
pub struct AppConfig {
    pub language: Language,
    /// The demo's account, shown by the wizard (`--demo`).
    pub demo: Option<DemoAccount>,
    /// Where the company this computer hosts is served, when the app's folder holds one
    /// ([`crate::local_host::DEFAULT_LISTEN`]: every interface, the port kept).
    pub host_listen: std::net::SocketAddr,
}

impl AppConfig {
    /// In `language`, no demo, hosting on [`crate::local_host::DEFAULT_LISTEN`].
    pub fn new(language: Language) -> Self {
        Self { language, demo: None, host_listen: crate::local_host::DEFAULT_LISTEN }
    }
}

impl ComptoirApp {
    /// Starts the engine with `config` (its `wake` is replaced by one that repaints this
    /// app's window).
    pub fn start(
        config: EngineConfig,
        language: Language,
        demo: Option<DemoAccount>,
    ) -> Result<Self, comptoir_core::engine::EngineError> {
        Self::start_with(config, AppConfig { demo, ..AppConfig::new(language) })
    }

    /// Starts the engine with `config`, and the host of the company this computer hosts
    /// (when the app's folder holds one) on a thread of its own.
    pub fn start_with(mut config: EngineConfig, app: AppConfig) -> Result<Self, comptoir_core::engine::EngineError> {
        let AppConfig { language, demo, host_listen } = app;
        let ctx: Arc<OnceLock<egui::Context>> = Arc::default();
        let clock = config.clock.clone();
        config.wake = repaint_of(&ctx);
        let desktop = crate::desktop::Desktop::system(&config.data_dir);
        let data_dir = config.data_dir.clone();
        let local_host = crate::local_host::LocalHost::start(&config.data_dir, host_listen, repaint_of(&ctx));
        let updater = crate::update::worker::Updater::new(&data_dir, repaint_of(&ctx));
        updater.clear_leftovers();
        let engine = Engine::start(config)?;
        Ok(Self {
            backlog: std::cell::RefCell::default(),
            engine,
            engine_stopped: Arc::default(),
            ctx,
            texts: Texts::new(language),
            wizard: Wizard::new(demo),
            working: None,
            switching: None,
            background: None,
            ready_aside: None,
            downloading: None,
            copy_arriving: None,
            status: SyncState::Idle,
            grace: None,
            notices: Vec::new(),
            waiting_edits: crate::waiting_edits::WaitingEditsBanner::default(),
            kept_copies: Vec::new(),
            preferences: None,
            reader: None,
            screens: Screens::new(),
            email: None,
            role: None,
            lan_host: None,
            companies: Vec::new(),
            two_factor: None,
            currency: Currency::EUR,
            clock,
            next_request: 0,
            next_generation: 0,
            last_refusal: None,
            notice_choices: NoticeChoices::default(),
            tour: None,
            tray: None,
            instance: None,
            started: std::time::Instant::now(),
            about: None,
            bell_open: false,
            unread: 0,
            desktop,
            updater,
            update_after_exit: Arc::default(),
            local_host,
            data_dir,
            host_listen,
            sharing: None,
            move_here: None,
            give_back: None,
        })
    }

    /// One frame: take in the engine's events, then draw.
    pub fn frame_ui(&mut self, ui: &mut egui::Ui) {
        self.ctx.get_or_init(|| {
            let elapsed = self.started.elapsed();
            tracing::info!(ms = elapsed.as_secs_f64() * 1000.0, "first frame since launch");
            crate::theme::install(ui.ctx());
            ui.ctx().clone()
        });
        while let Some(event) = self.engine.try_event() {
            self.on_event(event);
        }
        self.hand_over_backlog();
        self.updater.poll();
        self.updater.check_if_due(self.clock.now());
        if let Some(reader) = &self.reader {
            for answer in reader.answers() {
                self.screens.on_answer(answer);
            }
        }
        self.hand_over_host_answers();
        self.follow_created_host();
        if self.working.is_some() {
            main_window_ui(ui, self);
        } else {
            let hosting_stopped = matches!(
                self.local_host.as_ref().map(crate::local_host::LocalHost::state),
                Some(crate::local_host::HostingState::Stopped { reason: Some(_) })
            ) && !self.wizard.awaiting_host();
            if !self.notices.is_empty() || matches!(self.status, SyncState::Stopped { .. }) || hosting_stopped {
                // A company file moved while the app was closed, or the engine stopped:
                // say so before anything.
                let mut commands = Vec::new();
                egui::Panel::top("banners").show(ui, |ui| {
                    banners_ui(
                        ui,
                        &self.status,
                        self.grace,
                        &self.notices,
                        &self.texts,
                        &mut commands,
                        self.lan_host.is_some(),
                    );
                    if hosting_stopped {
                        crate::widgets::hosting_stopped_ui(ui, self.local_host.as_ref(), &self.texts);
                    }
                });
                self.send_all(commands);
            }
            let commands = wizard_ui(ui, &mut self.wizard, &self.texts, self.downloading.is_some());
            self.send_all(commands.commands);
            if let Some(company) = commands.start {
                self.working = Some(company);
            }
            if let Some(company) = commands.create {
                self.create_hosted_company(company);
            }
        }
        if let Some(mut tour) = self.tour.take() {
            let view = crate::tour::TourView {
                wizard: &self.wizard,
                working: self.working.as_ref(),
                switching: self.switching.as_ref(),
                ready_aside: self.ready_aside.as_ref(),
                companies: &self.companies,
                status: &self.status,
                grace: self.grace,
                screens: &self.screens,
                reader: self.reader.as_ref(),
                language: self.texts.language(),
                today: self.today(),
            };
            let actions = crate::tour::tour_frame(ui.ctx(), &mut tour, &view);
            self.tour = Some(tour);
            self.apply_tour(actions);
        }
        self.window_frame(&ui.ctx().clone());
    }

    /// Opens the company file for the screens (on start, after a download, on a switch).
    fn open_reader(&mut self, path: &std::path::Path) {
        self.screens = Screens::new();
        self.reader = match Reader::open(path, repaint_of(&self.ctx)) {
            Ok(reader) => {
                self.currency = reader.store().company().map_or(Currency::EUR, |c| c.currency);
                Some(reader)
            }
            Err(e) => {
                tracing::error!(error = %e, path = %path.display(), "the company file cannot be read");
                None
            }
        };
    }

    fn on_edit(&mut self, request: u64, refused: Option<String>) {
        self.screens.contacts.on_edit(request, refused.clone());
        self.screens.articles.on_edit(request, refused.clone());
        self.screens.payments.on_edit(request, refused.clone());
        self.screens.settings.on_edit(request, refused.clone(), &self.texts);
        if let Some(detail) = &mut self.screens.detail {
            detail.on_edit(request, refused.clone());
        }
        if let Some(editor) = &mut self.screens.editor {
            editor.on_edit(request, refused.clone());
        }
        if let Some(form) = &mut self.screens.payment_form {
            form.on_edit(request, refused.clone());
        }
        if let Some(import) = &mut self.screens.import {
            import.on_edit(request, refused.as_deref());
        }
        self.last_refusal = refused;
    }

    /// Préférences → Compte asked for another company: the engine opens it while the
    /// company open now stays on screen. One whose copy is not here downloads in the
    /// background first, the company open now still in use, and is then offered to open.
    fn switch_company(&mut self, company: CompanyChoice) {
        self.preferences = None;
        self.send(Command::ChooseCompany { company: company.id });
        if !company.local && self.working.is_some() {
            self.background = Some((company, comptoir_core::engine::Progress::default()));
            return;
        }
        self.sharing = None;
        self.ready_aside = None;
        self.switching = Some(company);
    }

    /// The screens open `company`'s file at `path`: at start, after a download (or
    /// before its end, see [`Event::CopyUsable`]), on a switch.
    fn open_company_file(&mut self, company: &CompanyChoice, path: &std::path::Path) {
        self.open_reader(path);
        // A company opened: a moved-file notice is settled.
        self.notices.retain(|n| !matches!(n, Notice::CompanyFileMoved { .. }));
        // Reopened at start, or switched to: straight to work. The name and the screens
        // change together, now that the new file is open.
        if !self.wizard.walked || self.working.is_some() {
            self.working = Some(company.clone());
        }
        self.switching = None;
        // Opened at once (the engine had its copy after all): nothing downloads.
        if self.background.as_ref().is_some_and(|(c, _)| c.id == company.id) {
            self.background = None;
        }
    }

    /// The engine is about to replace the company's file: the screens' connections close
    /// first (the reader's drop closes both before it returns), and the engine is told.
    /// `keep_screens`: the server's copy takes the file's place (see
    /// [`Event::CopyArrived`]), the same company: the screens stay (an invoice being
    /// written too) until it opens (`CopyUsable`). Else the file is moved aside (the
    /// server's data was rebuilt): the new file opens with the `Ready` that follows the
    /// download.
    fn release_file(&mut self, company: CompanyId, keep_screens: bool) {
        if keep_screens {
            // Only the file of the company downloading here (the engine may have asked
            // before a switch to another).
            if self.downloading == Some(company) {
                self.reader = None;
                self.copy_arriving = Some(company);
            }
        } else {
            self.reader = None;
            self.screens = Screens::new();
        }
        self.send(Command::CompanyFileReleased { company });
    }

    /// The open company's first download has brought its settings and first pages: the
    /// company opens now (the first run's wizard offers « Commencer »), and the status
    /// bar follows the rest of the download.
    fn on_copy_usable(&mut self, company: CompanyChoice, path: &std::path::Path) {
        if self.copy_arriving.take() == Some(company.id) && self.working.as_ref().is_some_and(|w| w.id == company.id) {
            // The server's copy in the file's place: the same company, the screens as
            // they were, reading from it.
            self.reader = Reader::open(path, repaint_of(&self.ctx))
                .inspect_err(|e| tracing::error!(error = %e, path = %path.display(), "the company file cannot be read"))
                .ok();
            self.screens.data_changed();
            return;
        }
        self.downloading = Some(company.id);
        self.open_company_file(&company, path);
        self.wizard.on_copy_usable(company, path);
    }

    /// Another company downloading in the background (see [`Event::BackgroundDownload`]).
    fn on_background(&mut self, event: Event) {
        match event {
            Event::BackgroundDownload { company, progress } => {
                // The engine downloads it aside (the window took its copy for one here).
                if self.switching.as_ref().is_some_and(|c| c.id == company.id) {
                    self.switching = None;
                }
                self.background = Some((company, progress));
            }
            Event::BackgroundReady { company } => {
                self.background = None;
                self.ready_aside = Some(company);
            }
            Event::BackgroundFailed { company, code, message }
                if self.background.as_ref().is_some_and(|(c, _)| c.id == company.id) =>
            {
                let reason = self.texts.error(&code, &message);
                self.last_refusal = Some(self.texts.with(
                    "account-background-failed",
                    &[("company", company.name.clone().into()), ("reason", reason.into())],
                ));
            }
            _ => {}
        }
    }

    /// The company asked for could not be opened: say why, and open again the one that
    /// was open (its copy is here), so that the engine and the screens agree.
    fn switch_failed(&mut self, company: &CompanyChoice, error: &comptoir_core::engine::SetupError) {
        let reason = crate::wizard::setup_error_text(error, &self.texts);
        self.last_refusal = Some(
            self.texts
                .with("account-switch-failed", &[("company", company.name.clone().into()), ("reason", reason.into())]),
        );
        if let Some(working) = &self.working {
            self.send(Command::ChooseCompany { company: working.id });
        }
    }

    /// Does what the screenshot tour asked.
    fn apply_tour(&mut self, actions: Vec<crate::tour::TourAction>) {
        use crate::tour::TourAction;
        for action in actions {
            match action {
                TourAction::Send(command) => self.send(command),
                TourAction::TypePassword(password) => self.wizard.password = password,
                TourAction::StartWorking(company) => self.working = Some(company),
                TourAction::SwitchCompany(company) => self.switch_company(company),
                TourAction::Show(screen) => self.screens.current = Some(screen),
                TourAction::OpenEditor(editor) => {
                    self.screens.current = Some(crate::screens::screen_of(editor.document.kind));
                    self.screens.detail = None;
                    self.screens.editor = Some(*editor);
                }
                TourAction::CloseEditor => self.screens.editor = None,
            }
        }
    }

    /// Today, in the user's time zone.
    fn today(&self) -> chrono::NaiveDate {
        self.clock.now().with_timezone(&chrono::Local).date_naive()
    }

    /// Does what the Preferences window asked.
    fn apply_preferences(&mut self, actions: Vec<PreferencesAction>) {
        for action in actions {
            match action {
                PreferencesAction::Send(command) => self.send(command),
                PreferencesAction::SwitchCompany(company) => self.switch_company(company),
                PreferencesAction::SetLanguage(language) => {
                    self.texts = Texts::new(language);
                    self.send(Command::SetPreference { key: "language".into(), value: language.code().into() });
                }
                PreferencesAction::SetNoticeChoices(choices) => self.notice_choices = choices,
                PreferencesAction::Close => self.preferences = None,
                PreferencesAction::Update(action) => self.on_update_action(action),
                PreferencesAction::BecomeHost(folder) => self.take_over(folder),
                PreferencesAction::OpenSharing => {
                    if let Some(company) = &self.working {
                        self.sharing =
                            Some(crate::screens::sharing::SharingWindow::open(company.id, self.email.as_deref()));
                    }
                }
            }
        }
    }

    /// Préférences → Mises à jour asked to check, install or restart.
    fn on_update_action(&mut self, action: crate::screens::updates::UpdateAction) {
        use crate::screens::updates::UpdateAction;
        match action {
            UpdateAction::Check => self.updater.check_now(),
            UpdateAction::Install => {
                let blocker = self.update_blocker(true);
                let _ = self.updater.install(blocker);
            }
            UpdateAction::Restart => {
                let blocker = self.update_blocker(false);
                if let Ok(Some(after_exit)) = self.updater.take_after_exit(blocker) {
                    if let Ok(mut slot) = self.update_after_exit.lock() {
                        *slot = Some(after_exit);
                    }
                    if let Some(ctx) = self.ctx.get() {
                        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                    }
                }
            }
        }
    }

    /// What keeps an update from being installed (`edits`: the edits not yet sent count)
    /// or the app from restarting into it now.
    fn update_blocker(&self, edits: bool) -> Option<crate::update::worker::Blocker> {
        use crate::update::worker::Blocker;
        if self.screens.editor.as_ref().is_some_and(|editor| !editor.is_saved()) {
            return Some(Blocker::UnsavedDraft);
        }
        if matches!(self.status, SyncState::Syncing { .. }) {
            return Some(Blocker::Syncing);
        }
        let pending =
            if edits { self.reader.as_ref().and_then(|r| r.store().pending_count().ok()).unwrap_or(0) } else { 0 };
        (pending > 0).then_some(Blocker::EditsPending(pending))
    }

    /// Where the update installed is left for `main`, which starts it once the window has
    /// closed and the engine stopped.
    pub fn update_after_exit(&self) -> Arc<std::sync::Mutex<Option<crate::update::AfterExit>>> {
        Arc::clone(&self.update_after_exit)
    }

    /// Shows the tray icon, on the thread that runs the window's event loop. Without a
    /// tray the app runs on, and the log says why.
    pub fn start_tray(&mut self, ctx: &egui::Context) {
        let waker = ctx.clone();
        match crate::tray::Tray::start(&self.texts, move || waker.request_repaint()) {
            Ok(tray) => self.tray = Some(tray),
            Err(e) => tracing::warn!(error = %e, "no tray icon"),
        }
    }

    /// Comes forward when asked (a second launch, the tray), follows the sync status in
    /// the tray, and does what its menu asked.
    fn window_frame(&mut self, ctx: &egui::Context) {
        if self.instance.as_ref().is_some_and(crate::instance::FirstInstance::take_activation) {
            bring_forward(ctx);
        }
        let Some(tray) = &mut self.tray else { return };
        tray.show_status(&self.status, &self.texts);
        for action in tray.actions() {
            match action {
                crate::tray::TrayAction::Open => bring_forward(ctx),
                crate::tray::TrayAction::SyncNow => self.send(Command::SyncNow),
                crate::tray::TrayAction::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            }
        }
    }

    /// Counts the time to the first frame from `at` (the process's start) rather than
    /// from [`Self::start`].
    pub fn launched_at(&mut self, at: std::time::Instant) {
        self.started = at;
    }

    /// Hands one command to the engine (a full queue is logged: the user can retry).
    /// Hands a command to the engine, after those still waiting for room in its queue.
    pub fn send(&self, command: Command) {
        self.backlog.borrow_mut().push_back(command);
        self.hand_over_backlog();
    }

    /// Hands the waiting commands to the engine, in order, until its queue is full.
    fn hand_over_backlog(&self) {
        let mut backlog = self.backlog.borrow_mut();
        while let Some(command) = backlog.pop_front() {
            match self.engine.try_send(command) {
                Ok(()) => {}
                Err((comptoir_core::engine::EngineError::Busy, command)) => {
                    backlog.push_front(command);
                    if let Some(ctx) = self.ctx.get() {
                        ctx.request_repaint_after(std::time::Duration::from_millis(20));
                    }
                    return;
                }
                Err((e, _)) => tracing::warn!(error = %e, "a command could not be handed to the engine"),
            }
        }
    }

    fn send_all(&self, commands: Vec<Command>) {
        for command in commands {
            self.send(command);
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Status(status) => {
                if let SyncState::Downloading { progress } = &status {
                    // The wizard's last page shows it too, until « Commencer ».
                    self.wizard.progress = Some(progress.clone());
                }
                self.status = status;
            }
            Event::CopyUsable { company, path } => self.on_copy_usable(company, &path),
            Event::Grace(grace) => self.grace = Some(grace),
            Event::Notice(notice) => {
                if self.notice_choices.wants(&notice) {
                    // The bell keeps the newest; a copy that met thousands of refusals
                    // must not grow the list (or the frame that draws it) without end.
                    if self.notices.len() >= MAX_NOTICES {
                        self.notices.remove(0);
                    }
                    self.notices.push(notice);
                    self.unread = self.unread.saturating_add(1);
                }
            }
            // Back to the wizard's sign-in.
            Event::SignedOut => {
                self.sharing = None;
                self.working = None;
                self.switching = None;
                self.background = None;
                self.ready_aside = None;
                self.downloading = None;
                self.reader = None;
                self.role = None;
                self.preferences = None;
            }
            Event::SignedIn { email, role, lan_host } => {
                self.email = Some(email);
                self.lan_host = lan_host;
                if role.is_some() {
                    self.role = role;
                }
            }
            Event::Companies(companies) => self.companies = companies,
            Event::WaitingEdits(waiting) => self.waiting_edits.update(waiting),
            Event::KeptCopies(kept) => self.kept_copies = kept,
            // The file is about to be replaced: the screens let go of it first.
            Event::CopyArrived { company } => self.release_file(company, true),
            Event::ReleaseCompanyFile { company } => self.release_file(company, false),
            Event::Account(event) => {
                if let comptoir_core::engine::AccountEvent::TwoFactor { enabled } = &event {
                    self.two_factor = Some(*enabled);
                }
                if let Some(preferences) = &mut self.preferences {
                    preferences.on_account(&event, &self.texts);
                }
            }
            Event::Members(event) => self.screens.users.on_event(&event, &self.texts),
            Event::Accounting(event) => self.screens.accounting.on_event(&event, &self.texts),
            Event::LedgerChanged => self.screens.accounting.data_changed(),
            Event::ServerTested { url, result } => {
                if let Some(preferences) = &mut self.preferences {
                    preferences.on_server_tested(&url, result.as_ref().copied(), &self.texts);
                }
            }
            Event::DataChanged => self.screens.data_changed(),
            event @ (Event::BackgroundDownload { .. }
            | Event::BackgroundReady { .. }
            | Event::BackgroundFailed { .. }) => {
                self.on_background(event);
            }
            Event::Mail(event) => crate::screens::send_mail::on_mail_event(&mut self.screens, &event, &self.texts),
            Event::EditApplied { request, .. } => self.on_edit(request, None),
            Event::EditRefused { request, code, message } => {
                let reason = self.texts.error(&code, &message);
                self.on_edit(request, Some(reason));
            }
            Event::Preferences(preferences) => {
                self.notice_choices = NoticeChoices::from_preferences(&preferences);
                if let Some(language) = preferences.get("language").and_then(|code| Language::from_code(code)) {
                    self.texts = Texts::new(language);
                }
            }
            other => {
                if let Event::Setup(SetupStep::Ready { company, path }) = &other {
                    let opened = self.downloading.take() == Some(company.id) && self.reader.is_some();
                    if opened {
                        // Open since its first pages: the screens stay as they are, and
                        // read again what the download's end brought (indexes, search).
                        self.screens.data_changed();
                    } else {
                        self.open_company_file(company, path);
                    }
                }
                if let Event::SetupFailed(error) = &other
                    && let Some(company) = self.switching.take()
                {
                    self.switch_failed(&company, error);
                }
                if let Some(command) = self.wizard.on_event(&other) {
                    self.send(command);
                }
            }
        }
    }
}

impl ComptoirApp {
    /// Whether Fichier offers « Partager sur le réseau local… »: the open company is
    /// one this computer hosts, and the user is one of its owners or admins.
    pub fn can_share(&self) -> bool {
        let hosted = self.working.as_ref().zip(self.local_host.as_ref()).is_some_and(|(c, host)| host.hosts(c.id));
        hosted && crate::screens::sharing::may_share(self.role)
    }

    /// Whether the open company may move onto this computer: a company of a Comptoir
    /// server (not of a host of the local network, not hosted here), and its owner.
    pub fn can_move_here(&self) -> bool {
        let Some(company) = &self.working else { return false };
        let hosted = self.local_host.as_ref().is_some_and(|host| host.hosts(company.id));
        let server = self.wizard.server.trim();
        crate::screens::move_here::may_move(self.role)
            && self.lan_host.is_none()
            && !hosted
            && !server.is_empty()
            && !comptoir_core::lan::HostAddress::is_host_address(server)
    }

    /// The local host's answer to « Remettre sur le serveur »: on success the copy signs
    /// out of this computer's host and the wizard signs in to the server; else the
    /// window says why.
    fn on_given_back(&mut self, company: CompanyId, result: Result<(), crate::hosting::HostProblem>) {
        let Some((mut window, sent)) = self.give_back.take() else { return };
        if window.company != company {
            self.give_back = Some((window, sent));
            return;
        }
        window.running = false;
        match (result, sent) {
            (Ok(()), Some(sent)) => {
                self.sharing = None;
                self.send(Command::SignOut { remove_local_data: false });
                let command = self.wizard.sign_in_to(&sent.server, &sent.email, &sent.password.0);
                self.send(command);
            }
            (Ok(()), None) => {}
            (Err(reason), sent) => {
                window.problem = Some(reason);
                self.give_back = Some((window, sent));
            }
        }
    }

    /// Préférences → Compte → « Devenir l'ordinateur hôte »: the local host's thread
    /// restores the newest backup of `folder` (the certificate with it: the devices' pin
    /// holds) and serves it; this computer's copy follows its own host as soon as it
    /// serves ([`Command::LocalHostAt`]), signs in with the device's secret and sends
    /// what the backup lacks.
    fn take_over(&mut self, folder: std::path::PathBuf) {
        self.replace_local_host(crate::local_host::Setup::Restore(folder));
    }

    /// A new local host set up as `setup` says in place of the one running here (which
    /// its successor's thread waits for, off the UI thread); `false` when its thread
    /// could not start.
    fn replace_local_host(&mut self, setup: crate::local_host::Setup) -> bool {
        self.sharing = None;
        let previous = self.local_host.take().map(|host| host.stopped());
        let wake = repaint_of(&self.ctx);
        self.local_host =
            crate::local_host::LocalHost::prepare(&self.data_dir, self.host_listen, wake, setup, previous);
        self.local_host.is_some()
    }

    /// « Déplacer sur cet ordinateur »: the local host's thread takes the company from
    /// its server (a host running here is stopped first, by that thread), then serves it;
    /// the copy signs out of the server, and the wizard signs in to this computer's host
    /// as soon as it serves, and downloads the company again from it.
    fn move_here(&mut self, company: CompanyId, password: comptoir_core::engine::Secret, code: Option<String>) {
        let Some(email) = self.email.clone() else { return };
        let taken_password = password.0.clone();
        let taken = crate::local_host::TakenCompany {
            server: self.wizard.server.trim().to_owned(),
            company,
            email: email.clone(),
            password,
            code,
        };
        let started = self.replace_local_host(crate::local_host::Setup::Take(taken));
        self.send(Command::SignOut { remove_local_data: false });
        self.wizard.await_moved_host(&email, &taken_password);
        if !started {
            self.wizard.host_failed(None);
        }
    }

    /// The wizard's « Créer une entreprise sur cet ordinateur »: the company is created in
    /// the host's folder and served, on the local host's thread (a host already running
    /// here is stopped first, by that thread's successor, off the UI thread).
    fn create_hosted_company(&mut self, company: crate::local_host::NewCompany) {
        if !self.replace_local_host(crate::local_host::Setup::Create(company)) {
            self.wizard.host_failed(None);
        }
    }

    /// While the wizard waits for the company it created: once the local host serves
    /// it, the wizard signs in to it over the loopback; when it stopped, the wizard says
    /// why.
    fn follow_created_host(&mut self) {
        if !self.wizard.awaiting_host() {
            return;
        }
        let Some(host) = &self.local_host else {
            self.wizard.host_failed(None);
            return;
        };
        match host.state().clone() {
            crate::local_host::HostingState::Starting => {}
            crate::local_host::HostingState::Serving { own, .. } => {
                let command = self.wizard.host_serving(&own.to_string());
                self.send(command);
            }
            crate::local_host::HostingState::Stopped { reason } => self.wizard.host_failed(reason),
        }
    }

    /// Hands the host's answers to the sharing window, and the window's requests to the
    /// host (those its queue has no room for wait for a next frame). When the host has
    /// just started serving, tells the engine its loopback address
    /// ([`Command::LocalHostAt`]), so that this computer's own copy follows it.
    fn hand_over_host_answers(&mut self) {
        let Some(host) = &mut self.local_host else { return };
        let was_serving = matches!(host.state(), crate::local_host::HostingState::Serving { .. });
        let answers = host.answers();
        if let crate::local_host::HostingState::Serving { own, .. } = host.state()
            && !was_serving
        {
            // Its port may differ from the last start's: the copy follows it.
            let command = Command::LocalHostAt { address: own.to_string() };
            self.send(command);
        }
        // A company given back to its server: the copy signs out of this computer's
        // host and the wizard signs in to the server, which hosts it again.
        for answer in &answers {
            if let crate::local_host::HostAnswer::GivenBack { company, result, .. } = answer {
                self.on_given_back(*company, result.clone());
            }
        }
        // A restore gave the host's data a new epoch: this computer's copy downloads
        // again at its next sync, now.
        if answers.iter().any(|answer| matches!(answer, crate::local_host::HostAnswer::Restored(Ok(_)))) {
            self.send(Command::SyncNow);
        }
        let Some(host) = &mut self.local_host else { return };
        let Some(sharing) = &mut self.sharing else { return };
        for answer in answers {
            sharing.on_answer(answer);
        }
        for request in sharing.take_requests() {
            if !host.ask(request.clone()) {
                sharing.ask_again(request);
                if let Some(ctx) = self.ctx.get() {
                    ctx.request_repaint_after(std::time::Duration::from_millis(50));
                }
            }
        }
    }

    /// Reported once the local host's server is stopped, after the app is dropped
    /// (`None`: nothing is hosted here): the caller that runs the window waits on it,
    /// bounded, so that the port is free when the process ends.
    pub fn host_stopped(&self) -> Option<crate::local_host::HostStopped> {
        self.local_host.as_ref().map(crate::local_host::LocalHost::stopped)
    }

    /// Where the engine's stop is reported once the app is dropped: the caller that runs
    /// the window waits on it, after the window has closed, so that the engine closes its
    /// files before the process ends (bounded: a busy engine never holds the quit).
    pub fn engine_stopped(&self) -> Arc<OnceLock<comptoir_core::engine::EngineStopping>> {
        Arc::clone(&self.engine_stopped)
    }
}

impl Drop for ComptoirApp {
    /// The screens' connections close first, then the engine is told to stop, without
    /// waiting for it (the window closes at once, even while a sync is mid-page): it
    /// writes the commands handed over (the backlog too, as far as its queue takes
    /// them), drops what waits on the network and closes the company file last.
    fn drop(&mut self) {
        self.reader = None;
        for command in self.backlog.get_mut().drain(..) {
            if let Err((error, _)) = self.engine.try_send(command) {
                tracing::warn!(%error, "commands not handed to the engine at quit");
                break;
            }
        }
        if let Some(stopping) = self.engine.stop_in_background() {
            let _ = self.engine_stopped.set(stopping);
        }
    }
}

impl eframe::App for ComptoirApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame_ui(ui);
    }
}

/// Repaints the window once it exists (a wake-up for the engine and the reader).
fn repaint_of(window: &Arc<OnceLock<egui::Context>>) -> Arc<dyn Fn() + Send + Sync> {
    let window = window.clone();
    Arc::new(move || {
        if let Some(ctx) = window.get() {
            ctx.request_repaint();
        }
    })
}

/// Shows the window in front of the others (tray's Ouvrir, a second launch).
fn bring_forward(ctx: &egui::Context) {
    ctx.send_viewport_cmd(egui::ViewportCommand::Visible(true));
    ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(false));
    ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
}

/// The main window: menu, banners, navigation, the current screen, a record's detail.
fn main_window_ui(ui: &mut egui::Ui, app: &mut ComptoirApp) {
    let mut commands = Vec::new();
    let mut open_updates = false;
    egui::Panel::top("menu").show(ui, |ui| {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button(app.texts.get("menu-file"), |ui| file_menu_ui(ui, app, &mut commands));
            ui.menu_button(app.texts.get("menu-help"), |ui| {
                if ui.button(app.texts.get("menu-about")).clicked() {
                    app.about = Some(crate::screens::about::AboutWindow::open(ui.ctx()));
                }
            });
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                bell_ui(ui, app);
                if let Some(company) = &app.working {
                    ui.label(crate::theme::bold(company.name.as_str()));
                }
                other_company_ui(ui, app);
            });
        });
    });
    if app.bell_open {
        notices_ui(ui, app);
    }
    preferences_window_ui(ui, app);
    sharing_window_ui(ui, app);
    move_here_window_ui(ui, app);
    give_back_window_ui(ui, app);
    if let Some(about) = &mut app.about
        && !crate::screens::about::about_ui(ui, about, &app.texts)
    {
        app.about = None;
    }
    let read_only = matches!(app.grace, Some(Grace::ReadOnly { .. }));
    let today = app.today();
    if let Some(reader) = &app.reader {
        let mut ctx = Context {
            reader,
            texts: &app.texts,
            currency: app.currency,
            today,
            role: app.role,
            read_only,
            offline: matches!(app.status, SyncState::Offline { .. }),
            partial: app.downloading.is_some(),
            commands: &mut commands,
            next_request: &mut app.next_request,
            next_generation: &mut app.next_generation,
            desktop: &app.desktop,
        };
        let screens = &mut app.screens;
        // The accounting banner sits in the status bar's panel, above its line: appearing
        // once the entries are counted, it neither moves the screen's widgets nor changes
        // their ids (a panel of its own, created or not, would), so no click is lost.
        let banner = posting::banner_shown(&mut screens.accounting, &mut ctx);
        egui::Panel::bottom("status").show(ui, |ui| {
            if banner {
                posting::banner_ui(ui, &mut screens.accounting, &ctx);
            }
            status_line_ui(ui, &app.status, ctx.texts, app.last_refusal.as_deref());
        });
        egui::Panel::left("navigation").resizable(false).show(ui, |ui| navigation_ui(ui, screens, ctx.texts));
        if let Some(detail) = &mut screens.detail {
            let mut open = true;
            egui::Panel::right("detail").default_size(380.0).show(ui, |ui| {
                open = detail::detail_ui(ui, detail, &mut ctx);
            });
            if !open {
                screens.detail = None;
            } else if let Some(request) = screens.detail.as_mut().and_then(|d| d.request.take()) {
                screens.on_detail_request(request, &ctx);
            }
        }
        egui::CentralPanel::default().show(ui, |ui| {
            banners_ui(ui, &app.status, app.grace, &app.notices, ctx.texts, ctx.commands, app.lan_host.is_some());
            crate::widgets::hosting_stopped_ui(ui, app.local_host.as_ref(), ctx.texts);
            app.waiting_edits.ui(ui, ctx.texts, ctx.commands);
            crate::kept_copies::kept_copies_ui(ui, &app.kept_copies, ctx.texts, ctx.commands);
            if crate::screens::updates::update_banner_ui(ui, &mut app.updater, ctx.texts) {
                open_updates = true;
            }
            screen_ui(ui, screens, &mut ctx);
        });
        posting::dialog_ui(ui, &mut screens.accounting, &mut ctx);
        if let Some(form) = &mut screens.payment_form
            && !crate::screens::payment_form::payment_form_ui(ui, form, &mut ctx)
        {
            screens.payment_form = None;
        }
        crate::screens::import::dialog_ui(ui, &mut screens.import, &mut ctx);
    } else {
        egui::Panel::bottom("status").show(ui, |ui| {
            status_line_ui(ui, &app.status, &app.texts, app.last_refusal.as_deref());
        });
        egui::CentralPanel::default().show(ui, |ui| {
            banners_ui(ui, &app.status, app.grace, &app.notices, &app.texts, &mut commands, app.lan_host.is_some());
            ui.heading(app.working.as_ref().map_or(WINDOW_TITLE, |c| c.name.as_str()));
        });
    }
    if open_updates {
        app.preferences =
            Some(PreferencesState { tab: crate::preferences::Tab::Updates, ..PreferencesState::default() });
    }
    app.send_all(commands);
}

/// The Fichier menu.
fn file_menu_ui(ui: &mut egui::Ui, app: &mut ComptoirApp, commands: &mut Vec<Command>) {
    if ui.button(app.texts.get("menu-preferences")).clicked() {
        app.preferences = Some(PreferencesState::default());
    }
    for (id, kind) in crate::screens::import::MENU_ITEMS {
        if ui.button(app.texts.get(id)).clicked() {
            app.screens.import = Some(crate::screens::import::ImportDialog::new(kind));
        }
    }
    if app.can_share()
        && let Some(company) = &app.working
        && ui.button(app.texts.get("menu-share")).clicked()
    {
        app.sharing = Some(crate::screens::sharing::SharingWindow::open(company.id, app.email.as_deref()));
    }
    // The hosted company's backups: the sharing window shows where they go and the newest.
    if app.can_share()
        && let Some(company) = &app.working
        && ui.button(app.texts.get("menu-back-up-now")).clicked()
    {
        app.sharing = Some(crate::screens::sharing::SharingWindow::open_to_back_up(company.id, app.email.as_deref()));
    }
    if app.can_share()
        && let Some(company) = &app.working
        && ui.button(app.texts.get("menu-restore")).clicked()
    {
        app.sharing = Some(crate::screens::sharing::SharingWindow::open_to_restore(company.id, app.email.as_deref()));
    }
    if app.can_share()
        && crate::screens::move_here::may_move(app.role)
        && let Some(company) = &app.working
        && ui.button(app.texts.get("menu-give-back")).clicked()
    {
        let window = crate::screens::move_here::GiveBackWindow::open(company.id, &company.name, app.email.as_deref());
        app.give_back = Some((window, None));
    }
    if app.can_move_here()
        && let Some(company) = &app.working
        && ui.button(app.texts.get("menu-move-here")).clicked()
    {
        app.move_here = Some(crate::screens::move_here::MoveHereWindow::open(company.id, &company.name));
    }
    if ui.button(app.texts.get("menu-sync-now")).clicked() {
        commands.push(Command::SyncNow);
    }
    if ui.button(app.texts.get("menu-sign-out")).clicked() {
        commands.push(Command::SignOut { remove_local_data: false });
    }
    if ui.button(app.texts.get("menu-quit")).clicked() {
        ui.send_viewport_cmd(egui::ViewportCommand::Close);
    }
}

/// The Preferences window, when open: it reads a narrow context and returns actions.
fn preferences_window_ui(ui: &mut egui::Ui, app: &mut ComptoirApp) {
    if let Some(mut state) = app.preferences.take() {
        let ctx = PreferencesContext {
            texts: &app.texts,
            email: app.email.as_deref(),
            role: app.role,
            companies: &app.companies,
            current: app.working.as_ref().map(|c| c.id),
            switching: app.switching.as_ref(),
            background: app.background.as_ref().map(|(company, progress)| (company.id, progress.overall)),
            server: &app.wizard.server,
            two_factor: app.two_factor,
            notice_choices: app.notice_choices,
            lan_host: app.lan_host.as_deref(),
            hosting: app.can_share(),
            updater: &app.updater,
        };
        let actions = preferences_ui(ui, &mut state, &ctx);
        app.preferences = Some(state);
        app.apply_preferences(actions);
    }
}

/// The sharing window, when open and the open company is still hosted here by a user
/// who may share it.
fn sharing_window_ui(ui: &mut egui::Ui, app: &mut ComptoirApp) {
    let Some(mut state) = app.sharing.take() else { return };
    let shared = app.working.as_ref().is_some_and(|c| c.id == state.company()) && app.can_share();
    let ctx = crate::screens::sharing::SharingContext { texts: &app.texts, now: app.clock.now() };
    if shared && crate::screens::sharing::sharing_ui(ui, &mut state, &ctx) {
        app.sharing = Some(state);
        // What the window asked this frame leaves now, not at the next frame.
        app.hand_over_host_answers();
    }
}

/// « Héberger sur cet ordinateur… », when open and the open company may still move.
fn move_here_window_ui(ui: &mut egui::Ui, app: &mut ComptoirApp) {
    let Some(mut state) = app.move_here.take() else { return };
    if app.working.as_ref().is_none_or(|c| c.id != state.company) || !app.can_move_here() {
        return;
    }
    match crate::screens::move_here::move_here_ui(ui, &mut state, &app.texts) {
        None => app.move_here = Some(state),
        Some(crate::screens::move_here::MoveHereAction::Cancel) => {}
        Some(crate::screens::move_here::MoveHereAction::Move { password, code }) => {
            app.move_here(state.company, password, code);
        }
    }
}

/// A give-back sent to the local host: where to sign in once the company is back.
#[derive(Debug)]
pub struct GiveBackSent {
    server: String,
    email: String,
    password: comptoir_core::engine::Secret,
}

/// « Remettre sur un serveur Comptoir… », while open: its request goes to the local
/// host's thread; the answer comes back through [`ComptoirApp::hand_over_host_answers`].
fn give_back_window_ui(ui: &mut egui::Ui, app: &mut ComptoirApp) {
    let Some((mut state, sent)) = app.give_back.take() else { return };
    if sent.is_none() && (app.working.as_ref().is_none_or(|c| c.id != state.company) || !app.can_share()) {
        return;
    }
    match crate::screens::move_here::give_back_ui(ui, &mut state, &app.texts) {
        None => app.give_back = Some((state, sent)),
        Some(crate::screens::move_here::GiveBackAction::Cancel) => {}
        Some(crate::screens::move_here::GiveBackAction::Send { server, email, password, code }) => {
            let request = crate::local_host::HostRequest::GiveBack {
                company: state.company,
                server: server.clone(),
                email: email.clone(),
                password: password.clone(),
                code,
            };
            if app.local_host.as_ref().is_some_and(|host| host.ask(request)) {
                state.running = true;
                app.give_back = Some((state, Some(GiveBackSent { server, email, password })));
            } else {
                state.problem = Some(crate::hosting::HostProblem::new("host_busy", "the host is busy"));
                app.give_back = Some((state, sent));
            }
        }
    }
}

/// "Ouverture de …" while another company opens, with its download's progress.
fn switching_ui(ui: &mut egui::Ui, company: &CompanyChoice, wizard: &Wizard, texts: &Texts) {
    ui.separator();
    if let Some(SetupStep::Downloading { company: downloading, progress }) = &wizard.step
        && downloading.id == company.id
    {
        ui.add(egui::ProgressBar::new(progress.overall).desired_width(120.0).show_percentage());
    } else {
        ui.spinner();
    }
    ui.label(texts.with("account-switching", &[("company", company.name.clone().into())]));
}

/// Another company than the one open: the one opening, or the one downloading in the
/// background (how far it has come; once it has arrived, a button opens it).
fn other_company_ui(ui: &mut egui::Ui, app: &mut ComptoirApp) {
    if let Some(company) = &app.switching {
        switching_ui(ui, company, &app.wizard, &app.texts);
    }
    if let Some((company, progress)) = &app.background {
        ui.separator();
        ui.add(egui::ProgressBar::new(progress.overall).desired_width(120.0));
        let percent = f64::from((progress.overall * 100.0).round());
        let args = [("company", company.name.clone().into()), ("percent", percent.into())];
        ui.label(app.texts.with("account-background", &args));
    } else if let Some(company) = app.ready_aside.clone() {
        ui.separator();
        let open = ui.button(app.texts.with("account-background-open", &[("company", company.name.clone().into())]));
        ui.label(app.texts.with("account-background-ready", &[("company", company.name.clone().into())]));
        if open.clicked() {
            app.switch_company(company);
        }
    }
}

/// The notifications bell: a red dot while notices are unread.
fn bell_ui(ui: &mut egui::Ui, app: &mut ComptoirApp) {
    let label = app.texts.with("bell", &[("count", app.unread.into())]);
    // Words, not an emoji: the built-in fonts have no bell, and the label is also what
    // screen readers say.
    let response = ui.button(label);
    if app.unread > 0 {
        let dot = response.rect.right_top() + egui::vec2(-3.0, 3.0);
        ui.painter().circle_filled(dot, 4.0, egui::Color32::RED);
    }
    if response.clicked() {
        app.bell_open = !app.bell_open;
        app.unread = 0;
    }
}

/// The list of notices, newest first.
fn notices_ui(ui: &mut egui::Ui, app: &mut ComptoirApp) {
    let mut open = true;
    egui::Window::new(app.texts.get("notices-title")).open(&mut open).show(ui.ctx(), |ui| {
        if app.notices.is_empty() {
            ui.label(app.texts.get("notices-none"));
        }
        for notice in app.notices.iter().rev() {
            ui.label(notice_text(notice, &app.texts));
            ui.separator();
        }
    });
    app.bell_open = open;
}
