//! The document editor: a quote, an invoice, a credit note or a delivery note being
//! written. One file per part: [`header`] (the customer, the dates, the notes),
//! [`lines`] (the lines and the article picker) and [`totals`] (the figures at the foot,
//! computed by the core's EN 16931 rules, never here).
//!
//! What is typed stays text until it reads as a number or a date; the draft the model
//! knows ([`Editor::document`]) follows each field that reads, and a field that does not
//! is shown in red with the reason. The draft is saved through the engine (the local copy
//! and the outbox, in one transaction) a second after the last keystroke, with Ctrl+S,
//! and before it is issued; a crash loses at most that second.

pub mod header;
pub mod lines;
pub mod totals;
pub mod vat;

use chrono::NaiveDate;
use comptoir_core::model::{Company, Contact, Document, DocumentId, DocumentKind, PartySnapshot, Permission, VatRate};
use comptoir_core::sync::Intent;

use super::{Context, action_button};
use lines::LineInput;

/// Seconds between the last change and the automatic save of the draft.
pub const AUTOSAVE_AFTER: f64 = 1.0;

/// What the editor asks of the screen around it.
#[derive(Debug, PartialEq, Eq)]
pub enum EditorAction {
    /// Close the editor (the draft is saved first when it changed).
    Close,
}

/// For a credit note: its invoice's total and what issued credit notes already take of
/// it. A credit note never takes more than the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CreditRoom {
    pub invoice_total: rust_decimal::Decimal,
    pub credited: rust_decimal::Decimal,
}

/// A question the editor waits for the user to answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Confirm {
    Issue,
    Delete,
}

/// A document being written.
#[derive(Debug)]
pub struct Editor {
    /// The draft as the model knows it: every field that reads, and the customer.
    pub document: Document,
    /// Whether a customer was chosen (a draft is saved only then: the server keeps
    /// drafts of existing customers).
    has_customer: bool,
    pub header: header::HeaderInput,
    pub lines: Vec<LineInput>,
    pub article_query: String,
    /// The articles matching `article_query`, for the query they answer.
    article_matches: Option<(String, Vec<comptoir_core::model::Article>)>,
    /// The line whose description takes the cursor next frame.
    focus_line: Option<usize>,
    /// The cell that had the keyboard focus, kept while the wheel scrolls
    /// it out of view (a cell not drawn loses the focus): drawn again with nothing else
    /// focused, it takes the focus back.
    held_focus: Option<lines::HeldFocus>,
    /// The VAT rates of the company's country, standard first.
    rates: Vec<VatRate>,
    /// The seller: its country, VAT number and payment terms.
    seller: Company,
    /// How the document's lines bear VAT: per line, or one exemption for all.
    pub regime: vat::VatRegime,
    /// The reason typed for another exemption.
    pub exemption_reason: String,
    /// The draft as last sent to the engine; differs from `document` while unsaved.
    saved: Option<Document>,
    /// When (egui's clock, in seconds) the draft last changed and was not saved since.
    changed_at: Option<f64>,
    /// The save sent and not answered yet.
    sending: Option<u64>,
    /// The issue sent and not answered yet.
    issuing: Option<u64>,
    confirm: Option<Confirm>,
    /// The confirmation was drawn before (its button took the focus the first time).
    confirm_shown: bool,
    /// Why the engine refused the last save or issue, in the user's words.
    pub refused: Option<String>,
    /// The document was issued: the editor shows it read-only until closed.
    issued: bool,
    /// For a credit note: how much its invoice still allows.
    credit_room: Option<CreditRoom>,
}

impl Editor {
    /// A new, empty draft of `kind` dated `today`.
    pub fn new(kind: DocumentKind, today: NaiveDate, company: &Company) -> Self {
        let customer = PartySnapshot { name: String::new(), address: company.address.clone(), vat_number: None };
        let document = Document::draft(kind, comptoir_core::model::ContactId::new(), customer, today, company.currency);
        let mut editor = Self::around(document, company);
        editor.lines.push(LineInput::empty(editor.rates.first().copied().unwrap_or(VatRate::ZERO)));
        editor
    }

    /// The editor on a draft that exists.
    pub fn open(
        document: Document,
        company: &Company,
        language: crate::i18n::Language,
        credit_room: Option<CreditRoom>,
    ) -> Self {
        let mut editor = Self::around(document, company);
        editor.has_customer = true;
        editor.credit_room = credit_room;
        editor.header = header::HeaderInput::of(&editor.document, language);
        editor.lines = editor.document.lines.iter().map(|line| LineInput::of(line, language)).collect();
        editor.saved = Some(editor.document.clone());
        editor
    }

    /// The editor on a new draft made from another document (a duplicate, a credit note,
    /// a delivery note): saved at the first frame, like anything typed.
    pub fn new_from(
        document: Document,
        company: &Company,
        language: crate::i18n::Language,
        credit_room: Option<CreditRoom>,
    ) -> Self {
        let mut editor = Self::open(document, company, language, credit_room);
        editor.saved = None;
        editor.changed_at = Some(f64::NEG_INFINITY);
        editor
    }

    fn around(document: Document, company: &Company) -> Self {
        Self {
            header: header::HeaderInput::default(),
            has_customer: false,
            lines: Vec::new(),
            article_query: String::new(),
            article_matches: None,
            focus_line: None,
            held_focus: None,
            rates: VatRate::rates_of(&company.address.country),
            regime: vat::VatRegime::of(&document),
            exemption_reason: document.vat_exemption_reason.clone().unwrap_or_default(),
            seller: company.clone(),
            saved: None,
            changed_at: None,
            sending: None,
            issuing: None,
            confirm: None,
            confirm_shown: false,
            refused: None,
            issued: false,
            credit_room: None,
            document,
        }
    }

    pub fn id(&self) -> DocumentId {
        self.document.id
    }

    /// Takes the customer `contact` for this document: their name, billing address, VAT
    /// number, and the due date from their payment terms (else the company's).
    pub fn choose_customer(&mut self, contact: &Contact, language: crate::i18n::Language) {
        self.document.contact_id = contact.id;
        self.document.customer = PartySnapshot {
            name: contact.name.clone(),
            address: contact.billing_address.clone(),
            vat_number: contact.vat_number.clone(),
        };
        let terms = contact.payment_terms_days.unwrap_or(self.seller.payment_terms_days);
        if self.document.kind.is_payable() {
            self.document.due_date = self.document.issue_date.checked_add_days(chrono::Days::new(u64::from(terms)));
        }
        self.has_customer = true;
        self.header = header::HeaderInput::of(&self.document, language);
    }

    /// Puts `lines` in the draft as if they had been typed at `now` (egui's clock, in
    /// seconds): the draft follows them and is saved a second later.
    pub fn type_lines(&mut self, lines: Vec<LineInput>, now: f64) {
        self.lines = lines;
        self.changed(now);
    }

    /// Something was typed: the lines are read again into the draft, under the VAT
    /// regime chosen (`now`: egui's clock, for the automatic save). Public for the
    /// editor benchmark, which times a keystroke's recomputation alone.
    pub fn changed(&mut self, now: f64) {
        self.document.lines = self.lines.iter().map(|l| l.line.clone()).collect();
        vat::apply(self);
        self.changed_at = Some(now);
    }

    /// Why the draft cannot be issued as it is (besides being saved), if it cannot: the
    /// rules the server will check at issue time, checked here first.
    fn not_issuable(&self, ctx: &Context<'_>) -> Option<String> {
        // The seller's legal mentions first: a document issued without them is not one.
        if let Some(missing) = crate::screens::settings::missing_text(&self.seller, ctx.texts) {
            return Some(missing);
        }
        let complete = || {
            if self.document.lines.is_empty() {
                return Err(comptoir_core::model::ModelError::DocumentWithoutLines { kind: self.document.kind });
            }
            self.document.lines.iter().try_for_each(comptoir_core::model::DocumentLine::ensure_complete)?;
            if let Some(room) = self.credit_room {
                let this = self.document.totals()?.gross;
                comptoir_core::model::ensure_credit_within(room.invoice_total, room.credited, this)?;
            }
            self.document.check_vat(&self.seller)
        };
        complete().err().map(|e| ctx.texts.error(e.code(), &e.to_string()))
    }

    /// The draft is saved: nothing changed since the last save, which the engine took.
    pub fn is_saved(&self) -> bool {
        !self.unsaved() && self.sending.is_none()
    }

    fn unsaved(&self) -> bool {
        self.saved.as_ref() != Some(&self.document)
    }

    /// The reason the draft cannot be saved yet, if any.
    fn not_savable(&self, ctx: &Context<'_>) -> Option<String> {
        if !self.has_customer {
            return Some(ctx.texts.get("editor-choose-customer"));
        }
        if let Some(reason) =
            self.header.error(ctx.texts).or_else(|| self.lines.iter().find_map(|l| l.error(ctx.texts)))
        {
            return Some(reason);
        }
        self.document.validate().err().map(|e| ctx.texts.error(e.code(), &e.to_string()))
    }

    /// Sends the draft to the engine when it changed and can be saved.
    pub fn save(&mut self, ctx: &mut Context<'_>) {
        if !self.unsaved() || self.issued || ctx.cannot(Permission::EditDocuments).is_some() {
            return;
        }
        if self.not_savable(ctx).is_some() {
            return;
        }
        self.refused = None;
        self.sending = Some(ctx.edit(Intent::SaveDraft { document: self.document.clone() }));
        self.saved = Some(self.document.clone());
        self.changed_at = None;
    }

    /// The engine answered an edit; `refused` is its reason, in the user's words.
    pub fn on_edit(&mut self, request: u64, refused: Option<String>) {
        if self.sending == Some(request) {
            self.sending = None;
            if refused.is_some() {
                // Not saved after all: the next change (or Ctrl+S) tries again.
                self.saved = None;
            }
            self.refused = refused;
        } else if self.issuing == Some(request) {
            self.issuing = None;
            self.issued = refused.is_none();
            self.refused = refused;
        }
    }
}

/// Draws the editor; returns what the screen around it must do.
pub fn editor_ui(ui: &mut egui::Ui, editor: &mut Editor, ctx: &mut Context<'_>) -> Option<EditorAction> {
    let texts = ctx.texts;
    let now = ui.input(|i| i.time);
    let kind = editor.document.kind;
    let title = if editor.saved.is_none() && editor.sending.is_none() {
        texts.get(&format!("editor-new-{}", kind.as_str().replace('_', "-")))
    } else {
        texts.get(&format!("kind-{}", kind.as_str().replace('_', "-")))
    };
    ui.heading(title);
    let blocked = if editor.issued { Some(texts.get("editor-issued")) } else { ctx.cannot(Permission::EditDocuments) };
    let mut action = None;
    let mut changed = false;
    egui::ScrollArea::vertical().id_salt("editor").show(ui, |ui| {
        ui.add_enabled_ui(blocked.is_none(), |ui| {
            changed |= header::header_ui(ui, editor, ctx);
            changed |= vat::regime_ui(ui, editor, ctx);
            ui.add_space(8.0);
            changed |= lines::lines_ui(ui, editor, ctx);
        });
        ui.add_space(8.0);
        totals::totals_ui(ui, &editor.document, ctx);
        if let Some(room) = editor.credit_room {
            let left = room.invoice_total.saturating_sub(room.credited);
            ui.label(texts.with("editor-credit-room", &[("room", ctx.money(left).into())]));
        }
    });
    if changed {
        editor.changed(now);
    }
    let keys = shortcuts(ui);
    // Saved a second after the last change, whatever the user does next.
    if editor.changed_at.is_some_and(|at| now - at >= AUTOSAVE_AFTER) || keys.save {
        editor.save(ctx);
    }
    if editor.changed_at.is_some() {
        ui.ctx().request_repaint_after(std::time::Duration::from_secs_f64(AUTOSAVE_AFTER));
    }
    ui.separator();
    let issue_blocked = blocked
        .clone()
        .or_else(|| ctx.cannot(Permission::IssueDocuments))
        .or_else(|| editor.not_savable(ctx))
        .or_else(|| editor.not_issuable(ctx));
    ui.horizontal(|ui| {
        if action_button(ui, &texts.get("editor-save"), blocked.as_deref().or(editor.not_savable(ctx).as_deref())) {
            editor.save(ctx);
        }
        if action_button(ui, &texts.get("document-issue"), issue_blocked.as_deref())
            || (keys.issue && issue_blocked.is_none())
        {
            editor.confirm = Some(Confirm::Issue);
        }
        if editor.saved.is_some() && blocked.is_none() && ui.button(texts.get("editor-delete")).clicked() {
            editor.confirm = Some(Confirm::Delete);
        }
        if ui.button(texts.get("editor-close")).clicked() {
            editor.save(ctx);
            action = Some(EditorAction::Close);
        }
        ui.label(status_text(editor, ctx));
    });
    if let Some(reason) = &editor.refused {
        ui.colored_label(ui.visuals().error_fg_color, reason);
    }
    if let Some(confirm) = editor.confirm {
        let first = !editor.confirm_shown;
        editor.confirm_shown = true;
        match confirm_ui(ui, confirm, first, ctx) {
            Some(true) if confirm == Confirm::Issue => {
                editor.save(ctx);
                editor.issuing = Some(ctx.edit(Intent::IssueDocument { id: editor.id() }));
                editor.confirm = None;
            }
            Some(true) => {
                ctx.edit(Intent::DeleteDraft { id: editor.id() });
                editor.confirm = None;
                action = Some(EditorAction::Close);
            }
            Some(false) => editor.confirm = None,
            None => {}
        }
        if editor.confirm.is_none() {
            editor.confirm_shown = false;
        }
    }
    action
}

/// The editor's keyboard shortcuts, taken from this frame's input.
#[derive(Debug, Default)]
struct Shortcuts {
    save: bool,
    issue: bool,
}

fn shortcuts(ui: &egui::Ui) -> Shortcuts {
    ui.input_mut(|input| Shortcuts {
        save: input.consume_key(egui::Modifiers::COMMAND, egui::Key::S),
        issue: input.consume_key(egui::Modifiers::COMMAND, egui::Key::Enter),
    })
}

/// Where the draft stands: saved, being saved, changed, issued.
fn status_text(editor: &Editor, ctx: &Context<'_>) -> String {
    let texts = ctx.texts;
    if editor.issued {
        texts.get("editor-issued")
    } else if editor.sending.is_some() || editor.issuing.is_some() {
        texts.get("editor-saving")
    } else if editor.unsaved() {
        editor.not_savable(ctx).unwrap_or_else(|| texts.get("editor-unsaved"))
    } else {
        texts.get("editor-saved")
    }
}

/// The confirmation of an issue or a deletion, in a modal window: `Some(true)` confirmed,
/// `Some(false)` cancelled. Its button takes the keyboard focus when it opens (`first`):
/// Enter confirms, Escape cancels.
fn confirm_ui(ui: &mut egui::Ui, confirm: Confirm, first: bool, ctx: &Context<'_>) -> Option<bool> {
    let texts = ctx.texts;
    let (question, yes) = match confirm {
        Confirm::Issue if ctx.offline => {
            (texts.get("editor-confirm-issue-offline"), texts.get("editor-confirm-issue-yes"))
        }
        Confirm::Issue => (texts.get("editor-confirm-issue"), texts.get("editor-confirm-issue-yes")),
        Confirm::Delete => (texts.get("editor-confirm-delete"), texts.get("editor-confirm-delete-yes")),
    };
    super::confirm_ui(ui, "editor-confirm", (&texts.get("editor-confirm-title"), &question), &yes, texts, first)
}
