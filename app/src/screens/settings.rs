//! Paramètres: the company's identity, logo and numbering, and its chart of accounts.
//! Owners and admins change them; every other role (and a read-only copy) sees them with
//! the controls disabled and the reason beside them. Changes go to the engine as intents
//! (`UpdateCompany`, `SetLogo`, `SetNumbering`, `SetAccountPlan`): the same rules check
//! them here, in the engine and on the server.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

use chrono::Datelike as _;
use comptoir_core::accounting::AccountPlan;
use comptoir_core::model::{
    Bic, Company, Country, DocumentKind, Iban, Logo, ModelError, NationalId, NumberingSeries, Permission, VatNumber,
    YearInNumber,
};
use comptoir_core::sync::Intent;

use super::{Context, action_button, choose_file_to_open, waker};
use crate::format::{decimal_input, parse_decimal};
use crate::i18n::Texts;

pub fn settings_ui(ui: &mut egui::Ui, state: &mut SettingsState, ctx: &mut Context<'_>) {
    let texts = ctx.texts;
    ui.heading(texts.get("nav-settings"));
    let company = match ctx.reader.store().company() {
        Ok(company) => company,
        Err(e) => {
            ui.label(texts.error(e.code(), &e.to_string()));
            return;
        }
    };
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        if let Some(text) = missing_text(&company, texts) {
            banner_ui(ui, &text);
            ui.add_space(8.0);
        }
        // Two columns, so that a usual window shows every section without scrolling.
        ui.columns(2, |columns| {
            let [left, right] = columns else { return };
            company_ui(left, state, ctx, &company);
            numbering_ui(right, state, ctx);
            right.add_space(12.0);
            accounts_ui(right, state, ctx, &company.address.country);
            right.add_space(12.0);
            egui::CollapsingHeader::new(crate::theme::bold(texts.get("templates-title")))
                .show(right, |ui| super::templates::templates_ui(ui, &mut state.templates, ctx, company.id));
        });
        super::mail_settings::mail_settings_ui(ui, &mut state.mail, ctx);
    });
}

/// What the company must still fill in before its invoices carry the legal mentions, in
/// the user's words; `None` when nothing is missing.
pub fn missing_text(company: &Company, texts: &Texts) -> Option<String> {
    let missing = company.missing_for_invoices();
    if missing.is_empty() {
        return None;
    }
    let fields: Vec<String> = missing.iter().map(|field| texts.get(&format!("settings-field-{field}"))).collect();
    Some(texts.with("settings-missing", &[("fields", fields.join(", ").into())]))
}

fn banner_ui(ui: &mut egui::Ui, text: &str) {
    egui::Frame::group(ui.style()).fill(ui.visuals().warn_fg_color.gamma_multiply(0.15)).show(ui, |ui| {
        ui.label(text);
    });
}

/// The dashboard's notice while the company's details are incomplete; true when the user
/// asks to open Paramètres.
pub fn missing_notice_ui(ui: &mut egui::Ui, ctx: &Context<'_>) -> bool {
    let Some(text) = ctx.reader.store().company().ok().and_then(|company| missing_text(&company, ctx.texts)) else {
        return false;
    };
    let mut open = false;
    egui::Frame::group(ui.style()).fill(ui.visuals().warn_fg_color.gamma_multiply(0.15)).show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.label(text);
            open = ui.button(ctx.texts.get("settings-missing-open")).clicked();
        });
    });
    ui.add_space(8.0);
    open
}

/// The Paramètres screen's state: the forms being edited and the answers awaited.
#[derive(Debug, Default)]
pub struct SettingsState {
    /// The chart as typed, while it is being changed.
    form: Option<AccountPlan>,
    /// The edit sent, until the engine answers.
    sent: Option<u64>,
    /// The last answer: saved, or why not.
    pub message: Option<(String, bool)>,
    /// Modèles: the company's document templates.
    pub templates: super::templates::TemplatesState,
    /// The company as typed (kept while it differs from what the copy holds).
    company: Option<CompanyForm>,
    numbering: Option<NumberingForm>,
    /// The company's edits sent (`UpdateCompany`, `SetLogo`), until the engine answers.
    company_sent: Answers,
    numbering_sent: Answers,
    /// The e-mail section (SMTP settings and texts).
    pub mail: super::mail_settings::MailSettingsState,
}

/// Edits sent together, and what became of them.
#[derive(Debug, Default)]
struct Answers {
    waiting: Vec<u64>,
    refused: bool,
    message: Option<(String, bool)>,
}

impl Answers {
    fn send(&mut self, requests: Vec<u64>) {
        self.waiting = requests;
        self.refused = false;
        self.message = None;
    }

    /// Takes the engine's answer to `request`; true when it was the last one awaited and
    /// every edit was applied.
    fn answer(&mut self, request: u64, refused: Option<String>, saved: impl FnOnce() -> String) -> Option<bool> {
        let at = self.waiting.iter().position(|r| *r == request)?;
        self.waiting.remove(at);
        if let Some(reason) = refused {
            self.refused = true;
            self.message = Some((reason, true));
        }
        let done = self.waiting.is_empty() && !self.refused;
        if done {
            self.message = Some((saved(), false));
        }
        Some(done)
    }

    fn message_ui(&self, ui: &mut egui::Ui) {
        if let Some((message, failed)) = &self.message {
            let text = egui::RichText::new(message.as_str());
            ui.label(if *failed { text.color(ui.visuals().error_fg_color) } else { text });
        }
    }
}

impl SettingsState {
    pub fn on_edit(&mut self, request: u64, refused: Option<String>, texts: &crate::i18n::Texts) {
        if self.company_sent.answer(request, refused.clone(), || texts.get("settings-company-saved")) == Some(true) {
            self.company = None;
        }
        if self.numbering_sent.answer(request, refused.clone(), || texts.get("settings-numbering-saved")) == Some(true)
        {
            self.numbering = None;
        }
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

/// The company's fields as the user types them.
#[derive(Clone, Debug, PartialEq, Eq)]
struct CompanyFields {
    legal_name: String,
    legal_form: String,
    share_capital: String,
    register_city: String,
    street: String,
    street2: String,
    postcode: String,
    city: String,
    national_id: String,
    vat_number: String,
    vat_exempt: bool,
    iban: String,
    bic: String,
    payment_terms_days: String,
    late_penalty_rate: String,
    early_payment_discount: String,
}

impl CompanyFields {
    fn of(company: &Company, texts: &Texts) -> Self {
        let text = |value: Option<String>| value.unwrap_or_default();
        let decimal = |value: Option<rust_decimal::Decimal>| text(value.map(|v| decimal_input(v, texts.language())));
        Self {
            legal_name: company.legal_name.clone(),
            legal_form: company.legal_form.clone(),
            share_capital: decimal(company.share_capital),
            register_city: company.register_city.clone(),
            street: company.address.street.clone(),
            street2: company.address.street2.clone(),
            postcode: company.address.postcode.clone(),
            city: company.address.city.clone(),
            national_id: text(company.national_id.as_ref().map(ToString::to_string)),
            vat_number: text(company.vat_number.as_ref().map(ToString::to_string)),
            vat_exempt: company.vat_exempt,
            iban: text(company.iban.as_ref().map(ToString::to_string)),
            bic: text(company.bic.as_ref().map(|bic| bic.as_str().to_owned())),
            payment_terms_days: company.payment_terms_days.to_string(),
            late_penalty_rate: decimal(company.late_penalty_rate),
            early_payment_discount: company.early_payment_discount.clone(),
        }
    }

    /// The company as typed, or what is wrong, per field (checked as typed: identifiers
    /// to their check digits, numbers to their ranges, by the model's own rules).
    fn read(&self, base: &Company, texts: &Texts) -> Result<Company, BTreeMap<&'static str, String>> {
        let mut errors = BTreeMap::new();
        let model = |e: &ModelError| texts.error(e.code(), &e.to_string());
        let country = base.address.country.code().to_owned();
        let vat_number = check(
            &mut errors,
            "vat_number",
            present(&self.vat_number).map(VatNumber::parse).transpose().map_err(|e| model(&e)),
        );
        let national_id = check(
            &mut errors,
            "national_id",
            present(&self.national_id).map(|v| NationalId::parse(&country, v)).transpose().map_err(|e| model(&e)),
        );
        let iban = check(&mut errors, "iban", present(&self.iban).map(Iban::parse).transpose().map_err(|e| model(&e)));
        let bic = check(&mut errors, "bic", present(&self.bic).map(Bic::parse).transpose().map_err(|e| model(&e)));
        let number = |text: &str| match present(text) {
            None => Ok(None),
            Some(text) => parse_decimal(text).map(Some).ok_or_else(|| texts.get("settings-not-a-number")),
        };
        let share_capital = check(&mut errors, "share_capital", number(&self.share_capital));
        let late_penalty_rate = check(&mut errors, "late_penalty_rate", number(&self.late_penalty_rate));
        let terms = check(
            &mut errors,
            "payment_terms_days",
            self.payment_terms_days.trim().parse::<u16>().map(Some).map_err(|_| texts.get("settings-terms-range")),
        );
        let mut company = base.clone();
        self.legal_name.trim().clone_into(&mut company.legal_name);
        self.legal_form.trim().clone_into(&mut company.legal_form);
        self.register_city.trim().clone_into(&mut company.register_city);
        self.early_payment_discount.trim().clone_into(&mut company.early_payment_discount);
        self.street.trim().clone_into(&mut company.address.street);
        self.street2.trim().clone_into(&mut company.address.street2);
        self.postcode.trim().clone_into(&mut company.address.postcode);
        self.city.trim().clone_into(&mut company.address.city);
        company.vat_number = vat_number;
        company.national_id = national_id;
        company.iban = iban;
        company.bic = bic;
        company.share_capital = share_capital;
        company.late_penalty_rate = late_penalty_rate;
        company.vat_exempt = self.vat_exempt;
        company.payment_terms_days = terms.unwrap_or(base.payment_terms_days);
        if errors.is_empty()
            && let Err(e) = company.validate()
        {
            errors.insert(field_of(&e), model(&e));
        }
        if errors.is_empty() { Ok(company) } else { Err(errors) }
    }
}

/// The text typed, `None` when blank.
fn present(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

/// The value typed, or `None` with what is wrong noted against `field`.
fn check<T>(
    errors: &mut BTreeMap<&'static str, String>,
    field: &'static str,
    result: Result<Option<T>, String>,
) -> Option<T> {
    result.unwrap_or_else(|message| {
        errors.insert(field, message);
        None
    })
}

/// The field a rule of `Company::validate` names.
fn field_of(error: &ModelError) -> &'static str {
    match error {
        ModelError::Required { field } | ModelError::TooLong { field, .. } | ModelError::UnknownValue { field, .. } => {
            field
        }
        ModelError::AmountOutOfRange { .. } | ModelError::AmountTooPrecise { .. } => "share_capital",
        ModelError::InvalidPenaltyRate { .. } => "late_penalty_rate",
        ModelError::InvalidNationalId { .. } => "national_id",
        _ => "legal_name",
    }
}

/// A new logo being read, read, or to be removed.
#[derive(Debug)]
enum LogoChange {
    Loading(Receiver<Result<Logo, LogoProblem>>),
    Ready(Logo),
    Remove,
    Failed(String),
}

#[derive(Debug)]
struct CompanyForm {
    /// The company the form was filled from.
    base: Company,
    fields: CompanyFields,
    logo_path: String,
    logo: Option<LogoChange>,
    /// The open dialog's answer, while it is open.
    chosen: Option<Receiver<Option<PathBuf>>>,
}

impl CompanyForm {
    fn new(company: &Company, texts: &Texts) -> Self {
        Self {
            base: company.clone(),
            fields: CompanyFields::of(company, texts),
            logo_path: String::new(),
            logo: None,
            chosen: None,
        }
    }

    fn changed(&self) -> bool {
        self.logo.is_some() || self.chosen.is_some()
    }
}

/// Why a picture cannot be the logo.
#[derive(Debug)]
pub enum LogoProblem {
    Unreadable(String),
    NotAPicture,
    Refused(ModelError),
}

impl LogoProblem {
    fn text(&self, texts: &Texts) -> String {
        match self {
            Self::Unreadable(reason) => texts.with("settings-logo-unreadable", &[("reason", reason.clone().into())]),
            Self::NotAPicture => texts.get("settings-logo-not-picture"),
            Self::Refused(e) => texts.error(e.code(), &e.to_string()),
        }
    }
}

/// The largest picture file read, and the largest picture decoded: beyond them a file
/// is not a logo (and would cost the memory of a photograph).
const MAX_PICTURE_FILE: u64 = 32 * 1024 * 1024;
const MAX_PICTURE_SIDE: u32 = 10_000;

/// Reads a PNG or JPEG picture, scales it down to fit 400 × 200 pixels (never up) and
/// encodes it as PNG: the logo, or why not. Slow on a large photograph: call it off the
/// UI thread.
pub fn prepare_logo(path: &Path) -> Result<Logo, LogoProblem> {
    let size = std::fs::metadata(path).map_err(|e| LogoProblem::Unreadable(e.to_string()))?.len();
    if size > MAX_PICTURE_FILE {
        return Err(LogoProblem::NotAPicture);
    }
    let bytes = std::fs::read(path).map_err(|e| LogoProblem::Unreadable(e.to_string()))?;
    let format = image::guess_format(&bytes).map_err(|_| LogoProblem::NotAPicture)?;
    if !matches!(format, image::ImageFormat::Png | image::ImageFormat::Jpeg) {
        return Err(LogoProblem::NotAPicture);
    }
    let mut reader = image::ImageReader::with_format(Cursor::new(&bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PICTURE_SIDE);
    limits.max_image_height = Some(MAX_PICTURE_SIDE);
    reader.limits(limits);
    let picture = reader.decode().map_err(|_| LogoProblem::NotAPicture)?;
    let picture = if picture.width() > Logo::MAX_WIDTH || picture.height() > Logo::MAX_HEIGHT {
        picture.resize(Logo::MAX_WIDTH, Logo::MAX_HEIGHT, image::imageops::FilterType::Triangle)
    } else {
        picture
    };
    let mut png = Vec::new();
    picture.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png).map_err(|_| LogoProblem::NotAPicture)?;
    Logo::from_png(png).map_err(LogoProblem::Refused)
}

/// Reads the logo on a thread of its own; the answer comes through the channel.
fn start_logo(path: PathBuf, wake: std::sync::Arc<dyn Fn() + Send + Sync>) -> LogoChange {
    let (sender, answer) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new().name("comptoir-logo".into()).spawn(move || {
        let _ = sender.send(prepare_logo(&path));
        wake();
    });
    match spawned {
        Ok(_) => LogoChange::Loading(answer),
        Err(e) => LogoChange::Failed(e.to_string()),
    }
}

fn logo_summary(texts: &Texts, id: &str, logo: &Logo) -> String {
    let (width, height) = logo.dimensions().unwrap_or_default();
    let kib = logo.png().len().div_ceil(1024);
    texts.with(id, &[("width", width.into()), ("height", height.into()), ("kib", kib.into())])
}

/// One labelled field of the company's grid, with what is wrong with it beside.
fn text_row_ui(ui: &mut egui::Ui, label: &str, value: &mut String, error: Option<&String>) {
    let label = ui.label(label);
    ui.vertical(|ui| {
        ui.add(egui::TextEdit::singleline(value).desired_width(240.0)).labelled_by(label.id);
        if let Some(error) = error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
    });
    ui.end_row();
}

/// The company's identity and logo.
fn company_ui(ui: &mut egui::Ui, state: &mut SettingsState, ctx: &mut Context<'_>, company: &Company) {
    let texts = ctx.texts;
    ui.label(crate::theme::bold(texts.get("settings-company")));
    let blocked = ctx.cannot(Permission::EditCompanySettings);
    let form = state.company.get_or_insert_with(|| CompanyForm::new(company, texts));
    // Untouched, the form follows the copy (a change pulled from another device).
    if form.base != *company && form.fields == CompanyFields::of(&form.base, texts) && !form.changed() {
        *form = CompanyForm::new(company, texts);
    }
    poll_logo(form, texts, ui);
    let typed = form.fields.read(company, texts);
    let errors = typed.as_ref().err().cloned().unwrap_or_default();
    let country = company.address.country.clone();
    ui.add_enabled_ui(blocked.is_none(), |ui| {
        egui::Grid::new("company").num_columns(2).striped(true).show(ui, |ui| {
            let fields = &mut form.fields;
            let national_id = match country {
                Country::France => "settings-national-id-fr",
                Country::Belgium => "settings-national-id-be",
                _ => "settings-national-id",
            };
            for (id, field, value) in [
                ("settings-legal-name", "legal_name", &mut fields.legal_name),
                ("settings-legal-form", "legal_form", &mut fields.legal_form),
                ("settings-share-capital", "share_capital", &mut fields.share_capital),
                ("settings-register-city", "register_city", &mut fields.register_city),
                ("settings-street", "street", &mut fields.street),
                ("settings-street2", "street2", &mut fields.street2),
                ("settings-postcode", "postcode", &mut fields.postcode),
                ("settings-city", "city", &mut fields.city),
                (national_id, "national_id", &mut fields.national_id),
                ("settings-vat", "vat_number", &mut fields.vat_number),
            ] {
                text_row_ui(ui, &texts.get(id), value, errors.get(field));
            }
            ui.label("");
            ui.checkbox(&mut fields.vat_exempt, texts.get("settings-vat-exempt"));
            ui.end_row();
            for (id, field, value) in [
                ("settings-iban", "iban", &mut fields.iban),
                ("settings-bic", "bic", &mut fields.bic),
                ("settings-terms-field", "payment_terms_days", &mut fields.payment_terms_days),
                ("settings-penalty-rate", "late_penalty_rate", &mut fields.late_penalty_rate),
                ("settings-early-payment-discount", "early_payment_discount", &mut fields.early_payment_discount),
            ] {
                text_row_ui(ui, &texts.get(id), value, errors.get(field));
            }
            ui.label(texts.get("settings-currency"));
            ui.label(company.currency.as_str());
            ui.end_row();
        });
        if let Ok(typed) = &typed
            && let Some(mention) = legal_mention(typed)
        {
            ui.weak(texts.with("settings-mention", &[("mention", mention.into())]));
        }
        ui.add_space(6.0);
        logo_ui(ui, form, ctx.reader.store().company_logo().ok().flatten().as_ref(), texts);
    });
    ui.horizontal(|ui| {
        let unchanged = (typed.as_ref().is_ok_and(|typed| typed == company) && form.logo.is_none())
            .then(|| texts.get("settings-company-unchanged"));
        let loading = matches!(form.logo, Some(LogoChange::Loading(_))).then(|| texts.get("settings-logo-loading"));
        let waiting = (!state.company_sent.waiting.is_empty()).then(|| texts.get("users-waiting"));
        let reason = blocked.clone().or(waiting).or(loading).or(unchanged);
        if action_button(ui, &texts.get("settings-company-save"), reason.as_deref()) {
            match &typed {
                Ok(typed) => {
                    let mut requests = Vec::new();
                    if typed != company {
                        requests.push(ctx.edit(Intent::UpdateCompany { company: typed.clone() }));
                    }
                    match form.logo.take() {
                        Some(LogoChange::Ready(logo)) => requests.push(ctx.edit(Intent::SetLogo { logo: Some(logo) })),
                        Some(LogoChange::Remove) => requests.push(ctx.edit(Intent::SetLogo { logo: None })),
                        other => form.logo = other,
                    }
                    state.company_sent.send(requests);
                }
                Err(_) => state.company_sent.message = Some((texts.get("settings-company-invalid"), true)),
            }
        }
    });
    state.company_sent.message_ui(ui);
}

/// The mention invoices will carry: "SARL au capital de 10 000 € — RCS Lyon 123 456 789".
fn legal_mention(company: &Company) -> Option<String> {
    if company.legal_form.is_empty() {
        return None;
    }
    let mut mention = company.legal_form.clone();
    if let Some(capital) = company.share_capital {
        let amount = crate::format::money(capital, company.currency, crate::i18n::Language::French);
        mention = format!("{mention} au capital de {amount}");
    }
    if let Some(id) = &company.national_id {
        mention = match company.address.country {
            Country::France if !company.register_city.is_empty() => {
                format!("{mention} — RCS {} {}", company.register_city, id.as_str().get(..9).unwrap_or(""))
            }
            Country::Belgium => format!("{mention} — BCE {id}"),
            _ => format!("{mention} — {id}"),
        };
    }
    Some(mention)
}

/// Takes the answers of the open dialog and of the logo's reading.
fn poll_logo(form: &mut CompanyForm, texts: &Texts, ui: &egui::Ui) {
    if let Some(chosen) = &form.chosen
        && let Ok(path) = chosen.try_recv()
    {
        form.chosen = None;
        if let Some(path) = path {
            form.logo_path = path.display().to_string();
            form.logo = Some(start_logo(path, waker(ui.ctx())));
        }
    }
    if let Some(LogoChange::Loading(answer)) = &form.logo
        && let Ok(result) = answer.try_recv()
    {
        form.logo = Some(match result {
            Ok(logo) => LogoChange::Ready(logo),
            Err(problem) => LogoChange::Failed(problem.text(texts)),
        });
    }
}

fn logo_ui(ui: &mut egui::Ui, form: &mut CompanyForm, current: Option<&Logo>, texts: &Texts) {
    ui.horizontal(|ui| {
        ui.label(crate::theme::bold(texts.get("settings-logo")));
        match (&form.logo, current) {
            (Some(LogoChange::Loading(_)), _) => ui.label(texts.get("settings-logo-loading")),
            (Some(LogoChange::Ready(logo)), _) => ui.label(logo_summary(texts, "settings-logo-ready", logo)),
            (Some(LogoChange::Remove), _) => ui.label(texts.get("settings-logo-removed")),
            (Some(LogoChange::Failed(reason)), _) => ui.colored_label(ui.visuals().error_fg_color, reason),
            (None, Some(logo)) => ui.label(logo_summary(texts, "settings-logo-current", logo)),
            (None, None) => ui.weak(texts.get("settings-logo-none")),
        };
    });
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(texts.get("settings-logo-path"));
        ui.add(egui::TextEdit::singleline(&mut form.logo_path).desired_width(240.0)).labelled_by(label.id);
        if ui.add_enabled(form.chosen.is_none(), egui::Button::new(texts.get("settings-logo-choose"))).clicked() {
            form.chosen = choose_file_to_open(
                &texts.get("settings-logo-path"),
                ("PNG, JPEG", &["png", "jpg", "jpeg"]),
                waker(ui.ctx()),
            );
        }
        let path = form.logo_path.trim();
        if ui.add_enabled(!path.is_empty(), egui::Button::new(texts.get("settings-logo-load"))).clicked() {
            form.logo = Some(start_logo(PathBuf::from(path), waker(ui.ctx())));
        }
        if current.is_some() && ui.button(texts.get("settings-logo-remove")).clicked() {
            form.logo = Some(LogoChange::Remove);
        }
    });
}

/// One series as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SeriesFields {
    prefix: String,
    year: YearInNumber,
    width: String,
    next: String,
}

impl SeriesFields {
    fn of(series: &NumberingSeries) -> Self {
        Self {
            prefix: series.prefix.clone(),
            year: series.year,
            width: series.width.to_string(),
            next: series.next_number.to_string(),
        }
    }

    /// The series as typed, checked by the model's rules (the next number comes after the
    /// last one issued).
    fn read(&self, base: &NumberingSeries) -> Result<NumberingSeries, ModelError> {
        let mut series = base.clone();
        self.prefix.trim().clone_into(&mut series.prefix);
        series.year = self.year;
        series.width = self
            .width
            .trim()
            .parse()
            .map_err(|_| ModelError::UnknownValue { field: "counter width", value: self.width.clone() })?;
        let next = self.next.trim().replace([' ', '\u{a0}', '\u{202f}'], "");
        series.set_next_number(next.parse().map_err(|_| ModelError::NextNumberZero)?)?;
        series.validate()?;
        Ok(series)
    }
}

#[derive(Debug)]
struct NumberingForm {
    base: Vec<NumberingSeries>,
    rows: Vec<SeriesFields>,
}

impl NumberingForm {
    fn new(series: Vec<NumberingSeries>) -> Self {
        Self { rows: series.iter().map(SeriesFields::of).collect(), base: series }
    }
}

fn kind_text(kind: DocumentKind, texts: &Texts) -> String {
    texts.get(&format!("kind-{}", kind.as_str().replace('_', "-")))
}

/// The numbering series, one per kind of document.
fn numbering_ui(ui: &mut egui::Ui, state: &mut SettingsState, ctx: &mut Context<'_>) {
    let texts = ctx.texts;
    ui.label(crate::theme::bold(texts.get("settings-numbering")));
    let store = ctx.reader.store();
    let Ok(current) =
        DocumentKind::ALL.into_iter().map(|kind| store.numbering_series(kind)).collect::<Result<Vec<_>, _>>()
    else {
        return;
    };
    let blocked = ctx.cannot(Permission::EditNumbering);
    let form = state.numbering.get_or_insert_with(|| NumberingForm::new(current.clone()));
    let untouched = form.rows == form.base.iter().map(SeriesFields::of).collect::<Vec<_>>();
    if form.base != current && untouched {
        *form = NumberingForm::new(current.clone());
    }
    let year = ctx.today.year();
    let mut typed = Vec::new();
    ui.add_enabled_ui(blocked.is_none(), |ui| {
        egui::Grid::new("numbering").num_columns(6).show(ui, |ui| {
            ui.label("");
            for id in
                ["settings-series-prefix", "settings-series-year", "settings-series-width", "settings-series-next"]
            {
                ui.label(crate::theme::bold(texts.get(id)));
            }
            ui.label(crate::theme::bold(texts.get("settings-series-example")));
            ui.end_row();
            for (row, base) in form.rows.iter_mut().zip(&form.base) {
                let kind = kind_text(base.kind, texts);
                ui.label(&kind);
                let named = |ui: &mut egui::Ui, response: egui::Response, id: &str| {
                    let name = format!("{} — {kind}", texts.get(id));
                    crate::theme::name_for_screen_readers(ui, &response, name);
                };
                let response = ui.add(egui::TextEdit::singleline(&mut row.prefix).desired_width(70.0));
                named(ui, response, "settings-series-prefix");
                let response = egui::ComboBox::from_id_salt(("year", base.kind.as_str()))
                    .selected_text(texts.get(&format!("settings-year-{}", row.year.as_str())))
                    .show_ui(ui, |ui| {
                        for choice in [YearInNumber::Full, YearInNumber::Short, YearInNumber::None] {
                            let text = texts.get(&format!("settings-year-{}", choice.as_str()));
                            ui.selectable_value(&mut row.year, choice, text);
                        }
                    })
                    .response;
                named(ui, response, "settings-series-year");
                let response = ui.add(egui::TextEdit::singleline(&mut row.width).desired_width(30.0));
                named(ui, response, "settings-series-width");
                let response = ui.add(egui::TextEdit::singleline(&mut row.next).desired_width(90.0));
                named(ui, response, "settings-series-next");
                let read = row.read(base);
                match &read {
                    Ok(series) => ui.label(series.format(year, series.next_number).unwrap_or_default()),
                    Err(e) => ui.colored_label(ui.visuals().error_fg_color, texts.error(e.code(), &e.to_string())),
                };
                ui.end_row();
                typed.push((base.clone(), read));
            }
        });
    });
    ui.horizontal(|ui| {
        let changed: Vec<_> = typed.iter().filter(|(base, read)| read.as_ref() != Ok(base)).collect();
        let unchanged = changed.is_empty().then(|| texts.get("settings-numbering-unchanged"));
        let invalid = typed.iter().any(|(_, read)| read.is_err()).then(|| texts.get("settings-company-invalid"));
        let waiting = (!state.numbering_sent.waiting.is_empty()).then(|| texts.get("users-waiting"));
        let reason = blocked.clone().or(waiting).or(invalid).or(unchanged);
        if action_button(ui, &texts.get("settings-numbering-save"), reason.as_deref()) {
            let requests = changed
                .into_iter()
                .filter_map(|(_, read)| read.as_ref().ok())
                .map(|series| ctx.edit(Intent::SetNumbering { series: series.clone() }))
                .collect();
            state.numbering_sent.send(requests);
        }
    });
    state.numbering_sent.message_ui(ui);
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
