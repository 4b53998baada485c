"""`TlsLayer` without a network: a server made of the standard library's `ssl.SSLObject` over
memory, the bytes between the two handed over by the test, so that every split, order and fault
is exact: a handshake of several round trips, records cut into single bytes, session tickets
before the first answer, close_notify, refused certificates, bytes that are not TLS."""

from __future__ import annotations

import contextlib
import ssl
from pathlib import Path

import pytest

from mesg_pusher.pusher.transport._tls_layer import TlsLayer
from tests.support.tls import TestCertificates, make_certificates

REQUEST = b"POST /apps/1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}"
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"


class Server:
    """The server's end of one TLS connection, in memory."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_side=True)

    def take(self, data: bytes) -> bytes:
        """Bytes from the client in; the server's bytes in return (its handshake goes on)."""
        self.incoming.write(data)
        with contextlib.suppress(ssl.SSLWantReadError):
            self.tls.do_handshake()
        return self.outgoing.read()

    def read(self, data: bytes) -> bytes:
        self.incoming.write(data)
        try:
            return self.tls.read(65536)
        except ssl.SSLWantReadError:
            return b""

    def records(self, plaintext: bytes) -> bytes:
        self.tls.write(plaintext)
        return self.outgoing.read()


def one_byte_at_a_time(layer: TlsLayer, data: bytes) -> bytes:
    """`data` given to the layer one byte per call: the plaintext that came out, in order."""
    return b"".join(layer.receive(data[i : i + 1]) for i in range(len(data)))


def handshake(layer: TlsLayer, server: Server) -> int:
    """The handshake carried to its end; how many flights the client sent."""
    flights = 0
    to_server = layer.start()
    while to_server:
        flights += 1
        to_client = server.take(to_server)
        assert layer.receive(to_client) == b""
        to_server = layer.outgoing
    assert layer.handshaken
    return flights


@pytest.fixture
def client(certificates: TestCertificates) -> TlsLayer:
    return TlsLayer(certificates.client_context(), "127.0.0.1")


@pytest.fixture
def server(certificates: TestCertificates) -> Server:
    return Server(certificates.server_context())


def test_records_cut_into_single_bytes_still_make_the_handshake_and_the_answer(
    client: TlsLayer, server: Server
) -> None:
    to_client = server.take(client.start())
    assert one_byte_at_a_time(client, to_client) == b""
    assert client.handshaken
    tickets = server.take(client.outgoing)  # the client's Finished in, session tickets out
    assert server.read(client.send(REQUEST)) == REQUEST
    records = tickets + server.records(ANSWER)
    assert one_byte_at_a_time(client, records[:-1]) == b""  # the last byte has not come
    assert client.receive(records[-1:]) == ANSWER


def test_a_handshake_the_server_makes_retry_takes_two_round_trips(
    certificates: TestCertificates, client: TlsLayer
) -> None:
    context = certificates.server_context()
    context.set_ecdh_curve("prime256v1")  # not the client's first key share: HelloRetryRequest
    server = Server(context)
    assert handshake(client, server) == 3  # ClientHello, ClientHello again, Finished
    assert server.read(client.send(REQUEST)) == REQUEST


def test_a_tls_1_2_handshake_takes_two_round_trips(
    certificates: TestCertificates, client: TlsLayer
) -> None:
    context = certificates.server_context()
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    server = Server(context)
    assert handshake(client, server) == 2
    assert server.read(client.send(REQUEST)) == REQUEST
    assert client.receive(server.records(ANSWER)) == ANSWER


def test_session_tickets_before_the_first_answer_are_taken_in_the_same_read(
    client: TlsLayer, server: Server
) -> None:
    assert client.receive(server.take(client.start())) == b""
    tickets = server.take(client.outgoing)  # the server has the client's Finished
    assert tickets
    assert server.read(client.send(REQUEST)) == REQUEST
    assert client.receive(tickets + server.records(ANSWER)) == ANSWER


def test_tickets_alone_give_no_plaintext_and_leave_nothing_behind(
    client: TlsLayer, server: Server
) -> None:
    assert client.receive(server.take(client.start())) == b""
    tickets = server.take(client.outgoing)
    assert client.receive(tickets) == b""
    assert client.outgoing == b""
    assert not client.peer_closed


def test_close_notify_after_an_answer(client: TlsLayer, server: Server) -> None:
    handshake(client, server)
    records = server.records(ANSWER)
    with pytest.raises(ssl.SSLWantReadError):
        server.tls.unwrap()  # the server's close_notify, its own side closed
    records += server.outgoing.read()
    assert client.receive(records) == ANSWER
    assert client.peer_closed


def test_closing_says_close_notify(client: TlsLayer, server: Server) -> None:
    handshake(client, server)
    goodbye = client.close()
    assert goodbye
    assert server.read(goodbye) == b""  # the server sees the client's close_notify


def test_nothing_to_say_when_the_handshake_never_finished(client: TlsLayer) -> None:
    client.start()
    assert client.close() == b""


def test_a_certificate_from_another_ca_is_refused_with_an_alert(
    tmp_path: Path, client: TlsLayer
) -> None:
    other = make_certificates(tmp_path / "other")
    server = Server(other.server_context())
    with pytest.raises(ssl.SSLCertVerificationError) as caught:
        client.receive(server.take(client.start()))
    assert caught.value.verify_message == "unable to get local issuer certificate"
    assert client.outgoing  # the alert, for the server
    assert not client.handshaken


def test_a_certificate_for_another_name_is_refused(
    certificates: TestCertificates, server: Server
) -> None:
    client = TlsLayer(certificates.client_context(), "pusher.example")
    with pytest.raises(ssl.SSLCertVerificationError) as caught:
        client.receive(server.take(client.start()))
    assert "mismatch" in (caught.value.verify_message or "")


def test_bytes_that_are_not_tls_are_refused(client: TlsLayer) -> None:
    client.start()
    with pytest.raises(ssl.SSLError) as caught:
        client.receive(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    assert caught.value.reason == "WRONG_VERSION_NUMBER"


def test_a_record_altered_on_the_way_is_refused(client: TlsLayer, server: Server) -> None:
    handshake(client, server)
    records = bytearray(server.records(ANSWER))
    records[-1] ^= 1
    with pytest.raises(ssl.SSLError) as caught:
        client.receive(bytes(records))
    assert caught.value.reason == "DECRYPTION_FAILED_OR_BAD_RECORD_MAC"


def test_nothing_can_be_sent_once_closed(client: TlsLayer, server: Server) -> None:
    handshake(client, server)
    client.close()
    with pytest.raises(ssl.SSLError):
        client.send(REQUEST)
