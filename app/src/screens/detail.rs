//! A record's detail panel: what the record says, and its history — who changed what
//! and when — from the audit trail the server sends.

use comptoir_core::audit::AuditRecord;
use comptoir_core::model::{Contact, ContactId, Document, DocumentId, DocumentStatus, Permission};
use comptoir_core::store::StoreError;
use comptoir_core::sync::Intent;
use rust_decimal::Decimal;

use super::documents::status_text;
use super::{Context, action_button, confirm_ui};

/// What the panel asks of the screens around it.
#[derive(Clone, Debug, PartialEq)]
pub enum DetailRequest {
    /// Change this draft in the editor.
    Edit(DocumentId),
    /// Write this new draft in the editor (a duplicate, a credit note, a delivery note).
    Write(Box<Document>),
    /// Record a payment of this invoice.
    Pay(DocumentId),
    /// Change this contact in its form.
    EditContact(Box<Contact>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Document(DocumentId),
    Contact(ContactId),
}

#[derive(Debug)]
enum Record {
    Document { document: Box<Document>, paid: Decimal },
    Contact(Box<Contact>),
}

/// The panel's state: what it shows, read again when the data changes.
#[derive(Debug)]
pub struct Detail {
    pub target: Target,
    loaded: Option<Result<(Record, Vec<AuditRecord>), String>>,
    /// The edit sent from this panel and not answered yet, and the last refusal.
    sent: Option<u64>,
    pub refused: Option<String>,
    /// What the user asked the screens to do from this panel.
    pub request: Option<DetailRequest>,
    /// The quote converted into this new invoice, opened in the editor once applied.
    converting: Option<DocumentId>,
    /// The deletion of the contact waits for the user's confirmation (`Some(first)`:
    /// whether the question is drawn for the first time).
    confirm_delete: Option<bool>,
    /// The contact's deletion was sent: the panel closes once it is applied.
    deleting: bool,
    /// "Envoyer par e-mail", while its dialog is open.
    pub mail: Option<super::send_mail::SendMailDialog>,
    /// The document's PDF: Aperçu, Enregistrer en PDF…, Ouvrir.
    pub files: super::preview::DocumentFiles,
}

impl Detail {
    fn new(target: Target) -> Self {
        Self {
            target,
            loaded: None,
            sent: None,
            refused: None,
            request: None,
            converting: None,
            confirm_delete: None,
            deleting: false,
            mail: None,
            files: super::preview::DocumentFiles::default(),
        }
    }

    pub fn document(id: DocumentId) -> Self {
        Self::new(Target::Document(id))
    }

    pub fn contact(id: ContactId) -> Self {
        Self::new(Target::Contact(id))
    }

    pub fn data_changed(&mut self) {
        self.loaded = None;
        self.files.data_changed();
    }

    pub fn on_edit(&mut self, request: u64, refused: Option<String>) {
        if self.sent == Some(request) {
            self.sent = None;
            if refused.is_none()
                && let Some(invoice) = self.converting.take()
            {
                self.request = Some(DetailRequest::Edit(invoice));
            }
            self.converting = None;
            if refused.is_some() {
                self.deleting = false;
            }
            self.refused = refused;
        }
    }

    fn load(&mut self, ctx: &Context<'_>) {
        if self.loaded.is_some() {
            return;
        }
        let store = ctx.reader.store();
        let read = || -> Result<(Record, Vec<AuditRecord>), StoreError> {
            match self.target {
                Target::Document(id) => {
                    let document = store.document(id)?;
                    let paid = store.payments_of(id)?.iter().map(|(_, amount)| *amount).sum();
                    Ok((Record::Document { document: Box::new(document), paid }, store.history(id.0)?))
                }
                Target::Contact(id) => Ok((Record::Contact(Box::new(store.contact(id)?)), store.history(id.0)?)),
            }
        };
        self.loaded = Some(read().map_err(|e| ctx.texts.error(e.code(), &e.to_string())));
    }
}

/// Draws the panel's content; returns `false` when the user closed it.
pub fn detail_ui(ui: &mut egui::Ui, detail: &mut Detail, ctx: &mut Context<'_>) -> bool {
    let texts = ctx.texts;
    detail.load(ctx);
    let mut open = true;
    let mut intent = None;
    // The record's actions stay above its scrolling content.
    let document = match &detail.loaded {
        Some(Ok((Record::Document { document, .. }, _))) => Some(document.as_ref().clone()),
        _ => None,
    };
    ui.horizontal_wrapped(|ui| {
        if ui.button(texts.get("detail-close")).clicked() {
            open = false;
        }
        if let Some(Ok((Record::Contact(contact), _))) = &detail.loaded {
            let blocked = ctx.cannot(Permission::EditContacts);
            if action_button(ui, &texts.get("contact-edit"), blocked.as_deref()) {
                detail.request = Some(DetailRequest::EditContact(contact.clone()));
            }
            let archive = if contact.archived { "contact-unarchive" } else { "contact-archive" };
            if action_button(ui, &texts.get(archive), blocked.as_deref()) {
                let mut changed = contact.as_ref().clone();
                changed.archived = !changed.archived;
                intent = Some(Intent::UpdateContact { contact: changed });
            }
            // Only a contact that nothing refers to goes: the rules say why otherwise.
            if action_button(ui, &texts.get("contact-delete"), blocked.as_deref()) {
                detail.confirm_delete = Some(true);
            }
        }
        if let Some(document) = &document {
            let action = document_actions_ui(ui, document, ctx);
            match action {
                Some(Action::Request(request)) => detail.request = Some(request),
                Some(Action::Send(sent)) => intent = Some(*sent),
                Some(Action::Mail(id)) => match super::send_mail::SendMailDialog::open(id, ctx, super::waker(ui.ctx()))
                {
                    Ok(dialog) => detail.mail = Some(dialog),
                    Err(reason) => detail.refused = Some(reason),
                },
                Some(Action::Convert(quote)) => {
                    let invoice = DocumentId::new();
                    detail.converting = Some(invoice);
                    intent = Some(Intent::ConvertQuote { quote, invoice, issue_date: ctx.today });
                }
                None => {}
            }
            super::preview::document_files_ui(ui, &mut detail.files, document, ctx);
        }
    });
    egui::ScrollArea::vertical().show(ui, |ui| match &detail.loaded {
        Some(Err(reason)) => {
            ui.label(reason);
        }
        None => {}
        Some(Ok((record, history))) => {
            match record {
                Record::Document { document, paid } => {
                    document_ui(ui, document, *paid, ctx);
                    super::send_mail::sent_ui(ui, document.id, ctx);
                }
                Record::Contact(contact) => contact_ui(ui, contact, ctx),
            }
            if let Some(reason) = &detail.refused {
                ui.colored_label(ui.visuals().error_fg_color, reason);
            }
            ui.separator();
            history_ui(ui, history, ctx);
        }
    });
    super::send_mail::dialog_ui(ui, &mut detail.mail, ctx);
    if let (Some(first), Target::Contact(id)) = (detail.confirm_delete, detail.target) {
        detail.confirm_delete = Some(false);
        let question = texts.get("contact-confirm-delete");
        match confirm_ui(ui, "contact-delete-confirm", ("", &question), &texts.get("contact-delete"), texts, first) {
            Some(true) => {
                detail.confirm_delete = None;
                detail.deleting = true;
                intent = Some(Intent::DeleteContact { id });
            }
            Some(false) => detail.confirm_delete = None,
            None => {}
        }
    }
    if let Some(intent) = intent {
        detail.refused = None;
        detail.sent = Some(ctx.edit(intent));
    }
    // A deleted contact has nothing left to show.
    open && !(detail.deleting && detail.sent.is_none())
}

/// What a document's action asks for.
enum Action {
    Request(DetailRequest),
    Send(Box<Intent>),
    Convert(DocumentId),
    /// "Envoyer par e-mail".
    Mail(DocumentId),
}

/// The actions a document allows where it is in its life, each disabled with the reason
/// when the role or the read-only state does not allow it.
fn document_actions_ui(ui: &mut egui::Ui, document: &Document, ctx: &Context<'_>) -> Option<Action> {
    use comptoir_core::model::DocumentKind::{Invoice, Quote};
    use comptoir_core::model::DocumentStatus::{Accepted, Draft, Issued, PartiallyPaid};
    let texts = ctx.texts;
    let edit = ctx.cannot(Permission::EditDocuments);
    let mut action = None;
    let mut button = |ui: &mut egui::Ui, id: &str, blocked: Option<&str>, then: &dyn Fn() -> Action| {
        if action_button(ui, &texts.get(id), blocked) {
            action = Some(then());
        }
    };
    let (kind, status, id) = (document.kind, document.status, document.id);
    if status == Draft {
        button(ui, "document-edit", edit.as_deref(), &|| Action::Request(DetailRequest::Edit(id)));
        // The role first, then the seller's legal mentions (as in the editor).
        let issue = ctx.cannot(Permission::IssueDocuments).or_else(|| {
            let company = ctx.reader.store().company().ok()?;
            crate::screens::settings::missing_text(&company, texts)
        });
        button(ui, "document-issue", issue.as_deref(), &|| Action::Send(Box::new(Intent::IssueDocument { id })));
        return action;
    }
    button(ui, "document-duplicate", edit.as_deref(), &|| {
        Action::Request(DetailRequest::Write(Box::new(document.duplicate(kind, ctx.today))))
    });
    match (kind, status) {
        (Quote, Issued) => {
            button(ui, "quote-accept", edit.as_deref(), &|| {
                Action::Send(Box::new(Intent::AnswerQuote { id, status: Accepted }))
            });
            button(ui, "quote-decline", edit.as_deref(), &|| {
                Action::Send(Box::new(Intent::AnswerQuote { id, status: DocumentStatus::Declined }))
            });
        }
        (Quote, Accepted) => {
            button(ui, "quote-convert", edit.as_deref(), &|| Action::Convert(id));
        }
        _ => {}
    }
    if kind == Quote {
        button(ui, "document-duplicate-invoice", edit.as_deref(), &|| {
            Action::Request(DetailRequest::Write(Box::new(document.duplicate(Invoice, ctx.today))))
        });
    }
    // A credit note (all lines: the user removes or lowers some for a partial one) and a
    // delivery note, for the documents that allow them.
    if let Ok(credit) = Document::credit_note_for(document, ctx.today) {
        button(ui, "invoice-credit-note", edit.as_deref(), &|| {
            Action::Request(DetailRequest::Write(Box::new(credit.clone())))
        });
    }
    if let Ok(note) = Document::delivery_note_for(document, ctx.today) {
        button(ui, "document-delivery-note", edit.as_deref(), &|| {
            Action::Request(DetailRequest::Write(Box::new(note.clone())))
        });
    }
    if document.number.is_some() {
        let send = super::send_mail::cannot_send(ctx);
        button(ui, "document-send-mail", send.as_deref(), &|| Action::Mail(id));
    }
    if kind == Invoice && matches!(status, Issued | PartiallyPaid) && document.number.is_some() {
        let pay = ctx.cannot(Permission::RecordPayments);
        button(ui, "invoice-record-payment", pay.as_deref(), &|| Action::Request(DetailRequest::Pay(id)));
    }
    action
}

/// A document's header, lines and totals.
fn document_ui(ui: &mut egui::Ui, document: &Document, paid: Decimal, ctx: &Context<'_>) {
    let texts = ctx.texts;
    let kind = texts.get(&format!("kind-{}", document.kind.as_str().replace('_', "-")));
    let number = document.number.clone().unwrap_or_else(|| match document.status {
        DocumentStatus::Draft => texts.get("document-draft"),
        _ => texts.get("document-number-pending"),
    });
    ui.heading(format!("{kind} {number}"));
    ui.label(status_text(document.status, texts));
    egui::Grid::new("document-head").num_columns(2).show(ui, |ui| {
        ui.label(texts.get("column-customer"));
        ui.label(&document.customer.name);
        ui.end_row();
        ui.label(texts.get("column-date"));
        ui.label(ctx.date(document.issue_date));
        ui.end_row();
        if let Some(due) = document.due_date {
            ui.label(texts.get("column-due"));
            ui.label(ctx.date(due));
            ui.end_row();
        }
    });
    ui.add_space(6.0);
    egui::Grid::new("document-lines").num_columns(4).striped(true).show(ui, |ui| {
        for id in ["column-designation", "column-quantity", "column-unit-price", "column-net"] {
            ui.label(crate::theme::bold(texts.get(id)));
        }
        ui.end_row();
        for line in &document.lines {
            ui.label(&line.description);
            ui.label(format!("{} {}", line.quantity.normalize(), line.unit));
            ui.label(ctx.money(line.unit_price));
            match line.net_amount() {
                Ok(net) => ui.label(ctx.money(net)),
                Err(e) => ui.label(texts.error(e.code(), &e.to_string())),
            };
            ui.end_row();
        }
    });
    // A record the rules accepted always has totals; say so rather than draw nonsense.
    let totals = match document.totals() {
        Ok(totals) => totals,
        Err(e) => {
            ui.label(texts.error(e.code(), &e.to_string()));
            return;
        }
    };
    egui::Grid::new("document-totals").num_columns(2).show(ui, |ui| {
        let rows = [
            ("total-net", Some(totals.net)),
            ("total-vat", Some(totals.vat)),
            ("total-gross", Some(totals.gross)),
            ("total-paid", Some(paid)),
            ("total-due", totals.gross.checked_sub(paid)),
        ];
        for (id, amount) in rows {
            ui.label(texts.get(id));
            ui.label(crate::theme::bold(amount.map_or_else(|| "—".to_owned(), |a| ctx.money(a))));
            ui.end_row();
        }
    });
    if !document.notes.is_empty() {
        ui.label(&document.notes);
    }
}

fn contact_ui(ui: &mut egui::Ui, contact: &Contact, ctx: &Context<'_>) {
    let texts = ctx.texts;
    ui.heading(&contact.name);
    let address = &contact.billing_address;
    ui.label(format!("{}, {} {}", address.street, address.postcode, address.city));
    for value in [&contact.email, &contact.phone].into_iter().flatten() {
        ui.label(value);
    }
    if let Some(vat) = &contact.vat_number {
        ui.label(texts.with("contact-vat-value", &[("vat", vat.to_string().into())]));
    }
}

/// The record's history, newest first.
fn history_ui(ui: &mut egui::Ui, history: &[AuditRecord], ctx: &Context<'_>) {
    let texts = ctx.texts;
    ui.label(crate::theme::bold(texts.get("history-title")));
    if history.is_empty() {
        ui.weak(texts.get("history-none"));
    }
    for record in history.iter().rev() {
        let at = record.at.with_timezone(&chrono::Local);
        let action_id = format!("action-{}", record.action.replace('_', "-"));
        let action = if texts.has(&action_id) { texts.get(&action_id) } else { record.action.clone() };
        let who = if record.user_email.is_empty() { texts.get("history-system") } else { record.user_email.clone() };
        ui.label(texts.with(
            "history-line",
            &[
                ("date", format!("{} {}", ctx.date(at.date_naive()), at.format("%H:%M")).into()),
                ("user", who.into()),
                ("action", action.into()),
            ],
        ));
        for change in &record.changes {
            let before = change.before.clone().unwrap_or_else(|| "—".into());
            let after = change.after.clone().unwrap_or_else(|| "—".into());
            let line = texts.with(
                "history-change",
                &[("field", change.field.clone().into()), ("before", before.into()), ("after", after.into())],
            );
            ui.weak(format!("    {line}"));
        }
    }
}
