"""The library's errors, told to a person in an integration's own words.

The library raises small, specific errors (a refused grant, an unreachable lock);
an action or an entity raises Home Assistant's: ``ServiceValidationError`` when
the person can fix what they asked for, ``HomeAssistantError`` when the device
or the network failed. Each integration lists its :class:`Refusal` rules once;
:meth:`ErrorWords.translated` applies them around a call.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError


@dataclass(frozen=True, slots=True)
class Refusal:
    """One kind of library error and the translation that tells a person about it.

    ``key`` may contain ``{reason}``: the error's own reason code (a credential
    error's, a lock's), from ``reasons`` where given, else ``fallback``. The
    message's placeholders are those the caller gives and, from the error, those
    named in ``details``: ``reason`` (its code) and ``detail`` (its text).
    """

    error: type[Exception] | tuple[type[Exception], ...]
    key: str
    details: tuple[str, ...] = ()
    validation: bool = False
    reasons: frozenset[str] | None = None
    fallback: str = "refused"

    def translation_key(self, err: Exception) -> str:
        """The key for ``err`` (a reason that repeats the key's prefix is not doubled)."""
        reason = _reason(err).removeprefix(self.key.partition("{reason}")[0])
        if self.reasons is not None and reason not in self.reasons:
            reason = self.fallback
        return self.key.format(reason=reason)


class ErrorWords:
    """How one integration tells a person about the library's errors."""

    def __init__(self, domain: str, *refusals: Refusal) -> None:
        """The rules, tried in order (put a subclass before its base)."""
        self.domain = domain
        self.refusals = refusals

    def told(self, err: Exception, **placeholders: str) -> Exception:
        """Home Assistant's error for ``err``, or ``err`` itself when no rule covers it."""
        refusal = next((r for r in self.refusals if isinstance(err, r.error)), None)
        if refusal is None:
            return err
        kind = ServiceValidationError if refusal.validation else HomeAssistantError
        details = {"reason": _reason(err), "detail": str(err)}
        return kind(
            translation_domain=self.domain,
            translation_key=refusal.translation_key(err),
            translation_placeholders={
                **{name: details[name] for name in refusal.details},
                **placeholders,
            },
        )

    @contextmanager
    def translated(self, **placeholders: str) -> Iterator[None]:
        """Raise the library's errors inside as Home Assistant's, with these placeholders."""
        try:
            yield
        except Exception as err:
            told = self.told(err, **placeholders)
            if told is err:
                raise
            raise told from err


def _reason(err: Exception) -> str:
    reason = getattr(err, "reason", None)
    return reason if isinstance(reason, str) else type(err).__name__
