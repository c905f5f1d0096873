import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Built once into dist/, which the gateway serves at `/` (services/gateway/src/console/).
// `pnpm build:console` (scripts/build-console.ts) runs this when the sources changed.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The gateway's Content-Security-Policy allows no inline script: nothing may be inlined.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    // `pnpm --filter @oryn/console dev`: the API of a gateway running on its default port.
    proxy: { "/v1": "http://127.0.0.1:8080" },
  },
});
