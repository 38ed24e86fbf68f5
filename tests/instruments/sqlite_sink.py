"""A small stdlib-sqlite3 sink for the tests: one commit per call, like the lims sink must do."""
import sqlite3


class SqliteSink:
    """Persist accepted readings and rejected frames of one session in a SQLite file.

    :param path: database file.
    :param session: session id.
    :param on_accept: optional callback after each commit (tests use it to kill the simulator).
    """

    def __init__(self, path, session="s1", on_accept=None):
        self.db = sqlite3.connect(path)
        self.session, self.on_accept = session, on_accept
        self.db.executescript("""
            CREATE TABLE IF NOT EXISTS readings (session TEXT, seq INTEGER, value REAL, unit TEXT,
                stable INTEGER, software_stable INTEGER, ts TEXT, raw BLOB, PRIMARY KEY (session, seq));
            CREATE TABLE IF NOT EXISTS rejections (session TEXT, raw BLOB, reason TEXT);
        """)

    def last_sequence(self):
        return self.db.execute("SELECT max(seq) FROM readings WHERE session = ?", (self.session,)).fetchone()[0]

    def accept(self, record):
        r = record.reading
        self.db.execute("INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (self.session, record.sequence, r.value, r.unit, r.stable, record.software_stable,
                         r.timestamp.isoformat(), r.raw))
        self.db.commit()
        if self.on_accept:
            self.on_accept(record)

    def reject(self, raw, reason):
        self.db.execute("INSERT INTO rejections VALUES (?, ?, ?)", (self.session, raw, reason))
        self.db.commit()

    def rows(self):
        return self.db.execute("SELECT seq, value, unit, stable, raw FROM readings ORDER BY seq").fetchall()

    def rejections(self):
        return self.db.execute("SELECT raw, reason FROM rejections").fetchall()

    def close(self):
        self.db.close()
