"""The ``serve``, ``evaluate`` and ``token`` commands, added to ``sloscope`` by the CLI.

Only typer is imported here: FastAPI and uvicorn load when ``serve`` runs, so every
other command starts without them (and works without the ``server`` extra).
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sloscope.errors import ConfigError, RequestError, SloscopeError

if TYPE_CHECKING:
    from sloscope.server.settings import ServerSettings
    from sloscope.workspace import Workspace

Errors = Callable[[], AbstractContextManager[None]]
OpenWorkspace = Callable[[Path | None], "Workspace"]

WorkspaceOption = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="Project folder. Default: the current directory."),
]


def run_server(workspace: Workspace, settings: ServerSettings, announce: bool = True) -> None:
    """Serve ``workspace`` until interrupted (uvicorn in this process)."""
    try:
        import uvicorn

        from sloscope.server.app import create_app
        from sloscope.server.context import ServerContext
        from sloscope.server.logs import configure
        from sloscope.server.metrics import ServerMetrics
    except ImportError as exc:
        raise ConfigError(
            f"sloscope serve needs the server extra ({exc.name} is missing): "
            "pip install 'sloscope[server]'"
        ) from None
    configure()
    with workspace.open_state() as store:
        ctx = ServerContext(workspace, store, settings, ServerMetrics())
        app = create_app(ctx)
        if announce:
            where = f"http://{settings.host}:{settings.port}/"
            print(f"sloscope serving {workspace.root} on {where}", file=sys.stderr, flush=True)
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            server_header=False,
        )


def run_evaluations(workspace: Workspace, *, once: bool, at: int | None, interval: int) -> None:
    """Evaluate at ``at`` (default now) once, or every ``interval`` seconds until a
    SIGTERM or SIGINT; one line per evaluation on standard output."""
    from sloscope.alerting.evaluate import evaluate_once

    stop = threading.Event()
    if not once:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    with workspace.open_state() as store:
        while True:
            when = at if at is not None else int(time.time())
            try:
                print(evaluate_once(workspace, store, when).summary(), flush=True)
            except SloscopeError as exc:
                if once:
                    raise
                # A source outage must not end the loop: say so, try again next time.
                print(f"evaluation at {when} failed: {exc}", file=sys.stderr, flush=True)
            if once or stop.wait(interval):
                return


def _evaluation_options(at: str | None, interval: str) -> tuple[int | None, int]:
    """``--at`` and ``--interval`` read; :class:`RequestError` (exit 2) when malformed."""
    from sloscope.spec.durations import parse_duration
    from sloscope.timeparse import parse_time

    try:
        seconds = parse_duration(interval)
    except ValueError as exc:
        raise RequestError(f"--interval: {exc}") from None
    if seconds <= 0:
        raise RequestError("--interval must be positive, such as 1m")
    try:
        when = None if at is None else parse_time(at, now=time.time())
    except ValueError as exc:
        raise RequestError(f"--at: {exc}") from None
    return when, seconds


def register(app: typer.Typer, errors: Errors, open_workspace: OpenWorkspace) -> None:
    """Add ``serve``, ``evaluate`` and ``token create|list|revoke`` to ``app``."""

    @app.command()
    def evaluate(
        once: Annotated[bool, typer.Option("--once", help="Evaluate once and exit.")] = False,
        interval: Annotated[
            str, typer.Option("--interval", help="Time between evaluations (1m, 30s).")
        ] = "1m",
        at: Annotated[
            str | None,
            typer.Option("--at", help="Evaluate at this time (RFC 3339, Unix seconds, now-1h)."),
        ] = None,
        workspace: WorkspaceOption = None,
    ) -> None:
        """Evaluate every SLO's alerts, record their state, send their notifications."""
        with errors():
            when, seconds = _evaluation_options(at, interval)
            run_evaluations(open_workspace(workspace), once=once, at=when, interval=seconds)

    @app.command()
    def serve(
        host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8080,
        public_read: Annotated[
            bool, typer.Option("--public-read", help="Pages and GET endpoints need no token.")
        ] = False,
        eval_interval: Annotated[
            float,
            typer.Option(
                "--eval-interval", min=0, help="Seconds between evaluation runs (0: no loop)."
            ),
        ] = 60.0,
        max_ingest_mb: Annotated[
            float, typer.Option("--max-ingest-mb", min=0.001, help="Ingest body limit (MiB).")
        ] = 10.0,
        workspace: WorkspaceOption = None,
    ) -> None:
        """Serve the REST API (/api/v1), the dashboard (/) and the evaluation loop."""
        from sloscope.server.settings import ServerSettings

        settings = ServerSettings(
            host=host,
            port=port,
            public_read=public_read,
            eval_interval=eval_interval,
            max_ingest_bytes=int(max_ingest_mb * 1024 * 1024),
            evaluation_worker=True,
            warm_up=True,
        )
        with errors():
            run_server(open_workspace(workspace), settings)

    token_app = typer.Typer(help="API tokens of sloscope serve.", no_args_is_help=True)
    app.add_typer(token_app, name="token")

    @token_app.command("create")
    def token_create(
        scope: Annotated[str, typer.Option("--scope", help="read, write or admin.")],
        name: Annotated[
            str | None, typer.Option("--name", help="A name for the token (audit log).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
        workspace: WorkspaceOption = None,
    ) -> None:
        """Create a token and print it once (only its hash is stored)."""
        import secrets

        from sloscope.store.tokens import Tokens

        label = name if name is not None else f"{scope}-{secrets.token_hex(3)}"
        with errors():
            ws = open_workspace(workspace)
            with ws.open_state() as store, store.transaction() as session:
                token, secret = Tokens(session).create(scope, label, int(time.time()))
        if as_json:
            print(json.dumps({**_token_dict(token), "token": secret}))
            return
        print(secret)
        print(
            f"token {token.name!r} ({token.scope}) created; it is shown only now: "
            "store it in a secret manager",
            file=sys.stderr,
        )

    @token_app.command("list")
    def token_list(
        show_all: Annotated[bool, typer.Option("--all", help="Revoked tokens too.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
        workspace: WorkspaceOption = None,
    ) -> None:
        """Tokens by name and scope (never the tokens themselves)."""
        from sloscope.store.tokens import Tokens

        with errors():
            ws = open_workspace(workspace)
            with ws.open_state() as store, store.transaction() as session:
                found = Tokens(session).find(include_revoked=show_all)
        rows = [_token_dict(t) for t in found]
        if as_json:
            print(json.dumps(rows))
            return
        if not rows:
            print("no tokens; create one: sloscope token create --scope read", file=sys.stderr)
        for row in rows:
            revoked = f" revoked {row['revoked_at']}" if row["revoked_at"] else ""
            print(f"{row['name']}\t{row['scope']}\tcreated {row['created_at']}{revoked}")

    @token_app.command("revoke")
    def token_revoke(
        name: Annotated[str, typer.Argument(help="The token's name (see token list).")],
        workspace: WorkspaceOption = None,
    ) -> None:
        """Revoke a token now; its dashboard sessions end with it."""
        from sloscope.store.tokens import Tokens

        with errors():
            ws = open_workspace(workspace)
            with ws.open_state() as store, store.transaction() as session:
                token = Tokens(session).revoke(name, int(time.time()))
        print(f"token {token.name!r} revoked")


def _token_dict(token: Any) -> dict[str, Any]:
    from sloscope.timeparse import format_time

    return {
        "name": token.name,
        "scope": token.scope,
        "created_at": format_time(token.created_at),
        "revoked_at": format_time(token.revoked_at) if token.revoked_at else None,
    }
