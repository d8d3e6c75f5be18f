"""Team management (console): members, roles and access, invitations, the signed-in user's profile."""

from __future__ import annotations

import uuid

from chatapp.api.access import ADMIN
from chatapp.api.app import create_app, lambda_handler
from chatapp.api.auth import Authenticated
from chatapp.companies import team
from chatapp.companies.team_schemas import (
    InvitationAcceptIn,
    InvitationIn,
    InvitationOut,
    MemberOut,
    MemberPatch,
    ProfilePatch,
)
from chatapp.db.audit_trail import current_request
from chatapp.identity import invitations
from chatapp.identity.schemas import SessionIssuedOut
from chatapp.identity.sign_in import Caller

app = create_app("team")


@app.get("/v1/team/members", response_model=list[MemberOut])
async def list_members(principal: Authenticated) -> list[MemberOut]:
    return team.list_members(principal)


@app.patch("/v1/team/members/{user_id}", response_model=MemberOut, tags=[ADMIN])
async def update_member(user_id: uuid.UUID, body: MemberPatch, principal: Authenticated) -> MemberOut:
    return team.update_member(principal, user_id, body)


@app.patch("/v1/team/me", response_model=MemberOut)
async def update_profile(body: ProfilePatch, principal: Authenticated) -> MemberOut:
    return team.update_profile(principal, body)


@app.get("/v1/team/invitations", response_model=list[InvitationOut])
async def list_invitations(principal: Authenticated) -> list[InvitationOut]:
    return team.list_invitations(principal)


@app.post("/v1/team/invitations", response_model=InvitationOut, status_code=201, tags=[ADMIN])
async def invite(body: InvitationIn, principal: Authenticated) -> InvitationOut:
    return team.invite(principal, body)


@app.post("/v1/team/invitations/{invitation_id}/resend", response_model=InvitationOut, tags=[ADMIN])
async def resend(invitation_id: uuid.UUID, principal: Authenticated) -> InvitationOut:
    return team.resend(principal, invitation_id)


@app.delete("/v1/team/invitations/{invitation_id}", response_model=InvitationOut, tags=[ADMIN])
async def revoke(invitation_id: uuid.UUID, principal: Authenticated) -> InvitationOut:
    return team.revoke(principal, invitation_id)


@app.post("/v1/team/invitations/accept", response_model=SessionIssuedOut, status_code=201)
async def accept(body: InvitationAcceptIn) -> SessionIssuedOut:
    request = current_request.get()
    return invitations.accept(body, Caller(ip=request.ip, user_agent=request.user_agent))


handler = lambda_handler(app)
