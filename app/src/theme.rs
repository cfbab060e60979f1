//! How the window looks: an embedded font with a real bold, and light or dark colours
//! following the system.
//!
//! The font is `DejaVu Sans` (Bitstream Vera licence, see `resources/fonts/`): it covers
//! French, Dutch and German letters, the euro sign, arrows and the narrow no-break
//! space that French puts between thousands.

use egui::{FontData, FontDefinitions, FontFamily, FontId, TextStyle};

const REGULAR: &[u8] = include_bytes!("../../resources/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../resources/fonts/DejaVuSans-Bold.ttf");

/// The font family of bold text (headings, totals).
pub fn bold_family() -> FontFamily {
    FontFamily::Name("bold".into())
}

/// Text in the bold face.
pub fn bold(text: impl Into<String>) -> egui::RichText {
    egui::RichText::new(text).family(bold_family())
}

/// Installs the fonts and text sizes, and lets the system choose light or dark.
pub fn install(ctx: &egui::Context) {
    let mut fonts = FontDefinitions::default();
    fonts.font_data.insert("dejavu".into(), FontData::from_static(REGULAR).into());
    fonts.font_data.insert("dejavu-bold".into(), FontData::from_static(BOLD).into());
    // Ours first; egui's own fonts stay behind as a fallback for symbols ours lacks.
    fonts.families.entry(FontFamily::Proportional).or_default().insert(0, "dejavu".into());
    let mut bold = vec!["dejavu-bold".to_owned()];
    bold.extend(fonts.families.get(&FontFamily::Proportional).cloned().unwrap_or_default());
    fonts.families.insert(bold_family(), bold);
    ctx.set_fonts(fonts);
    ctx.set_theme(egui::ThemePreference::System);
    ctx.all_styles_mut(|style| {
        style.text_styles.insert(TextStyle::Heading, FontId::new(20.0, bold_family()));
        style.text_styles.insert(TextStyle::Body, FontId::new(14.0, FontFamily::Proportional));
        style.text_styles.insert(TextStyle::Button, FontId::new(14.0, FontFamily::Proportional));
        style.spacing.item_spacing = egui::vec2(8.0, 6.0);
    });
}

/// Names a widget for screen readers (and UI tests) when what it shows is not its name:
/// a table's cell ("Quantité 2"), a button drawn as a symbol ("Supprimer la ligne 2").
pub fn name_for_screen_readers(ui: &egui::Ui, response: &egui::Response, name: String) {
    ui.ctx().accesskit_node_builder(response.id, |builder| builder.set_label(name));
}
