import { popular, slide, ready } from './cards.js';

const root = document.getElementById('rail');
root.querySelector('.splide__list').append(...(await popular()).map((p) => slide(p, 'splide__slide bench-slide', 'li')));
const splide = new window.Splide(root, { autoWidth: true, gap: '1rem', rewind: true, pagination: false, arrows: false, trimSpace: true }).mount();
ready(() => splide.go('>'));
