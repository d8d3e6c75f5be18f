"""A tiny authoritative DNS server on loopback UDP that answers TXT queries from a dict.

Custom-domain verification really talks DNS in tests: the application's resolver (dnspython) is
pointed here with DNS_NAMESERVERS=127.0.0.1:<port>. Queries are parsed and answered with
dnspython's own message code, so what is on the wire is ordinary DNS. Names without records get
NXDOMAIN; other record types get an empty answer.
"""

from __future__ import annotations

import socketserver
import threading
from typing import Any


def _key(name: str) -> str:
    return name.lower().rstrip(".")


def _txt_rdata(value: str) -> str:
    """One TXT record in zone-file syntax: quoted character strings of at most 255 bytes each."""
    chunks = [value[i : i + 200] for i in range(0, len(value), 200)] or [""]
    return " ".join('"' + chunk.replace("\\", "\\\\").replace('"', '\\"') + '"' for chunk in chunks)


class FakeDns:
    def __init__(self, records: dict[str, list[str]] | None = None) -> None:
        self.records: dict[str, list[str]] = {_key(k): list(v) for k, v in (records or {}).items()}
        self.queries: list[str] = []
        self._server: socketserver.UDPServer | None = None
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        assert self._server is not None, "the server is not started"
        return int(self._server.server_address[1])

    @property
    def nameserver(self) -> str:
        """The value for DNS_NAMESERVERS."""
        return f"127.0.0.1:{self.port}"

    def set_txt(self, name: str, *values: str) -> None:
        with self._lock:
            self.records[_key(name)] = list(values)

    def remove(self, name: str) -> None:
        with self._lock:
            self.records.pop(_key(name), None)

    def answer(self, wire: bytes) -> bytes:
        import dns.flags
        import dns.message
        import dns.rcode
        import dns.rdatatype
        import dns.rrset

        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        for question in query.question:
            name = _key(question.name.to_text())
            self.queries.append(name)
            with self._lock:
                values = self.records.get(name)
            if values is None:
                response.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.TXT and values:
                rdatas = [_txt_rdata(value) for value in values]
                response.answer.append(dns.rrset.from_text(question.name, 60, "IN", "TXT", *rdatas))
        return response.to_wire()

    def start(self) -> FakeDns:
        fake = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                try:
                    reply = fake.answer(data)
                except Exception:  # a garbled packet gets no answer, like from a real server
                    return
                sock.sendto(reply, self.client_address)

        self._server = socketserver.ThreadingUDPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True, name="fake-dns").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeDns:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()
