"""The local WebSocket API's writer (devtools/sockets.py) when the browser goes first."""

from __future__ import annotations

import socket
import threading

from websockets.frames import Close, CloseCode
from websockets.protocol import State
from websockets.server import ServerProtocol

from devtools.sockets import _Socket


def test_a_frame_queued_for_a_socket_the_browser_is_closing_ends_the_writer_quietly() -> None:
    """A reload in the middle of a streamed answer: the browser's close frame arrives while the
    answer's next frames are queued. The writer must stop and close the socket, not die with
    InvalidState in its thread (the frames are for a connection that is gone, as on AWS)."""
    ours, browsers = socket.socketpair()
    protocol = ServerProtocol()
    protocol.state = State.OPEN  # past the handshake, as the hub holds it
    protocol.send_close(CloseCode.GOING_AWAY, "reload")  # CLOSING, as after the browser's close
    assert protocol.close_sent == Close(CloseCode.GOING_AWAY, "reload")
    live = _Socket("c1", ours, protocol, "127.0.0.1", "test")
    failures: list[BaseException] = []

    def write() -> None:
        try:
            live.write_all()
        except BaseException as error:  # what the thread would have died of
            failures.append(error)

    writer = threading.Thread(target=write)
    writer.start()
    live.queue_text('{"type": "answer.delta", "text": "Returns are free"}')
    writer.join(5)
    assert not writer.is_alive() and failures == []
    assert live.closed.is_set()
    browsers.close()
