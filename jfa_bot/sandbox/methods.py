"""Bot API method handlers of the stand-in, bound to a BotApiServer."""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING, Any

from jfa_bot.sandbox.state import ApiError, CallbackAnswer, WebhookConfig, bad_request

if TYPE_CHECKING:
    from jfa_bot.sandbox.server import BotApiServer, Handler, Params, Upload

_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
# What Telegram takes as a photo: JPEG, PNG, GIF, BMP (and WebP, RIFF....WEBP).
_IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"BM")


def _is_image(data: bytes) -> bool:
    return data.startswith(_IMAGE_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _json_list(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request("can't parse JSON array") from None
    return value


def method_table(server: BotApiServer) -> dict[str, Handler]:
    """Return the Bot API methods the stand-in implements, keyed by method name."""
    store = server.store

    async def get_me(params: Params, files: dict[str, Upload]) -> Any:
        return {
            **server.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(params: Params, files: dict[str, Upload]) -> Any:
        if server.webhook is not None:
            raise ApiError(409, _CONFLICT)
        offset = _int(params.get("offset"), 0)
        limit = min(max(_int(params.get("limit"), 100), 1), 100)
        timeout = max(float(_int(params.get("timeout"), 0)), 0.0)
        server.set_allowed_updates(params.get("allowed_updates"))
        queue = server.pending_updates
        if offset > 0:
            queue[:] = [u for u in queue if u["update_id"] >= offset]
            await server.confirm_through(offset - 1)
        elif offset < 0:
            queue[:] = queue[offset:]

        def ready() -> bool:
            queue[:] = [u for u in queue if server.allowed(u)]
            return bool(queue) or server.stopping or server.webhook is not None

        if timeout > 0:
            await server.wait_until(ready, timeout)
        else:
            ready()
        batch = list(queue[:limit])
        server.note_delivered(batch)
        return batch

    async def set_webhook(params: Params, files: dict[str, Upload]) -> Any:
        url = str(params.get("url") or "")
        if not url:
            return await delete_webhook(params, files)
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.fullmatch(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        server.webhook = WebhookConfig(
            url, str(secret) if secret else None, _int(params.get("max_connections"), 40)
        )
        server.set_allowed_updates(params.get("allowed_updates"))
        if params.get("drop_pending_updates") is True:
            server.pending_updates.clear()
        server.requeue_for_webhook()
        return True

    async def delete_webhook(params: Params, files: dict[str, Upload]) -> Any:
        server.webhook = None
        if params.get("drop_pending_updates") is True:
            server.pending_updates.clear()
        return True

    async def get_webhook_info(params: Params, files: dict[str, Upload]) -> Any:
        hook = server.webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": (
                server.pending_webhook_count() if hook else len(server.pending_updates)
            ),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if server.webhook_errors:
                info["last_error_message"] = server.webhook_errors[-1]
        return info

    async def send_message(params: Params, files: dict[str, Upload]) -> Any:
        return store.send_message(params)

    def check_upload(upload: Upload | None) -> None:
        """Refuse uploads the way Telegram does: empty files, and files over the limit."""
        if upload is None:
            return
        if not upload[1]:
            raise ApiError(400, "Bad Request: file must be non-empty")
        if len(upload[1]) > server.faults.max_upload_bytes:
            raise ApiError(413, "Request Entity Too Large")

    async def send_document(params: Params, files: dict[str, Upload]) -> Any:
        upload = server.file_upload("document", params, files)
        check_upload(upload)
        return store.send_file(server.kind_for("sendDocument"), params, upload)

    async def send_photo(params: Params, files: dict[str, Upload]) -> Any:
        upload = server.file_upload("photo", params, files)
        check_upload(upload)
        if upload is not None and not _is_image(upload[1]):
            raise bad_request("IMAGE_PROCESS_FAILED")  # Telegram's answer to a non-image
        return store.send_file(server.kind_for("sendPhoto"), params, upload)

    async def edit_message_text(params: Params, files: dict[str, Upload]) -> Any:
        return store.edit_text(params)

    async def edit_message_reply_markup(params: Params, files: dict[str, Upload]) -> Any:
        return store.edit_markup(params)

    async def delete_message(params: Params, files: dict[str, Upload]) -> Any:
        return store.delete(params)

    async def get_file(params: Params, files: dict[str, Upload]) -> Any:
        return store.get_file(params)

    async def answer_callback_query(params: Params, files: dict[str, Upload]) -> Any:
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        answer = CallbackAnswer(
            text=str(text) if text else None,
            show_alert=params.get("show_alert") is True,
            url=str(params["url"]) if params.get("url") else None,
        )
        server.answer_callback(str(params.get("callback_query_id") or ""), answer)
        return True

    async def answer_inline_query(params: Params, files: dict[str, Upload]) -> Any:
        results = _json_list(params.get("results"))
        if not isinstance(results, list) or len(results) > 50:
            raise bad_request("RESULTS_TOO_MUCH")
        ids = [str(r.get("id")) for r in results if isinstance(r, dict)]
        if len(ids) != len(results) or len(set(ids)) != len(ids):
            raise bad_request("RESULT_ID_DUPLICATE")
        server.answer_inline(str(params.get("inline_query_id") or ""), results)
        return True

    async def set_my_commands(params: Params, files: dict[str, Upload]) -> Any:
        return store.set_commands(params)

    async def get_my_commands(params: Params, files: dict[str, Upload]) -> Any:
        return store.get_commands(params)

    async def delete_my_commands(params: Params, files: dict[str, Upload]) -> Any:
        return store.delete_commands(params)

    async def set_my_description(params: Params, files: dict[str, Upload]) -> Any:
        return store.set_description(params, short=False)

    async def get_my_description(params: Params, files: dict[str, Upload]) -> Any:
        code = params.get("language_code")
        return {"description": store.description(code, short=False)}

    async def set_my_short_description(params: Params, files: dict[str, Upload]) -> Any:
        return store.set_description(params, short=True)

    async def get_my_short_description(params: Params, files: dict[str, Upload]) -> Any:
        code = params.get("language_code")
        return {"short_description": store.description(code, short=True)}

    async def send_chat_action(params: Params, files: dict[str, Upload]) -> Any:
        store.chat(params.get("chat_id"))
        return True

    async def harmless(params: Params, files: dict[str, Upload]) -> Any:
        await asyncio.sleep(0)
        return True

    async def get_chat_menu_button(params: Params, files: dict[str, Upload]) -> Any:
        return {"type": "commands"}

    async def get_my_name(params: Params, files: dict[str, Upload]) -> Any:
        return {"name": server.bot_user["first_name"]}

    return {
        "getMe": get_me,
        "getUpdates": get_updates,
        "setWebhook": set_webhook,
        "deleteWebhook": delete_webhook,
        "getWebhookInfo": get_webhook_info,
        "sendMessage": send_message,
        "sendDocument": send_document,
        "sendPhoto": send_photo,
        "editMessageText": edit_message_text,
        "editMessageReplyMarkup": edit_message_reply_markup,
        "deleteMessage": delete_message,
        "getFile": get_file,
        "answerCallbackQuery": answer_callback_query,
        "answerInlineQuery": answer_inline_query,
        "setMyCommands": set_my_commands,
        "getMyCommands": get_my_commands,
        "deleteMyCommands": delete_my_commands,
        "setMyDescription": set_my_description,
        "getMyDescription": get_my_description,
        "setMyShortDescription": set_my_short_description,
        "getMyShortDescription": get_my_short_description,
        "sendChatAction": send_chat_action,
        "setChatMenuButton": harmless,
        "setMyName": harmless,
        "setMyDefaultAdministratorRights": harmless,
        "getChatMenuButton": get_chat_menu_button,
        "getMyName": get_my_name,
    }
