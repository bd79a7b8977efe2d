// The pages the bench compares, and the site it serves them from: target/bench/www, assembled
// from the demo's shop.css and images, the pages in tests/bench/pages/, the bundle (served by
// shop-api at /lojal/) and the peer libraries, installed from tests/bench/peers/package-lock.json
// into target/bench/peers and copied in under /peers/<package>/.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT } from '../e2e/harness.mjs';

export const PEERS_DIR = join(ROOT, 'target', 'bench', 'peers');
export const WWW = join(ROOT, 'target', 'bench', 'www');
const LOCK = join(ROOT, 'tests', 'bench', 'peers');

/**
 * One row per page. `ready`: the performance mark the page sets when its content is in the DOM;
 * `adds`: the URL prefixes whose files count as what the widget adds to a page (library, its CSS,
 * and for peers the glue a merchant would write: fetch, cards, Intl prices); `copy`: files taken
 * from the installed package into /peers/<package>/.
 */
export const PAGES = {
  carousel: [
    { name: 'lojal', page: 'lojal.html', ready: 'lojal:carousel:ready', adds: ['/lojal/'] }, // /bench/lojal.js is only the bench's hook
    {
      name: 'embla-carousel',
      page: 'embla.html',
      ready: 'bench:carousel:ready',
      adds: ['/peers/embla-carousel/', '/bench/embla.js', '/bench/cards.js', '/bench/cards.css'],
      copy: { 'embla-carousel': ['embla-carousel.umd.js'] },
    },
    {
      name: 'swiper',
      page: 'swiper.html',
      ready: 'bench:carousel:ready',
      adds: ['/peers/swiper/', '/bench/swiper.js', '/bench/cards.js', '/bench/cards.css'],
      copy: { swiper: ['swiper.min.mjs', 'swiper.min.css', 'shared/'] },
    },
    {
      name: '@splidejs/splide',
      page: 'splide.html',
      ready: 'bench:carousel:ready',
      adds: ['/peers/splide/', '/bench/splide.js', '/bench/cards.js', '/bench/cards.css'],
      copy: { '@splidejs/splide': ['dist/js/splide.min.js', 'dist/css/splide-core.min.css'] },
    },
  ],
  // ---- Reward games: add them here once <lojal-wheel> and <lojal-scratch> are on main. ----
  // One row per page, as above, with a `spin` hook instead of `__benchNext`; the peers, to add
  // to tests/bench/peers/package.json: `spin-wheel` 5.x (wheel) and `scratchcard-js` (scratch
  // card). Not built yet (the games' API is measured: plays/s in api.mjs).
  // wheel: [],
  // scratch: [],
};

/** Where a package's files go on the bench site. */
const mount = (pkg) => `/peers/${pkg.replace(/^@[^/]+\//, '').replace(/\/.*/, '')}/`;

/** Installs the peers exactly as locked (skipped when the lock has not changed) and assembles WWW. */
export function assembleSite() {
  const lock = readFileSync(join(LOCK, 'package-lock.json'), 'utf8');
  const installed = join(PEERS_DIR, 'package-lock.json');
  if (!existsSync(installed) || readFileSync(installed, 'utf8') !== lock || !existsSync(join(PEERS_DIR, 'node_modules'))) {
    mkdirSync(PEERS_DIR, { recursive: true });
    cpSync(join(LOCK, 'package.json'), join(PEERS_DIR, 'package.json'));
    cpSync(join(LOCK, 'package-lock.json'), installed);
    execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: PEERS_DIR, stdio: 'inherit' });
  }
  rmSync(WWW, { recursive: true, force: true });
  mkdirSync(WWW, { recursive: true });
  for (const f of ['shop.css', 'favicon.svg', 'img']) cpSync(join(ROOT, 'www', f), join(WWW, f), { recursive: true });
  cpSync(join(ROOT, 'tests', 'bench', 'pages'), join(WWW, 'bench'), { recursive: true });
  for (const row of Object.values(PAGES).flat()) {
    for (const [pkg, files] of Object.entries(row.copy ?? {})) {
      for (const file of files) {
        const to = join(WWW, mount(pkg), file.startsWith('dist/') ? file.replace(/^dist\/(js|css)\//, '') : file);
        cpSync(join(PEERS_DIR, 'node_modules', pkg, file), to, { recursive: true });
      }
    }
  }
  return WWW;
}

/** The version npm installed of each peer, for the report. */
export function peerVersions() {
  const deps = JSON.parse(readFileSync(join(LOCK, 'package.json'), 'utf8')).dependencies;
  return Object.fromEntries(
    Object.keys(deps).map((pkg) => [pkg, JSON.parse(readFileSync(join(PEERS_DIR, 'node_modules', pkg, 'package.json'), 'utf8')).version]),
  );
}
