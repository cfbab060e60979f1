//! What the kittest UI tests share: waiting for the real app (its engine and reader work
//! on their own threads) and driving it by accessible labels.

use std::time::{Duration, Instant};

use comptoir::app::ComptoirApp;
use egui_kittest::Harness;
use egui_kittest::kittest::{By, Queryable as _};

use crate::TestServer;

/// Runs frames until `found` holds (it is called once a frame: it may also record what
/// the window showed on the way), while the engine and the reader work on their threads.
///
/// # Panics
///
/// When it does not hold within 30 s (a test failure).
pub fn wait_until(
    harness: &mut Harness<'_, ComptoirApp>,
    what: &str,
    found: impl FnMut(&Harness<'_, ComptoirApp>) -> bool,
) {
    if step_until(harness, Duration::from_secs(30), Duration::from_millis(10), found) {
        // A panel that just opened sizes itself to its content over a frame or two:
        // let the layout settle before anything is clicked where it shows.
        for _ in 0..3 {
            harness.step();
        }
        return;
    }
    let state = harness.state();
    panic!(
        "{what} never showed; status {:?}, last refusal {:?}, wizard at {:?}, notices {:?}, working {:?}",
        state.status, state.last_refusal, state.wizard.step, state.notices, state.working
    );
}

/// Runs frames, `pause` apart, until `found` holds or `patience` is spent, and says whether
/// it held. No frame runs after the one where it held: a benchmark times up to it.
pub fn step_until(
    harness: &mut Harness<'_, ComptoirApp>,
    patience: Duration,
    pause: Duration,
    mut found: impl FnMut(&Harness<'_, ComptoirApp>) -> bool,
) -> bool {
    let deadline = Instant::now() + patience;
    while Instant::now() < deadline {
        harness.step();
        if found(harness) {
            return true;
        }
        std::thread::sleep(pause);
    }
    false
}

/// Whether a widget whose label contains `text` shows.
pub fn shows(harness: &Harness<'_, ComptoirApp>, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}

/// Runs frames until a widget whose label contains `text` shows.
///
/// # Panics
///
/// When it does not show within 30 s (a test failure).
/// One turn of the mouse wheel of `dy` points (positive: up) where the pointer is.
pub fn wheel<State>(harness: &Harness<'_, State>, dy: f32) {
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, dy),
        modifiers: egui::Modifiers::NONE,
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
    });
}

pub fn wait_for(harness: &mut Harness<'_, ComptoirApp>, text: &str) {
    wait_until(harness, &format!("“{text}”"), |h| shows(h, text));
}

/// [`wait_for`], with `seen` called on every frame until then (to record the progress the
/// window showed on the way, say).
///
/// # Panics
///
/// When it does not show within 30 s (a test failure).
pub fn wait_for_watching(
    harness: &mut Harness<'_, ComptoirApp>,
    text: &str,
    mut seen: impl FnMut(&Harness<'_, ComptoirApp>),
) {
    wait_until(harness, &format!("“{text}”"), |h| {
        seen(h);
        shows(h, text)
    });
}

/// The text field named `label` (a column may bear the same name).
fn text_field<'a>(harness: &Harness<'_, ComptoirApp>, label: &'a str) -> By<'a> {
    let text_input = By::new().label(label).role(egui::accesskit::Role::TextInput);
    if harness_has(harness, text_input.clone()) { text_input } else { By::new().label(label) }
}

/// Types into the text field named `label`.
pub fn type_into(harness: &mut Harness<'_, ComptoirApp>, label: &str, text: &str) {
    let field = text_field(harness, label);
    harness.get(field.clone()).focus();
    harness.step();
    harness.get(field).type_text(text);
    harness.step();
}

pub fn harness_has(harness: &Harness<'_, ComptoirApp>, by: By<'_>) -> bool {
    harness.query(by).is_some()
}

/// Signs in with the demo account and opens the company at `index`, up to the main window.
pub fn open_company(harness: &mut Harness<'_, ComptoirApp>, server: &TestServer, index: usize) {
    wait_for(harness, "Adresse e-mail");
    type_into(harness, "Adresse e-mail", &server.accounts.email);
    type_into(harness, "Mot de passe", &server.accounts.password);
    harness.get_by_label("Se connecter").click();
    let name = server.accounts.companies[index].1.clone();
    wait_for(harness, &name);
    harness.get_by_label(&name).click();
    wait_for(harness, "Commencer");
    harness.get_by_label("Commencer").click();
    wait_for(harness, "Synchronisé");
}

/// Goes to `screen` through the navigation (a screen may show its name elsewhere too).
pub fn go_to(harness: &mut Harness<'_, ComptoirApp>, screen: &str) {
    harness.get(By::new().label(screen).role(egui::accesskit::Role::Button)).click();
    harness.step();
}

/// Fichier → `item` (Synchroniser maintenant, Préférences…).
pub fn file_menu(harness: &mut Harness<'_, ComptoirApp>, item: &str) {
    harness.get_by_label("Fichier").click();
    wait_for(harness, item);
    harness.get_by_label(item).click();
    harness.step();
}

/// A choice in an open drop-down list (rows may show the same words as labels or links).
pub fn choice(label: &str) -> By<'_> {
    By::new()
        .label(label)
        .predicate(|node| !matches!(node.role(), egui::accesskit::Role::Label | egui::accesskit::Role::Link))
}

/// Opens the drop-down list named `list` and picks `option`.
pub fn pick(harness: &mut Harness<'_, ComptoirApp>, list: &str, option: &str) {
    harness.get_by_label(list).click();
    wait_until(harness, &format!("the choice “{option}”"), |h| h.query(choice(option)).is_some());
    harness.get(choice(option)).click();
    harness.step();
}

/// Replaces the text of the field named `label` (select all, delete, type).
pub fn replace_text(harness: &mut Harness<'_, ComptoirApp>, label: &str, text: &str) {
    let field = text_field(harness, label);
    harness.get(field).focus();
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.key_press(egui::Key::Backspace);
    harness.step();
    type_into(harness, label, text);
}

/// The copy's file, read the way a test checks what the window shows.
///
/// # Panics
///
/// When the window has no company open (a test failure).
pub fn copy(harness: &Harness<'_, ComptoirApp>) -> comptoir_core::store::CompanyStore {
    #[allow(clippy::expect_used, reason = "a test helper: a panic is the failure report")]
    let path = harness.state().reader.as_ref().expect("a company open").path().to_path_buf();
    #[allow(clippy::expect_used, reason = "a test helper: a panic is the failure report")]
    comptoir_core::store::CompanyStore::open_read_only(&path).expect("the copy opens")
}

/// Closes the window as the real app quits: the app is dropped (the engine told to stop,
/// not waited for), then the engine is waited for, as `main` waits once the window is
/// gone, so that a test which opens the same folder next finds the files closed.
///
/// # Panics
///
/// When the engine does not finish within 30 s (a test failure).
pub fn close(harness: Harness<'_, ComptoirApp>) {
    let stopped = harness.state().engine_stopped();
    drop(harness);
    let finished = stopped.get().is_some_and(|stopping| stopping.wait(Duration::from_secs(30)));
    assert!(finished, "the engine did not finish after the window closed");
}

/// The real app on `dir` against `server`, in a window wide enough for the editor.
pub fn wide_app(dir: &std::path::Path, server: &str) -> Harness<'static, ComptoirApp> {
    crate::app_harness(dir, server, std::sync::Arc::new(comptoir_core::clock::SystemClock), egui::vec2(1400.0, 900.0))
}

/// A server of about `records` records, and the app with its demo company `company`
/// open (0: the small French one, with every legal mention).
///
/// # Panics
///
/// When the server or its folder cannot be made (a test failure).
pub fn opened(records: u32, company: usize) -> (TestServer, tempfile::TempDir, Harness<'static, ComptoirApp>) {
    #[allow(clippy::expect_used, reason = "a test helper: a panic is the failure report")]
    let server = TestServer::start(records).expect("the test server starts");
    #[allow(clippy::expect_used, reason = "a test helper: a panic is the failure report")]
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut harness = wide_app(dir.path(), &server.url);
    open_company(&mut harness, &server, company);
    (server, dir, harness)
}

/// The desktop of a UI test: its save dialog answers at once with the path the test
/// set, and it records the files the app asked to open instead of launching a viewer
/// (or refuses them, as a desktop with no viewer does).
#[derive(Debug, Default)]
pub struct RecordingShell {
    /// The path the save dialog answers (`None`: the user cancels).
    pub save_to: std::sync::Mutex<Option<std::path::PathBuf>>,
    /// The file names the save dialog proposed, in order.
    pub proposed: std::sync::Mutex<Vec<String>>,
    /// The files the app asked to open, in order.
    pub opened: std::sync::Mutex<Vec<std::path::PathBuf>>,
    /// Every open fails with this reason (no viewer).
    pub refuse_open: std::sync::Mutex<Option<String>>,
}

impl comptoir::desktop::Shell for RecordingShell {
    fn choose_save_path(
        &self,
        name: String,
        _filter: (&str, &[&str]),
        wake: comptoir::desktop::Wake,
    ) -> Option<std::sync::mpsc::Receiver<Option<std::path::PathBuf>>> {
        let (sender, answer) = std::sync::mpsc::channel();
        self.proposed.lock().ok()?.push(name);
        let _ = sender.send(self.save_to.lock().ok()?.clone());
        wake();
        Some(answer)
    }

    fn open(&self, path: &std::path::Path) -> Result<(), comptoir::desktop::OpenError> {
        let refused = self.refuse_open.lock().ok().and_then(|reason| reason.clone());
        if let Some(reason) = refused {
            return Err(comptoir::desktop::OpenError(reason));
        }
        if let Ok(mut opened) = self.opened.lock() {
            opened.push(path.to_path_buf());
        }
        Ok(())
    }
}

/// Puts a [`RecordingShell`] in the app's desktop, in place of the system's dialogs and
/// viewer, and returns it for the test to set and read.
pub fn record_desktop(harness: &mut Harness<'_, ComptoirApp>) -> std::sync::Arc<RecordingShell> {
    let shell = std::sync::Arc::new(RecordingShell::default());
    harness.state_mut().desktop.shell = shell.clone();
    shell
}
