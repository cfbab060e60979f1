//! Paramètres: the company's identity and numbering, as the server last sent them.

use comptoir_core::model::DocumentKind;

use super::Context;

pub fn settings_ui(ui: &mut egui::Ui, ctx: &mut Context<'_>) {
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
    ui.label(crate::theme::bold(texts.get("settings-accounts")));
    let plan = comptoir_core::accounting::AccountPlan::for_country(&address.country);
    egui::Grid::new("accounts").num_columns(2).show(ui, |ui| {
        for (id, account) in [
            ("settings-account-customers", &plan.customers),
            ("settings-account-sales", &plan.sales),
            ("settings-account-vat", &plan.vat_collected),
            ("settings-account-bank", &plan.bank),
        ] {
            ui.label(texts.get(id));
            ui.label(format!("{} {}", account.number, account.label));
            ui.end_row();
        }
        for (id, (code, name)) in
            [("settings-journal-sales", &plan.sales_journal), ("settings-journal-bank", &plan.bank_journal)]
        {
            ui.label(texts.get(id));
            ui.label(format!("{code} {name}"));
            ui.end_row();
        }
    });
}
