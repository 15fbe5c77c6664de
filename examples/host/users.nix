{ pkgs, ... }:
{
  users.mutableUsers = false;
  users.users.root.hashedPassword = "!";
  users.users.alice = {
    isNormalUser = true;
    description = "Alice (operations)";
    extraGroups = [ "wheel" "ops" ];
    hashedPassword = "$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/O6IND4WQhG.";
    openssh.authorizedKeys.keys = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyOfAlice alice@laptop" ];
  };
  users.users.bob = {
    isNormalUser = true;
    description = "Bob (developer)";
    extraGroups = [ "ops" ];
    shell = pkgs.zsh;
    hashedPasswordFile = "/run/secrets/bob-password";
  };
  users.users.backup = {
    isSystemUser = true;
    group = "backup";
    home = "/var/backups";
  };
  users.groups.ops.gid = 2000;
  users.groups.backup = { };
}
