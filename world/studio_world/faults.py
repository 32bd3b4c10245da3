"""Per-operation fault injection and call counting for the emulator (tests read and steer both over HTTP)."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass

from .awsproto import AwsError

# fault kind → the error AWS would answer with (code, message, HTTP status)
FAULTS = {
    "throttle": ("ThrottlingException", "Rate exceeded", 400),
    "access_denied": (
        "AccessDeniedException",
        "User: arn:aws:sts::123456789012:assumed-role/SageMakerExecution/SageMaker is not authorized "
        "to perform: {operation} because no identity-based policy allows the {operation} action",
        400,
    ),
    "error500": ("InternalFailure", "The request processing has failed because of an unknown error.", 500),
    "latency": None,
}


@dataclass
class FaultRule:
    operation: str  # "sagemaker:ListApps", "sagemaker:*" or "*"
    fault: str
    latency_ms: int = 0
    remaining: int | None = None  # None: every matching call

    def matches(self, operation: str) -> bool:
        if self.operation in ("*", operation):
            return True
        return self.operation.endswith(":*") and operation.startswith(self.operation[:-1])

    def to_json(self) -> dict:
        return {
            "operation": self.operation,
            "fault": self.fault,
            "latency_ms": self.latency_ms,
            "count": self.remaining,
        }


_JOURNAL_LENGTH = 100_000


class FaultBoard:
    def __init__(self):
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self.calls: Counter[str] = Counter()
        # every call in order, with its parameters when the protocol is JSON: what a benchmark replays
        self._journal: deque[dict] = deque(maxlen=_JOURNAL_LENGTH)

    def add(self, operation: str, fault: str, latency_ms: int = 0, count: int | None = None) -> FaultRule:
        if fault not in FAULTS:
            raise ValueError(f"fault must be one of {', '.join(FAULTS)}, not {fault!r}")
        if not operation or (operation != "*" and ":" not in operation):
            raise ValueError("operation must look like 'sagemaker:ListApps', 'sagemaker:*' or '*'")
        if count is not None and count < 1:
            raise ValueError("count must be at least 1 (or absent for every call)")
        rule = FaultRule(operation, fault, int(latency_ms or 0), count)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[dict]:
        with self._lock:
            return [r.to_json() for r in self._rules]

    def clear_calls(self) -> None:
        with self._lock:
            self.calls.clear()
            self._journal.clear()

    def journal(self) -> list[dict]:
        with self._lock:
            return list(self._journal)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self.calls)

    def on_call(self, operation: str, params: dict | None = None) -> None:
        """Count the call, then apply the first matching fault: sleep, and/or raise the AWS error."""
        with self._lock:
            self.calls[operation] += 1
            self._journal.append({"operation": operation, "params": params})
            rule = next((r for r in self._rules if r.matches(operation)), None)
            if rule is not None and rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._rules.remove(rule)
        if rule is None:
            return
        if rule.latency_ms:
            time.sleep(rule.latency_ms / 1000)
        error = FAULTS[rule.fault]
        if error is not None:
            code, message, status = error
            raise AwsError(code, message.format(operation=operation), status)
