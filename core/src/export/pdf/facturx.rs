//! Factur-X: the PDF/A-3b of an invoice or credit note carrying its CII XML.
//!
//! typst-pdf writes the PDF/A-3b in one pass: the pages with every font embedded, the
//! sRGB `OutputIntent`, and `factur-x.xml` attached with its `/AFRelationship`, listed in
//! the catalog's `/AF` array and its `EmbeddedFiles` name tree. What it cannot write is
//! the Factur-X extension of the XMP metadata (`fx:DocumentType` … and the description
//! of that schema, which PDF/A requires for properties outside its predefined schemas).
//! [`add_xmp_extension`] rewrites that one metadata stream in place, inside the same
//! single revision: every other object keeps its bytes (the attachment among them), only
//! the offsets after the metadata move, and the cross-reference table is rewritten with
//! them. Nothing is merged or re-saved after, so nothing can drop the attachment.
//!
//! The PDF read here is the one typst-pdf (krilla) just wrote: a classic cross-reference
//! table, an uncompressed metadata stream (PDF/A forbids filters on it) written just
//! before the catalog. Anything else is refused with [`PdfError::Export`] rather than
//! guessed at; the tests check the result with qpdf, pdffonts and the `factur-x` package.

use super::PdfError;

/// The name Factur-X gives the attached XML.
pub const FACTURX_FILE_NAME: &str = "factur-x.xml";

/// How the attached XML relates to the PDF (`/AFRelationship`). Factur-X allows these
/// three; `Data` (the XML holds the data the PDF shows) is the usual one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Relationship {
    #[default]
    Data,
    Alternative,
    Source,
}

impl Relationship {
    /// The value typst's `pdf.attach(relationship: …)` takes.
    pub(super) fn typst_name(self) -> &'static str {
        match self {
            Self::Data => "data",
            Self::Alternative => "alternative",
            Self::Source => "source",
        }
    }

    /// Parses `data`, `alternative` or `source`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "data" => Some(Self::Data),
            "alternative" => Some(Self::Alternative),
            "source" => Some(Self::Source),
            _ => None,
        }
    }
}

/// The typst source appended to the template: attaches `/factur-x.xml` (a file of the
/// world) under its Factur-X name. Appended at the end so that the template's line
/// numbers in error messages stay right.
pub(super) fn attach_source(relationship: Relationship) -> String {
    format!(
        "\n#pdf.attach(\"/{FACTURX_FILE_NAME}\", relationship: \"{}\", mime-type: \"text/xml\", \
         description: \"Factur-X invoice (EN 16931)\")\n",
        relationship.typst_name()
    )
}

/// The Factur-X namespace of the XMP properties.
const FX_NAMESPACE: &str = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#";

/// The XMP description of the four properties Factur-X 1.0 asks for.
fn fx_properties() -> String {
    format!(
        "<rdf:Description rdf:about=\"\" xmlns:fx=\"{FX_NAMESPACE}\">\
         <fx:DocumentType>INVOICE</fx:DocumentType>\
         <fx:DocumentFileName>{FACTURX_FILE_NAME}</fx:DocumentFileName>\
         <fx:Version>1.0</fx:Version>\
         <fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>\
         </rdf:Description>"
    )
}

/// The description of the Factur-X schema, one item of `pdfaExtension:schemas`.
fn fx_schema_item() -> String {
    let property = |name: &str, description: &str| {
        format!(
            "<rdf:li rdf:parseType=\"Resource\">\
             <pdfaProperty:name>{name}</pdfaProperty:name>\
             <pdfaProperty:valueType>Text</pdfaProperty:valueType>\
             <pdfaProperty:category>external</pdfaProperty:category>\
             <pdfaProperty:description>{description}</pdfaProperty:description>\
             </rdf:li>"
        )
    };
    format!(
        "<rdf:li rdf:parseType=\"Resource\">\
         <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>\
         <pdfaSchema:namespaceURI>{FX_NAMESPACE}</pdfaSchema:namespaceURI>\
         <pdfaSchema:prefix>fx</pdfaSchema:prefix>\
         <pdfaSchema:property><rdf:Seq>{}{}{}{}</rdf:Seq></pdfaSchema:property>\
         </rdf:li>",
        property("DocumentFileName", "The name of the embedded XML document"),
        property("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
        property("Version", "The actual version of the standard applying to the embedded XML document"),
        property("ConformanceLevel", "The conformance level of the embedded XML document"),
    )
}

const EXTENSION_NAMESPACES: &str = "xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\" \
     xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\" \
     xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\"";

/// The XMP packet `xmp` with the Factur-X properties and their schema description.
fn extend_xmp(xmp: &str) -> Result<String, PdfError> {
    let refuse = |what: &str| PdfError::Export(format!("the PDF's XMP metadata {what}"));
    let end = xmp.rfind("</rdf:RDF>").ok_or_else(|| refuse("has no rdf:RDF element"))?;
    let mut out = String::with_capacity(xmp.len() + 4096);
    // A list exists: the schema joins it (PDF/A wants one list); else a list is made.
    if let Some(list) = xmp.find("<pdfaExtension:schemas>") {
        let bag = xmp[list..].find("<rdf:Bag>").map(|at| list + at + "<rdf:Bag>".len());
        let bag = bag.filter(|&at| at < end).ok_or_else(|| refuse("has a schemas list without its rdf:Bag"))?;
        out.push_str(&xmp[..bag]);
        out.push_str(&fx_schema_item());
        out.push_str(&xmp[bag..end]);
    } else {
        out.push_str(&xmp[..end]);
        out.push_str("<rdf:Description rdf:about=\"\" ");
        out.push_str(EXTENSION_NAMESPACES);
        out.push_str("><pdfaExtension:schemas><rdf:Bag>");
        out.push_str(&fx_schema_item());
        out.push_str("</rdf:Bag></pdfaExtension:schemas></rdf:Description>");
    }
    out.push_str(&fx_properties());
    out.push_str(&xmp[end..]);
    Ok(out)
}

/// `pdf` (as typst-pdf wrote it) with the Factur-X XMP extension in its metadata stream.
pub(super) fn add_xmp_extension(pdf: &[u8]) -> Result<Vec<u8>, PdfError> {
    let refuse = |what: &str| PdfError::Export(format!("unexpected PDF structure: {what}"));
    // The trailer: the cross-reference table's offset and the catalog's number.
    let startxref = rfind(pdf, b"startxref").ok_or_else(|| refuse("no startxref"))?;
    let xref_at: usize = number_after(pdf, startxref + b"startxref".len()).ok_or_else(|| refuse("no xref offset"))?;
    if !pdf.get(xref_at..).is_some_and(|rest| rest.starts_with(b"xref")) {
        return Err(refuse("the cross-reference is not a table"));
    }
    let trailer = find(pdf, xref_at, b"trailer").ok_or_else(|| refuse("no trailer"))?;
    let root = number_after_key(&pdf[trailer..startxref], b"/Root").ok_or_else(|| refuse("no /Root"))?;
    let mut table = XrefTable::parse(&pdf[xref_at..trailer]).ok_or_else(|| refuse("a broken xref table"))?;
    let catalog = table.object(pdf, root).ok_or_else(|| refuse("no catalog"))?;
    let metadata =
        number_after_key(&pdf[catalog.clone()], b"/Metadata").ok_or_else(|| refuse("no /Metadata in the catalog"))?;
    let object = table.object(pdf, metadata).ok_or_else(|| refuse("no metadata object"))?;
    let body = &pdf[object.clone()];
    let dict_end = find(body, 0, b"stream").ok_or_else(|| refuse("the metadata is not a stream"))?;
    if find(&body[..dict_end], 0, b"/Filter").is_some() {
        return Err(refuse("the metadata stream is filtered"));
    }
    let length = number_after_key(&body[..dict_end], b"/Length").ok_or_else(|| refuse("no metadata /Length"))?;
    let mut data_at = dict_end + b"stream".len();
    // The stream's data begins after the end of line of `stream` (CR LF or LF).
    if body.get(data_at) == Some(&b'\r') {
        data_at += 1;
    }
    if body.get(data_at) == Some(&b'\n') {
        data_at += 1;
    }
    let data = body.get(data_at..data_at + length).ok_or_else(|| refuse("metadata shorter than its /Length"))?;
    let xmp = std::str::from_utf8(data).map_err(|_| refuse("metadata not UTF-8"))?;
    let xmp = extend_xmp(xmp)?;

    // The object rewritten with its new length; its dictionary otherwise unchanged.
    let header_end = find(body, 0, b"obj").ok_or_else(|| refuse("no obj keyword"))? + b"obj".len();
    let dict = std::str::from_utf8(&body[header_end..dict_end]).map_err(|_| refuse("a binary metadata dictionary"))?;
    let dict = dict.replacen(&format!("/Length {length}"), &format!("/Length {}", xmp.len()), 1);
    let mut object_bytes = Vec::with_capacity(xmp.len() + 200);
    object_bytes.extend_from_slice(&body[..header_end]);
    object_bytes.extend_from_slice(dict.as_bytes());
    object_bytes.extend_from_slice(b"stream\n");
    object_bytes.extend_from_slice(xmp.as_bytes());
    let after_data = data_at + length;
    object_bytes.extend_from_slice(&body[after_data..]);

    // Everything after the metadata object moves by the difference in size.
    let (start, end) = (object.start, object.end);
    let grown = object_bytes.len().checked_sub(end - start).ok_or_else(|| refuse("metadata shrank"))?;
    table.shift_after(start, grown);
    let mut out = Vec::with_capacity(pdf.len() + grown + 64);
    out.extend_from_slice(&pdf[..start]);
    out.extend_from_slice(&object_bytes);
    out.extend_from_slice(&pdf[end..xref_at]);
    let new_xref = out.len();
    table.write(&mut out);
    out.extend_from_slice(&pdf[trailer..startxref]);
    out.extend_from_slice(format!("startxref\n{new_xref}\n%%EOF\n").as_bytes());
    Ok(out)
}

/// A classic cross-reference table of one section (`xref`, then `first count`, then
/// entries).
struct XrefTable {
    first: usize,
    /// Each entry: offset (or next free object), generation, `n` or `f`.
    entries: Vec<(usize, u32, u8)>,
}

impl XrefTable {
    fn parse(bytes: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut lines = text.lines().map(str::trim).filter(|line| !line.is_empty());
        if lines.next()? != "xref" {
            return None;
        }
        let mut header = lines.next()?.split_whitespace();
        let first = header.next()?.parse().ok()?;
        let count: usize = header.next()?.parse().ok()?;
        let entries = lines
            .by_ref()
            .take(count)
            .map(|line| {
                let mut parts = line.split_whitespace();
                let offset = parts.next()?.parse().ok()?;
                let generation = parts.next()?.parse().ok()?;
                let kind = *parts.next()?.as_bytes().first()?;
                Some((offset, generation, kind))
            })
            .collect::<Option<Vec<_>>>()?;
        // One section only: a second subsection would follow the entries.
        (entries.len() == count && lines.next().is_none()).then_some(Self { first, entries })
    }

    /// The byte range of object `number` (from `N 0 obj` to after `endobj`).
    fn object(&self, pdf: &[u8], number: usize) -> Option<std::ops::Range<usize>> {
        let &(offset, _, kind) = self.entries.get(number.checked_sub(self.first)?)?;
        if kind != b'n' || !pdf.get(offset..)?.starts_with(format!("{number} ").as_bytes()) {
            return None;
        }
        let end = find(pdf, offset, b"endobj")? + b"endobj".len();
        Some(offset..end)
    }

    fn shift_after(&mut self, start: usize, by: usize) {
        for (offset, _, kind) in &mut self.entries {
            if *kind == b'n' && *offset > start {
                *offset += by;
            }
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("xref\n{} {}\n", self.first, self.entries.len()).as_bytes());
        for (offset, generation, kind) in &self.entries {
            out.extend_from_slice(format!("{offset:010} {generation:05} {}\r\n", char::from(*kind)).as_bytes());
        }
    }
}

fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    haystack.get(from..)?.windows(needle.len()).position(|window| window == needle).map(|at| at + from)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|window| window == needle)
}

/// The decimal number after `at`, skipping white space.
fn number_after(bytes: &[u8], at: usize) -> Option<usize> {
    let rest = bytes.get(at..)?;
    let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    let digits = rest[start..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&rest[start..start + digits]).ok()?.parse().ok()
}

/// The number after `key` in a dictionary's text (`/Root 12 0 R` → 12).
fn number_after_key(bytes: &[u8], key: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let at = find(bytes, from, key)?;
        let after = at + key.len();
        // `/Metadata` must not match `/MetadataX`: a delimiter follows a name.
        if bytes.get(after).is_some_and(u8::is_ascii_whitespace) {
            return number_after(bytes, after);
        }
        from = after;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_joins_an_existing_list_and_the_properties_follow() {
        let xmp = "<x:xmpmeta><rdf:RDF><rdf:Description><pdfaExtension:schemas><rdf:Bag><rdf:li>A</rdf:li></rdf:Bag>\
                   </pdfaExtension:schemas></rdf:Description></rdf:RDF></x:xmpmeta>";
        let extended = extend_xmp(xmp).expect("extended");
        assert_eq!(extended.matches("<pdfaExtension:schemas>").count(), 1);
        assert!(extended.contains("<rdf:Bag><rdf:li rdf:parseType=\"Resource\"><pdfaSchema:schema>Factur-X"));
        assert!(extended.contains("<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel></rdf:Description></rdf:RDF>"));
    }

    #[test]
    fn a_packet_without_a_list_gets_one() {
        let extended = extend_xmp("<rdf:RDF><rdf:Description/></rdf:RDF>").expect("extended");
        assert_eq!(extended.matches("<pdfaExtension:schemas><rdf:Bag>").count(), 1);
        assert!(extended.ends_with("</rdf:Description></rdf:RDF>"));
        assert!(extend_xmp("no rdf").is_err());
    }

    #[test]
    fn relationships_parse_as_typst_names_them() {
        for relationship in [Relationship::Data, Relationship::Alternative, Relationship::Source] {
            assert_eq!(Relationship::parse(relationship.typst_name()), Some(relationship));
        }
        assert_eq!(Relationship::parse("supplement"), None);
    }
}
