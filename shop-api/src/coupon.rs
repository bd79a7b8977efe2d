//! Coupon codes: `LOJAL-XXXX-XXXX`, random from the OS, without look-alike characters.

/// A–Z and 2–9 without 0/O, 1/I/L: a shopper reading the code aloud or typing it cannot confuse them.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// 31⁸ ≈ 8.5 × 10¹¹ codes: guessing one is hopeless, and a collision is retried by the caller.
const GROUPS: usize = 2;
const GROUP_LEN: usize = 4;

pub fn new_code() -> String {
    let mut code = String::from("LOJAL");
    let mut chars = random_chars(GROUPS * GROUP_LEN).into_iter();
    for _ in 0..GROUPS {
        code.push('-');
        code.extend(chars.by_ref().take(GROUP_LEN));
    }
    code
}

/// Uniform characters by rejection sampling, so no letter is likelier than another.
fn random_chars(count: usize) -> Vec<char> {
    let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
    let mut out = Vec::with_capacity(count);
    let mut buf = [0u8; 32];
    while out.len() < count {
        getrandom::fill(&mut buf).expect("the OS random source is available");
        out.extend(
            buf.iter()
                .filter(|&&b| b < limit)
                .map(|&b| ALPHABET[(b as usize) % ALPHABET.len()] as char)
                .take(count - out.len()),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_have_the_documented_shape_and_do_not_repeat() {
        let codes: HashSet<String> = (0..2000).map(|_| new_code()).collect();
        assert_eq!(codes.len(), 2000);
        for code in &codes {
            let (prefix, rest) = code.split_at(6);
            assert_eq!(prefix, "LOJAL-");
            let groups: Vec<&str> = rest.split('-').collect();
            assert_eq!(groups.len(), 2, "{code}");
            for group in groups {
                assert_eq!(group.len(), 4, "{code}");
                assert!(group.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
            }
        }
        let used: HashSet<char> = codes
            .iter()
            .flat_map(|c| c[6..].chars())
            .filter(|&c| c != '-')
            .collect();
        assert_eq!(
            used.len(),
            ALPHABET.len(),
            "every allowed character shows up over 16 000 draws"
        );
    }
}
