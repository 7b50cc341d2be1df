#!/usr/bin/env bash
# Installs what Leadwire needs to build (and, with --test, to test) on a fresh Debian machine.
# Idempotent: every step checks first and skips what is already there.
# Only the crate, npm and Debian registries are used; no tool downloads its own binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

# --release: what `make run` needs to build the release (scripts/build-release.sh).
# --test: that, plus the browser, SMTP sink and Playwright of `make test`.
# --dev: cargo-leptos for `make dev` (`cargo leptos watch`); only development needs it.
want_test=false
want_release=false
want_dev=false
for arg in "$@"; do
  case "$arg" in
    --test) want_test=true; want_release=true ;;
    --release) want_release=true ;;
    --dev) want_dev=true ;;
    *) echo "usage: $0 [--test] [--release] [--dev]" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=false
apt_install() {
  if ! $apt_updated; then
    as_root apt-get update -qq
    apt_updated=true
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The WASM target of the machine's own toolchain.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# cargo-leptos, pinned (0.3.11 needs a newer rustc); no_downloads: it must find tools on PATH.
# Development only: the release is built by scripts/build-release.sh without it.
if $want_dev && [ "$(cargo leptos --version 2>/dev/null || true)" != "cargo-leptos 0.3.10" ]; then
  say "installing cargo-leptos 0.3.10 (compiles for ~15 minutes on 2 cores)"
  cargo install cargo-leptos --version 0.3.10 --locked --features no_downloads
fi

# wasm-bindgen CLI: exactly the version Cargo.lock resolved, or the bundle will not load.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version"
  cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi

# wasm-opt shrinks the release bundle: binaryen 132 from npm (pinned in tools/package-lock.json),
# not Debian's binaryen 108, whose every pass breaks this bundle in the browser.
if $want_release && { ! [ -x tools/node_modules/binaryen/bin/wasm-opt ] || [ tools/package-lock.json -nt tools/node_modules/.package-lock.json ]; }; then
  say "installing wasm-opt (binaryen 132, npm)"
  (cd tools && npm ci --no-audit --no-fund --loglevel=error)
fi

if $want_test; then
  if ! [ -x /usr/bin/chromium ]; then
    say "installing Debian Chromium"
    apt_install chromium
  fi
  # A real SMTP server for the email tests (tests/smtp_sink.py), from PyPI.
  if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
    say "installing aiosmtpd (the SMTP server the email tests deliver to)"
    python3 -m pip install --quiet --disable-pip-version-check 'aiosmtpd==1.4.6'
  fi
  # A real IMAP server for the mailbox tests (tests/integration/imap.rs starts its own from
  # tests/dovecot-test.conf); the package's own system-wide service is not needed.
  if ! [ -x /usr/sbin/dovecot ]; then
    say "installing Debian Dovecot (the IMAP server the mailbox tests watch)"
    apt_install dovecot-imapd
    as_root systemctl disable --now dovecot >/dev/null 2>&1 || as_root service dovecot stop >/dev/null 2>&1 || true
  fi
  # nginx, as the README's example configures it, in front of two instances for the
  # Playwright test of several instances (end2end/two-instances.sh); its own service is not
  # needed.
  if ! command -v nginx >/dev/null && ! [ -x /usr/sbin/nginx ]; then
    say "installing Debian nginx (the proxy of the two-instance browser test)"
    apt_install nginx-light || apt_install nginx
    as_root systemctl disable --now nginx >/dev/null 2>&1 || as_root service nginx stop >/dev/null 2>&1 || true
  fi
  # A real PostgreSQL for the PostgreSQL tests (tests/integration/postgres_schema.rs): the
  # machine's own at 127.0.0.1:5432 when one runs, else Debian's, installed and started here.
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if ! command -v pg_ctlcluster >/dev/null; then
      say "installing Debian PostgreSQL"
      apt_install postgresql
    fi
    say "starting PostgreSQL"
    as_root service postgresql start >/dev/null 2>&1 ||
      as_root pg_ctlcluster "$(ls /etc/postgresql | sort -n | tail -1)" main start
    for _ in $(seq 1 60); do
      pg_isready -q -h 127.0.0.1 -p 5432 && break
      sleep 1
    done
    # The tests sign in as postgres with this password (a server that trusts local
    # connections, as on the development machines, ignores it).
    as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'leadwire'\""
  fi
  # psql makes the scratch databases of the PostgreSQL runs (scripts/test-postgres.sh,
  # end2end/two-instances.sh).
  if ! command -v psql >/dev/null; then
    say "installing Debian's PostgreSQL client"
    apt_install postgresql-client
  fi
  # Playwright from npm, told never to fetch a browser; it drives the Debian Chromium.
  if ! [ -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    say "installing end2end npm packages"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
