//! The editor's foot: the totals, as the core's EN 16931 rules compute them (net per
//! line, VAT per rate on the sum of that rate's lines, the grand total). Nothing is
//! added up here.

use comptoir_core::model::Document;

use crate::screens::Context;

pub fn totals_ui(ui: &mut egui::Ui, document: &Document, ctx: &Context<'_>) {
    let texts = ctx.texts;
    let totals = match document.totals() {
        Ok(totals) => totals,
        Err(e) => {
            ui.colored_label(ui.visuals().error_fg_color, texts.error(e.code(), &e.to_string()));
            return;
        }
    };
    egui::Grid::new("editor-totals").num_columns(2).spacing([24.0, 4.0]).show(ui, |ui| {
        ui.label(texts.get("total-net"));
        ui.label(crate::theme::bold(ctx.money(totals.net)));
        ui.end_row();
        for rate in &totals.breakdown {
            ui.label(texts.with(
                "editor-vat-at",
                &[
                    ("rate", rate.rate.percent().normalize().to_string().into()),
                    ("base", ctx.money(rate.taxable).into()),
                ],
            ));
            ui.label(ctx.money(rate.vat));
            ui.end_row();
        }
        ui.label(texts.get("total-gross"));
        ui.label(crate::theme::bold(ctx.money(totals.gross)));
        ui.end_row();
    });
}
