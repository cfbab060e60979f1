# Preferences → Updates, and the banner of a version found (app/src/screens/updates.rs).
preferences-updates = Updates
update-installed-version = Installed version: { $version }
update-install-portable = Installed in your home folder: Comptoir updates itself when you decide.
update-install-windows = Installed by the Windows installer: Comptoir updates itself when you decide.
update-install-deb = Installed by the system's packages: update it with "sudo apt update && sudo apt install --only-upgrade comptoir" or your update manager.
update-install-rpm = Installed by the system's packages: update it with "sudo dnf upgrade comptoir" or your update manager.
update-install-system = Installed by the system's packages: update it with your package manager.
update-install-managed = Installed by your administrator or your system: install the new version as this one was.
update-not-configured = This build of Comptoir does not look for updates.
update-never-checked = never
update-last-check = Last check: { $at }
update-check = Check for updates
update-checking = Checking for an update…
update-up-to-date = Comptoir is up to date.
update-available = Comptoir { $version } is available (published on { $date }).
update-no-package = This version is not published for your install yet.
update-install = Install and restart
update-downloading = Downloading Comptoir { $version }…
update-ready = Comptoir { $version } is installed: it starts when Comptoir restarts.
update-restart = Restart now
update-blocked-edits = { $count ->
    [one] One edit has not been sent yet: the update waits until it is.
   *[other] { $count } edits have not been sent yet: the update waits until they are.
}
update-blocked-syncing = A sync is under way: try again when it is done.
update-blocked-draft = A document has unsaved changes: save or close it first.
update-banner = Comptoir { $version } is available.
update-banner-see = See
update-banner-later = Later
