"""``lims backup`` / ``lims restore``: the database, the signing keys and the instance files, encrypted.

The archive is a tar of:

- ``database.dump`` - PostgreSQL: ``pg_dump --format=custom`` (restored with ``pg_restore``);
  SQLite: ``database.sqlite``, a consistent copy made with SQLite's online backup API while the
  application keeps running;
- ``keys/`` - the key directory (private signing keys and every public key ever used);
- ``instance/`` - the other files of the instance folder (not the database or the task queue);
- ``manifest.json`` - what is inside, the database kind, the Alembic revision, the certificate count.

The tar is encrypted at rest with a passphrase: scrypt (n=2**15, r=8, p=1) derives a 256-bit key
from the passphrase and a random salt; the stream is cut into 1 MiB chunks, each sealed with
AES-256-GCM (``cryptography``) under a random nonce prefix plus the chunk counter, the last chunk
flagged in its associated data, so reordering, truncation or a wrong passphrase is detected.
Archives of a large database (certificates are ~46 KB each; half a year is ~3.3 GB) are
streamed, never held in memory.
"""
import io
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tarfile
import tempfile
from typing import TYPE_CHECKING, Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import text

from lims.extensions import db

if TYPE_CHECKING:
    from flask import Flask

MAGIC = b"LIMSBAK1"
CHUNK = 1 << 20
SKIP_INSTANCE = {"lims.db", "lims.db-wal", "lims.db-shm", "task-queue.db", "task-queue.db-wal", "task-queue.db-shm"}


class BackupError(Exception):
    """The backup or restore cannot be done (a readable reason for the operator)."""


def _key(passphrase, salt):
    if not passphrase:
        raise BackupError("a passphrase is required (LIMS_BACKUP_PASSPHRASE or the prompt)")
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())


def encrypt_stream(src: BinaryIO, dst: BinaryIO, passphrase: str) -> None:
    salt, prefix = os.urandom(16), os.urandom(4)
    aead = AESGCM(_key(passphrase, salt))
    dst.write(MAGIC + salt + prefix)
    counter = 0
    chunk = src.read(CHUNK)
    while True:
        following = src.read(CHUNK) if chunk else b""
        last = not following
        nonce = prefix + struct.pack(">Q", counter)
        sealed = aead.encrypt(nonce, chunk, MAGIC + struct.pack(">Q?", counter, last))
        dst.write(struct.pack(">I", len(sealed)) + sealed)
        if last:
            return
        chunk, counter = following, counter + 1


def decrypt_stream(src: BinaryIO, dst: BinaryIO, passphrase: str) -> None:
    head = src.read(len(MAGIC) + 20)
    if len(head) < len(MAGIC) + 20 or not head.startswith(MAGIC):
        raise BackupError("not a LIMS backup archive (wrong header)")
    salt, prefix = head[len(MAGIC):len(MAGIC) + 16], head[len(MAGIC) + 16:]
    aead = AESGCM(_key(passphrase, salt))
    counter = 0
    while True:
        size = src.read(4)
        if len(size) < 4:
            raise BackupError("the archive is truncated")
        sealed = src.read(struct.unpack(">I", size)[0])
        nonce = prefix + struct.pack(">Q", counter)
        for last in (False, True):
            try:
                plain = aead.decrypt(nonce, sealed, MAGIC + struct.pack(">Q?", counter, last))
                break
            except InvalidTag:
                plain = None
        if plain is None:
            raise BackupError("wrong passphrase, or the archive was changed or damaged")
        dst.write(plain)
        if last:
            return
        counter += 1


def _pg_url(uri):
    return uri.replace("postgresql+psycopg://", "postgresql://", 1)


def _sqlite_path(uri):
    return uri[len("sqlite:///"):]


def _dump_database(uri, workdir):
    if uri.startswith("postgresql"):
        out = os.path.join(workdir, "database.dump")
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", out, "--dbname", _pg_url(uri)])
        return "postgresql", out
    if uri.startswith("sqlite:///"):
        out = os.path.join(workdir, "database.sqlite")
        src = sqlite3.connect(_sqlite_path(uri))
        dst = sqlite3.connect(out)
        with dst:
            src.backup(dst)  # the online backup API: consistent while the app writes
        src.close()
        dst.close()
        return "sqlite", out
    raise BackupError(f"cannot back up database {uri.split(':', 1)[0]}")


def _run(cmd):
    if shutil.which(cmd[0]) is None:
        raise BackupError(f"{cmd[0]} is not installed (Debian: apt install postgresql-client)")
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{cmd[0]} failed: {done.stderr.strip()[-500:]}")


def backup(app: "Flask", out_path: str, passphrase: str) -> dict[str, Any]:
    """Write an encrypted backup of ``app``'s database, keys and instance files to ``out_path``.

    :returns: the manifest (dict)
    """


    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        certificates = db.session.execute(text("SELECT count(*) FROM certificates")).scalar()
        db.session.remove()
    with tempfile.TemporaryDirectory(prefix="lims-backup-") as work:
        kind, dump = _dump_database(uri, work)
        manifest = {"format": 1, "database": kind, "alembic_revision": revision, "certificates": certificates}
        tar_path = os.path.join(work, "backup.tar")
        with tarfile.open(tar_path, "w") as tar:
            tar.add(dump, arcname=os.path.basename(dump))
            key_dir = app.config["KEY_DIR"]
            if os.path.isdir(key_dir):
                tar.add(key_dir, arcname="keys")
            inst = app.instance_path
            if os.path.isdir(inst):
                for name in sorted(os.listdir(inst)):
                    full = os.path.join(inst, name)
                    if name in SKIP_INSTANCE or os.path.abspath(full) == os.path.abspath(key_dir):
                        continue
                    tar.add(full, arcname=f"instance/{name}")
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        tmp_out = out_path + ".part"
        with open(tar_path, "rb") as src, open(tmp_out, "wb") as dst:
            encrypt_stream(src, dst, passphrase)
        os.replace(tmp_out, out_path)
    return manifest


def restore(app: "Flask", archive_path: str, passphrase: str) -> dict[str, Any]:
    """Restore a backup into ``app``'s configured database, key directory and instance folder.

    The target database must be empty or disposable: PostgreSQL objects are dropped and recreated
    (``pg_restore --clean --if-exists``); a SQLite file is replaced. Stop the app servers and
    workers first.

    :returns: the manifest of the archive
    """
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    with tempfile.TemporaryDirectory(prefix="lims-restore-") as work:
        tar_path = os.path.join(work, "backup.tar")
        with open(archive_path, "rb") as src, open(tar_path, "wb") as dst:
            decrypt_stream(src, dst, passphrase)
        out = os.path.join(work, "x")
        with tarfile.open(tar_path) as tar:
            tar.extractall(out, filter="data")
        with open(os.path.join(out, "manifest.json")) as f:
            manifest = json.load(f)
        if manifest["database"] == "postgresql":
            if not uri.startswith("postgresql"):
                raise BackupError("this backup is of a PostgreSQL database; configure LIMS_DATABASE_URL to one")
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error", "--single-transaction",
                  "--dbname", _pg_url(uri), os.path.join(out, "database.dump")])
        else:
            if not uri.startswith("sqlite:///"):
                raise BackupError("this backup is of a SQLite database; configure a SQLite LIMS_DATABASE_URL")
            target = _sqlite_path(uri)
            os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
            for suffix in ("-wal", "-shm"):
                if os.path.exists(target + suffix):
                    os.remove(target + suffix)
            shutil.copyfile(os.path.join(out, "database.sqlite"), target + ".restoring")
            os.replace(target + ".restoring", target)
        if os.path.isdir(os.path.join(out, "keys")):
            key_dir = app.config["KEY_DIR"]
            os.makedirs(key_dir, exist_ok=True)
            for name in os.listdir(os.path.join(out, "keys")):
                shutil.copy2(os.path.join(out, "keys", name), os.path.join(key_dir, name))
        if os.path.isdir(os.path.join(out, "instance")):
            shutil.copytree(os.path.join(out, "instance"), app.instance_path, dirs_exist_ok=True)
    return manifest
