"""Reading Bot API call parameters the way Telegram does (query, form, multipart, JSON)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from jfa_bot.sandbox.state import bad_request

Params = dict[str, Any]
Upload = tuple[str, bytes, str | None]

RAW_FIELDS = frozenset(
    {
        "text",
        "caption",
        "description",
        "short_description",
        "callback_query_id",
        "inline_query_id",
        "file_id",
        "document",
        "photo",
        "url",
        "secret_token",
        "parse_mode",
        "language_code",
        "next_offset",
        "action",
        "business_connection_id",
        "name",
        "ip_address",
    }
)


def coerce(key: str, value: str) -> Any:
    """Decode a JSON-encoded parameter value, keeping text fields as raw strings."""
    if key in RAW_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def read_params(request: web.Request) -> tuple[Params, dict[str, Upload]]:
    """Return the call's parameters and uploaded files (name, bytes, content type)."""
    params: Params = {key: coerce(key, value) for key, value in request.query.items()}
    files: dict[str, Upload] = {}
    if request.method != "POST" or not request.body_exists:
        return params, files
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON object") from None
        if isinstance(body, dict):
            params.update(body)
        return params, files
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            files[key] = (value.filename or key, value.file.read(), value.content_type)
        elif isinstance(value, bytes | bytearray):
            params[key] = coerce(key, bytes(value).decode("utf-8"))
        else:
            params[key] = coerce(key, str(value))
    return params, files
