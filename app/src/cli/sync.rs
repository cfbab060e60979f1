//! `comptoir sync`: signs in, downloads a company (or brings its copy up to date), and
//! prints the record count and checksum per kind: the same figures as
//! `comptoir-server admin stats`, so a copy can be compared with the server.

#![allow(clippy::print_stderr, reason = "progress lines go to stderr, the figures to stdout")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use comptoir_core::model::CompanyId;
use comptoir_core::store::{AppStore, CompanyStore, LocalAccount, LocalCompany};
use comptoir_core::sync::{AccountView, LoginResponse, RecordBody, RecordKind, SyncClient, TableStats};

/// Pages are asked this big: the server's maximum.
const PAGE: u32 = 5_000;

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
}

/// Runs the command; progress goes to stderr, the figures to stdout.
pub async fn run(args: SyncArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data).with_context(|| format!("cannot create {}", args.data.display()))?;
    let mut client = SyncClient::new(&args.server)?;
    match client.login(&args.email, &args.password).await? {
        LoginResponse::SignedIn(_) => {}
        LoginResponse::TotpRequired { challenge, .. } => {
            let code = args
                .totp
                .as_deref()
                .ok_or_else(|| anyhow!("this account has two-factor authentication on: pass --totp CODE"))?;
            client.login_totp(&challenge, code).await?;
        }
    }
    let account = client.account().await?;
    let (company, name) = choose_company(&account, args.company.as_deref())?;
    eprintln!("signed in as {}; company {name} ({company})", account.email);

    let app = AppStore::open(&args.data.join(AppStore::FILE_NAME))?;
    app.set_server_url(&args.server)?;
    app.upsert_account(&LocalAccount {
        user_id: comptoir_core::model::UserId(account.user_id),
        email: account.email.clone(),
        display_name: account.display_name.clone(),
        server_url: args.server.clone(),
    })?;
    let path = match app.company(company) {
        Ok(known) => known.file_path,
        Err(_) => args.data.join("companies").join(format!("{company}.comptoir")),
    };
    let mut store = open_or_download_first_page(&client, company, &path).await?;
    app.upsert_company(&LocalCompany {
        company_id: company,
        account: Some(comptoir_core::model::UserId(account.user_id)),
        name: name.clone(),
        file_path: path.clone(),
        active: true,
    })?;
    catch_up(&client, company, &mut store).await?;
    print_stats(&store.replica_stats()?, args.json)
}

fn choose_company(account: &AccountView, wanted: Option<&str>) -> anyhow::Result<(CompanyId, String)> {
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

/// Opens the company's copy, or starts it from the first page of the server's log.
async fn open_or_download_first_page(
    client: &SyncClient,
    company: CompanyId,
    path: &Path,
) -> anyhow::Result<CompanyStore> {
    if path.exists() {
        return Ok(CompanyStore::open_expecting(path, company)?);
    }
    let first = client.pull(company, 0, None, PAGE, true).await?;
    let settings = first
        .changes
        .iter()
        .find_map(|c| match c.parse() {
            Ok(Some(RecordBody::Settings(settings))) => Some(settings.company),
            _ => None,
        })
        .ok_or_else(|| anyhow!("the server's log does not start with the company's settings"))?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut store = CompanyStore::create_for_download(path, &settings)?;
    let total = first.remaining.as_ref().map_or(0, |r| r.values().sum::<u64>()) + first.changes.len() as u64;
    store.apply_pull_page(0, &first)?;
    progress(first.changes.len() as u64, total);
    Ok(store)
}

/// Applies pages until the copy is up to date.
async fn catch_up(client: &SyncClient, company: CompanyId, store: &mut CompanyStore) -> anyhow::Result<()> {
    let mut done = 0_u64;
    loop {
        let cursor = store.sync_cursor()?;
        let after = cursor.map_or(0, |c| c.seq);
        let page = client.pull(company, after, cursor.map(|c| c.epoch), PAGE, done == 0).await?;
        let total = done + page.remaining.as_ref().map_or(0, |r| r.values().sum::<u64>()) + page.changes.len() as u64;
        store.apply_pull_page(after, &page)?;
        done += page.changes.len() as u64;
        if !page.changes.is_empty() {
            progress(done, total.max(done));
        }
        if !page.has_more {
            eprintln!("up to date at change {}", page.cursor.seq);
            return Ok(());
        }
    }
}

fn progress(done: u64, total: u64) {
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
