//! `comptoir host`: hosts a company on the local network from this machine, headless
//! (a small office server, a machine without a screen). Prints the pairing link, its QR
//! code drawn in the terminal and the typed code, then serves until stopped.
//!
//! While it serves, it reads commands on standard input, one per line:
//!
//! - `invite [EMAIL]`: a new invitation (for the first owner when no email is given);
//! - `devices`: the devices paired, revoked ones too;
//! - `backup`: a backup now, into the backup folder;
//! - `revoke DEVICE`: ends a device's session;
//! - `quit`: stops hosting.
//!
//! With `--json`, every answer is one JSON object per line (for scripts and tests). When
//! standard input closes, it keeps serving until the process is stopped.

#![allow(clippy::print_stdout, clippy::print_stderr, reason = "a command-line tool's output")]

use std::io::BufRead as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use comptoir::hosting::{self, Host};
use comptoir_core::model::CompanyId;
use serde_json::json;

/// What `comptoir host` was asked.
#[derive(Debug, clap::Args)]
pub struct HostArgs {
    /// Folder of the app's files on this machine (the host's data goes in `host/`).
    #[arg(long)]
    pub data: PathBuf,
    /// The company to host (its name or id), when several are.
    #[arg(long)]
    pub company: Option<String>,
    /// The address and port to listen on; port 0 keeps the port of the last start
    /// (7443 the first time, when free).
    #[arg(long, default_value = "0.0.0.0:0")]
    pub listen: SocketAddr,
    /// The member the first invitation is for (default: the first owner).
    #[arg(long)]
    pub member: Option<String>,
    /// Create a new company hosted here, of this name, first (its owner: --owner, the
    /// password read from the first line of standard input).
    #[arg(long, requires = "owner")]
    pub create: Option<String>,
    /// The new company's country (ISO code).
    #[arg(long, default_value = "FR")]
    pub country: String,
    /// The new company's owner: their email (an account made here).
    #[arg(long)]
    pub owner: Option<String>,
    /// Move a company from this Comptoir server onto this computer first: the owner
    /// (--owner) signs in with the password read from the first line of standard input
    /// (and a two-factor code from the next line, when asked); the company (--company,
    /// else the only one) is frozen on the server, downloaded and hosted here, its owner
    /// keeping that password here. Run again after a failure, it goes on where it
    /// stopped.
    #[arg(long, requires = "owner", conflicts_with = "create")]
    pub from_server: Option<String>,
    /// Move the company hosted here back to this Comptoir server, which it came from:
    /// the owner (--owner) signs in there as for --from-server; the company is frozen
    /// here (read-only: its devices are told where it went), its archive sent, and the
    /// server hosts it again. Run again after a failure, it goes on where it stopped.
    #[arg(long, requires = "owner", conflicts_with_all = ["create", "from_server"])]
    pub to_server: Option<String>,
    /// The folder for the host's backups (a USB disk, a synced folder), remembered: one
    /// is taken at start when due (none yet, another version of Comptoir, a day since the
    /// last), then daily; the newest 30 are kept.
    #[arg(long)]
    pub backups: Option<PathBuf>,
    /// Before serving, put the newest backup of the backup folder in place of the
    /// host's data (a lost or damaged host): every device downloads again.
    #[arg(long)]
    pub restore_newest: bool,
    /// Print every answer as one JSON object per line.
    #[arg(long)]
    pub json: bool,
}

/// How often a running host looks whether its daily backup is due.
const BACKUP_CHECK: std::time::Duration = std::time::Duration::from_mins(15);

/// Runs the command: serves until `quit` or the process is stopped.
pub fn run(args: &HostArgs) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    if let (Some(name), Some(owner)) = (&args.create, &args.owner) {
        let password =
            lines.next().transpose()?.context("the owner's password is read from the first line of stdin")?;
        let display = owner.split('@').next().unwrap_or(owner);
        let company = hosting::create_company(&args.data, name, &args.country, owner, display, password.trim_end())?;
        eprintln!("created the company {name} ({company}), hosted by this computer; its owner: {owner}");
    }
    if let (Some(server), Some(owner)) = (&args.from_server, &args.owner) {
        let password =
            lines.next().transpose()?.context("the owner's password is read from the first line of stdin")?;
        let mut next_line = || lines.next().transpose().ok().flatten();
        take_from_server(args, server, owner, password.trim_end(), &mut next_line)?;
    }
    if let (Some(server), Some(owner)) = (&args.to_server, &args.owner) {
        let password =
            lines.next().transpose()?.context("the owner's password is read from the first line of stdin")?;
        let mut next_line = || lines.next().transpose().ok().flatten();
        give_back(args, server, owner, password.trim_end(), &mut next_line)?;
    }
    let backups = hosting::backup_folder(&args.data, args.backups.as_deref())?;
    if args.restore_newest {
        let folder = backups.as_ref().context("--restore-newest needs a backup folder: give --backups DIR")?;
        let restored = hosting::restore_newest(&args.data, folder)?;
        say(
            args.json,
            &json!({"event": "restored", "backup": restored.path}),
            &format!("restored {}", restored.path.display()),
        );
    }
    // Before the data opens: a new version of Comptoir backs it up before it migrates it.
    if let Some(folder) = &backups
        && let Some(file) = hosting::back_up_if_due(&args.data, folder, chrono::Utc::now())?
    {
        say(
            args.json,
            &json!({"event": "backup", "backup": file.path}),
            &format!("backed up to {}", file.path.display()),
        );
    }
    let host = hosting::start(&args.data, args.listen)?;
    if let Some(folder) = backups.clone() {
        let data = args.data.clone();
        std::thread::Builder::new().name("host-backups".into()).spawn(move || {
            loop {
                std::thread::sleep(BACKUP_CHECK);
                if let Err(error) = hosting::back_up_if_due(&data, &folder, chrono::Utc::now()) {
                    tracing::error!(%error, "the daily backup failed; trying again later");
                }
            }
        })?;
    }
    let company = host.company(args.company.as_deref())?;
    let own = host.host_address();
    if args.json {
        println!(
            "{}",
            json!({"event": "hosting", "company": company.id.0, "name": company.name,
                   "fingerprint": host.fingerprint().to_base64url(), "address": own.to_string()})
        );
    } else {
        println!("Hosting {} on {} (certificate SHA-256 {})", company.name, list(host.addresses()), host.fingerprint());
        println!("This computer's own copy syncs with: {own}");
    }
    invite(&host, company.id, args.member.as_deref(), args.json)?;
    for line in lines {
        let line = line?;
        let mut words = line.split_whitespace();
        let answer = match (words.next(), words.next()) {
            (Some("invite"), member) => invite(&host, company.id, member.or(args.member.as_deref()), args.json),
            (Some("devices"), None) => devices(&host, company.id, args.json),
            (Some("backup"), None) => backup(&args.data, backups.as_ref(), args.json),
            (Some("revoke"), Some(device)) => revoke(&host, company.id, device, args.json),
            (Some("quit"), None) => return Ok(()),
            (None, _) => Ok(()),
            _ => Err(anyhow::anyhow!("unknown command: {line} (invite [EMAIL], devices, backup, revoke DEVICE, quit)")),
        };
        if let Err(error) = answer {
            if args.json {
                println!("{}", json!({"event": "error", "message": error.to_string()}));
            } else {
                eprintln!("{error}");
            }
        }
    }
    // Standard input closed: serve until the process is stopped.
    loop {
        std::thread::park();
    }
}

/// `--from-server`: signs in to `server` as `owner` and moves the company onto this
/// computer (see [`comptoir::company_move`]).
fn take_from_server(
    args: &HostArgs,
    server: &str,
    owner: &str,
    password: &str,
    next_line: &mut dyn FnMut() -> Option<String>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let client = comptoir::company_move::signed_in(server, owner, password, next_line).await?;
        let account = client.account().await?;
        let (company, name) = super::sync::choose_company(&account, args.company.as_deref())?;
        let to = comptoir_core::lan::pairing::this_device_name();
        let moved =
            comptoir::company_move::take_from_server(&args.data, &client, company, owner, password, &to).await?;
        say(
            args.json,
            &json!({"event": "moved", "company": company.0, "records": moved.records, "bytes": moved.bytes,
                    "imported": moved.imported}),
            &format!("moved {name} ({company}) from {server} onto this computer: {} records", moved.records),
        );
        anyhow::Ok(())
    })
}

/// `--to-server`: moves the company hosted here back to `server` (see
/// [`comptoir::company_move::give_back`]).
fn give_back(
    args: &HostArgs,
    server: &str,
    owner: &str,
    password: &str,
    next_line: &mut dyn FnMut() -> Option<String>,
) -> anyhow::Result<()> {
    let storage = comptoir_server::storage::SqliteStorage::open(&hosting::host_dir(&args.data))?;
    let companies = comptoir_server::storage::Storage::companies(&storage)?;
    drop(storage);
    let company = &hosting::choose_company(&companies, args.company.as_deref())?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let client = comptoir::company_move::signed_in(server, owner, password, next_line).await?;
        let back = comptoir::company_move::give_back(&args.data, &client, company.id, owner, server).await?;
        say(
            args.json,
            &json!({"event": "given_back", "company": company.id.0, "records": back.records, "sent": back.sent}),
            &format!(
                "moved {} ({}) back to {server}: {} records; read-only here",
                company.name, company.id, back.records
            ),
        );
        anyhow::Ok(())
    })
}

/// Prints `value` with `--json`, else `text` on stderr.
fn say(json: bool, value: &serde_json::Value, text: &str) {
    if json {
        println!("{value}");
    } else {
        eprintln!("{text}");
    }
}

fn backup(
    data: &std::path::Path,
    folder: Option<&comptoir_server::host_backup::BackupFolder>,
    json: bool,
) -> anyhow::Result<()> {
    let folder = folder.context("no backup folder: start the host with --backups DIR")?;
    let file = hosting::back_up_now(data, folder, chrono::Utc::now())?;
    say(json, &json!({"event": "backup", "backup": file.path}), &format!("backed up to {}", file.path.display()));
    Ok(())
}

fn list(addresses: &[SocketAddr]) -> String {
    addresses.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

fn invite(host: &Host, company: CompanyId, member: Option<&str>, json: bool) -> anyhow::Result<()> {
    let (invitation, link, typed) = host.invite(company, member)?;
    if json {
        println!(
            "{}",
            json!({"event": "invitation", "link": link.to_string(), "code": typed.to_string(),
                   "email": invitation.email, "role": invitation.role.as_str(), "expires_at": invitation.expires_at})
        );
        return Ok(());
    }
    println!("\n{}", hosting::terminal_qr(&link.to_string())?);
    println!(
        "Pair a device as {} ({}), once, until {} UTC:",
        invitation.email,
        invitation.role.as_str(),
        invitation.expires_at.format("%H:%M")
    );
    println!("  scan the QR code, or give it this link:  {link}");
    println!("  or type this code with the host's address:  {typed}");
    Ok(())
}

fn devices(host: &Host, company: CompanyId, json: bool) -> anyhow::Result<()> {
    let devices = host.devices(company)?;
    if json {
        let devices: Vec<_> = devices
            .iter()
            .map(|d| {
                json!({"id": d.id, "name": d.name, "paired_at": d.paired_at, "last_seen_at": d.last_seen_at,
                            "revoked": d.revoked_at.is_some()})
            })
            .collect();
        println!("{}", json!({"event": "devices", "devices": devices}));
        return Ok(());
    }
    if devices.is_empty() {
        println!("No device is paired yet.");
    }
    for device in devices {
        let state = if device.revoked_at.is_some() { " (revoked)" } else { "" };
        println!("{}  {}  paired {}{state}", device.id, device.name, device.paired_at.format("%Y-%m-%d %H:%M"));
    }
    Ok(())
}

fn revoke(host: &Host, company: CompanyId, device: &str, json: bool) -> anyhow::Result<()> {
    let Ok(id) = device.parse::<uuid::Uuid>() else { bail!("{device} is not a device id (see `devices`)") };
    host.revoke(company, id)?;
    if json {
        println!("{}", json!({"event": "revoked", "device": id}));
    } else {
        println!("Device {id} revoked: its next sync is refused.");
    }
    Ok(())
}
