"""Why: `sluice local` is how every developer and CI gets real servers. On the running stack:
status says what runs where and `up` again is harmless. On a second stack of its own (other
addresses, other state directory, so the suite's stack is untouched): up, status, down, and no
process left behind."""
import os
import subprocess
import time
import tempfile
import pathlib

SLUICE = os.environ["SLUICE_BIN"]


def sluice(*args, env=None, timeout=400):
    return subprocess.run([SLUICE, *args], capture_output=True, text=True, timeout=timeout, env=env)


def pids_with(marker):
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            found.append(int(proc.name))
    return found


def test_status_and_up_again_on_running_stack():
    st = sluice("local", "status")
    print(st.stdout, st.stderr)
    assert st.returncode == 0, st.stdout + st.stderr
    assert "cassandra-1" in st.stdout and "kafka-1" in st.stdout
    assert st.stdout.count("ready") >= 2
    started = time.monotonic()
    up = sluice("local", "up")
    assert up.returncode == 0, up.stdout + up.stderr
    assert "already running" in up.stdout
    assert time.monotonic() - started < 30


def test_second_stack_up_status_down_leaves_nothing():
    home = tempfile.mkdtemp(prefix="sluice-lifecycle-")
    env = dict(os.environ, SLUICE_HOME=home)
    args = ["--address-prefix", "127.0.1.", "--jmx-port", "7299", "--cassandra-heap", "512M", "--kafka-heap", "256M"]
    try:
        up = sluice("local", "up", *args, env=env)
        print(up.stdout, up.stderr)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "cassandra-1: ready on 127.0.1.1:9042" in up.stdout
        assert "kafka-1: ready on 127.0.1.1:9092" in up.stdout
        st = sluice("local", "status", env=env)
        assert st.returncode == 0 and "127.0.1.1:9042" in st.stdout, st.stdout
        assert pids_with(f"-Dsluice.node={home}/"), "servers should be running"
    finally:
        down = sluice("local", "down", env=env)
        print(down.stdout, down.stderr)
    assert down.returncode == 0, down.stdout + down.stderr
    assert pids_with(f"-Dsluice.node={home}/") == []
    st = sluice("local", "status", env=env)
    assert st.returncode != 0 and "stopped" in st.stdout
