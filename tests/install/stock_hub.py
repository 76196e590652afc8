"""A stock Home Assistant Core as a hub runs it, and a host serving the release's wheels.

Everything here runs in processes of their own: the hub's ``hass`` and ``pip`` in a virtual
environment made for the test (never the test's own, whose editable installs stay as they
are), with an environment cleaned of this one's virtualenv and tool settings.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import signal
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# What the test's process has that the hub's must not inherit.
_NOT_INHERITED = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONSAFEPATH")
_NOT_INHERITED_PREFIXES = ("UV_", "COV_", "COVERAGE_", "PYTEST_")


def hub_environment(venv: Path) -> dict[str, str]:
    """This process's environment, as a shell in which ``venv`` is the only Python."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _NOT_INHERITED and not key.startswith(_NOT_INHERITED_PREFIXES)
    }
    ours = {str(ROOT / ".venv" / "bin"), str(ROOT / ".venv-demo" / "bin")}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p not in ours]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *path])
    return env


def run(command: list[str], *, env: dict[str, str] | None = None, timeout: float) -> str:
    """Run a command to its end; its output, or AssertionError with all of it."""
    done = subprocess.run(
        command,
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


class WheelHost:
    """The release's wheels on loopback HTTP, as the release's assets are served; logs fetches."""

    def __init__(self, folder: Path) -> None:
        """Serve ``folder``; call :meth:`start` (or use ``with``)."""
        self.folder = folder
        self.fetched: list[str] = []
        handler = functools.partial(_LoggingHandler, self.fetched, directory=str(folder))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="wheel-host")

    @property
    def url(self) -> str:
        """The base URL the wheels are under."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        """Start answering."""
        self._thread.start()

    def stop(self) -> None:
        """Stop answering: from now on the release host is unreachable."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> WheelHost:
        """Start, for a ``with`` block."""
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop (also when the block failed)."""
        self.stop()


class _LoggingHandler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, fetched: list[str], *args: Any, **kwargs: Any) -> None:
        self._fetched = fetched
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        self._fetched.append(self.path)
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: :attr:`WheelHost.fetched` is the log."""


@dataclass
class StockHub:
    """Home Assistant Core in ``venv`` on the config directory ``config``, on loopback."""

    venv: Path
    config: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    _output: Path = field(init=False)

    def __post_init__(self) -> None:
        """Where ``hass``'s own output goes (the log is in the config directory)."""
        self._output = self.config.parent / "hass.out"

    @property
    def url(self) -> str:
        """Its HTTP API."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The running ``hass`` process's id."""
        return None if self.process is None else self.process.pid

    def pip(self, *args: str, timeout: float = 900) -> str:
        """``pip`` of the hub's venv, as the property manager runs it in a shell."""
        python = str(self.venv / "bin" / "python")
        return run([python, "-m", "pip", *args], env=hub_environment(self.venv), timeout=timeout)

    def python(self, *args: str, timeout: float = 300) -> str:
        """The hub's Python, as the property manager runs it in a shell."""
        python = str(self.venv / "bin" / "python")
        return run([python, *args], env=hub_environment(self.venv), timeout=timeout)

    def constraints(self) -> Path:
        """Home Assistant's own package_constraints.txt in the hub's venv."""
        (found,) = self.venv.glob(
            "lib/python3*/site-packages/homeassistant/package_constraints.txt"
        )
        return found

    def version(self, distribution: str) -> str:
        """The installed version of ``distribution`` in the hub's venv."""
        folder = distribution.replace("-", "_").lower()
        for info in self.venv.glob("lib/python3*/site-packages/*.dist-info"):
            name, _, version = info.name.removesuffix(".dist-info").rpartition("-")
            if name.lower() == folder:
                return version
        raise AssertionError(f"{distribution} is not installed in the hub's venv")

    def pinned(self, distribution: str) -> str:
        """The version Home Assistant's package_constraints.txt pins ``distribution`` to."""
        for line in self.constraints().read_text().splitlines():
            name, _, version = line.partition("==")
            if name.strip().lower() == distribution.lower():
                return version.strip()
        raise AssertionError(f"Home Assistant's constraints do not pin {distribution}")

    def installed_from(self, distribution: str) -> str | None:
        """The URL pip or uv installed ``distribution`` from (PEP 610), None if not by URL."""
        folder = distribution.replace("-", "_")
        for info in self.venv.glob(f"lib/python3*/site-packages/{folder}-*.dist-info"):
            direct = info / "direct_url.json"
            if direct.exists():
                return str(json.loads(direct.read_text())["url"])
            return None
        raise AssertionError(f"{distribution} is not installed in the hub's venv")

    def start(self) -> None:
        """Start ``hass`` on the config directory (nothing skipped: it installs what it needs)."""
        assert self.process is None, "already running"
        self.starts += 1
        with self._output.open("ab") as output:
            output.write(f"\n==== start {self.starts}\n".encode())
            self.process = subprocess.Popen(
                [str(self.venv / "bin" / "hass"), "--config", str(self.config)],
                stdout=output,
                stderr=subprocess.STDOUT,
                env=hub_environment(self.venv),
                start_new_session=True,  # its uv children go with it
            )

    def stop(self, timeout: float = 90) -> None:
        """Stop ``hass`` as Ctrl-C does; kill its process group if it does not stop in time."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def log_tail(self, lines: int = 150) -> str:
        """The end of what ``hass`` wrote (its log and anything before logging), every start."""
        if not self._output.exists():
            return "(Home Assistant wrote nothing)"
        text = self._output.read_text(errors="replace").splitlines()[-lines:]
        return f"---- {self._output}, last {len(text)} lines\n" + "\n".join(text)

    def log(self) -> str:
        """Home Assistant's log since its last start (it moves the earlier one aside)."""
        path = self.config / "home-assistant.log"
        return path.read_text(errors="replace") if path.exists() else ""
