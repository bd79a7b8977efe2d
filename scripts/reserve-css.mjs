// Writes the package's lojal.css to stdout: the loader's placeholder rules (PLACEHOLDER_CSS in
// src/mount/lojal.js, which reserve each widget's box inside its shadow root once the element is
// defined) as `:not(:defined)` rules for the page, so server-rendered markup reserves the same
// boxes before the loader has run. One source for both, so they cannot drift apart.
// Usage: node scripts/reserve-css.mjs src/mount/lojal.js > pkg/dist/lojal.css
import { readFileSync } from 'node:fs';

const loader = readFileSync(process.argv[2], 'utf8');
const placeholder = loader.match(/const PLACEHOLDER_CSS = `([^`]*)`/)?.[1];
const familyOf = loader.match(/const familyOf = \{([\s\S]*?)\n\};/)?.[1];
if (!placeholder || !familyOf) throw new Error(`${process.argv[2]}: no PLACEHOLDER_CSS or familyOf table`);
const tags = [...familyOf.matchAll(/'([a-z-]+)':/g)].map((m) => m[1]);
const every = `:is(${tags.join(', ')}):not(:defined)`;

const selector = (s) => {
  if (s === ':host') return every;
  const inner = s.match(/^:host\((.+)\)$/)?.[1];
  if (!inner) throw new Error(`PLACEHOLDER_CSS: no page rule for the selector ${s}`);
  return tags.includes(inner) ? `${inner}:not(:defined)` : `${every}${inner}`;
};

let out = `/* lojal: each widget's box reserved before lojal.js defines it (server-rendered or slow pages).
   Generated from the loader's placeholder by scripts/reserve-css.mjs. */\n`;
for (const [, selectors, body] of placeholder.matchAll(/([^{}]+)\{([^}]*)\}/g)) {
  const declarations = body.trim().replace(/\s+/g, ' ');
  if (selectors.trim() === '.placeholder') {
    // The shadow root's box: on the page the element itself is the box; only its look carries over.
    const look = declarations.split(';').map((d) => d.trim()).filter((d) => /^(border-radius|background)\s*:/.test(d));
    out += `${every} { ${look.join('; ')}; }\n`;
    continue;
  }
  out += `${selectors.trim().split(/,\s*/).map(selector).join(', ')} { ${declarations} }\n`;
}
process.stdout.write(out);
