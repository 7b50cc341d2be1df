import { defineConfig } from "@playwright/test";

// The server under test is what `make run` serves: the release binary and the release bundle in
// target/site (scripts/build-release.sh), on its own port and a fresh database, so a `make run` on
// port 3000 does not interfere. The start command refuses a target/site that is not that bundle
// (for example one `cargo leptos watch` rewrote since), so a green run always speaks of the release.
const port = Number(process.env.E2E_PORT ?? 3100);
export const baseURL = `http://127.0.0.1:${port}`;
// Two more instances of the same release server, sharing one PostgreSQL database
// (two-instances.sh; tests/two_instances.spec.ts).
export const instanceA = `http://127.0.0.1:${port + 11}`;
export const instanceB = `http://127.0.0.1:${port + 12}`;
// nginx in front of both, configured as the README's example (nginx-two-instances.conf).
export const proxied = `http://127.0.0.1:${port + 13}`;
const shared = {
  LEADWIRE_SEED_DEMO: "false",
  LEADWIRE_LOGIN_MAX_FAILURES_PER_IP: "1000",
  LEADWIRE_SIGNUPS_PER_IP_PER_HOUR: "100000",
  LEADWIRE_PUBLIC_REQUESTS_PER_IP_PER_MINUTE: "100000",
  RUST_LOG: "leadwire=warn",
};

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      // Debian's Chromium; Playwright never downloads a browser here.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: [{
    command:
      'test "$(cut -d" " -f2 target/site/pkg/.release-stamp 2>/dev/null)" = "$(sha256sum target/site/pkg/leadwire.wasm | cut -d" " -f1)"' +
      ' || { echo "target/site is not the release bundle: run make build-release" >&2; exit 1; };' +
      " rm -rf target/e2e && mkdir -p target/e2e && exec ./target/release/leadwire",
    cwd: "..",
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEADWIRE_DATABASE_URL: "sqlite://target/e2e/leadwire.db",
      LEADWIRE_SEED_DEMO: "false",
      LEADWIRE_PUBLIC_URL: baseURL,
      // Parallel tests sign in often from one address; the limit itself is tested in Rust.
      LEADWIRE_LOGIN_MAX_FAILURES_PER_IP: "1000",
      LEADWIRE_SIGNUPS_PER_IP_PER_HOUR: "100000",
      LEADWIRE_PUBLIC_REQUESTS_PER_IP_PER_MINUTE: "100000",
      // Small pages so "load older" is reachable in a test.
      LEADWIRE_THREAD_PAGE_SIZE: "20",
      // Tests open and click an email seconds after sending it; trust a browser at once (the
      // "within seconds of delivery" rule is covered by the Rust tests).
      LEADWIRE_TRACKING_MACHINE_WINDOW_SECS: "0",
      RUST_LOG: "leadwire=warn",
    },
  }, {
    command: "end2end/two-instances.sh",
    cwd: "..",
    url: `${proxied}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      ...shared,
      E2E_PORT_A: String(port + 11),
      E2E_PORT_B: String(port + 12),
      E2E_PORT_PROXY: String(port + 13),
    },
  }],
});
