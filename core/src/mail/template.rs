//! The text of a document's e-mail: a subject and a body the user can edit, with
//! placeholders filled from the document (`{numéro}`, `{client}`, `{montant}`,
//! `{échéance}`, `{entreprise}`; `{{` and `}}` write a brace).
//!
//! A template's text form is its subject on the first line, an empty line, then the body:
//! the built-in ones are such files (`templates/fr.txt`, `en.txt`, `nl.txt`).

use crate::model::DocumentLanguage;

/// The placeholders a template may use, in the order of [`TemplateValues`].
pub const PLACEHOLDERS: [&str; 5] = ["numéro", "client", "montant", "échéance", "entreprise"];

/// What fills a template's placeholders, already formatted for the customer's language.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TemplateValues {
    /// `{numéro}`: the document's number.
    pub number: String,
    /// `{client}`: the customer's name.
    pub client: String,
    /// `{montant}`: the amount due, with its currency.
    pub amount: String,
    /// `{échéance}`: the due date.
    pub due_date: String,
    /// `{entreprise}`: the company's name.
    pub company: String,
}

impl TemplateValues {
    fn get(&self, placeholder: &str) -> Option<&str> {
        match placeholder {
            "numéro" => Some(&self.number),
            "client" => Some(&self.client),
            "montant" => Some(&self.amount),
            "échéance" => Some(&self.due_date),
            "entreprise" => Some(&self.company),
            _ => None,
        }
    }
}

/// Why a template cannot be used; the position is a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("The template's first line (the subject) is empty.")]
    SubjectMissing,
    #[error("The subject must be one line, followed by an empty line and the body.")]
    NoBlankLine,
    #[error(
        "Line {line}, column {column}: “{{{name}}}” is not a known field (known: {{numéro}}, {{client}}, {{montant}}, {{échéance}}, {{entreprise}})."
    )]
    UnknownPlaceholder { name: String, line: usize, column: usize },
    #[error("Line {line}, column {column}: a brace is not closed (write {{{{ or }}}} for a brace).")]
    Unbalanced { line: usize, column: usize },
}

impl TemplateError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::SubjectMissing => "mail_template_subject_missing",
            Self::NoBlankLine => "mail_template_no_blank_line",
            Self::UnknownPlaceholder { .. } => "mail_template_unknown_field",
            Self::Unbalanced { .. } => "mail_template_unbalanced",
        }
    }
}

/// An e-mail template: a subject and a body with placeholders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailTemplate {
    pub subject: String,
    pub body: String,
}

impl MailTemplate {
    /// The built-in template of a language.
    pub fn built_in(language: DocumentLanguage) -> Self {
        let text = match language {
            DocumentLanguage::French => include_str!("templates/fr.txt"),
            DocumentLanguage::English => include_str!("templates/en.txt"),
            DocumentLanguage::Dutch => include_str!("templates/nl.txt"),
        };
        // The built-in texts are checked by a test; a broken one would still read.
        Self::parse(text).unwrap_or_else(|_| Self { subject: String::new(), body: text.to_owned() })
    }

    /// Reads a template's text form (subject, empty line, body) and checks its placeholders.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let text = text.replace("\r\n", "\n");
        let (subject, body) = text.split_once('\n').unwrap_or((&text, ""));
        if subject.trim().is_empty() {
            return Err(TemplateError::SubjectMissing);
        }
        let body = if body.is_empty() { "" } else { body.strip_prefix('\n').ok_or(TemplateError::NoBlankLine)? };
        let template = Self { subject: subject.trim().to_owned(), body: body.trim_end().to_owned() + "\n" };
        template.render(&TemplateValues::default())?;
        Ok(template)
    }

    /// The text form [`Self::parse`] reads.
    pub fn to_text(&self) -> String {
        format!("{}\n\n{}", self.subject, self.body)
    }

    /// The subject and body with the placeholders filled.
    pub fn render(&self, values: &TemplateValues) -> Result<(String, String), TemplateError> {
        // The subject is one header line: line breaks in a value never reach it.
        let subject = fill(&self.subject, values, 1)?.replace(['\r', '\n'], " ");
        let body = fill(&self.body, values, 3)?;
        Ok((subject, body))
    }
}

/// `text` with its placeholders replaced; `first_line` numbers its lines in errors.
fn fill(text: &str, values: &TemplateValues, first_line: usize) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len() + 64);
    for (index, line) in text.split('\n').enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let line_number = first_line + index;
        let mut chars = line.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let column = line[..at].chars().count() + 1;
            match c {
                '{' if chars.peek().is_some_and(|&(_, next)| next == '{') => {
                    chars.next();
                    out.push('{');
                }
                '}' if chars.peek().is_some_and(|&(_, next)| next == '}') => {
                    chars.next();
                    out.push('}');
                }
                '{' => {
                    let rest = &line[at + 1..];
                    let end = rest.find('}').ok_or(TemplateError::Unbalanced { line: line_number, column })?;
                    let name = &rest[..end];
                    let value = values.get(name.trim()).ok_or_else(|| TemplateError::UnknownPlaceholder {
                        name: name.to_owned(),
                        line: line_number,
                        column,
                    })?;
                    out.push_str(value);
                    while chars.next_if(|&(i, _)| i <= at + 1 + end).is_some() {}
                }
                '}' => return Err(TemplateError::Unbalanced { line: line_number, column }),
                other => out.push(other),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> TemplateValues {
        TemplateValues {
            number: "F-2026-0042".into(),
            client: "Café du Nord".into(),
            amount: "1 234,50 €".into(),
            due_date: "31/12/2026".into(),
            company: "Boulangerie Dupont".into(),
        }
    }

    #[test]
    fn built_in_templates_fill_every_placeholder_in_each_language() {
        for language in DocumentLanguage::ALL {
            let template = MailTemplate::built_in(language);
            assert!(!template.subject.is_empty(), "{language:?}");
            let (subject, body) = template.render(&values()).unwrap();
            assert!(subject.contains("F-2026-0042"), "{language:?}: {subject}");
            for value in ["F-2026-0042", "Café du Nord", "1 234,50 €", "31/12/2026", "Boulangerie Dupont"] {
                assert!(body.contains(value), "{language:?} body lacks {value}: {body}");
            }
            assert!(!body.contains('{') && !subject.contains('{'), "{language:?}");
            assert_eq!(MailTemplate::parse(&template.to_text()).unwrap(), template, "round trip");
        }
    }

    #[test]
    fn an_edited_template_says_where_it_is_broken() {
        let error = MailTemplate::parse("Facture {numéro}\n\nBonjour {clien},\n").unwrap_err();
        assert_eq!(error, TemplateError::UnknownPlaceholder { name: "clien".into(), line: 3, column: 9 });
        assert_eq!(error.code(), "mail_template_unknown_field");
        let error = MailTemplate::parse("Facture {numéro\n\nBonjour\n").unwrap_err();
        assert_eq!(error, TemplateError::Unbalanced { line: 1, column: 9 });
        assert_eq!(MailTemplate::parse("\n\nBonjour").unwrap_err().code(), "mail_template_subject_missing");
        assert_eq!(MailTemplate::parse("Facture\nBonjour").unwrap_err().code(), "mail_template_no_blank_line");
        let braces = MailTemplate::parse("Sujet\n\n{{pas un champ}} {montant}").unwrap();
        assert_eq!(braces.render(&values()).unwrap().1, "{pas un champ} 1 234,50 €\n");
    }

    proptest::proptest! {
        /// Any text, however broken, is read or refused with a position: never a panic.
        #[test]
        fn any_text_is_read_or_refused_never_a_panic(text in "\\PC{0,40}(\n\n\\PC{0,80})?") {
            match MailTemplate::parse(&text) {
                Ok(template) => {
                    let (subject, _) = template.render(&values()).unwrap();
                    proptest::prop_assert!(!subject.contains('\n'));
                }
                Err(TemplateError::UnknownPlaceholder { line, column, .. } | TemplateError::Unbalanced { line, column }) => {
                    proptest::prop_assert!(line >= 1 && column >= 1);
                }
                Err(_) => {}
            }
        }
    }

    #[test]
    fn a_value_never_breaks_the_subject_line() {
        let template = MailTemplate::parse("Facture {numéro} pour {client}\n\nBonjour").unwrap();
        let hostile = TemplateValues { client: "X\r\nBcc: victim@example.org".into(), ..values() };
        let (subject, _) = template.render(&hostile).unwrap();
        assert!(!subject.contains('\n') && !subject.contains('\r'), "{subject:?}");
    }
}
