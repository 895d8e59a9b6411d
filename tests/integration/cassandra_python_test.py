"""Why: the real Cassandra is proven with an independent client (the Python cassandra-driver):
a keyspace and table created, rows written and read back."""
import sys
import os

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support", "python"))
import sluicetest  # noqa: E402


def test_keyspace_table_rows_round_trip():
    cluster, session = sluicetest.cassandra_session()
    ks = sluicetest.unique_name("pyrt")
    try:
        session.execute(
            f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}")
        session.execute(f"CREATE TABLE {ks}.kv (k text PRIMARY KEY, v int)")
        insert = session.prepare(f"INSERT INTO {ks}.kv (k, v) VALUES (?, ?)")
        expected = {f"key-{i}": i * i for i in range(1000)}
        for k, v in expected.items():
            session.execute(insert, (k, v))
        got = {row.k: row.v for row in session.execute(f"SELECT k, v FROM {ks}.kv")}
        assert got == expected
        version = session.execute("SELECT release_version FROM system.local").one().release_version
        assert version.startswith("5.0"), version
    finally:
        session.execute(f"DROP KEYSPACE IF EXISTS {ks}")
        cluster.shutdown()
