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
  // The reward games, played as a guest with an email (see pages/game.js for how the peer pages
  // differ from lojal's widgets). `page` hooks: window.__benchGame (email, play, shown, landed /
  // coating).
  wheel: [
    { name: 'lojal', page: 'lojal-wheel.html', ready: 'lojal:wheel:ready', campaign: 'vinterhjulet', adds: ['/lojal/'] },
    {
      name: 'spin-wheel',
      page: 'spin-wheel.html',
      ready: 'bench:wheel:ready',
      campaign: 'vinterhjulet',
      adds: ['/peers/spin-wheel/', '/bench/spin-wheel.js', '/bench/game.js', '/bench/game.css'],
      copy: { 'spin-wheel': ['dist/spin-wheel-esm.js'] },
    },
  ],
  scratch: [
    { name: 'lojal', page: 'lojal-scratch.html', ready: 'lojal:scratch:ready', campaign: 'skrapelodd', adds: ['/lojal/'] },
    {
      name: 'scratchcard-js',
      page: 'scratchcard-js.html',
      ready: 'bench:scratch:ready',
      campaign: 'skrapelodd',
      adds: ['/peers/scratchcard-js/', '/bench/scratchcard-js.js', '/bench/game.js', '/bench/game.css', '/bench/scratch-coating.svg'],
      copy: { 'scratchcard-js': ['build/scratchcard.min.js'] },
    },
  ],
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
        const to = join(WWW, mount(pkg), file.replace(/^(dist\/(js|css)|dist|build)\//, ''));
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
