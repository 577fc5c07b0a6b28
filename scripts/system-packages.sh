#!/usr/bin/env bash
# The Debian packages a purpose needs beyond Python itself, installed when missing (shared by the Makefile and
# .ci/run). Purposes: `run` (the server on the embedded SQLite default), `mysql` (building mysqlclient, the MySQL
# driver), `test` (mysql + Node.js, Chromium, MariaDB and Redis for the test suite).
#
# As root with apt-get it installs what is missing; otherwise it prints one line naming the packages and why, and
# fails. ASSUME_MISSING_PACKAGES="pkg ..." treats those packages as missing whatever is installed: it exercises the
# install branch on a machine that has them (the header check also honours PKG_CONFIG_LIBDIR, as pkg-config does).
set -euo pipefail

missing=()
reasons=()
need() { # need PACKAGE REASON CHECK...: the package is wanted unless CHECK succeeds
  local package=$1 reason=$2
  shift 2
  if [[ " ${ASSUME_MISSING_PACKAGES:-} " == *" $package "* ]] || ! "$@" >/dev/null 2>&1; then
    if [[ " ${missing[*]:-} " != *" $package "* ]]; then
      missing+=("$package")
      reasons+=("$package ($reason)")
    fi
  fi
}
python_has() { "${PYTHON:-python3}" -c "$1"; }
mariadb_headers() { pkg-config --exists libmariadb || pkg-config --exists mysqlclient; }
python_headers() { python_has "import os, sysconfig; assert os.path.exists(sysconfig.get_paths()['include'] + '/Python.h')"; }

for_run() {
  need python3-venv "creates the virtualenv" python_has "import ensurepip, venv"
}
for_mysql() {
  for_run
  need build-essential "compiles mysqlclient" command -v gcc
  need pkg-config "finds the MariaDB client library for mysqlclient" command -v pkg-config
  need libmariadb-dev "headers mysqlclient builds against" mariadb_headers
  need python3-dev "Python headers mysqlclient builds against" python_headers
}
for_test() {
  for_mysql
  need nodejs "runs the official socket.io-client tests" command -v node
  need npm "installs the Node test dependencies" command -v npm
  need chromium "the browser test of the demo client" command -v chromium
  need mariadb-client "mysqladmin and mysql for the private MariaDB of the fault tests" command -v mysqladmin
  need mariadb-server "the private MariaDB of the fault tests" test -x /usr/sbin/mariadbd
  need redis-server "the private Redis of the fault tests" command -v redis-server
}

check_all() {
  missing=()
  reasons=()
  for purpose in "${purposes[@]}"; do
    case $purpose in
      run | mysql | test) "for_$purpose" ;;
      *)
        echo "usage: $0 [run|mysql|test]..." >&2
        exit 2
        ;;
    esac
  done
}

purposes=("${@:-run}")
check_all
((${#missing[@]})) || exit 0
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
  echo "Missing system packages: ${reasons[*]}. Install them (e.g. sudo apt-get install ${missing[*]}) and run this again." >&2
  exit 1
fi
echo "==> installing system packages: ${reasons[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
# A package that apt installed but whose check still fails (headers elsewhere, PKG_CONFIG_LIBDIR pointing away
# from them): say so now, in one line, rather than let a build fail later with pages of output.
ASSUME_MISSING_PACKAGES=
check_all
if ((${#missing[@]})); then
  echo "Installed, but still not found: ${reasons[*]}. Check PKG_CONFIG_PATH/PKG_CONFIG_LIBDIR and PATH." >&2
  exit 1
fi
