# A small expression to try the evaluator on: users as NixOS would list
# them, with their home directories and a JSON rendering.
let
  users = {
    alice = { uid = 1000; isNormalUser = true; extraGroups = [ "wheel" ]; };
    bob = { uid = 1001; isNormalUser = true; extraGroups = [ ]; };
  };
  home = name: "/home/${name}";
in
{
  passwd = builtins.concatStringsSep "\n" (
    builtins.attrValues (
      builtins.mapAttrs (name: u: "${name}:x:${toString u.uid}:100::${home name}:/run/current-system/sw/bin/bash") users
    )
  );
  admins = builtins.filter (n: builtins.elem "wheel" users.${n}.extraGroups) (builtins.attrNames users);
  json = builtins.toJSON users;
}
