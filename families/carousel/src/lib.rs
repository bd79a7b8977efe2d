//! The carousel's wasm: `<lojal-carousel>` and nothing of the other families.

lojal::mount_export!(CAROUSEL);
