"""`make dev`: the whole desk on this machine, no AWS account and no network needed."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import uvicorn

from mspdesk.local.stack import LocalStack

SLA_SWEEP_SECONDS = 20.0
BILLING_RUN_SECONDS = 600.0  # the nightly run, every ten minutes locally


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mspdesk.local", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--moto-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--smtp-port", type=int, default=2525, help="mail in; 0 picks a free port")
    parser.add_argument("--state-dir", type=Path, default=Path(".local"))
    parser.add_argument("--fresh", action="store_true", help="ignore saved state; seed anew")
    parser.add_argument("--no-seed", action="store_true", help="start with an empty desk")
    parser.add_argument("--no-save", action="store_true", help="do not save state on exit")
    args = parser.parse_args(argv)
    # The functions' structured logs are for CloudWatch; a terminal wants warnings only
    # (set POWERTOOLS_LOG_LEVEL=INFO to see them).
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # EMF lines are for CloudWatch

    stack = LocalStack(state_dir=args.state_dir, moto_port=args.moto_port)
    restored = stack.start(restore=not args.fresh)
    from mspdesk.local.sla_scheduler import arm_open_tickets, start_local_timers

    # Before anything invokes sla_monitor: these are its timers for the whole run.
    sla_timers = start_local_timers(stack)
    if not restored and not args.no_seed:
        from mspdesk.local.seed import seed_demo

        with stack.events.held():  # the timers are armed below, once the desk is whole
            summary = seed_demo(stack.deps)
        print(f"Seeded the demo MSP: {summary}", flush=True)
    arm_open_tickets(stack, sla_timers)
    from mspdesk.local.triage import index_history

    indexed = index_history()
    print(f"Triage: {indexed.count} resolved tickets indexed", flush=True)

    from functions.api.app import create_app
    from mspdesk.local.stack import invoke

    app = create_app(stack.settings, stack.deps)
    from mspdesk.local.web import WEB_DIST, mount_web

    mount_web(app, WEB_DIST)  # the console at /, the portal at /portal/ (`make web` builds them)
    from mspdesk.local.smtp import start_local_smtp
    from mspdesk.local.stack import free_port

    smtp = start_local_smtp(stack.settings, host=args.host, port=args.smtp_port or free_port())
    stack.every(SLA_SWEEP_SECONDS, "sla_monitor", lambda: invoke("sla_monitor", {}))
    stack.every(
        BILLING_RUN_SECONDS,
        "time_billing",
        lambda: invoke("time_billing", {"source": "mspdesk.local.schedule"}),
    )
    _banner(stack, args.host, args.port, restored, smtp.port)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=args.host,
            port=args.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass  # uvicorn re-raises Ctrl-C after its graceful shutdown; ours follows
    finally:
        smtp.stop()
        sla_timers.stop()
        stack.stop(save=not args.no_save)
        if not args.no_save:
            print(f"State saved to {stack.state_file}", flush=True)


def _banner(stack: LocalStack, host: str, port: int, restored: bool, smtp_port: int) -> None:
    from mspdesk.domain.scope import Scope
    from mspdesk.store import entities as kinds

    store = stack.deps.store
    system = Scope.system()
    agents = store.list_entities(kinds.AGENTS, system, limit=20).items
    portal_logins = []
    for client in store.list_entities(kinds.CLIENTS, system, limit=20).items:
        people = store.list_entities(kinds.END_USERS, system, client.id, limit=1).items
        if people and people[0].emails:
            portal_logins.append((people[0].emails[0], client.name))
    base = f"http://{host}:{port}"
    lines = [
        "",
        "mspdesk is running locally" + (" (state restored from .local/)" if restored else ""),
        f"  Console      {base}/   (portal: {base}/portal/)",
        f"  API          {base}/api   (OpenAPI: {base}/openapi.json, docs: {base}/docs)",
        f"  Portal API   {base}/portal/api",
        f'  Demo logins  {base}/api/dev/accounts ; POST {base}/api/dev/token {{"email": ...}}',
        f"  AWS (moto)   {stack.settings.aws_endpoint_url}",
        f"  Mail in      smtp://{host}:{smtp_port}  (a client's mail becomes a ticket)",
        "  Agents:",
        *[f"    {a.email:<40} {a.role.value:<6} {a.name}" for a in agents],
        "  End-users (portal), one per client:",
        *[f"    {email:<40} {client}" for email, client in portal_logins],
        "Stop with Ctrl-C; state is saved to .local/ and restored next time.",
        "",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
