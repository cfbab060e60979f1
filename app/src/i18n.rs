//! The words the app shows, from the Fluent files in `resources/locales/<language>/`,
//! built into the binary. French is the default; a message missing from a language falls
//! back to French, and one missing everywhere shows its id (logged once) rather than
//! crashing.

use std::collections::HashSet;
use std::sync::Mutex;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// A display language of the app.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Language {
    #[default]
    French,
    English,
    Dutch,
}

impl Language {
    pub const ALL: [Self; 3] = [Self::French, Self::English, Self::Dutch];

    /// The BCP 47 code, also the folder of its files.
    pub fn code(self) -> &'static str {
        match self {
            Self::French => "fr",
            Self::English => "en",
            Self::Dutch => "nl",
        }
    }

    /// The language's own name, as a language menu shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::French => "Français",
            Self::English => "English",
            Self::Dutch => "Nederlands",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The Fluent files of this language, as built into the binary.
    fn sources(self) -> &'static [&'static str] {
        match self {
            Self::French => &[
                include_str!("../../resources/locales/fr/app.ftl"),
                include_str!("../../resources/locales/fr/errors.ftl"),
                include_str!("../../resources/locales/fr/screens.ftl"),
                include_str!("../../resources/locales/fr/import.ftl"),
                include_str!("../../resources/locales/fr/sharing.ftl"),
                include_str!("../../resources/locales/fr/update.ftl"),
                include_str!("../../resources/locales/fr/about.ftl"),
            ],
            Self::English => &[
                include_str!("../../resources/locales/en/app.ftl"),
                include_str!("../../resources/locales/en/errors.ftl"),
                include_str!("../../resources/locales/en/screens.ftl"),
                include_str!("../../resources/locales/en/import.ftl"),
                include_str!("../../resources/locales/en/sharing.ftl"),
                include_str!("../../resources/locales/en/update.ftl"),
                include_str!("../../resources/locales/en/about.ftl"),
            ],
            Self::Dutch => &[
                include_str!("../../resources/locales/nl/app.ftl"),
                include_str!("../../resources/locales/nl/errors.ftl"),
                include_str!("../../resources/locales/nl/screens.ftl"),
                include_str!("../../resources/locales/nl/import.ftl"),
                include_str!("../../resources/locales/nl/sharing.ftl"),
                include_str!("../../resources/locales/nl/update.ftl"),
                include_str!("../../resources/locales/nl/about.ftl"),
            ],
        }
    }
}

/// The messages of one language, with French behind it.
pub struct Texts {
    language: Language,
    bundle: FluentBundle<FluentResource>,
    french: Option<FluentBundle<FluentResource>>,
    missing: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for Texts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Texts").field("language", &self.language).finish_non_exhaustive()
    }
}

fn bundle(language: Language) -> FluentBundle<FluentResource> {
    let id = language.code().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No bidi isolation marks around arguments: every language here is left to right,
    // and the marks would end up in accessible labels.
    bundle.set_use_isolating(false);
    for source in language.sources() {
        let resource = FluentResource::try_new((*source).to_owned()).unwrap_or_else(|(resource, errors)| {
            tracing::error!(language = language.code(), ?errors, "a locale file has syntax errors");
            resource
        });
        if let Err(errors) = bundle.add_resource(resource) {
            tracing::error!(language = language.code(), ?errors, "a locale file repeats a message");
        }
    }
    bundle
}

impl Texts {
    pub fn new(language: Language) -> Self {
        let french = (language != Language::French).then(|| bundle(Language::French));
        Self { language, bundle: bundle(language), french, missing: Mutex::default() }
    }

    pub fn language(&self) -> Language {
        self.language
    }

    /// The message `id`.
    pub fn get(&self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `id` with its arguments.
    pub fn with(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        self.format(id, Some(&fluent_args))
    }

    /// The message for an error's stable code (`error-<code>`), or `fallback` when no
    /// locale has one.
    pub fn error(&self, code: &str, fallback: &str) -> String {
        let id = format!("error-{code}");
        if self.has(&id) { self.get(&id) } else { fallback.to_owned() }
    }

    pub fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id) || self.french.as_ref().is_some_and(|f| f.has_message(id))
    }

    fn format(&self, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        for bundle in std::iter::once(&self.bundle).chain(self.french.as_ref()) {
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, args, &mut errors);
                if !errors.is_empty() {
                    tracing::warn!(id, ?errors, "a message could not be formatted completely");
                }
                return text.into_owned();
            }
        }
        if let Ok(mut missing) = self.missing.lock()
            && missing.insert(id.to_owned())
        {
            tracing::warn!(id, language = self.language.code(), "no such message in the locale files");
        }
        id.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_by_default_with_arguments_and_fallbacks() {
        let fr = Texts::new(Language::default());
        assert_eq!(fr.language(), Language::French);
        assert_eq!(fr.get("wizard-sign-in"), "Se connecter");
        assert_eq!(fr.with("grace-left", &[("days", 2.into()), ("hours", 5.into())]), "Lecture seule dans 2 j 5 h");
        let nl = Texts::new(Language::Dutch);
        assert_eq!(nl.get("wizard-sign-in"), "Aanmelden");
        assert_eq!(nl.error("document_not_found", "x"), "Dit document bestaat niet (of werd verwijderd).");
        assert_eq!(nl.error("no_such_code", "the server's words"), "the server's words");
        assert_eq!(nl.get("no-such-message"), "no-such-message", "a missing id shows itself");
    }

    /// Every language has every message of the others, with the same arguments.
    #[test]
    fn every_language_has_every_message() {
        use std::collections::BTreeMap;
        let ids = |language: Language| -> BTreeMap<String, String> {
            language
                .sources()
                .iter()
                .flat_map(|source| source.lines())
                .filter(|line| !line.starts_with([' ', '#', '.']) && line.contains(" = "))
                .filter_map(|line| line.split_once(" = "))
                .map(|(id, text)| {
                    let mut args: Vec<&str> = text.split("{ $").skip(1).filter_map(|a| a.split(' ').next()).collect();
                    args.sort_unstable();
                    (id.trim().to_owned(), args.join(","))
                })
                .collect()
        };
        let french = ids(Language::French);
        assert!(french.len() > 60, "{} messages", french.len());
        for language in [Language::English, Language::Dutch] {
            assert_eq!(ids(language), french, "{} differs from French", language.code());
        }
    }
}
