// What a React 19 app declares once to type lojal's elements in JSX (README, Headless
// storefronts): the package's attribute interfaces, and an `on<event name>` prop per lojal event,
// which React 19 adds as a listener for exactly that event name on a custom element.
import type { LojalBadgeAttributes, LojalCarouselAttributes, LojalEventMap } from 'lojal';

type LojalListeners = {
  [Name in keyof LojalEventMap as `on${Name}`]?: (event: LojalEventMap[Name]) => void;
};

declare module 'react' {
  namespace JSX {
    interface IntrinsicElements {
      'lojal-badge': LojalBadgeAttributes & LojalListeners & { id?: string };
      'lojal-carousel': LojalCarouselAttributes & LojalListeners & { id?: string };
    }
  }
}
