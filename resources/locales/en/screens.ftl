# Texts of the main window's screens.

## Navigation
nav-dashboard = Dashboard
nav-contacts = Contacts
nav-articles = Articles
nav-quotes = Quotes
nav-invoices = Invoices
nav-credit-notes = Credit notes
nav-delivery-notes = Delivery notes
nav-payments = Payments
nav-settings = Settings

## Lists
list-search = Search
list-search-hint = number, customer, notes…
list-status = Filter by status
list-period = Filter by period
list-count = { $count } documents
list-counting = Counting…
list-searching = Searching…
list-search-count = { $count } results
list-search-first = The { $count } most recent results
period-all = All dates
period-this-month = This month
period-last-month = Last month
period-this-year = This year
period-last-year = Last year
column-number = Number
column-customer = Customer
column-date = Date
column-due = Due
column-total = Total incl. VAT
column-paid = Paid
column-status = Status
column-name = Name
column-city = City
column-email = Email
column-phone = Phone
column-vat = VAT number
column-code = Code
column-designation = Description
column-unit = Unit
column-unit-price = Unit price excl. VAT
column-vat-rate = VAT
column-quantity = Quantity
column-net = Amount excl. VAT
column-amount = Amount
column-method = Method
column-reference = Reference
column-payer = Payer
column-documents = Documents

## Statuses and kinds of documents
status-all = All statuses
status-unpaid = Unpaid
status-draft = Draft
status-issued = Issued
status-accepted = Accepted
status-declined = Declined
status-converted = Converted to an invoice
status-partially-paid = Partly paid
status-paid = Paid
kind-quote = Quote
kind-invoice = Invoice
kind-credit-note = Credit note
kind-delivery-note = Delivery note
document-draft = Draft
document-number-pending = Number pending
document-issue = Issue
method-bank-transfer = Bank transfer
method-card = Card
method-cash = Cash
method-cheque = Cheque
method-direct-debit = Direct debit
method-other = Other

## Dashboard
dashboard-unpaid = Unpaid invoices
dashboard-overdue = Overdue
dashboard-month-sales = This month's sales (excl. VAT)
dashboard-invoices = { $count } invoices
dashboard-drafts = Drafts waiting: { $count }
dashboard-pending = Edits waiting to be sent: { $count }
dashboard-see-unpaid = See unpaid invoices

## Detail and history
detail-close = Close the detail
total-net = Total excl. VAT
total-vat = VAT
total-gross = Total incl. VAT
total-paid = Already paid
total-due = Left to pay
history-title = History
history-none = No action recorded yet.
history-system = Comptoir
history-line = { $date } — { $user } — { $action }
history-change = { $field }: { $before } → { $after }
action-create = created
action-update = changed
action-issue = issued
action-payment = payment
action-archive = archived
action-delete = deleted
action-sign-in = sign-in
action-sign-in-failed = failed sign-in
action-role-change = role change
action-export = export

## Contacts
contact-new = New contact
contact-kind-company = Company
contact-kind-person = Person
contact-name = Name
contact-email = Email
contact-phone = Phone
contact-vat = VAT number
contact-street = Address
contact-postcode = Postcode
contact-city = City
contact-country = Country
contact-archived = { $name } (archived)
contact-vat-value = VAT: { $vat }
country-fr = France
country-be = Belgium
form-save = Save
form-cancel = Cancel

## Company settings
settings-legal-name = Legal name
settings-address = Address
settings-vat = VAT number
settings-iban = IBAN
settings-currency = Currency
settings-terms = Payment terms
settings-terms-days = { $days } days
settings-numbering = Numbering
settings-next-number = prefix { $prefix }, next number { $next }

## Permissions
edit-refused-role = Your role ({ $role }) does not allow this.
role-owner = Owner
role-admin = Administrator
role-sales = Sales
role-accountant = Accountant
role-read_only = Read only

## Preferences
preferences-account = Account
preferences-server = Server
preferences-notifications = Notifications
preferences-server-address = Address of the sync server
preferences-server-help = To change servers, sign out and enter the new address when signing in.
account-signed-in-as = Signed in as { $email }
account-role = Role in this company: { $role }
account-companies = The account's companies
account-current = open now
account-switch = Open { $company }
account-companies-offline = The list of companies will be available at the next connection to the server.
notify-payments = Payments received, partial or double
notify-refusals = Edits refused by the server
notify-sync = Sync errors and the end of the offline period
server-test = Test the connection
server-testing = Testing…
server-test-ok = The server { $url } answers: connection works.
password-title = Password
password-current = Current password
password-new = New password
password-confirm = Confirm the new password
password-change = Change the password
password-changed = Password changed. Your other devices will have to sign in again.
password-mismatch = The two new passwords are not the same.
password-too-short = The new password needs at least { $min } characters.
two-factor-title = Two-factor authentication
two-factor-unknown = Whether two-factor is on will be known at the next connection to the server.
two-factor-on = Two-factor authentication is on.
two-factor-off = Two-factor authentication is off.
two-factor-enable = Turn two-factor authentication on
two-factor-scan = Scan this code with your authenticator app, or type the key below, then confirm with the code it shows.
two-factor-qr = Two-factor QR code
two-factor-secret = Secret key: { $secret }
two-factor-code = Code of the app
two-factor-confirm = Confirm and turn on
two-factor-disable = Turn two-factor authentication off
two-factor-turned-on = Two-factor authentication on: a code will be asked at each sign-in.
two-factor-turned-off = Two-factor authentication off.
export-audit-sheet = Audit trail
export-audit-seq = No.
export-audit-at = Date and time
export-audit-user = User
export-audit-action = Action
export-audit-entity = Record
export-audit-entity-id = Record id
export-audit-changes = Changes
export-audit-hash = Hash
nav-audit = Audit trail
audit-filter-action = Filter by action
audit-all-actions = All actions
audit-filter-user = User (email)
audit-count = { $count ->
    [one] { $count } action
   *[other] { $count } actions
}
audit-verify = Check integrity
audit-verifying = Checking the chain…
audit-integrity-ok = Chain intact: { $count } records checked.
audit-integrity-broken = Chain broken: record no. { $seq } was altered, removed or inserted.
audit-export = Export to XLSX…
audit-export-file = audit-trail
audit-export-progress = { $written } / { $total }
audit-export-cancel = Cancel the export
audit-export-done = Export done: { $rows } rows on { $sheets } sheet(s), in { $path }.
audit-export-cancelled = Export cancelled: no file was written.
action-save-draft = draft saved
action-delete-draft = draft deleted
action-answer-quote = quote answered
action-convert-quote = quote converted
action-set-numbering = numbering
action-import = import
action-add-member = user added
action-remove-member = user removed
action-post = posting

nav-users = Users
users-refused-role = Your role ({ $role }) does not allow you to manage the company's users: only owners and admins can.
users-name = Name
users-email = Email
users-role = Role
users-last-activity = Last activity
users-never = never
users-edit = Edit { $email }
users-add-title = Add a user
users-new-email = New user's email
users-new-role = Role:
users-add-missing = Type the email and choose a role.
users-add = Add the user
users-waiting = Sending to the server…
users-added = { $email } was added to the company.
users-added-new-account = An account was created for { $email }. One-time password to pass on: { $password }
users-role-changed = { $email } is now { $role }.
users-removed = { $email } was removed from the company.
users-edit-title = Role of { $email }
users-save-role = Save the role
users-remove = Remove { $email }
users-remove-confirm = Remove { $email } from the company?
users-remove-yes = Confirm the removal
users-remove-no = Cancel
users-close = Close

audit-filter-document = Document (number)
audit-no-such-document = No document has this number.

posting-banner = { $count ->
    [one] 1 entry to post
   *[other] { $count } entries to post
}
posting-open = Post
posting-title = Post the entries
posting-period = Period
posting-up-to-today = Up to today
posting-reading = Reading the pending entries…
posting-batch = { $count } entry(ies) to post: debit { $debit }, credit { $credit }.
posting-format = Export format
posting-format-fec = FEC (French audit file)
posting-format-csv = CSV
posting-export = 1. Export the batch…
posting-nothing = No entry to post in this period.
posting-choose-format = Choose the export format.
posting-file = entries
posting-exported = Batch exported: { $count } entry(ies), debit { $debit }, credit { $credit }.
posting-post = 2. Mark as posted
posting-export-first = Export this period's batch first.
posting-posting = Posting…
posting-done = { $count } entry(ies) posted.
posting-partly = { $count } entry(ies) posted, then: { $reason }

audit-draft = (draft)
entity-company = company
entity-user = user
entity-member = member
entity-export = export
entity-posting = posting
entity-payment = payment
entity-article = article
entity-settings = settings

settings-account-customers = Customers
settings-account-sales = Sales
settings-account-vat = VAT collected
settings-account-bank = Bank
settings-journal-sales = Sales journal
settings-journal-bank = Bank journal
posting-history = Posted batches ({ $count })
posting-history-at = On
posting-history-by = By
posting-history-to = Up to
posting-history-entries = Entries
settings-accounts = Chart of accounts
settings-account-label = Name: { $account }
settings-accounts-edit = Change the chart of accounts
settings-accounts-save = Save the chart of accounts
settings-accounts-unchanged = Change an account first.
settings-accounts-saved = Chart of accounts saved: the entries are derived again; posted ones that change come back as a reversal and a new entry.
action-set-account-plan = chart of accounts
posting-deriving = (entries still being worked out…)
posting-export-again = Export the batch up to { $to } again…
