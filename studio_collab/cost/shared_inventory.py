"""One domain inventory for every space (row C8): one refresh per TTL for the whole domain, whichever space's
server does it, kept in the share store every space already reaches (an S3 bucket or a shared EFS folder).

Each server reads the domain's snapshot; while it is younger than the TTL, that is the inventory (no SageMaker
call at all). When it has aged, the servers that notice race for a lease — an S3 object written only if absent
(``If-None-Match: *``), or a lock file created with ``O_EXCL`` on the shared folder — and the one that wins reads
the snapshot once more (another may just have written it), refreshes from AWS, writes the snapshot and lets the
lease go. The others serve the previous snapshot meanwhile. A lease outlives a crashed holder by
``lease_seconds`` at most. No new service runs anywhere: the store is the coordination point.

Each space filters the shared rows for "mine" itself (the viewer differs per space), and marks its own app.
A server that cannot reach the store falls back to its own inventory and says so (``inventory.shared: false``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import StudioCollabError
from ..studio.executor import QUICK, Executor
from .inventory import KINDS, Inventory
from .rows import KindResult

log = logging.getLogger(__name__)

SNAPSHOT_VERSION = 1
UNREADABLE_LEASE_GRACE_SECONDS = 30.0  # a lease file without its content yet is someone's, for this long
# What pricing adds to a row: each server prices with its own table (an admin's overrides may differ).
_PRICED = ("price", "unit_price", "hourly_price", "price_estimate", "price_basis", "gb_month_price", "run_hourly_price")


@dataclass(frozen=True)
class Lease:
    holder: str
    token: str
    expires_at: float


class InventoryStore(ABC):
    """Where the domain's snapshot and its refresh lease live."""

    location: str

    @abstractmethod
    async def read(self) -> dict | None:
        """The snapshot, or None when there is none yet; StudioCollabError when the store cannot be read."""

    @abstractmethod
    async def write(self, snapshot: dict) -> None: ...

    @abstractmethod
    async def acquire(self, holder: str, seconds: float) -> Lease | None:
        """The lease if this server got it, None when another holds it."""

    @abstractmethod
    async def release(self, lease: Lease) -> None: ...


class FolderInventoryStore(InventoryStore):
    """Files in the shared folder: ``O_EXCL`` creation is atomic on local disks and on EFS (NFSv4)."""

    def __init__(self, folder: Path, name: str, executor: Executor):
        self.executor = executor
        self.folder = folder
        self.snapshot_path = folder / f"{name}.json"
        self.lease_path = folder / f"{name}.lease"
        self.location = str(self.snapshot_path)

    async def read(self) -> dict | None:
        return await self.executor.run(QUICK, self._read)

    def _read(self) -> dict | None:
        try:
            return json.loads(self.snapshot_path.read_bytes())
        except FileNotFoundError:
            if not self.folder.parent.exists():
                raise _unusable(self.location, "its folder does not exist") from None
            return None
        except OSError as err:
            raise _unusable(self.location, err.strerror or str(err)) from None
        except ValueError:
            return None  # torn or foreign: treated as absent, the next refresh replaces it

    async def write(self, snapshot: dict) -> None:
        await self.executor.run(QUICK, self._write, snapshot)

    def _write(self, snapshot: dict) -> None:
        part = self.snapshot_path.with_name(f".{self.snapshot_path.name}.{secrets.token_hex(6)}.part")
        try:
            part.write_bytes(json.dumps(snapshot, separators=(",", ":")).encode("utf-8"))
            os.replace(part, self.snapshot_path)  # readers see the old snapshot or the whole new one
        except OSError as err:
            part.unlink(missing_ok=True)
            raise _unusable(self.location, err.strerror or str(err)) from None

    async def acquire(self, holder: str, seconds: float) -> Lease | None:
        return await self.executor.run(QUICK, self._acquire, holder, seconds)

    def _acquire(self, holder: str, seconds: float) -> Lease | None:
        lease = Lease(holder, secrets.token_hex(8), time.time() + seconds)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for _ in range(2):
                try:
                    fd = os.open(self.lease_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                except FileExistsError:
                    if not self._break_if_expired():
                        return None
                    continue
                with os.fdopen(fd, "w") as file:
                    json.dump({"holder": holder, "token": lease.token, "expires_at": lease.expires_at}, file)
                return lease
        except OSError as err:
            raise _unusable(self.location, err.strerror or str(err)) from None
        return None

    def _break_if_expired(self) -> bool:
        """Remove a lease whose holder died; of several servers doing so at once, one rename wins."""
        try:
            held = json.loads(self.lease_path.read_text())
            if float(held.get("expires_at", 0)) > time.time():
                return False
        except FileNotFoundError:
            return True
        except (ValueError, OSError):
            # Unreadable: being written right now by the server that just created it (the O_EXCL create and the
            # write are two steps), or half-written by one that died: only past its mtime + grace does it go.
            try:
                if time.time() - self.lease_path.stat().st_mtime < UNREADABLE_LEASE_GRACE_SECONDS:
                    return False
            except FileNotFoundError:
                return True
        stale = self.lease_path.with_name(f".{self.lease_path.name}.{secrets.token_hex(6)}.stale")
        try:
            os.rename(self.lease_path, stale)
        except FileNotFoundError:
            return True
        stale.unlink(missing_ok=True)
        return True

    async def release(self, lease: Lease) -> None:
        await self.executor.run(QUICK, self._release, lease)

    def _release(self, lease: Lease) -> None:
        try:
            if json.loads(self.lease_path.read_text()).get("token") == lease.token:
                self.lease_path.unlink(missing_ok=True)
        except (OSError, ValueError):
            pass  # gone or replaced after expiry: not ours to remove


class S3InventoryStore(InventoryStore):
    """Objects in the share bucket; the lease is written only if absent (S3 conditional writes), and an expired
    one is replaced only if unchanged since read (``If-Match`` on its ETag)."""

    def __init__(self, aws, bucket: str, prefix: str, name: str):
        self.aws = aws
        self.bucket = bucket
        base = prefix.strip("/")
        self.snapshot_key = f"{base}/inventory/{name}.json" if base else f"inventory/{name}.json"
        self.lease_key = self.snapshot_key[: -len(".json")] + ".lease"
        self.location = f"s3://{bucket}/{self.snapshot_key}"

    async def read(self) -> dict | None:
        return await self.aws.in_thread(self._read)

    def _read(self) -> dict | None:
        body = self._get(self.snapshot_key)
        if body is None:
            return None
        try:
            return json.loads(body[0])
        except ValueError:
            return None

    def _get(self, key: str) -> tuple[bytes, str] | None:
        from botocore.exceptions import ClientError

        from ..studio.aws import aws_error

        self.aws.actions_called["s3:GetObject"] += 1
        try:
            answer = self.aws.client("s3").get_object(Bucket=self.bucket, Key=key)
            return answer["Body"].read(), answer.get("ETag", "")
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise aws_error(err, "s3", "GetObject") from err
        except Exception as err:  # noqa: BLE001 - unreachable endpoint, credentials: the one error type
            raise aws_error(err, "s3", "GetObject") from err

    def _put(self, key: str, body: bytes, **conditions) -> bool:
        """Write ``key``; False when a condition (If-None-Match / If-Match) did not hold."""
        from botocore.exceptions import ClientError

        from ..studio.aws import aws_error

        self.aws.actions_called["s3:PutObject"] += 1
        try:
            self.aws.client("s3").put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType="application/json", **conditions
            )
            return True
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False
            raise aws_error(err, "s3", "PutObject") from err
        except Exception as err:  # noqa: BLE001
            raise aws_error(err, "s3", "PutObject") from err

    async def write(self, snapshot: dict) -> None:
        body = json.dumps(snapshot, separators=(",", ":")).encode("utf-8")
        await self.aws.in_thread(self._put, self.snapshot_key, body)

    async def acquire(self, holder: str, seconds: float) -> Lease | None:
        return await self.aws.in_thread(self._acquire, holder, seconds)

    def _acquire(self, holder: str, seconds: float) -> Lease | None:
        lease = Lease(holder, secrets.token_hex(8), time.time() + seconds)
        body = json.dumps({"holder": holder, "token": lease.token, "expires_at": lease.expires_at}).encode()
        if self._put(self.lease_key, body, IfNoneMatch="*"):
            return lease
        held = self._get(self.lease_key)
        if held is None:
            return lease if self._put(self.lease_key, body, IfNoneMatch="*") else None
        try:
            expired = float(json.loads(held[0]).get("expires_at", 0)) <= time.time()
        except ValueError:
            expired = True
        if expired and self._put(self.lease_key, body, IfMatch=held[1]):
            return lease
        return None

    async def release(self, lease: Lease) -> None:
        await self.aws.in_thread(self._release, lease)

    def _release(self, lease: Lease) -> None:
        from botocore.exceptions import ClientError

        held = self._get(self.lease_key)
        if held is None:
            return
        try:
            if json.loads(held[0]).get("token") != lease.token:
                return  # expired and taken over: not ours to remove
        except ValueError:
            return
        self.aws.actions_called["s3:DeleteObject"] += 1
        try:
            self.aws.client("s3").delete_object(Bucket=self.bucket, Key=self.lease_key)
        except ClientError:
            pass  # it expires by itself


class SharedInventory:
    """The domain's inventory through the store; ``collect`` is this server's own AWS round."""

    def __init__(
        self,
        store: InventoryStore | None,
        ttl: float,
        holder: str,
        context,
        unusable_reason: str | None = None,
        lease_seconds: float | None = None,
        wait_seconds: float = 15.0,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.ttl = ttl
        self.holder = holder
        self.context = context
        self.unusable_reason = unusable_reason
        # Long enough for a slow round of a large domain; short enough that a crashed holder delays little.
        self.lease_seconds = lease_seconds or max(60.0, 4 * ttl)
        self.wait_seconds = wait_seconds
        self.clock = clock
        self.refreshes = 0  # AWS rounds this server made (read by the tests and the benchmark)

    async def load(self, collect: Callable[[], Awaitable[Inventory]]) -> tuple[Inventory, dict]:
        if self.store is None:
            return await self._own(collect, self.unusable_reason or "No shared store is configured.")
        try:
            snapshot = await self.store.read()
            if self._fresh(snapshot):
                return self._shared(snapshot)
            lease = await self.store.acquire(self.holder, self.lease_seconds)
        except StudioCollabError as err:
            log.warning(
                "studio-collab cost: shared inventory at %s unusable (%s); using this space's own",
                self.store.location,
                err.message,
            )
            return await self._own(
                collect, f"The shared inventory cannot be reached ({err.message}); this space reads AWS itself."
            )
        if lease is not None:
            return await self._refresh(collect, lease)
        if snapshot is not None and self._readable(snapshot):
            return self._shared(snapshot)  # another space refreshes right now; its snapshot lands shortly
        return await self._wait_for_other(collect)

    async def _refresh(self, collect, lease: Lease) -> tuple[Inventory, dict]:
        try:
            snapshot = await self.store.read()
            if self._fresh(snapshot):  # another space refreshed between our read and our lease
                return self._shared(snapshot)
            inventory = await collect()
            self.refreshes += 1
            try:
                await self.store.write(encode(inventory, self.holder, self.context))
            except StudioCollabError as err:
                log.warning("studio-collab cost: could not write the shared inventory: %s", err.message)
                return inventory, self._meta(False, inventory.collected_at, self.holder, err.message)
            return inventory, self._meta(True, inventory.collected_at, self.holder)
        finally:
            try:
                await self.store.release(lease)
            except StudioCollabError as err:
                log.info("studio-collab cost: lease not released (%s); it expires by itself", err.message)

    async def _wait_for_other(self, collect) -> tuple[Inventory, dict]:
        deadline = self.clock() + self.wait_seconds
        while self.clock() < deadline:
            await asyncio.sleep(0.2)
            try:
                snapshot = await self.store.read()
            except StudioCollabError as err:
                return await self._own(collect, f"The shared inventory cannot be reached ({err.message}).")
            if self._readable(snapshot):
                return self._shared(snapshot)
        return await self._own(collect, "The space refreshing the shared inventory did not finish in time.")

    async def _own(self, collect, reason: str) -> tuple[Inventory, dict]:
        inventory = await collect()
        self.refreshes += 1
        return inventory, self._meta(False, inventory.collected_at, self.holder, reason)

    def _readable(self, snapshot) -> bool:
        return (
            isinstance(snapshot, dict)
            and snapshot.get("version") == SNAPSHOT_VERSION
            and snapshot.get("domain_id") == self.context.domain_id
            and isinstance(snapshot.get("results"), dict)
        )

    def _fresh(self, snapshot) -> bool:
        return self._readable(snapshot) and self.clock() - float(snapshot.get("collected_at", 0)) < self.ttl

    def _shared(self, snapshot: dict) -> tuple[Inventory, dict]:
        inventory = decode(snapshot, self.context)
        return inventory, self._meta(True, inventory.collected_at, snapshot.get("refreshed_by"))

    @staticmethod
    def _meta(shared: bool, collected_at: float, refreshed_by: str | None, reason: str | None = None) -> dict:
        return {"shared": shared, "collected_at": collected_at, "refreshed_by": refreshed_by, "reason": reason}


def encode(inventory: Inventory, holder: str, context) -> dict:
    results = {}
    for kind, result in inventory.results.items():
        error = result.error
        results[kind] = {
            "resources": [{k: v for k, v in row.items() if k not in _PRICED} for row in result.resources],
            "error": {"code": error.code, "message": error.message, "status": error.status} if error else None,
            "notes": list(result.notes),
            "stale_since": result.stale_since,
        }
    return {
        "version": SNAPSHOT_VERSION,
        "domain_id": context.domain_id,
        "region": context.region,
        "collected_at": inventory.collected_at,
        "refreshed_by": holder,
        "results": results,
    }


def decode(snapshot: dict, context) -> Inventory:
    """The snapshot as this space's inventory: its own app marked as such (the refresher marked its own)."""
    mine = f"{context.space_name}/{context.app_type}/{context.app_name}"
    results = {}
    for kind in KINDS:
        raw = snapshot["results"].get(kind) or {}
        error = raw.get("error")
        rows = [dict(row) for row in raw.get("resources") or []]
        for row in rows:
            if kind == "app":
                row["this_app"] = bool(context.space_name) and row.get("name") == mine
                if row["this_app"] and context.app_arn:
                    row["arn"] = context.app_arn
        results[kind] = KindResult(
            kind,
            rows,
            StudioCollabError(error["code"], error["message"], error.get("status", 502)) if error else None,
            list(raw.get("notes") or []),
            raw.get("stale_since"),
        )
    return Inventory(float(snapshot["collected_at"]), results)


def _unusable(location: str, why: str) -> StudioCollabError:
    return StudioCollabError(
        "inventory_store_unusable", f"The shared inventory at {location} cannot be used: {why}.", 503
    )
