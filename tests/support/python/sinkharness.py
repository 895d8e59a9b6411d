"""Running `sluice run` the way a user does, and checking what it did with independent clients.

A test makes a keyspace and a topic, produces records with confluent-kafka, writes a pipeline
file, starts the sluice binary on it (and may kill it), waits until the consumer group has
committed every record, and reads the tables back with the Python cassandra-driver.
"""
import os
import re
import signal
import subprocess
import tempfile
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

import sluicetest

SLUICE = os.environ.get("SLUICE_BIN", "sluice")


class Kafka:
    def __init__(self):
        self.bootstrap = sluicetest.kafka_bootstrap()
        self.admin = AdminClient({"bootstrap.servers": self.bootstrap})
        try:
            self.admin.list_topics(timeout=10)
        except Exception as exc:  # noqa: BLE001
            sluicetest.require(False, "Kafka", repr(exc))

    def create_topic(self, name, partitions):
        futures = self.admin.create_topics([NewTopic(name, partitions, 1)])
        futures[name].result(30)
        deadline = time.time() + 30
        while time.time() < deadline:  # metadata can lag the creation
            md = self.admin.list_topics(name, timeout=10)
            if name in md.topics and len(md.topics[name].partitions) == partitions:
                return
            time.sleep(0.2)
        raise AssertionError(f"topic {name} did not appear")

    def producer(self):
        return Producer({"bootstrap.servers": self.bootstrap, "enable.idempotence": True, "acks": "all",
                         "linger.ms": 20, "batch.num.messages": 10000, "compression.type": "lz4"})

    def produce(self, topic, records):
        """records: iterable of dicts with value (bytes/str/None), and optional key, partition,
        timestamp (ms), headers. Returns the (partition, offset) of each, in order."""
        p = self.producer()
        records = list(records)
        out = [None] * len(records)

        def delivered_to(i):
            def delivered(err, msg):
                assert err is None, err
                out[i] = (msg.partition(), msg.offset())
            return delivered

        for i, r in enumerate(records):
            kwargs = {"value": r.get("value"), "key": r.get("key"), "on_delivery": delivered_to(i)}
            for k in ("partition", "timestamp", "headers"):
                if r.get(k) is not None:
                    kwargs[k] = r[k]
            while True:
                try:
                    p.produce(topic, **kwargs)
                    break
                except BufferError:
                    p.poll(0.1)
            p.poll(0)
        assert p.flush(120) == 0
        return out

    def end_offsets(self, topic):
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "sinkharness-probe"})
        try:
            md = c.list_topics(topic, timeout=10)
            ends = {}
            for p in md.topics[topic].partitions:
                _, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                ends[p] = high
            return ends
        finally:
            c.close()

    def committed(self, group, topic, partitions):
        """The group's committed offsets. On a fresh broker the group coordinator (and the
        __consumer_offsets topic) may still be settling: those answers are retried for 60 s."""
        deadline = time.time() + 60
        while True:
            c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group, "enable.auto.commit": False})
            try:
                tps = c.committed([TopicPartition(topic, p) for p in partitions], timeout=10)
                return {tp.partition: tp.offset for tp in tps}
            except KafkaException as exc:
                if not exc.args[0].retriable() and exc.args[0].code() not in (
                        KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
                        KafkaError.COORDINATOR_NOT_AVAILABLE) or time.time() > deadline:
                    raise
                time.sleep(0.5)
            finally:
                c.close()

    def read_all(self, topic, timeout=30):
        """Every record of a topic (for dead letters): list of confluent_kafka Messages."""
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": sluicetest.unique_name("reader"),
                      "auto.offset.reset": "earliest", "enable.auto.commit": False})
        ends = self.end_offsets(topic)
        want = sum(ends.values())
        got = []
        try:
            c.subscribe([topic])
            deadline = time.time() + timeout
            while len(got) < want and time.time() < deadline:
                m = c.poll(0.5)
                if m is not None and m.error() is None:
                    got.append(m)
            return got
        finally:
            c.close()


class Sluice:
    """One `sluice run` process."""

    def __init__(self, pipeline_file, log_path):
        self.pipeline_file = pipeline_file
        self.log_path = log_path
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([SLUICE, "run", self.pipeline_file], stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)
        self.log.close()

    def stop(self, timeout=90):
        """SIGTERM and wait: a clean stop drains, commits and exits 0."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self.log.close()
        return code

    def alive(self):
        return self.proc.poll() is None

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")


def write_pipeline(text):
    fd, path = tempfile.mkstemp(suffix=".yaml", prefix="sluice-pipeline-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def wait_committed(kafka, group, topic, timeout=300, process=None):
    """Waits until the group's committed offsets reach the topic's end offsets."""
    ends = kafka.end_offsets(topic)
    deadline = time.time() + timeout
    committed = {}
    while time.time() < deadline:
        committed = kafka.committed(group, topic, list(ends))
        if all(committed.get(p, -1) >= e for p, e in ends.items()):
            return committed
        if process is not None and not process.alive():
            raise AssertionError(f"sluice exited early:\n{process.output()[-4000:]}")
        time.sleep(0.5)
    raise AssertionError(f"not all committed in {timeout}s: committed {committed}, end {ends}")


def ms_of(dt):
    """The driver returns naive UTC datetimes for timestamps."""
    import calendar
    return calendar.timegm(dt.utctimetuple()) * 1000 + dt.microsecond // 1000


def admin_port(process, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = re.search(r"admin endpoints on http://[^:]+:(\d+)/metrics", process.output())
        if m:
            return int(m.group(1))
        if not process.alive():
            raise AssertionError(process.output())
        time.sleep(0.2)
    raise AssertionError("no admin endpoint announced")
