"""JFA Bot: the Telegram bot of the Justice For All campaign."""

__version__ = "0.1.0"
