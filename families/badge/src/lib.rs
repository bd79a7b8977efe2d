//! The badge's wasm: `<lojal-badge>` and nothing of the other families.

lojal::mount_export!(BADGE);
