import { resolve } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// Two pages, so the portal never downloads the console's code: the console at `/`, the
// portal at `/portal/`. `npm run dev` proxies the API to a running `make dev`.
const api = process.env.MSPDESK_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  base: "/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    modulePreload: { polyfill: false }, // every browser the console supports has it
    rolldownOptions: {
      input: {
        console: resolve(import.meta.dirname, "index.html"),
        portal: resolve(import.meta.dirname, "portal/index.html"),
      },
      // What both pages load (React, the API client, sign-in) in one chunk, cached across them.
      output: { codeSplitting: { groups: [{ name: "shared", test: /node_modules|src\/shared/ }] } },
    },
  },
  server: {
    proxy: {
      "/api": { target: api, ws: true },
      "/portal/api": api,
      "/config.json": api,
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
