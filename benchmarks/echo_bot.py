"""The baseline: a bare PTB echo bot (PTB's defaults: httpx, one update at a time).

JFA_BOT_TOKEN=... JFA_API_BASE_URL=... python -m benchmarks.echo_bot
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def _echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None and update.effective_message.text:
        await update.effective_message.reply_text(update.effective_message.text)


def main() -> None:
    """Echo every text message until SIGTERM."""
    app = (
        Application.builder()
        .token(os.environ["JFA_BOT_TOKEN"])
        .base_url(os.environ["JFA_API_BASE_URL"])
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    app.run_polling(poll_interval=0.0, timeout=2)


if __name__ == "__main__":
    main()
