//! The Factur-X CII writer (`rsm:CrossIndustryInvoice`, EN 16931 profile): elements in
//! the order the Factur-X XSD fixes them.

use chrono::NaiveDate;

use super::content::{Content, Line, TaxRow, amount, number};
use super::parties::Party;
use super::xml::XmlWriter;
use crate::model::{Address, VatCategory};

const RSM: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
const RAM: &str = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100";
const QDT: &str = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100";
const UDT: &str = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100";
const UDT_DATE: &str = "udt:DateTimeString";
/// The Factur-X EN 16931 profile (BT-24).
const GUIDELINE: &str = "urn:cen.eu:en16931:2017";

fn date_102(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

/// `<name><udt:DateTimeString format="102">YYYYMMDD</…></name>`; `tag` is
/// `udt:DateTimeString`, or `qdt:DateTimeString` where the XSD wants the qualified type.
fn date_element(xml: &mut XmlWriter, name: &'static str, tag: &'static str, date: NaiveDate) {
    xml.open(name, &[]);
    xml.leaf(tag, &[("format", "102")], &date_102(date));
    xml.close();
}

pub(super) fn write(content: &Content) -> String {
    let mut xml = XmlWriter::new();
    xml.open(
        "rsm:CrossIndustryInvoice",
        &[("xmlns:rsm", RSM), ("xmlns:qdt", QDT), ("xmlns:ram", RAM), ("xmlns:udt", UDT)],
    );

    xml.open("rsm:ExchangedDocumentContext", &[]);
    if let Some(mode) = content.french_billing_mode {
        xml.open("ram:BusinessProcessSpecifiedDocumentContextParameter", &[]);
        xml.leaf("ram:ID", &[], mode);
        xml.close();
    }
    xml.open("ram:GuidelineSpecifiedDocumentContextParameter", &[]);
    xml.leaf("ram:ID", &[], GUIDELINE);
    xml.close();
    xml.close();

    xml.open("rsm:ExchangedDocument", &[]);
    xml.leaf("ram:ID", &[], &content.number);
    xml.leaf("ram:TypeCode", &[], content.type_code());
    date_element(&mut xml, "ram:IssueDateTime", UDT_DATE, content.issue_date);
    for note in &content.notes {
        xml.open("ram:IncludedNote", &[]);
        xml.leaf("ram:Content", &[], &note.text);
        xml.opt_leaf("ram:SubjectCode", &[], note.subject);
        xml.close();
    }
    xml.close();

    xml.open("rsm:SupplyChainTradeTransaction", &[]);
    for line in &content.lines {
        line_item(&mut xml, line);
    }

    xml.open("ram:ApplicableHeaderTradeAgreement", &[]);
    party(&mut xml, "ram:SellerTradeParty", &content.seller);
    party(&mut xml, "ram:BuyerTradeParty", &content.buyer);
    if let Some(reference) = &content.customer_reference {
        xml.open("ram:BuyerOrderReferencedDocument", &[]);
        xml.leaf("ram:IssuerAssignedID", &[], reference);
        xml.close();
    }
    xml.close();

    xml.open("ram:ApplicableHeaderTradeDelivery", &[]);
    if content.needs_delivery_place() {
        xml.open("ram:ShipToTradeParty", &[]);
        address(&mut xml, &content.buyer.address);
        xml.close();
    }
    if let Some(date) = content.delivery_date() {
        xml.open("ram:ActualDeliverySupplyChainEvent", &[]);
        date_element(&mut xml, "ram:OccurrenceDateTime", UDT_DATE, date);
        xml.close();
    }
    xml.close();

    settlement(&mut xml, content);
    xml.finish()
}

fn line_item(xml: &mut XmlWriter, line: &Line) {
    xml.open("ram:IncludedSupplyChainTradeLineItem", &[]);
    xml.open("ram:AssociatedDocumentLineDocument", &[]);
    xml.leaf("ram:LineID", &[], &line.id.to_string());
    xml.close();
    xml.open("ram:SpecifiedTradeProduct", &[]);
    xml.leaf("ram:Name", &[], &line.name);
    xml.close();
    xml.open("ram:SpecifiedLineTradeAgreement", &[]);
    xml.open("ram:NetPriceProductTradePrice", &[]);
    xml.leaf("ram:ChargeAmount", &[], &number(line.price));
    xml.close();
    xml.close();
    xml.open("ram:SpecifiedLineTradeDelivery", &[]);
    xml.leaf("ram:BilledQuantity", &[("unitCode", line.unit_code)], &number(line.quantity));
    xml.close();
    xml.open("ram:SpecifiedLineTradeSettlement", &[]);
    xml.open("ram:ApplicableTradeTax", &[]);
    xml.leaf("ram:TypeCode", &[], "VAT");
    xml.leaf("ram:CategoryCode", &[], line.category.code());
    if line.category != VatCategory::OutOfScope {
        xml.leaf("ram:RateApplicablePercent", &[], &number(line.rate.percent()));
    }
    xml.close();
    if let Some(allowance) = line.allowance {
        xml.open("ram:SpecifiedTradeAllowanceCharge", &[]);
        xml.open("ram:ChargeIndicator", &[]);
        xml.leaf("udt:Indicator", &[], "false");
        xml.close();
        xml.leaf("ram:ActualAmount", &[], &amount(allowance));
        xml.leaf("ram:ReasonCode", &[], "95");
        xml.leaf("ram:Reason", &[], &format!("Remise {} %", number(line.discount_percent)));
        xml.close();
    }
    xml.open("ram:SpecifiedTradeSettlementLineMonetarySummation", &[]);
    xml.leaf("ram:LineTotalAmount", &[], &amount(line.net));
    xml.close();
    xml.close();
    xml.close();
}

fn address(xml: &mut XmlWriter, address: &Address) {
    xml.open("ram:PostalTradeAddress", &[]);
    xml.leaf("ram:PostcodeCode", &[], &address.postcode);
    xml.leaf("ram:LineOne", &[], &address.street);
    xml.leaf("ram:LineTwo", &[], &address.street2);
    xml.leaf("ram:CityName", &[], &address.city);
    xml.leaf("ram:CountryID", &[], address.country.code());
    xml.close();
}

fn party(xml: &mut XmlWriter, element: &'static str, party: &Party) {
    xml.open(element, &[]);
    if let Some(identifier) = &party.identifier {
        let scheme = identifier.scheme.unwrap_or_default();
        xml.leaf("ram:GlobalID", &[("schemeID", scheme)], &identifier.id);
    }
    xml.leaf("ram:Name", &[], &party.name);
    xml.opt_leaf("ram:Description", &[], party.legal_info.as_deref());
    if let Some(legal) = &party.legal_id {
        xml.open("ram:SpecifiedLegalOrganization", &[]);
        match legal.scheme {
            Some(scheme) => xml.leaf("ram:ID", &[("schemeID", scheme)], &legal.id),
            None => xml.leaf("ram:ID", &[], &legal.id),
        }
        xml.close();
    }
    address(xml, &party.address);
    if let Some(endpoint) = &party.endpoint {
        xml.open("ram:URIUniversalCommunication", &[]);
        xml.leaf("ram:URIID", &[("schemeID", endpoint.scheme())], endpoint.id());
        xml.close();
    }
    if let Some(vat) = &party.vat {
        xml.open("ram:SpecifiedTaxRegistration", &[]);
        xml.leaf("ram:ID", &[("schemeID", "VA")], vat);
        xml.close();
    }
    if let Some(registration) = &party.tax_registration {
        xml.open("ram:SpecifiedTaxRegistration", &[]);
        xml.leaf("ram:ID", &[("schemeID", "FC")], registration);
        xml.close();
    }
    xml.close();
}

fn trade_tax(xml: &mut XmlWriter, row: &TaxRow) {
    xml.open("ram:ApplicableTradeTax", &[]);
    xml.leaf("ram:CalculatedAmount", &[], &amount(row.vat));
    xml.leaf("ram:TypeCode", &[], "VAT");
    xml.opt_leaf("ram:ExemptionReason", &[], row.exemption_reason.as_deref());
    xml.leaf("ram:BasisAmount", &[], &amount(row.taxable));
    xml.leaf("ram:CategoryCode", &[], row.category.code());
    xml.opt_leaf("ram:ExemptionReasonCode", &[], row.exemption_code);
    if row.category != VatCategory::OutOfScope {
        xml.leaf("ram:RateApplicablePercent", &[], &number(row.rate.percent()));
    }
    xml.close();
}

fn settlement(xml: &mut XmlWriter, content: &Content) {
    let currency = content.currency.as_str();
    xml.open("ram:ApplicableHeaderTradeSettlement", &[]);
    xml.leaf("ram:PaymentReference", &[], &content.payment_reference);
    xml.leaf("ram:InvoiceCurrencyCode", &[], currency);
    if let Some(payment) = &content.payment {
        xml.open("ram:SpecifiedTradeSettlementPaymentMeans", &[]);
        xml.leaf("ram:TypeCode", &[], payment.means_code);
        xml.open("ram:PayeePartyCreditorFinancialAccount", &[]);
        xml.leaf("ram:IBANID", &[], &payment.iban);
        xml.close();
        if let Some(bic) = &payment.bic {
            xml.open("ram:PayeeSpecifiedCreditorFinancialInstitution", &[]);
            xml.leaf("ram:BICID", &[], bic);
            xml.close();
        }
        xml.close();
    }
    for row in &content.tax_rows {
        trade_tax(xml, row);
    }
    xml.open("ram:SpecifiedTradePaymentTerms", &[]);
    xml.leaf("ram:Description", &[], &content.payment_terms);
    if let Some(due) = content.due_date {
        date_element(xml, "ram:DueDateDateTime", UDT_DATE, due);
    }
    xml.close();
    let totals = &content.totals;
    xml.open("ram:SpecifiedTradeSettlementHeaderMonetarySummation", &[]);
    xml.leaf("ram:LineTotalAmount", &[], &amount(content.line_total()));
    xml.leaf("ram:TaxBasisTotalAmount", &[], &amount(totals.net));
    xml.leaf("ram:TaxTotalAmount", &[("currencyID", currency)], &amount(totals.vat));
    xml.leaf("ram:GrandTotalAmount", &[], &amount(totals.gross));
    xml.leaf("ram:DuePayableAmount", &[], &amount(totals.gross));
    xml.close();
    if let Some(corrected) = &content.corrected_invoice {
        xml.open("ram:InvoiceReferencedDocument", &[]);
        xml.leaf("ram:IssuerAssignedID", &[], &corrected.number);
        date_element(xml, "ram:FormattedIssueDateTime", "qdt:DateTimeString", corrected.issue_date);
        xml.close();
    }
    xml.close();
}
