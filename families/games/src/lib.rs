//! The reward games' wasm: `<lojal-wheel>` and `<lojal-scratch>` and nothing of the other families.

lojal::mount_export!(GAMES);
