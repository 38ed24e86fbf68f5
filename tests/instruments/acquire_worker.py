"""Subprocess used by the kill-the-acquiring-process test: run one session into a SQLite file.

Usage: python acquire_worker.py PORT DB COUNT
"""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from sqlite_sink import SqliteSink  # noqa: E402

from instruments import AcquisitionSession, MtSics, open_transport  # noqa: E402


def main(port, db, count):
    sink = SqliteSink(db)
    transport = open_transport(port, MtSics.settings)
    AcquisitionSession(MtSics(transport), sink, int(count), require_stable=True, stream=True).run()


if __name__ == "__main__":
    main(*sys.argv[1:])
