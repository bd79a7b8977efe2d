//! The badge's and the games' widgets in one wasm, for a shop's campaign page (a loyalty badge in
//! the header, a wheel and a scratch card to play for a coupon): one copy of Leptos, std and the
//! API client instead of two. The loader chooses it by bytes (see `src/mount/lojal.js`); once
//! chosen it serves every badge, wheel and scratch card on the page.

lojal::mount_export!(BADGE, GAMES);
