//! The updater against a real HTTP server (Python's `http.server`) serving releases signed
//! with the real `minisign`: a portable install, made by the portable archive's own
//! `install.sh`, is replaced by the signed binary, which runs; a release without
//! signatures, with a file altered after signing, signed by another key, expired, or
//! older than a manifest seen before is refused with a message, and the install is left
//! as it was. The window's side: Préférences → Mises à
//! jour finds the version, waits for an unsaved draft, installs, and leaves the restart to
//! `main`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers: a panic is the failure report")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use comptoir::update::worker::{Phase, Updater};
use comptoir::update::{AfterExit, Install, Source};
use comptoir_tests::files::FileServer;
use comptoir_tests::ui::{file_menu, go_to, opened, wait_for, wait_until};
use egui_kittest::kittest::Queryable as _;
use sha2::Digest as _;

const APP_BIN: &str = env!("CARGO_BIN_EXE_comptoir-app");

/// Runs `minisign` with `args`; a failure fails the test.
fn minisign(args: &[&str]) {
    let output =
        Command::new("minisign").args(args).output().expect("minisign is installed (scripts/system-packages.sh)");
    assert!(output.status.success(), "minisign {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

/// A key pair without password: the public key file and the secret key file.
fn keypair(folder: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (public, secret) = (folder.join(format!("{name}.pub")), folder.join(format!("{name}.key")));
    minisign(&["-G", "-W", "-p", public.to_str().unwrap(), "-s", secret.to_str().unwrap()]);
    (public, secret)
}

/// Signs `file` with `secret`: `FILE.minisig` beside it.
fn sign(secret: &Path, file: &Path) {
    minisign(&["-S", "-s", secret.to_str().unwrap(), "-m", file.to_str().unwrap()]);
}

/// The version after this one (its patch number plus one).
fn next_version() -> semver::Version {
    let mut version = comptoir::update::current_version();
    version.patch += 1;
    version.pre = semver::Prerelease::EMPTY;
    version
}

const PLATFORM: &str = concat!("linux-", "x86_64", "-portable");

/// A manifest signed today that holds 30 days.
fn fresh() -> (chrono::NaiveDate, chrono::NaiveDate) {
    let today = chrono::Utc::now().date_naive();
    (today, today + chrono::TimeDelta::days(30))
}

/// Publishes into `folder` a release of `version` whose portable archive holds `binary`:
/// the archive (as installer/linux/portable.sh lays it out), the manifest, signed on
/// `signed` and holding until `expires`, and both signed with `secret`. Returns the
/// archive's path.
fn publish_as_of(
    folder: &Path,
    version: &semver::Version,
    binary: &[u8],
    secret: &Path,
    (signed, expires): (chrono::NaiveDate, chrono::NaiveDate),
) -> PathBuf {
    std::fs::create_dir_all(folder).unwrap();
    let name = format!("comptoir-{version}-x86_64-linux");
    let tree = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tree.path().join(&name)).unwrap();
    std::fs::write(tree.path().join(&name).join("comptoir"), binary).unwrap();
    let archive = folder.join(format!("{name}.tar.gz"));
    let tar = Command::new("sh")
        .arg("-c")
        .arg(format!("tar -C '{}' -cf - '{name}' | gzip -1 > '{}'", tree.path().display(), archive.display()))
        .status()
        .unwrap();
    assert!(tar.success());
    sign(secret, &archive);
    let bytes = std::fs::read(&archive).unwrap();
    let manifest = serde_json::json!({
        "format": 1,
        "product": "comptoir",
        "version": version.to_string(),
        "date": "2026-12-01",
        "signed": signed.to_string(),
        "expires": expires.to_string(),
        "notes": "Corrections et améliorations.",
        "packages": {
            PLATFORM: {
                "file": archive.file_name().unwrap().to_str().unwrap(),
                "size": bytes.len(),
                "sha256": comptoir::update::manifest::hex(&sha2::Sha256::digest(&bytes)),
            }
        }
    });
    let manifest_path = folder.join("manifest.json");
    std::fs::write(&manifest_path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    sign(secret, &manifest_path);
    archive
}

/// [`publish_as_of`] a manifest signed today.
fn publish(folder: &Path, version: &semver::Version, binary: &[u8], secret: &Path) -> PathBuf {
    publish_as_of(folder, version, binary, secret, fresh())
}

/// Installs the running test build as the portable archive would, with the archive's own
/// install.sh, into `home`: returns `~/.local/bin/comptoir`.
fn portable_install(home: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tree = tempfile::tempdir().unwrap();
    let unpacked = tree.path().join("comptoir-x86_64-linux");
    std::fs::create_dir_all(unpacked.join("icons")).unwrap();
    std::fs::copy(APP_BIN, unpacked.join("comptoir")).unwrap();
    std::fs::copy(root.join("installer/linux/install.sh"), unpacked.join("install.sh")).unwrap();
    std::fs::copy(root.join("installer/linux/comptoir.desktop"), unpacked.join("comptoir.desktop")).unwrap();
    for entry in std::fs::read_dir(root.join("resources/icons")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, unpacked.join("icons").join(path.file_name().unwrap())).unwrap();
    }
    let status = Command::new("bash")
        .arg(unpacked.join("install.sh"))
        .env("HOME", home)
        .env_remove("XDG_DATA_HOME")
        .status()
        .unwrap();
    assert!(status.success());
    let installed = home.join(".local/bin/comptoir");
    assert!(installed.is_file());
    installed
}

/// Runs the installed `comptoir update ARGS` against the manifest at `url`, trusting `key`.
fn update(installed: &Path, home: &Path, url: &str, key: &Path, args: &[&str]) -> Output {
    Command::new(installed)
        .arg("update")
        .args(args)
        .env("HOME", home)
        .env("COMPTOIR_DATA", home.join("data"))
        .env("COMPTOIR_UPDATE_URL", url)
        .env("COMPTOIR_UPDATE_KEY", std::fs::read_to_string(key).unwrap())
        .env_remove("XDG_DATA_HOME")
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Nothing of an update left beside the binary.
fn no_leftovers(folder: &Path) -> bool {
    std::fs::read_dir(folder)
        .unwrap()
        .all(|e| !e.unwrap().file_name().to_string_lossy().starts_with(".comptoir-update-"))
}

#[test]
fn a_signed_update_replaces_the_portable_install_and_altered_or_unsigned_ones_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let keys = work.path().join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let (public, secret) = keypair(&keys, "comptoir");
    let (_, other_secret) = keypair(&keys, "other");
    let home = work.path().join("home");
    let installed = portable_install(&home);
    let before = std::fs::read(&installed).unwrap();

    // The new version: the same program, told apart by bytes appended after its end (an
    // ELF binary runs with them), so the test can tell which one is installed.
    let version = next_version();
    let mut new_binary = before.clone();
    new_binary.extend_from_slice(format!("comptoir-update-test-{version}").as_bytes());

    let site = work.path().join("site");
    let good = publish(&site.join("good"), &version, &new_binary, &secret);

    // Unsigned: the same files without their signatures.
    publish(&site.join("unsigned"), &version, &new_binary, &secret);
    std::fs::remove_file(site.join("unsigned/manifest.json.minisig")).unwrap();
    // The manifest changed after it was signed (another file's digest).
    publish(&site.join("altered-manifest"), &version, &new_binary, &secret);
    let path = site.join("altered-manifest/manifest.json");
    let altered = std::fs::read_to_string(&path).unwrap().replace("Corrections", "Corrections urgentes");
    std::fs::write(&path, altered).unwrap();
    // Signed with a key that is not Comptoir's.
    publish(&site.join("foreign-key"), &version, &new_binary, &other_secret);
    // The archive changed after its release (the manifest and signatures are the good ones).
    let archive = publish(&site.join("altered-archive"), &version, &new_binary, &secret);
    let mut bytes = std::fs::read(&archive).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&archive, bytes).unwrap();
    // The archive's signature missing (the manifest is signed).
    let archive = publish(&site.join("unsigned-archive"), &version, &new_binary, &secret);
    std::fs::remove_file(PathBuf::from(format!("{}.minisig", archive.display()))).unwrap();
    // Signed, but its last day is past: a server kept on an old manifest (a freeze).
    let today = chrono::Utc::now().date_naive();
    let long_ago = (today - chrono::TimeDelta::days(40), today - chrono::TimeDelta::days(1));
    publish_as_of(&site.join("expired"), &version, &new_binary, &secret, long_ago);
    // At "older", the new version first (a check sees it there, below), then this very
    // version's manifest in its place: signed and current, but older than one seen at
    // that address (an old manifest served again, a rollback). Elsewhere, this version's
    // manifest was never preceded by a newer one.
    let current = comptoir::update::current_version();
    publish(&site.join("older"), &version, &new_binary, &secret);
    publish(&site.join("elsewhere"), &current, &before, &secret);

    let server = FileServer::start(&site).unwrap();
    let url = |release: &str| format!("{}/{release}/manifest.json", server.url);

    let checked = update(&installed, &home, &url("older"), &public, &["--check"]);
    assert!(text(&checked).contains(&format!("Comptoir {version} is available")), "{}", text(&checked));
    publish(&site.join("older"), &current, &before, &secret);
    let checked = update(&installed, &home, &url("elsewhere"), &public, &["--check"]);
    assert!(checked.status.success(), "{}", text(&checked));
    assert!(text(&checked).contains("is up to date"), "{}", text(&checked));

    // Found, and said, without installing.
    let checked = update(&installed, &home, &url("good"), &public, &["--check"]);
    assert!(checked.status.success(), "{}", text(&checked));
    assert!(text(&checked).contains(&format!("Comptoir {version} is available")), "{}", text(&checked));
    assert_eq!(std::fs::read(&installed).unwrap(), before);

    let (expired, older) =
        (format!("expired on {}", long_ago.1), format!("names version {current}, older than {version}"));
    for (release, says) in [
        ("unsigned", "has no signature"),
        ("altered-manifest", "does not verify"),
        ("foreign-key", "does not verify"),
        ("altered-archive", "SHA-256"),
        ("unsigned-archive", "has no signature"),
        ("expired", expired.as_str()),
        ("older", older.as_str()),
    ] {
        let refused = update(&installed, &home, &url(release), &public, &["--yes"]);
        assert!(!refused.status.success(), "{release} was accepted: {}", text(&refused));
        assert!(text(&refused).contains(says), "{release}: {}", text(&refused));
        assert_eq!(std::fs::read(&installed).unwrap(), before, "{release} changed the install");
        assert!(no_leftovers(installed.parent().unwrap()), "{release} left files");
    }

    // The signed release is installed: the binary is the new one, and it runs.
    let applied = update(&installed, &home, &url("good"), &public, &["--yes"]);
    assert!(applied.status.success(), "{}", text(&applied));
    assert!(text(&applied).contains(&format!("Comptoir {version} is installed")), "{}", text(&applied));
    assert_eq!(std::fs::read(&installed).unwrap(), new_binary);
    assert!(no_leftovers(installed.parent().unwrap()));
    let runs = Command::new(&installed).arg("--version").output().unwrap();
    assert!(runs.status.success() && runs.stdout.starts_with(b"comptoir "), "{}", text(&runs));
    drop(good);
}

#[test]
fn the_window_finds_the_version_waits_for_the_draft_and_installs_it() {
    let work = tempfile::tempdir().unwrap();
    let (public, secret) = keypair(work.path(), "comptoir");
    // The window's install is a portable copy in a folder of the test's (the test binary
    // itself is never replaced); the new "binary" is a script that answers --version as
    // the app does: the real binary's replacement is the test above.
    let folder = work.path().join("bin");
    std::fs::create_dir_all(&folder).unwrap();
    let exe = folder.join("comptoir");
    std::fs::write(&exe, "#!/bin/sh\necho comptoir old\n").unwrap();
    let version = next_version();
    let new_binary = format!("#!/bin/sh\necho comptoir {version}\n");
    publish(&work.path().join("site"), &version, new_binary.as_bytes(), &secret);
    let server = FileServer::start(&work.path().join("site")).unwrap();

    let (_sync, dir, mut harness) = opened(30, 0);
    let source = Source::new(&format!("{}/manifest.json", server.url), &std::fs::read_to_string(&public).unwrap());
    harness.state_mut().updater =
        Updater::with(source, Install::Portable { exe: exe.clone() }, dir.path(), Arc::new(|| {}));

    // The daily check runs by itself (no check yet in this folder) and says what it found.
    wait_for(&mut harness, &format!("Comptoir {version} est disponible."));
    let log = std::fs::read_to_string(dir.path().join("update-check.json")).unwrap();
    assert!(log.contains("\"at\"") && log.contains(&format!("/manifest.json\":\"{version}\"")), "{log}");
    harness.get_by_label("Voir").click();
    let available = format!("Comptoir {version} est disponible (publiée le 01/12/2026)");
    wait_for(&mut harness, &available);
    harness.get_by_label("Close window").click();
    harness.step();

    // A new invoice is open, not saved.
    go_to(&mut harness, "Factures");
    wait_for(&mut harness, "Nouvelle facture");
    harness.get_by_label("Nouvelle facture").click();
    wait_until(&mut harness, "the editor open", |h| h.state().screens.editor.is_some());

    // « Rechercher une mise à jour » asks again.
    file_menu(&mut harness, "Préférences…");
    wait_for(&mut harness, "Mises à jour");
    harness.get_by_label("Mises à jour").click();
    harness.step();
    harness.get_by_label("Rechercher une mise à jour").click();
    wait_until(&mut harness, "the check done", |h| matches!(h.state().updater.phase(), Phase::Available(_)));
    wait_for(&mut harness, &available);

    // Not while the draft is unsaved.
    harness.get_by_label("Installer et redémarrer").click();
    wait_for(&mut harness, "Un document a des changements non enregistrés");
    assert!(matches!(harness.state().updater.phase(), Phase::Available(_)));
    assert_eq!(std::fs::read_to_string(&exe).unwrap(), "#!/bin/sh\necho comptoir old\n");

    // The draft closed, it installs; the restart is left to `main` once the window closes.
    harness.state_mut().screens.editor = None;
    harness.get_by_label("Installer et redémarrer").click();
    wait_for(&mut harness, &format!("Comptoir {version} est installée"));
    assert_eq!(std::fs::read_to_string(&exe).unwrap(), new_binary);
    harness.get_by_label("Redémarrer maintenant").click();
    harness.step();
    let slot = harness.state().update_after_exit();
    let after_exit = slot.lock().unwrap().take();
    assert!(
        matches!(after_exit, Some(AfterExit::Restart { exe: ref restarted }) if *restarted == exe),
        "{after_exit:?}"
    );
}
