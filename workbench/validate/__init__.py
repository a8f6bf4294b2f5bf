"""The validation gate: a notebook runs top to bottom in a fresh kernel and is checked.

    import workbench as wb
    report = wb.validate("train.ipynb", require=["accuracy>=0.9"])
    report.passed, report.checks

The module itself is callable (``workbench.validate(...)``), so ``wb.validate`` works
whether ``workbench`` exposes a function of that name or this package was imported and
took its place as the attribute.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.validate.report import ValidationReport

__all__ = ["validate"]


def validate(*args: Any, **kwargs: Any) -> ValidationReport:
    """See :func:`workbench.validate.gate.validate`."""
    from workbench.validate.gate import validate as _validate

    return _validate(*args, **kwargs)


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> ValidationReport:
        return validate(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
