//! The Peppol BIS Billing 3.0 UBL writer: `Invoice` for invoices, `CreditNote` for
//! credit notes, elements in the order of the UBL 2.1 schemas.

use base64::Engine as _;

use super::content::{Content, FRENCH_BILLING_MODE, Line, amount, number};
use super::parties::Party;
use super::xml::XmlWriter;
use super::{EinvoiceError, UblProfile};
use crate::model::{Address, DocumentKind, VatCategory};

const CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";
const INVOICE: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const CREDIT_NOTE: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
/// BT-24 and BT-23 of Peppol BIS Billing 3.0.
const PEPPOL_CUSTOMIZATION: &str = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0";
const PEPPOL_PROFILE: &str = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0";
/// BT-24 of the French CTC's EN 16931 UBL (its BT-23 is the billing mode).
const FRENCH_CUSTOMIZATION: &str = "urn:cen.eu:en16931:2017";

pub(super) fn write(content: &Content, profile: UblProfile, pdf: Option<&[u8]>) -> Result<String, EinvoiceError> {
    if content.seller.endpoint.is_none() {
        return Err(EinvoiceError::ElectronicAddressMissing { party: "seller" });
    }
    if content.buyer.endpoint.is_none() {
        return Err(EinvoiceError::ElectronicAddressMissing { party: "buyer" });
    }
    let credit = content.kind == DocumentKind::CreditNote;
    let mut xml = XmlWriter::new();
    let (root, namespace) = if credit { ("CreditNote", CREDIT_NOTE) } else { ("Invoice", INVOICE) };
    xml.open(root, &[("xmlns", namespace), ("xmlns:cac", CAC), ("xmlns:cbc", CBC)]);
    header(&mut xml, content, profile);
    references(&mut xml, content, pdf);
    xml.open("cac:AccountingSupplierParty", &[]);
    party(&mut xml, &content.seller);
    xml.close();
    xml.open("cac:AccountingCustomerParty", &[]);
    party(&mut xml, &content.buyer);
    xml.close();
    if let Some(date) = content.delivery_date() {
        xml.open("cac:Delivery", &[]);
        xml.leaf("cbc:ActualDeliveryDate", &[], &date.to_string());
        if content.needs_delivery_place() {
            xml.open("cac:DeliveryLocation", &[]);
            address(&mut xml, "cac:Address", &content.buyer.address);
            xml.close();
        }
        xml.close();
    }
    payment(&mut xml, content);
    totals(&mut xml, content);
    for line in &content.lines {
        invoice_line(&mut xml, line, credit, content.currency.as_str());
    }
    Ok(xml.finish())
}

/// From the customization id to the document currency.
fn header(xml: &mut XmlWriter, content: &Content, profile: UblProfile) {
    let credit = content.kind == DocumentKind::CreditNote;
    let (customization, process) = match profile {
        UblProfile::Peppol => (PEPPOL_CUSTOMIZATION, PEPPOL_PROFILE),
        UblProfile::FrenchCtc => (FRENCH_CUSTOMIZATION, content.french_billing_mode.unwrap_or(FRENCH_BILLING_MODE)),
    };
    xml.leaf("cbc:CustomizationID", &[], customization);
    xml.leaf("cbc:ProfileID", &[], process);
    xml.leaf("cbc:ID", &[], &content.number);
    xml.leaf("cbc:IssueDate", &[], &content.issue_date.to_string());
    if !credit {
        xml.opt_leaf("cbc:DueDate", &[], content.due_date.map(|d| d.to_string()).as_deref());
    }
    xml.leaf(if credit { "cbc:CreditNoteTypeCode" } else { "cbc:InvoiceTypeCode" }, &[], content.type_code());
    match profile {
        // Peppol allows one note (PEPPOL-EN16931-R002): every note in it, a line each.
        UblProfile::Peppol => {
            let notes: Vec<&str> = content.notes.iter().map(|note| note.text.as_str()).collect();
            xml.leaf("cbc:Note", &[], &notes.join("\n"));
        }
        // UBL has no subject code element: EN 16931 puts it first, between #; the
        // French rules look for the PMT, PMD and AAB notes that way.
        UblProfile::FrenchCtc => {
            for note in &content.notes {
                let text = match note.subject {
                    Some(code) => format!("#{code}#{}", note.text),
                    None => note.text.clone(),
                };
                xml.leaf("cbc:Note", &[], &text);
            }
        }
    }
    xml.leaf("cbc:DocumentCurrencyCode", &[], content.currency.as_str());
}

/// The buyer's or order reference, the corrected invoice, the embedded PDF.
fn references(xml: &mut XmlWriter, content: &Content, pdf: Option<&[u8]>) {
    // Peppol wants a buyer reference or an order reference (PEPPOL-EN16931-R003): the
    // customer's own reference when there is one, else the document number.
    match &content.customer_reference {
        Some(reference) => {
            xml.open("cac:OrderReference", &[]);
            xml.leaf("cbc:ID", &[], reference);
            xml.close();
        }
        None => xml.leaf("cbc:BuyerReference", &[], &content.number),
    }
    if let Some(corrected) = &content.corrected_invoice {
        xml.open("cac:BillingReference", &[]);
        xml.open("cac:InvoiceDocumentReference", &[]);
        xml.leaf("cbc:ID", &[], &corrected.number);
        xml.leaf("cbc:IssueDate", &[], &corrected.issue_date.to_string());
        xml.close();
        xml.close();
    }
    if let Some(pdf) = pdf {
        xml.open("cac:AdditionalDocumentReference", &[]);
        xml.leaf("cbc:ID", &[], &content.number);
        xml.open("cac:Attachment", &[]);
        let filename = format!("{}.pdf", content.number.replace('/', "-"));
        let encoded = base64::engine::general_purpose::STANDARD.encode(pdf);
        xml.leaf(
            "cbc:EmbeddedDocumentBinaryObject",
            &[("mimeCode", "application/pdf"), ("filename", &filename)],
            &encoded,
        );
        xml.close();
        xml.close();
    }
}

/// The payment means (with the payment reference) and terms.
fn payment(xml: &mut XmlWriter, content: &Content) {
    if let Some(payment) = &content.payment {
        xml.open("cac:PaymentMeans", &[]);
        xml.leaf("cbc:PaymentMeansCode", &[], payment.means_code);
        if content.kind == DocumentKind::CreditNote {
            xml.opt_leaf("cbc:PaymentDueDate", &[], content.due_date.map(|d| d.to_string()).as_deref());
        }
        xml.leaf("cbc:PaymentID", &[], &content.payment_reference);
        xml.open("cac:PayeeFinancialAccount", &[]);
        xml.leaf("cbc:ID", &[], &payment.iban);
        if let Some(bic) = &payment.bic {
            xml.open("cac:FinancialInstitutionBranch", &[]);
            xml.leaf("cbc:ID", &[], bic);
            xml.close();
        }
        xml.close();
        xml.close();
    }
    xml.open("cac:PaymentTerms", &[]);
    xml.leaf("cbc:Note", &[], &content.payment_terms);
    xml.close();
}

/// The VAT breakdown and the document totals.
fn totals(xml: &mut XmlWriter, content: &Content) {
    let money = [("currencyID", content.currency.as_str())];
    let totals = &content.totals;
    xml.open("cac:TaxTotal", &[]);
    xml.leaf("cbc:TaxAmount", &money, &amount(totals.vat));
    for row in &content.tax_rows {
        xml.open("cac:TaxSubtotal", &[]);
        xml.leaf("cbc:TaxableAmount", &money, &amount(row.taxable));
        xml.leaf("cbc:TaxAmount", &money, &amount(row.vat));
        xml.open("cac:TaxCategory", &[]);
        xml.leaf("cbc:ID", &[], row.category.code());
        if row.category != VatCategory::OutOfScope {
            xml.leaf("cbc:Percent", &[], &number(row.rate.percent()));
        }
        xml.opt_leaf("cbc:TaxExemptionReasonCode", &[], row.exemption_code);
        xml.opt_leaf("cbc:TaxExemptionReason", &[], row.exemption_reason.as_deref());
        tax_scheme(xml, "VAT");
        xml.close();
        xml.close();
    }
    xml.close();

    xml.open("cac:LegalMonetaryTotal", &[]);
    xml.leaf("cbc:LineExtensionAmount", &money, &amount(content.line_total()));
    xml.leaf("cbc:TaxExclusiveAmount", &money, &amount(totals.net));
    xml.leaf("cbc:TaxInclusiveAmount", &money, &amount(totals.gross));
    xml.leaf("cbc:PayableAmount", &money, &amount(totals.gross));
    xml.close();
}

fn tax_scheme(xml: &mut XmlWriter, id: &str) {
    xml.open("cac:TaxScheme", &[]);
    xml.leaf("cbc:ID", &[], id);
    xml.close();
}

fn address(xml: &mut XmlWriter, element: &'static str, address: &Address) {
    xml.open(element, &[]);
    xml.leaf("cbc:StreetName", &[], &address.street);
    xml.leaf("cbc:AdditionalStreetName", &[], &address.street2);
    xml.leaf("cbc:CityName", &[], &address.city);
    xml.leaf("cbc:PostalZone", &[], &address.postcode);
    xml.open("cac:Country", &[]);
    xml.leaf("cbc:IdentificationCode", &[], address.country.code());
    xml.close();
    xml.close();
}

fn party(xml: &mut XmlWriter, party: &Party) {
    xml.open("cac:Party", &[]);
    if let Some(endpoint) = &party.endpoint {
        xml.leaf("cbc:EndpointID", &[("schemeID", endpoint.scheme())], endpoint.id());
    }
    if let Some(identifier) = &party.identifier {
        xml.open("cac:PartyIdentification", &[]);
        match identifier.scheme {
            Some(scheme) => xml.leaf("cbc:ID", &[("schemeID", scheme)], &identifier.id),
            None => xml.leaf("cbc:ID", &[], &identifier.id),
        }
        xml.close();
    }
    xml.open("cac:PartyName", &[]);
    xml.leaf("cbc:Name", &[], &party.name);
    xml.close();
    address(xml, "cac:PostalAddress", &party.address);
    if let Some(vat) = &party.vat {
        xml.open("cac:PartyTaxScheme", &[]);
        xml.leaf("cbc:CompanyID", &[], vat);
        tax_scheme(xml, "VAT");
        xml.close();
    }
    if let Some(registration) = &party.tax_registration {
        xml.open("cac:PartyTaxScheme", &[]);
        xml.leaf("cbc:CompanyID", &[], registration);
        tax_scheme(xml, "TAX");
        xml.close();
    }
    xml.open("cac:PartyLegalEntity", &[]);
    xml.leaf("cbc:RegistrationName", &[], &party.name);
    if let Some(legal) = &party.legal_id {
        match legal.scheme {
            Some(scheme) => xml.leaf("cbc:CompanyID", &[("schemeID", scheme)], &legal.id),
            None => xml.leaf("cbc:CompanyID", &[], &legal.id),
        }
    }
    xml.opt_leaf("cbc:CompanyLegalForm", &[], party.legal_info.as_deref());
    xml.close();
    xml.close();
}

fn invoice_line(xml: &mut XmlWriter, line: &Line, credit: bool, currency: &str) {
    let money = [("currencyID", currency)];
    xml.open(if credit { "cac:CreditNoteLine" } else { "cac:InvoiceLine" }, &[]);
    xml.leaf("cbc:ID", &[], &line.id.to_string());
    xml.leaf(
        if credit { "cbc:CreditedQuantity" } else { "cbc:InvoicedQuantity" },
        &[("unitCode", line.unit_code)],
        &number(line.quantity),
    );
    xml.leaf("cbc:LineExtensionAmount", &money, &amount(line.net));
    if let Some(allowance) = line.allowance {
        xml.open("cac:AllowanceCharge", &[]);
        xml.leaf("cbc:ChargeIndicator", &[], "false");
        xml.leaf("cbc:AllowanceChargeReasonCode", &[], "95");
        xml.leaf("cbc:AllowanceChargeReason", &[], &format!("Remise {} %", number(line.discount_percent)));
        xml.leaf("cbc:Amount", &money, &amount(allowance));
        xml.close();
    }
    xml.open("cac:Item", &[]);
    xml.leaf("cbc:Name", &[], &line.name);
    xml.open("cac:ClassifiedTaxCategory", &[]);
    xml.leaf("cbc:ID", &[], line.category.code());
    if line.category != VatCategory::OutOfScope {
        xml.leaf("cbc:Percent", &[], &number(line.rate.percent()));
    }
    tax_scheme(xml, "VAT");
    xml.close();
    xml.close();
    xml.open("cac:Price", &[]);
    xml.leaf("cbc:PriceAmount", &money, &number(line.price));
    xml.close();
    xml.close();
}
