//! The badge's and the carousel's widgets in one wasm, for the pages a shop shows most (the front
//! page and product pages: a loyalty badge in the header, recommendation rails below): one copy of
//! Leptos, std and the API client instead of two. The loader chooses it by bytes (see
//! `src/mount/lojal.js`); once chosen it serves every badge and carousel on the page.

lojal::mount_export!(BADGE, CAROUSEL);
