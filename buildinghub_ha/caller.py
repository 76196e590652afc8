"""Who asked: the user an entity method acts for (SPEC S7).

Home Assistant reaches an entity's methods two ways. An action (``calendar.create_event``)
sets the call's Context on the entity right before it awaits the method, in the same task.
A websocket command (``calendar/event/create``, ``calendar/event/delete``) calls the method
directly, without a Context, from the task of the connection that sent it. The entity's own
``_context`` is therefore no answer: it is whatever the last action on that entity left there,
perhaps another user's read. This mixin remembers an action's Context for the task it runs in
only, and otherwise asks the websocket connection the task belongs to.
"""

from __future__ import annotations

from contextvars import ContextVar

from homeassistant.components.websocket_api.connection import current_connection
from homeassistant.core import Context
from homeassistant.helpers.entity import Entity

_ACTION_CONTEXT: ContextVar[Context | None] = ContextVar("buildinghub_action_context", default=None)


class CallerAware(Entity):
    """An entity that knows which Home Assistant user the running call is for."""

    def async_set_context(self, context: Context) -> None:
        """Remember an action's Context for the task it runs in (and as Home Assistant does)."""
        super().async_set_context(context)
        _ACTION_CONTEXT.set(context)

    def calling_user(self) -> str | None:
        """The user of the action running in this task, else of the websocket connection
        whose command this task runs; None for an automation or a script without a user."""
        context = _ACTION_CONTEXT.get()
        if context is not None:
            return context.user_id
        connection = current_connection.get()
        return None if connection is None else connection.user.id
