//! A small XML writer: elements in the order the caller writes them, text and attribute
//! values escaped, characters XML 1.0 cannot carry dropped, and no empty elements (the
//! Peppol rules refuse them: an optional value that is blank is left out).

use std::fmt::Write as _;

/// An XML document being written, indented by two spaces.
#[derive(Debug)]
pub(super) struct XmlWriter {
    out: String,
    open: Vec<&'static str>,
}

impl XmlWriter {
    pub(super) fn new() -> Self {
        Self { out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"), open: Vec::new() }
    }

    fn indent(&mut self) {
        for _ in 0..self.open.len() {
            self.out.push_str("  ");
        }
    }

    fn start_tag(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attributes {
            let _ = write!(self.out, " {key}=\"");
            escape_into(&mut self.out, value);
            self.out.push('"');
        }
        self.out.push('>');
    }

    /// Opens an element that will hold other elements.
    pub(super) fn open(&mut self, name: &'static str, attributes: &[(&str, &str)]) {
        self.start_tag(name, attributes);
        self.out.push('\n');
        self.open.push(name);
    }

    /// Closes the element opened last.
    pub(super) fn close(&mut self) {
        if let Some(name) = self.open.pop() {
            self.indent();
            let _ = writeln!(self.out, "</{name}>");
        }
    }

    /// An element holding `text`; nothing at all when `text` is blank.
    pub(super) fn leaf(&mut self, name: &str, attributes: &[(&str, &str)], text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        self.start_tag(name, attributes);
        escape_into(&mut self.out, text);
        let _ = writeln!(self.out, "</{name}>");
    }

    /// [`Self::leaf`] when there is a value.
    pub(super) fn opt_leaf(&mut self, name: &str, attributes: &[(&str, &str)], text: Option<&str>) {
        if let Some(text) = text {
            self.leaf(name, attributes, text);
        }
    }

    /// The document, every element closed.
    pub(super) fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.close();
        }
        self.out
    }
}

/// Whether XML 1.0 can carry `c` at all (control characters other than tab and line
/// breaks cannot be written, even escaped).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars().filter(|&c| xml_char(c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped_and_blank_values_left_out() {
        let mut xml = XmlWriter::new();
        xml.open("a", &[("x", "1 \"<2>\" & 'b'")]);
        xml.leaf("b", &[], "Dupont & Fils <SARL>\u{0}\u{1b}");
        xml.leaf("c", &[], "   ");
        xml.opt_leaf("d", &[], None);
        xml.open("e", &[]);
        let out = xml.finish();
        assert_eq!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a x=\"1 &quot;&lt;2&gt;&quot; &amp; &apos;b&apos;\">\n  \
             <b>Dupont &amp; Fils &lt;SARL&gt;</b>\n  <e>\n  </e>\n</a>\n"
        );
    }
}
