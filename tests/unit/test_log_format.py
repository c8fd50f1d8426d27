"""JFA_LOG_FORMAT=json: one JSON object a line, with the same redaction as text."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from jfa_bot.logs import setup_logging

TOKEN = "123456:TEST-token-for-the-json-logs"


@pytest.fixture
def restore_root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    ptb_level = logging.getLogger("telegram").level
    yield
    logging.getLogger("telegram").setLevel(ptb_level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_a_log_collector_gets_one_redacted_json_object_per_line(
    capsys: pytest.CaptureFixture[str], restore_root_logging: None
) -> None:
    setup_logging("INFO", secrets=[TOKEN], log_format="json")
    log = logging.getLogger("jfa_bot.test")
    log.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
    try:
        raise RuntimeError(f"rejected {TOKEN}\nsecond line")
    except RuntimeError:
        log.exception("Start-up failed for «%s»", "مرحبا")
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "INFO" and first["logger"] == "jfa_bot.test"
    assert first["message"] == "calling https://api.telegram.org/bot<redacted>/getMe"
    assert first["time"].endswith("+00:00")
    assert second["level"] == "ERROR" and second["message"] == "Start-up failed for «مرحبا»"
    assert "RuntimeError: rejected <redacted>" in second["exception"]
    assert TOKEN not in "\n".join(lines)


def test_text_stays_the_default(
    capsys: pytest.CaptureFixture[str], restore_root_logging: None
) -> None:
    setup_logging("INFO", secrets=[TOKEN])
    logging.getLogger("jfa_bot.test").warning("token %s", TOKEN)
    err = capsys.readouterr().err
    assert "WARNING jfa_bot.test: token <redacted>" in err
    assert not err.startswith("{")


def test_ptb_info_stays_out_of_a_warning_level_log(
    capsys: pytest.CaptureFixture[str], restore_root_logging: None
) -> None:
    # `jfa-bot try` logs at WARNING: "Application started" must not interrupt the chat.
    setup_logging("WARNING")
    logging.getLogger("telegram.ext.Application").info("Application started")
    logging.getLogger("telegram.ext.Application").warning("A real problem")
    err = capsys.readouterr().err
    assert "Application started" not in err and "A real problem" in err
    setup_logging("DEBUG")
    logging.getLogger("telegram.ext.Application").debug("the whole update")  # never shown
    logging.getLogger("telegram.ext.Application").info("Application started")
    err = capsys.readouterr().err
    assert "the whole update" not in err and "Application started" in err
