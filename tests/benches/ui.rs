//! UI benchmark: the real app (`ComptoirApp`, its engine thread and its reader thread)
//! on a company of 1,000,000 invoices, driven headless with `egui_kittest`.
//!
//! The parent fills the company file once (through the real store and demo generator)
//! and registers it as the machine's active company; a child process (this benchmark
//! started again) then launches the app on it, so that the launch time and the peak
//! memory printed are the app's alone. Prints figures; asserts nothing about time.
//!
//! Targets (issue: the desktop app; release build, 2 cores): first frame under 300 ms,
//! invoice list frame under 8 ms of CPU, full-text search under 30 ms, peak memory
//! under 150 MB with the large company open.
//!
//! What a frame costs here: egui's layout of the whole window, the reads of the rows in
//! view, the accessibility tree (kittest turns it on; a desktop run builds it only when
//! a screen reader asks) and the tessellation into triangles. Rasterising those triangles
//! (the GPU, or llvmpipe in software) is not included.
//!
//! A third process then opens the same folder in a real window, as `comptoir` does, on a
//! virtual display (`xvfb-run`: software rendering), and drives it through the same
//! screens: its frames are timed whole, rasterisation included (see `ui/window.rs`).
//! Last, the `comptoir` binary itself is started on the folder, on a virtual display too,
//! and left on its dashboard while its memory is read from outside: the peak issue 18
//! asks of a 1M company open in the real window.
//!
//! `COMPTOIR_BENCH_INVOICES=N` changes the number of invoices.

use comptoir_tests::ui::wheel;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use comptoir::app::ComptoirApp;
use comptoir_core::clock::SystemClock;
use comptoir_core::demo::{self, DemoSize};
use comptoir_core::model::{Country, DocumentKind, UserId};
use comptoir_core::store::{
    AppStore, CompanyStore, DocumentFilter, DocumentSort, LocalAccount, LocalCompany, PageRequest, SortDirection,
};
use comptoir_tests::{app_harness, ms, peak_rss_mib, proc_kib, spread, ui};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

#[path = "ui/window.rs"]
mod window;

const CHILD_MODE: &str = "COMPTOIR_BENCH_UI_DATA";
/// The second child: the same folder in a real window (see `window.rs`).
const WINDOW_MODE: &str = "COMPTOIR_BENCH_UI_WINDOW";
/// Frames measured at each stop.
const FRAMES: usize = 120;
/// How long a run waits for what it waits for before it fails.
const PATIENCE: Duration = Duration::from_mins(2);
/// The company's server: a closed port, so the app works offline, as on a train.
const OFFLINE_SERVER: &str = "http://127.0.0.1:9";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Ok(data) = std::env::var(CHILD_MODE) {
        return app_run(Path::new(&data));
    }
    if let Ok(data) = std::env::var(WINDOW_MODE) {
        return window::run(Path::new(&data));
    }
    let invoices: u32 = std::env::var("COMPTOIR_BENCH_INVOICES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let temporary = tempfile::tempdir()?;
    // `COMPTOIR_BENCH_UI_KEEP=DIR` keeps the prepared folder, to open it in the real
    // window afterwards: `comptoir --data DIR`.
    let kept = std::env::var_os("COMPTOIR_BENCH_UI_KEEP").map(std::path::PathBuf::from);
    let dir = kept.as_deref().unwrap_or(temporary.path());
    if !dir.join(AppStore::FILE_NAME).exists() {
        prepare(dir, invoices)?;
    }
    // What the children look for, read here: a query of their own would count its
    // memory as the app's.
    let picks = Picks::read(dir)?.to_env();
    let status = std::process::Command::new(std::env::current_exe()?)
        .env(CHILD_MODE, dir)
        .env(PICKS, &picks)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .status()?;
    if !status.success() {
        return Err(format!("the app run failed: {status}").into());
    }
    window_child(dir, &picks)
}

/// Passes [`Picks`] to the children.
const PICKS: &str = "COMPTOIR_BENCH_UI_PICKS";

/// What the runs look for in the company: how many invoices the list counts, and the
/// invoice a third of the way down the list by date, whose customer's surname (one the
/// list holds many invoices of) and number are searched for.
struct Picks {
    invoices: u64,
    surname: String,
    number: String,
}

impl Picks {
    fn read(data: &Path) -> Result<Self, Box<dyn std::error::Error>> {
        let app = AppStore::open(&data.join(AppStore::FILE_NAME))?;
        let company = app.active_company()?.ok_or("no active company")?;
        let reader = CompanyStore::open_read_only(&company.file_path)?;
        let invoices = DocumentFilter::kind(DocumentKind::Invoice);
        let total = reader.count_documents(&invoices)?;
        let page = reader.list_documents(
            &invoices,
            DocumentSort::Date,
            SortDirection::Descending,
            &PageRequest::Offset(total / 3),
            1,
        )?;
        let row = page.rows.into_iter().next().ok_or("no invoice")?;
        Ok(Self {
            invoices: total,
            surname: row.customer_name.split_whitespace().next().unwrap_or("Martin").to_owned(),
            number: row.number.ok_or("an invoice without number")?,
        })
    }

    fn to_env(&self) -> String {
        format!("{}|{}|{}", self.invoices, self.surname, self.number)
    }

    fn from_env() -> Result<Self, Box<dyn std::error::Error>> {
        let text = std::env::var(PICKS)?;
        let mut parts = text.splitn(3, '|');
        let mut next = || parts.next().map(str::to_owned).ok_or("incomplete picks");
        Ok(Self { invoices: next()?.parse()?, surname: next()?, number: next()? })
    }
}

/// The runs in a real window, each on a virtual display of its own (`xvfb-run`: no GPU,
/// the triangles rasterised in software): the window child, scripted; then the `comptoir`
/// binary itself on the same folder, left on its dashboard, whose peak memory is read
/// from outside. The copy is opened again by each, as on the app's next launch.
fn window_child(data: &Path, picks: &str) -> Result<(), Box<dyn std::error::Error>> {
    if std::process::Command::new("xvfb-run").arg("--help").output().is_err() {
        println!("real window: not measured (no xvfb-run here: the Quick start's packages install it)");
        return Ok(());
    }
    let runtime = tempfile::tempdir()?;
    let status = on_virtual_display(runtime.path())
        .arg(std::env::current_exe()?)
        .env(WINDOW_MODE, data)
        .env(PICKS, picks)
        .status()?;
    if !status.success() {
        return Err(format!("the window run failed: {status}").into());
    }
    real_binary(data, runtime.path())
}

/// `xvfb-run`, to be given the program to run: a display of the app window's size and a
/// private runtime folder (Mesa wants one).
fn on_virtual_display(runtime: &Path) -> std::process::Command {
    let mut command = std::process::Command::new("xvfb-run");
    command
        .args(["-a", "-s", "-screen 0 1280x800x24"])
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_RUNTIME_DIR", runtime)
        .env("XDG_STATE_HOME", runtime);
    command
}

/// How long `comptoir` is left on its dashboard: the scripted run shows its charts about
/// 2 s after launch on 1M invoices, and a slower machine or a cold disk cache takes more.
const LEFT_OPEN: Duration = Duration::from_secs(30);

/// `comptoir --data DIR` as a user starts it, left open on its dashboard for
/// [`LEFT_OPEN`], its memory read from `/proc` every quarter of a second.
fn real_binary(data: &Path, runtime: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let pid_file = runtime.join("comptoir.pid");
    // The shell writes its pid and becomes the app: the pid is the app's.
    let mut display = on_virtual_display(runtime)
        .args(["sh", "-c", "echo $$ > \"$2\"; exec \"$0\" --data \"$1\""])
        .arg(env!("CARGO_BIN_EXE_comptoir-app"))
        .arg(data)
        .arg(&pid_file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let started = Instant::now();
    let mut pid = None;
    let mut peak_kib = 0;
    let mut last = String::new();
    while started.elapsed() < LEFT_OPEN {
        std::thread::sleep(Duration::from_millis(250));
        if pid.is_none() {
            pid = std::fs::read_to_string(&pid_file).ok().and_then(|p| p.trim().parse::<u32>().ok());
        }
        let Some(pid) = pid else { continue };
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            return Err("comptoir stopped before it was closed".into());
        };
        peak_kib = proc_kib(&status, "VmHWM:").unwrap_or(peak_kib);
        last = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    }
    let Some(pid) = pid else {
        display.kill()?;
        return Err(format!("comptoir did not start within {} s", LEFT_OPEN.as_secs()).into());
    };
    std::process::Command::new("kill").arg(pid.to_string()).status()?;
    display.wait()?;
    let part = |key: &str| proc_kib(&last, key).map_or_else(|| "?".to_owned(), |k| (k / 1024).to_string());
    println!(
        "real window, the `comptoir` binary on its dashboard for {} s: peak memory {} MiB; at the end {} MiB \
         resident, of which {} MiB anonymous (heaps, caches, buffers) and the rest mapped files (the program's \
         code, Mesa and LLVM's)",
        LEFT_OPEN.as_secs(),
        peak_kib / 1024,
        part("Rss:"),
        part("Anonymous:"),
    );
    Ok(())
}

/// A data folder as the app leaves it after a first download: an account, and the
/// company's file, synced a moment ago, as the active company. Its server does not
/// answer (a closed port): the app works offline, as on a train.
fn prepare(data: &Path, invoices: u32) -> Result<(), Box<dyn std::error::Error>> {
    let companies = data.join("companies");
    std::fs::create_dir_all(&companies)?;
    let company = demo::demo_company(1, &Country::France);
    let path = companies.join(format!("{}.comptoir", company.id));
    let mut store = CompanyStore::create(&path, &company)?;
    let started = Instant::now();
    let report = demo::fill(&mut store, 1, &DemoSize::invoices_only(invoices))?;
    store.record_sync(chrono::Utc::now(), 72)?;
    let filled = started.elapsed().as_secs_f64();
    // The accounting entries derived, as the engine leaves them after a download: the
    // frames measured are the screens', not those of a copy still deriving.
    let started = Instant::now();
    store.refresh_whole_ledger(chrono::Utc::now().date_naive())?;
    let derived = started.elapsed().as_secs_f64();
    store.connection().execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")?;
    println!(
        "ui benchmark: {} invoices, {} contacts, filled in {filled:.1} s, entries derived in {derived:.1} s",
        report.invoices, report.contacts,
    );
    drop(store);
    let app = AppStore::open(&data.join(AppStore::FILE_NAME))?;
    let user = UserId::new();
    app.upsert_account(&LocalAccount {
        user_id: user,
        email: "bench@comptoir.invalid".into(),
        display_name: "Bench".into(),
        server_url: OFFLINE_SERVER.into(),
    })?;
    app.upsert_company(&LocalCompany {
        company_id: company.id,
        account: Some(user),
        name: company.legal_name.clone(),
        file_path: path,
        active: true,
    })?;
    app.set_active_company(company.id)?;
    Ok(())
}

/// One frame and its tessellation; returns its CPU time on this thread.
fn frame(harness: &mut Harness<'_, ComptoirApp>) -> Duration {
    let started = Instant::now();
    harness.step();
    let output = harness.output();
    let primitives = harness.ctx.tessellate(output.shapes.clone(), output.pixels_per_point);
    std::hint::black_box(primitives);
    started.elapsed()
}

/// Runs frames, 1 ms apart, up to the one that shows `text` (the tests' helper, with a
/// benchmark's patience and resolution, and an error instead of a panic).
fn wait_for(harness: &mut Harness<'_, ComptoirApp>, text: &str) -> Result<(), String> {
    if ui::step_until(harness, PATIENCE, Duration::from_millis(1), |h| ui::shows(h, text)) {
        Ok(())
    } else {
        Err(format!("“{text}” never showed"))
    }
}

/// The child: launch the app on the prepared folder, as `comptoir` does, and measure.
fn app_run(data: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let picks = Picks::from_env()?;
    let launched = Instant::now();
    // As `comptoir` starts it (its engine, its reader, French), through the tests' harness.
    let mut harness = app_harness(data, OFFLINE_SERVER, Arc::new(SystemClock), egui::vec2(1280.0, 800.0));
    frame(&mut harness);
    let first_frame = launched.elapsed();
    // The company opens as soon as the engine has read the app file: the dashboard.
    wait_for(&mut harness, "Tableau de bord")?;
    let main_window = launched.elapsed();
    println!(
        "launch to first frame: {:.1} ms; to the main window on the company: {:.1} ms",
        ms(first_frame),
        ms(main_window)
    );
    dashboard_on_opening(&mut harness, launched, main_window)?;

    // From the click: the list's own count runs on the reader thread meanwhile.
    let clicked = Instant::now();
    // Through the navigation: the dashboard names its invoices too.
    ui::go_to(&mut harness, "Factures");
    let total = picks.invoices;
    wait_for(&mut harness, &format!("{total} documents"))?;
    println!(
        "invoice list: {total} invoices counted in the background, shown {:.1} ms after the click",
        ms(clicked.elapsed())
    );

    // Frames of the list at rest, then scrolled a screenful per frame, then jumps.
    let rest: Vec<Duration> = (0..FRAMES).map(|_| frame(&mut harness)).collect();
    println!("list frame at rest:               {}", spread(rest));
    let centre = egui::pos2(640.0, 500.0);
    let mut scrolled = Vec::with_capacity(FRAMES);
    for _ in 0..FRAMES {
        harness.hover_at(centre);
        wheel(&harness, -600.0);
        scrolled.push(frame(&mut harness));
    }
    println!("list frame scrolling 600 px/frame: {}", spread(scrolled));
    let mut jumps = Vec::with_capacity(20);
    for i in 0..20 {
        // Far jumps by the scroll bar land on rows read by offset.
        let delta = if i % 2 == 0 { -2_000_000.0 } else { 1_500_000.0 };
        wheel(&harness, delta);
        jumps.push(frame(&mut harness));
    }
    println!("list frame jumping far (offset reads): {}", spread(jumps));
    let by_number_clicked = Instant::now();
    harness.get_by_label("Numéro").click();
    let sort_frames: Vec<Duration> = (0..3).map(|_| frame(&mut harness)).collect();
    println!("sort by number: {:.2} ms until redrawn ({})", ms(by_number_clicked.elapsed()), spread(sort_frames));

    // A search typed in the window until its rows show.
    let name = &picks.surname;
    harness.get_by_label("Rechercher").focus();
    harness.step();
    let typed = Instant::now();
    harness.get_by_label("Rechercher").type_text(name);
    wait_for(&mut harness, "résultats")?;
    println!("search “{name}” typed in the window until its rows show: {:.1} ms", ms(typed.elapsed()));
    let searching: Vec<Duration> = (0..FRAMES / 2).map(|_| frame(&mut harness)).collect();
    println!("list frame showing the results:    {}", spread(searching));
    ui::go_to(&mut harness, "Tableau de bord");
    wait_for(&mut harness, "Restant dû par ancienneté")?;
    // Read before the queries below, which run on a connection of this benchmark's own.
    println!("app process peak memory: {} MiB", peak_rss_mib());
    queries_alone(&harness, &picks)
}

/// What the user waits for after the main window, on the dashboard that opens first: its
/// figures and its charts, read on the reader thread while frames go on.
fn dashboard_on_opening(
    harness: &mut Harness<'_, ComptoirApp>,
    launched: Instant,
    main_window: Duration,
) -> Result<(), Box<dyn std::error::Error>> {
    wait_for(harness, "Voir les factures impayées")?;
    let figures_shown = launched.elapsed();
    wait_for(harness, "Restant dû par ancienneté")?;
    let charts_shown = launched.elapsed();
    println!(
        "dashboard on opening: its figures show {:.1} ms and its charts {:.1} ms after the main window",
        ms(figures_shown.saturating_sub(main_window)),
        ms(charts_shown.saturating_sub(main_window))
    );
    Ok(())
}

/// The queries behind what the window showed, alone, on a connection of the benchmark's
/// own (after the app's memory was read): the searches, the dashboard's figures and its
/// three grouped chart queries (the time until the window shows them is measured on
/// opening), and the count of the invoices behind the oldest age bar, as the list counts
/// them.
fn queries_alone(harness: &Harness<'_, ComptoirApp>, picks: &Picks) -> Result<(), Box<dyn std::error::Error>> {
    let reader = CompanyStore::open_read_only(harness.state().reader.as_ref().ok_or("no company open")?.path())?;
    let invoices = DocumentFilter::kind(DocumentKind::Invoice);
    let name = &picks.surname;
    let mut queries = Vec::new();
    let mut hits = 0;
    for _ in 0..20 {
        let started = Instant::now();
        hits = reader.search_documents(&invoices, name, comptoir::screens::documents::SEARCH_LIMIT)?.len();
        queries.push(started.elapsed());
    }
    println!("search “{name}” ({hits} rows shown, newest first), the query alone: {}", spread(queries));
    let number = &picks.number;
    let mut queries = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        std::hint::black_box(reader.search_documents(&invoices, number, 10)?);
        queries.push(started.elapsed());
    }
    println!("search by number {number}, the query alone: {}", spread(queries));
    let today = chrono::Local::now().date_naive();
    let asked = Instant::now();
    let figures = reader.dashboard(today)?;
    println!(
        "dashboard figures, the query alone: {:.1} ms ({} unpaid invoices)",
        ms(asked.elapsed()),
        figures.unpaid_count
    );
    let mut queries = Vec::new();
    let mut charts = reader.dashboard_charts(today)?;
    for _ in 0..5 {
        let started = Instant::now();
        charts = reader.dashboard_charts(today)?;
        queries.push(started.elapsed());
    }
    println!("dashboard charts (12 months, 5 ages, top 5 customers), the queries: {}", spread(queries));
    // The invoices behind the oldest age bar, counted as the list counts them.
    let oldest = charts.ages.last().ok_or("no age bucket")?;
    let (due_from, due_to) = oldest.bucket.due_range(today);
    let filter = DocumentFilter {
        statuses: vec![
            comptoir_core::model::DocumentStatus::Issued,
            comptoir_core::model::DocumentStatus::PartiallyPaid,
        ],
        due_from,
        due_to,
        ..invoices.clone()
    };
    let started = Instant::now();
    let counted = reader.count_documents(&filter)?;
    println!("invoices over 90 days late: {counted} counted in {:.1} ms", ms(started.elapsed()));
    Ok(())
}
