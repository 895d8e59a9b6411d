"""Conventions for Python tests: where the servers are, unique names, CI-aware requirement."""
import os
import random
import re

import pytest


def cassandra_contact():
    host, _, port = os.environ.get("SLUICE_TEST_CASSANDRA", "127.0.0.1:9042").rpartition(":")
    return host, int(port)


def kafka_bootstrap():
    return os.environ.get("SLUICE_TEST_KAFKA", "127.0.0.1:9092")


def unique_name(prefix):
    name = f"{prefix}_{os.getpid()}_{random.getrandbits(24):06x}".lower()
    return re.sub(r"[^a-z0-9_]", "_", name)[-48:]


def require(reachable, what, reason):
    """Fail in CI, skip elsewhere, when a server is missing."""
    if reachable:
        return
    if os.environ.get("CI") in ("true", "1"):
        pytest.fail(f"{what} is not reachable and CI=true: {reason}")
    pytest.skip(f"{what} is not reachable (run `sluice local up`): {reason}")


def cassandra_session():
    from cassandra.cluster import Cluster
    host, port = cassandra_contact()
    try:
        cluster = Cluster([host], port=port, connect_timeout=10)
        return cluster, cluster.connect()
    except Exception as exc:  # noqa: BLE001 - the reason is reported, not hidden
        require(False, "Cassandra", repr(exc))
        raise
