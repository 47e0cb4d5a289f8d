"""Security headers on every response."""
from __future__ import annotations

from flask import Flask


# Our own pages carry no inline styles. dmn-js (the decision-table editor) adds the bpmn.io logo with
# two fixed style attributes whose code its licence forbids changing: exactly those two are allowed
# by hash (position the logo; align its image), nothing else inline.
DMN_LOGO_STYLE_HASHES = ("'sha256-r3vOsuepBDg6tz/cOusiNJ9Y4Lp9hGQTT7pzDks1Xxc='",
                         "'sha256-CA/eh4+2R0J7cEQ14gBMtx834RIOjzMUqCM+evtrkp4='")
STYLE_SRC = "style-src 'self' 'unsafe-hashes' " + " ".join(DMN_LOGO_STYLE_HASHES)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; " + STYLE_SRC + "; script-src 'self'; frame-ancestors 'none'",
        )
        return resp
