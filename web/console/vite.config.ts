// The console is served under /console/ by the local runner and, in AWS, from S3 behind CloudFront.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/console/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // index.html and hashed assets only: the runner serves them and falls back to index.html.
    assetsDir: "assets",
  },
  server: {
    // `npm run dev`: API calls go to the local runner (./run dev) on the same origin as the page.
    proxy: { "/v1": "http://127.0.0.1:3000" },
  },
});
