//! `comptoir sync`: signs in, downloads a company (or brings its copy up to date), derives
//! its accounting entries as the app does, and prints the record count and checksum per
//! kind: the same figures as `comptoir-server admin stats`, so a copy can be compared
//! with the server.

#![allow(clippy::print_stderr, reason = "progress lines go to stderr, the figures to stdout")]

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context as _, anyhow, bail};
use chrono::Utc;
use comptoir_core::engine::credentials::system_credentials;
use comptoir_core::engine::{Link, Progress};
use comptoir_core::lan::HostAddress;
use comptoir_core::lan::discovery::refind;
use comptoir_core::model::CompanyId;
use comptoir_core::store::{AppStore, COMPANY_FILE_EXTENSION, LocalAccount, LocalCompany};
use comptoir_core::sync::{AccountView, ClientError, LoginResponse, RecordKind, SyncClient, TableStats};

/// What `comptoir sync` was asked.
#[derive(Debug)]
pub struct SyncArgs {
    pub data: PathBuf,
    pub server: String,
    pub email: String,
    pub password: String,
    pub totp: Option<String>,
    pub company: Option<String>,
    pub json: bool,
    /// Changes asked per page, when not the server's maximum.
    pub page_size: Option<u32>,
}

/// Runs the command; progress goes to stderr, the figures to stdout.
pub async fn run(args: SyncArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data).with_context(|| format!("cannot create {}", args.data.display()))?;
    let mut client = SyncClient::new(&args.server)?;
    let tokens = match client.login(&args.email, &args.password).await? {
        LoginResponse::SignedIn(tokens) => tokens,
        LoginResponse::TotpRequired { challenge, .. } => {
            let code = args
                .totp
                .as_deref()
                .ok_or_else(|| anyhow!("this account has two-factor authentication on: pass --totp CODE"))?;
            client.login_totp(&challenge, code).await?
        }
    };
    let account = client.account().await?;
    // The session is kept, as the app keeps it: a later `comptoir sync --data DIR` goes on
    // without the password. The keychain's client blocks: off the async threads.
    let path = args.data.join(CREDENTIALS_FILE);
    tokio::task::block_in_place(|| system_credentials(&path).save(&account.email, &tokens.refresh_token))?;
    let (company, name) = choose_company(&account, args.company.as_deref())?;
    eprintln!("signed in as {}; company {name} ({company})", account.email);
    let target = Target { data: args.data, server: args.server, json: args.json, page_size: args.page_size };
    sync_company(client, &account, company, &name, &target).await
}

/// Brings the copy of the account that signed in last on this machine up to date, with
/// the session it keeps (a device joined to a host has no password: `comptoir join`
/// kept its session).
pub async fn run_stored(
    data: PathBuf,
    company: Option<String>,
    json: bool,
    page_size: Option<u32>,
) -> anyhow::Result<()> {
    let app = AppStore::open(&data.join(AppStore::FILE_NAME))?;
    let account = app
        .last_account()?
        .ok_or_else(|| anyhow!("no account on this machine: sign in with --server and --email, or join a host"))?;
    // The keychain's client blocks on a runtime of its own: off the async threads.
    let credentials = tokio::task::block_in_place(|| system_credentials(&data.join(CREDENTIALS_FILE)));
    let refresh = tokio::task::block_in_place(|| credentials.load(&account.email))?.ok_or_else(|| {
        anyhow!("the session of {} is not kept on this machine: sign in with --server and --email", account.email)
    })?;
    let mut server = account.server_url.clone();
    let mut client = SyncClient::new(&server)?;
    let tokens = match client.refresh(&refresh).await {
        // A host that no longer knows the session (restored from a backup): the device
        // signs in again with its own secret, kept at pairing.
        Err(ClientError::SignedOut) if HostAddress::is_host_address(&server) => {
            let kept = tokio::task::block_in_place(|| {
                comptoir_core::engine::credentials::device_secret(credentials.as_ref(), &account.email)
            });
            let (device, secret) = kept.ok_or_else(|| {
                anyhow!("the host no longer knows this device's session, and it kept no secret: pair it again")
            })?;
            eprintln!("the host does not know this device's session: signing in with its secret");
            client.resume_device(device, &secret).await?
        }
        // A host of the local network that moved (a new address from DHCP): looked for
        // by mDNS, and kept where it answers. The pin holds wherever it is found.
        Err(ClientError::Unreachable(_)) if HostAddress::is_host_address(&server) => {
            let url = server.clone();
            let moved = tokio::task::spawn_blocking(move || refind(&url, std::time::Duration::from_secs(3))).await?;
            let moved = moved.ok_or_else(|| anyhow!("the host computer cannot be reached at {server}, nor found on the local network: is it on, and is Comptoir allowed through its firewall?"))?;
            eprintln!("the host was found at another address: {moved}");
            app.move_server(&server, &moved)?;
            server = moved;
            client = SyncClient::new(&server)?;
            client.refresh(&refresh).await?
        }
        result => result?,
    };
    tokio::task::block_in_place(|| credentials.save(&account.email, &tokens.refresh_token))?;
    let view = client.account().await?;
    let wanted = match company {
        Some(wanted) => Some(wanted),
        None => app.active_company()?.map(|active| active.company_id.to_string()),
    };
    let (company, name) = choose_company(&view, wanted.as_deref())?;
    eprintln!("signed in as {}; company {name} ({company})", view.email);
    let target = Target { data, server, json, page_size };
    sync_company(client, &view, company, &name, &target).await
}

/// The file, in the app's folder, of the sessions kept where there is no keychain.
pub const CREDENTIALS_FILE: &str = "credentials.json";

/// Where a sync writes, and how it reports.
#[derive(Debug)]
pub struct Target {
    pub data: PathBuf,
    /// The server's address, as the account keeps it.
    pub server: String,
    pub json: bool,
    /// Changes asked per page, when not the server's maximum.
    pub page_size: Option<u32>,
}

/// Downloads `company` (or brings its copy up to date) with a signed-in `client`,
/// records the account and the company in the app's file, derives the accounting
/// entries and prints the figures.
pub async fn sync_company(
    client: SyncClient,
    account: &AccountView,
    company: CompanyId,
    name: &str,
    target: &Target,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&target.data).with_context(|| format!("cannot create {}", target.data.display()))?;
    let app = AppStore::open(&target.data.join(AppStore::FILE_NAME))?;
    app.set_server_url(&target.server)?;
    app.upsert_account(&LocalAccount {
        user_id: comptoir_core::model::UserId(account.user_id),
        email: account.email.clone(),
        display_name: account.display_name.clone(),
        server_url: target.server.clone(),
    })?;
    let path = company_path(&app, &target.data, company);
    let client_again = client.clone();
    // A server's copy that was taking the file's place when a crash stopped it is the
    // company's file: the move ends first.
    comptoir_core::store::finish_take_over(&path)?;
    let mut link = if path.exists() {
        Link::open(client, company, &path)?
    } else {
        Link::create(client, company, &path, Utc::now()).await?.0
    };
    // Only this account's edits (and those of no recorded author) go in its name.
    link.store.set_author(Some(comptoir_core::model::UserId(account.user_id)));
    if let Some(size) = target.page_size {
        link.page_size = size.clamp(1, comptoir_core::engine::PAGE);
    }
    app.upsert_company(&LocalCompany {
        company_id: company,
        account: Some(comptoir_core::model::UserId(account.user_id)),
        name: name.to_owned(),
        file_path: path.clone(),
        active: true,
    })?;
    app.set_active_company(company)?;
    let report = match link.sync(Utc::now, &mut progress).await {
        // The server's data was restored from a backup (a new epoch): what it had accepted
        // of this copy's edits, then what waited, was sent first; the copy is moved aside
        // and downloaded again, as the app does.
        Err(error) if error.kind() == comptoir_core::engine::ErrorKind::Rebuilt => {
            drop(link);
            let (again, aside) = Link::create(client_again, company, &path, Utc::now()).await?;
            if let Some(aside) = &aside {
                eprintln!("the server's data was restored: the old copy is kept at {}", aside.display());
                // Whatever it still holds unsent (another account's edits) is counted for the
                // user, and so is what became of the edits it had accepted, sent again: the
                // documents the restored server numbered otherwise, the edits it refused.
                let old = comptoir_core::store::CompanyStore::open(aside)
                    .and_then(|old| Ok((old.pending_count()?, old.renumbered()?, old.refused_replays()?)));
                let (pending, renumbered, refused) = old.unwrap_or_else(|e| {
                    eprintln!("the old copy could not be read: {e}");
                    (0, Vec::new(), Vec::new())
                });
                for r in &renumbered {
                    eprintln!("renumbered by the restored server: {} is now {} (same content)", r.before, r.after);
                }
                for edit in &refused {
                    eprintln!("accepted before the restore, refused by the restored server: {}", edit.action);
                }
                app.keep_copy(company, aside, pending, &renumbered, refused.len() as u64)?;
            }
            link = again;
            link.store.set_author(Some(comptoir_core::model::UserId(account.user_id)));
            link.sync(Utc::now, &mut progress).await?
        }
        result => result?,
    };
    if report.replaced {
        eprintln!("took the server's ready copy of the company in the file's place");
    }
    eprintln!(
        "up to date at change {}: {} change(s) sent, {} refused, {} received",
        link.store.sync_cursor()?.map_or(0, |c| c.seq),
        report.applied,
        report.rejected.len(),
        report.pulled
    );
    for rejected in &report.rejected {
        eprintln!("refused: {} ({}): {}", rejected.intent.action(), rejected.code, rejected.message);
    }
    for held in &report.held {
        eprintln!("kept aside: {}", held.message);
    }
    derive_ledger(&mut link.store)?;
    print_stats(&link.store.replica_stats()?, target.json)
}

/// Where the copy of `company` is, or goes.
pub fn company_path(app: &AppStore, data: &std::path::Path, company: CompanyId) -> PathBuf {
    match app.company(company) {
        Ok(known) => known.file_path,
        Err(_) => data.join("companies").join(format!("{company}.{COMPANY_FILE_EXTENSION}")),
    }
}

/// Sources of accounting entries derived per transaction: a stop loses one chunk at most.
const LEDGER_CHUNK: u32 = 1_000;

/// Derives the accounting entries of what changed, as the app does after a sync, so that
/// the copy is the one the app would have.
fn derive_ledger(store: &mut comptoir_core::store::CompanyStore) -> anyhow::Result<()> {
    let today = Utc::now().date_naive();
    let mut derived = 0;
    loop {
        let chunk = store.refresh_ledger(today, LEDGER_CHUNK)?;
        derived += chunk;
        if chunk > 0 {
            eprintln!("accounting entries derived for {derived} record(s)");
        }
        if chunk < LEDGER_CHUNK as usize {
            return Ok(());
        }
    }
}

pub fn choose_company(account: &AccountView, wanted: Option<&str>) -> anyhow::Result<(CompanyId, String)> {
    let matches: Vec<_> = account
        .companies
        .iter()
        .filter(|c| wanted.is_none_or(|w| c.company_id.to_string() == w || c.name.eq_ignore_ascii_case(w)))
        .collect();
    match matches.as_slice() {
        [one] => Ok((CompanyId(one.company_id), one.name.clone())),
        [] if account.companies.is_empty() => bail!("this account belongs to no company"),
        [] => bail!("no company of this account is called {}", wanted.unwrap_or_default()),
        several => {
            let names: Vec<_> = several.iter().map(|c| format!("{} ({})", c.name, c.company_id)).collect();
            bail!("this account has several companies; choose one with --company: {}", names.join(", "))
        }
    }
}

fn progress(progress: &Progress) {
    let (done, total) = (progress.done(), progress.total());
    let percent = done.saturating_mul(100).checked_div(total).unwrap_or(100);
    eprintln!("downloaded {done} of {total} changes ({percent} %)");
}

fn print_stats(stats: &BTreeMap<RecordKind, TableStats>, json: bool) -> anyhow::Result<()> {
    if json {
        let object: serde_json::Map<String, serde_json::Value> =
            stats.iter().map(|(kind, s)| (kind.as_str().to_owned(), serde_json::json!(s))).collect();
        println!("{}", serde_json::to_string_pretty(&object)?);
    } else {
        for (kind, s) in stats {
            println!("{:<10} {:>9} {}", kind.as_str(), s.count, s.checksum);
        }
    }
    Ok(())
}
