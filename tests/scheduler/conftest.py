"""Scheduler fixtures: the tiny timer models deployed, a real HTTP endpoint standing in for the credit
platform, a real SMTP server (aiosmtpd), and a Case row to hang timers and outbox rows on."""
from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from app import clock
from app.db import db, unit_of_work
from app.models import Case, Org
from app.policy import Actor
from app.services.deployment import deploy_dirs

MODELS = Path(__file__).parent / "models"
T0 = datetime.fromisoformat("2026-03-02T09:00:00+08:00")  # a Monday; timers are due an hour after start


@pytest.fixture
def sched(app, demo):
    """App context with the scheduler test models deployed (definitions survive across tests)."""
    with app.app_context():
        with unit_of_work(db.session):
            deploy_dirs(db.session, Actor.system("tests"), clock.now(), MODELS, MODELS)
        yield app
        db.session.remove()


@dataclass
class CreditPlatform:
    url: str
    received: list = field(default_factory=list)  # (headers dict, json body)
    status: int = 200


@pytest.fixture
def credit_platform(settings, monkeypatch):
    """A real HTTP server on 127.0.0.1 (port 0) recording POSTs; `status` sets its answer."""
    platform = CreditPlatform(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server API
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            platform.received.append((dict(self.headers), json.loads(body)))
            self.send_response(platform.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    platform.url = f"http://127.0.0.1:{server.server_address[1]}/api/credit-events"
    monkeypatch.setattr(settings, "credit_platform_url", platform.url)
    monkeypatch.setattr(settings, "credit_platform_token", "platform-token-123")
    yield platform
    server.shutdown()
    server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings, monkeypatch):
    """A real SMTP server (aiosmtpd) on 127.0.0.1; returns the list of received envelopes."""
    from aiosmtpd.controller import Controller

    class Collect:
        def __init__(self):
            self.envelopes = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
            self.envelopes.append(envelope)
            return "250 OK"

    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", controller.port)
    yield handler.envelopes
    controller.stop()


@pytest.fixture
def make_case(sched):
    """A bare open case (no lifecycle instance) to attach a scheduler test instance to."""
    def make(case_no: str = "BB-2026-900001") -> Case:
        org = db.session.execute(select(Org).order_by(Org.id)).scalars().first()
        case = Case(case_no=case_no, query_code_hash="x" * 64, channel="offline", dedupe_key=case_no,
                    complainant_kind="enterprise", complainant_name="某公司", contact_name="张三",
                    contact_phone="13800000000", respondent_org_id=org.id, accepting_org_id=org.id,
                    region_code=org.region_code, contract_title="合同", scope_area="other", facts="事实",
                    submission={}, received_at=clock.now())
        db.session.add(case)
        db.session.flush()
        return case
    return make
