//! The same app in a real window: `eframe` as `comptoir` opens it (winit, wgpu, the tray
//! icon), on whatever renderer the display offers. Under `xvfb-run` there is no GPU: the
//! triangles are rasterised in software (Mesa's llvmpipe or lavapipe), as on a machine
//! without a graphics driver, and the adapter's name is printed to show which.
//!
//! The run drives the window as a user would, through the app's own state and input
//! events (no test harness): the dashboard on opening, then the invoice list, scrolled
//! and jumped through, a search, and the dashboard again. Frames are drawn without pause
//! (each asks for the next), so the time between two is what a frame costs whole: the
//! app's layout, tessellation, rasterisation and presentation. Prints figures and the
//! process's peak memory; asserts nothing about time.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use comptoir::app::ComptoirApp;
use comptoir::screens::Screen;
use comptoir_core::clock::SystemClock;
use comptoir_tests::{engine_config, file_credentials, ms, peak_rss_mib, spread};

use super::{FRAMES, OFFLINE_SERVER, PATIENCE};

/// Where the run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// Until the dashboard shows its figures and its charts.
    Opening,
    /// Frames of the dashboard at rest.
    Dashboard,
    /// The invoice list asked for, until its count shows.
    List,
    /// Frames of the list at rest.
    ListAtRest,
    /// A screenful scrolled every frame.
    Scrolling,
    /// Far jumps, as by the scroll bar.
    Jumping,
    /// A customer's name typed in the search box, until its results show.
    Searching,
    /// Frames of the results.
    Results,
    /// The dashboard again, at rest.
    Back,
}

/// The app in a window, and the run's script around it.
struct WindowRun {
    app: ComptoirApp,
    launched: Instant,
    stop: Stop,
    stop_started: Instant,
    /// When the previous frame began, to time this one whole.
    previous: Option<Instant>,
    frames: Vec<Duration>,
    /// The wheel's move to give the next frame, with the pointer over the list.
    wheel: Option<f32>,
    /// The name to search for (read by the parent: see `Picks`).
    surname: String,
}

/// Runs the app in a window on the prepared folder `data` until its script ends.
pub fn run(data: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let surname = super::Picks::from_env()?.surname;
    let launched = Instant::now();
    // As `comptoir` starts it, but for the credentials (kept in a file rather than the
    // system's keychain, which a virtual display has none of) and French.
    let config = engine_config(data, OFFLINE_SERVER, Arc::new(SystemClock), file_credentials(data));
    let app = ComptoirApp::start_with(config, comptoir::app::AppConfig::new(comptoir::i18n::Language::French))?;
    let mut failed = None;
    let outcome = eframe::run_native(
        comptoir::app::APP_ID,
        comptoir::app::window_options(),
        Box::new(|cc| {
            match cc.wgpu_render_state.as_ref() {
                Some(state) => {
                    let info = state.adapter.get_info();
                    println!(
                        "real window: renderer {} ({:?}, {:?}, driver {} {})",
                        info.name, info.backend, info.device_type, info.driver, info.driver_info
                    );
                }
                None => println!("real window: renderer unknown (not wgpu)"),
            }
            let mut app = app;
            app.start_tray(&cc.egui_ctx);
            Ok(Box::new(Recorder {
                run: WindowRun {
                    app,
                    launched,
                    stop: Stop::Opening,
                    stop_started: Instant::now(),
                    previous: None,
                    frames: Vec::with_capacity(FRAMES),
                    wheel: None,
                    surname,
                },
                failed: &mut failed,
            }))
        }),
    );
    outcome.map_err(|e| format!("the window could not run: {e}"))?;
    if let Some(failed) = failed {
        return Err(failed.into());
    }
    println!("real window: app process peak memory {} MiB", peak_rss_mib());
    Ok(())
}

/// The run, and where its failure is told once the window has closed.
struct Recorder<'a> {
    run: WindowRun,
    failed: &'a mut Option<String>,
}

impl eframe::App for Recorder<'_> {
    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        if let Some(dy) = self.run.wheel.take() {
            // The pointer over the list's rows, then the wheel.
            raw_input.events.push(egui::Event::PointerMoved(egui::pos2(600.0, 450.0)));
            raw_input.events.push(egui::Event::MouseWheel {
                unit: egui::MouseWheelUnit::Point,
                delta: egui::vec2(0.0, dy),
                modifiers: egui::Modifiers::NONE,
                phase: egui::TouchPhase::Move,
                source: egui::MouseWheelSource::Unknown,
            });
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let began = Instant::now();
        if let Some(previous) = self.run.previous.replace(began) {
            self.run.frames.push(began - previous);
        }
        self.run.app.frame_ui(ui);
        let done = match self.run.next() {
            Ok(done) => done,
            Err(e) => {
                *self.failed = Some(e);
                true
            }
        };
        if done {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        } else {
            ui.ctx().request_repaint();
        }
    }
}

impl WindowRun {
    /// Goes on with the script after a frame; `true` once it has ended.
    fn next(&mut self) -> Result<bool, String> {
        let waited = ms(self.stop_started.elapsed());
        match self.stop {
            Stop::Opening => {
                let dashboard = &self.app.screens.dashboard;
                let shown = (dashboard.figures.is_some() && dashboard.charts.is_some()).then(|| {
                    format!(
                        "the dashboard's figures and charts show {:.1} ms after launch",
                        ms(self.launched.elapsed())
                    )
                });
                self.wait(shown, "the dashboard's figures", Stop::Dashboard)?;
            }
            Stop::Dashboard => {
                if self.counted(FRAMES, "dashboard frame at rest") {
                    self.app.screens.current = Some(Screen::Invoices);
                    self.begin(Stop::List);
                }
            }
            Stop::List => {
                let shown = self.app.screens.invoices.total;
                let shown =
                    shown.map(|total| format!("invoice list, {total} counted, shown {waited:.1} ms after the click"));
                self.wait(shown, "the invoice list's count", Stop::ListAtRest)?;
            }
            Stop::ListAtRest => {
                if self.counted(FRAMES, "list frame at rest") {
                    self.begin(Stop::Scrolling);
                }
            }
            Stop::Scrolling => {
                if self.counted(FRAMES, "list frame scrolling 600 px/frame") {
                    self.begin(Stop::Jumping);
                } else {
                    self.wheel = Some(-600.0);
                }
            }
            Stop::Jumping => {
                if self.counted(20, "list frame jumping far (offset reads)") {
                    self.app.screens.invoices.search.clone_from(&self.surname);
                    self.begin(Stop::Searching);
                } else {
                    let jump = if self.frames.len().is_multiple_of(2) { -2_000_000.0 } else { 1_500_000.0 };
                    self.wheel = Some(jump);
                }
            }
            Stop::Searching => {
                let list = &self.app.screens.invoices;
                let shown = list.results.as_ref().filter(|(text, _)| *text == list.search.trim());
                let shown = shown.map(|(text, rows)| {
                    format!("search “{text}” typed, its {} rows shown {waited:.1} ms after", rows.len())
                });
                self.wait(shown, "the search's results", Stop::Results)?;
            }
            Stop::Results => {
                if self.counted(FRAMES, "list frame showing the results") {
                    self.app.screens.current = Some(Screen::Dashboard);
                    self.begin(Stop::Back);
                }
            }
            Stop::Back => return Ok(self.counted(FRAMES, "dashboard frame, back to it")),
        }
        Ok(false)
    }

    /// Once what this stop waits for has shown (`shown`: what to print of it), prints it
    /// and moves to `then`; fails when it has not after [`PATIENCE`].
    fn wait(&mut self, shown: Option<String>, what: &str, then: Stop) -> Result<(), String> {
        match shown {
            Some(shown) => {
                println!("real window: {shown}");
                self.begin(then);
                Ok(())
            }
            None if self.stop_started.elapsed() > PATIENCE => Err(format!("{what} never showed")),
            None => Ok(()),
        }
    }

    /// Whether `frames` frames of this stop are counted: then prints their spread.
    fn counted(&mut self, frames: usize, what: &str) -> bool {
        if self.frames.len() < frames {
            return false;
        }
        println!("real window: {what:34} {}", spread(std::mem::take(&mut self.frames)));
        true
    }

    /// Moves to `stop`: its frames are counted from the next.
    fn begin(&mut self, stop: Stop) {
        self.stop = stop;
        self.stop_started = Instant::now();
        self.frames.clear();
        self.previous = None;
    }
}
