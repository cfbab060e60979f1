//! `comptoir-server`: the sync server's command line.

use std::io::Read as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use comptoir_core::model::{CompanyId, Role};
use comptoir_server::admin;

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
    /// Administration on the server's files (run it where the server runs).
    Admin {
        /// Folder holding the server's SQLite files.
        #[arg(long, env = "COMPTOIR_DATA", global = true)]
        data: Option<PathBuf>,
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create a user account; the password is read from standard input.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        name: String,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Create a company and print its id.
    CreateCompany {
        #[arg(long)]
        name: String,
        /// FR, BE, CH or another ISO country code.
        #[arg(long)]
        country: String,
    },
    /// List the companies.
    ListCompanies {
        #[arg(long)]
        json: bool,
    },
    /// Add a user to a company with a role: owner, admin, sales, accountant or `read_only`.
    AddMember {
        #[arg(long)]
        company: uuid::Uuid,
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve { data, listen } => {
            let state =
                comptoir_server::open_state(&data).with_context(|| format!("cannot open {}", data.display()))?;
            let listener =
                tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
            tracing::info!(%listen, data = %data.display(), "serving");
            comptoir_server::serve(listener, state, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("server stopped with an error")
        }
        Command::Admin { data, command } => {
            let Some(data) = data else { bail!("--data DIR is required (or COMPTOIR_DATA)") };
            let state =
                comptoir_server::open_state(&data).with_context(|| format!("cannot open {}", data.display()))?;
            let storage = state.storage.as_ref();
            match command {
                AdminCommand::CreateUser { email, name, password_stdin: _ } => {
                    let mut password = String::new();
                    std::io::stdin().read_to_string(&mut password).context("cannot read the password from stdin")?;
                    let password = password.trim_end_matches(['\n', '\r']);
                    let id = admin::create_user(storage, &email, password, &name)?;
                    println!("{id}");
                }
                AdminCommand::CreateCompany { name, country } => {
                    println!("{}", admin::create_company(storage, &name, &country)?);
                }
                AdminCommand::ListCompanies { json } => {
                    let companies = storage.companies()?;
                    if json {
                        let list: Vec<_> = companies
                            .iter()
                            .map(|c| serde_json::json!({"id": c.id, "name": c.name, "country": c.country}))
                            .collect();
                        println!("{}", serde_json::to_string_pretty(&list)?);
                    } else {
                        for c in companies {
                            println!("{}\t{}\t{}", c.id, c.country, c.name);
                        }
                    }
                }
                AdminCommand::AddMember { company, email, role } => {
                    let role = Role::parse(&role)?;
                    admin::add_member(storage, CompanyId(company), &email, role)?;
                }
            }
            Ok(())
        }
    }
}
