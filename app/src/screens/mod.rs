//! The main window's screens, one file each, and what they share: the navigation, the
//! [`Context`] a screen draws with, and the routing of background answers.

pub mod about;
pub mod articles;
pub mod audit;
pub mod contact_form;
pub mod dashboard;
pub mod detail;
pub mod documents;
pub mod editor;
pub mod import;
pub mod lists;
pub mod mail_settings;
pub mod move_here;
pub mod payment_form;
pub mod payments;
pub mod posting;
pub mod preview;
pub mod rows;
pub mod send_mail;
pub mod settings;
pub mod sharing;
pub mod templates;
pub mod updates;
pub mod users;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use chrono::NaiveDate;
use comptoir_core::engine::Command;
use comptoir_core::model::{Currency, DocumentKind, Permission, Role};
use comptoir_core::sync::Intent;

use crate::i18n::Texts;
use crate::reader::{Answer, Reader};

/// The screens of the navigation, in its order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Screen {
    Dashboard,
    Contacts,
    Articles,
    Quotes,
    Invoices,
    CreditNotes,
    DeliveryNotes,
    Payments,
    Audit,
    Users,
    Settings,
}

impl Screen {
    pub const ALL: [Self; 11] = [
        Self::Dashboard,
        Self::Contacts,
        Self::Articles,
        Self::Quotes,
        Self::Invoices,
        Self::CreditNotes,
        Self::DeliveryNotes,
        Self::Payments,
        Self::Audit,
        Self::Users,
        Self::Settings,
    ];

    /// The id of its name in the locale files.
    pub fn text_id(self) -> &'static str {
        match self {
            Self::Dashboard => "nav-dashboard",
            Self::Contacts => "nav-contacts",
            Self::Articles => "nav-articles",
            Self::Quotes => "nav-quotes",
            Self::Invoices => "nav-invoices",
            Self::CreditNotes => "nav-credit-notes",
            Self::DeliveryNotes => "nav-delivery-notes",
            Self::Payments => "nav-payments",
            Self::Audit => "nav-audit",
            Self::Users => "nav-users",
            Self::Settings => "nav-settings",
        }
    }

    /// The kind of document the screen lists, for the four document screens.
    pub fn document_kind(self) -> Option<DocumentKind> {
        match self {
            Self::Quotes => Some(DocumentKind::Quote),
            Self::Invoices => Some(DocumentKind::Invoice),
            Self::CreditNotes => Some(DocumentKind::CreditNote),
            Self::DeliveryNotes => Some(DocumentKind::DeliveryNote),
            _ => None,
        }
    }
}

/// What a screen draws with: the file, the words, and where its edits go.
pub struct Context<'a> {
    pub reader: &'a Reader,
    pub texts: &'a Texts,
    pub currency: Currency,
    pub today: NaiveDate,
    /// The user's role in this company, once known.
    pub role: Option<Role>,
    /// The grace period ran out: the company is read-only until a sync succeeds.
    pub read_only: bool,
    /// The server cannot be reached now: an issued document waits for its number.
    pub offline: bool,
    /// The company's first download goes on (it opened before its end): lists show what
    /// has arrived, and search finds only what was indexed before it.
    pub partial: bool,
    pub commands: &'a mut Vec<Command>,
    /// Numbers the edits this frame sends; the engine's answer carries it back.
    pub next_request: &'a mut u64,
    /// Gives each background question a number no other carries.
    pub next_generation: &'a mut u64,
    /// The system's save dialog and viewer, and the app's cache folder.
    pub desktop: &'a crate::desktop::Desktop,
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("role", &self.role).field("read_only", &self.read_only).finish_non_exhaustive()
    }
}

impl Context<'_> {
    /// Why the user cannot do `permission` now, in their language; `None` when they can.
    pub fn cannot(&self, permission: Permission) -> Option<String> {
        if self.read_only {
            return Some(self.texts.get("edit-refused-read-only"));
        }
        self.cannot_read(permission)
    }

    /// Why the user's role does not allow `permission` (reading and exporting are not
    /// edits: the offline grace period does not restrict them).
    pub fn cannot_read(&self, permission: Permission) -> Option<String> {
        let role = self.role.filter(|role| !role.allows(permission))?;
        Some(self.texts.with("edit-refused-role", &[("role", role_text(role, self.texts).into())]))
    }

    /// Sends an edit to the engine; returns its request number.
    pub fn edit(&mut self, intent: Intent) -> u64 {
        *self.next_request += 1;
        let request = *self.next_request;
        self.commands.push(Command::Edit { request, intent: Box::new(intent) });
        request
    }

    pub fn generation(&mut self) -> u64 {
        *self.next_generation += 1;
        *self.next_generation
    }

    pub fn money(&self, amount: rust_decimal::Decimal) -> String {
        crate::format::money(amount, self.currency, self.texts.language())
    }

    pub fn date(&self, date: NaiveDate) -> String {
        crate::format::date(date, self.texts.language())
    }
}

/// A role's name in the user's language.
pub fn role_text(role: Role, texts: &Texts) -> String {
    texts.get(&format!("role-{}", role.as_str()))
}

/// The bold titles of a table's columns, from their locale ids.
pub fn column_titles_ui(header: &mut egui_extras::TableRow<'_, '_>, texts: &Texts, ids: &[&str]) {
    for id in ids {
        header.col(|ui| {
            ui.label(crate::theme::bold(texts.get(id)));
        });
    }
}

/// A question in a modal window, with a button that confirms and one that cancels:
/// `Some(true)` confirmed, `Some(false)` cancelled (the cancel button, Escape or a click
/// outside), `None` while it waits. The confirming button takes the keyboard focus the
/// first time it is drawn (`first`), so Enter confirms.
pub fn confirm_ui(
    ui: &mut egui::Ui,
    id: &str,
    (title, question): (&str, &str),
    yes: &str,
    texts: &Texts,
    first: bool,
) -> Option<bool> {
    let mut answer = None;
    let modal = egui::Modal::new(egui::Id::unique(id)).show(ui.ctx(), |ui| {
        if !title.is_empty() {
            ui.heading(title);
        }
        ui.label(question);
        ui.horizontal(|ui| {
            let yes = ui.button(yes);
            if first {
                yes.request_focus();
            }
            if yes.clicked() {
                answer = Some(true);
            }
            if ui.button(texts.get("editor-cancel")).clicked() {
                answer = Some(false);
            }
        });
    });
    if modal.should_close() && answer.is_none() {
        answer = Some(false);
    }
    answer
}

/// A button that is disabled, with the reason beside it, when the user cannot act.
pub fn action_button(ui: &mut egui::Ui, text: &str, blocked: Option<&str>) -> bool {
    match blocked {
        None => ui.button(text).clicked(),
        Some(reason) => {
            ui.add_enabled(false, egui::Button::new(text)).on_disabled_hover_text(reason);
            ui.label(egui::RichText::new(reason).italics().weak());
            false
        }
    }
}

/// Opens the system's save dialog off the UI thread (`filter`: its name and the file
/// extensions it shows); the chosen path, or `None` when cancelled, comes through the
/// channel, and `wake` repaints the window then.
pub fn choose_file(
    name: String,
    filter: (&str, &[&str]),
    wake: Arc<dyn Fn() + Send + Sync>,
) -> Option<Receiver<Option<PathBuf>>> {
    let dialog = rfd::AsyncFileDialog::new().set_file_name(name).add_filter(filter.0, filter.1);
    run_file_dialog(dialog, Pick::Save, wake)
}

/// Opens the system's folder dialog off the UI thread, like [`choose_file`].
pub fn choose_folder(title: &str, wake: Arc<dyn Fn() + Send + Sync>) -> Option<Receiver<Option<PathBuf>>> {
    run_file_dialog(rfd::AsyncFileDialog::new().set_title(title), Pick::Folder, wake)
}

/// What a file dialog picks.
#[derive(Clone, Copy, Debug)]
enum Pick {
    Save,
    Open,
    Folder,
}

/// Opens the system's open dialog off the UI thread, like [`choose_file`] (`title`: the
/// dialog's title).
pub fn choose_file_to_open(
    title: &str,
    filter: (&str, &[&str]),
    wake: Arc<dyn Fn() + Send + Sync>,
) -> Option<Receiver<Option<PathBuf>>> {
    let dialog = rfd::AsyncFileDialog::new().set_title(title).add_filter(filter.0, filter.1);
    run_file_dialog(dialog, Pick::Open, wake)
}

/// Runs a system file dialog on a thread of its own (its portal or GTK loop must not
/// block the frame) and sends the path chosen.
fn run_file_dialog(
    dialog: rfd::AsyncFileDialog,
    pick: Pick,
    wake: Arc<dyn Fn() + Send + Sync>,
) -> Option<Receiver<Option<PathBuf>>> {
    let (sender, answer) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new().name("comptoir-file-dialog".into()).spawn(move || {
        let chosen = tokio::runtime::Builder::new_current_thread()
            .build()
            .ok()
            .and_then(|runtime| match pick {
                Pick::Save => runtime.block_on(dialog.save_file()),
                Pick::Open => runtime.block_on(dialog.pick_file()),
                Pick::Folder => runtime.block_on(dialog.pick_folder()),
            })
            .map(|handle| handle.path().to_path_buf());
        let _ = sender.send(chosen);
        wake();
    });
    spawned.ok().map(|_| answer)
}

/// Repaints the window from another thread.
pub fn waker(ctx: &egui::Context) -> Arc<dyn Fn() + Send + Sync> {
    let ctx = ctx.clone();
    Arc::new(move || ctx.request_repaint())
}

/// Every screen's state, kept while the company is open.
#[derive(Debug, Default)]
pub struct Screens {
    pub current: Option<Screen>,
    pub dashboard: dashboard::DashboardState,
    pub quotes: documents::DocumentList,
    pub invoices: documents::DocumentList,
    pub credit_notes: documents::DocumentList,
    pub delivery_notes: documents::DocumentList,
    pub contacts: lists::ContactList,
    pub articles: articles::Articles,
    pub payments: payments::Payments,
    pub audit: audit::AuditTrail,
    pub users: users::Users,
    pub accounting: posting::Accounting,
    pub settings: settings::SettingsState,
    pub detail: Option<detail::Detail>,
    /// The document being written, shown instead of its list.
    pub editor: Option<editor::Editor>,
    /// A payment being recorded, in a window of its own.
    pub payment_form: Option<payment_form::PaymentForm>,
    /// Fichier → Importer des contacts… / des articles…, when open.
    pub import: Option<import::ImportDialog>,
}

impl Screens {
    pub fn new() -> Self {
        Self {
            current: Some(Screen::Dashboard),
            quotes: documents::DocumentList::new(DocumentKind::Quote),
            invoices: documents::DocumentList::new(DocumentKind::Invoice),
            credit_notes: documents::DocumentList::new(DocumentKind::CreditNote),
            delivery_notes: documents::DocumentList::new(DocumentKind::DeliveryNote),
            ..Self::default()
        }
    }

    /// Opens the editor on a new draft of `kind`.
    pub fn new_document(&mut self, kind: DocumentKind, ctx: &Context<'_>) {
        match ctx.reader.store().company() {
            Ok(company) => {
                self.detail = None;
                self.editor = Some(editor::Editor::new(kind, ctx.today, &company));
            }
            Err(e) => tracing::warn!(error = %e, "the company could not be read for a new document"),
        }
    }

    /// Does what the detail panel asked.
    pub fn on_detail_request(&mut self, request: detail::DetailRequest, ctx: &Context<'_>) {
        match request {
            detail::DetailRequest::Edit(id) => self.edit_document(id, ctx),
            detail::DetailRequest::Write(document) => self.write_document(*document, ctx),
            detail::DetailRequest::EditContact(contact) => {
                self.current = Some(Screen::Contacts);
                self.contacts.form = Some(contact_form::ContactForm::edit(&contact));
            }
            detail::DetailRequest::Pay(id) => match payment_form::PaymentForm::for_invoice(id, ctx) {
                Ok(form) => self.payment_form = Some(form),
                Err(e) => tracing::warn!(error = %e, "the payment form could not be filled in"),
            },
        }
    }

    /// Opens the editor on a new draft made from another document.
    fn write_document(&mut self, document: comptoir_core::model::Document, ctx: &Context<'_>) {
        let store = ctx.reader.store();
        let credit = document.corrects.and_then(|invoice| credit_room(store, invoice));
        match store.company() {
            Ok(company) => {
                self.current = Some(screen_of(document.kind));
                self.detail = None;
                self.editor = Some(editor::Editor::new_from(document, &company, ctx.texts.language(), credit));
            }
            Err(e) => tracing::warn!(error = %e, "the company could not be read for a new document"),
        }
    }

    /// Opens the editor on the draft `id`.
    pub fn edit_document(&mut self, id: comptoir_core::model::DocumentId, ctx: &Context<'_>) {
        let store = ctx.reader.store();
        match store.document(id).and_then(|document| Ok((document, store.company()?))) {
            Ok((document, company)) if document.ensure_editable().is_ok() => {
                self.current = Some(screen_of(document.kind));
                self.detail = None;
                let credit = document.corrects.and_then(|invoice| credit_room(store, invoice));
                self.editor = Some(editor::Editor::open(document, &company, ctx.texts.language(), credit));
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the draft could not be opened"),
        }
    }

    pub fn screen(&self) -> Screen {
        self.current.unwrap_or(Screen::Dashboard)
    }

    fn document_lists(&mut self) -> [&mut documents::DocumentList; 4] {
        [&mut self.quotes, &mut self.invoices, &mut self.credit_notes, &mut self.delivery_notes]
    }

    pub fn document_list(&mut self, kind: DocumentKind) -> &mut documents::DocumentList {
        match kind {
            DocumentKind::Quote => &mut self.quotes,
            DocumentKind::Invoice => &mut self.invoices,
            DocumentKind::CreditNote => &mut self.credit_notes,
            DocumentKind::DeliveryNote => &mut self.delivery_notes,
        }
    }

    /// The company's data changed: every screen reads again what it shows.
    pub fn data_changed(&mut self) {
        for list in self.document_lists() {
            list.data_changed();
        }
        self.contacts.data_changed();
        self.articles.data_changed();
        self.payments.data_changed();
        self.audit.data_changed();
        self.users.data_changed();
        self.accounting.data_changed();
        self.dashboard.data_changed();
        if let Some(detail) = &mut self.detail {
            detail.data_changed();
        }
    }

    /// Hands a background answer to the screen that asked.
    pub fn on_answer(&mut self, answer: Answer) {
        match answer {
            Answer::CountDocuments { generation, count } => {
                for list in self.document_lists() {
                    list.on_count(generation, &count);
                }
            }
            Answer::Bookmarks { generation, bookmarks } => {
                for list in self.document_lists() {
                    list.on_bookmarks(generation, &bookmarks);
                }
            }
            Answer::SearchDocuments { generation, rows } => {
                let mut rows = Some(rows);
                for list in self.document_lists() {
                    if list.searching_for(generation)
                        && let Some(rows) = rows.take()
                    {
                        list.on_search(rows);
                    }
                }
            }
            Answer::Count { generation, list, count } => {
                self.contacts.on_count(generation, list, &count);
                self.articles.paged.on_count(generation, list, &count);
                self.payments.paged.on_count(generation, list, &count);
            }
            Answer::Dashboard { generation, figures } => self.dashboard.on_answer(generation, figures),
            Answer::DashboardCharts { generation, charts } => self.dashboard.on_charts(generation, charts),
            Answer::CountAudit { generation, count } => self.audit.on_count(generation, &count),
            Answer::VerifyAudit { generation, outcome } => self.audit.on_verified(generation, outcome),
            Answer::PendingEntries { generation, count } => self.accounting.on_count(generation, &count),
            Answer::PendingBatch { generation, batch } => self.accounting.on_batch(generation, batch),
        }
    }
}

/// The list screen of a kind of document.
pub fn screen_of(kind: DocumentKind) -> Screen {
    match kind {
        DocumentKind::Quote => Screen::Quotes,
        DocumentKind::Invoice => Screen::Invoices,
        DocumentKind::CreditNote => Screen::CreditNotes,
        DocumentKind::DeliveryNote => Screen::DeliveryNotes,
    }
}

/// An invoice's total and what its issued credit notes already take of it.
fn credit_room(
    store: &comptoir_core::store::CompanyStore,
    invoice: comptoir_core::model::DocumentId,
) -> Option<editor::CreditRoom> {
    let total = store.document(invoice).ok()?.totals().ok()?.gross;
    let credited = store.credited(invoice).ok()?;
    Some(editor::CreditRoom { invoice_total: total, credited })
}

/// The navigation down the left side.
pub fn navigation_ui(ui: &mut egui::Ui, screens: &mut Screens, texts: &Texts) {
    ui.add_space(8.0);
    for screen in Screen::ALL {
        let selected = screens.screen() == screen;
        if ui.selectable_label(selected, texts.get(screen.text_id())).clicked() && !selected {
            screens.current = Some(screen);
            screens.detail = None;
        }
    }
}

/// The current screen, in the central panel.
pub fn screen_ui(ui: &mut egui::Ui, screens: &mut Screens, ctx: &mut Context<'_>) {
    let screen = screens.screen();
    if let Some(editor) = &mut screens.editor {
        if screen.document_kind() == Some(editor.document.kind) {
            if editor::editor_ui(ui, editor, ctx) == Some(editor::EditorAction::Close) {
                screens.editor = None;
            }
            return;
        }
        // The user went to another screen: what was typed is saved, the editor closes.
        editor.save(ctx);
        screens.editor = None;
    }
    if let Some(kind) = screen.document_kind() {
        match documents::document_list_ui(ui, screens.document_list(kind), ctx) {
            Some(documents::ListAction::Open(id)) => screens.detail = Some(detail::Detail::document(id)),
            Some(documents::ListAction::New) => screens.new_document(kind, ctx),
            None => {}
        }
        return;
    }
    match screen {
        Screen::Dashboard => {
            if settings::missing_notice_ui(ui, ctx) {
                screens.current = Some(Screen::Settings);
                return;
            }
            let action = dashboard::dashboard_ui(ui, &mut screens.dashboard, ctx);
            dashboard_action(screens, action);
        }
        Screen::Contacts => {
            if let Some(id) = lists::contacts_ui(ui, &mut screens.contacts, ctx) {
                screens.detail = Some(detail::Detail::contact(id));
            }
        }
        Screen::Articles => articles::articles_ui(ui, &mut screens.articles, ctx),
        Screen::Payments => {
            if let Some(form) = payments::payments_ui(ui, &mut screens.payments, ctx) {
                screens.payment_form = Some(form);
            }
        }
        Screen::Audit => audit::audit_ui(ui, &mut screens.audit, ctx),
        Screen::Users => users::users_ui(ui, &mut screens.users, ctx),
        Screen::Settings => settings::settings_ui(ui, &mut screens.settings, ctx),
        Screen::Quotes | Screen::Invoices | Screen::CreditNotes | Screen::DeliveryNotes => {}
    }
}

/// Does what the dashboard asked: an invoice list with its filter set, or a contact.
fn dashboard_action(screens: &mut Screens, action: Option<dashboard::DashboardAction>) {
    match action {
        Some(dashboard::DashboardAction::Invoices(status)) => {
            screens.invoices.show_only(status);
            screens.current = Some(Screen::Invoices);
        }
        Some(dashboard::DashboardAction::Month(month)) => {
            screens.invoices.show_month(month);
            screens.current = Some(Screen::Invoices);
        }
        Some(dashboard::DashboardAction::Age(bucket)) => {
            screens.invoices.show_age(bucket);
            screens.current = Some(Screen::Invoices);
        }
        Some(dashboard::DashboardAction::Customer(id)) => {
            screens.current = Some(Screen::Contacts);
            screens.detail = Some(detail::Detail::contact(id));
        }
        None => {}
    }
}

/// A column's width: a share of the table's width, never below `min`. Tables fit the
/// room they are given (a detail panel beside them takes some) instead of spilling under
/// the panels beside them.
pub fn share(width: f32, share: f32, min: f32) -> f32 {
    (width * share).max(min)
}
