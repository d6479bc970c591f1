"""``presswatch scheduler start|stop|status``: the scheduled system on this machine (a
Prefect server, the deployments of prefect.yaml and a worker; see presswatch.scheduler)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from presswatch import options, scheduler
from presswatch.errors import UsageError
from presswatch.printing import say
from reporting import output


def _config(args: argparse.Namespace) -> scheduler.SchedulerConfig:
    return scheduler.SchedulerConfig(
        state_dir=Path(args.state_dir), port=args.port, project_dir=Path.cwd()
    )


def cmd_scheduler(args: argparse.Namespace, console: Console) -> int:
    config = _config(args)
    try:
        if args.action == "start":
            lines = scheduler.start(config)
            lines.append(f"Prefect UI: {config.ui_url}   logs: {config.state_dir / 'logs'}")
        elif args.action == "stop":
            lines = scheduler.stop(config)
        elif args.format == "json":
            print(
                output.to_json(
                    {
                        name: {"pid": pid, "running": pid is not None}
                        for name, pid in scheduler.status(config).items()
                    }
                )
            )
            return 0
        else:
            lines = [
                f"{name}: {f'running (pid {pid})' if pid else 'stopped'}"
                for name, pid in scheduler.status(config).items()
            ]
    except scheduler.SchedulerError as exc:
        raise UsageError(str(exc)) from exc
    for line in lines:
        say(console, line)
    return 0


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 1 and 65535, not {value}")
    return value


def register(commands: Any) -> None:
    sched = commands.add_parser(
        "scheduler",
        parents=[options.format_option("table", "json")],
        help="run the scheduled system locally (Prefect server + worker)",
    )
    sched.add_argument(
        "action", choices=["start", "stop", "status"], help="start, stop or show the processes"
    )
    sched.add_argument(
        "--port",
        type=_port,
        default=scheduler.DEFAULT_PORT,
        help=f"the Prefect server's port (default {scheduler.DEFAULT_PORT})",
    )
    sched.add_argument(
        "--state-dir",
        default=str(scheduler.DEFAULT_STATE_DIR),
        help=f"PIDs, logs, server DB (default {scheduler.DEFAULT_STATE_DIR})",
    )
    sched.set_defaults(handler=cmd_scheduler)
