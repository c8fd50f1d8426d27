"""The CallbackContext every handler receives: store, settings and the user's translator."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from jfa_bot.i18n import Translator, resolve_locale
from jfa_bot.settings import Settings
from jfa_bot.store import Store

__all__ = ["BotContext", "translator_for_user"]

STORE_KEY = "store"
SETTINGS_KEY = "settings"


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Context with typed access to the store, the settings and a per-update translator."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self._translator: Translator | None = None

    @property
    def store(self) -> Store:
        """Return the store opened at start-up."""
        store: Store = self.bot_data[STORE_KEY]
        return store

    @property
    def settings(self) -> Settings:
        """Return the settings."""
        settings: Settings = self.bot_data[SETTINGS_KEY]
        return settings

    @property
    def t(self) -> Translator:
        """Return the translator for the user of this update (the default until known)."""
        if self._translator is None:
            self._translator = Translator.for_locale(self.settings.default_locale)
        return self._translator

    @property
    def has_locale(self) -> bool:
        """Tell whether the user's language was resolved for this update."""
        return self._translator is not None

    def use_locale(self, stored: str | None, telegram_code: str | None) -> Translator:
        """Resolve the user's locale and make its translator this context's `t`."""
        locale = resolve_locale(
            stored,
            telegram_code,
            default=self.settings.default_locale,
            enabled=self.settings.locales,
        )
        self._translator = Translator.for_locale(locale)
        return self._translator


async def translator_for_user(
    store: Store, settings: Settings, user_id: int | None, *, app_language: str | None = None
) -> Translator:
    """Return the translator for a user outside any update (jobs, broadcasts, reports).

    `app_language` (their Telegram app's, when known) is used before the recorded one: a
    person not yet recorded still gets their own language.
    """
    user = await store.users.get(user_id) if user_id is not None else None
    locale = resolve_locale(
        user.locale if user else None,
        app_language or (user.telegram_language if user else None),
        default=settings.default_locale,
        enabled=settings.locales,
    )
    return Translator.for_locale(locale)
