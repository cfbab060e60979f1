# The app's words (setup wizard, status bar, banners).
# Business error messages are in errors.ftl.

app-name = Comptoir

## First-run wizard
wizard-title = Welcome to Comptoir
wizard-step-connection = Sign in
wizard-step-company = Company
wizard-step-sync = First synchronisation
wizard-step-ready = Ready
wizard-server = Server address
wizard-email = Email address
wizard-password = Password
wizard-sign-in = Sign in
wizard-retry = Try signing in again
wizard-code-title = Two-factor authentication
wizard-code-help = Enter the six-digit code shown by your authenticator app.
wizard-code = Code
wizard-code-submit = Confirm the code
wizard-demo-title = Demo mode
wizard-demo-credentials = Demo account: { $email } — password: { $password }
wizard-company-help = Your account can open several companies. Which one?
wizard-company-open = Open
wizard-company-local = already on this computer
wizard-sync-warning = Do not close the app while it synchronises. If it is closed anyway, it resumes at the next start.
wizard-sync-overall = Overall progress: { $percent } %
wizard-ready-text = { $company } is ready.
wizard-offline-text = You can work in it, even without a network.
wizard-usable-text = The rest of its data downloads while you work: the lists fill in as it arrives.
wizard-start = Start

## Synchronisation categories
category-contact = Customers and suppliers
category-article = Articles
category-document = Invoices, credit notes and delivery notes
category-payment = Payments
category-settings = Settings
category-member = Users
category-audit = Audit trail
category-count = { $done } of { $total }

## Sign-in failures
setup-error-server_unreachable = The server { $url } does not answer. Check the network, and the server address in this field or in Preferences → Server.
setup-error-host_unreachable = The host computer ({ $address }) does not answer. Check that it is on and on the same network, and that its firewall lets Comptoir in (Windows Defender Firewall: “Allow an app”).
setup-error-bad_server_url = “{ $url }” is not a server address (it starts with https://).
setup-error-incompatible_server = This address answers, but not as a Comptoir server of a compatible version.
setup-error-invalid_credentials = The email address or the password is wrong.
setup-error-invalid_code = This code is wrong or was already used.
setup-error-account_locked = The account is locked after too many failed sign-ins; try again later.
setup-error-no_company = This account belongs to no company yet.
setup-error-local_file_error = The files on this computer failed: { $message }
setup-error-other = The server refused: { $message }

## Synchronisation status
status-synced = Synchronised
status-syncing = Synchronising
status-syncing-percent = Synchronising ({ $percent } %)
status-downloading = Downloading ({ $percent } %)
status-offline = Offline
status-busy = Server busy: trying again at { $at }
status-error = Synchronisation error
status-stopped = Stopped
status-signed-out = Nobody signed in
grace-left = Read-only in { $days } d { $hours } h
grace-read-only = Read-only: synchronise to edit again.
edit-refused-read-only = This company is read-only: it has not synchronised for too long. Connect to the network and synchronise to edit it again.
edit-refused-no-company = No company is open.

## Banners and notifications
banner-offline = Offline since { $since }.
banner-host-unreachable = The host computer cannot be reached since { $since }: check that it is on, on the same network, and that its firewall lets Comptoir through (Windows Defender: “Allow an app”). You are working offline.
banner-hosting-stopped = This computer is not hosting the company right now: the devices cannot sync with it. Technical detail: { $reason }
banner-sync-error = Synchronisation failed: { $message }
banner-retry = Retry
banner-not-signed-in = Nobody signed in
banner-sign-in = Sign in
banner-file-moved = This file is not properly attached
banner-relink = Re-link
kept-copy = A copy of the old file was kept: { $path }
kept-copy-pending = { $count ->
    [one] It holds one change that never reached the server.
   *[other] It holds { $count } changes that never reached the server.
}
kept-copy-pending-named = { $count ->
    [one] It holds one change that never reached the server: { $edits }.
   *[other] It holds { $count } changes that never reached the server: { $edits }.
}
kept-copy-more = and { $count } more
kept-copy-renumbered = { $count ->
    [one] Its edits already accepted were sent again to the restored server, which gave a document another number (its content is unchanged): { $numbers }.
   *[other] Its edits already accepted were sent again to the restored server, which gave { $count } documents other numbers (their content is unchanged): { $numbers }.
}
kept-copy-renumbering = { $before } became { $after }
kept-copy-refused = { $count ->
    [one] The restored server refused an edit that had been accepted before the restore; it remains in this copy.
   *[other] The restored server refused { $count } edits that had been accepted before the restore; they remain in this copy.
}
kept-copy-refused-named = { $count ->
    [one] The restored server refused an edit that had been accepted before the restore; it remains in this copy: { $edits }.
   *[other] The restored server refused { $count } edits that had been accepted before the restore; they remain in this copy: { $edits }.
}
kept-copy-seen = Got it
banner-waiting-edits = { $count ->
    [one] One change by { $author } waits here for them to sign in again: it is sent only in their name, and yours go after it.
   *[other] { $count } changes by { $author } wait here for them to sign in again: they are sent only in their name, and yours go after them.
}
banner-waiting-keep = Keep them for this person
banner-waiting-discard = Discard…
banner-waiting-discard-yes = Discard these changes
confirm-discard-waiting-title = Discard another account's changes?
confirm-discard-waiting = { $count ->
    [one] The change by { $author } that was not sent yet will be lost, and this copy will go back to what the server has. This cannot be undone.
   *[other] The { $count } changes by { $author } that were not sent yet will be lost, and this copy will go back to what the server has. This cannot be undone.
}
banner-engine-stopped = Syncing stopped on an internal error ({ $reason }). What was saved is on disk; restart Comptoir to carry on.
notice-rejected = Change refused by the server: { $message }
notice-payment-received = Payment received: { $amount } on { $document }
notice-payment-partial = Partial payment received: { $amount } on { $document }
notice-payment-double = Double payment: { $amount } on { $document }
notice-grace-ending = Read-only in { $days } d { $hours } h unless a synchronisation succeeds.
notice-downloaded-again = The server's data was rebuilt: the company was downloaded again, and the old file kept.
notice-record-held = A record received from the server is kept aside ({ $record }): { $message }
notice-mail-failed = An e-mail could not be sent: { $message }

## Menu
menu-preferences = Preferences…
menu-file = File
menu-sync-now = Sync now
menu-sign-out = Sign out
menu-quit = Quit
tray-open = Open

## Preferences
preferences-title = Preferences
preferences-personal = Personal
preferences-language = Display language

## Notifications
bell = { $count ->
    [0] Notifications
   *[other] Notifications ({ $count })
}
notices-title = Notifications
notices-none = No notifications.
