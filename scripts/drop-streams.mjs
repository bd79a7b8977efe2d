// Takes wasm-streams' stream adapters out of a wasm-bindgen build: their three classes from the
// glue, their exports from the wasm (wasm-metadce; wasm-opt then drops the code only they reached).
// server_fn, which leptos asks for with its `browser` feature even for CSR, brings wasm-streams,
// whose #[wasm_bindgen] types every wasm exports; nothing in lojal makes or reads a stream.
// Fails when the names are not exactly the expected ones, so a wasm-bindgen, leptos or
// wasm-streams upgrade cannot ship glue that calls an export that is gone.
// Usage: node scripts/drop-streams.mjs GLUE.js WASM WASM_METADCE [WASM_FEATURE_FLAG…]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [gluePath, wasmPath, metadce, ...features] = process.argv.slice(2);
const fail = (why) => {
  throw new Error(`drop-streams: ${gluePath}: ${why}`);
};

const CLASSES = {
  IntoUnderlyingByteSource: ['autoAllocateChunkSize', 'cancel', 'pull', 'start', 'type'],
  IntoUnderlyingSink: ['abort', 'close', 'write'],
  IntoUnderlyingSource: ['cancel', 'pull'],
};
const dropped = new Set(
  Object.entries(CLASSES).flatMap(([name, methods]) => {
    const lower = name.toLowerCase();
    return [`__wbg_${lower}_free`, ...methods.map((method) => `${lower}_${method}`)];
  }),
);

const exportsOf = (path) => WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(path))).map((e) => e.name);
const before = exportsOf(wasmPath);
const streamish = before.filter((name) => /intounderlying/i.test(name));
if (streamish.length !== dropped.size || !streamish.every((name) => dropped.has(name))) {
  fail(`expected the stream exports ${[...dropped].join(', ')}; the wasm has ${streamish.join(', ') || 'none'}`);
}

// Each class as wasm-bindgen writes it: the class, its Symbol.dispose line, its finalizer.
let glue = readFileSync(gluePath, 'utf8');
const cut = (pattern, what) => {
  const found = glue.match(new RegExp(pattern.source, 'g')) ?? [];
  if (found.length !== 1) fail(`expected ${what} once, found it ${found.length} times`);
  glue = glue.replace(pattern, '');
};
for (const name of Object.keys(CLASSES)) {
  cut(
    new RegExp(`export class ${name} \\{\\n[^]*?\\nif \\(Symbol\\.dispose\\) ${name}\\.prototype\\[Symbol\\.dispose\\] = ${name}\\.prototype\\.free;\\n\\n?`),
    `class ${name}`,
  );
  cut(new RegExp(`const ${name}Finalization = \\(typeof FinalizationRegistry === 'undefined'\\)\\n.*\\n.*\\);\\n`), `${name}Finalization`);
}
cut(/const __wbindgen_enum_ReadableStreamType = \["bytes"\];\n/, 'the ReadableStreamType enum');
if (/intounderlying|ReadableStreamType/i.test(glue)) fail('the stream adapters are still mentioned after the cut');

// Every export but the stream adapters is a root; wasm-metadce removes those and what only they reach.
const dir = mkdtempSync(join(tmpdir(), 'lojal-drop-streams-'));
try {
  const graph = join(dir, 'graph.json');
  writeFileSync(graph, JSON.stringify(before.map((name) => ({ name: `export:${name}`, export: name, root: !dropped.has(name) || undefined }))));
  // -g keeps the function names for the named copy twiggy reads; wasm-opt -Oz drops them after.
  execFileSync(metadce, [...features, '-g', '--graph-file', graph, wasmPath, '-o', wasmPath], { stdio: ['ignore', 'ignore', 'inherit'] });
} finally {
  rmSync(dir, { recursive: true });
}

const after = new Set(exportsOf(wasmPath));
const gone = before.filter((name) => !after.has(name));
if (gone.length !== dropped.size || !gone.every((name) => dropped.has(name))) fail(`wasm-metadce removed ${gone.join(', ')}`);
const missing = [...new Set([...glue.matchAll(/\bwasm\.([A-Za-z_$][\w$]*)/g)].map(([, name]) => name))].filter((name) => !after.has(name));
if (missing.length) fail(`the glue calls exports the wasm no longer has: ${missing.join(', ')}`);
writeFileSync(gluePath, glue);
