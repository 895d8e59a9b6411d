#!/usr/bin/env python3
"""Writes CQL cell encodings made by the Python cassandra-driver, for sluice's cross-check.

Usage: gen_vectors.py OUT.json

Every case names a CQL type (as system_schema spells it), a value in the JSON notation below,
the type's Cassandra marshal class, and the hex of the bytes the driver's serializer
(cassandra.cqltypes, protocol v4) makes of the value. cql_types_crosscheck_test reads the file
and checks that sluice encodes each value to exactly those bytes and decodes them back to the
value. The driver is the independent party: types are built from the marshal class with
lookup_casstype (UDTs, whose hex names the driver's class parser cannot read, with
UserType.make_udt_class), and values are serialized by its own serializers.

JSON notation of values, by type:
  null                      -> null (tuple components and UDT fields only)
  ascii, text               -> string
  boolean                   -> true / false
  tinyint..bigint, counter  -> number
  varint                    -> decimal string ("-129")
  decimal                   -> string as Python's str(Decimal) spells it ("1E+3", "-0.5")
  float, double             -> number, or "NaN", "Infinity", "-Infinity"
  blob                      -> hex string
  timestamp                 -> milliseconds since the epoch
  date                      -> days since the epoch (signed)
  time                      -> nanoseconds since midnight
  uuid, timeuuid            -> canonical string
  inet                      -> address string
  duration                  -> [months, days, nanoseconds]
  list, set, vector, tuple  -> array; udt -> array of field values in order
  map                       -> array of [key, value] pairs
"""

import json
import math
import re
import struct
import sys
import uuid
from decimal import Decimal

import cassandra
from cassandra import cqltypes, util

PROTOCOL_VERSION = 4
KEYSPACE = "ks"
PREFIX = "org.apache.cassandra.db.marshal."

NATIVE = {
    "ascii": "AsciiType", "bigint": "LongType", "blob": "BytesType", "boolean": "BooleanType",
    "counter": "CounterColumnType", "decimal": "DecimalType", "double": "DoubleType",
    "float": "FloatType", "int": "Int32Type", "timestamp": "TimestampType", "uuid": "UUIDType",
    "text": "UTF8Type", "varchar": "UTF8Type", "varint": "IntegerType", "timeuuid": "TimeUUIDType",
    "inet": "InetAddressType", "date": "SimpleDateType", "time": "TimeType", "smallint": "ShortType",
    "tinyint": "ByteType", "duration": "DurationType",
}

# User-defined types of keyspace "ks": name -> [(field, CQL type)].
UDTS = {
    "address": [("street", "text"), ("zip", "int"), ("tags", "frozen<set<text>>")],
    "point": [("x", "double"), ("y", "double")],
    "person": [("name", "text"), ("home", "frozen<address>"), ("places", "frozen<list<frozen<point>>>"),
               ("scores", "frozen<map<text, varint>>")],
    "Geo Spot": [("Lat", "float"), ("lng", "float"), ("when", "timestamp")],
}


# ---- a small CQL type parser: "frozen<map<text, int>>" -> ("frozen", ("map", ...)) -------------

TOKEN = re.compile(r'\s*(?:([A-Za-z_][A-Za-z0-9_]*)|("(?:[^"]|"")*")|(\d+)|([<>,.]))')


def tokenize(text):
    pos, out = 0, []
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            if text[pos:].strip() == "":
                break
            raise ValueError("bad type %r at %d" % (text, pos))
        word, quoted, number, punct = m.groups()
        if word is not None:
            out.append(("word", word.lower()))
        elif quoted is not None:
            out.append(("word", quoted[1:-1].replace('""', '"')))
        elif number is not None:
            out.append(("number", int(number)))
        else:
            out.append(("punct", punct))
        pos = m.end()
    return out


def parse_type(text):
    tokens = tokenize(text)
    pos = 0

    def expect(p):
        nonlocal pos
        assert tokens[pos] == ("punct", p), (text, pos, p)
        pos += 1

    def one():
        nonlocal pos
        kind, word = tokens[pos]
        pos += 1
        if pos < len(tokens) and tokens[pos] == ("punct", "<"):
            pos += 1
            args = [one()]
            while tokens[pos] == ("punct", ","):
                pos += 1
                args.append(tokens[pos][1] if tokens[pos][0] == "number" else None)
                if args[-1] is None:
                    args[-1] = one()
                else:
                    pos += 1
            expect(">")
            if word == "tuple":
                return ("tuple", args)
            return (word,) + tuple(args)
        if word in NATIVE:
            return ("native", word)
        return ("udt", word)

    t = one()
    assert pos == len(tokens), text
    return t


def hexname(s):
    return s.encode("utf-8").hex()


def marshal(t):
    """The marshal class sluice's DataType::to_marshal_class must print for the parsed type."""
    kind = t[0]
    if kind == "native":
        return PREFIX + NATIVE[t[1]]
    if kind == "frozen":
        inner = t[1]
        if inner[0] == "tuple":  # tuples are always frozen and print bare
            return marshal(inner)
        return PREFIX + "FrozenType(" + marshal(inner) + ")"
    if kind == "list":
        return PREFIX + "ListType(" + marshal(t[1]) + ")"
    if kind == "set":
        return PREFIX + "SetType(" + marshal(t[1]) + ")"
    if kind == "map":
        return PREFIX + "MapType(" + marshal(t[1]) + "," + marshal(t[2]) + ")"
    if kind == "tuple":
        return PREFIX + "TupleType(" + ",".join(marshal(a) for a in t[1]) + ")"
    if kind == "vector":
        return PREFIX + "VectorType(" + marshal(t[1]) + "," + str(t[2]) + ")"
    if kind == "udt":
        fields = ",".join(hexname(f) + ":" + marshal(parse_type(ft)) for f, ft in UDTS[t[1]])
        return PREFIX + "UserType(" + KEYSPACE + "," + hexname(t[1]) + "," + fields + ")"
    raise ValueError(t)


def mentions_udt(t):
    if t[0] == "udt":
        return True
    if t[0] == "native":
        return False
    return any(isinstance(a, tuple) and mentions_udt(a) for a in t[1:]) or (
        t[0] == "tuple" and any(mentions_udt(a) for a in t[1]))


def driver_type(t):
    """The driver's type class; from the marshal class unless a UDT is involved."""
    if not mentions_udt(t):
        return cqltypes.lookup_casstype(marshal(t))
    kind = t[0]
    if kind == "native":
        return cqltypes.lookup_casstype(marshal(t))
    if kind == "frozen":
        return cqltypes.FrozenType.apply_parameters([driver_type(t[1])])
    if kind == "list":
        return cqltypes.ListType.apply_parameters([driver_type(t[1])])
    if kind == "set":
        return cqltypes.SetType.apply_parameters([driver_type(t[1])])
    if kind == "map":
        return cqltypes.MapType.apply_parameters([driver_type(t[1]), driver_type(t[2])])
    if kind == "tuple":
        return cqltypes.TupleType.apply_parameters([driver_type(a) for a in t[1]])
    if kind == "vector":
        return cqltypes.VectorType.apply_parameters([driver_type(t[1]), t[2]], None)
    if kind == "udt":
        fields = UDTS[t[1]]
        return cqltypes.UserType.make_udt_class(KEYSPACE, t[1], tuple(f for f, _ in fields),
                                                tuple(driver_type(parse_type(ft)) for _, ft in fields))
    raise ValueError(t)


# ---- JSON notation -> driver values ---------------------------------------------------------

class Pairs(list):
    """A map value for the driver that keeps order and allows unhashable keys."""

    def items(self):
        return list(self)


def f32(x):
    return struct.unpack(">f", struct.pack(">f", x))[0]


def to_float(j):
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(j, j) if isinstance(j, str) else float(j)


def to_driver(t, j):
    if j is None:
        return None
    kind = t[0]
    if kind == "frozen":
        return to_driver(t[1], j)
    if kind == "native":
        name = t[1]
        if name in ("varint",):
            return int(j)
        if name == "decimal":
            return Decimal(j)
        if name in ("float", "double"):
            return to_float(j)
        if name == "blob":
            return bytes.fromhex(j)
        if name == "date":
            return util.Date(j)
        if name == "time":
            return util.Time(j)
        if name in ("uuid", "timeuuid"):
            return uuid.UUID(j)
        if name == "duration":
            return util.Duration(*j)
        return j
    if kind in ("list", "set", "vector"):
        return [to_driver(t[1], x) for x in j]
    if kind == "map":
        return Pairs((to_driver(t[1], k), to_driver(t[2], v)) for k, v in j)
    if kind == "tuple":
        return tuple(to_driver(a, x) for a, x in zip(t[1], j))
    if kind == "udt":
        return tuple(to_driver(parse_type(ft), x) for (_, ft), x in zip(UDTS[t[1]], j))
    raise ValueError(t)


def normalize(t, j):
    """Makes the JSON value exact: floats rounded to float32, decimals in str(Decimal) form."""
    if j is None:
        return None
    kind = t[0]
    if kind == "frozen":
        return normalize(t[1], j)
    if kind == "native":
        if t[1] == "float" and not isinstance(j, str):
            return f32(float(j))
        if t[1] == "double" and not isinstance(j, str):
            return float(j)
        if t[1] == "decimal":
            return str(Decimal(j))
        return j
    if kind in ("list", "set", "vector"):
        return [normalize(t[1], x) for x in j]
    if kind == "map":
        return [[normalize(t[1], k), normalize(t[2], v)] for k, v in j]
    if kind == "tuple":
        return [normalize(a, x) for a, x in zip(t[1], j)]
    if kind == "udt":
        return [normalize(parse_type(ft), x) for (_, ft), x in zip(UDTS[t[1]], j)]
    raise ValueError(t)


# ---- the cases -------------------------------------------------------------------------------

I32_MIN, I32_MAX = -2**31, 2**31 - 1
I64_MIN, I64_MAX = -2**63, 2**63 - 1
U1 = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
U2 = "00000000-0000-0000-0000-000000000000"
U3 = "ffffffff-ffff-4fff-bfff-ffffffffffff"
T1 = "e7e3b6a0-6e8a-11ee-b962-0242ac120002"  # version 1
T2 = "13814000-1dd2-11b2-8080-808080808080"  # version 1

CASES = [
    # ascii / text
    ("ascii", ""), ("ascii", "plain ASCII ~!@#$%^&*()"), ("ascii", "\u007f\u0001"),
    ("text", ""), ("text", "hello"), ("text", "grüße"), ("text", "日本語テキスト"),
    ("text", "emoji \U0001F600 and \u2603"), ("text", "quote ' \" \\ newline\n tab\t"),
    ("text", "nul\u0000inside"), ("varchar", "varchar is text"),
    # boolean
    ("boolean", True), ("boolean", False),
    # integers
    ("tinyint", -128), ("tinyint", 0), ("tinyint", 127),
    ("smallint", -32768), ("smallint", 0), ("smallint", 32767),
    ("int", I32_MIN), ("int", -1), ("int", 0), ("int", I32_MAX),
    ("bigint", I64_MIN), ("bigint", -1), ("bigint", 1 << 40), ("bigint", I64_MAX),
    ("counter", 0), ("counter", -5), ("counter", 1 << 62),
    # varint
    ("varint", "0"), ("varint", "1"), ("varint", "127"), ("varint", "128"), ("varint", "129"),
    ("varint", "-1"), ("varint", "-128"), ("varint", "-129"), ("varint", "255"), ("varint", "-256"),
    ("varint", str(I64_MAX)), ("varint", str(I64_MIN)), ("varint", str(2**64)), ("varint", str(-(2**64))),
    ("varint", str(10**40)), ("varint", str(-(10**40) + 1)), ("varint", str(2**127)),
    # decimal
    ("decimal", "0"), ("decimal", "1.0"), ("decimal", "1.00"), ("decimal", "-1.5"),
    ("decimal", "123456789.987654321"), ("decimal", "1E+3"), ("decimal", "1E-10"), ("decimal", "-0.000001"),
    ("decimal", "0.0000001"), ("decimal", "3.14159265358979323846264338327950288"),
    ("decimal", "-9999999999999999999999.99"), ("decimal", "0E-10"), ("decimal", "5E+20"),
    ("decimal", "-1.2345E-20"),
    # float / double
    ("float", 0.0), ("float", -0.0), ("float", 1.5), ("float", -3.25), ("float", 3.4028234663852886e38),
    ("float", 1.401298464324817e-45), ("float", 0.1), ("float", "NaN"), ("float", "Infinity"),
    ("float", "-Infinity"),
    ("double", 0.0), ("double", -0.0), ("double", 2.5), ("double", 1.7976931348623157e308),
    ("double", 5e-324), ("double", 0.1), ("double", -1e-300), ("double", "NaN"), ("double", "Infinity"),
    ("double", "-Infinity"),
    # blob
    ("blob", ""), ("blob", "00"), ("blob", "deadbeef"), ("blob", "00ff" * 150),
    # time-ish
    ("timestamp", 0), ("timestamp", 1700000000123), ("timestamp", -1), ("timestamp", I64_MIN),
    ("timestamp", I64_MAX),
    ("date", 0), ("date", 19000), ("date", -1), ("date", I32_MIN), ("date", I32_MAX),
    ("time", 0), ("time", 1), ("time", 43200000000000), ("time", 86399999999999),
    # uuids
    ("uuid", U1), ("uuid", U2), ("uuid", U3), ("uuid", T1), ("timeuuid", T1), ("timeuuid", T2),
    # inet
    ("inet", "127.0.0.1"), ("inet", "0.0.0.0"), ("inet", "255.255.255.255"), ("inet", "::1"),
    ("inet", "::"), ("inet", "2001:db8::ff00:42:8329"), ("inet", "fe80::1:2:3:4"),
    # duration
    ("duration", [0, 0, 0]), ("duration", [1, 2, 3]), ("duration", [-1, -2, -3]), ("duration", [0, 0, 1]),
    ("duration", [12, 0, 3600000000000]), ("duration", [0, 0, -63]), ("duration", [0, 0, 64]),
    ("duration", [I32_MAX, I32_MAX, I64_MAX]), ("duration", [I32_MIN, I32_MIN, I64_MIN]),
    # lists
    ("list<int>", []), ("list<int>", [1, 2, 3]), ("list<int>", [I32_MIN, I32_MAX]),
    ("list<text>", ["a", "", "ü"]), ("list<blob>", ["", "01", "ffee"]), ("list<varint>", ["0", "-129", str(2**70)]),
    ("list<decimal>", ["1.5", "-2E+5"]), ("list<duration>", [[1, 2, 3], [0, 0, 0]]),
    ("list<inet>", ["10.0.0.1", "::2"]), ("list<date>", [0, -5]), ("list<time>", [0, 86399999999999]),
    ("list<smallint>", [-1, 2]), ("list<tinyint>", [5]), ("list<boolean>", [True, False, True]),
    ("list<double>", [0.5, "NaN"]), ("list<float>", [1.25, "-Infinity"]), ("list<timestamp>", [0, -1000]),
    ("list<timeuuid>", [T1, T2]), ("list<ascii>", ["x", "y"]), ("list<bigint>", [I64_MIN, 0]),
    ("list<frozen<set<bigint>>>", [[1, 2], [], [I64_MAX]]),
    ("list<frozen<tuple<int, text>>>", [[1, "a"], [None, None], [2, None]]),
    ("list<frozen<list<frozen<list<int>>>>>", [[[1], []], []]),
    # sets
    ("set<text>", []), ("set<text>", ["x", "y", "z"]), ("set<uuid>", [U1, U2]), ("set<int>", [3, 1, 2]),
    ("set<frozen<tuple<int, int>>>", [[1, 2], [3, 4]]), ("set<frozen<map<text, int>>>", [[["a", 1]], []]),
    # maps
    ("map<text, int>", []), ("map<text, int>", [["a", 1], ["b", -2]]),
    ("map<int, frozen<list<text>>>", [[1, ["a", "b"]], [2, []]]),
    ("frozen<map<text, frozen<list<int>>>>", [["k", [1, 2]], ["e", []]]),
    ("map<frozen<list<int>>, text>", [[[1, 2], "one-two"], [[], "empty"]]),
    ("map<frozen<set<int>>, int>", [[[1], 1]]), ("map<uuid, decimal>", [[U1, "0.001"]]),
    ("map<timestamp, frozen<map<text, boolean>>>", [[5, [["t", True]]]]),
    ("map<text, frozen<address>>", [["home", ["Main St", 12345, ["a", "b"]]], ["none", [None, None, None]]]),
    ("map<inet, duration>", [["1.2.3.4", [1, 0, 0]]]),
    # tuples
    ("tuple<int, text>", [1, "a"]), ("tuple<int, text>", [None, None]),
    ("frozen<tuple<int, text, double>>", [None, "x", None]),
    ("tuple<frozen<list<int>>, frozen<map<text, int>>>", [[1, 2], [["a", 1]]]),
    ("tuple<int, frozen<tuple<text, bigint>>>", [7, ["in", I64_MIN]]),
    ("tuple<varint, decimal, duration, inet>", ["-1", "2.50", [0, 1, 2], "::1"]),
    ("tuple<blob, boolean, date, time, timestamp, uuid, smallint, tinyint, float, ascii>",
     ["ab", True, 1, 2, 3, U1, -4, 5, 6.5, "z"]),
    ("tuple<text>", [None]), ("tuple<vector<float, 2>, text>", [[1.0, 2.0], "v"]),
    # user-defined types
    ("frozen<address>", ["Main St", 12345, ["a", "b"]]), ("frozen<address>", [None, None, None]),
    ("frozen<address>", ["", None, []]), ("frozen<point>", [1.5, -2.5]),
    ("frozen<person>", ["Ada", ["Elm", 1, ["x"]], [[0.0, 1.0], [2.0, 3.0]], [["s", "123456789012345678901234567890"]]]),
    ("frozen<person>", ["Bob", None, [], None]),
    ('frozen<"Geo Spot">', [51.5, -0.125, 1700000000000]),
    ("list<frozen<point>>", [[1.0, 2.0], [None, 3.0]]),
    ("frozen<tuple<frozen<point>, int>>", [[0.5, 0.25], 9]),
    # vectors: fixed-length elements packed, variable-length ones with unsigned vint lengths
    ("vector<float, 3>", [1.0, 2.5, -3.0]), ("vector<float, 1>", ["NaN"]),
    ("vector<float, 5>", [0.1, 0.2, 0.3, 0.4, 0.5]), ("vector<double, 2>", [1e300, -0.0]),
    ("vector<int, 4>", [1, -1, I32_MIN, I32_MAX]), ("vector<bigint, 2>", [I64_MIN, I64_MAX]),
    ("vector<boolean, 3>", [True, False, True]), ("vector<uuid, 2>", [U1, U2]),
    ("vector<timeuuid, 1>", [T1]), ("vector<timestamp, 2>", [0, 1700000000123]),
    ("vector<text, 3>", ["a", "", "ü"]), ("vector<text, 1>", ["x" * 300]), ("vector<text, 2>", ["y" * 20000, "z"]),
    ("vector<ascii, 1>", ["abc"]), ("vector<blob, 2>", ["", "0102"]), ("vector<varint, 2>", ["0", str(-(2**80))]),
    ("vector<decimal, 2>", ["1.5", "-1E-5"]), ("vector<smallint, 3>", [1, -2, 32767]),
    ("vector<tinyint, 2>", [-128, 127]),
    ("vector<date, 2>", [0, 100]), ("vector<time, 2>", [1, 86399999999999]), ("vector<inet, 2>", ["1.1.1.1", "::1"]),
    ("vector<duration, 1>", [[1, 2, 3]]), ("vector<frozen<list<int>>, 2>", [[1, 2], []]),
    ("vector<frozen<map<text, int>>, 1>", [[["k", 1]]]), ("vector<vector<float, 2>, 2>", [[1.0, 2.0], [3.0, 4.0]]),
    ("vector<vector<text, 1>, 2>", [["a"], ["bc"]]), ("vector<frozen<tuple<int, text>>, 2>", [[1, "a"], [None, "b"]]),
    ("vector<frozen<address>, 1>", [["Road", 7, []]]),
    ("list<vector<float, 2>>", [[1.0, 2.0], [3.0, 4.0]]), ("map<text, vector<int, 2>>", [["a", [1, 2]]]),
]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_vectors.py OUT.json")
    cases = []
    for type_text, value in CASES:
        t = parse_type(type_text)
        value = normalize(t, value)
        cls = driver_type(t)
        data = cls.serialize(to_driver(t, value), PROTOCOL_VERSION)
        assert data == cls.serialize(to_driver(t, value), 5), type_text  # v5 encodes cells the same
        cases.append({"type": type_text, "marshal": marshal(t), "value": value, "hex": data.hex()})
    udts = {name: [[f, ft] for f, ft in fields] for name, fields in UDTS.items()}
    doc = {
        "generator": "cassandra-driver %s cqltypes, protocol v%d" % (cassandra.__version__, PROTOCOL_VERSION),
        "keyspace": KEYSPACE,
        "udts": udts,
        "cases": cases,
    }
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        json.dump(doc, out, ensure_ascii=False, indent=1, allow_nan=False)
        out.write("\n")
    print("wrote %d cases to %s" % (len(cases), sys.argv[1]))


if __name__ == "__main__":
    main()
