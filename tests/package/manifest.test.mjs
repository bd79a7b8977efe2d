// custom-elements.json must tell the truth about the code, or editors, docs pages and the
// TypeScript types (all generated from it) lie to theme developers. This compares it with the
// loader's element table and with each widget's Rust source: tags, observed attributes, `part`
// names in the views, `--lojal-*` properties in the CSS, and `host.emit("…")`,
// `emit_analytics("…")` and `emit_before_navigation("…")` events; and the loader's exported functions with the manifest's
// declarations and exports and with the TypeScript declarations generated from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundles } from './pages.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'pkg', 'custom-elements.json'), 'utf8'));
const elements = manifest.modules.flatMap((m) => m.declarations).filter((d) => d.customElement);

/** The loader's `const widgets = { 'tag': ['attr', …], … }` table. */
function loaderTable() {
  const source = readFileSync(join(ROOT, 'src', 'mount', 'lojal.js'), 'utf8');
  const block = source.match(/const widgets = \{([\s\S]*?)\n\};/);
  assert.ok(block, 'src/mount/lojal.js has no `const widgets = { … };` table');
  const table = {};
  for (const [, tag, list] of block[1].matchAll(/'([a-z-]+)':\s*\[([^\]]*)\]/g)) {
    table[tag] = [...list.matchAll(/'([^']+)'/g)].map((m) => m[1]);
  }
  return table;
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** The Rust file that declares `TAG = "<tag>"`, and its CSS; a `mod.rs` brings its folder. */
function widgetSources(tag) {
  const widgetsDir = join(ROOT, 'src', 'widgets');
  const all = walk(widgetsDir);
  const owner = all.find((f) => f.endsWith('.rs') && readFileSync(f, 'utf8').includes(`TAG: &str = "${tag}"`));
  assert.ok(owner, `no widget under src/widgets declares TAG "${tag}"`);
  // A mod.rs brings its folder; a widget file in a group folder (games/wheel.rs) brings the
  // group's shared mod.rs too.
  const shared = join(dirname(owner), 'mod.rs');
  const files = owner.endsWith('mod.rs')
    ? all.filter((f) => f.startsWith(dirname(owner)))
    : [owner, ...(dirname(owner) !== widgetsDir && all.includes(shared) ? [shared] : [])];
  // Shared view modules it uses (`use crate::widgets::coupon::…`) draw parts for it too.
  const own = files.filter((f) => f.endsWith('.rs')).map((f) => readFileSync(f, 'utf8')).join('\n');
  const used = [...own.matchAll(/use crate::widgets::([a-z_]+)::/g)]
    .map((m) => join(widgetsDir, `${m[1]}.rs`))
    .filter((f, i, all) => all.indexOf(f) === i && all.length && walk(widgetsDir).includes(f));
  const rust = [own, ...used.map((f) => readFileSync(f, 'utf8'))].join('\n');
  // Stylesheets the widget includes, wherever they live: build.rs minifies each sheet into
  // OUT_DIR under its own name, from the widget's folder.
  const cssFiles = [...rust.matchAll(/include_str!\(concat!\(env!\("OUT_DIR"\), "\/([^"]+\.css)"\)\)/g)]
    .map((m) => join(dirname(owner), m[1]));
  const sheets = [...new Set([...cssFiles, ...files.filter((f) => f.endsWith('.css'))])]
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  return { rust, css: `${sheets}\n${baseSheetFor(sheets)}` };
}

/**
 * What of base.css (BASE_CSS in src/widgets/mod.rs, adopted by every widget before its own)
 * reaches a widget: a role's definition (`--_error: var(--lojal-error, …)`) only when the widget's
 * sheets or base.css's own rules read that role, so a property the widget never shows is not
 * documented for it.
 */
function baseSheetFor(own) {
  const lines = readFileSync(join(ROOT, 'src', 'widgets', 'base.css'), 'utf8')
    .replace(/\/\*[^]*?\*\//g, '')
    .split('\n');
  const role = (line) => line.match(/^\s*(--_[a-z-]+)\s*:/)?.[1];
  const rules = lines.filter((line) => !role(line)).join('\n');
  return lines
    .filter((line) => !role(line) || `${own}\n${rules}`.includes(`var(${role(line)}`))
    .join('\n');
}

const sorted = (xs) => [...new Set(xs)].sort();

test('the manifest and the loader define the same elements with the same attributes', () => {
  const table = loaderTable();
  assert.deepEqual(sorted(elements.map((e) => e.tagName)), sorted(Object.keys(table)));
  for (const element of elements) {
    assert.deepEqual(
      sorted(element.attributes.map((a) => a.name)),
      sorted(table[element.tagName]),
      `<${element.tagName}> attributes`,
    );
  }
});

for (const element of elements) {
  test(`<${element.tagName}>: parts, custom properties and events match its source`, () => {
    const { rust, css } = widgetSources(element.tagName);
    const parts = [...rust.matchAll(/\bpart="([a-z\- ]+)"/g)].flatMap((m) => m[1].split(/\s+/));
    assert.deepEqual(sorted((element.cssParts ?? []).map((p) => p.name)), sorted(parts), 'parts');
    const properties = [...css.matchAll(/--lojal-[a-z0-9-]+/g)].map((m) => m[0]);
    assert.deepEqual(sorted((element.cssProperties ?? []).map((p) => p.name)), sorted(properties), 'custom properties');
    const events = [...rust.matchAll(/\.emit(?:_analytics|_before_navigation)?\(\s*"([a-z-]+)"/g)].map((m) => `lojal:${m[1]}`);
    assert.deepEqual(sorted((element.events ?? []).map((e) => e.name)), sorted(events), 'events');
    for (const item of [...element.attributes, ...(element.events ?? []), ...(element.cssParts ?? []), ...(element.cssProperties ?? [])]) {
      assert.ok(item.description?.length > 3, `${element.tagName} ${item.name} needs a description`);
    }
  });
}

test('every element the manifest lists is exported as a custom-element definition', () => {
  const exported = manifest.modules.flatMap((m) => m.exports ?? []).filter((e) => e.kind === 'custom-element-definition');
  assert.deepEqual(sorted(exported.map((e) => e.name)), sorted(elements.map((e) => e.tagName)));
});

/** The loader's `export function name(params)` lines, as name → parameter names. */
function loaderExports() {
  const source = readFileSync(join(ROOT, 'src', 'mount', 'lojal.js'), 'utf8');
  const found = [...source.matchAll(/^export function (\w+)\(([^)]*)\)/gm)].map(([, name, params]) => [
    name,
    params.split(',').map((p) => p.split('=')[0].trim()).filter(Boolean),
  ]);
  assert.ok(found.length > 0, 'src/mount/lojal.js exports no function');
  return new Map(found);
}

test('the manifest declares and exports exactly the functions the loader exports, with their parameters', () => {
  const exported = loaderExports();
  const module = manifest.modules.find((m) => m.path === 'dist/lojal.js');
  assert.ok(module, 'the manifest has no module dist/lojal.js');
  const functions = module.declarations.filter((d) => d.kind === 'function');
  assert.deepEqual(sorted(functions.map((f) => f.name)), sorted(exported.keys()), 'function declarations');
  const js = (module.exports ?? []).filter((e) => e.kind === 'js');
  assert.deepEqual(sorted(js.map((e) => e.name)), sorted(exported.keys()), 'js exports');
  for (const e of js) assert.deepEqual(e.declaration, { name: e.name, module: module.path }, `${e.name} export's declaration`);
  for (const fn of functions) {
    assert.deepEqual((fn.parameters ?? []).map((p) => p.name), exported.get(fn.name), `${fn.name} parameters`);
    assert.ok(fn.description?.length > 3, `${fn.name} needs a description`);
  }
});

test('the generated TypeScript declarations type every function the loader exports', () => {
  const types = execFileSync(process.execPath, [join(ROOT, 'scripts', 'types.mjs'), join(ROOT, 'pkg', 'custom-elements.json')], { encoding: 'utf8' });
  for (const [name, params] of loaderExports()) {
    const declared = types.match(new RegExp(`^export declare function ${name}\\(([^)]*)\\)`, 'm'));
    assert.ok(declared, `lojal.d.ts does not declare ${name}`);
    const names = declared[1].split(',').map((p) => p.split(/\??:/)[0].trim()).filter(Boolean);
    assert.deepEqual(names, params, `${name}'s parameters in lojal.d.ts`);
  }
});

/** The loader's `const familyOf = { 'tag': 'family', … }` table. */
function loaderFamilies() {
  const source = readFileSync(join(ROOT, 'src', 'mount', 'lojal.js'), 'utf8');
  const block = source.match(/const familyOf = \{([\s\S]*?)\n\};/);
  assert.ok(block, 'src/mount/lojal.js has no `const familyOf = { … };` table');
  return Object.fromEntries([...block[1].matchAll(/'([a-z-]+)':\s*'([a-z]+)'/g)].map((m) => [m[1], m[2]]));
}

test('each bundle of several families mounts exactly the tables of the families the loader says it carries', () => {
  const table = readFileSync(join(ROOT, 'src', 'widgets', 'mod.rs'), 'utf8');
  for (const [bundle, covered] of Object.entries(bundles())) {
    const tables = covered.map((family) => table.match(new RegExp(`\\("${family}", ([A-Z]+)\\)`))?.[1]);
    const crate = readFileSync(join(ROOT, 'families', bundle, 'src', 'lib.rs'), 'utf8');
    const mounted = crate.match(/^lojal::mount_export!\(([A-Z, ]+)\);$/m)?.[1].split(', ');
    assert.deepEqual(mounted, tables, `families/${bundle} mounts the tables of ${covered.join(', ')}`);
  }
});

test('the loader fetches each element from the family whose wasm draws it', () => {
  const families = loaderFamilies();
  assert.deepEqual(sorted(Object.keys(families)), sorted(Object.keys(loaderTable())), 'a family for every element');
  const widgetsDir = join(ROOT, 'src', 'widgets');
  const table = readFileSync(join(widgetsDir, 'mod.rs'), 'utf8');
  for (const [tag, family] of Object.entries(families)) {
    // src/widgets/mod.rs: `("games", GAMES)` in FAMILIES, and GAMES lists `tag: games::wheel::TAG`.
    const name = table.match(new RegExp(`\\("${family}", ([A-Z]+)\\)`))?.[1];
    assert.ok(name, `FAMILIES in src/widgets/mod.rs has no "${family}"`);
    const rows = table.match(new RegExp(`pub const ${name}: &\\[Widget\\] = &\\[([\\s\\S]*?)\\n\\];`))?.[1];
    assert.ok(rows, `src/widgets/mod.rs has no table ${name}`);
    const owner = walk(widgetsDir).find((f) => f.endsWith('.rs') && new RegExp(`\\b[A-Z_]*TAG: &str = "${tag}"`).test(readFileSync(f, 'utf8')));
    assert.ok(owner, `no widget declares the tag ${tag}`);
    const constant = readFileSync(owner, 'utf8').match(new RegExp(`\\b([A-Z_]*TAG): &str = "${tag}"`))[1];
    const module = relative(widgetsDir, owner).replace(/(\/mod)?\.rs$/, '').split(sep).join('::');
    assert.match(rows, new RegExp(`tag: ${module}::${constant},`), `${name} (the ${family} family) draws ${tag}`);
    // The family's crate exports that table's mount.
    const crate = readFileSync(join(ROOT, 'families', family, 'src', 'lib.rs'), 'utf8');
    assert.match(crate, new RegExp(`^lojal::mount_export!\\(${name}\\);$`, 'm'), `families/${family} mounts the ${name} table`);
  }
});
