//! Comptoir, the desktop app. This file only parses the command line and wires logging;
//! the window lives in [`comptoir::app`], the headless commands in `cli`.

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
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign in, download a company or bring its copy up to date, and print the record
    /// count and checksum per kind (the same figures as `comptoir-server admin stats`).
    Sync {
        /// Folder of the app's files.
        #[arg(long)]
        data: PathBuf,
        /// The sync server's address (`https://…`).
        #[arg(long)]
        server: String,
        #[arg(long)]
        email: String,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
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
    },
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,wgpu=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        None => run_window(),
        Some(Command::Sync { data, server, email, password_stdin: _, totp, company, json }) => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password).context("cannot read the password from stdin")?;
            let password = password.trim_end_matches(['\n', '\r']).to_owned();
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(cli::sync::run(cli::sync::SyncArgs { data, server, email, password, totp, company, json }))
        }
    }
}

fn run_window() -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(comptoir::app::WINDOW_TITLE)
            .with_inner_size([1100.0, 720.0])
            .with_min_inner_size([640.0, 420.0]),
        ..Default::default()
    };
    eframe::run_native(
        comptoir::app::APP_ID,
        options,
        Box::new(|_cc| Ok(Box::new(comptoir::app::ComptoirApp::default()))),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("could not open the Comptoir window")
}
