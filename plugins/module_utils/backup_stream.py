# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers of the mariadb-backup seeding method (no server, no network).

The modules mariadb_backup_stream and mariadb_backup_restore keep their I/O
thin and put here what tests reach without MariaDB: the wire framing between
sender and receiver, the client defaults file, the files mariadb-backup
writes (binary log position, checkpoints), which files of a copy carry the
source's replication state, and the input checks.

Wire protocol RKXB2 (one TCP connection, sender to receiver unless noted)::

    hello      MAGIC (6 bytes) + sender nonce (32 random bytes)
    challenge  receiver -> sender: MAGIC + receiver nonce (32 random bytes) + receiver proof (32 bytes)
    proof      ACCEPT + sender proof (32 bytes) once the receiver's proof is right;
               REJECT alone when it is wrong, and the sender closes the connection
    answer     receiver -> sender: ACCEPT when the sender's proof is right, else REJECT
    frames     kind (1 byte) + value (8 bytes, big endian):
                 DATA  value = payload length, payload follows (xbstream bytes)
                 END   value = total payload bytes sent; the stream is complete
                 ABORT value = message length, UTF-8 message follows
    answer     receiver -> sender after END: ACCEPT when the copy was extracted, else REJECT

    receiver proof = HMAC-SHA256(token, RECEIVER_LABEL + MAGIC + sender nonce + receiver nonce)
    sender proof   = HMAC-SHA256(token, SENDER_LABEL + MAGIC + sender nonce + receiver nonce)

The token itself never crosses the network: each side proves it knows it by
a MAC over both fresh nonces, so a recorded handshake is worth nothing for
the next one. The receiver proves itself first, because the sender is the
side holding the data: the sender checks the receiver's proof before it
writes anything derived from the token and before a single byte of the
backup (whoever listens on the receiver's port gets a hello and a REJECT,
nothing else). The receiver, which accepts connections from its
allowed_address only, then checks the sender's proof. The labels differ per
direction, so one side's proof can never be replayed as the other's.

The handshake authenticates the peers; it does not encrypt the stream, and it
cannot stop someone who relays the whole connection between the two hosts (a
man in the middle on the network path). The seed planner therefore refuses
this method on links declared ``ssl: true``.

The END frame lets the receiver tell a complete stream from a sender that
died half-way, which mbstream alone cannot.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import secrets
import struct
import time

from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import client_option_file, login_client_options

MAGIC = b"RKXB2\n"
# Earlier versions of the protocol, recognised only to say so: RKXB1 sent the token itself.
OLD_MAGICS = {b"RKXB1\n": "RKXB1"}
NONCE_BYTES = 32
PROOF_BYTES = hashlib.sha256().digest_size
HELLO_SIZE = len(MAGIC) + NONCE_BYTES
CHALLENGE_SIZE = len(MAGIC) + NONCE_BYTES + PROOF_BYTES
SENDER_LABEL = b"replkit backup stream: the sender knows the token\n"
RECEIVER_LABEL = b"replkit backup stream: the receiver knows the token\n"
FRAME_HEADER = struct.Struct(">cQ")
MAX_TOKEN_BYTES = 1024
MAX_CHUNK = 4 * 1024 * 1024
MAX_ABORT_MESSAGE = 4096
ACCEPT = b"+"
REJECT = b"-"
KIND_DATA = b"D"
KIND_END = b"E"
KIND_ABORT = b"A"
DEFAULT_PORT = 4444

# Newer versions write mariadb_backup_*, older ones xtrabackup_*; both are looked for, newest name first.
BINLOG_INFO_FILES = ("mariadb_backup_binlog_info", "xtrabackup_binlog_info")
CHECKPOINT_FILES = ("mariadb_backup_checkpoints", "xtrabackup_checkpoints")
BACKUP_CONFIG_FILE = "backup-my.cnf"
# A full backup after --prepare: 10.5 to 11.x write log-applied, older xtrabackup full-prepared.
PREPARED_TYPES = ("full-prepared", "log-applied")


class BackupStreamError(Exception):
    """Bad input or a malformed file or frame; the message says what and how to fix it."""


# --- handshake (mutual proof of the token) and frames ---------------------------------------------------------


class AuthenticationError(BackupStreamError):
    """The peer did not prove it knows the token (or refused our proof); the message says which."""


def token_key(token):
    """The token as the HMAC key (UTF-8 bytes), checked like the module option."""
    data = (token or "").encode("utf-8")
    if not data:
        raise BackupStreamError("token is empty; give the same non-empty secret to the send and the receive side")
    if len(data) > MAX_TOKEN_BYTES:
        raise BackupStreamError("token is %d bytes long; use at most %d" % (len(data), MAX_TOKEN_BYTES))
    return data


def new_nonce():
    return secrets.token_bytes(NONCE_BYTES)


def proof(key, label, sender_nonce, receiver_nonce):
    """HMAC-SHA256 over the direction's label, the protocol and both nonces, keyed with the token."""
    return hmac.new(key, label + MAGIC + sender_nonce + receiver_nonce, hashlib.sha256).digest()


def check_magic(magic, peer):
    """Raise when the first bytes from ``peer`` (a description: 'the sender 192.0.2.1') are not RKXB2."""
    magic = bytes(magic)
    if magic == MAGIC:
        return
    if len(magic) < len(MAGIC):
        raise BackupStreamError("%s closed the connection before the handshake (%d of %d bytes)" % (
            peer, len(magic), len(MAGIC)))
    if magic in OLD_MAGICS:
        raise BackupStreamError(
            "%s speaks %s, the backup stream protocol of an older replkit.mariadb (it sent the token itself); this "
            "side speaks %s. Run the same version of the collection on both hosts" % (
                peer, OLD_MAGICS[magic], MAGIC.decode().strip()))
    raise BackupStreamError("%s does not speak the replkit backup stream protocol %s (it sent %r); is something "
                            "else listening on that port?" % (peer, MAGIC.decode().strip(), magic))


class SenderHandshake:
    """The sender's side: ``hello()`` first, then ``answer(challenge)`` (raises unless the receiver proved itself)."""

    def __init__(self, token, nonce=None):
        self.key = token_key(token)
        self.nonce = nonce if nonce is not None else new_nonce()

    def hello(self):
        return MAGIC + self.nonce

    def answer(self, challenge, peer="the receiver"):
        """ACCEPT + the sender's proof, for the receiver's ``challenge`` (CHALLENGE_SIZE bytes)."""
        challenge = bytes(challenge)
        check_magic(challenge[:len(MAGIC)], peer)
        if len(challenge) != CHALLENGE_SIZE:
            raise BackupStreamError("%s closed the connection in the middle of its challenge (%d of %d bytes)" % (
                peer, len(challenge), CHALLENGE_SIZE))
        receiver_nonce = challenge[len(MAGIC):len(MAGIC) + NONCE_BYTES]
        received = challenge[len(MAGIC) + NONCE_BYTES:]
        if receiver_nonce == self.nonce:
            raise AuthenticationError("%s echoed this sender's nonce instead of its own; it is not a replkit "
                                      "receiver" % peer)
        if not hmac.compare_digest(received, proof(self.key, RECEIVER_LABEL, self.nonce, receiver_nonce)):
            raise AuthenticationError(
                "%s did not prove it knows the token: the tokens of mode=send and mode=receive differ, or something "
                "other than the replkit receiver listens there" % peer)
        return ACCEPT + proof(self.key, SENDER_LABEL, self.nonce, receiver_nonce)


class ReceiverHandshake:
    """The receiver's side: ``challenge(hello)``, then ``check(answer)`` (raises unless the sender proved itself)."""

    def __init__(self, token, nonce=None):
        self.key = token_key(token)
        self.nonce = nonce if nonce is not None else new_nonce()
        self.sender_nonce = None

    def challenge(self, hello, peer="the sender"):
        """MAGIC + this side's nonce + its proof, for the sender's ``hello`` (HELLO_SIZE bytes)."""
        hello = bytes(hello)
        check_magic(hello[:len(MAGIC)], peer)
        if len(hello) != HELLO_SIZE:
            raise BackupStreamError("%s closed the connection in the middle of its hello (%d of %d bytes)" % (
                peer, len(hello), HELLO_SIZE))
        self.sender_nonce = hello[len(MAGIC):]
        if self.sender_nonce == self.nonce:  # 2**-256 by chance: a reflection of our own nonce
            raise AuthenticationError("%s sent this receiver's own nonce; it is not a replkit sender" % peer)
        return MAGIC + self.nonce + proof(self.key, RECEIVER_LABEL, self.sender_nonce, self.nonce)

    def check(self, answer, peer="the sender"):
        """Accept the sender's ``answer`` (ACCEPT + proof), or raise AuthenticationError."""
        answer = bytes(answer)
        if self.sender_nonce is None:
            raise BackupStreamError("the receiver checks the sender's proof only after its challenge")
        if answer[:1] == REJECT:
            raise AuthenticationError("%s refused this receiver's proof of the token: the tokens of mode=send and "
                                      "mode=receive differ. Give both the same token" % peer)
        if answer[:1] != ACCEPT or len(answer) != 1 + PROOF_BYTES:
            raise AuthenticationError("%s closed the connection or sent garbage instead of its proof of the token "
                                      "(%d of %d bytes)" % (peer, len(answer), 1 + PROOF_BYTES))
        if not hmac.compare_digest(answer[1:], proof(self.key, SENDER_LABEL, self.sender_nonce, self.nonce)):
            raise AuthenticationError("%s did not prove it knows the token (wrong token). Give mode=send and "
                                      "mode=receive the same token" % peer)


def encode_data_header(length):
    """The header of a data frame of ``length`` bytes; the sender writes the payload after it without a copy."""
    if length < 1:
        raise BackupStreamError("a data frame must carry at least one byte")
    if length > MAX_CHUNK:
        raise BackupStreamError("a data frame carries at most %d bytes, not %d" % (MAX_CHUNK, length))
    return FRAME_HEADER.pack(KIND_DATA, length)


def encode_data(chunk):
    return encode_data_header(len(chunk)) + bytes(chunk)


def encode_end(total_bytes):
    return FRAME_HEADER.pack(KIND_END, total_bytes)


def encode_abort(message):
    data = message.encode("utf-8", "replace")[:MAX_ABORT_MESSAGE]
    return FRAME_HEADER.pack(KIND_ABORT, len(data)) + data


def decode_frame_header(header):
    """(kind, value) of a 9-byte frame header, checked against the limits of its kind."""
    if len(header) != FRAME_HEADER.size:
        raise BackupStreamError("the stream ended inside a frame header (%d of %d bytes): the sender stopped "
                                "before the end of the backup; see the send task's result" % (
                                    len(header), FRAME_HEADER.size))
    kind, value = FRAME_HEADER.unpack(header)
    if kind == KIND_DATA and not 0 < value <= MAX_CHUNK:
        raise BackupStreamError("a data frame announces %d bytes; expected 1 to %d" % (value, MAX_CHUNK))
    if kind == KIND_ABORT and value > MAX_ABORT_MESSAGE:
        raise BackupStreamError("an abort frame announces a %d-byte message; expected at most %d" % (
            value, MAX_ABORT_MESSAGE))
    if kind not in (KIND_DATA, KIND_END, KIND_ABORT):
        raise BackupStreamError("unknown frame kind %r: the stream is corrupt" % kind)
    return kind, value


# --- who may connect -----------------------------------------------------------------------------------------


def normalize_address(address):
    """An IP address as a canonical string; IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes a.b.c.d."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


def address_allowed(peer_address, allowed_addresses):
    """Whether a peer (an IP string) is one of the allowed addresses (normalized IP strings)."""
    try:
        return normalize_address(peer_address) in allowed_addresses
    except ValueError:
        return False


# --- files mariadb-backup writes -----------------------------------------------------------------------------


def parse_binlog_info(text):
    """``'mariadb-bin.000042\\t1337\\t0-1-100'`` -> dict(binlog_file, binlog_pos, gtid_pos).

    The GTID column is missing when the source has no GTID yet (some versions
    also omit it); gtid_pos is then the empty string.
    """
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines:
        raise BackupStreamError("the binary log info file is empty: was the source's binary log enabled (log_bin)?")
    line = lines[0].strip()
    fields = line.split("\t") if "\t" in line else line.split(None, 2)
    fields = [field.strip() for field in fields]
    if len(fields) < 2 or not fields[0] or not fields[1].isdigit():
        raise BackupStreamError("cannot read the binary log info %r; expected 'FILE<TAB>POSITION<TAB>GTID'" % line)
    gtid_pos = "".join(",".join(fields[2:]).split()) if len(fields) > 2 else ""
    gtid_pos = ",".join(entry for entry in gtid_pos.split(",") if entry)
    for entry in gtid_pos.split(",") if gtid_pos else []:
        if not re.fullmatch(r"\d+-\d+-\d+", entry):
            raise BackupStreamError("the binary log info %r has a malformed GTID %r" % (line, entry))
    return {"binlog_file": fields[0], "binlog_pos": int(fields[1]), "gtid_pos": gtid_pos}


_LOG_POSITION = re.compile(
    r"binlog position: filename '([^']*)', position '(\d+)'(?:, GTID of the last change '([^']*)')?")


def parse_backup_log_position(log_text):
    """The binary log position mariadb-backup --backup reports on stderr, or None."""
    matches = _LOG_POSITION.findall(log_text or "")
    if not matches:
        return None
    binlog_file, binlog_pos, gtid_pos = matches[-1]
    return {"binlog_file": binlog_file, "binlog_pos": int(binlog_pos), "gtid_pos": gtid_pos or ""}


def parse_checkpoints(text):
    """``backup_type = full-backuped`` lines of xtrabackup_checkpoints -> dict."""
    values = {}
    for line in (text or "").splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def first_present(names, candidates):
    """The first of ``candidates`` that is in ``names``, else None."""
    present = set(names)
    for candidate in candidates:
        if candidate in present:
            return candidate
    return None


def prepared_backup_problem(names, checkpoints_text):
    """Why a directory listing (``names``) plus its checkpoints file is not a prepared full backup, or None."""
    checkpoints = first_present(names, CHECKPOINT_FILES)
    if checkpoints is None or BACKUP_CONFIG_FILE not in names:
        return ("has no %s and %s, so it is not a mariadb-backup copy; point staging_dir at the directory "
                "mariadb_backup_stream mode=receive filled" % (" or ".join(CHECKPOINT_FILES), BACKUP_CONFIG_FILE))
    backup_type = parse_checkpoints(checkpoints_text).get("backup_type", "")
    if backup_type not in PREPARED_TYPES:
        return ("is not prepared (%s says backup_type = %s, expected %s); run mariadb_backup_stream with "
                "prepare=true or 'mariadb-backup --prepare --target-dir=<staging_dir>' first" % (
                    checkpoints, backup_type or "(none)", " or ".join(PREPARED_TYPES)))
    return None


# --- replication state of the source that must not travel with the copy --------------------------------------

_STATE_FILE = re.compile(r"^(master\.info|relay-log\.info|multi-master\.info|master-.+\.info|relay-log-.+\.info)$")
_RELAY_LOG = re.compile(r"relay-bin(-.+)?\.(index|\d{6,})$")


def relay_logs_named_in(text, first_only=False):
    """Relay log file names (base names) listed in a relay log index, or with ``first_only`` in relay-log.info.

    relay-log.info names the current relay log on its first non-numeric line;
    later lines name the source's binary log, which must not be matched.
    """
    names = set()
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.isdigit():
            continue
        base = line.replace("\\", "/").rsplit("/", 1)[-1]
        if re.search(r"\.\d{6,}$", base):
            names.add(base)
            names.add(base.rsplit(".", 1)[0] + ".index")
        if first_only:
            break
    return names


def replication_state_files(names, read_text):
    """Files of a copy (top level ``names``) that carry the source's replication state, sorted.

    ``read_text(name)`` returns a file's text; the relay log index and info
    files are read so relay logs with custom names are found too.
    """
    names = set(names)
    found = {name for name in names if _STATE_FILE.match(name) or _RELAY_LOG.search(name)}
    pending = sorted(found)
    while pending:  # an index named by relay-log.info may list further relay logs
        name = pending.pop()
        if name.endswith(".index"):
            listed = relay_logs_named_in(read_text(name))
        elif name.startswith("relay-log"):
            listed = relay_logs_named_in(read_text(name), first_only=True)
        else:
            continue
        new = (listed & names) - found
        found.update(new)
        pending.extend(sorted(new))
    return sorted(found)


# --- input checks --------------------------------------------------------------------------------------------


def port_problem(option, value):
    if value is None or not 1 <= value <= 65535:
        return "%s is %s; give a TCP port from 1 to 65535" % (option, value)
    return None


def validate_stream_params(params):
    """Every problem with the options of mariadb_backup_stream, as messages naming the option and the fix."""
    errors = []
    mode = params.get("mode")
    token = params.get("token")
    if not token:
        errors.append("token is empty; give both sides the same secret (for example from a vault or lookup('password'))")
    elif len(token.encode("utf-8")) > MAX_TOKEN_BYTES:
        errors.append("token is longer than %d bytes; use a shorter secret" % MAX_TOKEN_BYTES)
    if params.get("timeout") is not None and params["timeout"] <= 0:
        errors.append("timeout is %s; give a positive number of seconds" % params["timeout"])
    progress_file = params.get("progress_file")
    if progress_file and not os.path.isabs(progress_file):
        errors.append("progress_file %r is relative; give an absolute path" % progress_file)
    if mode == "receive":
        for option in ("allowed_address", "staging_dir"):
            if not params.get(option):
                errors.append("%s is required with mode=receive" % option)
        problem = port_problem("listen_port", params.get("listen_port"))
        if problem:
            errors.append(problem)
        staging_dir = params.get("staging_dir")
        if staging_dir and not os.path.isabs(staging_dir):
            errors.append("staging_dir %r is relative; give an absolute path" % staging_dir)
    elif mode == "send":
        targets = params.get("target_host") or []
        if not targets or not all(targets):
            errors.append("target_host is required with mode=send and no entry may be empty; give the address of "
                          "each host running mode=receive")
        elif len(set(targets)) != len(targets):
            errors.append("target_host lists %s more than once; each receiver takes one connection"
                          % ", ".join(sorted({t for t in targets if targets.count(t) > 1})))
        problem = port_problem("target_port", params.get("target_port"))
        if problem:
            errors.append(problem)
        if params.get("connect_timeout") is not None and params["connect_timeout"] <= 0:
            errors.append("connect_timeout is %s; give a positive number of seconds" % params["connect_timeout"])
        if params.get("parallel") is not None and not 1 <= params["parallel"] <= 64:
            errors.append("parallel is %s; give the number of copy threads, 1 to 64" % params["parallel"])
    else:
        errors.append("mode is %r; use receive or send" % mode)
    return errors


def staging_dir_problem(path):
    """Why ``path`` cannot receive a copy (it must be absent or an empty directory), or None."""
    if os.path.lexists(path):
        if os.path.islink(path) or not os.path.isdir(path):
            return "staging_dir %s exists and is not a directory; choose a path that does not exist" % path
        if os.listdir(path):
            return ("staging_dir %s is not empty; remove it (an earlier, failed seeding?) or choose another path"
                    % path)
        return None
    parent = os.path.dirname(path.rstrip("/")) or "/"
    if not os.path.isdir(parent):
        return "the parent directory %s of staging_dir does not exist; create it or choose another staging_dir" % parent
    return None


# --- client defaults file ------------------------------------------------------------------------------------


def client_defaults(params, include_file=None):
    """The client defaults file mariadb-backup logs in with: the common login options (see client_option_file)."""
    return client_option_file(login_client_options(params), include_file)


def previous_datadir_path(datadir, now, exists):
    """``<datadir>.replkit-<UTC timestamp>``; a counter is appended when that name is taken (``exists``)."""
    base = "%s.replkit-%s" % (datadir.rstrip("/"), time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now)))
    candidate = base
    counter = 1
    while exists(candidate):
        counter += 1
        candidate = "%s-%d" % (base, counter)
    return candidate
