//! The editor's head: the customer (a picker that searches the contacts as the user
//! types: name, VAT number, email), the issue and due dates, and the notes printed on
//! the document.

use comptoir_core::model::Contact;

use super::Editor;
use crate::i18n::{Language, Texts};
use crate::screens::Context;

/// How many customers the picker proposes.
pub const PICKER_LIMIT: u32 = 8;

/// The head's fields as typed.
#[derive(Debug, Default)]
pub struct HeaderInput {
    /// What is typed in the customer field; the chosen customer's name once chosen.
    pub customer_query: String,
    /// The customers matching `customer_query`, for the query they answer.
    matches: Option<(String, Vec<Contact>)>,
    pub issue_date: DateInput,
    pub due_date: DateInput,
    pub delivery_date: DateInput,
    pub customer_reference: String,
    /// The customer's VAT number on this document (filled from the contact, changeable).
    pub customer_vat: String,
    customer_vat_wrong: bool,
}

impl HeaderInput {
    /// The fields of `document`, as the user's language writes them.
    pub fn of(document: &comptoir_core::model::Document, language: Language) -> Self {
        Self {
            customer_query: document.customer.name.clone(),
            matches: None,
            issue_date: DateInput::of(Some(document.issue_date), language),
            due_date: DateInput::of(document.due_date, language),
            delivery_date: DateInput::of(document.delivery_date, language),
            customer_reference: document.customer_reference.clone().unwrap_or_default(),
            customer_vat: document.customer.vat_number.as_ref().map(ToString::to_string).unwrap_or_default(),
            customer_vat_wrong: false,
        }
    }

    /// Why a field does not read, if one does not.
    pub fn error(&self, texts: &Texts) -> Option<String> {
        if self.customer_vat_wrong {
            return Some(texts.error("vat_number_invalid", "This VAT number is not valid."));
        }
        [&self.issue_date, &self.due_date, &self.delivery_date]
            .iter()
            .any(|d| d.wrong)
            .then(|| texts.get("editor-date-invalid"))
    }
}

/// Draws the head; returns whether the draft changed.
pub fn header_ui(ui: &mut egui::Ui, editor: &mut Editor, ctx: &Context<'_>) -> bool {
    let texts = ctx.texts;
    let language = texts.language();
    let mut changed = false;
    let mut chosen: Option<Contact> = None;
    egui::Grid::new("editor-header").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
        let label = ui.label(texts.get("editor-customer"));
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut editor.header.customer_query)
                    .hint_text(texts.get("editor-customer-hint"))
                    .desired_width(360.0),
            )
            .labelled_by(label.id);
        ui.end_row();
        // The matches under the field, until one is chosen (they stay while the field
        // loses its focus to the click that chooses).
        let query = editor.header.customer_query.trim().to_owned();
        if !query.is_empty() && query != editor.document.customer.name {
            let answered = editor.header.matches.as_ref().is_some_and(|(q, _)| *q == query);
            if !answered {
                let found = ctx.reader.store().search_customers(&query, PICKER_LIMIT).unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "the customer search failed");
                    Vec::new()
                });
                editor.header.matches = Some((query.clone(), found));
            }
            ui.label("");
            ui.vertical(|ui| {
                let matches = editor.header.matches.as_ref().map(|(_, m)| m.as_slice()).unwrap_or_default();
                if matches.is_empty() {
                    ui.weak(texts.get("editor-no-customer"));
                }
                for contact in matches {
                    let detail = format!(
                        "{} — {} {}",
                        contact.name, contact.billing_address.postcode, contact.billing_address.city
                    );
                    let pressed_enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if ui.button(detail).clicked() || (pressed_enter && chosen.is_none()) {
                        chosen = Some(contact.clone());
                    }
                }
            });
            ui.end_row();
        }
        if !editor.document.customer.name.is_empty() {
            ui.label("");
            let address = &editor.document.customer.address;
            ui.weak(format!("{}, {} {} ({})", address.street, address.postcode, address.city, address.country));
            ui.end_row();
            changed |= customer_vat_ui(ui, editor, texts);
        }
        if let Typed::Date(date) = editor.header.issue_date.ui(ui, texts, "editor-issue-date") {
            editor.document.issue_date = date;
            changed = true;
        }
        // An empty due or delivery date is allowed: none is printed.
        for (field, id, date) in [
            (&mut editor.header.due_date, "editor-due-date", &mut editor.document.due_date),
            (&mut editor.header.delivery_date, "editor-delivery-date", &mut editor.document.delivery_date),
        ] {
            match field.ui(ui, texts, id) {
                Typed::Date(typed) => *date = Some(typed),
                Typed::Empty => *date = None,
                Typed::Unchanged | Typed::Unreadable => continue,
            }
            changed = true;
        }
        let label = ui.label(texts.get("editor-customer-reference"));
        let reference = ui
            .add(egui::TextEdit::singleline(&mut editor.header.customer_reference).desired_width(200.0))
            .labelled_by(label.id);
        ui.end_row();
        if reference.changed() {
            let typed = editor.header.customer_reference.trim();
            editor.document.customer_reference = (!typed.is_empty()).then(|| typed.to_owned());
            changed = true;
        }
        let label = ui.label(texts.get("editor-notes"));
        changed |= ui
            .add(egui::TextEdit::multiline(&mut editor.document.notes).desired_rows(2).desired_width(360.0))
            .labelled_by(label.id)
            .changed();
        ui.end_row();
    });
    if let Some(contact) = chosen {
        editor.choose_customer(&contact, language);
        editor.header.matches = None;
        changed = true;
    }
    changed
}

/// The customer's VAT number on this document; returns whether it changed.
fn customer_vat_ui(ui: &mut egui::Ui, editor: &mut Editor, texts: &Texts) -> bool {
    let label = ui.label(texts.get("editor-customer-vat"));
    let field =
        ui.add(egui::TextEdit::singleline(&mut editor.header.customer_vat).desired_width(200.0)).labelled_by(label.id);
    ui.end_row();
    if !field.changed() {
        return false;
    }
    let typed = editor.header.customer_vat.trim();
    let parsed = (!typed.is_empty()).then(|| comptoir_core::model::VatNumber::parse(typed)).transpose();
    editor.header.customer_vat_wrong = parsed.is_err();
    if let Ok(vat_number) = parsed {
        editor.document.customer.vat_number = vat_number;
    }
    true
}

/// What a date field holds after this frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Typed {
    Unchanged,
    Date(chrono::NaiveDate),
    Empty,
    Unreadable,
}

/// A date field as typed, and whether it reads as a date.
#[derive(Debug, Default)]
pub struct DateInput {
    pub text: String,
    wrong: bool,
}

impl DateInput {
    fn of(date: Option<chrono::NaiveDate>, language: Language) -> Self {
        Self { text: date.map(|d| crate::format::date(d, language)).unwrap_or_default(), wrong: false }
    }

    /// Draws the field with its label; returns what was typed into it this frame (an
    /// empty field reads as "no date", which only the issue date refuses).
    fn ui(&mut self, ui: &mut egui::Ui, texts: &Texts, id: &str) -> Typed {
        let label = ui.label(texts.get(id));
        let response = ui
            .add(
                egui::TextEdit::singleline(&mut self.text)
                    .hint_text(texts.get("editor-date-hint"))
                    .desired_width(120.0),
            )
            .labelled_by(label.id);
        ui.end_row();
        if !response.changed() {
            return Typed::Unchanged;
        }
        let typed = if self.text.trim().is_empty() {
            Typed::Empty
        } else {
            crate::format::parse_date(&self.text).map_or(Typed::Unreadable, Typed::Date)
        };
        self.wrong = typed == Typed::Unreadable || (typed == Typed::Empty && id == "editor-issue-date");
        typed
    }
}
