//! Paramètres: the company's identity and numbering, as the server last sent them.

use comptoir_core::accounting::AccountPlan;
use comptoir_core::model::{Country, DocumentKind, Permission};
use comptoir_core::sync::Intent;

use super::{Context, action_button};

pub fn settings_ui(ui: &mut egui::Ui, state: &mut SettingsState, ctx: &mut Context<'_>) {
    let texts = ctx.texts;
    ui.heading(texts.get("nav-settings"));
    let store = ctx.reader.store();
    let company = match store.company() {
        Ok(company) => company,
        Err(e) => {
            ui.label(texts.error(e.code(), &e.to_string()));
            return;
        }
    };
    let address = &company.address;
    let rows = [
        ("settings-legal-name", company.legal_name.clone()),
        (
            "settings-address",
            format!("{}, {} {} ({})", address.street, address.postcode, address.city, address.country),
        ),
        ("settings-vat", company.vat_number.as_ref().map(ToString::to_string).unwrap_or_default()),
        ("settings-iban", company.iban.as_ref().map(ToString::to_string).unwrap_or_default()),
        ("settings-currency", company.currency.as_str().to_owned()),
        ("settings-terms", texts.with("settings-terms-days", &[("days", company.payment_terms_days.into())])),
    ];
    egui::Grid::new("company").num_columns(2).striped(true).show(ui, |ui| {
        for (id, value) in rows {
            ui.label(crate::theme::bold(texts.get(id)));
            ui.label(value);
            ui.end_row();
        }
    });
    ui.add_space(12.0);
    ui.label(crate::theme::bold(texts.get("settings-numbering")));
    egui::Grid::new("numbering").num_columns(2).show(ui, |ui| {
        for kind in DocumentKind::ALL {
            if let Ok(series) = store.numbering_series(kind) {
                ui.label(texts.get(&format!("kind-{}", kind.as_str().replace('_', "-"))));
                ui.label(texts.with(
                    "settings-next-number",
                    &[("prefix", series.prefix.clone().into()), ("next", series.next_number.into())],
                ));
                ui.end_row();
            }
        }
    });
    ui.add_space(12.0);
    accounts_ui(ui, state, ctx, &address.country);
}

/// The Paramètres screen's state: the chart of accounts being edited.
#[derive(Debug, Default)]
pub struct SettingsState {
    /// The chart as typed, while it is being changed.
    form: Option<AccountPlan>,
    /// The edit sent, until the engine answers.
    sent: Option<u64>,
    /// The last answer: saved, or why not.
    pub message: Option<(String, bool)>,
}

impl SettingsState {
    pub fn on_edit(&mut self, request: u64, refused: Option<String>, texts: &crate::i18n::Texts) {
        if self.sent != Some(request) {
            return;
        }
        self.sent = None;
        match refused {
            None => {
                self.form = None;
                self.message = Some((texts.get("settings-accounts-saved"), false));
            }
            Some(reason) => self.message = Some((reason, true)),
        }
    }
}

/// The chart of accounts and journals; those who post may change it.
fn accounts_ui(ui: &mut egui::Ui, state: &mut SettingsState, ctx: &mut Context<'_>, country: &Country) {
    let texts = ctx.texts;
    ui.label(crate::theme::bold(texts.get("settings-accounts")));
    let plan = ctx.reader.store().account_plan().unwrap_or_else(|_| AccountPlan::for_country(country));
    let blocked = ctx.cannot(Permission::PostAccounting);
    let editing = state.form.is_some();
    let mut form = state.form.take().unwrap_or_else(|| plan.clone());
    egui::Grid::new("accounts").num_columns(3).show(ui, |ui| {
        for (id, account) in [
            ("settings-account-customers", &mut form.customers),
            ("settings-account-sales", &mut form.sales),
            ("settings-account-vat", &mut form.vat_collected),
            ("settings-account-bank", &mut form.bank),
            ("settings-journal-sales", &mut form.sales_journal),
            ("settings-journal-bank", &mut form.bank_journal),
        ] {
            let name = texts.get(id);
            let label = ui.label(&name);
            if editing {
                ui.add(egui::TextEdit::singleline(&mut account.number).desired_width(90.0)).labelled_by(label.id);
                let title = texts.with("settings-account-label", &[("account", name.into())]);
                ui.add(egui::TextEdit::singleline(&mut account.label).desired_width(260.0).hint_text(&title))
                    .on_hover_text(title);
            } else {
                ui.label(&account.number);
                ui.label(&account.label);
            }
            ui.end_row();
        }
    });
    ui.horizontal(|ui| {
        if editing {
            let unchanged = (form == plan).then(|| texts.get("settings-accounts-unchanged"));
            let waiting = state.sent.is_some().then(|| texts.get("users-waiting"));
            if action_button(ui, &texts.get("settings-accounts-save"), unchanged.or(waiting).as_deref()) {
                // Checked here first, with the rule the server applies.
                match form.validate() {
                    Ok(()) => {
                        state.sent = Some(ctx.edit(Intent::SetAccountPlan { plan: form.clone() }));
                        state.message = None;
                    }
                    Err(e) => state.message = Some((texts.error(e.code(), &e.to_string()), true)),
                }
            }
            if ui.button(texts.get("users-remove-no")).clicked() {
                state.message = None;
                return;
            }
            state.form = Some(form);
        } else if action_button(ui, &texts.get("settings-accounts-edit"), blocked.as_deref()) {
            state.form = Some(form);
            state.message = None;
        }
    });
    if let Some((message, failed)) = &state.message {
        let text = egui::RichText::new(message.as_str());
        ui.label(if *failed { text.color(ui.visuals().error_fg_color) } else { text });
    }
}
