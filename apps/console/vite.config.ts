import react from "@vitejs/plugin-react";
import { defineConfig, loadEnv } from "vite";

// `npm run dev -w @conclave/console`: this dev server with the API proxied to a running edge
// (EDGE_URL, default the `npm start` one); the page's stream URL comes from the edge's config.json.
export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, ".", ["EDGE_"]);
  const edge = env.EDGE_URL ?? "http://127.0.0.1:3000";
  return {
    base: "/console/",
    plugins: [react()],
    build: { outDir: "dist", emptyOutDir: true, sourcemap: false, target: "es2022" },
    server: { proxy: { "/v1": edge, "/console/config.json": edge } },
  };
});
