//! The words printed on documents, in the customer's language, from the Fluent files
//! `resources/locales/<language>/documents.ftl` built into the library.
//!
//! Core cannot use the app's `i18n` (the app depends on core), so it reads its own
//! file with the same `fluent-bundle`; the app's translators find it beside the app's
//! files. A message missing from a language falls back to French; one missing
//! everywhere prints its id (a test checks that every language has every message).

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use crate::model::DocumentLanguage;

/// The Fluent source of a language's document texts.
fn source(language: DocumentLanguage) -> &'static str {
    match language {
        DocumentLanguage::French => include_str!("../../../../resources/locales/fr/documents.ftl"),
        DocumentLanguage::Dutch => include_str!("../../../../resources/locales/nl/documents.ftl"),
        DocumentLanguage::English => include_str!("../../../../resources/locales/en/documents.ftl"),
    }
}

type Bundle = FluentBundle<FluentResource>;

fn bundle(language: DocumentLanguage) -> Bundle {
    let id = language.code().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No bidi isolation marks around arguments: they would end up in the PDF's text.
    bundle.set_use_isolating(false);
    let resource = FluentResource::try_new(source(language).to_owned()).unwrap_or_else(|(resource, errors)| {
        tracing::error!(language = language.code(), ?errors, "documents.ftl has syntax errors");
        resource
    });
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(language = language.code(), ?errors, "documents.ftl repeats a message");
    }
    bundle
}

/// The bundles, parsed once per process: French, Dutch, English.
fn bundles() -> &'static [Bundle; 3] {
    static BUNDLES: OnceLock<[Bundle; 3]> = OnceLock::new();
    BUNDLES.get_or_init(|| {
        [bundle(DocumentLanguage::French), bundle(DocumentLanguage::Dutch), bundle(DocumentLanguage::English)]
    })
}

/// The document texts of one language.
#[derive(Clone, Copy, Debug)]
pub struct Labels {
    language: DocumentLanguage,
}

impl Labels {
    pub fn new(language: DocumentLanguage) -> Self {
        Self { language }
    }

    fn bundle(language: DocumentLanguage) -> &'static Bundle {
        let [french, dutch, english] = bundles();
        match language {
            DocumentLanguage::French => french,
            DocumentLanguage::Dutch => dutch,
            DocumentLanguage::English => english,
        }
    }

    /// The message `id`.
    pub fn get(self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `id` when this language or French has it.
    pub fn find(self, id: &str) -> Option<String> {
        [self.language, DocumentLanguage::French]
            .into_iter()
            .any(|language| Self::bundle(language).has_message(id))
            .then(|| self.get(id))
    }

    /// The message `id` with its arguments (all text: amounts and dates come formatted).
    pub fn with(self, id: &str, args: &[(&str, &str)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, FluentValue::from(*value));
        }
        self.format(id, Some(&fluent_args))
    }

    fn format(self, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        for language in [self.language, DocumentLanguage::French] {
            let bundle = Self::bundle(language);
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, args, &mut errors);
                if !errors.is_empty() {
                    tracing::warn!(id, ?errors, "a document text could not be formatted completely");
                }
                return text.into_owned();
            }
        }
        tracing::warn!(id, language = self.language.code(), "no such message in documents.ftl");
        id.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Every language has every message of the others, with the same arguments.
    #[test]
    fn every_language_has_every_message() {
        let ids = |language: DocumentLanguage| -> BTreeMap<String, String> {
            source(language)
                .lines()
                .filter(|line| !line.starts_with([' ', '#', '.']) && line.contains(" = "))
                .filter_map(|line| line.split_once(" = "))
                .map(|(id, text)| {
                    let mut args: Vec<&str> = text.split("{ $").skip(1).filter_map(|a| a.split(' ').next()).collect();
                    args.sort_unstable();
                    (id.trim().to_owned(), args.join(","))
                })
                .collect()
        };
        let french = ids(DocumentLanguage::French);
        assert!(french.len() > 50, "{} messages", french.len());
        for language in [DocumentLanguage::English, DocumentLanguage::Dutch] {
            assert_eq!(ids(language), french, "{} differs from French", language.code());
        }
    }

    #[test]
    fn messages_with_arguments_and_without_isolation_marks() {
        let nl = Labels::new(DocumentLanguage::Dutch);
        assert_eq!(nl.get("doc-invoice"), "Factuur");
        assert_eq!(nl.with("total-vat", &[("rate", "21%")]), "Btw 21%");
        let fr = Labels::new(DocumentLanguage::French);
        assert_eq!(
            fr.with("doc-corrects", &[("number", "FA-1"), ("date", "02/11/2026")]),
            "Avoir sur la facture FA-1 du 02/11/2026"
        );
        assert_eq!(fr.get("no-such-message"), "no-such-message");
        assert_eq!(nl.find("country-DE").as_deref(), Some("DUITSLAND"));
        assert_eq!(fr.find("country-ZZ"), None);
    }
}
