#!/usr/bin/env bash
# pip-install.sh VENV REQUIREMENTS...: make sure VENV is a working virtualenv, then install the pinned requirements
# into it, printing one line per package (the whole of pip's output goes to VENV/pip.log, shown when pip fails).
set -euo pipefail
venv=$1
shift
python=${PYTHON:-python3}

if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
  # No virtualenv yet, or one left broken by an interrupted or failed creation: start again.
  echo "==> creating the virtualenv $venv ($("$python" --version))"
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi

log=$venv/pip.log
echo "==> installing Python packages from $* (full log: $log)"
started=$SECONDS
args=()
for requirements in "$@"; do args+=(-r "$requirements"); done
# One line per package as pip gets to it (pip's own output is long); the exit status is pip's.
set +e
"$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off --no-compile "${args[@]}" </dev/null 2>&1 \
  | tee "$log" | { grep --line-buffered -E '^(Collecting|Building wheels for|Installing collected)' \
  | sed -u -E 's/^Collecting ([^ ]+).*/    \1/; s/^Building wheels? for (collected packages: )?(.*)/    building \2 from source (compiling).../; s/^Installing.*/    installing.../'; true; }
status=${PIPESTATUS[0]}
set -e
if ((status != 0)); then
  echo "--- the end of $log:" >&2
  tail -n 25 "$log" >&2
  echo "==> pip install failed; fix the cause above and run the same command again." >&2
  exit 1
fi
echo "    done in $((SECONDS - started)) s"
