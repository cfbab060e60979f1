//! Template benchmark: what checking a user's template costs (Paramètres → Modèles →
//! Recharger, and [`TemplateFolder::active`] before a batch of documents), with the
//! built-in template's text as the user's file. The first check of a process also builds
//! typst's library and reads the fonts: printed apart. Each following run checks a
//! different text (a comment with the run's number is appended), as a user's edits do:
//! typst memoises what did not change. Then a template broken at its first line, which
//! stops at parsing. Prints figures; asserts nothing about time.
//!
//! `COMPTOIR_BENCH_TEMPLATE_RUNS=N` changes the number of runs (default 10).

use std::time::{Duration, Instant};

use comptoir_core::export::pdf::BUILT_IN_TEMPLATE;
use comptoir_core::export::templates::{TemplateChoice, TemplateFolder, TemplateName, check};
use comptoir_core::model::CompanyId;
use comptoir_tests::{ms, spread};

fn timed<T>(work: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let result = work();
    (result, started.elapsed())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::var("COMPTOIR_BENCH_TEMPLATE_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);

    let (first, cold) = timed(|| check(BUILT_IN_TEMPLATE));
    first.map_err(|fault| format!("the built-in template does not check: {fault}"))?;
    println!(
        "template check, first of the process (3 sample documents, the invoice over several pages): {:.1} ms",
        ms(cold)
    );

    let mut edited = Vec::new();
    for run in 0..runs {
        let source = format!("{BUILT_IN_TEMPLATE}\n// edit {run}\n");
        let (result, time) = timed(|| check(&source));
        result.map_err(|fault| format!("an edited template does not check: {fault}"))?;
        edited.push(time);
    }
    println!("template check after an edit ({runs} runs): {}", spread(edited));

    let dir = tempfile::tempdir()?;
    let folder = TemplateFolder::new(dir.path(), CompanyId::new());
    let name = TemplateName::parse("Maison")?;
    folder.duplicate(&TemplateChoice::BuiltIn, &name)?;
    folder.choose(&TemplateChoice::File(name))?;
    let mut active = Vec::new();
    for _ in 0..runs {
        let (template, time) = timed(|| folder.active());
        if template.warning.is_some() {
            return Err("the chosen copy fell back".into());
        }
        active.push(time);
    }
    println!("active template (read, check; same file) ({runs} runs): {}", spread(active));

    let mut broken = Vec::new();
    for run in 0..runs {
        let source = format!("#let = ( // {run}\n{BUILT_IN_TEMPLATE}");
        let (result, time) = timed(|| check(&source));
        if result.is_ok() {
            return Err("a broken template checked valid".into());
        }
        broken.push(time);
    }
    println!("template check, broken at line 1 ({runs} runs): {}", spread(broken));
    println!("peak memory: {} MiB", comptoir_tests::peak_rss_mib());
    Ok(())
}
