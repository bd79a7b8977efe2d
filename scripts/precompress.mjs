// Writes NAME.br and NAME.gz beside each .js and .wasm file in a folder (pkg/dist), or beside the
// named ones, at the strongest settings, once at build time: shop-api (and any CDN that looks for
// them) then sends the compressed file to browsers that accept it, at no cost per request.
// Usage: node scripts/precompress.mjs DIR [NAME…]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const [dir, ...names] = process.argv.slice(2);
for (const name of names.length ? names : readdirSync(dir).filter((n) => /\.(js|wasm)$/.test(n))) {
  const bytes = readFileSync(join(dir, name));
  const brotli = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });
  writeFileSync(join(dir, `${name}.br`), brotli);
  writeFileSync(join(dir, `${name}.gz`), gzipSync(bytes, { level: 9 }));
}
