"""``spsim app``: start the classroom app (a Solara server) on this computer."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

from ...errors import ConfigError, UsageError
from ..app.classroom import CONFIGS_ENV, discover_presets


def add_parser(sub) -> argparse.ArgumentParser:
    a = sub.add_parser("app", help="start the classroom and planner app (Solara, on this computer) in your browser")
    a.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this computer only)")
    a.add_argument("--port", type=_port, default=8765, help="port (default 8765; 0 picks a free one)")
    a.add_argument("--configs", type=Path, metavar="DIR",
                   help="folder of scenario files offered as presets (default: ./configs)")
    return a


def _port(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a whole number, got {text!r}") from None
    if not 0 <= v <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, got {v}")
    return v


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def server_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "solara", "run", "spsim.interfaces.app.page", "--host", host, "--port", str(port),
            "--production", "--no-open", "--no-check-version", "--log-level", "warning"]


def server_env(configs: Path | None = None) -> dict[str, str]:
    """The environment for the Solara server: no telemetry (the page's scripts and fonts come from the
    solara-assets package, served by the server itself)."""
    env = dict(os.environ)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    env.setdefault("MPLBACKEND", "Agg")
    # Solara warns on every connection over plain http (this app serves localhost only); keep the console quiet
    quiet = "ignore:Cookies with samesite=none require https:UserWarning"
    env["PYTHONWARNINGS"] = ",".join(w for w in (env.get("PYTHONWARNINGS"), quiet) if w)
    src = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    if configs is not None:
        env[CONFIGS_ENV] = str(Path(configs).resolve())
    return env


def cmd_app(args: argparse.Namespace) -> int:
    try:
        import mesa.visualization  # noqa: F401
        import solara  # noqa: F401
    except ImportError as e:
        raise UsageError(f"spsim app needs the app extra ({e.name} is missing): pip install -e '.[app]'") from None
    if args.configs is not None and not args.configs.is_dir():
        raise ConfigError(str(args.configs), None, "not a folder of scenario files")
    presets = discover_presets(args.configs)
    try:
        port = args.port or free_port(args.host)
        with socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET) as s:
            s.bind((args.host, port))
    except OSError as e:
        raise UsageError(f"spsim app: cannot listen on {args.host}:{args.port} ({e.strerror}); "
                         "try another --port, or --port 0 for a free one") from None
    print(f"spsim app: http://{args.host}:{port}  (presets: {', '.join(presets)}; Ctrl-C stops)", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"spsim app: listening on {args.host}: other computers that can reach it can use the app",
              file=sys.stderr)
    # become the Solara server (no child process left behind when this one is stopped)
    cmd = server_command(args.host, port)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(cmd[0], cmd, server_env(args.configs))
    return 0  # pragma: no cover  (execve does not return)
