"""Sending content files through Telegram, uploading each version only once."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path

from telegram import InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest
from telegram.ext import ExtBot

from jfa_bot.store import Store

__all__ = ["send_cached_document", "send_cached_photo"]

log = logging.getLogger(__name__)

# (path, mtime_ns, size) -> sha256, so a large file is hashed once per version.
_DIGESTS: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path) -> str:
    """Return the file's SHA-256, reading the file only when it changed since last time."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    digest = _DIGESTS.get(key)
    if digest is None:
        digest = _DIGESTS[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


async def send_cached_document(
    bot: ExtBot[None], store: Store, chat_id: int, path: Path, caption: str
) -> Message:
    """Send a file by its stored file_id, or upload it once and store the new file_id."""
    digest = await asyncio.to_thread(file_digest, path)
    key = str(path)  # content paths are absolute: the content folder is resolved at load
    file_id = await store.files.get(key, digest)
    if file_id is not None:
        try:
            return await bot.send_document(chat_id, file_id, caption=caption)
        except BadRequest as error:
            # Telegram forgot the file (or it came from another bot): upload it again.
            log.warning("Stored file_id for %s refused (%s); uploading again", path.name, error)
            await store.files.forget(key)
    data = await asyncio.to_thread(path.read_bytes)  # only an upload needs the bytes
    message = await bot.send_document(
        chat_id, InputFile(data, filename=path.name), caption=caption
    )
    if message.document is not None:
        await store.files.put(key, digest, message.document.file_id)
    return message


async def send_cached_photo(
    bot: ExtBot[None],
    store: Store,
    chat_id: int,
    path: Path,
    caption: str | None = None,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> Message:
    """Send an image as a photo by its stored file_id, or upload it once and store it."""
    digest = await asyncio.to_thread(file_digest, path)
    key = f"photo:{path}"  # a photo's file_id is not a document's, even for the same file
    file_id = await store.files.get(key, digest)
    if file_id is not None:
        try:
            return await bot.send_photo(
                chat_id, file_id, caption=caption, reply_markup=reply_markup
            )
        except BadRequest as error:
            log.warning("Stored file_id for %s refused (%s); uploading again", path.name, error)
            await store.files.forget(key)
    data = await asyncio.to_thread(path.read_bytes)
    message = await bot.send_photo(
        chat_id, InputFile(data, filename=path.name), caption=caption, reply_markup=reply_markup
    )
    if message.photo:
        await store.files.put(key, digest, message.photo[-1].file_id)
    return message
