#!/usr/bin/env python3
"""Parses sluice's rendered metrics with the official Python client and checks what it reads.

Usage: check_exposition.py FILE

FILE is written by metrics_exposition_writer (exposition_writer.cc). The parser is
prometheus_client.parser.text_string_to_metric_families, the independent party: if sluice's text
breaks format 0.0.4 (escaping, HELP, TYPE, buckets) it raises or reads other names and values.
"""

import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def main(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    families = {}
    for family in text_string_to_metric_families(text):
        assert family.name not in families, f"family {family.name} twice"
        families[family.name] = family

    def samples(name):
        return {(s.name, tuple(sorted(s.labels.items()))): s.value for s in families[name].samples}

    def family(name, type_, documentation):
        assert name in families, f"missing family {name}; have {sorted(families)}"
        f = families[name]
        assert f.type == type_, (name, f.type)
        assert f.documentation == documentation, (name, f.documentation)
        return samples(name)

    # Counters: the client names the family without _total, the samples with it.
    s = family("sluice_rows_written", "counter", "Rows acknowledged by Cassandra")
    assert s == {
        ("sluice_rows_written_total", (("table", "iot.readings"),)): 12345.0,
        ("sluice_rows_written_total", (("table", 'odd \\ "quoted"\nline'),)): 2.0,
    }, s
    s = family("sluice_batches", "counter", "Batches with a \\ backslash\nand a newline")
    assert s == {("sluice_batches_total", ()): 0.0}, s

    assert family("sluice_lag", "gauge", "Consumer lag") == {
        ("sluice_lag", (("partition", "0"), ("topic", "readings"))): -3.5
    }
    assert family("sluice_big", "gauge", "A big one") == {("sluice_big", ()): 1e20}
    assert family("sluice_tiny", "gauge", "A tiny one") == {("sluice_tiny", ()): 1.5e-7}
    assert family("sluice_inf", "gauge", "Infinite") == {("sluice_inf", ()): math.inf}
    (nan,) = family("sluice_nan", "gauge", "Not a number").values()
    assert math.isnan(nan)
    assert family("sluice_callback", "gauge", "Evaluated at render") == {("sluice_callback", ()): 0.1}

    s = family("sluice_write_seconds", "histogram", "Write latency")
    les = ["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
           "5", "10", "+Inf"]
    cumulative = [2, 2, 2, 3, 3, 3, 3, 3, 5, 5, 5, 5, 5, 6, 7]
    expected = {
        ("sluice_write_seconds_bucket", (("le", le), ("table", "iot.readings"))): float(n)
        for le, n in zip(les, cumulative)
    }
    expected[("sluice_write_seconds_count", (("table", "iot.readings"),))] = 7.0
    assert set(s) == set(expected) | {("sluice_write_seconds_sum", (("table", "iot.readings"),))}, sorted(s)
    for key, value in expected.items():
        assert s[key] == value, (key, s[key], value)
    total = s[("sluice_write_seconds_sum", (("table", "iot.readings"),))]
    assert math.isclose(total, 0.0004 + 0.0005 + 0.003 + 0.2 + 0.2 + 7.0 + 60.0), total
    # Every bucket series is cumulative in the order rendered.
    buckets = [x.value for x in families["sluice_write_seconds"].samples if x.name.endswith("_bucket")]
    assert buckets == sorted(buckets), buckets

    assert family("sluice_batch_rows", "histogram", "Rows per batch") == {
        ("sluice_batch_rows_bucket", (("le", "1"),)): 0.0,
        ("sluice_batch_rows_bucket", (("le", "10"),)): 0.0,
        ("sluice_batch_rows_bucket", (("le", "100"),)): 1.0,
        ("sluice_batch_rows_bucket", (("le", "1000"),)): 1.0,
        ("sluice_batch_rows_bucket", (("le", "+Inf"),)): 1.0,
        ("sluice_batch_rows_sum", ()): 100.0,
        ("sluice_batch_rows_count", ()): 1.0,
    }

    # The process families, as the reference clients name them.
    (rss,) = family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.").values()
    assert rss > 100_000, rss
    (cpu,) = family("process_cpu_seconds", "counter", "Total user and system CPU time spent in seconds.").values()
    assert cpu >= 0, cpu
    for name in ("process_virtual_memory_bytes", "process_open_fds", "process_max_fds", "process_start_time_seconds"):
        (value,) = samples(name).values()
        assert value > 0, (name, value)

    # Families come sorted by name, as rendered.
    type_lines = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")]
    assert type_lines == sorted(type_lines), type_lines
    print(f"prometheus_client read {len(families)} families from {path}: all as expected")


if __name__ == "__main__":
    main(sys.argv[1])
