from pathlib import Path

import pytest

from app.engine import ScriptEnvironment, build_package

MODELS = Path(__file__).parent / "models"


def model_bytes(name: str) -> bytes:
    return (MODELS / name).read_bytes()


def package_of(*names: str, dmn: tuple[str, ...] = ()):
    return build_package({n: model_bytes(n) for n in names}, {n: model_bytes(n) for n in dmn} or None)


@pytest.fixture
def env():
    return ScriptEnvironment({"double": lambda x: 2 * x}, time_limit=0.5)
