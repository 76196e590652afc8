# Shared by scripts/test, scripts/demo and scripts/release: find (or make) Python 3.14.2+
# and make a virtual environment. Sourced, not executed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Home Assistant 2026.3 and newer need Python 3.14.2 or newer.
PY_MIN="3.14.2"
# Where none is found, this CPython release is built once from its source, outside the
# repository. Debian 12 ships no Python 3.14 and Debian's mirrors serve no source packages
# of it; Ubuntu's archive serves CPython's own release tarball as python3.14's orig
# tarball (Ubuntu 26.04's, whose release pocket never changes). Its SHA-256 is the one
# Ubuntu's signed Sources index lists, and is checked before anything is unpacked.
PY_BUILD_VERSION="3.14.4"
PY_BUILD_URL="https://archive.ubuntu.com/ubuntu/pool/main/p/python3.14/python3.14_${PY_BUILD_VERSION}.orig.tar.xz"
PY_BUILD_SHA256="d923c51303e38e249136fc1bdf3568d56ecb03214efdef48516176d3d7faaef8"
# Debian 12's packages that CPython's build needs for the modules Home Assistant uses.
PY_BUILD_DEBS="gcc make pkg-config libssl-dev libffi-dev zlib1g-dev libsqlite3-dev libbz2-dev
  liblzma-dev libreadline-dev libncurses-dev uuid-dev libzstd-dev libgdbm-dev"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/buildinghub"
BUILT_PYTHON="$CACHE_DIR/python-$PY_BUILD_VERSION/bin/python3.14"

python_is_recent() {
  "$1" -c "import sys; sys.exit(sys.version_info[:3] < tuple(map(int, '$PY_MIN'.split('.'))))" \
    2>/dev/null
}

find_python() {
  # PYTHON= wins; then python3.14 or python3 on PATH, pyenv's 3.14s, the one built here.
  local candidate
  local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
  for candidate in "${PYTHON:-}" python3.14 python3 "$pyenv_root"/versions/3.14*/bin/python3.14 \
      "$BUILT_PYTHON"; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && python_is_recent "$candidate"; then
      command -v "$candidate"
      return 0
    fi
  done
  if [ -n "${PYTHON:-}" ]; then
    echo "PYTHON=$PYTHON is not Python $PY_MIN or newer." >&2
    exit 2
  fi
  return 1
}

install_debs() {
  # Installs the named Debian packages that are missing, with the machine's own apt sources.
  local missing="" pkg sudo=""
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing="$missing $pkg"
  done
  [ -n "$missing" ] || return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing packages:$missing, and no apt-get to install them with." >&2
    exit 2
  fi
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "==> installing Debian packages:$missing"
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
}

build_python() {
  local prefix="$CACHE_DIR/python-$PY_BUILD_VERSION" work tarball
  echo "==> no Python $PY_MIN or newer on this machine (PATH, pyenv, PYTHON=)." >&2
  echo "==> building CPython $PY_BUILD_VERSION once into $prefix (about 3 minutes on 2 cores)" >&2
  # shellcheck disable=SC2086
  install_debs $PY_BUILD_DEBS >&2
  mkdir -p "$CACHE_DIR"
  work="$(mktemp -d "$CACHE_DIR/build.XXXXXX")"
  tarball="$work/python.tar.xz"
  curl -fsSL --retry 3 -o "$tarball" "$PY_BUILD_URL"
  if ! echo "$PY_BUILD_SHA256  $tarball" | sha256sum -c --quiet; then
    echo "The CPython source from $PY_BUILD_URL does not match its published SHA-256." >&2
    rm -rf "$work"
    exit 2
  fi
  tar -xf "$tarball" -C "$work"
  (
    cd "$work/Python-$PY_BUILD_VERSION"
    ./configure --prefix="$prefix" --with-ensurepip=install -q >"$work/configure.log" 2>&1
    make -j"$(nproc)" -s >"$work/make.log" 2>&1
    make -s install >"$work/install.log" 2>&1
  ) || {
    echo "Building CPython failed; its logs are in $work" >&2
    exit 2
  }
  # Home Assistant needs these; a build that missed one must not be used.
  if ! "$prefix/bin/python3.14" -c 'import ssl, sqlite3, ctypes, zlib, bz2, lzma, uuid, readline'; then
    echo "CPython was built without a module Home Assistant needs; logs in $work" >&2
    exit 2
  fi
  rm -rf "$work"
  echo "==> built $prefix/bin/python3.14" >&2
  echo "$prefix/bin/python3.14"
}

homeassistant_constraints() {
  # $1: a venv's python. Prints the path of its Home Assistant's package_constraints.txt.
  # Found without importing Home Assistant, whose own dependencies may not be installed yet.
  "$1" -c 'import importlib.util, pathlib; spec = importlib.util.find_spec("homeassistant"); print(pathlib.Path(spec.origin).parent / "package_constraints.txt")'
}

ensure_venv() {
  # $1: the venv's directory, $2: the requirements file that pins its Home Assistant.
  # Reuses the venv while its inputs are unchanged.
  local venv="$1" requirements="$2" py stamp want ha_version constraints
  if [ -x "$venv/bin/python" ] && ! python_is_recent "$venv/bin/python"; then
    echo "==> $venv was made with an older Python; making it again"
    rm -rf "$venv"
  fi
  if [ ! -x "$venv/bin/python" ]; then
    py="$(find_python)" || py="$(build_python)"
    echo "==> creating $venv with $py ($("$py" --version))"
    "$py" -m venv "$venv"
  fi
  stamp="$venv/.buildinghub-installed"
  want="$(cat "$ROOT"/requirements*.txt "$ROOT"/packaging/*/pyproject.toml | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  ha_version="$(sed -n 's/^homeassistant==\([^ ]*\).*/\1/p' "$ROOT/$requirements")"
  echo "==> installing Home Assistant $ha_version and $requirements into $venv (with Home Assistant's constraints)"
  "$venv/bin/python" -m pip install -q --upgrade pip wheel
  # Home Assistant's own pins are the constraints for everything we install.
  "$venv/bin/python" -m pip install -q --no-deps "homeassistant==$ha_version"
  constraints="$(homeassistant_constraints "$venv/bin/python")"
  "$venv/bin/python" -m pip install -q -c "$constraints" -r "$ROOT/$requirements"
  # Our distributions, editable, with the dependencies their metadata declares: this also
  # shows that their version ranges accept what Home Assistant pins.
  "$venv/bin/python" -m pip install -q -c "$constraints" \
    -e "$ROOT/packaging/buildinghub" -e "$ROOT/packaging/buildinghub-sim" \
    -e "$ROOT/packaging/buildinghub-ha" -e "$ROOT/packaging/buildinghub-cloud-connector"
  echo "$want" > "$stamp"
}

stock_homeassistant_venv() {
  # $1: a new venv's directory, $2: a Home Assistant version. Makes what Home Assistant
  # Core's own installation makes (a venv, then pip install homeassistant==$2), with that
  # release's package_constraints.txt as constraints, and nothing of ours: the install test
  # adds what a property manager adds.
  local venv="$1" version="$2" py constraints
  if [ -e "$venv" ]; then
    echo "$venv already exists; a stock Home Assistant needs a new one." >&2
    return 2
  fi
  py="$(find_python)" || py="$(build_python)"
  echo "==> creating $venv with $py: Home Assistant $version only"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip wheel
  "$venv/bin/python" -m pip install -q --no-deps "homeassistant==$version"
  constraints="$(homeassistant_constraints "$venv/bin/python")"
  "$venv/bin/python" -m pip install -q -c "$constraints" "homeassistant==$version"
}
