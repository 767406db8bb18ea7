#!/usr/bin/env python3
"""Dump a running redis-server's command table as moat's declaration data.

Usage:
    redis-server --port 6399 --save '' --appendonly no &
    python3 crates/commands/tools/dump_commands.py --port 6399 \
        > crates/commands/data/redis-7.0.15.json

Why a dump and not hand-written data: the reference server is the ground
truth for what `COMMAND INFO` / `COMMAND DOCS` say, so the data is taken
from it verbatim and then turned back into the *declaration* shape Redis's
own `src/commands/*.json` uses:

* ACL categories implied by flags (WRITE -> @write, FAST -> @fast, not fast
  -> @slow, ...) are removed, so the data holds what was declared and the
  table derives the rest exactly as Redis does at startup.
* `movablekeys` is removed from the flags: Redis derives it from the key
  specs and the presence of a key-extraction function, and so does moat.
* Flags Redis hides from `COMMAND INFO` (PROTECTED, MAY_REPLICATE) and the
  name of the key-extraction function cannot be observed on the wire; they
  are added from the small tables below, copied from Redis's JSON files.

Standard library only; speaks RESP3 over a plain socket.
"""

import argparse
import json
import socket
import sys

# Not visible in COMMAND INFO (hidden on purpose by Redis); from src/commands/*.json.
HIDDEN_FLAGS = {
    "debug": ["PROTECTED"],
    "module|load": ["PROTECTED"],
    "module|loadex": ["PROTECTED"],
    "module|unload": ["PROTECTED"],
    "eval": ["MAY_REPLICATE"],
    "evalsha": ["MAY_REPLICATE"],
    "fcall": ["MAY_REPLICATE"],
    "publish": ["MAY_REPLICATE"],
    "spublish": ["MAY_REPLICATE"],
    "pfcount": ["MAY_REPLICATE"],
    "script|flush": ["MAY_REPLICATE"],
    "script|load": ["MAY_REPLICATE"],
}

# "get_keys_function" of Redis's JSON: the per-command key extractor.
GET_KEYS_FUNCTIONS = {
    "zunionstore": "zunionInterDiffStoreGetKeys",
    "zinterstore": "zunionInterDiffStoreGetKeys",
    "zdiffstore": "zunionInterDiffStoreGetKeys",
    "zunion": "zunionInterDiffGetKeys",
    "zinter": "zunionInterDiffGetKeys",
    "zdiff": "zunionInterDiffGetKeys",
    "zintercard": "zunionInterDiffGetKeys",
    "eval": "evalGetKeys",
    "evalsha": "evalGetKeys",
    "eval_ro": "evalGetKeys",
    "evalsha_ro": "evalGetKeys",
    "fcall": "functionGetKeys",
    "fcall_ro": "functionGetKeys",
    "lmpop": "lmpopGetKeys",
    "blmpop": "blmpopGetKeys",
    "zmpop": "zmpopGetKeys",
    "bzmpop": "bzmpopGetKeys",
    "sintercard": "sintercardGetKeys",
    "sort": "sortGetKeys",
    "sort_ro": "sortROGetKeys",
    "migrate": "migrateGetKeys",
    "georadius": "georadiusGetKeys",
    "georadiusbymember": "georadiusGetKeys",
    "xread": "xreadGetKeys",
    "xreadgroup": "xreadGetKeys",
    "set": "setGetKeys",
    "bitfield": "bitfieldGetKeys",
}


class Resp3:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port))
        self.buf = b""

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self.read()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2 :]
        return data

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"("):
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind in (b"$", b"="):
            n = int(rest)
            return None if n < 0 else self._exact(n).decode()
        if kind == b"_":
            return None
        if kind in (b"*", b"~", b">"):
            return [self.read() for _ in range(int(rest))]
        if kind == b"%":
            return [(self.read(), self.read()) for _ in range(int(rest))]
        raise RuntimeError("unexpected RESP type %r" % kind)


def pairs_to_dict(pairs):
    return {k: v for k, v in pairs}


def declared_categories(flags, shown):
    """Undoes setImplicitACLCategories: keeps what the JSON declared."""
    cats = [c[1:] for c in shown]
    implied = set()
    if "write" in flags:
        implied.add("write")
    if "readonly" in flags and "scripting" not in cats:
        implied.add("read")
    if "admin" in flags:
        implied |= {"admin", "dangerous"}
    if "pubsub" in flags:
        implied.add("pubsub")
    if "fast" in flags:
        implied.add("fast")
    if "blocking" in flags:
        implied.add("blocking")
    if "fast" not in cats:
        implied.add("slow")
    return [c.upper() for c in cats if c not in implied]


def key_spec(spec):
    spec = pairs_to_dict(spec)
    out = {}
    if "notes" in spec:
        out["notes"] = spec["notes"]
    out["flags"] = [f.upper() for f in spec["flags"]]
    bs = pairs_to_dict(spec["begin_search"])
    bs_spec = pairs_to_dict(bs["spec"])
    if bs["type"] == "index":
        out["begin_search"] = {"index": {"pos": bs_spec["index"]}}
    elif bs["type"] == "keyword":
        out["begin_search"] = {
            "keyword": {"keyword": bs_spec["keyword"], "startfrom": bs_spec["startfrom"]}
        }
    else:
        out["begin_search"] = {"unknown": None}
    fk = pairs_to_dict(spec["find_keys"])
    fk_spec = pairs_to_dict(fk["spec"])
    if fk["type"] == "range":
        out["find_keys"] = {
            "range": {
                "lastkey": fk_spec["lastkey"],
                "step": fk_spec["keystep"],
                "limit": fk_spec["limit"],
            }
        }
    elif fk["type"] == "keynum":
        out["find_keys"] = {
            "keynum": {
                "keynumidx": fk_spec["keynumidx"],
                "firstkey": fk_spec["firstkey"],
                "step": fk_spec["keystep"],
            }
        }
    else:
        out["find_keys"] = {"unknown": None}
    return out


def argument(arg):
    arg = pairs_to_dict(arg)
    out = {"name": arg["name"], "type": arg["type"]}
    for field in ("display_text", "key_spec_index", "token", "summary", "since", "deprecated_since"):
        if field in arg:
            out["display" if field == "display_text" else field] = arg[field]
    for flag in arg.get("flags", []):
        out[flag] = True
    if "arguments" in arg:
        out["arguments"] = [argument(a) for a in arg["arguments"]]
    return out


def declaration(info, docs):
    (fullname, arity, flags, _first, _last, _step, cats, tips, specs, subs) = info
    docs = pairs_to_dict(docs or [])
    out = {}
    for field in ("summary", "since", "group", "complexity"):
        if field in docs:
            out[field] = docs[field]
    if "doc_flags" in docs:
        out["doc_flags"] = [f.upper() for f in docs["doc_flags"]]
    for field in ("deprecated_since", "replaced_by"):
        if field in docs:
            out[field] = docs[field]
    if "history" in docs:
        out["history"] = [list(h) for h in docs["history"]]
    out["arity"] = arity
    shown_flags = [f for f in flags if f != "movablekeys"]
    command_flags = [f.upper() for f in shown_flags] + HIDDEN_FLAGS.get(fullname, [])
    if command_flags:
        out["command_flags"] = command_flags
    categories = declared_categories(flags, cats)
    if categories:
        out["acl_categories"] = categories
    if tips:
        out["command_tips"] = [t.upper() for t in tips]
    if specs:
        out["key_specs"] = [key_spec(s) for s in specs]
    if fullname in GET_KEYS_FUNCTIONS:
        out["get_keys_function"] = GET_KEYS_FUNCTIONS[fullname]
    if "arguments" in docs:
        out["arguments"] = [argument(a) for a in docs["arguments"]]
    if subs:
        sub_docs = pairs_to_dict(docs.get("subcommands", []))
        out["subcommands"] = {
            sub[0].split("|", 1)[1].upper(): declaration(sub, sub_docs.get(sub[0]))
            for sub in sorted(subs, key=lambda s: s[0])
        }
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6379)
    args = parser.parse_args()
    conn = Resp3(args.host, args.port)
    conn.call("HELLO", "3")
    infos = conn.call("COMMAND", "INFO")
    docs = pairs_to_dict(conn.call("COMMAND", "DOCS"))
    table = {}
    for info in sorted(infos, key=lambda i: i[0]):
        table[info[0].upper()] = declaration(info, docs.get(info[0]))
    json.dump(table, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
