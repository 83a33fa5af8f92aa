#!/usr/bin/env python3
"""firedrill's reading of Ansible inventories against Ansible's own.

For each inventory given, runs `ansible-inventory --list` (ansible-core: the
variables Ansible resolves for every host, group_vars and host_vars included) and
`firedrill inventory show --json` (through a scenario-style mapping naming the
datacenter variable), and checks that every host reached over SSH has the address,
user, port, identity, sudo, jump host, datacenter and roles Ansible's variables say.

usage: compare.py FIREDRILL DATACENTER_VAR INVENTORY...
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile


def ansible_view(path):
    env = dict(os.environ, ANSIBLE_INVENTORY_ENABLED="ini,yaml", ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    out = subprocess.run(["ansible-inventory", "-i", path, "--list"], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def group_closure(data):
    """host -> every group it is in, through children, without all and ungrouped."""
    parents = {}
    for g, body in data.items():
        if g == "_meta":
            continue
        for c in body.get("children", []):
            parents.setdefault(c, set()).add(g)
    member = {}
    for g, body in data.items():
        if g == "_meta":
            continue
        for h in body.get("hosts", []):
            todo, seen = [g], set()
            while todo:
                x = todo.pop()
                if x in seen:
                    continue
                seen.add(x)
                todo.extend(parents.get(x, ()))
            member.setdefault(h, set()).update(seen)
    return {h: gs - {"all", "ungrouped"} for h, gs in member.items()}


def jump_of(hv):
    for key in ("ansible_ssh_common_args", "ansible_ssh_extra_args"):
        words = shlex.split(str(hv.get(key, "")))
        for i, w in enumerate(words):
            opt = words[i + 1] if w in ("-o", "-J") and i + 1 < len(words) else None
            if w == "-J" and opt:
                return norm_jump(opt)
            if w == "-o" and opt and opt.lower().startswith("proxyjump"):
                return norm_jump(re.split(r"[= ]", opt, 1)[1])
            if w == "-o" and opt and opt.lower().startswith("proxycommand"):
                cmd = shlex.split(re.split(r"[= ]", opt, 1)[1])
                port = cmd[cmd.index("-p") + 1] if "-p" in cmd else "22"
                return norm_jump(cmd[-1] + ":" + port)
    return None


def norm_jump(s):
    return s if re.search(r":\d+$", s) else s + ":22"


def truthy(v):
    return str(v).lower() in ("true", "yes", "on", "1", "y")


def expected(path, dc_var):
    data = ansible_view(path)
    hostvars = data["_meta"]["hostvars"]
    groups = group_closure(data)
    inv_dir = os.path.dirname(os.path.abspath(path))
    want = {}
    for h, hv in hostvars.items():
        if hv.get("ansible_connection") == "local":
            continue
        key = hv.get("ansible_ssh_private_key_file")
        want[h] = {
            "address": hv.get("ansible_host", h),
            "user": hv.get("ansible_user"),
            "port": int(hv["ansible_port"]) if "ansible_port" in hv else None,
            "identity": os.path.join(inv_dir, key) if key else None,
            "sudo": truthy(hv.get("ansible_become", False)),
            "jump": jump_of(hv),
            "datacenter": hv.get(dc_var),
            "roles": sorted(groups.get(h, set())),
        }
    return want


def firedrill_view(binary, path, dc_var):
    with tempfile.TemporaryDirectory() as tmp:
        wrapper = os.path.join(tmp, "inventory.yaml")
        with open(wrapper, "w") as f:
            json.dump({"ansible": os.path.abspath(path), "datacenter_var": dc_var}, f)
        out = subprocess.run([binary, "inventory", "show", wrapper, "--json"], check=True,
                             capture_output=True, text=True).stdout
    got = {}
    for h in json.loads(out):
        got[h["name"]] = {k: h[k] for k in ("address", "user", "port", "identity", "sudo",
                                            "jump", "datacenter")}
        got[h["name"]]["roles"] = sorted(h["roles"])
    return got


def main():
    binary, dc_var, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
    failures = 0
    for path in paths:
        want, got = expected(path, dc_var), firedrill_view(binary, path, dc_var)
        if sorted(want) != sorted(got):
            print(f"{path}: hosts differ: Ansible {sorted(want)}, firedrill {sorted(got)}")
            failures += 1
            continue
        for h in want:
            for k in want[h]:
                if want[h][k] != got[h][k]:
                    print(f"{path}: {h}: {k}: Ansible says {want[h][k]!r}, "
                          f"firedrill {got[h][k]!r}")
                    failures += 1
        print(f"{path}: {len(want)} hosts agree with ansible-inventory")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
