"""Ids from what a user types: the full id or a unique prefix of it, for every face.

The CLI, the widgets and export all name runs and sweeps the same way; this is the one
resolver they share.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from workbench.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from workbench.store.store import Store

PREFIX_MIN = 4


def resolve_prefix(
    text: str,
    kind: str,
    find: Callable[..., list[str]],
    listing: str,
) -> str:
    """An id from its full text or a unique prefix of it, by one light look-up (``find``:
    the ids equal to the text first, then those starting with it; ids only)."""
    text = text.strip()
    matches = find(text, limit=6)
    if matches and matches[0] == text:
        return text
    if len(text) < PREFIX_MIN:
        raise InvalidInput(
            f"{kind} id {text!r} is too short: give at least {PREFIX_MIN} characters of it"
        )
    if not matches:
        raise NotFound(f"no {kind} id starts with {text!r}: list them with `{listing}`")
    if len(matches) > 1:
        shown = ", ".join(m[:12] for m in matches[:5])
        raise InvalidInput(
            f"several {kind}s start with {text!r} ({shown}...): give more characters"
        )
    return matches[0]


def resolve_run_id(store: Store, text: str) -> str:
    """The run id ``text`` names: the full id, or a unique prefix of ``PREFIX_MIN``+ chars."""
    return resolve_prefix(text, "run", store.find_run_ids, "workbench runs")


def resolve_sweep_id(store: Store, text: str) -> str:
    return resolve_prefix(text, "sweep", store.find_sweep_ids, "workbench sweeps")


def resolve_target(store: Store, text: str) -> tuple[str, str]:
    """("sweep", id) or ("run", id) for a full id or a unique prefix of either."""
    try:
        return "sweep", resolve_sweep_id(store, text)
    except NotFound:
        pass
    try:
        return "run", resolve_run_id(store, text)
    except NotFound:
        raise NotFound(
            f"no sweep or run id starts with {text!r}: list them with "
            "`workbench sweeps` and `workbench runs`"
        ) from None
