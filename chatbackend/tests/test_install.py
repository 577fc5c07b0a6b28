"""What `make run` and `make test` install on a fresh machine: a failed install is never taken for done, and
missing system packages are named in one line when they cannot be installed."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support import BASE_DIR

SYSTEM_PACKAGES = BASE_DIR / "scripts" / "system-packages.sh"


def run(command: list[str], *, env: dict[str, str], **options: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300, check=False, **options
    )


def test_a_failed_pip_install_writes_no_stamp_so_the_next_make_installs_again(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    stamp = venv / ".installed-run"
    no_index = tmp_path / "no-packages"
    no_index.mkdir()
    # pip with nowhere to find packages: the install fails as it does without a network or with a bad pin.
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(no_index),
    }

    failed = run(["make", "--no-print-directory", f"VENV={venv}", str(stamp)], env=env)

    assert failed.returncode != 0
    assert "pip install failed; fix the cause above and run the same command again." in failed.stderr
    assert "Django==5.2.19" in failed.stderr  # the end of pip's log says what it could not install
    assert (venv / "bin" / "python").exists() and not stamp.exists()
    still_to_do = run(["make", "--question", f"VENV={venv}", str(stamp)], env=env)
    assert still_to_do.returncode == 1  # make still has the install to do


def test_missing_system_packages_without_root_are_named_with_why_in_one_line() -> None:
    env = {
        "PATH": os.environ["PATH"],
        "PYTHON": sys.executable if os.geteuid() != 0 else "/usr/bin/python3",
        "ASSUME_MISSING_PACKAGES": "libmariadb-dev chromium",
    }
    as_user = {"user": 65534, "group": 65534} if os.geteuid() == 0 else {}

    result = run(["bash", str(SYSTEM_PACKAGES), "test"], env=env, **as_user)

    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Missing system packages: libmariadb-dev (headers mysqlclient builds against)")
    assert "chromium (the browser test of the demo client)" in line
    assert "apt-get install libmariadb-dev chromium" in line


def test_the_server_needs_no_compiler_and_no_mysql_driver() -> None:
    """`make run` on the embedded default installs requirements.txt only: nothing in it builds from source."""
    runtime = (BASE_DIR / "requirements.txt").read_text()
    assert "mysqlclient" not in runtime
    assert "mysqlclient==" in (BASE_DIR / "requirements-mysql.txt").read_text()
    dev = (BASE_DIR / "requirements-dev.txt").read_text().splitlines()
    assert "-r requirements.txt" in dev and "-r requirements-mysql.txt" in dev
