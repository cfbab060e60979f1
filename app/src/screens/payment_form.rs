//! Recording a payment: the amount received, its date, method and reference, allocated
//! to one or several of the customer's open invoices. Filled in with what remains due on
//! the invoice it was opened from; a Belgian structured communication typed as the
//! reference selects the invoice that asked for it.

use comptoir_core::model::{
    Allocation, ContactId, DocumentId, Payment, PaymentId, PaymentMethod, StructuredCommunication,
};
use comptoir_core::store::{OpenInvoice, StoreError};
use comptoir_core::sync::Intent;
use rust_decimal::Decimal;

use super::Context;

/// One open invoice the payment may settle, and what the user allocates to it.
#[derive(Debug)]
pub struct AllocationInput {
    pub invoice: OpenInvoice,
    pub selected: bool,
    pub amount: String,
}

/// The form's state, while it is open.
#[derive(Debug)]
pub struct PaymentForm {
    pub customer: (ContactId, String),
    pub amount: String,
    pub date: String,
    pub method: PaymentMethod,
    pub reference: String,
    pub allocations: Vec<AllocationInput>,
    /// Why the last attempt was refused, in the user's words.
    pub error: Option<String>,
    /// What matching the reference found (another customer's invoice, none).
    pub note: Option<String>,
    /// The payment sent and not answered yet.
    sent: Option<u64>,
    /// The engine applied it: the form closes.
    done: bool,
}

impl PaymentForm {
    /// The form for a payment of invoice `id`: its customer's open invoices, this one
    /// selected with what remains due, the reference it asked for.
    pub fn for_invoice(id: DocumentId, ctx: &Context<'_>) -> Result<Self, StoreError> {
        let store = ctx.reader.store();
        let document = store.document(id)?;
        let language = ctx.texts.language();
        let open = store.open_invoices_of(document.contact_id)?;
        let mut amount = Decimal::ZERO;
        let allocations = open
            .into_iter()
            .map(|invoice| {
                let selected = invoice.id == id;
                if selected {
                    amount = invoice.due();
                }
                let text = if selected { crate::format::decimal_input(invoice.due(), language) } else { String::new() };
                AllocationInput { invoice, selected, amount: text }
            })
            .collect();
        let reference = document
            .structured_communication
            .map(|s| s.to_string())
            .or_else(|| document.number.clone())
            .unwrap_or_default();
        Ok(Self {
            customer: (document.contact_id, document.customer.name.clone()),
            amount: crate::format::decimal_input(amount, language),
            date: crate::format::date(ctx.today, language),
            method: PaymentMethod::BankTransfer,
            reference,
            allocations,
            error: None,
            note: None,
            sent: None,
            done: false,
        })
    }

    /// The form for a new payment from `customer`: their open invoices, none chosen yet.
    pub fn for_customer(customer: &comptoir_core::model::Contact, ctx: &Context<'_>) -> Result<Self, StoreError> {
        let open = ctx.reader.store().open_invoices_of(customer.id)?;
        Ok(Self {
            customer: (customer.id, customer.name.clone()),
            amount: String::new(),
            date: crate::format::date(ctx.today, ctx.texts.language()),
            method: PaymentMethod::BankTransfer,
            reference: String::new(),
            allocations: open
                .into_iter()
                .map(|invoice| AllocationInput { invoice, selected: false, amount: String::new() })
                .collect(),
            error: None,
            note: None,
            sent: None,
            done: false,
        })
    }

    /// The engine answered an edit.
    pub fn on_edit(&mut self, request: u64, refused: Option<String>) {
        if self.sent == Some(request) {
            self.sent = None;
            self.done = refused.is_none();
            self.error = refused;
        }
    }

    /// The reference typed is a structured communication: the invoice that asked for it
    /// is selected, with what remains due on it. It is looked for among every invoice of
    /// the company: a payment opened for the wrong customer moves to the right one.
    fn match_reference(&mut self, ctx: &Context<'_>) {
        self.note = None;
        let Ok(typed) = StructuredCommunication::parse(&self.reference) else { return };
        let language = ctx.texts.language();
        let text = typed.to_string();
        let here =
            self.allocations.iter().any(|a| a.invoice.structured_communication.as_deref() == Some(text.as_str()));
        if !here {
            let store = ctx.reader.store();
            let found = store.invoice_with_communication(&typed).and_then(|found| {
                let Some((customer, invoice)) = found else { return Ok(None) };
                Ok(Some((store.contact(customer)?, invoice)))
            });
            match found {
                Ok(Some((customer, invoice))) if customer.id != self.customer.0 => {
                    let Ok(moved) = Self::for_customer(&customer, ctx) else { return };
                    self.customer = moved.customer;
                    self.allocations = moved.allocations;
                    let number = store.document(invoice).ok().and_then(|d| d.number).unwrap_or_default();
                    self.note = Some(ctx.texts.with(
                        "payment-matched-other-customer",
                        &[("number", number.into()), ("name", self.customer.1.clone().into())],
                    ));
                }
                Ok(Some(_)) => {
                    // This customer's invoice, settled already or beyond the open ones shown.
                    self.note = Some(ctx.texts.get("payment-matched-not-open"));
                }
                Ok(None) => self.note = Some(ctx.texts.get("payment-matched-none")),
                Err(e) => self.error = Some(ctx.texts.error(e.code(), &e.to_string())),
            }
        }
        for allocation in &mut self.allocations {
            if allocation.invoice.structured_communication.as_deref() == Some(text.as_str()) && !allocation.selected {
                allocation.selected = true;
                allocation.amount = crate::format::decimal_input(allocation.invoice.due(), language);
                if self.amount.trim().is_empty() {
                    self.amount = allocation.amount.clone();
                }
            }
        }
    }

    /// The payment the form describes, or why it does not describe one.
    fn payment(&self, ctx: &Context<'_>) -> Result<Payment, String> {
        let texts = ctx.texts;
        let number = |text: &str| crate::format::parse_decimal(text).ok_or_else(|| texts.get("payment-amount-invalid"));
        let amount = number(&self.amount)?;
        let date = crate::format::parse_date(&self.date).ok_or_else(|| texts.get("editor-date-invalid"))?;
        let mut allocations = Vec::new();
        for allocation in self.allocations.iter().filter(|a| a.selected) {
            allocations.push(Allocation { document_id: allocation.invoice.id, amount: number(&allocation.amount)? });
        }
        let payment = Payment {
            id: PaymentId::new(),
            contact_id: Some(self.customer.0),
            date,
            amount,
            method: self.method,
            reference: self.reference.trim().to_owned(),
            allocations,
        };
        payment.validate().map_err(|e| texts.error(e.code(), &e.to_string()))?;
        Ok(payment)
    }
}

fn method_text_id(method: PaymentMethod) -> String {
    format!("method-{}", method.as_str().replace('_', "-"))
}

/// Draws the form in a window; returns `false` once it is closed (cancelled or done).
pub fn payment_form_ui(ui: &mut egui::Ui, form: &mut PaymentForm, ctx: &mut Context<'_>) -> bool {
    let texts = ctx.texts;
    let language = texts.language();
    let mut open = !form.done;
    let mut record = false;
    egui::Window::new(texts.get("payment-title")).collapsible(false).resizable(true).show(ui.ctx(), |ui| {
        ui.label(texts.with("payment-customer", &[("name", form.customer.1.clone().into())]));
        egui::Grid::new("payment-fields").num_columns(2).show(ui, |ui| {
            let field = |ui: &mut egui::Ui, id: &str, text: &mut String| {
                let label = ui.label(texts.get(id));
                let changed =
                    ui.add(egui::TextEdit::singleline(text).desired_width(200.0)).labelled_by(label.id).changed();
                ui.end_row();
                changed
            };
            field(ui, "payment-amount", &mut form.amount);
            field(ui, "payment-date", &mut form.date);
            if field(ui, "payment-reference", &mut form.reference) {
                form.match_reference(ctx);
            }
            ui.label(texts.get("payment-method"));
            egui::ComboBox::new("payment-method", "").selected_text(texts.get(&method_text_id(form.method))).show_ui(
                ui,
                |ui| {
                    for method in PaymentMethod::ALL {
                        ui.selectable_value(&mut form.method, method, texts.get(&method_text_id(method)));
                    }
                },
            );
            ui.end_row();
        });
        ui.separator();
        ui.label(crate::theme::bold(texts.get("payment-allocations")));
        egui::Grid::new("payment-allocations").num_columns(3).striped(true).show(ui, |ui| {
            for allocation in &mut form.allocations {
                let invoice = &allocation.invoice;
                let number = invoice.number.clone().unwrap_or_else(|| texts.get("document-number-pending"));
                let name = texts
                    .with("payment-invoice", &[("number", number.into()), ("due", ctx.money(invoice.due()).into())]);
                if ui.checkbox(&mut allocation.selected, name).changed() && allocation.selected {
                    allocation.amount = crate::format::decimal_input(invoice.due(), language);
                }
                let cell = ui.add_enabled(
                    allocation.selected,
                    egui::TextEdit::singleline(&mut allocation.amount).desired_width(100.0),
                );
                crate::theme::name_for_screen_readers(
                    ui,
                    &cell,
                    texts
                        .with("payment-allocated-to", &[("number", invoice.number.clone().unwrap_or_default().into())]),
                );
                ui.end_row();
            }
        });
        if let Some(note) = &form.note {
            ui.label(note);
        }
        if let Some(error) = &form.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        ui.horizontal(|ui| {
            let blocked = ctx.cannot(comptoir_core::model::Permission::RecordPayments);
            if super::action_button(ui, &texts.get("payment-record"), blocked.as_deref()) && form.sent.is_none() {
                record = true;
            }
            if ui.button(texts.get("editor-cancel")).clicked() {
                open = false;
            }
        });
    });
    if record {
        match form.payment(ctx) {
            Ok(payment) => {
                form.error = None;
                form.sent = Some(ctx.edit(Intent::RecordPayment { payment }));
            }
            Err(reason) => form.error = Some(reason),
        }
    }
    open
}
