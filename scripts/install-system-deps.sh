#!/usr/bin/env bash
# Installs what the tests need from Debian's packages when it is missing: the PostgreSQL
# server (initdb/pg_ctl), Chromium for the browser tests, and Dovecot (IMAP + LMTP) as the
# mailbox `email test-send --imap` fetches from. Idempotent. As root (CI) a
# failed install fails the build; elsewhere it says what is missing and the affected tests
# skip, saying why (unless CI is set, when they fail).
set -u

need=()
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && ! command -v initdb >/dev/null; then
  need+=(postgresql)
fi
if [ ! -x /usr/bin/chromium ]; then
  need+=(chromium)
fi
if [ ! -x /usr/lib/dovecot/imap ]; then
  need+=(dovecot-imapd)
fi
if [ ! -x /usr/lib/dovecot/lmtp ]; then
  need+=(dovecot-lmtpd)
fi
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=sudo
  else
    echo "install-system-deps: missing ${need[*]}; run as root to install (tests needing them will skip)" >&2
    exit 0
  fi
else
  SUDO=
fi
echo "install-system-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null || true
if ! $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-liberation >/dev/null; then
  echo "install-system-deps: apt-get could not install ${need[*]}" >&2
  exit 1
fi
exit 0
