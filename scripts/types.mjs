// Writes the package's TypeScript declarations (dist/lojal.d.ts) to stdout from
// custom-elements.json, so the types, the manifest and the docs pages cannot tell different
// stories. Usage: node scripts/types.mjs pkg/custom-elements.json > pkg/dist/lojal.d.ts
import { readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const declarations = manifest.modules.flatMap((m) => m.declarations);
const elements = declarations.filter((d) => d.customElement);

const quote = (s) => JSON.stringify(s);
const doc = (text, indent = '') => (text ? `${indent}/** ${text.replaceAll('*/', '*\\/')} */\n` : '');

let out = `// Generated from custom-elements.json by scripts/types.mjs. Do not edit.

/** Page-wide defaults for every lojal element; an element's own attributes win. */
export interface LojalOptions {
  /** Base URL of the shop's lojal API, e.g. "https://shop.example/api/v1". */
  api?: string;
  /** BCP 47 locale such as "nb", "et" or "en-GB". */
  locale?: string;
  /**
   * "granted" when the shop settles consent elsewhere and allows lojal's analytics events and
   * storage; ignored where lojal.consent() or Shopify's Customer Privacy API decides.
   */
  consent?: 'granted';
}

/** A locale's strings, nested as in lojal's locales/en.json; a plural is an object of CLDR categories. */
export interface LojalStrings {
  [key: string]: string | string[] | LojalStrings;
}

`;

for (const fn of declarations.filter((d) => d.kind === 'function')) {
  const params = (fn.parameters ?? []).map((p) => `${p.name}${p.optional ? '?' : ''}: ${p.type.text}`).join(', ');
  out += `\n${doc(fn.description)}export declare function ${fn.name}(${params}): ${fn.return?.type?.text ?? 'void'};\n`;
}

for (const element of elements) {
  out += `
${doc(element.summary)}export interface ${element.name} extends HTMLElement {}

/** The attributes of <${element.tagName}>, for frameworks that type their templates. */
export interface ${element.name.replace(/Element$/, '')}Attributes {
${element.attributes.map((a) => `${doc(a.description, '  ')}  ${quote(a.name)}?: ${a.type?.text ?? 'string'};`).join('\n')}
}
`;
}

// Several elements dispatch the same event (lojal:feedback, lojal:play): declare each once.
const events = [...new Map(elements.flatMap((e) => e.events ?? []).map((e) => [e.name, e])).values()];
out += `
/** Every event a lojal element dispatches; they bubble out of the shadow root. */
export interface LojalEventMap {
${events.map((e) => `${doc(e.description, '  ')}  ${quote(e.name)}: ${e.type.text};`).join('\n')}
}

declare global {
  interface HTMLElementTagNameMap {
${elements.map((e) => `    ${quote(e.tagName)}: ${e.name};`).join('\n')}
  }
  interface HTMLElementEventMap extends LojalEventMap {}
  interface DocumentEventMap extends LojalEventMap {}
  /** What the loader puts on the page for theme scripts and cookie banners. */
  interface Window {
    lojal?: {
      /** true: analytics events and storage may happen (queued events go out); false: drop them and delete lojal's stored keys. */
      consent(granted: boolean): void;
      viewed: typeof viewed;
      addLocale: typeof addLocale;
    };
  }
}
`;

process.stdout.write(out);
