"""Why: production Cassandra has authentication and TLS. `sluice run` must log in as a role of
its own with a password that never appears in the pipeline file, its logs or its errors, over
TLS checked against the cluster's CA. Runs against the auth_cassandra fixture (PasswordAuthenticator
+ TLS, 127.0.3.1) and the developer stack's Kafka; checked with the Python cassandra-driver."""
import json
import os
import ssl
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support", "python"))
import sinkharness  # noqa: E402
import sluicetest  # noqa: E402

CQL = os.environ.get("SLUICE_TEST_AUTH_CQL", "127.0.3.1:9042")
CA = os.environ["SLUICE_TEST_AUTH_CA"]


def secure_session():
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import Cluster
    host, port = CQL.rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=CA)
    try:
        cluster = Cluster([host], port=int(port), ssl_context=ctx, connect_timeout=20,
                          auth_provider=PlainTextAuthProvider("cassandra", "cassandra"))
        return cluster, cluster.connect()
    except Exception as exc:  # noqa: BLE001
        sluicetest.require(False, "the auth_cassandra fixture", repr(exc))
        raise


def test_sink_logs_in_with_its_own_role_over_tls(tmp_path):
    cluster, session = secure_session()
    kafka = sinkharness.Kafka()
    ks = sluicetest.unique_name("secure")
    password = "pw-" + sluicetest.unique_name("secret")
    role = ks + "_writer"
    session.execute(f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}")
    session.execute(f"CREATE TABLE {ks}.t (id bigint PRIMARY KEY, v text)")
    session.execute(f"CREATE ROLE {role} WITH PASSWORD = '{password}' AND LOGIN = true")
    session.execute(f"GRANT MODIFY ON KEYSPACE {ks} TO {role}")
    session.execute(f"GRANT SELECT ON KEYSPACE {ks} TO {role}")
    topic = ks.replace("_", "-")
    kafka.create_topic(topic, 2)
    kafka.produce(topic, [{"value": json.dumps({"id": i, "v": f"v{i}"})} for i in range(500)])
    secret = tmp_path / "cassandra-password"
    secret.write_text(password + "\n")
    os.chmod(secret, 0o600)
    host, port = CQL.rsplit(":", 1)

    def pipeline_with(password_line):
        return sinkharness.write_pipeline(f"""name: {ks}
kafka: {{bootstrap_servers: "{sluicetest.kafka_bootstrap()}"}}
cassandra:
  contact_points: [{host}]
  port: {port}
  keyspace: {ks}
  username: {role}
  {password_line}
  tls: {{ca_file: {CA}}}
sources: [{{name: s, topics: [{topic}]}}]
sinks:
  - from: s
    table: t
    mapping: {{id: value.id, v: value.v}}
error_policy: none
admin: {{listen: ""}}
""")

    # A wrong password: refused with a clear error that does not contain it.
    os.environ["SLUICE_TEST_WRONG_PASSWORD"] = "not-" + password
    wrong = sinkharness.subprocess.run([sinkharness.SLUICE, "run", pipeline_with("password_env: SLUICE_TEST_WRONG_PASSWORD")],
                                       capture_output=True, text=True, timeout=120)
    assert wrong.returncode == 1
    assert "not-" + password not in wrong.stdout + wrong.stderr
    assert "password" in (wrong.stdout + wrong.stderr).lower(), wrong.stderr

    path = pipeline_with(f"password_file: {secret}")
    assert password not in open(path).read()
    proc = sinkharness.Sluice(path, str(tmp_path / "sluice.log")).start()
    try:
        sinkharness.wait_committed(kafka, f"sluice-{ks}", topic, timeout=120, process=proc)
        # The server accepts plaintext too (TLS is optional on the fixture): prove that every
        # connection sluice holds as its role is encrypted, as the server sees it.
        clients = list(session.execute("SELECT username, ssl_enabled FROM system_views.clients"))
        mine = [c for c in clients if c.username == role]
        assert mine and all(c.ssl_enabled for c in mine), clients
    finally:
        assert proc.stop() == 0, proc.output()[-2000:]
    assert password not in proc.output()
    rows = {r.id: r.v for r in session.execute(f"SELECT id, v FROM {ks}.t")}
    assert rows == {i: f"v{i}" for i in range(500)}
    cluster.shutdown()
