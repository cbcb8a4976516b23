"""Test doubles for the ports in emergency.adapters."""

from __future__ import annotations

from emergency.adapters.channels import DeliveryError, OutgoingMessage, Receipt


class RecordingChannel:
    """A channel that records every message and answers from a script of outcomes (the last one repeats)."""

    def __init__(self, *outcomes: Receipt | DeliveryError) -> None:
        self.sent: list[OutgoingMessage] = []
        self._outcomes = list(outcomes) or [Receipt(True, "recorded")]

    def send(self, message: OutgoingMessage) -> Receipt:
        """Record *message*; return the next scripted receipt or raise the next scripted error."""
        self.sent.append(message)
        outcome = self._outcomes.pop(0) if len(self._outcomes) > 1 else self._outcomes[0]
        if isinstance(outcome, DeliveryError):
            raise outcome
        return outcome
