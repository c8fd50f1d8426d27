"""Hatch build hook: compile the translation catalogs into the wheel.

The bot can also compile `.po` files in memory at start-up, so a source checkout works
without this step; an installed wheel simply starts faster with `.mo` files beside them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileCatalogsHook(BuildHookInterface):  # type: ignore[type-arg]
    """Write `messages.mo` for every `locales/<lang>/LC_MESSAGES/messages.po`."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Compile the catalogs into a temporary folder included in the wheel."""
        if self.target_name != "wheel" or version == "editable":
            return
        self._tmp = tempfile.TemporaryDirectory(prefix="jfa-mo-")
        out = Path(self._tmp.name)
        for po_path in sorted(Path(self.root, "locales").glob("*/LC_MESSAGES/messages.po")):
            locale = po_path.parent.parent.name
            with po_path.open("rb") as fp:
                catalog = read_po(fp, locale=locale)
            mo_path = out / locale / "messages.mo"
            mo_path.parent.mkdir(parents=True)
            with mo_path.open("wb") as fp:
                write_mo(fp, catalog, use_fuzzy=False)
            target = f"jfa_bot/locales/{locale}/LC_MESSAGES/messages.mo"
            build_data["force_include"][str(mo_path)] = target

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the temporary folder."""
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            tmp.cleanup()
