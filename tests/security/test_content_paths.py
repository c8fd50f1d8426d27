"""The Action Pack file must be inside the content folder: no server file is ever sent.

`content check` reports a path that leaves the folder (absolute, `..`, a symbolic link);
the bot refuses such content at start and at /reload, so /actionpack never uploads it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from jfa_bot.app import JfaApplication
from jfa_bot.cli import main
from jfa_bot.content import SAMPLE_DIR, Content, ContentError
from jfa_bot.sandbox import BotApiServer
from tests.conftest import ADMIN_ID, BotRunner

SECRET = b"JFA_BOT_TOKEN=123:do-not-send\n"


def _content_with_pack_file(tmp_path: Path, how: str) -> Path:
    """Copy the sample content and point the English Action Pack outside it."""
    folder = tmp_path / "content"
    shutil.copytree(SAMPLE_DIR, folder)
    secret = tmp_path / "secret.env"
    secret.write_bytes(SECRET)
    if how == "absolute":
        target = str(secret)
    elif how == "dotdot":
        target = "../../secret.env"
    else:  # a symbolic link inside the folder that leads out of it
        (folder / "en" / "pack.pdf").symlink_to(secret)
        target = "pack.pdf"
    resources = folder / "en" / "resources.toml"
    text = resources.read_text(encoding="utf-8")
    text = re.sub(r'^file = "[^"]*"', f'file = "{target}"', text, count=1, flags=re.M)
    resources.write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink"])
def test_content_check_reports_an_action_pack_outside_the_content_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    folder = _content_with_pack_file(tmp_path, how)
    assert main(["content", "check", "--dir", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "is outside the content folder" in out and "en/resources.toml" in out
    with pytest.raises(ContentError, match="outside the content folder"):
        Content.load(folder)


async def test_reload_refuses_content_that_would_send_a_server_file(
    sandbox: BotApiServer, run_bot: BotRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "content"
    shutil.copytree(SAMPLE_DIR, folder)
    async with run_bot(content_dir=folder) as app:
        app_: JfaApplication = app
        shutil.rmtree(folder)
        _content_with_pack_file(tmp_path, "dotdot")
        admin = sandbox.user(ADMIN_ID, language_code="en")
        [refused] = await admin.ask("/reload")
        assert "outside the content folder" in refused.plain
        user = sandbox.user(6101, language_code="en")
        await user.ask("/actionpack", n=1)
        await user.quiet()
        assert all(SECRET not in f.data for f in sandbox.uploads)
        assert app_.bot_data["content"].directory == folder.resolve()
