//! Articles: the catalogue's list (read a block at a time), a form to create or change
//! one (and archive it or bring it back), and the price-list update: the prices of the
//! selected articles changed by a percentage, sent as one intent per article.

use std::collections::BTreeSet;

use comptoir_core::model::{Article, ArticleId, Permission, VatRate, round_amount};
use comptoir_core::sync::Intent;
use egui_extras::{Column, TableBuilder};
use rust_decimal::Decimal;

use super::contact_form::field_ui;
use super::lists::Paged;
use super::rows::BLOCK;
use super::{Context, action_button, column_titles_ui, confirm_ui, share};
use crate::reader::SimpleList;

const ROW_HEIGHT: f32 = 24.0;

/// An article's fields, as typed.
#[derive(Clone, Debug, Default)]
pub struct ArticleForm {
    /// The article being changed; `None` for a new one.
    pub editing: Option<Article>,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub unit_price: String,
    pub vat_rate: String,
    pub error: Option<String>,
    sent: Option<u64>,
    /// The deletion waits for the user's confirmation (`Some(first)`: whether the
    /// question is drawn for the first time).
    confirm_delete: Option<bool>,
}

impl ArticleForm {
    fn new(rate: Option<VatRate>, language: crate::i18n::Language) -> Self {
        let vat_rate = rate.map(|r| crate::format::decimal_input(r.percent(), language)).unwrap_or_default();
        Self { vat_rate, ..Self::default() }
    }

    pub fn edit(article: &Article, language: crate::i18n::Language) -> Self {
        Self {
            editing: Some(article.clone()),
            code: article.code.clone(),
            name: article.name.clone(),
            unit: article.unit.clone(),
            unit_price: crate::format::decimal_input(article.unit_price, language),
            vat_rate: crate::format::decimal_input(article.vat_rate.percent(), language),
            error: None,
            sent: None,
            confirm_delete: None,
        }
    }

    /// The article these fields describe (archived as `archived`), or why they do not.
    fn article(&self, archived: bool, ctx: &Context<'_>) -> Result<Article, String> {
        let texts = ctx.texts;
        let error = |e: comptoir_core::model::ModelError| texts.error(e.code(), &e.to_string());
        let unit_price =
            crate::format::parse_decimal(&self.unit_price).ok_or_else(|| texts.get("editor-number-invalid"))?;
        let rate = crate::format::parse_decimal(&self.vat_rate).ok_or_else(|| texts.get("editor-rate-invalid"))?;
        let article = Article {
            id: self.editing.as_ref().map_or_else(ArticleId::new, |a| a.id),
            code: self.code.trim().to_owned(),
            name: self.name.trim().to_owned(),
            unit: self.unit.trim().to_owned(),
            unit_price,
            vat_rate: VatRate::new(rate).map_err(error)?,
            archived,
        };
        article.validate().map_err(error)?;
        Ok(article)
    }
}

/// The Articles screen's state.
#[derive(Debug)]
pub struct Articles {
    pub paged: Paged<Article>,
    pub form: Option<ArticleForm>,
    /// The articles ticked for a price change.
    pub selected: BTreeSet<ArticleId>,
    /// The percentage typed for the price change (+5, -10 …).
    pub percent: String,
    pub price_error: Option<String>,
    /// How many price changes were sent by the last update, for its confirmation.
    pub price_updates_sent: Option<usize>,
}

impl Default for Articles {
    fn default() -> Self {
        Self {
            paged: Paged::new(SimpleList::Articles),
            form: None,
            selected: BTreeSet::new(),
            percent: String::new(),
            price_error: None,
            price_updates_sent: None,
        }
    }
}

impl Articles {
    pub fn data_changed(&mut self) {
        self.paged.data_changed();
    }

    pub fn on_edit(&mut self, request: u64, refused: Option<String>) {
        if let Some(form) = &mut self.form
            && form.sent == Some(request)
        {
            form.sent = None;
            match refused {
                None => self.form = None,
                Some(reason) => form.error = Some(reason),
            }
        }
    }
}

/// The new price of an article whose price changes by `percent` %, rounded to the cent.
pub fn changed_price(price: Decimal, percent: Decimal) -> Option<Decimal> {
    let factor = Decimal::ONE_HUNDRED.checked_add(percent)?.checked_div(Decimal::ONE_HUNDRED)?;
    price.checked_mul(factor).map(round_amount).filter(|p| *p >= Decimal::ZERO)
}

pub fn articles_ui(ui: &mut egui::Ui, state: &mut Articles, ctx: &mut Context<'_>) {
    let texts = ctx.texts;
    ui.heading(texts.get("nav-articles"));
    let blocked = ctx.cannot(Permission::EditArticles);
    ui.horizontal(|ui| {
        if action_button(ui, &texts.get("article-new"), blocked.as_deref()) {
            let rate =
                ctx.reader.store().company().ok().and_then(|c| VatRate::rates_of(&c.address.country).first().copied());
            state.form = Some(ArticleForm::new(rate, texts.language()));
        }
    });
    if blocked.is_some() {
        state.form = None;
    }
    if state.form.is_some() {
        article_form_ui(ui, state, ctx);
    }
    price_update_ui(ui, state, ctx, blocked.as_deref());
    state.paged.ask(ctx);
    ui.label(match state.paged.total {
        Some(total) => texts.with("list-count", &[("count", total.into())]),
        None => texts.get("list-counting"),
    });
    table_ui(ui, state, ctx, blocked.is_none());
}

fn table_ui(ui: &mut egui::Ui, state: &mut Articles, ctx: &Context<'_>, editable: bool) {
    let texts = ctx.texts;
    let store = ctx.reader.store();
    if state.paged.total.is_none() {
        state.paged.rows.row(0, |_| store.list_articles(true, 0, BLOCK));
    }
    let rows = state.paged.len();
    let width = ui.available_width();
    let mut edit = None;
    TableBuilder::new(ui)
        .id_salt("articles")
        .striped(true)
        .column(Column::exact(28.0))
        .column(Column::exact(share(width, 0.15, 70.0)).clip(true))
        .column(Column::remainder().at_least(100.0).clip(true))
        .column(Column::exact(share(width, 0.1, 50.0)).clip(true))
        .column(Column::exact(share(width, 0.14, 80.0)).clip(true))
        .column(Column::exact(share(width, 0.08, 50.0)).clip(true))
        .header(ROW_HEIGHT, |mut header| {
            header.col(|_| {});
            column_titles_ui(
                &mut header,
                texts,
                &["column-code", "column-designation", "column-unit", "column-unit-price", "column-vat-rate"],
            );
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, rows, |mut row| {
                let index = row.index();
                let Some(article) = state.paged.rows.row(index, |r| match r.previous.and_then(<[Article]>::last) {
                    Some(last) => store.list_articles_after(true, last.id, BLOCK),
                    None => store.list_articles(true, r.offset(), BLOCK),
                }) else {
                    return;
                };
                let article = article.clone();
                row.col(|ui| {
                    let mut ticked = state.selected.contains(&article.id);
                    let response = ui.add_enabled(editable, egui::Checkbox::without_text(&mut ticked));
                    crate::theme::name_for_screen_readers(
                        ui,
                        &response,
                        texts.with("article-select", &[("code", article.code.clone().into())]),
                    );
                    if response.changed() {
                        if ticked {
                            state.selected.insert(article.id);
                        } else {
                            state.selected.remove(&article.id);
                        }
                    }
                });
                row.col(|ui| {
                    if ui.link(&article.code).clicked() && editable {
                        edit = Some(article.clone());
                    }
                });
                let name = if article.archived {
                    texts.with("contact-archived", &[("name", article.name.clone().into())])
                } else {
                    article.name.clone()
                };
                for cell in [name, article.unit.clone(), ctx.money(article.unit_price), article.vat_rate.to_string()] {
                    row.col(|ui| {
                        ui.label(cell);
                    });
                }
            });
        });
    if let Some(article) = edit {
        state.form = Some(ArticleForm::edit(&article, texts.language()));
    }
}

fn article_form_ui(ui: &mut egui::Ui, state: &mut Articles, ctx: &mut Context<'_>) {
    let texts = ctx.texts;
    let Some(form) = &mut state.form else { return };
    let mut close = false;
    let mut save: Option<bool> = None;
    let mut delete = None;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        let title = if form.editing.is_some() { "article-edit" } else { "article-new" };
        ui.label(crate::theme::bold(texts.get(title)));
        egui::Grid::new("article-form").num_columns(2).show(ui, |ui| {
            field_ui(ui, &texts.get("column-code"), &mut form.code);
            field_ui(ui, &texts.get("column-designation"), &mut form.name);
            field_ui(ui, &texts.get("column-unit"), &mut form.unit);
            field_ui(ui, &texts.get("column-unit-price"), &mut form.unit_price);
            field_ui(ui, &texts.get("column-vat-rate"), &mut form.vat_rate);
        });
        if let Some(error) = &form.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        ui.horizontal(|ui| {
            let archived = form.editing.as_ref().is_some_and(|a| a.archived);
            if ui.add_enabled(form.sent.is_none(), egui::Button::new(texts.get("form-save"))).clicked() {
                save = Some(archived);
            }
            if form.editing.is_some() {
                let toggle = if archived { "contact-unarchive" } else { "contact-archive" };
                if ui.add_enabled(form.sent.is_none(), egui::Button::new(texts.get(toggle))).clicked() {
                    save = Some(!archived);
                }
                // Only an article that no document line refers to goes: the rules say
                // why otherwise.
                if ui.add_enabled(form.sent.is_none(), egui::Button::new(texts.get("article-delete"))).clicked() {
                    form.confirm_delete = Some(true);
                }
            }
            close = ui.button(texts.get("form-cancel")).clicked();
        });
    });
    if let (Some(first), Some(article)) = (form.confirm_delete, &form.editing) {
        form.confirm_delete = Some(false);
        let question = texts.get("article-confirm-delete");
        if let Some(answer) =
            confirm_ui(ui, "article-delete-confirm", ("", &question), &texts.get("article-delete"), texts, first)
        {
            form.confirm_delete = None;
            delete = answer.then_some(article.id);
        }
    }
    if let Some(id) = delete {
        form.error = None;
        form.sent = Some(ctx.edit(Intent::DeleteArticle { id }));
    }
    if let Some(archived) = save {
        match form.article(archived, ctx) {
            Ok(article) => {
                form.error = None;
                let intent = if form.editing.is_some() {
                    Intent::UpdateArticle { article }
                } else {
                    Intent::CreateArticle { article }
                };
                form.sent = Some(ctx.edit(intent));
            }
            Err(reason) => form.error = Some(reason),
        }
    }
    if close {
        state.form = None;
    }
}

/// The price-list update: the selected articles' prices changed by a percentage, one
/// intent per article (each checked by the same rules as a change typed in the form).
fn price_update_ui(ui: &mut egui::Ui, state: &mut Articles, ctx: &mut Context<'_>, blocked: Option<&str>) {
    let texts = ctx.texts;
    let mut apply = false;
    ui.horizontal(|ui| {
        let label = ui.label(texts.get("article-price-change"));
        ui.add(egui::TextEdit::singleline(&mut state.percent).desired_width(60.0)).labelled_by(label.id);
        ui.label("%");
        let text = texts.with("article-price-apply", &[("count", state.selected.len().into())]);
        let blocked = blocked
            .map(str::to_owned)
            .or_else(|| state.selected.is_empty().then(|| texts.get("article-price-none-selected")));
        apply = action_button(ui, &text, blocked.as_deref());
    });
    if let Some(count) = state.price_updates_sent {
        ui.label(texts.with("article-price-sent", &[("count", count.into())]));
    }
    if let Some(error) = &state.price_error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    if !apply {
        return;
    }
    let Some(percent) = crate::format::parse_decimal(&state.percent).filter(|p| *p > -Decimal::ONE_HUNDRED) else {
        state.price_error = Some(texts.get("article-price-percent-invalid"));
        return;
    };
    let store = ctx.reader.store();
    let mut intents = Vec::new();
    for id in &state.selected {
        let article = match store.article(*id) {
            Ok(article) => article,
            Err(e) => {
                state.price_error = Some(texts.error(e.code(), &e.to_string()));
                return;
            }
        };
        let Some(unit_price) = changed_price(article.unit_price, percent) else {
            state.price_error = Some(texts.get("article-price-percent-invalid"));
            return;
        };
        let changed = Article { unit_price, ..article };
        if let Err(e) = changed.validate() {
            state.price_error = Some(format!("{} : {}", changed.code, texts.error(e.code(), &e.to_string())));
            return;
        }
        intents.push(Intent::UpdateArticle { article: changed });
    }
    state.price_error = None;
    state.price_updates_sent = Some(intents.len());
    for intent in intents {
        ctx.edit(intent);
    }
    state.selected.clear();
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::changed_price;

    #[test]
    fn prices_change_by_a_percentage_to_the_cent() {
        assert_eq!(changed_price(dec!(100), dec!(5)), Some(dec!(105.00)));
        assert_eq!(changed_price(dec!(19.99), dec!(-10)), Some(dec!(17.99)));
        assert_eq!(changed_price(dec!(0.125), dec!(3)), Some(dec!(0.13)));
        assert_eq!(changed_price(dec!(10), dec!(-100)), Some(dec!(0)));
        assert_eq!(changed_price(dec!(10), dec!(-150)), None, "never below zero");
    }
}
