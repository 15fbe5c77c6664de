# networking.hostName and the firewall (a oneshot iptables service, as
# NixOS's firewall module makes).
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  cfg = config.networking.firewall;
  port = types.ints.u16 or (types.addCheck types.int (x: x >= 0 && x <= 65535));
  rules =
    proto: ports:
    map (p: "iptables -w -A nixos-fw -p ${proto} --dport ${toString p} -j nixos-fw-accept") ports;
in
{
  options.networking = {
    hostName = mkOption {
      type = types.strMatching "^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$";
      default = "nixos";
      description = "The name of the machine (an RFC 1035 label).";
    };
    enableIPv6 = mkOption {
      type = types.bool;
      default = true;
      description = "Whether to enable IPv6.";
    };
    useDHCP = mkOption {
      type = types.bool;
      default = true;
      description = "Whether to use DHCP on every interface (not compiled by nixcfg).";
    };
    extraHosts = mkOption {
      type = types.lines;
      default = "";
      description = "Lines appended to /etc/hosts.";
    };
    firewall = {
      enable = mkOption {
        type = types.bool;
        default = true;
        description = "Whether to enable the firewall (incoming connections are refused unless allowed).";
      };
      allowedTCPPorts = mkOption {
        type = types.listOf port;
        default = [ ];
        example = [ 22 80 ];
        description = "TCP ports on which incoming connections are accepted.";
      };
      allowedUDPPorts = mkOption {
        type = types.listOf port;
        default = [ ];
        example = [ 53 ];
        description = "UDP ports on which incoming packets are accepted.";
      };
      allowPing = mkOption {
        type = types.bool;
        default = true;
        description = "Whether to answer ICMP echo requests.";
      };
    };
  };

  config = lib.mkMerge [
    {
      environment.etc.hostname = lib.mkIf (config.networking.hostName != "") {
        text = config.networking.hostName + "\n";
      };
      environment.etc.hosts.text = ''
        127.0.0.1 localhost
        ::1 localhost
        127.0.0.2 ${config.networking.hostName}
      '' + lib.optionalString (config.networking.extraHosts != "") (
        config.networking.extraHosts
        + lib.optionalString (!lib.hasSuffix "\n" config.networking.extraHosts) "\n"
      );
    }
    (lib.mkIf (cfg.enable && !config.boot.isContainer) {
      systemd.services.firewall = {
        description = "Firewall";
        wantedBy = [ "sysinit.target" ];
        wants = [ "network-pre.target" ];
        before = [ "network-pre.target" ];
        after = [ "systemd-modules-load.service" ];
        path = [ pkgs.iptables ];
        unitConfig.DefaultDependencies = false;
        serviceConfig = {
          Type = "oneshot";
          RemainAfterExit = true;
        };
        script = lib.concatStringsSep "\n" (
          [
            "iptables -w -N nixos-fw-accept 2>/dev/null || iptables -w -F nixos-fw-accept"
            "iptables -w -A nixos-fw-accept -j ACCEPT"
            "iptables -w -N nixos-fw 2>/dev/null || iptables -w -F nixos-fw"
            "iptables -w -A nixos-fw -i lo -j nixos-fw-accept"
            "iptables -w -A nixos-fw -m conntrack --ctstate ESTABLISHED,RELATED -j nixos-fw-accept"
          ]
          ++ rules "tcp" cfg.allowedTCPPorts
          ++ rules "udp" cfg.allowedUDPPorts
          ++ lib.optional cfg.allowPing "iptables -w -A nixos-fw -p icmp --icmp-type echo-request -j nixos-fw-accept"
          ++ [
            "iptables -w -A nixos-fw -j DROP"
            "iptables -w -D INPUT -j nixos-fw 2>/dev/null || true"
            "iptables -w -A INPUT -j nixos-fw"
          ]
        );
      };
    })
  ];
}
