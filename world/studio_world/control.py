"""Client of the emulator's control endpoints (``/_emulator/...``), for the seeder, fixtures and tests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request


class EmulatorControl:
    def __init__(self, url: str, timeout: float = 30.0):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _send(self, method: str, path: str, payload: dict | None = None) -> dict:
        data = json.dumps(payload, default=_iso).encode() if payload is not None else None
        request = urllib.request.Request(
            f"{self.url}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as err:
            detail = err.read().decode("utf-8", "replace")
            raise RuntimeError(f"emulator {method} {path} answered {err.code}: {detail}") from None

    def health(self) -> bool:
        try:
            return bool(self._send("GET", "/_emulator/health").get("ok"))
        except (OSError, RuntimeError):
            return False

    def reset(self) -> None:
        self._send("POST", "/_emulator/reset")

    def fault(self, operation: str, fault: str = "throttle", latency_ms: int = 0, count: int | None = None) -> dict:
        """Inject ``fault`` (throttle | access_denied | error500 | latency) into ``operation`` ("sagemaker:ListApps",
        "sagemaker:*" or "*"), for ``count`` calls or until cleared."""
        return self._send(
            "POST",
            "/_emulator/faults",
            {"operation": operation, "fault": fault, "latency_ms": latency_ms, "count": count},
        )["fault"]

    def clear_faults(self) -> None:
        self._send("DELETE", "/_emulator/faults")

    def calls(self) -> dict[str, int]:
        return self._send("GET", "/_emulator/calls")["calls"]

    def journal(self) -> list[dict]:
        """Every call since the last clear, in order: ``{"operation": "sagemaker:ListApps", "params": {...}}``
        (params for JSON-protocol services; None for the others)."""
        return self._send("GET", "/_emulator/calls/journal")["journal"]

    def clear_calls(self) -> None:
        self._send("DELETE", "/_emulator/calls")

    def rate_limits(self, enabled: bool | None = None, rates: list[dict] | None = None) -> dict:
        """Turn AWS's per-account, per-operation rate limits on or off; ``rates`` ``[{operation, rate, burst}]``
        take precedence over the defaults (docs/aws-rates.md). The answer counts throttled calls per operation."""
        payload: dict = {}
        if enabled is not None:
            payload["enabled"] = enabled
        if rates is not None:
            payload["rates"] = rates
        return self._send("POST", "/_emulator/rate_limits", payload)

    def settings(self, transition_seconds: float | None = None) -> dict:
        payload = {} if transition_seconds is None else {"transition_seconds": transition_seconds}
        return self._send("POST", "/_emulator/settings", payload)

    def latency(self, profile: str | dict | None = None) -> dict:
        """Set AWS's per-call latency (``zero``, ``aws`` or ``{pattern: ms}``; docs/aws-latency.md), or with no
        argument read it. A reset puts the emulator back to the profile it was started with."""
        if profile is None:
            return self._send("GET", "/_emulator/latency")
        return self._send("POST", "/_emulator/latency", {"profile": profile})

    def override(self, kind: str, ident: dict, fields: dict, region: str = "us-east-1") -> None:
        """Set what the AWS API cannot (an app's CreationTime, a training job's status, a tracking server's URL)."""
        self._send("POST", "/_emulator/overrides", {"kind": kind, "region": region, "id": ident, "set": fields})

    def add_cost_line_items(self, items: list[dict]) -> int:
        """Add daily line items to Cost Explorer's ledger (``cost_explorer.py``); answers how many it holds."""
        return self._send("POST", "/_emulator/cost/line-items", {"items": items})["line_items"]


def _iso(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
