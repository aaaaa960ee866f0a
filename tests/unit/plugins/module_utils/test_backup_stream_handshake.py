"""The backup stream's sender and receiver over real sockets (loopback and socketpairs, no MariaDB): both sides
prove the token, a wrong token fails on either side naming the peer, and the sender writes nothing of the backup
to a receiver that did not prove it; the receiver accepts its allowed address and listens on the addresses it is
given only."""

from __future__ import annotations

import socket
import threading

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils.backup_protocol import (
    ACCEPT, CHALLENGE_SIZE, HELLO_SIZE, MAGIC, NONCE_BYTES, PROOF_BYTES, REJECT, SenderHandshake, encode_data_header,
    encode_end)
from ansible_collections.replkit.mariadb.plugins.module_utils.backup_receiver import (
    accept_allowed, address_allowed, authenticate_sender, bound_addresses, listen, loopback_only_name,
    normalize_address)
from ansible_collections.replkit.mariadb.plugins.module_utils.backup_sender import authenticate_receiver, await_answer, open_receivers
from ansible_collections.replkit.mariadb.plugins.module_utils.backup_transfer import StreamFailure, recv_exact

TOKEN = "t0ken-\u00e9'\"\\;"


class Side(threading.Thread):
    """Runs one side of the handshake in a thread and keeps its exception."""

    def __init__(self, target, *args):
        super().__init__(daemon=True)
        self.target, self.args, self.error = target, args, None
        self.start()

    def run(self):
        try:
            self.target(*self.args)
        except Exception as exc:  # the test asserts on it
            self.error = exc

    def result(self):
        self.join(10)
        assert not self.is_alive(), "the side did not finish"
        return self.error


def drain(conn):
    """Everything the peer writes until it closes."""
    data = bytearray()
    conn.settimeout(10)
    while True:
        try:
            piece = conn.recv(65536)
        except (ConnectionError, socket.timeout):
            break
        if not piece:
            break
        data.extend(piece)
    return bytes(data)


def sender_side(conn, token):
    authenticate_receiver(conn, token, "127.0.0.1", 4444)
    await_answer((conn, "127.0.0.1"), "this sender's proof of the token")


@pytest.fixture
def pair():
    sender, receiver = socket.socketpair()
    for conn in (sender, receiver):
        conn.settimeout(10)
    yield sender, receiver
    sender.close()
    receiver.close()


def test_right_token_authenticates_both_ways_then_frames_flow(pair):
    sender, receiver = pair
    send = Side(sender_side, sender, TOKEN)
    authenticate_sender(receiver, TOKEN, "127.0.0.1")
    assert send.result() is None
    sender.sendall(encode_data_header(8) + b"xbstream")  # the framing after the handshake is unchanged
    assert recv_exact(receiver, 9 + 8)[9:] == b"xbstream"


def test_wrong_token_fails_on_both_sides_naming_the_peer(pair):
    sender, receiver = pair
    send = Side(sender_side, sender, "not-" + TOKEN)
    with pytest.raises(StreamFailure) as received:
        authenticate_sender(receiver, TOKEN, "127.0.0.1")
    assert "rejected the connection from 127.0.0.1: the sender 127.0.0.1 refused this receiver's proof" in str(
        received.value)
    error = send.result()
    assert isinstance(error, StreamFailure)
    assert "the receiver 127.0.0.1 (port 4444) did not prove it knows the token" in str(error)
    assert "Nothing of the backup was sent" in str(error)


def test_wrong_token_at_the_receiver_an_impostor_sender_is_rejected(pair):
    """A client that skips the check of the receiver's proof and forges its own gets REJECT, and the receive fails."""
    impostor, receiver = pair
    impostor.sendall(SenderHandshake("guess").hello())
    receive = Side(authenticate_sender, receiver, TOKEN, "192.0.2.7")
    challenge = recv_exact(impostor, CHALLENGE_SIZE)
    assert challenge.startswith(MAGIC) and TOKEN.encode() not in challenge
    impostor.sendall(ACCEPT + bytes(PROOF_BYTES))
    assert recv_exact(impostor, 1) == REJECT
    error = receive.result()
    assert isinstance(error, StreamFailure)
    assert str(error).startswith("rejected the connection from 192.0.2.7: the sender 192.0.2.7 did not prove it "
                                 "knows the token (wrong token)")


def test_an_impostor_receiver_gets_a_hello_and_a_reject_and_nothing_else(pair):
    """Whoever answers on the receiver's port without the token gets no proof of the sender and no byte of data."""
    sender, impostor = pair
    send = Side(sender_side, sender, TOKEN)
    hello = recv_exact(impostor, HELLO_SIZE)
    assert hello.startswith(MAGIC) and TOKEN.encode() not in hello
    impostor.sendall(MAGIC + bytes(range(NONCE_BYTES)) + bytes(PROOF_BYTES))
    error = send.result()
    sender.close()  # what run_send's cleanup does
    assert isinstance(error, StreamFailure) and "did not prove it knows the token" in str(error)
    assert drain(impostor) == REJECT


def test_an_old_receiver_or_a_stranger_is_named():
    for answer, message in ((b"", "closed the connection before proving it knows the token"),
                            (b"HTTP/1.1 400 Bad Request\r\n", "does not speak the replkit backup stream protocol"),
                            (b"RKXB1\n", "speaks RKXB1")):
        sender, impostor = socket.socketpair()
        sender.settimeout(5)
        if answer:
            impostor.sendall(answer)
        impostor.shutdown(socket.SHUT_WR)
        with pytest.raises(StreamFailure, match=message):
            authenticate_receiver(sender, TOKEN, "127.0.0.1", 4444)
        sender.close()
        assert drain(impostor)[:len(MAGIC)] == MAGIC  # the hello, and nothing of the backup
        impostor.close()


def test_an_old_sender_is_named_by_the_receiver(pair):
    old_sender, receiver = pair
    old_sender.sendall(b"RKXB1\n\x00\x05token")
    with pytest.raises(StreamFailure, match="speaks RKXB1, the backup stream protocol of an older replkit"):
        authenticate_sender(receiver, TOKEN, "127.0.0.1")


def impostor_server(behaviour):
    """A listener on 127.0.0.1 that does ``behaviour(conn)`` with the first connection; returns (port, received)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    received = bytearray()

    def serve():
        conn, _peer = listener.accept()
        with conn:
            behaviour(conn)
            received.extend(drain(conn))
        listener.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], received, thread


def send_params(port, **overrides):
    params = dict(target_host=["127.0.0.1"], target_port=port, token=TOKEN, connect_timeout=5, timeout=600)
    params.update(overrides)
    return params


@pytest.mark.parametrize("behaviour, message", [
    (lambda conn: conn.sendall(MAGIC + b"\x01" * NONCE_BYTES + b"\x02" * PROOF_BYTES),
     "did not prove it knows the token"),
    (lambda conn: conn.shutdown(socket.SHUT_WR), "closed the connection before proving it knows the token"),
])
def test_open_receivers_sends_nothing_to_an_impostor_listener(behaviour, message):
    port, received, thread = impostor_server(behaviour)
    receivers = []
    with pytest.raises(StreamFailure, match=message):
        open_receivers(send_params(port), receivers)
    thread.join(10)
    assert receivers == []  # never joins the stream, gets no abort message either
    assert bytes(received[:len(MAGIC)]) == MAGIC
    assert bytes(received[HELLO_SIZE:]) in (REJECT, b"")  # the hello, then at most the refusal


def test_open_receivers_gives_up_on_a_silent_listener():
    release = threading.Event()
    port, received, thread = impostor_server(lambda conn: release.wait(10))
    with pytest.raises(StreamFailure, match=r"accepted the connection but did not prove it knows the token within 1"):
        open_receivers(send_params(port, timeout=1), [])
    release.set()
    thread.join(10)
    assert len(received) == HELLO_SIZE


def test_open_receivers_with_the_real_receiver():
    listeners = listen(dict(listen_address="127.0.0.1", listen_port=0))
    port = listeners[0].getsockname()[1]
    outcome = {}

    def receive():
        conn, peer = accept_allowed(listeners, {"127.0.0.1"}, 10, [])
        with conn:
            authenticate_sender(conn, TOKEN, peer)
            outcome["end"] = recv_exact(conn, 9)
            conn.sendall(ACCEPT)

    thread = threading.Thread(target=receive, daemon=True)
    thread.start()
    receivers = []
    open_receivers(send_params(port), receivers)
    (conn, host), = receivers
    conn.sendall(encode_end(0))
    await_answer((conn, host), "the end")
    thread.join(10)
    conn.close()
    listeners[0].close()
    assert outcome["end"] == encode_end(0)


# --- who may connect, and where the receiver listens ---------------------------------------------------------

@pytest.mark.parametrize("peer, allowed, expected", [
    ("127.0.0.1", {"127.0.0.1"}, True),
    ("::ffff:127.0.0.1", {"127.0.0.1"}, True),
    ("127.0.0.2", {"127.0.0.1"}, False),
    ("192.0.2.10", {"192.0.2.10", "2001:db8::1"}, True),
    ("2001:db8:0::1", {"2001:db8::1"}, True),
    ("fe80::1%eth0", {"fe80::1"}, True),
    ("not-an-address", {"127.0.0.1"}, False),
])
def test_address_allowed(peer, allowed, expected):
    assert address_allowed(peer, allowed) is expected


def test_normalize_address():
    assert normalize_address("::ffff:192.0.2.1") == "192.0.2.1"
    assert normalize_address("2001:DB8::0001") == "2001:db8::1"


def test_a_receiver_bound_to_one_address_is_not_reachable_on_another():
    listeners = listen(dict(listen_address="127.0.0.1", listen_port=0))
    try:
        port = listeners[0].getsockname()[1]
        assert bound_addresses(listeners) == ["127.0.0.1"]
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.2", port), timeout=5).close()
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        for listener in listeners:
            listener.close()


def test_a_name_is_resolved_and_an_address_of_another_host_refused():
    listeners = listen(dict(listen_address="localhost", listen_port=0))
    try:
        assert "127.0.0.1" in bound_addresses(listeners)
    finally:
        for listener in listeners:
            listener.close()
    with pytest.raises(StreamFailure, match=r"listen_address '198.51.100.7' is not an address of this host"):
        listen(dict(listen_address="198.51.100.7", listen_port=0))
    with pytest.raises(StreamFailure, match=r"listen_address 'no-such-host.invalid' does not resolve"):
        listen(dict(listen_address="no-such-host.invalid", listen_port=0))


def test_a_port_in_use_is_reported():
    taken = listen(dict(listen_address="127.0.0.1", listen_port=0))
    try:
        port = taken[0].getsockname()[1]
        with pytest.raises(StreamFailure, match="cannot listen on 127.0.0.1 port %d" % port):
            listen(dict(listen_address="127.0.0.1", listen_port=port))
    finally:
        taken[0].close()


def test_loopback_only_name():
    assert loopback_only_name("db2", ["127.0.1.1"])
    assert not loopback_only_name("db2", ["192.0.2.10"])
    assert not loopback_only_name("127.0.0.1", ["127.0.0.1"])  # an address given as such is meant
    assert not loopback_only_name("localhost", ["127.0.0.1"])
