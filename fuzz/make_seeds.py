"""Writes the seed corpora in fuzz/corpus/ from hand-built, spec-valid protocol messages.
Run once when a decoder grows; the fuzzers mutate from these. cql_result and cql_error seeds start
with a byte choosing the protocol version (0x04 or 0x05, the targets test its low bit)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def s(text):  # [string]
    b = text.encode()
    return struct.pack(">H", len(b)) + b


def cell(b):  # [bytes]
    return struct.pack(">i", -1) if b is None else struct.pack(">i", len(b)) + b


def frame(opcode, body, stream=0):
    return struct.pack(">BBhBI", 0x84, 0, stream, opcode, len(body)) + body


rows = (struct.pack(">i", 2) + struct.pack(">ii", 0x0001 | 0x0002, 3) + cell(b"\x00\x01page") + s("ks") + s("t")
        + s("id") + struct.pack(">H", 0x0009) + s("tags") + struct.pack(">HH", 0x0022, 0x000D)
        + s("m") + struct.pack(">HHH", 0x0021, 0x000D, 0x0002)
        + struct.pack(">i", 2)
        + cell(struct.pack(">i", 7)) + cell(struct.pack(">i", 1) + cell(b"x")) + cell(None)
        + cell(struct.pack(">i", 8)) + cell(None) + cell(struct.pack(">i", 0)))
prepared = (struct.pack(">i", 4) + s("\x01\x02\x03\x04") + struct.pack(">iii", 0x0001, 2, 1) + struct.pack(">H", 0)
            + s("ks") + s("t") + s("k") + struct.pack(">H", 0x000D) + s("v") + struct.pack(">H", 0x0002)
            + struct.pack(">ii", 0x0004, 0))
schema = struct.pack(">i", 5) + s("CREATED") + s("TABLE") + s("ks") + s("t")
void = struct.pack(">i", 1)
set_ks = struct.pack(">i", 3) + s("ks")
errors = [
    struct.pack(">i", 0x1000) + s("unavailable") + struct.pack(">Hii", 4, 2, 1),
    struct.pack(">i", 0x1100) + s("write timeout") + struct.pack(">Hii", 6, 1, 2) + s("BATCH_LOG"),
    struct.pack(">i", 0x1200) + s("read timeout") + struct.pack(">HiiB", 6, 1, 2, 1),
    struct.pack(">i", 0x1300) + s("read failure") + struct.pack(">HiiiB", 6, 1, 2, 1, 0),
    struct.pack(">i", 0x1500) + s("write failure") + struct.pack(">Hiii", 6, 1, 2, 1) + s("SIMPLE"),
    struct.pack(">i", 0x2400) + s("exists") + s("ks") + s("t"),
    struct.pack(">i", 0x2500) + s("unprepared") + s("\x01\x02"),
    struct.pack(">i", 0x1400) + s("function") + s("ks") + s("fn"),
    struct.pack(">i", 0x2000) + s("syntax"),
]
# v5 bodies: prepared and rows results with metadata ids, failures with reason maps, CAS contentions.
prepared_v5 = (struct.pack(">i", 4) + s("\x01\x02\x03\x04") + s("\xaa\xbb") + struct.pack(">iii", 0x0001, 1, 1)
               + struct.pack(">H", 0) + s("ks") + s("t") + s("k") + struct.pack(">H", 0x000D)
               + struct.pack(">ii", 0x0004, 0))
rows_v5 = (struct.pack(">i", 2) + struct.pack(">ii", 0x0001 | 0x0008, 1) + s("\x0a\x0b") + s("ks") + s("t")
           + s("id") + struct.pack(">H", 0x0009) + struct.pack(">i", 1) + cell(struct.pack(">i", 7)))
schema_fn = struct.pack(">i", 5) + s("CREATED") + s("FUNCTION") + s("ks") + s("f") + struct.pack(">H", 2) + s("int") + s("text")
reasons = struct.pack(">i", 2) + b"\x04\x7f\x00\x00\x02" + struct.pack(">H", 1) + b"\x10" + bytes(15) + b"\x01" \
    + struct.pack(">H", 0)
errors_v5 = [
    struct.pack(">i", 0x1300) + s("read failure") + struct.pack(">Hii", 6, 1, 2) + reasons + b"\x00",
    struct.pack(">i", 0x1500) + s("write failure") + struct.pack(">Hii", 6, 1, 2) + reasons + s("SIMPLE"),
    struct.pack(">i", 0x1100) + s("cas timeout") + struct.pack(">Hii", 9, 0, 1) + s("CAS") + struct.pack(">H", 3),
    struct.pack(">i", 0x1700) + s("cas unknown") + struct.pack(">Hii", 9, 0, 1),
    struct.pack(">i", 0x1400) + s("function") + s("ks") + s("fn") + struct.pack(">H", 1) + s("int"),
]
events = [
    s("STATUS_CHANGE") + s("UP") + b"\x04\x7f\x00\x00\x02" + struct.pack(">i", 9042),
    s("TOPOLOGY_CHANGE") + s("NEW_NODE") + b"\x10" + bytes(15) + b"\x01" + struct.pack(">i", 9042),
    s("SCHEMA_CHANGE") + s("CREATED") + s("AGGREGATE") + s("ks") + s("agg") + struct.pack(">H", 1) + s("int"),
]
authenticate = s("org.apache.cassandra.auth.PasswordAuthenticator")
supported = struct.pack(">H", 2) + s("CQL_VERSION") + struct.pack(">H", 1) + s("3.4.7") + s("COMPRESSION") \
    + struct.pack(">H", 2) + s("lz4") + s("snappy")
types = [
    struct.pack(">H", 0x0009),
    struct.pack(">HHH", 0x0021, 0x000D, 0x0002),
    struct.pack(">HH", 0x0020, 0x0022) + struct.pack(">H", 0x000C),
    struct.pack(">H", 0x0031) + struct.pack(">HHH", 2, 0x0009, 0x000D),
    struct.pack(">H", 0x0030) + s("ks") + s("addr") + struct.pack(">H", 2) + s("street") + struct.pack(">H", 0x000D)
    + s("zip") + struct.pack(">H", 0x0009),
    struct.pack(">H", 0x0000) + s("org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType, 3)"),
]
corpora = {
    "cql_result": [b"\x04" + b for b in (rows, prepared, schema, void, set_ks, schema_fn)]
    + [b"\x05" + b for b in (rows_v5, prepared_v5, schema_fn)],
    "cql_error": [b"\x04" + e for e in errors] + [b"\x05" + e for e in errors_v5],
    "cql_data_type": types,
    "cql_frame": [frame(0x08, b) for b in (rows, prepared, schema, void)] + [frame(0x00, e) for e in errors[:3]]
    + [frame(0x06, supported), frame(0x02, b"")] + [frame(0x0C, e, -1) for e in events]
    + [frame(0x03, authenticate), frame(0x0E, cell(b"challenge")), frame(0x10, cell(None))],
}
for name, seeds in corpora.items():
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for i, seed in enumerate(seeds):
        with open(os.path.join(d, f"seed-{i:02d}"), "wb") as f:
            f.write(seed)
    print(name, len(seeds), "seeds")
