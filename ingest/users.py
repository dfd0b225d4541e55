"""`python -m ingest users add|remove|list|assign|unassign|firm`: who may sign in, their role and clients.

Users live in the workspace (``store.access``); the deployed dashboard lets a signed-in address in
only when it is listed here (or added on the Data page by a consultant).
"""
from __future__ import annotations

import argparse
import sys

from store import Store, StoreBusyError, access

EXIT_OK, EXIT_BAD_INPUT, EXIT_BUSY = 0, 3, 7


def add_parser(sub) -> None:
    """Register the ``users`` job and its actions on the CLI's subparsers."""
    p = sub.add_parser("users", help="who may sign in: add, remove, list users; assign clients; set a client's firm")
    acts = p.add_subparsers(dest="users_action", required=True, metavar="ACTION")
    a = acts.add_parser("add", help="add a user or change their role (consultant, analyst, executive)")
    a.add_argument("email", help="the address the user signs in with")
    a.add_argument("--role", required=True, choices=list(access.ROLES), help="; ".join(
        f"{k}: {v}" for k, v in access.ROLES.items()))
    a.add_argument("--name", help="display name")
    a.add_argument("--firm", help="consulting firm (a consultant sees every client of their firm)")
    a.add_argument("--client", action="append", default=[], help="assign a client (repeatable)")
    r = acts.add_parser("remove", help="remove a user and their assignments (their audit rows stay)")
    r.add_argument("email")
    acts.add_parser("list", help="list users, roles, firms and assigned clients")
    for name, text in (("assign", "give a user access to a client"), ("unassign", "take a client away")):
        s = acts.add_parser(name, help=text)
        s.add_argument("email")
        s.add_argument("client", help="client_id")
    f = acts.add_parser("firm", help="set the consulting firm that serves a client ('' clears it)")
    f.add_argument("client", help="client_id")
    f.add_argument("firm")


def run(store: Store, args: argparse.Namespace) -> int:
    """Carry out one ``users`` action; prints one line (or the list) and returns the exit code."""
    try:
        store.init()
        what = args.users_action
        if what == "add":
            with store.transaction():  # all or nothing: an unknown client leaves no half-added user
                verb = access.add_user(store, args.email, args.role, name=args.name, firm=args.firm)
                for client in args.client:
                    access.assign_client(store, args.email, client)
            email = access.normalise_email(args.email)
            clients = f", clients {', '.join(args.client)}" if args.client else ""
            print(f"users add: {verb} {email} as {args.role}{f' of {args.firm}' if args.firm else ''}{clients}")
        elif what == "remove":
            access.remove_user(store, args.email)
            print(f"users remove: removed {access.normalise_email(args.email)}")
        elif what in ("assign", "unassign"):
            access.assign_client(store, args.email, args.client, remove=what == "unassign")
            print(f"users {what}: {access.normalise_email(args.email)} {'+' if what == 'assign' else '-'} {args.client}")
        elif what == "firm":
            access.set_client_firm(store, args.client, args.firm)
            print(f"users firm: {args.client} served by {args.firm or 'no firm'}")
        else:
            frame = access.users(store)
            if frame.empty:
                print("no users yet: add one with `python -m ingest users add EMAIL --role consultant --firm FIRM`")
            else:
                print(frame[["email", "role", "firm", "name", "clients", "disabled"]].fillna("").to_string(index=False))
    except access.AccessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(f"users {args.users_action}: failed (input rejected), exit code {EXIT_BAD_INPUT}")
        return EXIT_BAD_INPUT
    except StoreBusyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(f"users {args.users_action}: failed (workspace locked by another process), exit code {EXIT_BUSY}")
        return EXIT_BUSY
    return EXIT_OK
