// No framework plugin: Vite's esbuild compiles the TSX, which is all this test needs.
export default { esbuild: { jsx: 'automatic' }, build: { outDir: 'dist' } };
