// No framework plugin: Vite's esbuild compiles the TSX, which is all this test needs. Two pages:
// the client-rendered app (index.html) and the server-rendered shop (shop.html); `vite build
// --ssr src/shop/server.tsx` builds the shop's server side beside them.
export default {
  esbuild: { jsx: 'automatic' },
  build: { outDir: 'dist', rollupOptions: { input: { main: 'index.html', shop: 'shop.html' } } },
};
