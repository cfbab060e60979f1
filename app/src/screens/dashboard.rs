//! Tableau de bord: the figures a business owner looks at first, summed by the
//! background reader so that a million invoices never hold up a frame; below them, sales
//! per month and receivables by age as bar charts (a click on a bar opens the invoices
//! behind it), and the customers who owe the most.

use chrono::NaiveDate;
use comptoir_core::model::ContactId;
use comptoir_core::store::{AgeBucket, Dashboard, DashboardCharts, StoreError};
use egui_plot::{Bar, BarChart, GridMark, Plot};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;

use super::Context;
use super::documents::{StatusChoice, age_id, age_text, month_text};
use crate::reader::Question;

const CHART_HEIGHT: f32 = 220.0;
/// The share of its column a bar fills.
const BAR_WIDTH: f64 = 0.7;

#[derive(Debug, Default)]
pub struct DashboardState {
    pub figures: Option<Dashboard>,
    pub charts: Option<DashboardCharts>,
    asking: Option<u64>,
    asking_charts: Option<u64>,
    fresh: bool,
}

/// What the user asked of the dashboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DashboardAction {
    /// The invoices of this status choice.
    Invoices(StatusChoice),
    /// The invoices issued in this month (its first day).
    Month(NaiveDate),
    /// The unpaid invoices of this age.
    Age(AgeBucket),
    /// A customer's detail.
    Customer(ContactId),
}

impl DashboardState {
    /// The figures and the charts are read, and no newer reading is under way.
    pub fn loaded(&self) -> bool {
        self.figures.is_some() && self.charts.is_some() && self.asking.is_none() && self.asking_charts.is_none()
    }

    pub fn data_changed(&mut self) {
        self.fresh = false;
        self.asking = None;
        self.asking_charts = None;
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

    pub fn on_charts(&mut self, generation: u64, charts: Result<DashboardCharts, StoreError>) {
        if self.asking_charts == Some(generation) {
            self.asking_charts = None;
            match charts {
                Ok(charts) => self.charts = Some(charts),
                Err(e) => tracing::warn!(error = %e, "the dashboard's charts could not be read"),
            }
        }
    }

    /// Asks the background thread for the figures and the charts, once per change.
    fn ask(&mut self, ctx: &mut Context<'_>) {
        if self.fresh || self.asking.is_some() || self.asking_charts.is_some() {
            return;
        }
        let generation = ctx.generation();
        if !ctx.reader.ask(Question::Dashboard { generation, today: ctx.today }) {
            return;
        }
        self.asking = Some(generation);
        let charts = ctx.generation();
        // Asked right after the figures; if the queue is full, the figures still come
        // and the charts are asked again at the next change.
        if ctx.reader.ask(Question::DashboardCharts { generation: charts, today: ctx.today }) {
            self.asking_charts = Some(charts);
        }
        self.fresh = true;
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

/// Draws the dashboard; returns what the user asked to see.
pub fn dashboard_ui(ui: &mut egui::Ui, state: &mut DashboardState, ctx: &mut Context<'_>) -> Option<DashboardAction> {
    let texts = ctx.texts;
    ui.heading(texts.get("nav-dashboard"));
    state.ask(ctx);
    let Some(figures) = &state.figures else {
        ui.label(texts.get("list-counting"));
        return None;
    };
    let mut goto = None;
    egui::ScrollArea::vertical().auto_shrink([false, true]).show(ui, |ui| {
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
            goto = Some(DashboardAction::Invoices(StatusChoice::Unpaid));
        }
        ui.add_space(12.0);
        match &state.charts {
            Some(charts) => {
                if let Some(action) = charts_ui(ui, charts, ctx) {
                    goto = Some(action);
                }
            }
            None => {
                ui.label(texts.get("list-counting"));
            }
        }
    });
    goto
}

/// The two charts side by side, then the top customers.
fn charts_ui(ui: &mut egui::Ui, charts: &DashboardCharts, ctx: &Context<'_>) -> Option<DashboardAction> {
    let texts = ctx.texts;
    let mut goto = None;
    let spacing = ui.spacing().item_spacing.x;
    let width = ((ui.available_width() - spacing) / 2.0).max(320.0);
    let sales_colour = ui.visuals().selection.bg_fill;
    let months: Vec<ChartBar> = charts
        .months
        .iter()
        .map(|m| ChartBar {
            label: texts.with(
                "dashboard-sales-bar",
                &[("month", month_text(m.month, texts).into()), ("amount", ctx.money(m.net).into())],
            ),
            axis: texts.get(&format!("month-short-{}", chrono::Datelike::month(&m.month))),
            amount: m.net,
            colour: sales_colour,
        })
        .collect();
    let visuals = ui.visuals();
    let age_colour = |bucket: AgeBucket| match bucket {
        AgeBucket::NotDue => visuals.selection.bg_fill,
        AgeBucket::Days1To30 | AgeBucket::Days31To60 => visuals.warn_fg_color,
        AgeBucket::Days61To90 | AgeBucket::Over90 => visuals.error_fg_color,
    };
    let ages: Vec<ChartBar> = charts
        .ages
        .iter()
        .map(|a| ChartBar {
            label: texts.with(
                "dashboard-ages-bar",
                &[
                    ("bucket", age_text(a.bucket, texts).into()),
                    ("amount", ctx.money(a.due).into()),
                    ("count", a.invoices.into()),
                ],
            ),
            axis: texts.get(&format!("dashboard-age-short-{}", age_id(a.bucket))),
            amount: a.due,
            colour: age_colour(a.bucket),
        })
        .collect();
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.label(crate::theme::bold(texts.get("dashboard-sales-chart")));
            let clicked = bar_chart_ui(ui, "dashboard-sales", &texts.get("dashboard-sales-chart"), &months, width);
            if let Some(month) = clicked.and_then(|i| charts.months.get(i)) {
                goto = Some(DashboardAction::Month(month.month));
            }
        });
        ui.vertical(|ui| {
            ui.label(crate::theme::bold(texts.get("dashboard-ages-chart")));
            let clicked = bar_chart_ui(ui, "dashboard-ages", &texts.get("dashboard-ages-chart"), &ages, width);
            if let Some(aged) = clicked.and_then(|i| charts.ages.get(i)) {
                goto = Some(DashboardAction::Age(aged.bucket));
            }
        });
    });
    ui.weak(texts.get("dashboard-click-hint"));
    ui.add_space(12.0);
    ui.label(crate::theme::bold(texts.get("dashboard-top-customers")));
    if charts.top_customers.is_empty() {
        ui.label(texts.get("dashboard-no-receivables"));
        return goto;
    }
    egui::Grid::new("dashboard-top-customers").striped(true).min_col_width(80.0).show(ui, |ui| {
        for id in ["dashboard-column-customer", "dashboard-column-invoices", "dashboard-column-due"] {
            ui.label(crate::theme::bold(texts.get(id)));
        }
        ui.end_row();
        for customer in &charts.top_customers {
            if ui.link(&customer.name).clicked() {
                goto = Some(DashboardAction::Customer(customer.contact_id));
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.label(customer.invoices.to_string());
            });
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.label(ctx.money(customer.due));
            });
            ui.end_row();
        }
    });
    goto
}

/// One bar as the chart shows it.
struct ChartBar {
    /// What it stands for, with its exact amount: the hover text and the accessible name.
    label: String,
    /// Its short name under the axis.
    axis: String,
    amount: Decimal,
    colour: egui::Color32,
}

/// A bar chart named `title`, one bar per item; returns the bar clicked.
///
/// `egui_plot` takes heights as `f64`: amounts are converted here, for drawing only.
/// Each bar's column is also a button of its own, named with the exact amount, so that
/// a click (or a screen reader) opens what it shows.
#[allow(clippy::cast_precision_loss, reason = "bar positions are small indexes")]
fn bar_chart_ui(ui: &mut egui::Ui, id: &str, title: &str, bars: &[ChartBar], width: f32) -> Option<usize> {
    let chart = BarChart::new(
        title,
        bars.iter()
            .enumerate()
            .map(|(i, bar)| {
                Bar::new(i as f64, bar.amount.to_f64().unwrap_or(0.0))
                    .width(BAR_WIDTH)
                    .name(&bar.label)
                    .fill(bar.colour)
            })
            .collect(),
    )
    .element_formatter(Box::new(|bar, _| bar.name.clone()));
    let names: Vec<String> = bars.iter().map(|bar| bar.axis.clone()).collect();
    let count = bars.len();
    let last = count.saturating_sub(1) as f64;
    let response = Plot::new(id)
        .width(width)
        .height(CHART_HEIGHT)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .show_x(false)
        .show_y(false)
        .include_x(-0.5)
        .include_x(last + 0.5)
        .include_y(0.0)
        .x_grid_spacer(move |_| (0..count).map(|i| GridMark { value: i as f64, step_size: 1.0 }).collect())
        .x_axis_formatter(move |mark: GridMark, _| {
            let at = names.iter().enumerate().find(|(i, _)| (*i as f64 - mark.value).abs() < 0.01);
            at.map(|(_, name)| name.clone()).unwrap_or_default()
        })
        .y_axis_formatter(|mark: GridMark, _| compact(mark.value))
        .show(ui, |plot_ui| plot_ui.bar_chart(chart));
    crate::theme::name_for_screen_readers(ui, &response.response, title.to_owned());
    let frame = *response.transform.frame();
    let mut clicked = None;
    for (i, bar) in bars.iter().enumerate() {
        let centre = i as f64;
        let left = response.transform.position_from_point_x(centre - 0.5);
        let right = response.transform.position_from_point_x(centre + 0.5);
        let column = egui::Rect::from_x_y_ranges(left..=right, frame.y_range()).intersect(frame);
        let hit = ui.interact(column, response.response.id.with(i), egui::Sense::click());
        hit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &bar.label));
        if hit.hovered() {
            ui.painter().rect_filled(column, 2.0, ui.visuals().widgets.hovered.weak_bg_fill.gamma_multiply(0.3));
        }
        if hit.on_hover_text(&bar.label).on_hover_cursor(egui::CursorIcon::PointingHand).clicked() {
            clicked = Some(i);
        }
    }
    clicked
}

/// An axis value in few characters: `950`, `12 k`, `1,5 M` (the exact amounts are on
/// the bars).
fn compact(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1_000_000.0 {
        format!("{:.1} M", value / 1_000_000.0)
    } else if magnitude >= 1_000.0 {
        format!("{:.0} k", value / 1_000.0)
    } else {
        format!("{value:.0}")
    }
}
