# Helpers NixOS keeps in nixos/lib/utils.nix.
{ lib }:
rec {
  # A shell as it appears in /etc/passwd: a package through the system
  # profile, a path or string verbatim.
  toShellPath =
    shell:
    if lib.isDerivation shell then
      if shell ? shellPath then
        "/run/current-system/sw${shell.shellPath}"
      else
        throw "${shell.name or "package"} is not a shell package (it has no `shellPath')"
    else
      shell;

  # systemd's path escaping for mount and device unit names.
  escapeSystemdPath =
    s:
    let
      collapsed = lib.concatStringsSep "/" (builtins.filter (x: x != "") (lib.splitString "/" s));
      special = lib.stringToCharacters " !\"#$%&'()*+,;<=>@[\\]^`{|}~-";
      escaped = lib.escapeC special collapsed;
      dotted = if lib.hasPrefix "." escaped then "\\x2e" + builtins.substring 1 (-1) escaped else escaped;
    in
    if collapsed == "" then "-" else builtins.replaceStrings [ "/" ] [ "-" ] dotted;
}
