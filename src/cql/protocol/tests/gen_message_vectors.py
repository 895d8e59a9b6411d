#!/usr/bin/env python3
"""Writes request bodies made by the Python cassandra-driver, for sluice's message cross-check.

Usage: gen_message_vectors.py OUT.txt

One line per case: "<name> <opcode hex> <protocol version> <body hex>" (an empty body is "-").
The bodies come from the driver's own message classes (cassandra.protocol: send_body(f,
protocol_version)); cql_protocol_crosscheck_test builds the same messages with sluice's encoders
(the case names are shared, and the test fails on a name either side lacks) and demands the same
bytes. Values are bound as the driver sends them: already serialized (int 7 is 00 00 00 07),
None for null. The driver cannot send now_in_seconds, skip_metadata or a null auth token, so
those are left to the hand-derived vectors of messages_test.cc.
"""

import io
import struct
import sys

from cassandra import ConsistencyLevel as CL
from cassandra.protocol import (AuthResponseMessage, BatchMessage, ExecuteMessage, OptionsMessage,
                                PrepareMessage, QueryMessage, RegisterMessage, StartupMessage)
from cassandra.query import BatchType


def int32(v):
    return struct.pack(">i", v)


def cases():
    # STARTUP: the driver writes its option dict in insertion order; CQL_VERSION first, as sluice does.
    startup = StartupMessage("3.0.0", {"CQL_VERSION": "3.0.0", "COMPRESSION": "lz4", "DRIVER_NAME": "sluice",
                                       "DRIVER_VERSION": "0.1"})
    for v in (4, 5):
        yield f"startup_v{v}", v, startup
        yield f"options_v{v}", v, OptionsMessage()
        yield f"query_v{v}", v, QueryMessage("SELECT * FROM t WHERE k = 1", CL.QUORUM,
                                             serial_consistency_level=CL.LOCAL_SERIAL, fetch_size=100,
                                             paging_state=b"\x00\x01ps", timestamp=42,
                                             keyspace="ks" if v == 5 else None)
        yield f"query_minimal_v{v}", v, QueryMessage("USE ks", CL.ONE)
        yield f"execute_v{v}", v, ExecuteMessage(b"\x01\x02\x03", [int32(7), None, "abc".encode()], CL.LOCAL_QUORUM,
                                                 fetch_size=5000, result_metadata_id=b"\xaa\xbb")
        yield f"execute_paged_v{v}", v, ExecuteMessage(b"\x01\x02\x03", None, CL.LOCAL_ONE, fetch_size=10,
                                                       paging_state=b"state", timestamp=1234567890123456,
                                                       serial_consistency_level=CL.SERIAL,
                                                       result_metadata_id=b"")
        yield f"prepare_v{v}", v, PrepareMessage("INSERT INTO t (k, v) VALUES (?, ?)")
        yield f"batch_v{v}", v, BatchMessage(BatchType.UNLOGGED,
                                             [(False, "INSERT INTO t (k) VALUES (?)", [int32(1)]),
                                              (True, b"\x01\x02", [None, b"x"])],
                                             CL.ONE, serial_consistency_level=CL.SERIAL, timestamp=5,
                                             keyspace="ks" if v == 5 else None)
        yield f"batch_counter_v{v}", v, BatchMessage(BatchType.COUNTER, [(True, b"\x09", [])], CL.LOCAL_QUORUM)
        yield f"register_v{v}", v, RegisterMessage(["TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"])
        yield f"auth_response_v{v}", v, AuthResponseMessage(b"\x00cassandra\x00secret")
    yield "prepare_keyspace_v5", 5, PrepareMessage("SELECT * FROM t", keyspace="ks")


def main():
    with open(sys.argv[1], "w") as out:
        for name, version, message in cases():
            f = io.BytesIO()
            message.send_body(f, version)
            body = f.getvalue().hex() or "-"
            out.write(f"{name} {message.opcode:02x} {version} {body}\n")


if __name__ == "__main__":
    main()
