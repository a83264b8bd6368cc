"""Faults during a save: a process killed at random moments, a full disk, a read-only folder.

Each must leave the previous checkpoint loadable and, after the next save, no
temporary file; an error names the path and its cause. Marked ``faults``
(run by default; ``-m "not faults"`` leaves them out).
"""
import errno
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import assert_same_weights, weights_of

import minilstm
from minilstm import atomic

pytestmark = pytest.mark.faults

KILLS = 20

# A process that imports minilstm once, then for each "go" forks a child that saves a 4 MB
# checkpoint over and over, prints the child's pid, and reaps it once the test has killed it
# (a zombie would still count as a live writer). Forking keeps each kill to milliseconds.
_SAVER = """
import os, sys
import minilstm
model = minilstm.Sequential(minilstm.Linear(1024, 1024, seed=1))
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        try:
            while True:
                model.save(sys.argv[1])
        finally:
            os._exit(1)
    print(pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print(status, flush=True)
"""


def _model(seed):
    return minilstm.Sequential(minilstm.Linear(1024, 1024, seed=seed))


def _temporaries(folder):
    return sorted(n for n in os.listdir(folder) if n.startswith(atomic.PREFIX))


@pytest.mark.skipif(os.name != "posix" or not hasattr(os, "fork"), reason="SIGKILL and fork")
def test_a_save_killed_at_random_moments_leaves_the_previous_checkpoint(tmp_path):
    path = tmp_path / "model.npz"
    ours, theirs = _model(0), _model(1)
    ours.save(path)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=os.path.dirname(os.path.dirname(minilstm.__file__)))
    delays, left, pid = np.random.default_rng(0).uniform(0.0, 0.25, KILLS), 0, None
    with subprocess.Popen([sys.executable, "-c", _SAVER, str(path)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True, env=env) as saver:
        try:
            for delay in delays:
                saver.stdin.write("go\n")
                saver.stdin.flush()
                pid = int(saver.stdout.readline())
                time.sleep(delay)  # the child is somewhere in a save, or between two
                os.kill(pid, signal.SIGKILL)
                assert int(saver.stdout.readline()) == signal.SIGKILL, "killed, and reaped"
                pid = None
                left += bool(_temporaries(tmp_path))
                found = weights_of(minilstm.load(path))  # the last complete save: ours or the child's
                same = np.array_equal(found["0.weight"], weights_of(ours)["0.weight"])
                assert_same_weights(found, weights_of(ours if same else theirs))
                ours.save(path)  # the next save removes what the killed one left
                assert os.listdir(tmp_path) == ["model.npz"]
        finally:
            if pid is not None:  # a failed check above: stop the child before the saver
                os.kill(pid, signal.SIGKILL)
            saver.kill()
    print(f"{left} of {KILLS} kills left a temporary file; the next save removed each")


class _FillsUp:
    """A file that takes ``room`` bytes, then fails as a full disk does."""

    def __init__(self, f, room):
        self._f, self._room = f, room

    def write(self, b):
        b = memoryview(b).cast("B")
        if b.nbytes > self._room:
            self._f.write(b[:self._room])
            self._room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= b.nbytes
        return self._f.write(b)

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()


def test_a_full_disk_is_reported_and_loses_nothing(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    old = _model(0)
    old.save(path)
    fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, *args, **kwargs: _FillsUp(fdopen(fd, *args, **kwargs), 100_000))
    with pytest.raises(OSError, match=re.escape(f"could not save the checkpoint {str(path)!r} (No space left on "
                                                "device); any previous file there is untouched")) as err:
        _model(1).save(path)
    monkeypatch.undo()
    assert err.value.errno == errno.ENOSPC
    assert os.listdir(tmp_path) == ["model.npz"]
    assert_same_weights(weights_of(minilstm.load(path)), weights_of(old))


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS], ids=["no-permission", "read-only-file-system"])
def test_a_folder_that_refuses_writes_is_reported_and_loses_nothing(code, tmp_path, monkeypatch):
    """As a read-only folder or file system answers (simulated: it works as root too)."""
    path = tmp_path / "model.npz"
    old = _model(0)
    old.save(path)
    real_open = os.open

    def refuse(file, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            raise OSError(code, os.strerror(code), file)
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(OSError, match=re.escape(f"could not save the checkpoint {str(path)!r} "
                                                f"({os.strerror(code)})")) as err:
        _model(1).save(path)
    monkeypatch.undo()
    assert err.value.errno == code
    assert os.listdir(tmp_path) == ["model.npz"]
    assert_same_weights(weights_of(minilstm.load(path)), weights_of(old))


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into a 0o555 folder regardless")
def test_a_read_only_folder_is_reported_and_loses_nothing(tmp_path):
    folder = tmp_path / "runs"
    folder.mkdir()
    path = folder / "model.npz"
    old = _model(0)
    old.save(path)
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match=re.escape(f"could not save the checkpoint {str(path)!r} "
                                                            "(Permission denied)")):
            _model(1).save(path)
        assert os.listdir(folder) == ["model.npz"]
        assert_same_weights(weights_of(minilstm.load(path)), weights_of(old))
    finally:
        folder.chmod(0o755)
