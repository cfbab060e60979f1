//! `comptoir-server`: the sync server's command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "comptoir-server", version, about = "The Comptoir sync server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve {
        /// Folder holding the server's SQLite files.
        #[arg(long, env = "COMPTOIR_DATA")]
        data: PathBuf,
        /// Address to listen on.
        #[arg(long, env = "COMPTOIR_LISTEN", default_value = "127.0.0.1:8640")]
        listen: SocketAddr,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    match Cli::parse().command {
        Command::Serve { data, listen } => {
            std::fs::create_dir_all(&data).with_context(|| format!("cannot create {}", data.display()))?;
            let listener =
                tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
            tracing::info!(%listen, data = %data.display(), "serving");
            comptoir_server::serve(listener, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("server stopped with an error")
        }
    }
}
