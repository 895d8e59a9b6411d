"""Why: `sluice demo` is the first thing a new user runs. Run the binary as a user would, then
check with an independent client (the Python cassandra-driver) that the table holds exactly the
rows recomputed from the generated input: same keys, same values, same writetimes."""
import calendar
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support", "python"))
import sluicetest  # noqa: E402

SLUICE = os.environ["SLUICE_BIN"]
BASE_MS = 1_767_225_600_000


def expected_rows(events, sensors):
    """The demo's generator, recomputed: reading i belongs to sensor i % sensors at BASE_MS + i."""
    rows = {}
    for i in range(events):
        s = i % sensors
        value = round(20.0 + s % 10 + ((i * 7919) % 1000) / 1000.0, 3)
        rows[(f"sensor-{s:05d}", BASE_MS + i)] = value
    return rows


def test_demo_lands_every_reading_exactly():
    cluster, session = sluicetest.cassandra_session()
    keyspace = sluicetest.unique_name("demo")
    events, sensors = 5000, 50
    try:
        out = subprocess.run([SLUICE, "demo", "--events", str(events), "--sensors", str(sensors),
                              "--keyspace", keyspace], capture_output=True, text=True, timeout=300)
        print(out.stdout, out.stderr)
        assert out.returncode == 0, out.stderr
        run = re.search(r"^run ([0-9a-f]+):", out.stdout, re.M).group(1)
        assert re.search(rf"landed\s+{events} rows", out.stdout)

        model = expected_rows(events, sensors)
        got = {}
        stmt = session.prepare(
            f"SELECT sensor_id, ts, value, WRITETIME(value) AS wt FROM {keyspace}.readings WHERE run = ? AND sensor_id = ?")
        for s in range(sensors):
            for row in session.execute(stmt, (run, f"sensor-{s:05d}")):
                # The driver returns naive UTC datetimes; timegm reads them as UTC whatever the TZ.
                ts_ms = calendar.timegm(row.ts.utctimetuple()) * 1000 + row.ts.microsecond // 1000
                key = (row.sensor_id, ts_ms)
                assert key not in got, f"duplicate row {key}"
                got[key] = round(row.value, 3)
                assert row.wt == ts_ms * 1000, f"writetime of {key} is {row.wt}, want event time"
        missing = model.keys() - got.keys()
        extra = got.keys() - model.keys()
        wrong = [k for k in model.keys() & got.keys() if model[k] != got[k]]
        assert not missing and not extra and not wrong, (len(missing), len(extra), wrong[:5])
    finally:
        session.execute(f"DROP KEYSPACE IF EXISTS {keyspace}")
        cluster.shutdown()
