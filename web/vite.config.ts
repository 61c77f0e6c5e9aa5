// Two single-page sites from one source tree: the portal at `/`, the console at `/console/`.
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

export default defineConfig({
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      input: { portal: 'index.html', console: 'console/index.html' },
    },
  },
});
