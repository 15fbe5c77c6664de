# A host with two containers, users, groups and services.
#   nixcfg build examples/host/configuration.nix -o result
#   nixcfg check examples/host/configuration.nix
{ config, lib, pkgs, ... }:
{
  imports = [
    ./users.nix
    ./containers/web.nix
    ./containers/db.nix
  ];

  networking.hostName = "gateway";
  networking.firewall.allowedTCPPorts = [ 80 443 ];
  system.stateVersion = "24.11";

  services.openssh = {
    enable = true;
    settings.PermitRootLogin = "no";
    settings.PasswordAuthentication = false;
  };

  environment.systemPackages = with pkgs; [ vim git htop ];
  environment.etc."motd".text = ''
    ${config.networking.hostName}: managed by nixcfg; local changes are overwritten.
  '';

  systemd.tmpfiles.rules = [ "d /var/backups 0750 root backup -" ];

  systemd.services.backup = {
    description = "Nightly Backup";
    startAt = "*-*-* 02:30:00";
    path = [ pkgs.rsync ];
    serviceConfig = {
      Type = "oneshot";
      User = "backup";
    };
    script = ''
      for c in ${lib.concatStringsSep " " (lib.attrNames config.containers)}; do
        rsync -a "/var/lib/nixos-containers/$c/var/lib/" "/var/backups/$c/"
      done
    '';
  };
}
