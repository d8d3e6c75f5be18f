"""What the widget and the console get before they open a socket."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RealtimeTicketOut(BaseModel):
    ticket: str = Field(description="Present it as a WebSocket subprotocol, after `buzzi.v1`.")
    url: str = Field(description="Where to open the socket.")
    expires_in: int = Field(description="Seconds the ticket stays valid; it is good for one connection.")
