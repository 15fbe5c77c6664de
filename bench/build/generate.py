#!/usr/bin/env python3
"""Writes a configuration with USERS users and CONTAINERS containers (each
with two users and a service) to stdout: the `nixcfg build` benchmark."""
import sys

users = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
containers = int(sys.argv[2]) if len(sys.argv) > 2 else 100
out = ["{ pkgs, lib, ... }:", "{"]
out.append('  networking.hostName = "bench";')
out.append("  users.groups.staff.gid = 3000;")
for i in range(users):
    wheel = ' "wheel"' if i % 50 == 0 else ""
    out.append(
        f'  users.users.user{i} = {{ isNormalUser = true; uid = {2000 + i}; '
        f'description = "User {i}"; extraGroups = [ "staff"{wheel} ]; '
        f'openssh.authorizedKeys.keys = [ "ssh-ed25519 AAAAC3Nza{i:08d} user{i}@bench" ]; }};'
    )
out.append("  services.openssh.enable = true;")
for c in range(containers):
    n = c + 1
    out.append(f"  containers.c{c} = {{")
    out.append("    autoStart = true; privateNetwork = true;")
    out.append(f'    hostAddress = "10.{n // 250}.{n % 250}.1"; localAddress = "10.{n // 250}.{n % 250}.2";')
    out.append("    config = {")
    out.append(f'      users.users.app = {{ isSystemUser = true; group = "app"; uid = 500; }};')
    out.append("      users.groups.app.gid = 500;")
    out.append(f"      users.users.ops = {{ isNormalUser = true; extraGroups = [ \"wheel\" ]; }};")
    out.append(f'      systemd.services.app = {{ description = "App Server {c}"; wantedBy = [ "multi-user.target" ];')
    out.append(f'        environment.PORT = "{8000 + c}"; script = "exec /bin/sleep infinity"; }};')
    out.append("    };")
    out.append("  };")
out.append("}")
print("\n".join(out))
