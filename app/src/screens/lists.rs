//! The contact, article and payment lists, and the new-contact form. A block of rows is
//! read after the block before it (keyset, from the sort index) as the list scrolls; a
//! jump into the middle reads by offset.

use comptoir_core::model::{Contact, ContactId, Country, Permission};
use comptoir_core::store::StoreError;
use egui_extras::{Column, TableBuilder};

use super::contact_form::{ContactForm, contact_form_ui};
use super::rows::{BLOCK, RowBlocks};
use super::{Context, action_button, column_titles_ui, share};
use crate::reader::{Question, SimpleList};

const ROW_HEIGHT: f32 = 24.0;

/// A list's rows and count.
#[derive(Debug)]
pub struct Paged<T> {
    list: SimpleList,
    pub(crate) rows: RowBlocks<T>,
    pub total: Option<u64>,
    counting: Option<u64>,
    counted: bool,
}

impl<T> Paged<T> {
    pub(crate) fn new(list: SimpleList) -> Self {
        Self { list, rows: RowBlocks::default(), total: None, counting: None, counted: false }
    }

    pub fn data_changed(&mut self) {
        self.rows.clear();
        self.counted = false;
        self.counting = None;
    }

    pub fn on_count(&mut self, generation: u64, list: SimpleList, count: &Result<u64, StoreError>) {
        if list == self.list && self.counting == Some(generation) {
            self.counting = None;
            match count {
                Ok(count) => self.total = Some(*count),
                Err(e) => tracing::warn!(error = %e, "a list could not be counted"),
            }
        }
    }

    pub(crate) fn ask(&mut self, ctx: &mut Context<'_>) {
        if !self.counted && self.counting.is_none() {
            let generation = ctx.generation();
            if ctx.reader.ask(Question::Count { generation, list: self.list }) {
                self.counting = Some(generation);
                self.counted = true;
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.total.map_or_else(|| self.rows.loaded(), |n| usize::try_from(n).unwrap_or(usize::MAX))
    }
}

/// The contact list and its form.
#[derive(Debug)]
pub struct ContactList {
    paged: Paged<Contact>,
    pub form: Option<ContactForm>,
}

impl Default for ContactList {
    fn default() -> Self {
        Self { paged: Paged::new(SimpleList::Contacts), form: None }
    }
}

impl ContactList {
    pub fn data_changed(&mut self) {
        self.paged.data_changed();
    }

    pub fn on_count(&mut self, generation: u64, list: SimpleList, count: &Result<u64, StoreError>) {
        self.paged.on_count(generation, list, count);
    }

    /// The engine answered an edit: the form closes when it was its own, or shows why
    /// it was refused.
    pub fn on_edit(&mut self, request: u64, refused: Option<String>) {
        if self.form.as_mut().is_some_and(|form| form.on_edit(request, refused)) {
            self.form = None;
        }
    }
}

/// The contact list; returns the contact the user opened.
pub fn contacts_ui(ui: &mut egui::Ui, list: &mut ContactList, ctx: &mut Context<'_>) -> Option<ContactId> {
    let texts = ctx.texts;
    ui.heading(texts.get("nav-contacts"));
    let blocked = ctx.cannot(Permission::EditContacts);
    ui.horizontal(|ui| {
        if action_button(ui, &texts.get("contact-new"), blocked.as_deref()) {
            let country = ctx.reader.store().company().map_or(Country::France, |c| c.address.country);
            list.form = Some(ContactForm::new(&country));
        }
    });
    if blocked.is_some() {
        list.form = None;
    }
    if let Some(form) = &mut list.form
        && !contact_form_ui(ui, form, ctx)
    {
        list.form = None;
    }
    list.paged.ask(ctx);
    ui.label(match list.paged.total {
        Some(total) => texts.with("list-count", &[("count", total.into())]),
        None => texts.get("list-counting"),
    });
    let store = ctx.reader.store();
    if list.paged.total.is_none() {
        list.paged.rows.row(0, |_| store.list_contacts(true, 0, BLOCK));
    }
    let mut opened = None;
    let rows = list.paged.len();
    let headers = ["column-name", "column-city", "column-email", "column-phone", "column-vat"];
    let width = ui.available_width();
    TableBuilder::new(ui)
        .id_salt("contacts")
        .striped(true)
        .column(Column::remainder().at_least(100.0).clip(true))
        .columns(Column::exact(share(width, 0.18, 80.0)).clip(true), 2)
        .column(Column::exact(share(width, 0.14, 80.0)).clip(true))
        .column(Column::exact(share(width, 0.16, 80.0)).clip(true))
        .header(ROW_HEIGHT, |mut header| column_titles_ui(&mut header, texts, &headers))
        .body(|body| {
            body.rows(ROW_HEIGHT, rows, |mut row| {
                let index = row.index();
                // After the block before, from the sort index; else (a jump) by offset.
                let contact = list.paged.rows.row(index, |r| match r.previous.and_then(<[Contact]>::last) {
                    Some(previous) => store.list_contacts_after(true, previous.id, BLOCK),
                    None => store.list_contacts(true, r.offset(), BLOCK),
                });
                let Some(contact) = contact else { return };
                let id = contact.id;
                let name = if contact.archived {
                    texts.with("contact-archived", &[("name", contact.name.clone().into())])
                } else {
                    contact.name.clone()
                };
                let cells = [
                    contact.billing_address.city.clone(),
                    contact.email.clone().unwrap_or_default(),
                    contact.phone.clone().unwrap_or_default(),
                    contact.vat_number.as_ref().map(ToString::to_string).unwrap_or_default(),
                ];
                row.col(|ui| {
                    if ui.link(name).clicked() {
                        opened = Some(id);
                    }
                });
                for cell in cells {
                    row.col(|ui| {
                        ui.label(cell);
                    });
                }
            });
        });

    opened
}

/// A column of a plain list: its title's id, and its width as a share of the table's
/// (`None`: the rest).
pub(crate) type ColumnSpec = (&'static str, Option<(f32, f32)>);

/// A list of text cells, read a block at a time by offset: its count and its table;
/// returns the row whose first cell (a link) was clicked.
pub(crate) fn paged_text_list_ui<T: Clone>(
    ui: &mut egui::Ui,
    list: &mut Paged<T>,
    ctx: &mut Context<'_>,
    title_id: &str,
    columns: &[ColumnSpec],
    read: impl Fn(&comptoir_core::store::CompanyStore, Option<&T>, u64) -> Result<Vec<T>, StoreError>,
    cells: impl Fn(&T, &Context<'_>) -> Vec<String>,
) -> Option<T> {
    let texts = ctx.texts;
    list.ask(ctx);
    ui.label(match list.total {
        Some(total) => texts.with("list-count", &[("count", total.into())]),
        None => texts.get("list-counting"),
    });
    let store = ctx.reader.store();
    if list.total.is_none() {
        list.rows.row(0, |_| read(store, None, 0));
    }
    let rows = list.len();
    let width = ui.available_width();
    let mut clicked = None;
    let mut table = TableBuilder::new(ui).id_salt(title_id).striped(true);
    for (_, share_of) in columns {
        table = table.column(match share_of {
            Some((part, min)) => Column::exact(share(width, *part, *min)).clip(true),
            None => Column::remainder().at_least(100.0).clip(true),
        });
    }
    table
        .header(ROW_HEIGHT, |mut header| {
            let ids: Vec<&str> = columns.iter().map(|(id, _)| *id).collect();
            column_titles_ui(&mut header, texts, &ids);
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, rows, |mut row| {
                let index = row.index();
                let Some(item) = list.rows.row(index, |r| read(store, r.previous.and_then(<[T]>::last), r.offset()))
                else {
                    return;
                };
                for (column, cell) in cells(item, ctx).into_iter().enumerate() {
                    row.col(|ui| {
                        if column > 0 {
                            ui.label(cell);
                        } else if ui.link(cell).clicked() {
                            clicked = Some(item.clone());
                        }
                    });
                }
            });
        });
    clicked
}
