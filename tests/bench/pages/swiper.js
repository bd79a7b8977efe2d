import Swiper from '/peers/swiper/swiper.min.mjs';
import { popular, slide, ready } from './cards.js';

const root = document.getElementById('rail');
root.querySelector('.swiper-wrapper').append(...(await popular()).map((p) => slide(p, 'swiper-slide bench-slide')));
const swiper = new Swiper(root, { slidesPerView: 'auto', slidesPerGroupAuto: true, spaceBetween: 16 });
ready(() => (swiper.isEnd ? swiper.slideTo(0) : swiper.slideNext()));
