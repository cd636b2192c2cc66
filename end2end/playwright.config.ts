import { defineConfig } from "@playwright/test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// Each run gets a fresh data directory, so tests see exactly the demo set.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "recall-e2e-"));
const port = Number(process.env.RECALL_E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      // Chromium's background services try to reach Google; this machine's
      // network refuses them, so switch them off.
      args: [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    // The release binary, started from the repository root so it finds
    // target/site without extra configuration. RECALL_E2E_BIN (with
    // LEPTOS_SITE_ROOT) runs a build from another target directory.
    command: `${process.env.RECALL_E2E_BIN ?? "./target/release/recall"} serve --addr 127.0.0.1:${port} --data-dir ${dataDir} --demo`,
    env: { RECALL_DEMO_PASSWORD: "demo-password-123", RECALL_LOG: "warn" },
    cwd: "..",
    url: `${baseURL}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
