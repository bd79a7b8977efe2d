//! Configuration a merchant writes into the page: the script tag's `data-*` and each element's
//! attributes. Parsed here so that a typo gives one clear message instead of a broken widget.

/// Who the shopper is, as far as the badge can tell from the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// No `customer-id` attribute: show the guest offer.
    Guest,
    /// The theme rendered an id and the shop's signature of it.
    Customer { id: String, signature: String },
}

/// Why an element's identity attributes cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvalidIdentity {
    /// The id is there but the signature is missing or not of the form `t=<digits>,v1=<64 hex>`.
    Signature,
    /// The id is longer than 128 bytes or holds control characters.
    CustomerId,
}

impl std::fmt::Display for InvalidIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Signature => f.write_str(
                "`customer-sig` must be `t=<unix seconds>,v1=<hex HMAC-SHA256 of '<customer-id>.<t>'>`, rendered by the shop's server for every page",
            ),
            Self::CustomerId => f.write_str("`customer-id` is too long or holds control characters"),
        }
    }
}

impl std::error::Error for InvalidIdentity {}

impl Identity {
    /// Reads `customer-id` and `customer-sig`. A blank id means a guest (themes often render
    /// `customer-id=""` for visitors who are not logged in).
    pub fn from_attributes(
        id: Option<&str>,
        signature: Option<&str>,
    ) -> Result<Self, InvalidIdentity> {
        let id = id.map(str::trim).unwrap_or_default();
        if id.is_empty() {
            return Ok(Self::Guest);
        }
        if id.len() > 128 || id.chars().any(char::is_control) {
            return Err(InvalidIdentity::CustomerId);
        }
        let signature = signature.map(str::trim).unwrap_or_default();
        if !is_signature(signature) {
            return Err(InvalidIdentity::Signature);
        }
        Ok(Self::Customer {
            id: id.to_owned(),
            signature: signature.to_ascii_lowercase(),
        })
    }
}

/// `t=<1–12 digits>,v1=<64 hex digits>`, or the legacy 64 hex digits alone, which only a server
/// with the legacy setting accepts. Whether it is genuine and recent is the API's to say.
fn is_signature(signature: &str) -> bool {
    let is_mac = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
    match signature.split_once(",v1=") {
        Some((t, mac)) => {
            t.strip_prefix("t=").is_some_and(|t| {
                (1..=12).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit())
            }) && is_mac(mac)
        }
        None => is_mac(signature),
    }
}

/// The API base a widget talks to: the element's `api` attribute, else the script tag's
/// `data-api`, else `/api/v1` on the page's own origin.
pub fn api_base(element: Option<&str>, script: Option<&str>) -> String {
    [element, script]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|s| !s.is_empty())
        .unwrap_or("/api/v1")
        .trim_end_matches('/')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &str =
        "t=1764000000,v1=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
    const TIMELESS: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

    #[test]
    fn identity_attributes_are_read_strictly() {
        let customer = |id: &str| Identity::Customer {
            id: id.into(),
            signature: SIG.into(),
        };
        let upper = SIG.replace("0f1e", "0F1E");
        let not_hex = SIG.replace('0', "g");
        let no_mac = "t=1764000000";
        let no_time = "t=,v1=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
        let short_mac = &SIG[..SIG.len() - 1];
        let too_long = "x".repeat(129);
        type Case<'a> = (
            Option<&'a str>,
            Option<&'a str>,
            Result<Identity, InvalidIdentity>,
        );
        let cases: Vec<Case> = vec![
            (None, None, Ok(Identity::Guest)),
            (Some(""), Some(SIG), Ok(Identity::Guest)),
            (Some("   "), None, Ok(Identity::Guest)),
            (Some("c-1001"), Some(SIG), Ok(customer("c-1001"))),
            (Some(" c-1001 "), Some(&upper), Ok(customer("c-1001"))),
            (
                Some("c-1001"),
                Some(TIMELESS),
                Ok(Identity::Customer {
                    id: "c-1001".into(),
                    signature: TIMELESS.into(),
                }),
            ),
            (
                Some("c-1001"),
                Some(no_mac),
                Err(InvalidIdentity::Signature),
            ),
            (
                Some("c-1001"),
                Some(no_time),
                Err(InvalidIdentity::Signature),
            ),
            (
                Some("c-1001"),
                Some(short_mac),
                Err(InvalidIdentity::Signature),
            ),
            (Some("c-1001"), None, Err(InvalidIdentity::Signature)),
            (Some("c-1001"), Some("abc"), Err(InvalidIdentity::Signature)),
            (
                Some("c-1001"),
                Some(&not_hex),
                Err(InvalidIdentity::Signature),
            ),
            (Some("c\n1001"), Some(SIG), Err(InvalidIdentity::CustomerId)),
            (Some(&too_long), Some(SIG), Err(InvalidIdentity::CustomerId)),
        ];
        for (id, sig, expected) in cases {
            assert_eq!(
                Identity::from_attributes(id, sig),
                expected,
                "{id:?} {sig:?}"
            );
        }
    }

    #[test]
    fn the_element_overrides_the_script_tag_which_overrides_the_default() {
        assert_eq!(
            api_base(
                Some("https://a.example/api/"),
                Some("https://b.example/api")
            ),
            "https://a.example/api"
        );
        assert_eq!(
            api_base(Some(" "), Some("https://b.example/api")),
            "https://b.example/api"
        );
        assert_eq!(api_base(None, None), "/api/v1");
    }
}
