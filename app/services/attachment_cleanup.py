"""Files in the attachment store that no attachment row refers to: uploads whose transaction rolled
back after the file was written, and files kept for a form's error page that were never submitted.
They are removed once their last use is older than GRACE, which is longer than a kept-file token
lives (web.uploads.TOKEN_MAX_AGE, 24 h), so a page left open can still submit its files.

A concurrent upload of the same content is safe: `attachments.write_blob` touches an existing file
(or writes it anew if it has just gone), and a file is removed by renaming it aside first and
deleting it only if it was not touched meanwhile."""
from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Attachment

GRACE = timedelta(hours=48)
TEMP_PREFIXES = (".upload-", ".trash-")  # a write or a removal interrupted by a crash
_CHECK_CHUNK = 500


def remove_unreferenced(session: Session, storage_dir: Path | str, now: datetime, grace: timedelta = GRACE) -> int:
    """Remove unreferenced files not used for `grace`, and stale temporary files. Returns how many."""
    root = Path(storage_dir)
    if not root.is_dir():
        return 0
    cutoff = (now - grace).timestamp()
    removed = 0
    candidates: dict[str, Path] = {}
    for path in root.glob("??/??/*"):
        try:
            if path.stat().st_mtime > cutoff:
                continue
        except OSError:
            continue
        if path.name.startswith(TEMP_PREFIXES):
            path.unlink(missing_ok=True)
            removed += 1
        elif len(path.name) == 64:
            candidates[path.name] = path
    shas = sorted(candidates)
    referenced: set[str] = set()
    for start in range(0, len(shas), _CHECK_CHUNK):
        chunk = shas[start:start + _CHECK_CHUNK]
        referenced.update(session.execute(select(Attachment.sha256).where(Attachment.sha256.in_(chunk))).scalars())
    for sha in shas:
        if sha not in referenced and _remove_unless_touched(candidates[sha], cutoff):
            removed += 1
    return removed


def _remove_unless_touched(path: Path, cutoff: float) -> bool:
    aside = path.with_name(".trash-" + path.name)
    try:
        os.replace(path, aside)
    except FileNotFoundError:
        return False
    if aside.stat().st_mtime > cutoff:  # an upload of this content used it just now: put it back
        if path.exists():
            aside.unlink(missing_ok=True)
        else:
            os.replace(aside, path)
        return False
    aside.unlink(missing_ok=True)
    return True
