# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backup stream's wire protocol between mariadb_backup_stream's sender and receiver (no I/O).

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
import secrets
import struct

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


class BackupStreamError(Exception):
    """A token that cannot be one, or a peer that breaks the protocol; the message says what and how to fix it."""


# --- handshake (mutual proof of the token) --------------------------------------------------------------------


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


# --- frames ---------------------------------------------------------------------------------------------------


def encode_data_header(length):
    """The header of a data frame of ``length`` bytes; the sender writes the payload after it without a copy."""
    if length < 1:
        raise BackupStreamError("a data frame must carry at least one byte")
    if length > MAX_CHUNK:
        raise BackupStreamError("a data frame carries at most %d bytes, not %d" % (MAX_CHUNK, length))
    return FRAME_HEADER.pack(KIND_DATA, length)


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
