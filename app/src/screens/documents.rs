//! The four document lists (quotes, invoices, credit notes, delivery notes): a table
//! that reads only the rows in view, sorted by a click on a column's title, filtered by
//! status and period, and searched in full text.

use chrono::{Datelike as _, Months, NaiveDate};
use comptoir_core::model::{DocumentId, DocumentKind, DocumentStatus};
use comptoir_core::store::{
    AgeBucket, Cursor, DocumentFilter, DocumentRow, DocumentSort, PageRequest, SortDirection, StoreError,
};
use egui_extras::{Column, TableBuilder};

use super::rows::{BLOCK, BlockRequest, RowBlocks};
use super::{Context, share};
use crate::reader::{BOOKMARK_EVERY, Question};

/// How many search results a list shows.
pub const SEARCH_LIMIT: u32 = 500;
const ROW_HEIGHT: f32 = 24.0;

/// Which documents the status filter keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusChoice {
    All,
    /// Issued invoices not fully paid.
    Unpaid,
    One(DocumentStatus),
}

/// The period filter, on the issue date.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Period {
    #[default]
    All,
    ThisMonth,
    LastMonth,
    ThisYear,
    LastYear,
    /// One calendar month, by its first day (from the dashboard's sales chart).
    Month(NaiveDate),
}

impl Period {
    pub const ALL: [Self; 5] = [Self::All, Self::ThisMonth, Self::LastMonth, Self::ThisYear, Self::LastYear];

    pub fn text_id(self) -> &'static str {
        match self {
            Self::All => "period-all",
            Self::ThisMonth => "period-this-month",
            Self::LastMonth => "period-last-month",
            Self::ThisYear => "period-this-year",
            Self::LastYear => "period-last-year",
            Self::Month(_) => "period-month",
        }
    }

    /// The period's name in the user's language.
    pub fn text(self, texts: &crate::i18n::Texts) -> String {
        match self {
            Self::Month(first) => texts.with("period-month", &[("month", month_text(first, texts).into())]),
            other => texts.get(other.text_id()),
        }
    }

    /// The first and last day, as of `today`.
    pub fn range(self, today: NaiveDate) -> (Option<NaiveDate>, Option<NaiveDate>) {
        let month_start = today.with_day(1).unwrap_or(today);
        let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
        match self {
            Self::All => (None, None),
            Self::ThisMonth => (Some(month_start), Some(today)),
            Self::LastMonth => (month_start.checked_sub_months(Months::new(1)), month_start.pred_opt()),
            Self::ThisYear => (Some(year_start), Some(today)),
            Self::LastYear => (year_start.checked_sub_months(Months::new(12)), year_start.pred_opt()),
            Self::Month(day) => {
                let first = day.with_day(1).unwrap_or(day);
                (Some(first), first.checked_add_months(Months::new(1)).and_then(|next| next.pred_opt()))
            }
        }
    }
}

/// A month and its year: `novembre 2026`.
pub fn month_text(month: NaiveDate, texts: &crate::i18n::Texts) -> String {
    format!("{} {}", texts.get(&format!("month-{}", month.month())), month.year())
}

/// An age bucket of receivables in words: `1 à 30 jours de retard`.
pub fn age_text(bucket: AgeBucket, texts: &crate::i18n::Texts) -> String {
    texts.get(&format!("dashboard-age-{}", age_id(bucket)))
}

/// The part of a bucket's locale ids that names it (`1-30`).
pub fn age_id(bucket: AgeBucket) -> &'static str {
    match bucket {
        AgeBucket::NotDue => "not-due",
        AgeBucket::Days1To30 => "1-30",
        AgeBucket::Days31To60 => "31-60",
        AgeBucket::Days61To90 => "61-90",
        AgeBucket::Over90 => "over-90",
    }
}

/// The statuses a kind of document goes through.
fn statuses(kind: DocumentKind) -> &'static [DocumentStatus] {
    use DocumentStatus::{Accepted, Converted, Declined, Draft, Issued, Paid, PartiallyPaid};
    match kind {
        DocumentKind::Quote => &[Draft, Issued, Accepted, Declined, Converted],
        DocumentKind::Invoice | DocumentKind::CreditNote => &[Draft, Issued, PartiallyPaid, Paid],
        DocumentKind::DeliveryNote => &[Draft, Issued],
    }
}

/// The words of a status (`status-issued` …).
pub fn status_text(status: DocumentStatus, texts: &crate::i18n::Texts) -> String {
    texts.get(&format!("status-{}", status.as_str().replace('_', "-")))
}

/// One document list's state.
#[derive(Debug)]
pub struct DocumentList {
    pub kind: DocumentKind,
    pub sort: DocumentSort,
    pub direction: SortDirection,
    pub status: StatusChoice,
    pub period: Period,
    /// Unpaid invoices of one age only (from the dashboard's receivables chart).
    pub due: Option<AgeBucket>,
    /// What is typed in the search box.
    pub search: String,
    rows: RowBlocks<DocumentRow>,
    /// How many rows the filters keep, once counted.
    pub total: Option<u64>,
    /// The count asked for and not answered yet.
    counting: Option<u64>,
    /// The filter as last counted; a change asks again.
    counted: Option<DocumentFilter>,
    /// The search asked for: its generation and text.
    searching: Option<(u64, String)>,
    /// The results of the last search answered.
    pub results: Option<(String, Vec<DocumentRow>)>,
    /// The order or the filters changed: the table shows its first rows again.
    scroll_to_top: bool,
    /// Cursors every [`BOOKMARK_EVERY`] rows in the current order, once read, and the
    /// question asked for them.
    bookmarks: Vec<Cursor>,
    bookmarking: Option<u64>,
    bookmarked: Option<(DocumentFilter, DocumentSort, SortDirection)>,
}

impl Default for DocumentList {
    fn default() -> Self {
        Self::new(DocumentKind::Invoice)
    }
}

impl DocumentList {
    pub fn new(kind: DocumentKind) -> Self {
        Self {
            kind,
            sort: DocumentSort::Date,
            direction: SortDirection::Descending,
            status: StatusChoice::All,
            period: Period::All,
            due: None,
            search: String::new(),
            rows: RowBlocks::default(),
            total: None,
            counting: None,
            counted: None,
            searching: None,
            results: None,
            scroll_to_top: false,
            bookmarks: Vec::new(),
            bookmarking: None,
            bookmarked: None,
        }
    }

    pub fn filter(&self, today: NaiveDate) -> DocumentFilter {
        let (from, to) = self.period.range(today);
        let statuses = match self.status {
            StatusChoice::All => Vec::new(),
            StatusChoice::Unpaid => vec![DocumentStatus::Issued, DocumentStatus::PartiallyPaid],
            StatusChoice::One(status) => vec![status],
        };
        let (due_from, due_to) = self.due.map_or((None, None), |bucket| bucket.due_range(today));
        DocumentFilter { kind: self.kind, statuses, from, to, contact: None, due_from, due_to }
    }

    /// Shows only the documents of this status choice (from the dashboard).
    pub fn show_only(&mut self, status: StatusChoice) {
        self.show(status, Period::All, None);
    }

    /// Shows the documents of one month, whatever their status (the sales chart).
    pub fn show_month(&mut self, month: NaiveDate) {
        self.show(StatusChoice::All, Period::Month(month), None);
    }

    /// Shows the unpaid invoices of one age (the receivables chart).
    pub fn show_age(&mut self, bucket: AgeBucket) {
        self.show(StatusChoice::Unpaid, Period::All, Some(bucket));
    }

    fn show(&mut self, status: StatusChoice, period: Period, due: Option<AgeBucket>) {
        self.status = status;
        self.period = period;
        self.due = due;
        self.search.clear();
        self.order_changed();
    }

    pub fn data_changed(&mut self) {
        self.rows.clear();
        // The count and the search are asked again; the old ones show meanwhile.
        self.counted = None;
        self.counting = None;
        self.searching = None;
        self.forget_bookmarks();
        if let Some((text, _)) = &mut self.results {
            text.clear();
        }
    }

    fn order_changed(&mut self) {
        self.rows.clear();
        self.scroll_to_top = true;
        self.forget_bookmarks();
        self.counted = None;
        self.counting = None;
        self.total = None;
        self.results = None;
        self.searching = None;
    }

    pub fn on_count(&mut self, generation: u64, count: &Result<u64, StoreError>) {
        if self.counting == Some(generation) {
            self.counting = None;
            match count {
                Ok(count) => self.total = Some(*count),
                Err(e) => tracing::warn!(error = %e, "a list could not be counted"),
            }
        }
    }

    pub fn on_bookmarks(&mut self, generation: u64, bookmarks: &Result<Vec<Cursor>, StoreError>) {
        if self.bookmarking == Some(generation) {
            self.bookmarking = None;
            match bookmarks {
                Ok(bookmarks) => self.bookmarks.clone_from(bookmarks),
                Err(e) => tracing::warn!(error = %e, "a list's bookmarks could not be read"),
            }
        }
    }

    /// The order or the rows changed: bookmarks are read again.
    fn forget_bookmarks(&mut self) {
        self.bookmarks.clear();
        self.bookmarking = None;
        self.bookmarked = None;
    }

    pub fn searching_for(&self, generation: u64) -> bool {
        self.searching.as_ref().is_some_and(|(g, _)| *g == generation)
    }

    pub fn on_search(&mut self, rows: Result<Vec<DocumentRow>, StoreError>) {
        let Some((_, text)) = self.searching.take() else { return };
        match rows {
            Ok(rows) => self.results = Some((text, rows)),
            Err(e) => tracing::warn!(error = %e, "a search failed"),
        }
    }

    /// Asks the background thread for what this list lacks: its count, its search.
    fn ask(&mut self, ctx: &mut Context<'_>) {
        let filter = self.filter(ctx.today);
        if self.counted.as_ref() != Some(&filter) && self.counting.is_none() {
            let generation = ctx.generation();
            if ctx.reader.ask(Question::CountDocuments { generation, filter: filter.clone() }) {
                self.counting = Some(generation);
                self.counted = Some(filter.clone());
            }
        }
        let order = (filter.clone(), self.sort, self.direction);
        if self.bookmarked.as_ref() != Some(&order) && self.bookmarking.is_none() {
            let generation = ctx.generation();
            let question =
                Question::Bookmarks { generation, filter: filter.clone(), sort: self.sort, direction: self.direction };
            if ctx.reader.ask(question) {
                self.bookmarking = Some(generation);
                self.bookmarked = Some(order);
            }
        }
        let text = self.search.trim().to_owned();
        if text.is_empty() {
            self.results = None;
            self.searching = None;
            return;
        }
        let answered = self.results.as_ref().is_some_and(|(t, _)| *t == text);
        let asked = self.searching.as_ref().is_some_and(|(_, t)| *t == text);
        if !answered && !asked {
            let generation = ctx.generation();
            let question = Question::SearchDocuments { generation, filter, text: text.clone(), limit: SEARCH_LIMIT };
            if ctx.reader.ask(question) {
                self.searching = Some((generation, text));
            }
        }
    }

    /// Row `index` of the list as sorted and filtered by `filter` (this list's
    /// [`Self::filter`], built once a frame).
    fn row(&mut self, index: usize, filter: &DocumentFilter, ctx: &Context<'_>) -> Option<&DocumentRow> {
        let (sort, direction) = (self.sort, self.direction);
        let store = ctx.reader.store();
        let bookmarks = &self.bookmarks;
        self.rows.row(index, |request: BlockRequest<'_, DocumentRow>| {
            // Next to a block already read, page from its edge (a B-tree descent); far
            // from any, from the nearest bookmark before it (a short index walk), or by
            // offset while the bookmarks are being read.
            let offset = request.offset();
            let bookmark = usize::try_from(offset / BOOKMARK_EVERY).ok().and_then(|i| i.checked_sub(1));
            let page = if let Some(last) = request.previous.and_then(<[_]>::last) {
                PageRequest::After(last.cursor.clone())
            } else if let Some(first) = request.next.and_then(<[_]>::first) {
                PageRequest::Before(first.cursor.clone())
            } else if let Some(cursor) = bookmark.and_then(|i| bookmarks.get(i)) {
                PageRequest::AfterSkipping(cursor.clone(), offset % BOOKMARK_EVERY)
            } else {
                PageRequest::Offset(offset)
            };
            store.list_documents(filter, sort, direction, &page, BLOCK).map(|page| page.rows)
        })
    }

    fn sort_by(&mut self, sort: DocumentSort) {
        if self.sort == sort {
            self.direction = match self.direction {
                SortDirection::Ascending => SortDirection::Descending,
                SortDirection::Descending => SortDirection::Ascending,
            };
        } else {
            self.sort = sort;
            self.direction = match sort {
                DocumentSort::Customer => SortDirection::Ascending,
                DocumentSort::Date | DocumentSort::Number => SortDirection::Descending,
            };
        }
        self.rows.clear();
        self.scroll_to_top = true;
        self.forget_bookmarks();
    }
}

fn title_id(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Quote => "nav-quotes",
        DocumentKind::Invoice => "nav-invoices",
        DocumentKind::CreditNote => "nav-credit-notes",
        DocumentKind::DeliveryNote => "nav-delivery-notes",
    }
}

/// What the user asked of a document list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListAction {
    /// Show this document's detail.
    Open(DocumentId),
    /// Write a new document of the list's kind.
    New,
}

/// Draws a document list; returns what the user asked of it.
pub fn document_list_ui(ui: &mut egui::Ui, list: &mut DocumentList, ctx: &mut Context<'_>) -> Option<ListAction> {
    let texts = ctx.texts;
    let mut new = false;
    ui.horizontal(|ui| {
        ui.heading(texts.get(title_id(list.kind)));
        let blocked = ctx.cannot(comptoir_core::model::Permission::EditDocuments);
        new = super::action_button(
            ui,
            &texts.get(&format!("new-{}", list.kind.as_str().replace('_', "-"))),
            blocked.as_deref(),
        );
    });
    let before = (list.status, list.period, list.due);
    ui.horizontal(|ui| {
        let label = ui.label(texts.get("list-search"));
        ui.add(
            egui::TextEdit::singleline(&mut list.search).hint_text(texts.get("list-search-hint")).desired_width(260.0),
        )
        .labelled_by(label.id);
        let current = match list.status {
            StatusChoice::All => texts.get("status-all"),
            StatusChoice::Unpaid => texts.get("status-unpaid"),
            StatusChoice::One(status) => status_text(status, texts),
        };
        egui::ComboBox::new(("status", list.kind.as_str()), texts.get("list-status")).selected_text(current).show_ui(
            ui,
            |ui| {
                ui.selectable_value(&mut list.status, StatusChoice::All, texts.get("status-all"));
                if list.kind == DocumentKind::Invoice {
                    ui.selectable_value(&mut list.status, StatusChoice::Unpaid, texts.get("status-unpaid"));
                }
                for status in statuses(list.kind) {
                    ui.selectable_value(&mut list.status, StatusChoice::One(*status), status_text(*status, texts));
                }
            },
        );
        egui::ComboBox::new(("period", list.kind.as_str()), texts.get("list-period"))
            .selected_text(list.period.text(texts))
            .show_ui(ui, |ui| {
                for period in Period::ALL {
                    ui.selectable_value(&mut list.period, period, texts.get(period.text_id()));
                }
            });
    });
    if let Some(bucket) = list.due {
        ui.horizontal(|ui| {
            ui.label(texts.with("list-due-filter", &[("bucket", age_text(bucket, texts).into())]));
            let clear = ui.small_button("✕");
            crate::theme::name_for_screen_readers(ui, &clear, texts.get("list-due-filter-clear"));
            if clear.on_hover_text(texts.get("list-due-filter-clear")).clicked() {
                list.due = None;
            }
        });
    }
    if (list.status, list.period, list.due) != before {
        list.order_changed();
    }
    list.ask(ctx);

    let searching = !list.search.trim().is_empty();
    let count_text = if searching {
        match &list.results {
            Some((_, rows)) if rows.len() >= SEARCH_LIMIT as usize => {
                texts.with("list-search-first", &[("count", rows.len().into())])
            }
            Some((_, rows)) => texts.with("list-search-count", &[("count", rows.len().into())]),
            None => texts.get("list-searching"),
        }
    } else {
        match list.total {
            Some(total) => texts.with("list-count", &[("count", total.into())]),
            None => texts.get("list-counting"),
        }
    };
    ui.label(count_text);
    if ctx.partial {
        // The download goes on: what it brings is listed, but searchable only at its end.
        let partial = if searching { "list-search-partial" } else { "list-partial" };
        ui.label(egui::RichText::new(texts.get(partial)).italics());
    }
    ui.separator();
    let opened = table_ui(ui, list, ctx, searching).map(ListAction::Open);
    if new { Some(ListAction::New) } else { opened }
}

#[allow(clippy::too_many_lines, reason = "one table: its columns, header and rows read best together")]
fn table_ui(ui: &mut egui::Ui, list: &mut DocumentList, ctx: &Context<'_>, searching: bool) -> Option<DocumentId> {
    let texts = ctx.texts;
    let mut opened = None;
    let mut sort = None;
    let filter = list.filter(ctx.today);
    let rows = if searching {
        list.results.as_ref().map_or(0, |(_, rows)| rows.len())
    } else {
        // Until counted, the rows read so far (at least the first block).
        list.total.map_or_else(
            || {
                list.row(0, &filter, ctx);
                list.rows.loaded()
            },
            |total| usize::try_from(total).unwrap_or(usize::MAX),
        )
    };
    let arrow = |s: DocumentSort| match (list.sort == s, list.direction) {
        (false, _) => "",
        (true, SortDirection::Ascending) => " ↑",
        (true, SortDirection::Descending) => " ↓",
    };
    let headers = [
        (texts.get("column-number") + arrow(DocumentSort::Number), Some(DocumentSort::Number)),
        (texts.get("column-customer") + arrow(DocumentSort::Customer), Some(DocumentSort::Customer)),
        (texts.get("column-date") + arrow(DocumentSort::Date), Some(DocumentSort::Date)),
        (texts.get("column-due"), None),
        (texts.get("column-total"), None),
        (texts.get("column-paid"), None),
        (texts.get("column-status"), None),
    ];
    let width = ui.available_width();
    let mut table = TableBuilder::new(ui);
    if std::mem::take(&mut list.scroll_to_top) {
        // At once, not animated: every step of an animation would read rows far apart.
        table = table.vertical_scroll_offset(0.0);
    }
    table
        .id_salt(("documents", list.kind.as_str()))
        .striped(true)
        .column(Column::exact(share(width, 0.14, 90.0)).clip(true))
        .column(Column::remainder().at_least(80.0).clip(true))
        .column(Column::exact(share(width, 0.1, 70.0)))
        .column(Column::exact(share(width, 0.1, 70.0)))
        .column(Column::exact(share(width, 0.12, 80.0)).clip(true))
        .column(Column::exact(share(width, 0.12, 80.0)).clip(true))
        .column(Column::exact(share(width, 0.12, 70.0)).clip(true))
        .header(ROW_HEIGHT, |mut header| {
            for (title, by) in &headers {
                header.col(|ui| match by {
                    Some(by) if !searching => {
                        if ui.button(crate::theme::bold(title.as_str())).clicked() {
                            sort = Some(*by);
                        }
                    }
                    _ => {
                        ui.label(crate::theme::bold(title.as_str()));
                    }
                });
            }
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, rows, |mut row| {
                let index = row.index();
                let document = if searching {
                    list.results.as_ref().and_then(|(_, rows)| rows.get(index))
                } else {
                    list.row(index, &filter, ctx)
                };
                let Some(document) = document else {
                    row.col(|ui| {
                        ui.weak("…");
                    });
                    return;
                };
                let number = document.number.clone().unwrap_or_else(|| {
                    if document.status == DocumentStatus::Draft {
                        texts.get("document-draft")
                    } else {
                        texts.get("document-number-pending")
                    }
                });
                let id = document.id;
                let cells = [
                    document.customer_name.clone(),
                    ctx.date(document.issue_date),
                    document.due_date.map(|d| ctx.date(d)).unwrap_or_default(),
                    ctx.money(document.gross),
                    ctx.money(document.paid),
                    status_text(document.status, texts),
                ];
                row.col(|ui| {
                    if ui.link(number).clicked() {
                        opened = Some(id);
                    }
                });
                for (i, cell) in cells.into_iter().enumerate() {
                    row.col(|ui| {
                        if (3..5).contains(&i) {
                            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| ui.label(cell));
                        } else {
                            ui.label(cell);
                        }
                    });
                }
            });
        });

    if let Some(by) = sort {
        list.sort_by(by);
    }
    opened
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_cover_whole_months_and_years() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        let today = day(2026, 3, 15).unwrap_or_default();
        assert_eq!(Period::ThisMonth.range(today), (day(2026, 3, 1), day(2026, 3, 15)));
        assert_eq!(Period::LastMonth.range(today), (day(2026, 2, 1), day(2026, 2, 28)));
        assert_eq!(Period::ThisYear.range(today), (day(2026, 1, 1), day(2026, 3, 15)));
        assert_eq!(Period::LastYear.range(today), (day(2025, 1, 1), day(2025, 12, 31)));
        assert_eq!(Period::All.range(today), (None, None));
        let february = day(2028, 2, 1).unwrap_or_default();
        assert_eq!(Period::Month(february).range(today), (day(2028, 2, 1), day(2028, 2, 29)));
    }
}
