//! What the user is told when a company was downloaded again (the server's data was
//! restored or rebuilt): where the old file was kept, the edits it holds that never
//! reached the server, and what became of the old copy's accepted edits, sent again to a
//! restored server: the documents it numbered otherwise, the edits it refused. A banner per kept copy stays until the
//! user has seen it.

use comptoir_core::engine::Command;
use comptoir_core::store::{KeptCopy, PendingEdit, Renumbering};

use crate::i18n::Texts;
use crate::screens::audit::{action_text, label_text};
use crate::widgets::ORANGE;

/// How many waiting edits a notice names; the rest are counted.
const NAMED: usize = 5;

/// Edits of an old copy (waiting, or refused by a restored server) in words: "création
/// Atelier Dubois, émission Facture brouillon" and, past [`NAMED`], "… et 3 autres".
pub fn edits_text(pending: &[PendingEdit], texts: &Texts) -> String {
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

/// The documents a restored server numbered otherwise, in words: "FA-2026-0007 devient
/// FA-2026-0008, …" (past [`NAMED`], "… et 3 autres"). `None` when there are none.
pub fn renumbered_text(renumbered: &[Renumbering], texts: &Texts) -> Option<String> {
    if renumbered.is_empty() {
        return None;
    }
    let mut named: Vec<String> = renumbered
        .iter()
        .take(NAMED)
        .map(|r| {
            texts.with(
                "kept-copy-renumbering",
                &[("before", r.before.as_str().into()), ("after", r.after.as_str().into())],
            )
        })
        .collect();
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
        if copy.refused > 0 {
            text = format!("{text} {}", texts.with("kept-copy-refused", &[("count", copy.refused.into())]));
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
