//! Comptoir, the desktop app. This file only wires logging and the window; the app
//! itself lives in [`comptoir::app`].

use anyhow::Context as _;

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,wgpu=warn".into()),
        )
        .init();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(comptoir::app::WINDOW_TITLE)
            .with_inner_size([1100.0, 720.0])
            .with_min_inner_size([640.0, 420.0]),
        ..Default::default()
    };
    eframe::run_native(
        comptoir::app::APP_ID,
        options,
        Box::new(|_cc| Ok(Box::new(comptoir::app::ComptoirApp::default()))),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("could not open the Comptoir window")
}
