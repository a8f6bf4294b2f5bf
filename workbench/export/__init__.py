"""Export a validated notebook into an installable package and pipeline steps.

    import workbench as wb
    result = wb.export("train.ipynb", out="dist/train", targets="package,kfp")
    result.files

Like ``workbench.validate``, the module itself is callable, so ``wb.export(...)`` works
whether ``workbench`` defines a function of that name or this package took its place.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.export.exporter import ExportResult

__all__ = ["export"]


def export(*args: Any, **kwargs: Any) -> ExportResult:
    """See :func:`workbench.export.exporter.export`."""
    from workbench.export.exporter import export as _export

    return _export(*args, **kwargs)


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> ExportResult:
        return export(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
