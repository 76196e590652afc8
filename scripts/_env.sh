# Shared by scripts/test and scripts/demo: find Python 3.13 and make .venv.
# Sourced, not executed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.13 "$HOME/.pyenv/versions/3.13"*/bin/python3.13 \
      /root/.pyenv/versions/3.13*/bin/python3.13 /usr/bin/python3.13 /usr/local/bin/python3.13; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

ensure_venv() {
  # $1: the requirements file to install. Reuses .venv while its inputs are unchanged.
  local requirements="$1" py stamp want
  if [ ! -x "$VENV/bin/python" ]; then
    if ! py="$(find_python)"; then
      echo "Building Hub needs Python 3.13 (Home Assistant 2025.4.4 runs on it)." >&2
      echo "Install it, for example: pyenv install 3.13.0, or set PYTHON=/path/to/python3.13." >&2
      exit 2
    fi
    echo "==> creating .venv with $py"
    "$py" -m venv "$VENV"
  fi
  # One stamp per requirements file: running scripts/test does not make scripts/demo reinstall.
  stamp="$VENV/.buildinghub-installed-${requirements%.txt}"
  want="$(cat "$ROOT/pyproject.toml" "$ROOT"/requirements*.txt | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "==> installing $requirements into .venv (Home Assistant's constraints apply)"
  "$VENV/bin/python" -m pip install -q --upgrade pip wheel
  # Home Assistant's own pins are the constraints for everything we install.
  "$VENV/bin/python" -m pip install -q --no-deps homeassistant==2025.4.4
  local constraints
  constraints="$("$VENV/bin/python" -c 'import homeassistant, pathlib; print(pathlib.Path(homeassistant.__file__).parent / "package_constraints.txt")')"
  "$VENV/bin/python" -m pip install -q -c "$constraints" -r "$ROOT/$requirements"
  "$VENV/bin/python" -m pip install -q -c "$constraints" --no-deps -e "$ROOT"
  echo "$want" > "$stamp"
}
