//! `comptoir update`: checks the signed manifest and, for an install that updates itself
//! (the portable archive, the Windows installer), installs the newer version.

use std::io::{BufRead as _, Write as _};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, bail};
use chrono::Utc;
use comptoir::update::{self, AfterExit, Check, Install, PackageManager, Source};

#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    /// Only say whether a newer version exists.
    #[arg(long)]
    check: bool,
    /// Install without asking.
    #[arg(long)]
    yes: bool,
}

/// Checks, then installs on the user's word; `data` is the app's folder, whose window
/// must be closed and whose companies must have sent their edits.
pub fn run(args: &UpdateArgs, data: &Path) -> anyhow::Result<()> {
    let source = Source::configured()?.context(
        "this build of Comptoir has no update address (COMPTOIR_UPDATE_URL and COMPTOIR_UPDATE_KEY set none)",
    )?;
    let install = Install::detect();
    let current = update::current_version();
    // The log the window keeps too: the newest version seen signed, below which a
    // manifest is an old one served again.
    let seen = update::CheckLog::read(data).newest_seen(source.manifest_url());
    let checked = update::check(&source, &current, &install, seen.as_ref(), Utc::now().date_naive())?;
    update::CheckLog::record(data, Utc::now(), source.manifest_url(), checked.newest());
    let release = match checked {
        Check::UpToDate { newest } => {
            println!("Comptoir {current} is up to date (the newest published is {newest}).");
            return Ok(());
        }
        Check::Available(release) => release,
    };
    println!("Comptoir {} is available (this is {current}), published on {}.", release.version, release.date);
    if !release.notes.is_empty() {
        println!("{}", release.notes);
    }
    if args.check {
        return Ok(());
    }
    match &install {
        Install::SystemPackage(manager) => {
            let how = match manager {
                PackageManager::Deb => "sudo apt update && sudo apt install --only-upgrade comptoir",
                PackageManager::Rpm => "sudo dnf upgrade comptoir",
                PackageManager::Other => "your system's package manager",
            };
            println!("This Comptoir was installed by the system's packages: update it with {how}.");
            return Ok(());
        }
        Install::Managed => {
            println!(
                "This Comptoir is managed by your system or administrator: install the new version as you installed this one."
            );
            return Ok(());
        }
        Install::Portable { .. } | Install::WindowsInstaller { .. } => {}
    }
    if comptoir::instance::in_use(data) {
        bail!(
            "Comptoir's window is open on {}: close it first (or update from Préférences → Mises à jour)",
            data.display()
        );
    }
    let pending = pending_edits(data)?;
    if pending > 0 {
        bail!("{pending} edit(s) have not reached the server yet: open Comptoir and let it sync, then update");
    }
    if !args.yes && !confirmed(&release.version)? {
        println!("Nothing installed.");
        return Ok(());
    }
    let folder = install.download_folder(data);
    // Said again at each whole percent.
    let said = AtomicU64::new(u64::MAX);
    let progress = Arc::new(move |done: u64, total: u64| {
        let percent = done.saturating_mul(100).checked_div(total).unwrap_or(0);
        if said.swap(percent, Ordering::Relaxed) != percent {
            let _ = write!(std::io::stderr(), "\rDownloading: {percent} % of {} KiB", total / 1024);
        }
    });
    let downloaded = update::download(&source, &release, &folder, progress);
    let _ = writeln!(std::io::stderr());
    match install.prepare(downloaded?)? {
        AfterExit::Restart { exe } => println!("Comptoir {} is installed: {}", release.version, exe.display()),
        after @ AfterExit::RunInstaller { .. } => {
            after.run(std::iter::empty())?;
            println!("The installer of Comptoir {} runs.", release.version);
        }
    }
    Ok(())
}

/// The edits of this folder's companies not yet on their server.
fn pending_edits(data: &Path) -> anyhow::Result<u64> {
    let app_file = data.join(comptoir_core::store::AppStore::FILE_NAME);
    if !app_file.is_file() {
        return Ok(0);
    }
    let app = comptoir_core::store::AppStore::open(&app_file)?;
    let mut pending = 0u64;
    for company in app.companies()? {
        if company.file_path.is_file() {
            let store = comptoir_core::store::CompanyStore::open_read_only(&company.file_path)
                .with_context(|| format!("cannot read {}", company.file_path.display()))?;
            pending = pending.saturating_add(store.pending_count()?);
        }
    }
    Ok(pending)
}

fn confirmed(version: &semver::Version) -> anyhow::Result<bool> {
    print!("Install Comptoir {version} now? [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "o" | "O" | "oui"))
}
