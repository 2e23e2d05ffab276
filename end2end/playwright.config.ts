// Playwright drives Debian's Chromium (no browser download) against a Bursar
// server that scripts/test.sh has started on a fresh demo store.
import { defineConfig } from '@playwright/test';

const baseURL = process.env.BURSAR_E2E_URL ?? 'http://127.0.0.1:3917';

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  retries: 0,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL,
    viewport: { width: 1360, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
