//! The top-level [`eframe::App`].

/// The window's title, also its accessible name.
pub const WINDOW_TITLE: &str = "Comptoir";
/// The id under which eframe stores the window's position and size.
pub const APP_ID: &str = "comptoir";

/// The app's state. For now, the empty main window; the setup wizard and the screens
/// come with the desktop-app issue.
#[derive(Debug, Default)]
pub struct ComptoirApp {}

impl eframe::App for ComptoirApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        main_window_ui(ui);
    }
}

/// The main window: the brand name, centred.
pub fn main_window_ui(ui: &mut egui::Ui) {
    egui::CentralPanel::default().show(ui, |ui| {
        ui.centered_and_justified(|ui| {
            ui.heading(WINDOW_TITLE);
        });
    });
}

#[cfg(test)]
mod tests {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable as _;

    #[test]
    fn main_window_shows_the_brand() {
        let harness = Harness::new_ui(super::main_window_ui);
        harness.get_by_label("Comptoir");
    }
}
