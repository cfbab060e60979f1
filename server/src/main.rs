//! `comptoir-server`: the sync server's command line.

use std::io::Read as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use comptoir_core::demo::DemoSize;
use comptoir_core::model::{CompanyId, Role};
use comptoir_server::admin;

#[derive(Debug, Parser)]
#[command(name = "comptoir-server", version, about = "The Comptoir sync server")]
struct Cli {
    /// How log lines are written on standard error: text, or json (one JSON object per
    /// line, each request's under its request id).
    #[arg(long, env = "COMPTOIR_LOG_FORMAT", global = true, default_value_t = comptoir_server::logging::LogFormat::Text)]
    log_format: comptoir_server::logging::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve {
        /// Folder holding the server's SQLite files, and its keys (server.key, the audit
        /// signing key) with `--database`.
        #[arg(long, env = "COMPTOIR_DATA")]
        data: PathBuf,
        /// A PostgreSQL database instead of the SQLite files (`postgres://user@host/db`,
        /// `?pool_size=N` for the connections of this instance, 16 by default). Several
        /// instances may serve one database; give them the same keys.
        #[arg(long, env = "COMPTOIR_DATABASE_URL")]
        database: Option<String>,
        /// Address to listen on.
        #[arg(long, env = "COMPTOIR_LISTEN", default_value = "127.0.0.1:8640")]
        listen: SocketAddr,
        /// The key that signs the audit chains' heads (ed25519, PKCS#8 PEM), made there
        /// when missing; default: audit-signing.key in the data folder. Keep it apart from
        /// the database's backups.
        #[arg(long, env = "COMPTOIR_AUDIT_KEY")]
        audit_key: Option<PathBuf>,
        /// Keep a company file ready for the first download of each company whose log
        /// holds at least this many changes (in the `copies` folder of the data folder;
        /// it follows the log every minute, and is written again once it lags by 5,000
        /// changes or is an hour old); 0 keeps none.
        #[arg(long, env = "COMPTOIR_COPIES_FROM", default_value_t = 20_000)]
        copies_from: u64,
        #[command(flatten)]
        limits: LimitOptions,
    },
    /// Seed a demo account with two companies (one small, one large) and a second user
    /// with two-factor authentication, then print their credentials.
    Demo {
        #[arg(long, env = "COMPTOIR_DATA")]
        data: PathBuf,
        /// The PostgreSQL database the server serves (see `serve --database`).
        #[arg(long, env = "COMPTOIR_DATABASE_URL")]
        database: Option<String>,
        /// The large company's size: small, large, or a number of records.
        #[arg(long, default_value = "large")]
        size: String,
        /// The demo account's email (default demo@comptoir.test).
        #[arg(long)]
        email: Option<String>,
        /// Read the demo account's password from standard input.
        #[arg(long, requires = "email")]
        password_stdin: bool,
    },
    /// Administration on the server's files (run it where the server runs).
    Admin {
        /// Folder holding the server's SQLite files (its keys with `--database`).
        #[arg(long, env = "COMPTOIR_DATA", global = true)]
        data: Option<PathBuf>,
        /// The PostgreSQL database the server serves (see `serve --database`); backup and
        /// restore work on the SQLite files only.
        #[arg(long, env = "COMPTOIR_DATABASE_URL", global = true)]
        database: Option<String>,
        #[command(subcommand)]
        command: AdminCommand,
    },
}

/// The limits that keep a client, or a crowd, from exhausting the server.
#[derive(Debug, clap::Args)]
struct LimitOptions {
    /// Sign-in requests (passwords, codes, refreshes) one address may make a minute. Behind
    /// a reverse proxy, name it with --trusted-proxy, or every client has its address.
    #[arg(long, env = "COMPTOIR_AUTH_PER_MINUTE", default_value_t = 30)]
    auth_per_minute: u32,
    /// Sign-in requests all addresses together may make a minute.
    #[arg(long, env = "COMPTOIR_AUTH_GLOBAL_PER_MINUTE", default_value_t = 1_200)]
    auth_global_per_minute: u32,
    /// Requests handled at once; beyond, `503 server_busy`.
    #[arg(long, env = "COMPTOIR_MAX_IN_FLIGHT", default_value_t = 512)]
    max_in_flight: usize,
    /// The longest a request may take, in seconds; beyond, `503 timeout`.
    #[arg(long, env = "COMPTOIR_REQUEST_TIMEOUT", default_value_t = 60)]
    request_timeout: u64,
    /// Passwords hashed at once (default: the cores available).
    #[arg(long, env = "COMPTOIR_HASHING_THREADS")]
    hashing_threads: Option<usize>,
    /// A reverse proxy (an IP address or a CIDR network such as 10.0.0.0/8) whose
    /// X-Forwarded-For header names the client, for the per-address limits; repeat it for
    /// several (the variable: comma separated). Default: none, every request is counted
    /// by its TCP peer's address and X-Forwarded-For is ignored.
    #[arg(long = "trusted-proxy", env = "COMPTOIR_TRUSTED_PROXIES", value_delimiter = ',', value_name = "CIDR")]
    trusted_proxies: Vec<comptoir_server::client_address::ProxyNetwork>,
}

impl LimitOptions {
    fn limits(&self) -> comptoir_server::Limits {
        let defaults = comptoir_server::Limits::default();
        let parallel = self.hashing_threads.unwrap_or(defaults.hashing.parallel).max(1);
        comptoir_server::Limits {
            auth_per_address: comptoir_server::rate_limit::Rate { per_minute: self.auth_per_minute },
            auth_global: comptoir_server::rate_limit::Rate { per_minute: self.auth_global_per_minute },
            max_in_flight: self.max_in_flight,
            request_timeout: std::time::Duration::from_secs(self.request_timeout.max(1)),
            hashing: comptoir_server::hashing::HashingLimits { parallel, queue: parallel * 32, ..defaults.hashing },
            ..defaults
        }
    }

    fn trusted_proxies(&self) -> comptoir_server::client_address::TrustedProxies {
        comptoir_server::client_address::TrustedProxies::new(self.trusted_proxies.clone())
    }
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
    /// Record count and checksum per kind of record, to compare with a client's copy.
    Stats {
        #[arg(long)]
        company: uuid::Uuid,
        #[arg(long)]
        json: bool,
    },
    /// Host here a company from the archive another host wrote (`comptoir host
    /// --to-server` writes one in host/outgoing/ when the server refuses it: a company
    /// this server never had). The archive is checked whole first; the company gets a new
    /// epoch and an audit record `move_in`; its members keep or get accounts here (new
    /// ones get a password nobody knows: the server has no password reset yet).
    ImportCompany {
        /// The archive (JSON lines).
        #[arg(long)]
        file: PathBuf,
        /// An owner of the company in the archive, on whose behalf it is imported.
        #[arg(long)]
        owner: String,
    },
    /// Check a company's audit chain; names the first altered record.
    VerifyAudit {
        #[arg(long)]
        company: uuid::Uuid,
    },
    /// Write a consistent copy of the server's database to a new file, while it serves,
    /// and the data folder's keys (server.key, audit-signing.key) to the folder FILE.keys
    /// beside it, owner-only. Keep both together, and safe: the keys open the two-factor
    /// secrets and sign the audit trail. An audit key kept elsewhere (serve --audit-key)
    /// is not copied.
    Backup {
        /// The file to write; it and FILE.keys must not exist.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Put a backup in place of the server's database (stop the server first), and the
    /// keys of FILE.keys when it is there. Every company gets a new epoch: every client
    /// downloads its companies again.
    Restore {
        /// A file written by `admin backup`.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Put the backup's keys in place of different keys found in the data folder
        /// (these are kept aside as *.before-restore-…); without it such a restore is
        /// refused before anything changes.
        #[arg(long)]
        replace_keys: bool,
    },
    /// Copy the whole deployment into another storage, empty: every account (passwords,
    /// two-factor), every company with its log (epochs and seqs kept: clients carry on
    /// without downloading again), records, audit chains, mutations' answers, keys,
    /// devices and staged postings. Sessions and pairing invitations are not copied:
    /// users sign in again. Stop the server first. A copy that stops halfway leaves a
    /// partial destination: drop it and run again.
    MigrateStorage {
        /// Where the deployment is: sqlite:PATH (a data folder) or a postgres:// URL.
        #[arg(long, value_name = "STORAGE")]
        from: String,
        /// Where it goes, empty: a postgres:// URL or sqlite:PATH. The PostgreSQL side's
        /// two-factor secrets are sealed with the server.key of --data (default: the
        /// SQLite side's folder): serve it with that --data.
        #[arg(long, value_name = "STORAGE")]
        to: String,
    },
}

fn read_password() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password).context("cannot read the password from stdin")?;
    Ok(password.trim_end_matches(['\n', '\r']).to_owned())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    comptoir_server::logging::init(cli.log_format)?;
    match cli.command {
        Command::Serve { data, database, listen, audit_key, copies_from, limits } => {
            let key = audit_key.unwrap_or_else(|| comptoir_server::audit_key::default_path(&data));
            let clock = std::sync::Arc::new(comptoir_server::auth::SystemClock);
            let state = comptoir_server::open_state_in(&data, database.as_deref(), &key, clock)
                .with_context(|| match &database {
                    Some(_) => "cannot open the database (--database)".to_owned(),
                    None => format!("cannot open {}", data.display()),
                })?
                .with_limits(limits.limits())
                .with_trusted_proxies(limits.trusted_proxies());
            let state = if copies_from > 0 {
                let copies =
                    std::sync::Arc::new(comptoir_server::sync::copies::Copies::new(data.join("copies"), copies_from));
                comptoir_server::sync::copies::keep_in_background(
                    std::sync::Arc::clone(&copies),
                    std::sync::Arc::clone(&state.storage),
                )
                .context("cannot start the thread that keeps the companies' copies")?;
                state.with_copies(copies)
            } else {
                state
            };
            let listener =
                tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
            let address = listener.local_addr().context("cannot read the bound address")?;
            let backend = if database.is_some() { "postgres" } else { "sqlite" };
            tracing::info!(%address, data = %data.display(), backend, audit_key = state.audit_signer.public_key(), "serving");
            // On stdout too, for scripts and tests that listen on port 0.
            println!("listening on {address}");
            comptoir_server::serve(listener, state, stop_signal()).await.context("server stopped with an error")?;
            tracing::info!("stopped");
            Ok(())
        }
        Command::Demo { data, database, size, email, password_stdin } => {
            let large = match size.as_str() {
                "small" => DemoSize::SMALL,
                "large" => DemoSize::LARGE,
                records => DemoSize::with_records(
                    records.parse().with_context(|| format!("--size: “{records}” is not small, large or a number"))?,
                ),
            };
            let password = if password_stdin { Some(read_password()?) } else { None };
            let state = open_state(&data, database.as_deref())?;
            let accounts = comptoir_server::demo::seed(
                state.storage.as_ref(),
                &data.join("demo-work"),
                &large,
                email.as_deref(),
                password.as_deref(),
            )?;
            println!("Demo account:     {}", accounts.email);
            if password.is_none() {
                println!("Password:         {}", accounts.password);
            }
            println!("Two-factor user:  {} (password {})", accounts.totp_email, accounts.totp_password);
            println!("TOTP secret:      {}", accounts.totp_secret);
            for (id, name, records) in &accounts.companies {
                println!("Company:          {id}  {name} ({records} records)");
            }
            Ok(())
        }
        Command::Admin { data, database, command } => admin_command(data, database.as_deref(), command),
    }
}

/// The server's state on the data folder `data`, or on the PostgreSQL `database` when given.
fn open_state(data: &std::path::Path, database: Option<&str>) -> anyhow::Result<comptoir_server::AppState> {
    let key = comptoir_server::audit_key::default_path(data);
    comptoir_server::open_state_in(data, database, &key, std::sync::Arc::new(comptoir_server::auth::SystemClock))
        .with_context(|| match database {
            Some(_) => "cannot open the database (--database)".to_owned(),
            None => format!("cannot open {}", data.display()),
        })
}

/// Runs an `admin …` command on the server's files.
fn admin_command(data: Option<PathBuf>, database: Option<&str>, command: AdminCommand) -> anyhow::Result<()> {
    if let AdminCommand::MigrateStorage { from, to } = &command {
        return migrate_storage(data, from, to);
    }
    let Some(data) = data else { bail!("--data DIR is required (or COMPTOIR_DATA)") };
    // Backup and restore work on the files; the others through the storage, opened here.
    let open = || open_state(&data, database);
    match command {
        AdminCommand::CreateUser { email, name, password_stdin: _ } => {
            let id = admin::create_user(open()?.storage.as_ref(), &email, &read_password()?, &name)?;
            println!("{id}");
        }
        AdminCommand::CreateCompany { name, country } => {
            println!("{}", admin::create_company(open()?.storage.as_ref(), &name, &country)?);
        }
        AdminCommand::ListCompanies { json } => {
            let companies = open()?.storage.companies()?;
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
            admin::add_member(open()?.storage.as_ref(), CompanyId(company), &email, role)?;
        }
        AdminCommand::Stats { company, json } => {
            let per_kind = admin::stats(open()?.storage.as_ref(), CompanyId(company))?;
            if json {
                let object: serde_json::Map<String, serde_json::Value> =
                    per_kind.iter().map(|(kind, s)| (kind.as_str().to_owned(), serde_json::json!(s))).collect();
                println!("{}", serde_json::to_string_pretty(&object)?);
            } else {
                for (kind, s) in per_kind {
                    println!("{:<10} {:>9} {}", kind.as_str(), s.count, s.checksum);
                }
            }
        }
        AdminCommand::ImportCompany { file, owner } => {
            let state = open()?;
            let storage = state.storage.as_ref();
            let checked = comptoir_server::company_archive::check(comptoir_server::company_archive::open(&file)?)?;
            let now = chrono::Utc::now();
            let log = comptoir_server::company_archive::import_checked(storage, &checked, &file, &owner, true, now)?;
            println!(
                "imported {} ({}): {} records, epoch {}",
                checked.header.company.name, checked.header.company.id, checked.records, log.epoch
            );
        }
        AdminCommand::VerifyAudit { company } => {
            match admin::verify_audit(open()?.storage.as_ref(), CompanyId(company)) {
                Ok(count) => println!("audit chain verified: {count} records"),
                Err(e) => bail!("audit chain broken: {e}"),
            }
        }
        AdminCommand::Backup { out } => {
            let backup = admin::backup(&data, &out)?;
            println!(
                "backup written: {} ({} bytes, {} companies, schema {})",
                backup.path.display(),
                backup.bytes,
                backup.companies,
                backup.schema_version
            );
            for key in &backup.keys {
                println!("key written: {}", key.display());
            }
            if backup.keys.is_empty() {
                println!("no key file in {}: none written", data.display());
            }
        }
        AdminCommand::Restore { from, replace_keys } => {
            let restored = admin::restore(&data, &from, replace_keys)?;
            println!("restored {} into {}", from.display(), data.display());
            if let Some(previous) = &restored.previous {
                println!("the database it replaced is kept as {}", previous.display());
            }
            for key in &restored.keys {
                println!("{key}");
            }
            if restored.keys.is_empty() {
                println!(
                    "no keys restored ({} is missing): two-factor secrets and audit signatures need the keys the \
                     backup was taken with",
                    comptoir_server::key_backup::keys_folder(&from).display()
                );
            }
            for (company, epoch) in &restored.companies {
                println!("company {company}: new epoch {epoch}");
            }
        }
        AdminCommand::MigrateStorage { .. } => {}
    }
    Ok(())
}

/// `admin migrate-storage`: copies the deployment at `from` into `to`, printing its progress.
fn migrate_storage(data: Option<PathBuf>, from: &str, to: &str) -> anyhow::Result<()> {
    use comptoir_server::migrate_storage::{self as migrate, Endpoint, MigrateError, Progress};
    let (from, to): (Endpoint, Endpoint) = (from.parse()?, to.parse()?);
    if from == to {
        return Err(MigrateError::SameStorage.into());
    }
    // The PostgreSQL side's keys: --data, else the SQLite side's folder.
    let keys = data.or_else(|| {
        [&from, &to].into_iter().find_map(|side| match side {
            Endpoint::Sqlite(folder) => Some(folder.clone()),
            Endpoint::Postgres(_) => None,
        })
    });
    let Some(keys) = keys else { bail!("--data DIR is required: the folder of the servers' keys (server.key)") };
    let source = from.open(&keys)?;
    let destination = to.open(&keys)?;
    println!("migrating {from} to {to}");
    let summary = migrate::migrate(source.as_ref(), destination.as_ref(), &mut |progress| match progress {
        Progress::Accounts { copied } => println!("accounts: {copied} copied"),
        Progress::CompanyStarted { index, of, company, records } => {
            println!("company {index}/{of} {} “{}”: {records} records to copy", company.id, company.name);
        }
        Progress::Records { company, copied, of } => println!("company {company}: {copied}/{of} records"),
        Progress::CompanyDone { company, copied } => {
            let (epoch, seq) = copied.state.as_ref().map_or((String::new(), 0), |s| (s.epoch.to_string(), s.seq));
            println!(
                "company {company}: copied {} records ({} audit events), {} members, {} answers, {} keys, {} \
                 devices, {} staged posting parts{}; epoch {epoch} and seq {seq} kept",
                copied.records,
                copied.audit_events,
                copied.members,
                copied.outcomes,
                copied.keys,
                copied.devices,
                copied.staged_parts,
                if copied.moved { ", moved away" } else { "" }
            );
        }
    })?;
    println!(
        "migrated: {} companies, {} accounts, {} records, {} audit events, {} answers, {} devices, {} staged posting \
         parts in {:.1} s",
        summary.companies,
        summary.accounts,
        summary.records,
        summary.audit_events,
        summary.outcomes,
        summary.devices,
        summary.staged_parts,
        summary.elapsed.as_secs_f64()
    );
    println!(
        "not copied: sessions and access tokens (users sign in again; paired devices open a new session by \
         themselves), pairing invitations (invite the device again)"
    );
    if let Endpoint::Postgres(_) = to {
        println!(
            "two-factor secrets are sealed with {}: serve with --database URL --data {}",
            keys.join(comptoir_server::server_key::KEY_FILE).display(),
            keys.display()
        );
    }
    Ok(())
}

/// Resolves when the server is told to stop: Ctrl-C, or SIGTERM (what systemd, a container
/// runtime or an orchestrator sends). The server then stops taking connections and ends
/// once the requests in flight are answered.
async fn stop_signal() {
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "SIGTERM cannot be listened to: only Ctrl-C stops the server");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    tracing::info!("stopping: the requests in flight are answered first");
}
