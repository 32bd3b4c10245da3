"""The shared inventory's lease on a shared folder: a lease file whose content is not written yet belongs to the
server that just created it (O_EXCL create, then write), so another server must not break it and refresh too."""

from __future__ import annotations

import os
import time

from studio_collab.cost.shared_inventory import UNREADABLE_LEASE_GRACE_SECONDS, FolderInventoryStore
from studio_collab.studio.executor import Executor


def test_a_lease_being_written_is_not_broken(tmp_path):
    store = FolderInventoryStore(tmp_path / "inventory", "d-1@us-east-1", Executor())
    store.folder.mkdir()
    store.lease_path.write_bytes(b"")  # created by another server, its JSON not written yet
    assert store._acquire("space-b", 60) is None
    assert store.lease_path.exists()


def test_an_unreadable_lease_past_its_grace_is_broken(tmp_path):
    store = FolderInventoryStore(tmp_path / "inventory", "d-1@us-east-1", Executor())
    store.folder.mkdir()
    store.lease_path.write_bytes(b"{half")
    old = time.time() - UNREADABLE_LEASE_GRACE_SECONDS - 5
    os.utime(store.lease_path, (old, old))
    lease = store._acquire("space-b", 60)
    assert lease is not None and lease.holder == "space-b"
    assert '"space-b"' in store.lease_path.read_text()
