//! Tableau de bord: the figures a business owner looks at first, summed by the
//! background reader so that a million invoices never hold up a frame.

use comptoir_core::store::{Dashboard, StoreError};

use super::Context;
use super::documents::StatusChoice;
use crate::reader::Question;

#[derive(Debug, Default)]
pub struct DashboardState {
    pub figures: Option<Dashboard>,
    asking: Option<u64>,
    fresh: bool,
}

impl DashboardState {
    pub fn data_changed(&mut self) {
        self.fresh = false;
        self.asking = None;
    }

    pub fn on_answer(&mut self, generation: u64, figures: Result<Dashboard, StoreError>) {
        if self.asking == Some(generation) {
            self.asking = None;
            match figures {
                Ok(figures) => self.figures = Some(figures),
                Err(e) => tracing::warn!(error = %e, "the dashboard could not be read"),
            }
        }
    }
}

/// One figure in its frame: a title, the amount, a line below.
fn card_ui(ui: &mut egui::Ui, title: &str, amount: &str, below: &str) -> egui::Response {
    egui::Frame::group(ui.style())
        .inner_margin(12.0)
        .show(ui, |ui| {
            ui.set_min_width(210.0);
            ui.vertical(|ui| {
                ui.label(title);
                ui.label(crate::theme::bold(amount).size(22.0));
                ui.weak(below);
            });
        })
        .response
}

/// Draws the dashboard; returns the invoices the user asked to see.
pub fn dashboard_ui(ui: &mut egui::Ui, state: &mut DashboardState, ctx: &mut Context<'_>) -> Option<StatusChoice> {
    let texts = ctx.texts;
    ui.heading(texts.get("nav-dashboard"));
    if !state.fresh && state.asking.is_none() {
        let generation = ctx.generation();
        if ctx.reader.ask(Question::Dashboard { generation, today: ctx.today }) {
            state.asking = Some(generation);
            state.fresh = true;
        }
    }
    let Some(figures) = &state.figures else {
        ui.label(texts.get("list-counting"));
        return None;
    };
    let mut goto = None;
    ui.horizontal_wrapped(|ui| {
        card_ui(
            ui,
            &texts.get("dashboard-unpaid"),
            &ctx.money(figures.unpaid_total),
            &texts.with("dashboard-invoices", &[("count", figures.unpaid_count.into())]),
        );
        card_ui(
            ui,
            &texts.get("dashboard-overdue"),
            &ctx.money(figures.overdue_total),
            &texts.with("dashboard-invoices", &[("count", figures.overdue_count.into())]),
        );
        card_ui(
            ui,
            &texts.get("dashboard-month-sales"),
            &ctx.money(figures.month_sales),
            &texts.with("dashboard-invoices", &[("count", figures.month_count.into())]),
        );
    });
    ui.add_space(8.0);
    ui.label(texts.with("dashboard-drafts", &[("count", figures.drafts.into())]));
    if figures.pending_edits > 0 {
        ui.label(texts.with("dashboard-pending", &[("count", figures.pending_edits.into())]));
    }
    if ui.button(texts.get("dashboard-see-unpaid")).clicked() {
        goto = Some(StatusChoice::Unpaid);
    }
    goto
}
