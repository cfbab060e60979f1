#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test: a panic is the failure report")]

use std::path::Component;

use proptest::prelude::*;

use super::sample::{LONG_INVOICE_LINES, Samples};
use super::*;
use crate::export::sources::DocumentSources;
use crate::model::DocumentLanguage;

fn folder() -> (tempfile::TempDir, TemplateFolder) {
    let dir = tempfile::tempdir().unwrap();
    let folder = TemplateFolder::new(dir.path(), CompanyId(uuid::Uuid::now_v7()));
    (dir, folder)
}

fn name(text: &str) -> TemplateName {
    TemplateName::parse(text).unwrap()
}

/// The built-in template with line `line` (1-based) replaced by `text`.
fn with_line(line: usize, text: &str) -> String {
    let mut lines: Vec<&str> = BUILT_IN_TEMPLATE.lines().collect();
    lines[line - 1] = text;
    lines.join("\n")
}

/// The built-in template with `text` appended as its last lines; returns the source and
/// the line `text` starts on.
fn appended(text: &str) -> (String, u32) {
    let line = u32::try_from(BUILT_IN_TEMPLATE.lines().count()).unwrap() + 1;
    (format!("{}\n{text}\n", BUILT_IN_TEMPLATE.trim_end_matches('\n')), line)
}

#[test]
fn the_samples_are_a_long_invoice_a_credit_note_and_a_draft() {
    let samples = Samples::new().unwrap();
    assert!(samples.invoice.lines.len() > LONG_INVOICE_LINES);
    assert!(samples.invoice.lines.iter().any(|line| line.net_amount().unwrap().is_sign_negative()), "a credit line");
    assert!(samples.credit_note.status.is_issued() && samples.credit_note.corrects == Some(samples.invoice.id));
    assert!(!samples.quote.status.is_issued());
    // That the long invoice runs over several pages: see
    // `what_only_some_documents_reach_is_caught_by_the_samples` (a panic on page two).
}

#[test]
fn the_built_in_template_and_its_copy_check_valid() {
    assert_eq!(check(BUILT_IN_TEMPLATE), Ok(()));
    let (_dir, folder) = folder();
    let path = folder.duplicate(&TemplateChoice::BuiltIn, &name("Mon modèle")).unwrap();
    assert_eq!(path, folder.path().join("Mon modèle.typ"));
    let copy = folder.source(&TemplateChoice::File(name("Mon modèle"))).unwrap();
    assert_eq!(copy, BUILT_IN_TEMPLATE);
    assert_eq!(check(&copy), Ok(()));
    assert_eq!(folder.list().unwrap(), vec![name("Mon modèle")]);
}

#[test]
fn a_syntax_error_is_reported_at_its_line() {
    let fault = check(&with_line(12, "#let = (")).unwrap_err();
    assert_eq!(fault.line, Some(12), "{fault}");
    assert!(!fault.message.is_empty());
    assert!(fault.to_string().starts_with("line 12: "), "{fault}");
}

#[test]
fn an_error_of_evaluation_is_reported_at_its_line() {
    let (source, line) = appended("#panic(\"x\")");
    let fault = check(&source).unwrap_err();
    assert_eq!(fault.line, Some(line), "{fault}");
    assert!(fault.message.contains("panicked"), "{fault}");

    let (source, line) = appended("#data.no_such_field");
    let fault = check(&source).unwrap_err();
    assert_eq!(fault.line, Some(line), "{fault}");
    assert!(fault.message.contains("no_such_field"), "{fault}");
}

#[test]
fn what_only_some_documents_reach_is_caught_by_the_samples() {
    // Only on a credit note: its corrected invoice's mention.
    let (source, line) = appended("#if data.corrects != none { panic(\"credit note\") }");
    let fault = check(&source).unwrap_err();
    assert_eq!(fault.line, Some(line), "{fault}");
    assert!(fault.message.contains("credit note"), "{fault}");
    // Only on a draft.
    let (source, _) = appended("#if data.draft { data.corrects.len() }");
    assert!(check(&source).unwrap_err().message.contains("draft quote"));
    // A logo read whatever `data.logo` says: the draft has none.
    let (source, _) = appended("#image(\"/logo.png\", width: 1cm)");
    assert!(check(&source).unwrap_err().message.contains("draft quote"));
    // Only on a second page: a template that breaks on page breaks.
    let (source, line) = appended("#context if counter(page).get().first() > 1 { panic(\"page two\") }");
    let fault = check(&source).unwrap_err();
    assert_eq!(fault.line, Some(line), "{fault}");
    assert!(fault.message.contains("page two") && fault.message.contains("invoice"), "{fault}");
}

#[test]
fn hostile_files_are_refused_without_panicking() {
    let (_dir, folder) = folder();
    std::fs::create_dir_all(folder.path()).unwrap();
    let binary = name("binaire");
    std::fs::write(folder.file(&binary), [0xff, 0xfe, 0x00, 0x9f]).unwrap();
    assert!(matches!(folder.source(&TemplateChoice::File(binary.clone())), Err(TemplateError::NotText(_))));
    let large = name("énorme");
    let size = usize::try_from(MAX_TEMPLATE_BYTES).unwrap() + 1;
    std::fs::write(folder.file(&large), "a".repeat(size)).unwrap();
    assert!(matches!(folder.source(&TemplateChoice::File(large.clone())), Err(TemplateError::TooLarge(_))));
    // Chosen, each falls back to the built-in template with the reason.
    for (chosen, code) in [(binary, "template_not_text"), (large, "template_too_large")] {
        folder.choose(&TemplateChoice::File(chosen.clone())).unwrap();
        let active = folder.active();
        assert_eq!(active.source, None);
        let warning = active.warning.unwrap();
        assert_eq!(warning.name, chosen);
        assert!(matches!(warning.problem, TemplateProblem::Unreadable(_)), "{code}: {warning}");
    }
    // Typst sources that loop, recurse or read what is not there: errors, not panics.
    for source in [
        "#let f(x) = f(x)\n#f(1)",
        "#read(\"/etc/passwd\")",
        "#image(\"/nothing.png\")",
        "#json(\"/data.json\").at(\"lines\").at(100000)",
        "#let x = 1 / 0",
        "\u{0}\u{1}#{{{{",
    ] {
        assert!(check(source).is_err(), "{source}");
    }
}

#[test]
fn the_choice_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let company = CompanyId(uuid::Uuid::now_v7());
    {
        let folder = TemplateFolder::new(dir.path(), company);
        assert_eq!(folder.chosen(), TemplateChoice::BuiltIn);
        folder.duplicate(&TemplateChoice::BuiltIn, &name("Maison")).unwrap();
        folder.choose(&TemplateChoice::File(name("Maison"))).unwrap();
    }
    // A new start: a new folder value over the same files.
    let folder = TemplateFolder::new(dir.path(), company);
    assert_eq!(folder.chosen(), TemplateChoice::File(name("Maison")));
    let active = folder.active();
    assert_eq!(active.warning, None);
    assert_eq!(active.template(), Some(BUILT_IN_TEMPLATE));
    // Another company's folder is not touched.
    assert_eq!(TemplateFolder::new(dir.path(), CompanyId(uuid::Uuid::now_v7())).chosen(), TemplateChoice::BuiltIn);
    // Back to the built-in one.
    folder.choose(&TemplateChoice::BuiltIn).unwrap();
    assert_eq!(TemplateFolder::new(dir.path(), company).active(), ActiveTemplate::built_in());
}

#[test]
fn choosing_needs_the_file_and_duplicating_never_overwrites() {
    let (_dir, folder) = folder();
    assert!(matches!(folder.choose(&TemplateChoice::File(name("absent"))), Err(TemplateError::NotFound(_))));
    assert_eq!(folder.chosen(), TemplateChoice::BuiltIn);
    folder.duplicate(&TemplateChoice::BuiltIn, &name("A")).unwrap();
    std::fs::write(folder.file(&name("A")), "#let changed = 1\n").unwrap();
    let again = folder.duplicate(&TemplateChoice::BuiltIn, &name("A")).unwrap_err();
    assert_eq!(again.code(), "template_exists");
    assert_eq!(std::fs::read_to_string(folder.file(&name("A"))).unwrap(), "#let changed = 1\n");
    // A copy of a copy.
    folder.duplicate(&TemplateChoice::File(name("A")), &name("B")).unwrap();
    assert_eq!(std::fs::read_to_string(folder.file(&name("B"))).unwrap(), "#let changed = 1\n");
    assert_eq!(folder.list().unwrap(), vec![name("A"), name("B")]);
    // Other files in the folder are not templates.
    std::fs::write(folder.path().join("notes.txt"), "x").unwrap();
    std::fs::write(folder.path().join("..typ"), "x").unwrap();
    assert_eq!(folder.list().unwrap(), vec![name("A"), name("B")]);
}

#[test]
fn a_broken_or_missing_choice_falls_back_with_its_warning() {
    let (_dir, folder) = folder();
    folder.duplicate(&TemplateChoice::BuiltIn, &name("Cassé")).unwrap();
    std::fs::write(folder.file(&name("Cassé")), with_line(12, "#let = (")).unwrap();
    folder.choose(&TemplateChoice::File(name("Cassé"))).unwrap();
    let active = folder.active();
    assert_eq!(active.choice, TemplateChoice::File(name("Cassé")));
    assert_eq!(active.template(), None, "the built-in template lays documents out");
    let warning = active.warning.clone().unwrap();
    let TemplateProblem::Broken(fault) = &warning.problem else { panic!("{warning}") };
    assert_eq!(fault.line, Some(12));
    // Documents come out, with the warning.
    let samples = Samples::new().unwrap();
    let rendered = active.pdf(&sources(&samples), samples.created).unwrap();
    assert!(rendered.pdf.starts_with(b"%PDF"));
    assert_eq!(rendered.warning, Some(warning));

    std::fs::remove_file(folder.file(&name("Cassé"))).unwrap();
    let warning = folder.active().warning.unwrap();
    assert_eq!(warning.problem, TemplateProblem::Missing);
}

fn sources(samples: &Samples) -> DocumentSources {
    DocumentSources {
        seller: samples.seller.clone(),
        logo: Some(samples.logo.clone()),
        document: samples.invoice.clone(),
        corrected_invoice: None,
        language: DocumentLanguage::French,
        buyer_is_business: true,
        paid: rust_decimal::Decimal::ZERO,
        buyer_endpoint: None,
    }
}

#[test]
fn a_template_broken_on_one_document_falls_back_for_that_document() {
    let (source, line) = appended("#if data.buyer.name == \"Client piège\" { panic(\"trap\") }");
    assert_eq!(check(&source), Ok(()), "the samples do not reach it");
    let (_dir, folder) = folder();
    folder.duplicate(&TemplateChoice::BuiltIn, &name("Piège")).unwrap();
    std::fs::write(folder.file(&name("Piège")), &source).unwrap();
    folder.choose(&TemplateChoice::File(name("Piège"))).unwrap();
    let active = folder.active();
    assert_eq!(active.warning, None);
    let samples = Samples::new().unwrap();
    let mut trapped = sources(&samples);
    assert_eq!(active.pdf(&trapped, samples.created).unwrap().warning, None);
    trapped.document.customer.name = "Client piège".to_owned();
    let rendered = active.pdf(&trapped, samples.created).unwrap();
    assert!(rendered.pdf.starts_with(b"%PDF"));
    let warning = rendered.warning.unwrap();
    assert_eq!(warning.name, name("Piège"));
    assert!(matches!(&warning.problem, TemplateProblem::Broken(fault) if fault.line == Some(line)), "{warning}");
    // The Factur-X falls back the same way.
    let facturx = active.facturx(&trapped, Relationship::Data, samples.created).unwrap();
    assert!(facturx.warning.is_some() && facturx.pdf.starts_with(b"%PDF"));
}

#[test]
fn names_are_checked() {
    for valid in ["Mon modèle", "facture-2027", "A_b 3", "  espaces autour  ", "Ünïcödé"] {
        assert!(TemplateName::parse(valid).is_ok(), "{valid}");
    }
    assert_eq!(name("  espaces autour  ").as_str(), "espaces autour");
    for invalid in ["", "   ", "..", "../x", "a/b", "a\\b", "x.typ", "nul", "COM1", "a\u{0}b", "tab\there", "C:x"] {
        let error = TemplateName::parse(invalid).unwrap_err();
        assert_eq!(error.code(), "template_name_invalid", "{invalid}");
    }
    assert!(TemplateName::parse(&"é".repeat(MAX_NAME_CHARS)).is_ok());
    assert!(TemplateName::parse(&"é".repeat(MAX_NAME_CHARS + 1)).is_err());
    // Reported bounded, whatever was typed.
    let TemplateError::InvalidName { name, .. } = TemplateName::parse(&"/".repeat(10_000)).unwrap_err() else {
        panic!()
    };
    assert!(name.chars().count() <= MAX_NAME_CHARS + 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Whatever is typed, a name accepted names a file directly inside the company's
    /// folder, and reads back as itself.
    #[test]
    fn a_name_never_escapes_the_folder(typed in prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 ._/\\\\:-]{0,80}",
        "(\\.\\.|/|\\\\|[a-zé ]){0,12}",
    ]) {
        let dir = std::path::PathBuf::from("/data/templates/company");
        let folder = TemplateFolder { dir: dir.clone() };
        if let Ok(name) = TemplateName::parse(&typed) {
            let path = folder.file(&name);
            prop_assert_eq!(path.parent(), Some(dir.as_path()));
            let file = path.strip_prefix(&dir).unwrap();
            prop_assert!(file.components().all(|c| matches!(c, Component::Normal(_))));
            prop_assert_eq!(file.components().count(), 1);
            prop_assert!(!name.as_str().contains(".."));
            prop_assert!(!name.as_str().contains(['/', '\\', ':', '\0']));
            prop_assert!(name.as_str().chars().count() <= MAX_NAME_CHARS);
            prop_assert_eq!(TemplateName::parse(name.as_str()).ok(), Some(name.clone()));
            let json = serde_json::to_string(&name).unwrap();
            prop_assert_eq!(serde_json::from_str::<TemplateName>(&json).ok(), Some(name));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any text as a template: checked without a panic (valid typst lays out, the rest is
    /// reported).
    #[test]
    fn any_text_as_a_template_is_checked_without_panicking(source in prop_oneof![
        any::<String>(),
        "[#{}()\\[\\]a-z0-9 .,:=\"\n]{0,200}",
    ]) {
        let _ = check(&source);
    }
}

#[test]
fn a_panic_while_laying_out_with_the_chosen_template_falls_back() {
    let (_dir, folder) = folder();
    folder.duplicate(&TemplateChoice::BuiltIn, &name("Fragile")).unwrap();
    folder.choose(&TemplateChoice::File(name("Fragile"))).unwrap();
    let active = folder.active();
    assert!(active.template().is_some());
    // A layout (the window's page images, say) that a typst bug stops on the user's template.
    let (pages, warning) =
        active.lay_out(|template| if template.is_some() { panic!("a typst bug") } else { Ok(vec!["page 1"]) }).unwrap();
    assert_eq!(pages, vec!["page 1"]);
    let warning = warning.unwrap();
    assert!(matches!(&warning.problem, TemplateProblem::Broken(fault) if fault.line.is_none()), "{warning}");
    // Other failures are the document's, not the template's: no fallback.
    let refused = active.lay_out(|_| -> Result<(), PdfError> { Err(PdfError::NumberPending) });
    assert_eq!(refused, Err(PdfError::NumberPending));
}
