# Every module of nixcfg's NixOS subset.
[
  ./misc/assertions.nix
  ./misc/ids.nix
  ./misc/version.nix
  ./misc/unsupported.nix
  ./config/users-groups.nix
  ./config/networking.nix
  ./config/system-path.nix
  ./system/boot.nix
  ./system/etc.nix
  ./system/systemd.nix
  ./system/tree.nix
  ./services/openssh.nix
  ./virtualisation/containers.nix
]
