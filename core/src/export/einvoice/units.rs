//! Units of measure as e-invoices code them (UN/ECE Recommendation 20, BT-130), from
//! the unit a line prints ("h", "jour", "pièce", "kg" …).

/// The Rec 20 code of a printed unit; `C62` ("one", a unit without dimension) for the
/// units Comptoir cannot read, and for an empty unit.
pub(super) fn unit_code(unit: &str) -> &'static str {
    let unit: String = unit.trim().trim_end_matches('.').to_lowercase();
    match unit.as_str() {
        "h" | "heure" | "heures" | "hr" | "hour" | "hours" | "uur" => "HUR",
        "min" | "minute" | "minutes" => "MIN",
        "j" | "jour" | "jours" | "day" | "days" | "dag" | "dagen" => "DAY",
        "sem" | "semaine" | "semaines" | "week" | "weeks" => "WEE",
        "mois" | "month" | "months" | "maand" => "MON",
        "an" | "année" | "ans" | "year" | "jaar" => "ANN",
        "kg" => "KGM",
        "g" => "GRM",
        "t" | "tonne" | "tonnes" => "TNE",
        "m" | "ml" | "mètre" | "mètres" => "MTR",
        "km" => "KMT",
        "cm" => "CMT",
        "mm" => "MMT",
        "m2" | "m²" => "MTK",
        "m3" | "m³" => "MTQ",
        "l" | "litre" | "litres" => "LTR",
        "kwh" => "KWH",
        "pce" | "pièce" | "pièces" | "pc" | "pcs" | "piece" | "pieces" | "stuk" | "stuks" => "H87",
        "forfait" | "lot" | "ens" | "ensemble" => "LS",
        _ => "C62",
    }
}

#[cfg(test)]
mod tests {
    use super::unit_code;

    #[test]
    fn printed_units_map_to_rec20() {
        assert_eq!(unit_code("h"), "HUR");
        assert_eq!(unit_code(" Jour "), "DAY");
        assert_eq!(unit_code("m²"), "MTK");
        assert_eq!(unit_code("pièce"), "H87");
        assert_eq!(unit_code("Forfait"), "LS");
        assert_eq!(unit_code(""), "C62");
        assert_eq!(unit_code("caisse de 12"), "C62");
    }
}
