//! The editor's VAT regime: how the document's lines bear VAT, in the words of a small
//! business rather than EN 16931's codes. "Taux par ligne" leaves each line its rate
//! (standard, or zero-rated at 0 %); every other regime puts all lines in one category at
//! 0 % and prints its legal mention (see [`VatCategory`] for the rules of each).

use comptoir_core::model::{Document, VatCategory, VatRate};

use super::Editor;
use crate::screens::Context;

/// How the document's lines bear VAT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VatRegime {
    /// Each line its own rate: standard, or zero-rated at 0 %.
    PerLine,
    /// VAT exemption of small businesses (FR art. 293 B du CGI, BE franchise regime).
    Franchise,
    /// Another exemption, whose reason the user types.
    Exempt,
    /// Reverse charge: the customer, a business with a VAT number, pays the VAT.
    ReverseCharge,
    /// Goods delivered to a business in another EU country.
    IntraCommunitySupply,
    /// Goods or services sold outside the EU.
    Export,
    /// Outside the scope of VAT.
    OutOfScope,
}

impl VatRegime {
    pub const ALL: [Self; 7] = [
        Self::PerLine,
        Self::Franchise,
        Self::Exempt,
        Self::ReverseCharge,
        Self::IntraCommunitySupply,
        Self::Export,
        Self::OutOfScope,
    ];

    /// The one category of every line, when the regime fixes it.
    pub fn category(self) -> Option<VatCategory> {
        match self {
            Self::PerLine => None,
            Self::Franchise | Self::Exempt => Some(VatCategory::Exempt),
            Self::ReverseCharge => Some(VatCategory::ReverseCharge),
            Self::IntraCommunitySupply => Some(VatCategory::IntraCommunitySupply),
            Self::Export => Some(VatCategory::Export),
            Self::OutOfScope => Some(VatCategory::OutOfScope),
        }
    }

    fn text_id(self) -> &'static str {
        match self {
            Self::PerLine => "vat-regime-per-line",
            Self::Franchise => "vat-regime-franchise",
            Self::Exempt => "vat-regime-exempt",
            Self::ReverseCharge => "vat-regime-reverse-charge",
            Self::IntraCommunitySupply => "vat-regime-intra-community",
            Self::Export => "vat-regime-export",
            Self::OutOfScope => "vat-regime-out-of-scope",
        }
    }

    /// The regime a saved document was written under.
    pub fn of(document: &Document) -> Self {
        let Some(first) = document.lines.first().map(comptoir_core::model::DocumentLine::category) else {
            return Self::PerLine;
        };
        if !document.lines.iter().all(|l| l.category() == first) {
            return Self::PerLine;
        }
        match first {
            VatCategory::Standard | VatCategory::ZeroRated => Self::PerLine,
            VatCategory::Exempt => {
                let franchise = [comptoir_core::model::Country::France, comptoir_core::model::Country::Belgium]
                    .iter()
                    .filter_map(|c| VatCategory::Exempt.legal_mention(c))
                    .any(|m| Some(m) == document.vat_exemption_reason.as_deref());
                if franchise { Self::Franchise } else { Self::Exempt }
            }
            VatCategory::ReverseCharge => Self::ReverseCharge,
            VatCategory::IntraCommunitySupply => Self::IntraCommunitySupply,
            VatCategory::Export => Self::Export,
            VatCategory::OutOfScope => Self::OutOfScope,
        }
    }
}

/// Puts the draft's lines under the editor's regime: its category at 0 % on every line,
/// and its mention as the exemption reason (the one typed, for another exemption).
pub fn apply(editor: &mut Editor) {
    let regime = editor.regime;
    let document = &mut editor.document;
    match regime.category() {
        None => {
            for line in &mut document.lines {
                line.vat_category = None;
            }
            document.vat_exemption_reason = None;
        }
        Some(category) => {
            for line in &mut document.lines {
                line.vat_category = Some(category);
                line.vat_rate = VatRate::ZERO;
            }
            document.vat_exemption_reason = if regime == VatRegime::Exempt {
                Some(editor.exemption_reason.trim().to_owned()).filter(|r| !r.is_empty())
            } else {
                category.legal_mention(&editor.seller.address.country).map(str::to_owned)
            };
        }
    }
}

/// The regime's choice, and the reason field of another exemption; returns whether the
/// draft changed.
pub fn regime_ui(ui: &mut egui::Ui, editor: &mut Editor, ctx: &Context<'_>) -> bool {
    let texts = ctx.texts;
    let before = editor.regime;
    let mut changed = false;
    ui.horizontal(|ui| {
        egui::ComboBox::new("vat-regime", texts.get("vat-regime"))
            .selected_text(texts.get(editor.regime.text_id()))
            .show_ui(ui, |ui| {
                for regime in VatRegime::ALL {
                    ui.selectable_value(&mut editor.regime, regime, texts.get(regime.text_id()));
                }
            });
        if editor.regime == VatRegime::Exempt {
            let label = ui.label(texts.get("vat-exemption-reason"));
            changed |= ui
                .add(egui::TextEdit::singleline(&mut editor.exemption_reason).desired_width(320.0))
                .labelled_by(label.id)
                .changed();
        } else if let Some(mention) = editor.document.vat_exemption_reason.as_deref() {
            ui.weak(mention);
        }
    });
    changed || editor.regime != before
}
