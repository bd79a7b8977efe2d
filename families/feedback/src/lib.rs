//! The feedback prompts' wasm: `<lojal-nps>`, `<lojal-csat>` and `<lojal-review>`, and the
//! outbox that delivers their answers, and nothing of the other families.

lojal::mount_export!(FEEDBACK);
