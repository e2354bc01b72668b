"""nexloo.core.webhooks: the post goes to the address that was checked. A name is resolved once;
one that answers a public address to the check and a private one afterwards (DNS rebinding)
cannot steer the post inside. The Host header, TLS's SNI and the certificate check keep the name.
DNS is outside the machine, so the resolver is what the tests replace."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from nexloo.core import webhooks

NAME = "hooks.example.test"
PUBLIC = "8.8.8.8"  # what the name answers the check


class Receiver:
    """A real HTTP(S) server on 127.0.0.1 recording the posts it receives."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def resolver(monkeypatch):
    """Replaces DNS: `answers[name]` is the list of addresses given, one list per lookup (the
    last one repeats); every lookup is recorded. Numeric hosts resolve to themselves, except
    PUBLIC, which stands for a public machine that cannot be reached from here."""
    real = socket.getaddrinfo
    answers: dict[str, list[list[str]]] = {}
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        host = host.decode() if isinstance(host, bytes) else host
        lookups.append(host)
        if host == PUBLIC:
            raise OSError("unreachable from the tests")
        if host in answers:
            queue = answers[host]
            given = queue.pop(0) if len(queue) > 1 else queue[0]
            return [
                (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port))
                for a in given
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers, lookups


def test_a_name_rebinding_to_a_private_address_after_the_check_is_not_followed(resolver, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    answers, lookups = resolver
    inside = Receiver()  # a private service the name points to once it has been checked
    try:
        answers[NAME] = [[PUBLIC], ["127.0.0.1"]]
        with pytest.raises(webhooks.TransientWebhookError):
            webhooks.post(f"http://{NAME}:{inside.port}/hook", {"a": 1}, secret="s")
        assert inside.received == []
        # The name was looked up once (the check); the connection went to the checked address.
        assert lookups.count(NAME) == 1 and PUBLIC in lookups
    finally:
        inside.close()


def test_a_name_resolving_to_a_private_address_is_refused(resolver, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    answers, _lookups = resolver
    answers[NAME] = [["10.1.2.3"]]
    with pytest.raises(webhooks.WebhookRefused):
        webhooks.post(f"https://{NAME}/hook", {}, secret="s")


def test_the_host_header_keeps_the_name_and_port(resolver, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True  # the receiver is on this machine
    answers, lookups = resolver
    receiver = Receiver()
    try:
        answers[NAME] = [["127.0.0.1"]]
        delivered = webhooks.post(f"http://{NAME}:{receiver.port}/hook?x=1", {}, secret="s")
        assert delivered.status == 200
        assert receiver.received[0]["headers"]["Host"] == f"{NAME}:{receiver.port}"
        assert lookups.count(NAME) == 1
    finally:
        receiver.close()


def _certificate(tmp_path, name: str) -> tuple[ssl.SSLContext, str]:
    """A self-signed certificate for `name`: the server's TLS context and the CA file."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=365 * 30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file = tmp_path / "cert.pem"
    key_file = tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, str(cert_file)


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch, settings, resolver):
    """An HTTPS receiver on 127.0.0.1 whose certificate is for `name`, trusted by requests."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    answers, _lookups = resolver
    made = []

    def _make(name: str) -> Receiver:
        context, ca_file = _certificate(tmp_path, name)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca_file)
        seen: list[str | None] = []
        context.sni_callback = lambda sock, server_name, ctx: seen.append(server_name)
        receiver = Receiver(tls=context)
        receiver.sni = seen
        answers[NAME] = [["127.0.0.1"]]
        made.append(receiver)
        return receiver

    yield _make
    for receiver in made:
        receiver.close()


def test_tls_sends_and_verifies_the_name_over_the_pinned_address(tls_receiver):
    receiver = tls_receiver(NAME)
    delivered = webhooks.post(f"https://{NAME}:{receiver.port}/hook", {"a": 1}, secret="s")
    assert delivered.status == 200
    assert receiver.sni == [NAME]
    assert receiver.received[0]["headers"]["Host"] == f"{NAME}:{receiver.port}"


def test_a_certificate_for_another_name_is_refused(tls_receiver):
    receiver = tls_receiver("other.example.test")
    with pytest.raises(webhooks.TransientWebhookError):
        webhooks.post(f"https://{NAME}:{receiver.port}/hook", {}, secret="s")
    assert receiver.received == []
