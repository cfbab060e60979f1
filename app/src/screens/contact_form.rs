//! A contact's form: a new customer, or one that exists, changed. The VAT number is
//! checked (format and check digits) as it is typed; the contact's document language is
//! kept for their PDFs and e-mails.

use comptoir_core::model::{
    Address, Contact, ContactId, ContactKind, Country, DocumentLanguage, ElectronicAddress, VatNumber,
};
use comptoir_core::sync::Intent;

use super::Context;
use crate::i18n::Texts;

/// The fields of a contact, as typed.
#[derive(Clone, Debug, Default)]
pub struct ContactForm {
    /// The contact being changed; `None` for a new one.
    pub editing: Option<Contact>,
    pub person: bool,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub vat_number: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
    /// ISO code of the country: `FR`, `BE`, or any other.
    pub country: String,
    pub payment_terms: String,
    pub language: Option<DocumentLanguage>,
    /// The Peppol participant id, `scheme:id` ("0208:0403170701"); empty: derived from
    /// the VAT number when an e-invoice is written.
    pub peppol_id: String,
    /// Why the last attempt was refused, in the user's language.
    pub error: Option<String>,
    /// The request sent and not yet answered.
    pub sent: Option<u64>,
}

impl ContactForm {
    /// An empty form for a new customer in `country`.
    pub fn new(country: &Country) -> Self {
        Self { country: country.code().to_owned(), ..Self::default() }
    }

    /// The form of an existing contact.
    pub fn edit(contact: &Contact) -> Self {
        let address = &contact.billing_address;
        Self {
            editing: Some(contact.clone()),
            person: contact.kind == ContactKind::Person,
            name: contact.name.clone(),
            email: contact.email.clone().unwrap_or_default(),
            phone: contact.phone.clone().unwrap_or_default(),
            vat_number: contact.vat_number.as_ref().map(ToString::to_string).unwrap_or_default(),
            street: address.street.clone(),
            postcode: address.postcode.clone(),
            city: address.city.clone(),
            country: address.country.code().to_owned(),
            payment_terms: contact.payment_terms_days.map(|d| d.to_string()).unwrap_or_default(),
            language: contact.language,
            peppol_id: contact.peppol_id.as_ref().map(ToString::to_string).unwrap_or_default(),
            error: None,
            sent: None,
        }
    }

    /// Why the VAT number typed is not one, as the user types it.
    fn vat_error(&self, texts: &Texts) -> Option<String> {
        let typed = self.vat_number.trim();
        if typed.is_empty() {
            return None;
        }
        VatNumber::parse(typed).err().map(|e| texts.error(e.code(), &e.to_string()))
    }

    /// Why the Peppol id typed is not one, as the user types it.
    fn peppol_error(&self, texts: &Texts) -> Option<String> {
        let typed = self.peppol_id.trim();
        if typed.is_empty() {
            return None;
        }
        typed.parse::<ElectronicAddress>().err().map(|_| texts.get("contact-peppol-invalid"))
    }

    /// The contact these fields describe, or the reason they do not describe one.
    pub fn contact(&self, texts: &Texts) -> Result<Contact, String> {
        let error = |e: comptoir_core::model::ModelError| texts.error(e.code(), &e.to_string());
        let optional = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let vat_number = optional(&self.vat_number).map(|v| VatNumber::parse(&v)).transpose().map_err(error)?;
        let peppol_id = match optional(&self.peppol_id) {
            Some(typed) => Some(typed.parse::<ElectronicAddress>().map_err(|_| texts.get("contact-peppol-invalid"))?),
            None => None,
        };
        let payment_terms_days = match optional(&self.payment_terms) {
            Some(days) => Some(days.parse::<u16>().map_err(|_| texts.get("contact-terms-invalid"))?),
            None => None,
        };
        let base = self.editing.clone();
        let contact = Contact {
            id: base.as_ref().map_or_else(ContactId::new, |c| c.id),
            kind: if self.person { ContactKind::Person } else { ContactKind::Company },
            name: self.name.trim().to_owned(),
            is_customer: base.as_ref().is_none_or(|c| c.is_customer),
            is_supplier: base.as_ref().is_some_and(|c| c.is_supplier),
            email: optional(&self.email),
            phone: optional(&self.phone),
            vat_number,
            billing_address: Address {
                street: self.street.trim().to_owned(),
                street2: base.as_ref().map(|c| c.billing_address.street2.clone()).unwrap_or_default(),
                postcode: self.postcode.trim().to_owned(),
                city: self.city.trim().to_owned(),
                country: Country::from_code(&self.country).map_err(error)?,
            },
            delivery_address: base.as_ref().and_then(|c| c.delivery_address.clone()),
            payment_terms_days,
            archived: base.as_ref().is_some_and(|c| c.archived),
            language: self.language,
            peppol_id,
        };
        contact.validate().map_err(error)?;
        Ok(contact)
    }

    /// The engine answered an edit: `true` when it was this form's and it was applied
    /// (the form closes); a refusal is shown.
    pub fn on_edit(&mut self, request: u64, refused: Option<String>) -> bool {
        if self.sent != Some(request) {
            return false;
        }
        self.sent = None;
        let done = refused.is_none();
        self.error = refused;
        done
    }
}

/// A text field with its label, the label naming it for screen readers and tests.
pub fn field_ui(ui: &mut egui::Ui, label: &str, value: &mut String) -> egui::Response {
    let label = ui.label(label);
    let response = ui.add(egui::TextEdit::singleline(value).desired_width(260.0)).labelled_by(label.id);
    ui.end_row();
    response
}

/// Draws the form; returns `false` when the user cancelled it.
pub fn contact_form_ui(ui: &mut egui::Ui, form: &mut ContactForm, ctx: &mut Context<'_>) -> bool {
    let texts = ctx.texts;
    let mut open = true;
    let mut save = false;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        let title = if form.editing.is_some() { "contact-edit" } else { "contact-new" };
        ui.label(crate::theme::bold(texts.get(title)));
        ui.horizontal(|ui| {
            ui.radio_value(&mut form.person, false, texts.get("contact-kind-company"));
            ui.radio_value(&mut form.person, true, texts.get("contact-kind-person"));
        });
        egui::Grid::new("contact-form").num_columns(2).show(ui, |ui| {
            field_ui(ui, &texts.get("contact-name"), &mut form.name);
            field_ui(ui, &texts.get("contact-email"), &mut form.email);
            field_ui(ui, &texts.get("contact-phone"), &mut form.phone);
            field_ui(ui, &texts.get("contact-vat"), &mut form.vat_number);
            if let Some(reason) = form.vat_error(texts) {
                ui.label("");
                ui.colored_label(ui.visuals().error_fg_color, reason);
                ui.end_row();
            }
            field_ui(ui, &texts.get("contact-peppol"), &mut form.peppol_id)
                .on_hover_text(texts.get("contact-peppol-help"));
            if let Some(reason) = form.peppol_error(texts) {
                ui.label("");
                ui.colored_label(ui.visuals().error_fg_color, reason);
                ui.end_row();
            }
            field_ui(ui, &texts.get("contact-street"), &mut form.street);
            field_ui(ui, &texts.get("contact-postcode"), &mut form.postcode);
            field_ui(ui, &texts.get("contact-city"), &mut form.city);
            field_ui(ui, &texts.get("contact-country"), &mut form.country);
            field_ui(ui, &texts.get("contact-terms"), &mut form.payment_terms);
            ui.label(texts.get("contact-language"));
            ui.horizontal(|ui| {
                ui.radio_value(&mut form.language, None, texts.get("contact-language-company"));
                for language in DocumentLanguage::ALL {
                    ui.radio_value(
                        &mut form.language,
                        Some(language),
                        texts.get(&format!("language-{}", language.code())),
                    );
                }
            });
            ui.end_row();
        });
        if let Some(error) = &form.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        ui.horizontal(|ui| {
            save = ui.add_enabled(form.sent.is_none(), egui::Button::new(texts.get("form-save"))).clicked();
            if ui.button(texts.get("form-cancel")).clicked() {
                open = false;
            }
        });
    });
    if save {
        match form.contact(texts) {
            Ok(contact) => {
                form.error = None;
                let intent = if form.editing.is_some() {
                    Intent::UpdateContact { contact }
                } else {
                    Intent::CreateContact { contact }
                };
                form.sent = Some(ctx.edit(intent));
            }
            Err(reason) => form.error = Some(reason),
        }
    }
    open
}
