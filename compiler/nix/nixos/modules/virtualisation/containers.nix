# containers.<name>: NixOS containers declared with a nested `config`,
# evaluated as whole systems (docs/reference/containers.md).
{
  config,
  lib,
  pkgs,
  nixcfg,
  ...
}:
let
  inherit (lib) mkOption types mkIf;
  stateVersionAtLeast = v: lib.versionAtLeast config.system.stateVersion v;
  configDirName = if stateVersionAtLeast "22.05" then "nixos-containers" else "containers";
  stateDirectory = "/var/lib/${configDirName}";

  containerOpts =
    { name, config, ... }:
    let
      container = config;
    in
    {
      options = {
        config = mkOption {
          description = ''
            The container's own configuration: a NixOS module, evaluated as a
            whole system (with `boot.isContainer = true`) with the same
            options as the host.
          '';
          type = lib.mkOptionType {
            name = "Toplevel NixOS config";
            description = "NixOS configuration module";
            merge =
              loc: defs:
              let
                inner = import ../../eval-config.nix {
                  inherit (nixcfg) check pkgs;
                  prefix = [ "containers" name "config" ];
                  specialArgs = container.specialArgs;
                  modules = [
                    {
                      _file = "<nixcfg/nixos/modules/virtualisation/containers.nix>";
                      boot.isNspawnContainer = true;
                      networking.hostName = lib.mkDefault name;
                      networking.useDHCP = false;
                    }
                  ] ++ map (d: {
                    _file = d.file;
                    imports = [ d.value ];
                  }) defs;
                };
              in
              # For `nixcfg check`: the container's whole evaluation (its
              # undeclared definitions, its options and assertions), behind
              # a function so that forcing the config does not force it.
              inner.config // { _nixcfgEvaluation = _: inner; };
          };
        };
        path = mkOption {
          type = types.str;
          default = "/nix/var/nix/profiles/per-container/${name}/system";
          description = ''
            The container's system. nixcfg points it at the container's
            profile, which `nixcfg switch` sets to the compiled tree.
          '';
        };
        specialArgs = mkOption {
          type = types.attrsOf types.unspecified;
          default = { };
          description = "Extra arguments of the container's modules.";
        };
        privateNetwork = mkOption {
          type = types.bool;
          default = false;
          description = "Whether the container gets its own network namespace (a veth pair `ve-<name>`).";
        };
        hostBridge = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "br0";
          description = "A bridge the host end of the veth pair joins.";
        };
        hostAddress = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "10.231.136.1";
          description = "The IPv4 address of the host end of the veth pair.";
        };
        hostAddress6 = mkOption {
          type = types.nullOr types.str;
          default = null;
          description = "The IPv6 address of the host end of the veth pair.";
        };
        localAddress = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "10.231.136.2";
          description = "The IPv4 address of the container's `eth0`.";
        };
        localAddress6 = mkOption {
          type = types.nullOr types.str;
          default = null;
          description = "The IPv6 address of the container's `eth0`.";
        };
        interfaces = mkOption {
          type = types.listOf types.str;
          default = [ ];
          example = [ "eth1" ];
          description = "Host interfaces moved into the container.";
        };
        forwardPorts = mkOption {
          type = types.listOf (
            types.submodule {
              options = {
                protocol = mkOption {
                  type = types.str;
                  default = "tcp";
                  description = "The protocol (tcp or udp).";
                };
                hostPort = mkOption {
                  type = types.port;
                  description = "The port on the host.";
                };
                containerPort = mkOption {
                  type = types.nullOr types.port;
                  default = null;
                  description = "The port in the container (default: hostPort).";
                };
              };
            }
          );
          default = [ ];
          description = "Host ports forwarded into the container (with privateNetwork).";
        };
        bindMounts = mkOption {
          type = types.attrsOf (
            types.submodule (
              { name, ... }:
              {
                options = {
                  mountPoint = mkOption {
                    type = types.str;
                    default = name;
                    description = "Mount point in the container.";
                  };
                  hostPath = mkOption {
                    type = types.nullOr types.str;
                    default = null;
                    description = "Path on the host (default: the mount point).";
                  };
                  isReadOnly = mkOption {
                    type = types.bool;
                    default = true;
                    description = "Whether the mount is read-only.";
                  };
                };
              }
            )
          );
          default = { };
          example = {
            "/home" = {
              hostPath = "/home/alice";
              isReadOnly = false;
            };
          };
          description = "Host directories mounted in the container.";
        };
        autoStart = mkOption {
          type = types.bool;
          default = false;
          description = "Whether the container starts at boot (wanted by machines.target).";
        };
        restartIfChanged = mkOption {
          type = types.bool;
          default = true;
          description = "Whether an autoStart container is restarted when its system changes.";
        };
        ephemeral = mkOption {
          type = types.bool;
          default = false;
          description = "Whether the container's root is a tmpfs, lost when it stops.";
        };
        enableTun = mkOption {
          type = types.bool;
          default = false;
          description = "Whether the container may use /dev/net/tun (adds CAP_NET_ADMIN).";
        };
        additionalCapabilities = mkOption {
          type = types.listOf types.str;
          default = [ ];
          example = [ "CAP_NET_ADMIN" ];
          description = "Capabilities granted to the container beyond nspawn's defaults.";
        };
        extraFlags = mkOption {
          type = types.listOf types.str;
          default = [ ];
          description = "Extra systemd-nspawn flags.";
        };
        timeoutStartSec = mkOption {
          type = types.str;
          default = "1min";
          description = "How long the container may take to start (`TimeoutStartSec=`).";
        };
      };
    };

  cfg = config.containers;

  confText =
    name: c:
    let
      # NixOS's template: an optional slot is its text and a newline when
      # on, and always one more newline.
      slot = cond: text: lib.optionalString cond (text + "\n") + "\n";
      block = cond: text: lib.optionalString cond text + "\n";
      ports = lib.concatMapStringsSep "," (
        p: "${p.protocol}:${toString p.hostPort}:${toString (if p.containerPort == null then p.hostPort else p.containerPort)}"
      ) c.forwardPorts;
      binds = lib.concatStrings (
        lib.mapAttrsToList (
          _: b:
          " --${if b.isReadOnly then "bind-ro" else "bind"}=${
            if b.hostPath == null then b.mountPoint else "${b.hostPath}:${b.mountPoint}"
          }"
        ) c.bindMounts
      );
    in
    slot true "SYSTEM_PATH=${c.path}"
    + slot false "FLAKE="
    + "COPY_RESOLV_CONF=1\n"
    + block c.privateNetwork (
      "PRIVATE_NETWORK=1\n"
      + slot (c.hostBridge != null) "HOST_BRIDGE=${toString c.hostBridge}"
      + slot (c.forwardPorts != [ ]) "HOST_PORT=${ports}"
      + slot (c.hostAddress != null) "HOST_ADDRESS=${toString c.hostAddress}"
      + slot (c.hostAddress6 != null) "HOST_ADDRESS6=${toString c.hostAddress6}"
      + slot (c.localAddress != null) "LOCAL_ADDRESS=${toString c.localAddress}"
      + slot (c.localAddress6 != null) "LOCAL_ADDRESS6=${toString c.localAddress6}"
      + slot false "LOCAL_MAC_ADDRESS="
    )
    + slot false "NETWORK_NAMESPACE_PATH="
    + "PRIVATE_USERS=no\n"
    + "INTERFACES=\"${toString c.interfaces}\"\n"
    + "MACVLANS=\"\"\n"
    + slot c.autoStart "AUTO_START=1"
    + "EXTRA_NSPAWN_FLAGS=\"${binds}${lib.optionalString (c.extraFlags != [ ]) " ${toString c.extraFlags}"}\"\n";

  startScript = ''
    root="''${root:?}"
    mkdir -p -m 0755 "$root/etc" "$root/var/lib"
    mkdir -p -m 0700 "$root/var/lib/private" "$root/root" /run/nixos-containers
    [ -e "$root/etc/os-release" ] || touch "$root/etc/os-release"
    [ -e "$root/etc/machine-id" ] || touch "$root/etc/machine-id"
    profile="/nix/var/nix/profiles/per-container/$INSTANCE"
    gcroots="/nix/var/nix/gcroots/per-container/$INSTANCE"
    mkdir -p -m 0755 "$profile" "$gcroots"
    if [ "''${COPY_RESOLV_CONF:-0}" = 1 ] && [ -e /etc/resolv.conf ]; then
      cp --remove-destination /etc/resolv.conf "$root/etc/resolv.conf" || true
    fi
    set --
    if [ -n "''${PRIVATE_NETWORK:-}" ]; then set -- "$@" --private-network; fi
    if [ -n "''${HOST_ADDRESS:-}''${LOCAL_ADDRESS:-}''${HOST_ADDRESS6:-}''${LOCAL_ADDRESS6:-}" ]; then
      set -- "$@" --network-veth
    fi
    if [ -n "''${HOST_BRIDGE:-}" ]; then set -- "$@" --network-bridge="$HOST_BRIDGE"; fi
    for port in $(echo "''${HOST_PORT:-}" | tr , ' '); do set -- "$@" --port="$port"; done
    for iface in ''${INTERFACES:-}; do set -- "$@" --network-interface="$iface"; done
    if [ -n "''${CAPABILITIES:-}" ]; then set -- "$@" --capability="$CAPABILITIES"; fi
    # EXTRA_NSPAWN_FLAGS is split into words on purpose, as nixos-container does.
    # shellcheck disable=SC2086
    exec systemd-nspawn --keep-unit -M "$INSTANCE" -D "$root" "$@" \
      --notify-ready=yes --kill-signal=SIGRTMIN+3 \
      --bind-ro=/nix/store --bind-ro=/nix/var/nix/db --bind-ro=/nix/var/nix/daemon-socket \
      --bind="$profile:/nix/var/nix/profiles" --bind="$gcroots:/nix/var/nix/gcroots" \
      --link-journal=try-guest \
      --setenv PRIVATE_NETWORK="''${PRIVATE_NETWORK:-}" \
      --setenv HOST_ADDRESS="''${HOST_ADDRESS:-}" --setenv LOCAL_ADDRESS="''${LOCAL_ADDRESS:-}" \
      --setenv HOST_ADDRESS6="''${HOST_ADDRESS6:-}" --setenv LOCAL_ADDRESS6="''${LOCAL_ADDRESS6:-}" \
      ''${EXTRA_NSPAWN_FLAGS:-} \
      "''${SYSTEM_PATH:-/nix/var/nix/profiles/system}/init"
  '';

  postStartScript = ''
    if [ -n "''${HOST_ADDRESS:-}''${LOCAL_ADDRESS:-}" ] && [ -z "''${HOST_BRIDGE:-}" ]; then
      ifaceHost="ve-$INSTANCE"
      ip link set dev "$ifaceHost" up
      if [ -n "''${HOST_ADDRESS:-}" ]; then ip addr add "$HOST_ADDRESS" dev "$ifaceHost"; fi
      if [ -n "''${LOCAL_ADDRESS:-}" ]; then ip route add "$LOCAL_ADDRESS" dev "$ifaceHost"; fi
    fi
  '';

  preStartScript = ''
    machinectl terminate "$INSTANCE" 2>/dev/null || true
    if [ -n "''${HOST_ADDRESS:-}''${LOCAL_ADDRESS:-}" ]; then
      ip link del dev "ve-$INSTANCE" 2>/dev/null || true
      ip link del dev "vb-$INSTANCE" 2>/dev/null || true
    fi
  '';

  unit = {
    description = "Container '%i'";
    unitConfig.RequiresMountsFor = "${stateDirectory}/%i";
    path = [ pkgs.iproute2 pkgs.systemd ];
    environment.root = "${stateDirectory}/%i";
    environment.INSTANCE = "%i";
    enableStrictShellChecks = true;
    preStart = preStartScript;
    script = startScript;
    postStart = postStartScript;
    restartIfChanged = false;
    serviceConfig = {
      ExecReload = "${pkgs.systemd}/bin/machinectl reboot %i";
      SyslogIdentifier = "container %i";
      EnvironmentFile = "-/etc/${configDirName}/%i.conf";
      Type = "notify";
      SuccessExitStatus = 133;
      RestartForceExitStatus = 133;
      Restart = "on-failure";
      Slice = "machine.slice";
      Delegate = true;
      KillMode = "mixed";
      KillSignal = "TERM";
      DevicePolicy = "closed";
      TimeoutStartSec = "1min";
    };
  };

  validName = name: builtins.match "[a-zA-Z0-9-]+" name != null;
in
{
  options.containers = mkOption {
    # Reusable: a container reads only its definitions and host options
    # outside every instance (`builtins.nixcfgReuse`).
    type = types.attrsOf (types.submoduleWith { modules = [ containerOpts ]; shorthandOnlyDefinesConfig = true; nixcfgReusable = true; });
    default = { };
    example = lib.literalExpression ''
      { webserver = { privateNetwork = true; hostAddress = "10.231.136.1"; localAddress = "10.231.136.2";
          config = { services.openssh.enable = true; }; }; }
    '';
    description = "NixOS containers run by systemd-nspawn, each with its own system.";
  };

  config = mkIf (cfg != { }) {
    warnings = lib.optional (!config.boot.enableContainers)
      "containers.<name> is used, but boot.enableContainers is false. To use containers.<name>, set boot.enableContainers to true.";

    assertions = builtins.concatLists (
      lib.mapAttrsToList (name: c: [
        {
          assertion = validName name;
          message = "Container name `${name}' is not valid: use only letters, digits and `-' (no underscores).";
        }
        {
          assertion = builtins.stringLength name <= 11;
          message = "Container name `${name}' is too long: it may have at most 11 characters, because the host interface is called `ve-${name}'.";
        }
        {
          assertion = (c.hostAddress == null) == (c.localAddress == null) || c.hostBridge != null;
          message = "containers.${name}: set both hostAddress and localAddress, or neither.";
        }
      ]) cfg
    );

    environment.etc = lib.mapAttrs' (
      name: c: lib.nameValuePair "${configDirName}/${name}.conf" { text = confText name c; }
    ) cfg;

    systemd.targets.multi-user.wants = [ "machines.target" ];

    systemd.services =
      {
        "container@" = unit;
      }
      // lib.mapAttrs' (
        name: c:
        lib.nameValuePair "container@${name}" (
          # `unit` with a container's own values, a level at a time (as
          # recursiveUpdate would, but with `//`: the unit's values stay
          # the same objects, and the reused instance's fingerprint small).
          unit
          // {
            unitConfig = unit.unitConfig // {
              RequiresMountsFor =
                lib.optional (!c.ephemeral) "${stateDirectory}/%i"
                ++ lib.mapAttrsToList (_: b: if b.hostPath == null then b.mountPoint else b.hostPath) c.bindMounts;
            };
            environment = unit.environment // {
              root = if c.ephemeral then "/run/nixos-containers/%i" else "${stateDirectory}/%i";
              CAPABILITIES = lib.mkIf (c.additionalCapabilities != [ ] || c.enableTun) (
                lib.concatStringsSep "," (c.additionalCapabilities ++ lib.optional c.enableTun "CAP_NET_ADMIN")
              );
            };
            serviceConfig =
              unit.serviceConfig
              // {
                TimeoutStartSec = c.timeoutStartSec;
              }
              // lib.optionalAttrs c.ephemeral { RuntimeDirectory = [ "nixos-containers/%i" ]; }
              // lib.optionalAttrs c.enableTun { DeviceAllow = [ "/dev/net/tun rwm" ]; }
              ;
            restartIfChanged = if c.autoStart then c.restartIfChanged else false;
          }
          // lib.optionalAttrs c.autoStart {
            wantedBy = [ "machines.target" ];
            wants = [ "network.target" ];
            after = [ "network.target" ];
            restartTriggers = [
              c.path
              (confText name c)
            ];
          }
        )
      ) cfg;

    networking.extraHosts = lib.concatStrings (
      lib.mapAttrsToList (
        name: c:
        lib.optionalString (c.localAddress != null) "${lib.head (lib.splitString "/" c.localAddress)} ${name}.containers\n"
      ) cfg
    );
  };
}
