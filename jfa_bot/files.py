"""Sending content files through Telegram, uploading each version only once."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path

from telegram import InputFile, Message
from telegram.error import BadRequest
from telegram.ext import ExtBot

from jfa_bot.store import Store

__all__ = ["send_cached_document"]

log = logging.getLogger(__name__)

# (path, mtime_ns, size) -> sha256, so a large file is hashed once per version.
_DIGESTS: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path) -> tuple[bytes, str]:
    """Return the file's bytes and SHA-256, re-hashing only when the file changed."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    data = path.read_bytes()
    digest = _DIGESTS.get(key)
    if digest is None:
        digest = _DIGESTS[key] = hashlib.sha256(data).hexdigest()
    return data, digest


async def send_cached_document(
    bot: ExtBot[None], store: Store, chat_id: int, path: Path, caption: str
) -> Message:
    """Send a file by its stored file_id, or upload it once and store the new file_id."""
    data, digest = await asyncio.to_thread(file_digest, path)
    key = str(path)  # content paths are absolute: the content folder is resolved at load
    file_id = await store.files.get(key, digest)
    if file_id is not None:
        try:
            return await bot.send_document(chat_id, file_id, caption=caption)
        except BadRequest as error:
            # Telegram forgot the file (or it came from another bot): upload it again.
            log.warning("Stored file_id for %s refused (%s); uploading again", path.name, error)
            await store.files.forget(key)
    message = await bot.send_document(
        chat_id, InputFile(data, filename=path.name), caption=caption
    )
    if message.document is not None:
        await store.files.put(key, digest, message.document.file_id)
    return message
