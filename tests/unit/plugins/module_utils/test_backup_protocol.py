"""module_utils/backup_protocol.py: the token handshake and the framing, in memory."""

from __future__ import annotations

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils.backup_protocol import (
    ACCEPT, CHALLENGE_SIZE, FRAME_HEADER, HELLO_SIZE, KIND_ABORT, KIND_DATA, KIND_END, MAGIC, MAX_CHUNK,
    MAX_TOKEN_BYTES, NONCE_BYTES, PROOF_BYTES, RECEIVER_LABEL, REJECT, SENDER_LABEL, AuthenticationError,
    BackupStreamError, ReceiverHandshake, SenderHandshake, check_magic, decode_frame_header, encode_abort,
    encode_data_header, encode_end, proof)


# --- token handshake and framing -----------------------------------------------------------------------------

TOKEN = "s3cr\u00e9t"


def handshake(sender_token, receiver_token):
    """Both sides of the handshake in memory: (hello, challenge, proof) or the first error with the side."""
    sender, receiver = SenderHandshake(sender_token), ReceiverHandshake(receiver_token)
    hello = sender.hello()
    challenge = receiver.challenge(hello)
    return sender, receiver, hello, challenge


def test_handshake_with_the_right_token_authenticates_both_sides_and_never_carries_the_token():
    sender, receiver, hello, challenge = handshake(TOKEN, TOKEN)
    assert hello.startswith(MAGIC) and len(hello) == HELLO_SIZE
    assert challenge.startswith(MAGIC) and len(challenge) == CHALLENGE_SIZE
    answer = sender.answer(challenge)
    assert answer[:1] == ACCEPT and len(answer) == 1 + PROOF_BYTES
    receiver.check(answer)  # no exception: the sender proved itself
    for sent in (hello, challenge, answer):
        assert TOKEN.encode("utf-8") not in sent
    # Each side's proof is HMAC-SHA256 over its own label, the magic and both nonces.
    key = TOKEN.encode("utf-8")
    assert challenge[-PROOF_BYTES:] == proof(key, RECEIVER_LABEL, sender.nonce, receiver.nonce)
    assert answer[1:] == proof(key, SENDER_LABEL, sender.nonce, receiver.nonce)
    assert RECEIVER_LABEL != SENDER_LABEL


def test_fresh_nonces_make_every_handshake_different():
    first = handshake(TOKEN, TOKEN)
    second = handshake(TOKEN, TOKEN)
    assert first[2] != second[2] and first[3] != second[3]
    assert len(first[0].nonce) == len(first[1].nonce) == NONCE_BYTES
    # A proof recorded from one handshake does not pass another.
    answer = first[0].answer(first[3])
    second[0].answer(second[3])
    with pytest.raises(AuthenticationError, match="did not prove it knows the token"):
        second[1].check(answer)


def test_wrong_token_at_the_sender_refuses_the_receiver_before_any_proof_of_its_own():
    """The receiver (an impostor, or a wrong token) cannot prove the token: the sender raises at once."""
    sender, _receiver, _hello, challenge = handshake(TOKEN, "not the token")
    with pytest.raises(AuthenticationError, match="the receiver did not prove it knows the token"):
        sender.answer(challenge)


def test_an_impostor_receiver_that_echoes_or_invents_a_proof_is_refused():
    sender = SenderHandshake(TOKEN)
    hello = sender.hello()
    # Replaying the sender's own nonce and something random as the proof.
    with pytest.raises(AuthenticationError, match="echoed this sender's nonce"):
        sender.answer(MAGIC + hello[len(MAGIC):] + bytes(PROOF_BYTES))
    with pytest.raises(AuthenticationError, match="did not prove it knows the token"):
        sender.answer(MAGIC + bytes(range(NONCE_BYTES)) + bytes(PROOF_BYTES), "the receiver 192.0.2.9 (port 4444)")
    # A receiver proof computed with the sender's label (a reflected sender proof) does not pass either.
    nonce = bytes(range(NONCE_BYTES))
    reflected = proof(TOKEN.encode("utf-8"), SENDER_LABEL, sender.nonce, nonce)
    with pytest.raises(AuthenticationError):
        sender.answer(MAGIC + nonce + reflected)


def test_wrong_token_at_the_receiver_is_refused():
    """A sender that does not know the token (it answers with a made-up proof) is refused by the receiver."""
    sender, receiver, _hello, challenge = handshake("not the token", TOKEN)
    with pytest.raises(AuthenticationError):
        sender.answer(challenge)  # a real sender refuses first ...
    forged = ACCEPT + bytes(PROOF_BYTES)  # ... an impostor sender answers anyway
    with pytest.raises(AuthenticationError, match="the sender did not prove it knows the token"):
        receiver.check(forged)
    with pytest.raises(AuthenticationError, match="refused this receiver's proof of the token"):
        receiver.check(REJECT)
    with pytest.raises(AuthenticationError, match="closed the connection or sent garbage"):
        receiver.check(ACCEPT + b"short")
    with pytest.raises(AuthenticationError, match="closed the connection or sent garbage"):
        receiver.check(b"")


def test_the_receiver_checks_a_proof_only_after_its_challenge():
    with pytest.raises(BackupStreamError, match="only after its challenge"):
        ReceiverHandshake(TOKEN).check(ACCEPT + bytes(PROOF_BYTES))


@pytest.mark.parametrize("first_bytes, message", [
    (b"", "closed the connection before the handshake"),
    (b"RKX", "closed the connection before the handshake"),
    (b"RKXB1\n", "speaks RKXB1, the backup stream protocol of an older replkit.mariadb"),
    (b"GET / ", "does not speak the replkit backup stream protocol RKXB2"),
])
def test_magic_names_an_old_peer_or_a_stranger(first_bytes, message):
    with pytest.raises(BackupStreamError, match=message):
        check_magic(first_bytes, "the peer")
    check_magic(MAGIC, "the peer")


def test_truncated_hello_or_challenge_is_refused():
    receiver = ReceiverHandshake(TOKEN)
    with pytest.raises(BackupStreamError, match="in the middle of its hello"):
        receiver.challenge(MAGIC + b"\x00" * 5)
    sender = SenderHandshake(TOKEN)
    with pytest.raises(BackupStreamError, match="in the middle of its challenge"):
        sender.answer(MAGIC + b"\x00" * 40)


def test_handshake_refuses_bad_tokens():
    for side in (SenderHandshake, ReceiverHandshake):
        with pytest.raises(BackupStreamError, match="token is empty"):
            side("")
        with pytest.raises(BackupStreamError, match="at most 1024"):
            side("x" * (MAX_TOKEN_BYTES + 1))


def test_frames_round_trip():
    frame = encode_data_header(14) + b"xbstream bytes"
    assert decode_frame_header(frame[:FRAME_HEADER.size]) == (KIND_DATA, 14)
    assert frame[FRAME_HEADER.size:] == b"xbstream bytes"
    assert decode_frame_header(encode_end(123456789012)) == (KIND_END, 123456789012)
    abort = encode_abort("mariadb-backup failed")
    assert decode_frame_header(abort[:FRAME_HEADER.size]) == (KIND_ABORT, 21)
    assert abort[FRAME_HEADER.size:] == b"mariadb-backup failed"
    assert ACCEPT != REJECT and len(ACCEPT) == len(REJECT) == 1


def test_frame_limits():
    with pytest.raises(BackupStreamError, match="at least one byte"):
        encode_data_header(0)
    with pytest.raises(BackupStreamError, match="at most"):
        encode_data_header(MAX_CHUNK + 1)
    with pytest.raises(BackupStreamError, match="ended inside a frame header"):
        decode_frame_header(b"D\x00")
    with pytest.raises(BackupStreamError, match="announces"):
        decode_frame_header(FRAME_HEADER.pack(KIND_DATA, MAX_CHUNK + 1))
    with pytest.raises(BackupStreamError, match="announces"):
        decode_frame_header(FRAME_HEADER.pack(KIND_DATA, 0))
    with pytest.raises(BackupStreamError, match="unknown frame kind"):
        decode_frame_header(FRAME_HEADER.pack(b"Z", 1))
    assert len(encode_abort("x" * 10000)) == FRAME_HEADER.size + 4096
