//! What the user is told when a company was downloaded again (the server's data was
//! restored or rebuilt): where the old file was kept, the edits it holds that never
//! reached the server, and the documents the restored server numbered otherwise when
//! the old copy's accepted edits were sent again. A banner per kept copy stays until the
//! user has seen it.

use comptoir_core::engine::Command;
use comptoir_core::store::{KeptCopy, PendingEdit, Renumbering};

use crate::i18n::Texts;
use crate::screens::audit::{action_text, label_text};
use crate::widgets::ORANGE;

/// How many waiting edits a notice names; the rest are counted.
const NAMED: usize = 5;

/// The waiting edits of an old copy in words: "création Atelier Dubois, émission
/// Facture brouillon" and, past [`NAMED`], "… et 3 autres".
pub fn pending_text(pending: &[PendingEdit], texts: &Texts) -> String {
    let mut named: Vec<String> = pending
        .iter()
        .take(NAMED)
        .map(|edit| {
            let action = action_text(texts, edit.action);
            match label_text(texts, edit.record.clone()) {
                Some(record) => format!("{action} « {record} »"),
                None => action,
            }
        })
        .collect();
    if pending.len() > NAMED {
        named.push(texts.with("kept-copy-more", &[("count", (pending.len() - NAMED).into())]));
    }
    named.join(", ")
}

/// The documents a restored server numbered otherwise, in words: "FA-2026-0007 →
/// FA-2026-0008, …" (past [`NAMED`], "… et 3 autres"). Empty when there are none.
pub fn renumbered_text(renumbered: &[Renumbering], texts: &Texts) -> Option<String> {
    if renumbered.is_empty() {
        return None;
    }
    let mut named: Vec<String> = renumbered.iter().take(NAMED).map(|r| format!("{} → {}", r.before, r.after)).collect();
    if renumbered.len() > NAMED {
        named.push(texts.with("kept-copy-more", &[("count", (renumbered.len() - NAMED).into())]));
    }
    Some(
        texts.with("kept-copy-renumbered", &[("count", renumbered.len().into()), ("numbers", named.join(", ").into())]),
    )
}

/// One banner per old copy kept aside, with "Compris" to dismiss it (the file stays).
pub fn kept_copies_ui(ui: &mut egui::Ui, kept: &[KeptCopy], texts: &Texts, commands: &mut Vec<Command>) {
    for copy in kept {
        let mut text = texts.with("kept-copy", &[("path", copy.path.display().to_string().into())]);
        if copy.pending > 0 {
            text = format!("{text} {}", texts.with("kept-copy-pending", &[("count", copy.pending.into())]));
        }
        if let Some(renumbered) = renumbered_text(&copy.renumbered, texts) {
            text = format!("{text} {renumbered}");
        }
        egui::Frame::new().fill(ORANGE).inner_margin(8.0).corner_radius(4.0).show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(egui::Color32::BLACK, &text);
                if ui.button(texts.get("kept-copy-seen")).clicked() {
                    commands.push(Command::ForgetKeptCopy { path: copy.path.clone() });
                }
            });
        });
    }
}
