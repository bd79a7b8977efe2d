import { popular, slide, ready } from './cards.js';

const root = document.getElementById('rail');
const container = root.querySelector('.embla__container');
container.append(...(await popular()).map((p) => slide(p, 'bench-slide')));
const embla = window.EmblaCarousel(root, { align: 'start', containScroll: 'trimSnaps', slidesToScroll: 'auto' });
ready(() => (embla.canScrollNext() ? embla.scrollNext() : embla.scrollTo(0)));
