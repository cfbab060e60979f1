//! The editor's lines: description, quantity, unit, unit price, discount and VAT rate
//! per line; add, duplicate, delete and move; and the article picker, which adds a line
//! filled from an article found by its code or name as the user types.
//!
//! Keyboard: Tab moves from cell to cell along a line and on to the next; Enter in the
//! last cell of the last line adds a line and puts the cursor in its description.

use comptoir_core::model::{Article, DocumentLine, VatRate};
use rust_decimal::Decimal;

use super::Editor;
use crate::i18n::{Language, Texts};
use crate::screens::Context;

/// How many articles the picker proposes.
pub const PICKER_LIMIT: u32 = 8;

/// One line as typed: the text of each number field, and the line as it reads.
#[derive(Clone, Debug)]
pub struct LineInput {
    /// The line the model knows: every field that reads.
    pub line: DocumentLine,
    pub quantity: String,
    pub unit_price: String,
    pub discount: String,
    pub vat_rate: String,
    /// The fields that do not read (quantity, price, discount, rate).
    wrong: [bool; 4],
}

impl LineInput {
    /// A free-text line of one unit at `rate`.
    pub fn empty(rate: VatRate) -> Self {
        let line = DocumentLine {
            article_id: None,
            description: String::new(),
            quantity: Decimal::ONE,
            unit: String::new(),
            unit_price: Decimal::ZERO,
            discount_percent: Decimal::ZERO,
            vat_rate: rate,
            vat_category: None,
            section: false,
        };
        Self::of(&line, Language::French)
    }

    /// A line as the user's language writes its numbers.
    pub fn of(line: &DocumentLine, language: Language) -> Self {
        let number = |value: Decimal| crate::format::decimal_input(value, language);
        Self {
            quantity: number(line.quantity),
            unit_price: number(line.unit_price),
            discount: if line.discount_percent.is_zero() { String::new() } else { number(line.discount_percent) },
            vat_rate: number(line.vat_rate.percent()),
            line: line.clone(),
            wrong: [false; 4],
        }
    }

    /// A section title ("Lot 1 — Gros œuvre"): a description and nothing to pay.
    pub fn section_title(rate: VatRate) -> Self {
        let mut input = Self::empty(rate);
        input.line.quantity = Decimal::ZERO;
        input.line.section = true;
        "0".clone_into(&mut input.quantity);
        input
    }

    /// A line filled from `article`: its name, unit, price and rate.
    pub fn from_article(article: &Article, language: Language) -> Self {
        let line = DocumentLine {
            article_id: Some(article.id),
            description: article.name.clone(),
            quantity: Decimal::ONE,
            unit: article.unit.clone(),
            unit_price: article.unit_price,
            discount_percent: Decimal::ZERO,
            vat_rate: article.vat_rate,
            vat_category: None,
            section: false,
        };
        Self::of(&line, language)
    }

    /// Reads the number fields into the line; a field that does not read keeps the
    /// line's last value and is marked. What a keystroke in a number cell does first.
    pub fn read(&mut self) {
        let quantity = crate::format::parse_decimal(&self.quantity);
        let unit_price = crate::format::parse_decimal(&self.unit_price);
        let discount = if self.discount.trim().is_empty() {
            Some(Decimal::ZERO)
        } else {
            crate::format::parse_decimal(&self.discount)
        };
        let rate = crate::format::parse_decimal(&self.vat_rate).and_then(|r| VatRate::new(r).ok());
        self.wrong = [quantity.is_none(), unit_price.is_none(), discount.is_none(), rate.is_none()];
        if let Some(quantity) = quantity {
            self.line.quantity = quantity;
        }
        if let Some(unit_price) = unit_price {
            self.line.unit_price = unit_price;
        }
        if let Some(discount) = discount {
            self.line.discount_percent = discount;
        }
        if let Some(rate) = rate {
            self.line.vat_rate = rate;
        }
    }

    /// Why this line cannot be saved as typed, if it cannot.
    pub fn error(&self, texts: &Texts) -> Option<String> {
        if self.wrong[3] {
            return Some(texts.get("editor-rate-invalid"));
        }
        self.wrong.iter().any(|w| *w).then(|| texts.get("editor-number-invalid"))
    }
}

/// What the user did to a line with its buttons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LineMove {
    Up(usize),
    Down(usize),
    Duplicate(usize),
    Delete(usize),
}

/// The line grid's columns: their locale ids and widths (a cell's text field is 8 points
/// narrower).
const COLUMNS: [(&str, f32); 8] = [
    ("column-designation", 268.0),
    ("column-quantity", 68.0),
    ("editor-unit", 58.0),
    ("column-unit-price", 98.0),
    ("editor-discount", 58.0),
    ("editor-vat-rate", 58.0),
    ("column-net", 110.0),
    ("editor-line-actions", 120.0),
];

/// Draws the lines and the article picker; returns whether the draft changed.
///
/// Only the lines in view are laid out, and the one below them, so that Tab from the
/// last cell in view reaches the next line, which scrolls into view: an invoice of 500
/// lines costs about the frame of one of twenty. The lines are rows of equal height in a
/// table inside the editor's scroll area; each cell keeps its id (line, column), so the
/// cursor stays in its cell while other lines come and go.
/// A cell scrolled out of view by the wheel is not drawn, and egui drops the focus of a
/// widget it does not draw: the editor holds it ([`Editor::held_focus`]) and gives it back
/// when the cell is drawn again, unless the user has focused something else meanwhile.
pub fn lines_ui(ui: &mut egui::Ui, editor: &mut Editor, ctx: &Context<'_>) -> bool {
    let texts = ctx.texts;
    let count = editor.lines.len();
    let row_height = (ui.text_style_height(&egui::TextStyle::Body) + 8.0).max(ui.spacing().interact_size.y);
    let pitch = row_height + ui.spacing().item_spacing.y;
    // Something else focused (a field above, a button): the held cell lets go.
    let focused_elsewhere =
        ui.memory(egui::Memory::focused).is_some_and(|id| editor.held_focus.is_none_or(|h| h.id != id));
    // Only a cell that went out of view is given the focus back; one the user left in
    // view (Enter, Escape, a click beside it) stays left.
    let restore = editor.held_focus.filter(|held| held.away && !focused_elsewhere);
    let mut table = egui_extras::TableBuilder::new(ui)
        .id_salt("editor-lines")
        .striped(true)
        .vscroll(false)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center));
    for (_, width) in COLUMNS {
        table = table.column(egui_extras::Column::exact(width));
    }
    let grid = Grid {
        restore,
        names: [
            texts.get("editor-cell-description"),
            texts.get("editor-cell-quantity"),
            texts.get("editor-cell-unit"),
            texts.get("editor-cell-unit-price"),
            texts.get("editor-cell-discount"),
            texts.get("editor-cell-vat-rate"),
        ],
        count,
        fixed_rate: editor.regime.category().is_some(),
        ctx,
    };
    let mut drawn = Drawn::default();
    let focus_line = &mut editor.focus_line;
    let lines = &mut editor.lines;
    table
        .header(row_height, |mut header| {
            let ids: Vec<&str> = COLUMNS.iter().map(|(id, _)| *id).collect();
            crate::screens::column_titles_ui(&mut header, texts, &ids);
        })
        .body(|body| {
            body.rows(row_height, count, |mut row| {
                let index = row.index();
                line_row_ui(&mut row, &mut lines[index], index, focus_line, &grid, &mut drawn);
            });
        });
    let Drawn { mut changed, moved, mut add_after_last, mut scroll_to, first_line, focused, lines: drawn_lines } =
        drawn;
    editor.held_focus = match (focused, editor.held_focus) {
        (Some(cell), _) => Some(cell),
        // Drawn and asked to take the focus back this frame: it has it next frame.
        (None, Some(held)) if restore == Some(held) => Some(held),
        // Out of view: held until it comes back.
        (None, Some(held)) if drawn_lines.is_none_or(|(first, last)| held.line < first || held.line > last) => {
            (!focused_elsewhere).then_some(HeldFocus { away: true, ..held })
        }
        // In view and not focused: the user left it.
        _ => None,
    };
    // A line to focus that is not drawn (out of view): scrolled to, it is drawn next frame.
    if let (Some(line), Some((first, rect))) = (editor.focus_line, first_line) {
        #[allow(clippy::cast_precision_loss, reason = "line numbers are far below 2^23")]
        let lines_away = line as f32 - first as f32;
        scroll_to = Some(rect.translate(egui::vec2(0.0, lines_away * pitch)));
    }
    if let Some(rect) = scroll_to {
        ui.scroll_to_rect(rect, None);
    }
    if let Some(change) = moved {
        apply_move(&mut editor.lines, change);
        changed = true;
    }
    let rate = editor.rates.first().copied().unwrap_or(VatRate::ZERO);
    let mut add_section = false;
    ui.horizontal(|ui| {
        if ui.button(texts.get("editor-add-line")).clicked() {
            add_after_last = true;
        }
        add_section = ui.button(texts.get("editor-add-section")).clicked();
    });
    if add_section {
        editor.lines.push(LineInput::section_title(rate));
        changed = true;
        editor.focus_line = Some(editor.lines.len() - 1);
    }
    if add_after_last {
        editor.lines.push(LineInput::empty(rate));
        changed = true;
        // The cursor goes to the new line's description (next frame, once it is drawn).
        editor.focus_line = Some(editor.lines.len() - 1);
    }
    changed |= article_picker_ui(ui, editor, ctx);
    changed
}

/// The cell of the lines that has (or had, before the wheel took it out of view) the
/// keyboard focus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeldFocus {
    line: usize,
    column: usize,
    /// The cell's widget, to tell it from another widget that took the focus.
    id: egui::Id,
    /// Out of view since it had the focus.
    away: bool,
}

/// What every line's row draws with.
struct Grid<'a, 'c> {
    /// The held cell to give the focus back to, if drawn.
    restore: Option<HeldFocus>,
    /// The cells' accessible names, without the line's number.
    names: [String; 6],
    count: usize,
    /// Under an exemption regime every line bears 0 %: the rate cells are disabled.
    fixed_rate: bool,
    ctx: &'a Context<'c>,
}

/// What the rows drawn this frame found.
#[derive(Default)]
struct Drawn {
    changed: bool,
    moved: Option<LineMove>,
    add_after_last: bool,
    /// Where the editor's scroll area must bring into view: a cell that took the focus.
    /// Asked outside the table: its own scroll area, which does not scroll, would
    /// swallow the request.
    scroll_to: Option<egui::Rect>,
    /// The first line drawn and its description's place, to place the others.
    first_line: Option<(usize, egui::Rect)>,
    /// The cell that has the keyboard focus, if drawn.
    focused: Option<HeldFocus>,
    /// The first and last lines drawn.
    lines: Option<(usize, usize)>,
}

/// The row of line `index`: its cells, its net amount and its buttons.
fn line_row_ui(
    row: &mut egui_extras::TableRow<'_, '_>,
    input: &mut LineInput,
    index: usize,
    focus_line: &mut Option<usize>,
    grid: &Grid<'_, '_>,
    drawn: &mut Drawn,
) {
    let texts = grid.ctx.texts;
    let n = index + 1;
    drawn.lines = Some(drawn.lines.map_or((index, index), |(first, last)| (first.min(index), last.max(index))));
    let mut cell = |row: &mut egui_extras::TableRow<'_, '_>, text: &mut String, column: usize, wrong: bool| {
        let enabled = !(column == 5 && grid.fixed_rate);
        let mut response = None;
        row.col(|ui| {
            let mut edit = egui::TextEdit::singleline(text).desired_width(COLUMNS[column].1 - 8.0);
            if wrong {
                edit = edit.text_color(ui.visuals().error_fg_color);
            }
            let added = ui.add_enabled(enabled, edit);
            if added.has_focus() {
                drawn.focused = Some(HeldFocus { line: index, column, id: added.id, away: false });
            } else if grid.restore.is_some_and(|held| (held.line, held.column) == (index, column)) {
                added.request_focus();
            }
            if added.gained_focus() {
                // Tab into the line below the view: it comes into view.
                drawn.scroll_to = Some(added.rect);
            }
            crate::theme::name_for_screen_readers(ui, &added, format!("{} {n}", grid.names[column]));
            response = Some(added);
        });
        response.unwrap_or_else(|| row.response())
    };
    let description = cell(row, &mut input.line.description, 0, false);
    if *focus_line == Some(index) {
        description.request_focus();
        *focus_line = None;
    }
    if input.line.section {
        // A section title: its description alone, across a row of empty cells.
        for _ in 1..=6 {
            row.col(|_| {});
        }
        drawn.first_line.get_or_insert((index, description.rect));
        drawn.changed |= description.changed();
        row.col(|ui| {
            if let Some(change) = line_buttons_ui(ui, index, grid.count, texts) {
                drawn.moved = Some(change);
            }
        });
        if index + 1 == grid.count
            && description.lost_focus()
            && description.ctx.input(|i| i.key_pressed(egui::Key::Enter))
        {
            drawn.add_after_last = true;
        }
        return;
    }
    let quantity = cell(row, &mut input.quantity, 1, input.wrong[0]);
    let unit = cell(row, &mut input.line.unit, 2, false);
    let price = cell(row, &mut input.unit_price, 3, input.wrong[1]);
    let discount = cell(row, &mut input.discount, 4, input.wrong[2]);
    let rate = if grid.fixed_rate {
        // Under an exemption regime every line bears 0 %: the cell shows it, unchanged.
        cell(row, &mut "0".to_owned(), 5, false)
    } else {
        cell(row, &mut input.vat_rate, 5, input.wrong[3])
    };
    drawn.first_line.get_or_insert((index, description.rect));
    let numbers_changed = quantity.changed() || price.changed() || discount.changed() || rate.changed();
    if numbers_changed {
        input.read();
    }
    drawn.changed |= numbers_changed || description.changed() || unit.changed();
    row.col(|ui| {
        match input.line.net_amount() {
            Ok(net) => ui.label(grid.ctx.money(net)),
            Err(e) => ui.colored_label(ui.visuals().error_fg_color, texts.error(e.code(), &e.to_string())),
        };
    });
    row.col(|ui| {
        if let Some(change) = line_buttons_ui(ui, index, grid.count, texts) {
            drawn.moved = Some(change);
        }
    });
    // Enter in the last cell of the last line adds a line.
    if index + 1 == grid.count && rate.lost_focus() && rate.ctx.input(|i| i.key_pressed(egui::Key::Enter)) {
        drawn.add_after_last = true;
    }
}

/// The buttons at the end of line `index` (of `count`): up, down, duplicate, delete.
fn line_buttons_ui(ui: &mut egui::Ui, index: usize, count: usize, texts: &Texts) -> Option<LineMove> {
    let n = index + 1;
    let mut moved = None;
    ui.horizontal(|ui| {
        // Small symbols, named in full for the hover and for screen readers.
        let small = |ui: &mut egui::Ui, symbol: &str, id: &str| {
            let name = format!("{} {n}", texts.get(id));
            let response = ui.small_button(symbol);
            crate::theme::name_for_screen_readers(ui, &response, name.clone());
            response.on_hover_text(name).clicked()
        };
        if small(ui, "↑", "editor-line-up") && index > 0 {
            moved = Some(LineMove::Up(index));
        }
        if small(ui, "↓", "editor-line-down") && index + 1 < count {
            moved = Some(LineMove::Down(index));
        }
        if small(ui, "⊕", "editor-line-duplicate") {
            moved = Some(LineMove::Duplicate(index));
        }
        if small(ui, "×", "editor-line-delete") {
            moved = Some(LineMove::Delete(index));
        }
    });
    moved
}

fn apply_move(lines: &mut Vec<LineInput>, change: LineMove) {
    match change {
        LineMove::Up(i) => lines.swap(i - 1, i),
        LineMove::Down(i) => lines.swap(i, i + 1),
        LineMove::Duplicate(i) => {
            let copy = lines[i].clone();
            lines.insert(i + 1, copy);
        }
        LineMove::Delete(i) => {
            lines.remove(i);
        }
    }
}

/// The article picker: type a code or a name, pick one of the matches (or press Enter
/// for the first), and a line filled from it is added.
fn article_picker_ui(ui: &mut egui::Ui, editor: &mut Editor, ctx: &Context<'_>) -> bool {
    let texts = ctx.texts;
    let mut chosen: Option<Article> = None;
    ui.horizontal(|ui| {
        let label = ui.label(texts.get("editor-article"));
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut editor.article_query)
                    .hint_text(texts.get("editor-article-hint"))
                    .desired_width(260.0),
            )
            .labelled_by(label.id);
        let query = editor.article_query.trim().to_owned();
        if query.is_empty() {
            return;
        }
        // Asked once per query typed, not once per frame.
        if editor.article_matches.as_ref().is_none_or(|(q, _)| *q != query) {
            let found = ctx.reader.store().search_articles(&query, PICKER_LIMIT).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the article search failed");
                Vec::new()
            });
            editor.article_matches = Some((query.clone(), found));
        }
        let found = editor.article_matches.as_ref().map(|(_, found)| found.clone()).unwrap_or_default();
        let pressed_enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        ui.vertical(|ui| {
            if found.is_empty() {
                ui.weak(texts.get("editor-no-article"));
            }
            for article in &found {
                let text = format!("{} — {} ({})", article.code, article.name, ctx.money(article.unit_price));
                if ui.button(text).clicked() {
                    chosen = Some(article.clone());
                }
            }
        });
        if pressed_enter && chosen.is_none() {
            chosen = found.into_iter().next();
        }
    });
    let Some(article) = chosen else { return false };
    // An empty last line (the one a new document starts with) is replaced.
    if editor.lines.last().is_some_and(|l| l.line.description.is_empty() && l.line.unit_price.is_zero()) {
        editor.lines.pop();
    }
    editor.lines.push(LineInput::from_article(&article, ctx.texts.language()));
    editor.article_query.clear();
    true
}
