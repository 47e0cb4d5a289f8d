"""Every setting in one place, read from LVYUE_* environment variables and validated at start."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    pass


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass
class Settings:
    database_url: str = ""
    secret_key: str = ""
    instance_path: str = ""
    attachments_path: str = ""         # uploaded files, by sha256; default <instance>/attachments
    bpmn_dir: str = str(ROOT / "bpmn")
    forms_dir: str = str(ROOT / "forms")
    default_locale: str = "zh"
    timezone: str = "Asia/Shanghai"
    max_upload_bytes: int = 2_000_000
    script_time_limit: float = 2.0
    supervision_after_workdays: int = 3
    extension_max_workdays: int = 10   # 延期: at most this many working days, once per task
    credit_platform_url: str = ""      # the public credit platform's intake endpoint (outbox deliveries)
    credit_platform_token: str = ""
    smtp_host: str = ""                # e-mail copies of notifications; empty = in-app only
    smtp_port: int = 25
    smtp_sender: str = "lvyue@localhost"
    scheduler_tick_seconds: float = 5.0
    max_attempts: int = 5              # a timer or outbox row failing this often needs attention
    testing: bool = False

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        instance_path = _env("LVYUE_INSTANCE_PATH", str(ROOT / "instance"))
        s = cls(
            database_url=_env("LVYUE_DATABASE_URL", ""),
            secret_key=_env("LVYUE_SECRET_KEY", ""),
            instance_path=instance_path,
            attachments_path=_env("LVYUE_ATTACHMENTS_PATH", ""),
            bpmn_dir=_env("LVYUE_BPMN_DIR", str(ROOT / "bpmn")),
            forms_dir=_env("LVYUE_FORMS_DIR", str(ROOT / "forms")),
            default_locale=_env("LVYUE_DEFAULT_LOCALE", "zh"),
            max_upload_bytes=int(_env("LVYUE_MAX_UPLOAD_BYTES", "2000000")),
            script_time_limit=float(_env("LVYUE_SCRIPT_TIME_LIMIT", "2.0")),
            supervision_after_workdays=int(_env("LVYUE_SUPERVISION_AFTER_WORKDAYS", "3")),
            extension_max_workdays=int(_env("LVYUE_EXTENSION_MAX_WORKDAYS", "10")),
            credit_platform_url=_env("LVYUE_CREDIT_PLATFORM_URL", ""),
            credit_platform_token=_env("LVYUE_CREDIT_PLATFORM_TOKEN", ""),
            smtp_host=_env("LVYUE_SMTP_HOST", ""),
            smtp_port=int(_env("LVYUE_SMTP_PORT", "25")),
            smtp_sender=_env("LVYUE_SMTP_SENDER", "lvyue@localhost"),
            scheduler_tick_seconds=float(_env("LVYUE_SCHEDULER_TICK_SECONDS", "5")),
            max_attempts=int(_env("LVYUE_MAX_ATTEMPTS", "5")),
        )
        names = {f.name for f in fields(cls)}
        for key, value in overrides.items():
            if key not in names:
                raise SettingsError(f"unknown setting {key!r}")
            setattr(s, key, value)
        s.finish()
        return s

    def finish(self) -> None:
        """Fill derived defaults and validate."""
        if not self.instance_path:
            self.instance_path = str(ROOT / "instance")
        if not self.database_url:
            self.database_url = "sqlite:///" + str(Path(self.instance_path) / "lvyue.db")
        if not self.attachments_path:
            self.attachments_path = str(Path(self.instance_path) / "attachments")
        if self.database_url.startswith("postgresql://"):
            self.database_url = "postgresql+psycopg://" + self.database_url[len("postgresql://"):]
        if not self.database_url.startswith(("sqlite", "postgresql+psycopg")):
            raise SettingsError("LVYUE_DATABASE_URL must be a sqlite:/// or postgresql:// URL")
        if not self.secret_key:
            self.secret_key = _instance_secret(Path(self.instance_path))
        if self.default_locale not in ("zh", "en"):
            raise SettingsError("LVYUE_DEFAULT_LOCALE must be zh or en")
        if self.max_upload_bytes <= 0 or self.script_time_limit <= 0 or self.extension_max_workdays <= 0:
            raise SettingsError("limits must be positive")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _instance_secret(instance: Path) -> str:
    """A per-installation secret kept in the instance folder (never in the repository)."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
