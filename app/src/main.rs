//! Comptoir, the desktop app. This file only parses the command line and wires logging;
//! the window lives in [`comptoir::app`], the headless commands in `cli`.
// A GUI program on Windows: no console window opens behind the app's window. The
// command-line commands attach to the console they were started from instead
// ([`attach_parent_console`]).
#![cfg_attr(windows, windows_subsystem = "windows")]

mod cli;

use std::io::Read as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "comptoir", version, about = "Comptoir: offline-first invoicing")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Start a sync server inside the app, on 127.0.0.1, with the demo account and its
    /// two companies; the wizard shows the demo credentials.
    #[arg(long)]
    demo: bool,
    /// Folder of the app's files (default: the user's data folder).
    #[arg(long, env = "COMPTOIR_DATA")]
    data: Option<PathBuf>,
    /// Walk through the demo and save pictures of the window into this folder (with
    /// `--demo`; see `scripts/screenshots.sh`).
    #[arg(long, requires = "demo", hide = true)]
    screenshots: Option<PathBuf>,
    /// The server address the wizard proposes.
    #[arg(long, env = "COMPTOIR_SERVER", default_value = "https://sync.comptoir.app")]
    server: String,
    /// Where the company this computer hosts (if any) is served on the local network;
    /// port 0 keeps the port of the last start (7443 the first time, when free).
    #[arg(long, env = "COMPTOIR_HOST_LISTEN", default_value = "0.0.0.0:0")]
    host_listen: std::net::SocketAddr,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign in, download a company or bring its copy up to date, and print the record
    /// count and checksum per kind (the same figures as `comptoir-server admin stats`).
    ///
    /// Without `--server`, with the session kept on this machine (a device joined to a
    /// host, or an account signed in before).
    Sync {
        /// Folder of the app's files.
        #[arg(long)]
        data: PathBuf,
        /// The sync server's address (`https://…`).
        #[arg(long, requires_all = ["email", "password_stdin"])]
        server: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from standard input (passwords never go on the command line).
        #[arg(long)]
        password_stdin: bool,
        /// The current code of the authenticator app, for accounts with two-factor on.
        #[arg(long)]
        totp: Option<String>,
        /// The company's name or id, when the account has several.
        #[arg(long)]
        company: Option<String>,
        /// Print the figures as one JSON object.
        #[arg(long)]
        json: bool,
        /// Changes asked per page (the server sends 5,000 at most): tests make a small
        /// company's download take many pages.
        #[arg(long, hide = true)]
        page_size: Option<u32>,
    },
    /// Export a company's data from this machine to a file.
    Export {
        #[command(subcommand)]
        what: Export,
    },
    /// Write the e-invoice of an issued invoice or credit note (or of all those issued in a
    /// period) from the copy on this machine.
    Document {
        #[command(subcommand)]
        what: Document,
    },
    /// Import contacts or articles from a CSV file into a company's copy; the next sync
    /// sends them.
    Import {
        #[command(subcommand)]
        what: Import,
    },
    /// Check a company's audit trail on this machine: its hash chain, up to the head the
    /// server signed. Names what fails (a record altered, the last records removed, the
    /// chain rewritten, a forged head) with a stable code.
    VerifyAudit(cli::verify::VerifyArgs),
    /// Host a company on the local network from this machine: prints the pairing link,
    /// its QR code and the typed code, then serves until stopped.
    Host(cli::host::HostArgs),
    /// Pair this machine with a computer hosting a company, by its link or its code, and
    /// download the company.
    Join(cli::join::JoinArgs),
    /// Check for a newer version (the signed manifest this build names) and install it,
    /// for the portable archive and the Windows installer; other installs are told how.
    Update(cli::update::UpdateArgs),
}

#[derive(Debug, Subcommand)]
enum Import {
    /// Contacts (customers): name, email, VAT number, address …
    Contacts(cli::import::ImportArgs),
    /// Catalogue articles: code, designation, unit, price, VAT rate.
    Articles(cli::import::ImportArgs),
}

#[derive(Debug, Subcommand)]
enum Document {
    /// The PDF of any issued document (quote, invoice, credit note, delivery note).
    Pdf(cli::document::DocumentArgs),
    /// The Factur-X PDF/A-3b of invoices and credit notes (the CII XML attached).
    Facturx(cli::document::DocumentArgs),
    /// UBL (Peppol BIS Billing 3.0, or `--profile fr` for the French CTC rules).
    Ubl(cli::document::DocumentArgs),
    /// The Factur-X (EN 16931) CII XML.
    Cii(cli::document::DocumentArgs),
}

#[derive(Debug, Subcommand)]
enum Export {
    /// The audit trail, filtered, as an Excel workbook (.xlsx).
    Audit(cli::export::AuditArgs),
    /// Accounting entries (sales and bank journals) as a FEC or a CSV file.
    Accounting(cli::export::AccountingArgs),
}

fn main() -> anyhow::Result<()> {
    let launched = std::time::Instant::now();
    #[cfg(windows)]
    attach_parent_console();
    let cli = Cli::parse();
    init_logging(cli.command.is_none());
    match cli.command {
        None => {
            let window = Window { data: cli.data, server: cli.server, host_listen: cli.host_listen, demo: cli.demo };
            run_window(window, cli.screenshots, launched)
        }
        Some(Command::Export { what: Export::Audit(args) }) => cli::export::run(&args),
        Some(Command::Export { what: Export::Accounting(args) }) => cli::export::run_accounting(&args),
        Some(Command::Import { what: Import::Contacts(args) }) => {
            cli::import::run(comptoir_core::import::ImportKind::Contacts, &args)
        }
        Some(Command::Import { what: Import::Articles(args) }) => {
            cli::import::run(comptoir_core::import::ImportKind::Articles, &args)
        }
        Some(Command::VerifyAudit(args)) => cli::verify::run(&args),
        Some(Command::Document { what }) => {
            let (format, args) = match what {
                Document::Pdf(args) => (cli::document::Format::Pdf, args),
                Document::Facturx(args) => (cli::document::Format::Facturx, args),
                Document::Ubl(args) => (cli::document::Format::Ubl, args),
                Document::Cii(args) => (cli::document::Format::Cii, args),
            };
            cli::document::run(format, &args)
        }
        Some(Command::Host(args)) => cli::host::run(&args),
        Some(Command::Update(args)) => {
            let data = cli.data.or_else(comptoir::folders::data_dir).context("no data folder: give --data")?;
            cli::update::run(&args, &data)
        }
        Some(Command::Join(args)) => {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(cli::join::run(args))
        }
        Some(Command::Sync { data, server: None, company, json, page_size, .. }) => {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(cli::sync::run_stored(data, company, json, page_size))
        }
        Some(Command::Sync {
            data,
            server: Some(server),
            email,
            password_stdin: _,
            totp,
            company,
            json,
            page_size,
        }) => {
            let email = email.context("--email is needed with --server")?;
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password).context("cannot read the password from stdin")?;
            let password = password.trim_end_matches(['\n', '\r']).to_owned();
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            let args = cli::sync::SyncArgs { data, server, email, password, totp, company, json, page_size };
            runtime.block_on(cli::sync::run(args))
        }
    }
}

/// On Windows, when started with arguments (`comptoir.exe --version`, `comptoir.exe host
/// …`), writes to the console of the process that started it: a GUI-subsystem program gets
/// none of its own. Started from Explorer or a shortcut there is no such console, and the
/// call fails without harm. A console does not wait for a GUI program: the prompt comes
/// back at once, and the output is written after it (`start /wait comptoir.exe …` waits).
#[cfg(windows)]
#[allow(unsafe_code, reason = "a call into Windows: AttachConsole takes a process id, no pointer")]
fn attach_parent_console() {
    use windows_sys::Win32::System::Console::{ATTACH_PARENT_PROCESS, AttachConsole};
    if std::env::args_os().len() > 1 {
        // SAFETY: AttachConsole reads no memory of ours; it fails (returns 0) when there
        // is no parent console or this process already has one, which changes nothing.
        let _attached = unsafe { AttachConsole(ATTACH_PARENT_PROCESS) };
    }
}

/// Logs to standard error; the window also to its rotated log in the platform's log
/// folder ([`comptoir::logs`]), where a user finds it without a terminal. The embedded
/// server (the demo, a company hosted here) logs its requests' failures but not a line per
/// answered request, which would fill the log with every sync.
fn init_logging(window: bool) {
    use tracing_subscriber::fmt::writer::MakeWriterExt as _;
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| "info,wgpu=warn,comptoir_server::access=warn".into())
    };
    let dir = window.then(comptoir::folders::log_dir).flatten();
    let opened =
        dir.as_ref().map(|dir| comptoir::logs::RotatingLog::open(dir, comptoir::logs::MAX_BYTES, comptoir::logs::KEEP));
    match opened {
        Some(Ok(file)) => tracing_subscriber::fmt()
            .with_env_filter(filter())
            .with_ansi(false)
            .with_writer(std::io::stderr.and(file))
            .init(),
        Some(Err(error)) => {
            tracing_subscriber::fmt().with_env_filter(filter()).with_writer(std::io::stderr).init();
            let dir = dir.unwrap_or_default();
            tracing::warn!(%error, dir = %dir.display(), "the log cannot be kept in its folder: standard error only");
        }
        None => tracing_subscriber::fmt().with_env_filter(filter()).with_writer(std::io::stderr).init(),
    }
}

/// The longest the process waits, once the window is closed, for the engine to close
/// its files.
const ENGINE_STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// What the window is started with, from the command line.
struct Window {
    data: Option<PathBuf>,
    server: String,
    host_listen: std::net::SocketAddr,
    demo: bool,
}

/// Opens the window with `options` and runs it until it closes. `app` is taken from its
/// cell once the window's drawing is set up, and stays there if that fails.
fn open_window(
    app: &std::cell::RefCell<Option<comptoir::app::ComptoirApp>>,
    options: eframe::NativeOptions,
) -> eframe::Result {
    eframe::run_native(
        comptoir::app::APP_ID,
        options,
        Box::new(|cc| {
            let mut app = app.borrow_mut().take().ok_or("the window was set up twice")?;
            app.start_tray(&cc.egui_ctx);
            if let Some(instance) = &app.instance {
                let ctx = cc.egui_ctx.clone();
                let _ = instance.waker.set(Box::new(move || ctx.request_repaint()));
            }
            Ok(Box::new(app))
        }),
    )
}

fn run_window(window: Window, screenshots: Option<PathBuf>, launched: std::time::Instant) -> anyhow::Result<()> {
    let Window { data, server, host_listen, demo } = window;
    let data = match data {
        Some(data) => data,
        None => comptoir::folders::data_dir().context("cannot tell where to keep the app's files: pass --data DIR")?,
    };
    // The demo keeps its own files, away from real companies.
    let data = if demo { data.join("demo") } else { data };
    let client_dir = if demo { comptoir::demo::client_dir(&data) } else { data.clone() };
    // One app per folder: a second launch brings the first window forward and stops.
    let instance = match comptoir::instance::claim(&client_dir)? {
        comptoir::instance::Instance::Forwarded => {
            tracing::info!(folder = %client_dir.display(), "Comptoir already runs on this folder: its window was brought forward");
            return Ok(());
        }
        comptoir::instance::Instance::First(first) => first,
    };
    let (server, demo_account, demo_server) = if demo {
        let demo_server = comptoir::demo::start(&data, &comptoir_core::demo::DemoSize::LARGE)?;
        (demo_server.url().to_owned(), Some(demo_server.account().clone()), Some(demo_server))
    } else {
        (server, None, None)
    };
    // Kept alive while the window is open; the screenshot tour stops it to go offline.
    let demo_server = std::sync::Arc::new(std::sync::Mutex::new(demo_server));
    let credentials = comptoir_core::engine::credentials::system_credentials(&client_dir.join("credentials.json"));
    let config = comptoir_core::engine::EngineConfig {
        data_dir: client_dir,
        default_server: server,
        clock: std::sync::Arc::new(comptoir_core::clock::SystemClock),
        credentials: std::sync::Arc::from(credentials),
        wake: std::sync::Arc::new(|| {}),
        timing: comptoir_core::engine::Timing::default(),
    };
    let app_config = comptoir::app::AppConfig {
        demo: demo_account,
        host_listen,
        ..comptoir::app::AppConfig::new(comptoir::i18n::Language::default())
    };
    let mut app = comptoir::app::ComptoirApp::start_with(config, app_config)?;
    app.instance = Some(instance);
    // In demo mode the first start seeds the server first: count from here instead.
    if !demo {
        app.launched_at(launched);
    }
    if let Some(dir) = screenshots {
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let server = demo_server.clone();
        let cut_network = Box::new(move || {
            if let Some(mut demo_server) = server.lock().ok().and_then(|mut s| s.take()) {
                demo_server.stop();
            }
        });
        app.tour = Some(comptoir::tour::Tour::new(dir, cut_network));
    }
    let backends = comptoir::app::graphics_backends();
    let engine_stopped = app.engine_stopped();
    let host_stopped = app.host_stopped();
    let update_after_exit = app.update_after_exit();
    // The app is handed to the window once its drawing is set up: if that fails without
    // OpenGL (an adapter of the platform's own backend that cannot show this window), the
    // app is still here, and the window opens again with OpenGL too.
    let app = std::cell::RefCell::new(Some(app));
    let mut result = open_window(&app, comptoir::app::window_options_on(backends));
    if let Err(error) = &result
        && app.borrow().is_some()
        && !backends.contains(eframe::wgpu::Backends::GL)
    {
        tracing::warn!(%error, ?backends, "the window could not draw: trying again with OpenGL too");
        result = open_window(&app, comptoir::app::window_options_on(backends | comptoir::app::WITH_OPENGL));
    }
    let result = result.map_err(|e| anyhow::anyhow!("{e}")).context("could not open the Comptoir window");
    // The window is closed: give the engine a moment to close its files. A copy is
    // written in whole transactions, so one cut short by the process's end loses nothing.
    if let Some(stopping) = engine_stopped.get()
        && !stopping.wait(ENGINE_STOP_WAIT)
    {
        tracing::warn!(wait = ?ENGINE_STOP_WAIT, "the engine had not finished at quit: the process ends anyway");
    }
    // The company hosted here stops serving (its thread stops it once the app is gone).
    if let Some(stopped) = host_stopped
        && !stopped.wait(ENGINE_STOP_WAIT)
    {
        tracing::warn!(wait = ?ENGINE_STOP_WAIT, "the local host had not stopped at quit: the process ends anyway");
    }
    drop(demo_server);
    // An update installed from Préférences → Mises à jour: the new version starts now
    // that this one's files are closed (and its instance lock released).
    let after_exit = update_after_exit.lock().ok().and_then(|mut slot| slot.take());
    if let Some(after_exit) = after_exit {
        tracing::info!("starting the version installed");
        after_exit.run(std::env::args_os().skip(1)).context("could not start the version installed")?;
    }
    result
}
