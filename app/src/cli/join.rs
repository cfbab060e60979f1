//! `comptoir join`: pairs this machine with a computer hosting a company on the local
//! network, by its pairing link or its typed code (`CODE@IP:PORT`), keeps the session
//! (a device has no password of its own to sign in with), and downloads the company.
//! Later, `comptoir sync --data DIR` brings the copy up to date.

#![allow(clippy::print_stderr, reason = "progress lines go to stderr, the figures to stdout")]

use std::path::PathBuf;

use anyhow::Context as _;
use comptoir_core::engine::credentials::system_credentials;
use comptoir_core::lan::pairing::this_device_name;
use comptoir_core::lan::{HostAddress, PairingLink, TypedInvitation};
use comptoir_core::model::CompanyId;
use comptoir_core::store::AppStore;
use comptoir_core::sync::SyncClient;

use super::sync::{CREDENTIALS_FILE, Target, company_path, sync_company};

/// What `comptoir join` was asked.
#[derive(Debug, clap::Args)]
pub struct JoinArgs {
    /// Folder of the app's files on this machine.
    #[arg(long)]
    pub data: PathBuf,
    /// The pairing link (`comptoir://pair?…`) or the typed code and the host's address
    /// (`4821-0937-5562@192.168.1.20:7443`), as the host shows them.
    pub invitation: String,
    /// How the host lists this device (default: this computer's name).
    #[arg(long)]
    pub device_name: Option<String>,
    /// Print the figures as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command.
pub async fn run(args: JoinArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data).with_context(|| format!("cannot create {}", args.data.display()))?;
    let name = args.device_name.clone().unwrap_or_else(this_device_name);
    let text = args.invitation.trim();
    let (client, paired, host) = if text.starts_with(comptoir_core::lan::link::PREFIX) {
        let link = PairingLink::parse(text)?;
        let (client, paired) = SyncClient::pair_by_link(&link, &name).await?;
        (client, paired, HostAddress::of_link(&link))
    } else {
        SyncClient::pair_by_code(&TypedInvitation::parse(text)?, &name).await?
    };
    eprintln!(
        "paired with the host {} as {} ({}) of {}; device {}",
        host.fingerprint,
        paired.email,
        paired.role.as_str(),
        paired.company_name,
        paired.device_id
    );
    // The keychain's client blocks on a runtime of its own: off the async threads.
    let path = args.data.join(CREDENTIALS_FILE);
    tokio::task::block_in_place(|| {
        let credentials = system_credentials(&path);
        credentials.save(&paired.email, &paired.tokens.refresh_token)?;
        comptoir_core::engine::credentials::save_device_secret(credentials.as_ref(), &paired)
    })?;
    let company = CompanyId(paired.company_id);
    backup_existing(&args.data, company)?;
    let account = client.account().await?;
    let target = Target { data: args.data, server: host.to_string(), json: args.json, page_size: None };
    sync_company(client, &account, company, &paired.company_name, &target).await
}

/// A copy of the company already on this machine (joined before, or synced with a
/// server) is backed up beside it before the first sync with the host touches it.
fn backup_existing(data: &std::path::Path, company: CompanyId) -> anyhow::Result<()> {
    let app = AppStore::open(&data.join(AppStore::FILE_NAME))?;
    let path = company_path(&app, data, company);
    if !path.exists() {
        return Ok(());
    }
    let conn = rusqlite::Connection::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
    let version = comptoir_core::store::migrate::schema_version(&conn)?;
    let backup = comptoir_core::store::migrate::backup_copy(&conn, &path, version)?;
    eprintln!("the copy already here was backed up to {}", backup.display());
    Ok(())
}
