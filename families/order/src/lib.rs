//! The badge's and the feedback prompts' widgets in one wasm, for a shop's order and thank-you
//! page (a loyalty badge in the header, the prompts that ask how the purchase went): one copy of
//! Leptos, std and the API client instead of two. The loader chooses it by bytes (see
//! `src/mount/lojal.js`); once chosen it serves every badge and prompt on the page, and the
//! outbox.

lojal::mount_export!(BADGE, FEEDBACK);
