"""The learned match model an audit keeps for the next (see :mod:`sfbridge.matching.kept_model`).

Not a cache like the normalisers' tables beside it (:mod:`sfbridge.store.derived`): the
duplicates a later audit finds are scored with it. One small JSON document under a meta key,
written by one upsert; the matching reads it back and checks it. A store that refuses to keep
it is logged, not an audit's failure: the audit scores with the model it has, and the next
learns anew.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
import structlog
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from sfbridge.store.base import StoreBase, guard, upsert
from sfbridge.store.tables import meta

__all__ = ["KeptMatchModel"]

log = structlog.get_logger()

_KEY = "match_model"


class KeptMatchModel(StoreBase):
    """The match model kept under the settings it was learned with."""

    def load_match_model(self, settings: str) -> object:
        """The match model kept under these settings (unchecked: the matching reads it), or None."""
        with guard("read the kept match model"), self.engine.connect() as conn:
            text = conn.execute(select(meta.c.value).where(meta.c.key == _KEY)).scalar()
        if text is None:
            return None
        try:
            kept = orjson.loads(text)
        except orjson.JSONDecodeError:
            log.warning("match_model_unreadable", store=self.url)
            return None
        return kept.get("form") if isinstance(kept, dict) and kept.get("settings") == settings else None

    def save_match_model(self, settings: str, form: Mapping[str, Any]) -> None:
        """Keep a learned match model under its settings, in place of the one kept before."""
        text = orjson.dumps({"settings": settings, "form": form}).decode()
        try:
            with self.engine.begin() as conn:
                # An upsert: two audits keeping their models at once never collide on the key.
                kept = upsert(conn, meta, {"key": _KEY, "value": text})
                conn.execute(kept.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": text}))
        except SQLAlchemyError as exc:
            log.warning("match_model_not_kept", store=self.url, error=str(exc).splitlines()[0])
