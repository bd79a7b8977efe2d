//! Every family's widgets in one wasm, for a page whose elements span several families: one
//! copy of Leptos, std and the API client instead of one per family. The loader chooses it by
//! bytes (see `src/mount/lojal.js`); once chosen it serves every lojal element on the page.

lojal::mount_export!(BADGE, CAROUSEL, FEEDBACK, GAMES);
