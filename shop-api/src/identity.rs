//! Signed customer ids: the shop's theme renders `HMAC-SHA256(secret, customer_id)` in hex next
//! to the id, so a shopper cannot read someone else's balance by editing an attribute.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct ShopSecret(Vec<u8>);

impl ShopSecret {
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self(secret.into())
    }

    fn mac(&self, customer_id: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC accepts keys of any length");
        mac.update(customer_id.as_bytes());
        mac
    }

    /// The signature a theme puts in `customer-sig`: lowercase hex.
    pub fn sign(&self, customer_id: &str) -> String {
        hex::encode(self.mac(customer_id).finalize().into_bytes())
    }

    /// Checks a hex signature (either case) in constant time.
    pub fn verify(&self, customer_id: &str, signature: &str) -> bool {
        match hex::decode(signature.trim()) {
            Ok(bytes) => self.mac(customer_id).verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }
}

impl std::fmt::Debug for ShopSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShopSecret(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_rfc_4231_and_reject_tampering() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let secret = ShopSecret::new("Jefe");
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(secret.sign("what do ya want for nothing?"), expected);
        assert!(secret.verify("what do ya want for nothing?", expected));
        assert!(secret.verify("what do ya want for nothing?", &expected.to_uppercase()));
        assert!(!secret.verify("what do ya want for nothing!", expected));
        assert!(!secret.verify("what do ya want for nothing?", &expected[..62]));
        assert!(!secret.verify("what do ya want for nothing?", "not hex at all"));
        assert!(!secret.verify("what do ya want for nothing?", ""));
        assert!(!ShopSecret::new("other").verify("what do ya want for nothing?", expected));
    }
}
