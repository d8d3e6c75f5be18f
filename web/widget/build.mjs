// Bundles src/main.ts into one self-contained, minified script: dist/widget.js.
// `./run build-web widget` runs this (through `npm run build`) and then records the sources' hash.
import { build } from "esbuild";

await build({
  entryPoints: ["src/main.ts"],
  outfile: "dist/widget.js",
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  legalComments: "none",
  charset: "utf8",
  banner: { js: "/* Buzzi chat widget */" },
  logLevel: "warning",
});
