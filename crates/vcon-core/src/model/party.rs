//! [`Party`] (core-03 §Party Object) and [`CivicAddress`].

use super::json::json_object;

json_object! {
    /// One participant (core-03 §Party Object). All members are optional and
    /// an empty party is legal; parties are identified by their index.
    ///
    /// ```
    /// use vcon_core::model::Party;
    /// let p = Party { name: Some("Alice".into()), tel: Some("+12345678901".into()), ..Default::default() };
    /// assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"tel":"+12345678901","name":"Alice"}"#);
    /// ```
    pub struct Party {
        /// TEL URL (RFC 3966), `tel:` prefix optional.
        tel: String = "tel",
        /// SIP addr-spec.
        sip: String = "sip",
        /// STIR PASSporT in JWS compact serialisation.
        stir: String = "stir",
        /// E-mail address, `mailto:` prefix optional.
        mailto: String = "mailto",
        /// Free-form name; `anonymous` marks an anonymised party.
        name: String = "name",
        /// DID URI.
        did: String = "did",
        /// Label of the identity-validation method.
        validation: String = "validation",
        /// PIDF-LO `gml:pos` ("lat lon") at the start of the conversation.
        gmlpos: String = "gmlpos",
        /// Civic address (RFC 4119 §2.2.1).
        civicaddress: CivicAddress = "civicaddress",
        /// Participant identifier, stable across interactions.
        uuid: String = "uuid",
        /// `person`, `bot` or `organization` (core-03).
        r#type: String = "type",
        /// Organisation identifier (core-03).
        org: String = "org",
        /// Department identifier (core-03).
        dept: String = "dept",
    }
}

json_object! {
    /// A civic address (RFC 4119 §2.2.1); every member is an optional string.
    pub struct CivicAddress {
        /// Country (ISO 3166 two-letter code).
        country: String = "country",
        /// National subdivision (state, region, province).
        a1: String = "a1",
        /// County, parish, district.
        a2: String = "a2",
        /// City, township.
        a3: String = "a3",
        /// City division, borough.
        a4: String = "a4",
        /// Neighbourhood, block.
        a5: String = "a5",
        /// Street.
        a6: String = "a6",
        /// Leading street direction.
        prd: String = "prd",
        /// Trailing street suffix.
        pod: String = "pod",
        /// Street suffix.
        sts: String = "sts",
        /// House number.
        hno: String = "hno",
        /// House number suffix.
        hns: String = "hns",
        /// Landmark or vanity address.
        lmk: String = "lmk",
        /// Additional location information.
        loc: String = "loc",
        /// Floor.
        flr: String = "flr",
        /// Name (residence, business or office occupant).
        nam: String = "nam",
        /// Postal code.
        pc: String = "pc",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_unknown_members_in_place() {
        let v = json!({"meta": {"x": 1}, "name": "Bob", "role": "agent", "type": "person"});
        let p = Party::try_from(v.clone()).unwrap();
        assert_eq!(p.name.as_deref(), Some("Bob"));
        assert_eq!(p.r#type.as_deref(), Some("person"));
        assert_eq!(p.extra.len(), 2);
        assert_eq!(serde_json::to_string(&p).unwrap(), v.to_string());
    }

    #[test]
    fn null_is_absent_but_kept() {
        let v = json!({"tel": null, "name": "A"});
        let mut p = Party::try_from(v.clone()).unwrap();
        assert_eq!(p.tel, None);
        assert_eq!(serde_json::to_value(&p).unwrap(), v);
        p.tel = Some("+1".into());
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"tel":"+1","name":"A"}"#
        );
    }

    #[test]
    fn wrong_type_names_member() {
        let e = Party::try_from(json!({"civicaddress": {"a1": 3}})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/civicaddress/a1: expected a string, found the number 3"
        );
        let e = serde_json::from_str::<Party>(r#"{"name": []}"#).unwrap_err();
        assert!(
            e.to_string()
                .contains("/name: expected a string, found an array"),
            "{e}"
        );
    }

    #[test]
    fn new_members_follow_recorded_ones() {
        let mut p = Party::try_from(json!({"x": 1, "name": "A"})).unwrap();
        p.tel = Some("+1".into());
        p.extra.insert("y".into(), json!(2));
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"x":1,"name":"A","tel":"+1","y":2}"#
        );
        p.name = None;
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"x":1,"tel":"+1","y":2}"#
        );
        assert!(Party::default().is_empty());
    }
}
