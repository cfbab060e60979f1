//! Paiements: the payments received, a new payment for a customer chosen as the user
//! types, and the undoing of a payment recorded by mistake — an intent the server
//! records with its reason (the invoices it settled owe again), never a silent deletion.

use comptoir_core::model::{Contact, Permission};
use comptoir_core::store::PaymentRow;
use comptoir_core::sync::Intent;

use super::lists::{ColumnSpec, Paged, paged_text_list_ui};
use super::payment_form::PaymentForm;
use super::rows::BLOCK;
use super::{Context, action_button, confirm_ui};
use crate::reader::SimpleList;

/// The Payments screen's state.
#[derive(Debug)]
pub struct Payments {
    pub paged: Paged<PaymentRow>,
    /// The payment clicked in the list, with what can be done to it.
    pub selected: Option<PaymentRow>,
    /// Why the selected payment is being cancelled, as typed.
    pub reason: String,
    confirm: bool,
    sent: Option<u64>,
    pub error: Option<String>,
    /// The customer typed for a new payment, and the matches for that text.
    pub new_payment: Option<(String, Vec<Contact>)>,
}

impl Default for Payments {
    fn default() -> Self {
        Self {
            paged: Paged::new(SimpleList::Payments),
            selected: None,
            reason: String::new(),
            confirm: false,
            sent: None,
            error: None,
            new_payment: None,
        }
    }
}

impl Payments {
    pub fn data_changed(&mut self) {
        self.paged.data_changed();
    }

    pub fn on_edit(&mut self, request: u64, refused: Option<String>) {
        if self.sent == Some(request) {
            self.sent = None;
            if refused.is_none() {
                self.selected = None;
                self.reason.clear();
            }
            self.error = refused;
        }
    }
}

/// Draws the screen; returns a payment form to open (a new payment for a customer).
pub fn payments_ui(ui: &mut egui::Ui, state: &mut Payments, ctx: &mut Context<'_>) -> Option<PaymentForm> {
    let texts = ctx.texts;
    ui.heading(texts.get("nav-payments"));
    let blocked = ctx.cannot(Permission::RecordPayments);
    let mut form = None;
    ui.horizontal(|ui| {
        if action_button(ui, &texts.get("payment-new"), blocked.as_deref()) {
            state.new_payment = Some((String::new(), Vec::new()));
        }
    });
    if let Some((typed, matches)) = &mut state.new_payment {
        ui.horizontal(|ui| {
            let label = ui.label(texts.get("payment-choose-customer"));
            let field = ui.add(egui::TextEdit::singleline(typed).desired_width(300.0)).labelled_by(label.id);
            if field.changed() {
                *matches = ctx.reader.store().search_customers(typed, 8).unwrap_or_default();
            }
        });
        for contact in matches.iter() {
            let text =
                format!("{} — {} {}", contact.name, contact.billing_address.postcode, contact.billing_address.city);
            if ui.button(text).clicked() {
                match PaymentForm::for_customer(contact, ctx) {
                    Ok(opened) => form = Some(opened),
                    Err(e) => state.error = Some(texts.error(e.code(), &e.to_string())),
                }
            }
        }
        if form.is_some() {
            state.new_payment = None;
        }
    }
    if state.selected.is_some() {
        selected_ui(ui, state, ctx, blocked.as_deref());
    }
    let columns: [ColumnSpec; 6] = [
        ("column-date", Some((0.11, 70.0))),
        ("column-amount", Some((0.13, 80.0))),
        ("column-method", Some((0.13, 70.0))),
        ("column-reference", Some((0.16, 80.0))),
        ("column-payer", None),
        ("column-documents", Some((0.2, 80.0))),
    ];
    let clicked = paged_text_list_ui(
        ui,
        &mut state.paged,
        ctx,
        "nav-payments",
        &columns,
        |store, previous, offset| match previous {
            Some(last) => store.list_payments_after(last.id, BLOCK),
            None => store.list_payments(offset, BLOCK),
        },
        |payment, ctx| {
            vec![
                ctx.date(payment.date),
                ctx.money(payment.amount),
                ctx.texts.get(&format!("method-{}", payment.method.as_str().replace('_', "-"))),
                payment.reference.clone(),
                payment.contact_name.clone().unwrap_or_default(),
                payment.documents.clone(),
            ]
        },
    );
    if let Some(payment) = clicked {
        state.selected = Some(payment);
        state.reason.clear();
        state.error = None;
    }
    form
}

/// The payment clicked: what it was, and its cancellation with a reason.
fn selected_ui(ui: &mut egui::Ui, state: &mut Payments, ctx: &mut Context<'_>, blocked: Option<&str>) {
    let texts = ctx.texts;
    let Some(payment) = state.selected.clone() else { return };
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(crate::theme::bold(format!(
            "{} — {} — {} ({})",
            ctx.date(payment.date),
            ctx.money(payment.amount),
            payment.contact_name.clone().unwrap_or_default(),
            payment.documents
        )));
        ui.horizontal(|ui| {
            let label = ui.label(texts.get("payment-cancel-reason"));
            ui.add(egui::TextEdit::singleline(&mut state.reason).desired_width(300.0)).labelled_by(label.id);
            if action_button(ui, &texts.get("payment-cancel"), blocked) {
                if state.reason.trim().is_empty() {
                    state.error = Some(texts.get("payment-cancel-reason-missing"));
                } else {
                    state.confirm = true;
                }
            }
            if ui.button(texts.get("detail-close")).clicked() {
                state.selected = None;
            }
        });
        if let Some(error) = &state.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
    });
    if state.confirm {
        let question = texts.get("payment-cancel-confirm");
        let answer =
            confirm_ui(ui, "payment-cancel-confirm", ("", &question), &texts.get("payment-cancel-yes"), texts, false);
        if let Some(yes) = answer {
            state.confirm = false;
            if yes {
                let intent = Intent::CancelPayment { id: payment.id, reason: state.reason.trim().to_owned() };
                state.sent = Some(ctx.edit(intent));
            }
        }
    }
}
