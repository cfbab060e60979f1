//! The banner of edits that wait in this copy for another account than the signed-in
//! one: they go to the server only in their author's name, and the signed-in account's
//! own edits wait behind them. The user keeps them for their author (the banner goes
//! until the next start) or discards them, after a confirmation.

use comptoir_core::engine::Command;
use comptoir_core::model::UserId;
use comptoir_core::store::WaitingEdits;

use crate::i18n::Texts;
use crate::widgets::ORANGE;

/// What the banner shows and what the user chose.
#[derive(Debug, Default)]
pub struct WaitingEditsBanner {
    /// As the engine last reported them.
    waiting: Vec<WaitingEdits>,
    /// Authors whose edits the user chose to keep for them: no banner for them until
    /// the next start.
    kept: Vec<UserId>,
    /// The author whose edits the user asked to discard, until they confirm; `true` on
    /// the confirmation's first frame (its button takes the focus).
    confirming: Option<(WaitingEdits, bool)>,
}

impl WaitingEditsBanner {
    /// The engine's new list (empty: nothing waits for anyone else).
    pub fn update(&mut self, waiting: Vec<WaitingEdits>) {
        self.kept.retain(|author| waiting.iter().any(|w| w.author == *author));
        if let Some((asked, _)) = &self.confirming
            && !waiting.iter().any(|w| w.author == asked.author)
        {
            self.confirming = None;
        }
        self.waiting = waiting;
    }

    /// Whether a banner shows.
    pub fn is_shown(&self) -> bool {
        self.waiting.iter().any(|w| !self.kept.contains(&w.author))
    }

    /// One banner per author whose edits wait, with "Garder pour …" and "Abandonner…";
    /// the confirmation, when asked; a confirmed discard is pushed onto `commands`.
    pub fn ui(&mut self, ui: &mut egui::Ui, texts: &Texts, commands: &mut Vec<Command>) {
        for waiting in &self.waiting {
            if self.kept.contains(&waiting.author) {
                continue;
            }
            let text = texts.with(
                "banner-waiting-edits",
                &[("count", waiting.count.into()), ("author", waiting.name.clone().into())],
            );
            let mut keep = false;
            let mut discard = false;
            egui::Frame::new().fill(ORANGE).inner_margin(8.0).corner_radius(4.0).show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal_wrapped(|ui| {
                    ui.colored_label(egui::Color32::BLACK, &text);
                    keep = ui.button(texts.get("banner-waiting-keep")).clicked();
                    discard = ui.button(texts.get("banner-waiting-discard")).clicked();
                });
            });
            if keep {
                self.kept.push(waiting.author);
            }
            if discard {
                self.confirming = Some((waiting.clone(), true));
            }
        }
        if let Some((asked, first)) = self.confirming.as_mut() {
            let question = texts.with(
                "confirm-discard-waiting",
                &[("count", asked.count.into()), ("author", asked.name.clone().into())],
            );
            let title = texts.get("confirm-discard-waiting-title");
            let yes = texts.get("banner-waiting-discard-yes");
            let answer =
                crate::screens::confirm_ui(ui, "discard-waiting-edits", (&title, &question), &yes, texts, *first);
            *first = false;
            match answer {
                Some(true) => {
                    commands.push(Command::DiscardEditsOf { author: asked.author });
                    self.confirming = None;
                }
                Some(false) => self.confirming = None,
                None => {}
            }
        }
    }
}
