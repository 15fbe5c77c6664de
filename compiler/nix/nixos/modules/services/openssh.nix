# services.openssh: sshd_config, the sshd service and authorized keys
# (docs/reference/users-groups.md §8).
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types mkIf;
  cfg = config.services.openssh;

  userOptions = { config, ... }: {
    # nixcfg only: the user's `environment.etc` entry, if it has keys,
    # computed in the instance so that the language server reuses it with
    # the instance (no Nix call per user in the host's `environment.etc`).
    options.openssh._nixcfgKeysFile = mkOption {
      internal = true;
      readOnly = true;
      type = types.unspecified;
      description = "The user's `/etc/ssh/authorized_keys.d` entry, as a list of none or one `{ name, value }`.";
    };
    config.openssh._nixcfgKeysFile =
      let
        keys = config.openssh.authorizedKeys;
      in
      lib.optional (keys.keys != [ ] || keys.keyFiles != [ ]) {
        name = "ssh/authorized_keys.d/${config.name}";
        value = {
          mode = "0444";
          text =
            lib.concatStringsSep "\n" keys.keys
            + "\n"
            + lib.concatMapStrings (f: builtins.readFile f + "\n") keys.keyFiles;
        };
      };
    options.openssh.authorizedKeys = {
      keys = mkOption {
        type = types.listOf types.singleLineStr;
        default = [ ];
        description = "Public SSH keys that may log in as this user.";
      };
      keyFiles = mkOption {
        type = types.listOf types.path;
        default = [ ];
        description = "Files of public SSH keys that may log in as this user (read at evaluation).";
      };
    };
  };

  commaLists = [ "Ciphers" "KexAlgorithms" "Macs" ];
  spaceLists = [ "AcceptEnv" "AuthorizedKeysFile" "AllowGroups" "AllowUsers" "DenyGroups" "DenyUsers" ];

  renderValue =
    k: v:
    if builtins.isBool v then
      (if v then "yes" else "no")
    else if builtins.isInt v then
      toString v
    else if builtins.isString v || builtins.isPath v then
      "${v}"
    else if builtins.isList v then
      if builtins.elem k commaLists then
        lib.concatStringsSep "," v
      else if builtins.elem k spaceLists then
        lib.concatStringsSep " " v
      else
        throw "list value for unknown key ${k}: ${builtins.toJSON v}"
    else
      throw "unsupported type ${builtins.typeOf v}: ${builtins.toJSON v}";

  settingsText = lib.concatStrings (
    lib.mapAttrsToList (k: v: "${k} ${renderValue k v}\n") (lib.filterAttrs (_: v: v != null) cfg.settings)
  );

  baseConfig = lib.concatStringsSep "\n" (
    [ "AddressFamily ${if config.networking.enableIPv6 then "any" else "inet"}" ]
    ++ map (p: "Port ${toString p}") cfg.ports
    ++ lib.optional cfg.allowSFTP "Subsystem sftp ${cfg.sftpServerExecutable} ${lib.concatStringsSep " " cfg.sftpFlags}"
    ++ [
      "AuthorizedKeysFile ${lib.optionalString cfg.authorizedKeysInHomedir "%h/.ssh/authorized_keys "}/etc/ssh/authorized_keys.d/%u"
    ]
    ++ map (k: "HostKey ${k.path}") cfg.hostKeys
  );

  settingsType = types.submodule {
    freeformType = types.attrsOf (
      types.nullOr (
        types.oneOf [
          types.bool
          types.int
          types.str
          types.path
          (types.listOf types.str)
        ]
      )
    );
    options = {
      PermitRootLogin = mkOption {
        type = types.enum [ "yes" "without-password" "prohibit-password" "forced-commands-only" "no" ];
        default = "prohibit-password";
        description = "Whether root may log in, and how.";
      };
      PasswordAuthentication = mkOption {
        type = types.bool;
        default = true;
        description = "Whether password authentication is allowed.";
      };
      KbdInteractiveAuthentication = mkOption {
        type = types.bool;
        default = true;
        description = "Whether keyboard-interactive authentication is allowed.";
      };
      X11Forwarding = mkOption {
        type = types.bool;
        default = false;
        description = "Whether X11 connections are forwarded.";
      };
      UseDns = mkOption {
        type = types.bool;
        default = false;
        description = "Whether sshd looks up the remote host name.";
      };
      LogLevel = mkOption {
        type = types.nullOr (types.enum [ "QUIET" "FATAL" "ERROR" "INFO" "VERBOSE" "DEBUG" "DEBUG1" "DEBUG2" "DEBUG3" ]);
        default = "INFO";
        description = "sshd's log verbosity.";
      };
      GatewayPorts = mkOption {
        type = types.str;
        default = "no";
        description = "Whether remote hosts may connect to forwarded ports.";
      };
      PrintMotd = mkOption {
        type = types.bool;
        default = false;
        description = "Whether sshd prints /etc/motd at login.";
      };
      StrictModes = mkOption {
        type = types.bool;
        default = true;
        description = "Whether sshd checks the modes of the user's files.";
      };
      UsePAM = mkOption {
        type = types.bool;
        default = true;
        description = "Whether to use PAM.";
      };
      AuthorizedPrincipalsFile = mkOption {
        type = types.nullOr types.str;
        default = "none";
        description = "File listing the accepted certificate principals.";
      };
    };
  };
in
{
  options.users.users = mkOption { type = types.attrsOf (types.submoduleWith { modules = [ userOptions ]; shorthandOnlyDefinesConfig = true; nixcfgReusable = true; }); };

  options.services.openssh = {
    enable = mkOption {
      type = types.bool;
      default = false;
      description = "Whether to enable the OpenSSH daemon.";
    };
    ports = mkOption {
      type = types.listOf types.port;
      default = [ 22 ];
      description = "Ports sshd listens on.";
    };
    openFirewall = mkOption {
      type = types.bool;
      default = true;
      description = "Whether to open `ports` in the firewall.";
    };
    allowSFTP = mkOption {
      type = types.bool;
      default = true;
      description = "Whether to enable the SFTP subsystem.";
    };
    sftpServerExecutable = mkOption {
      type = types.str;
      default = "${pkgs.openssh}/libexec/sftp-server";
      defaultText = lib.literalExpression ''"''${pkgs.openssh}/libexec/sftp-server"'';
      description = "The SFTP server binary.";
    };
    sftpFlags = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "Flags of the SFTP server.";
    };
    authorizedKeysInHomedir = mkOption {
      type = types.bool;
      default = true;
      description = "Whether `~/.ssh/authorized_keys` is read too.";
    };
    hostKeys = mkOption {
      type = types.listOf types.attrs;
      default = [
        { type = "rsa"; bits = 4096; path = "/etc/ssh/ssh_host_rsa_key"; }
        { type = "ed25519"; path = "/etc/ssh/ssh_host_ed25519_key"; }
      ];
      description = "Host keys sshd uses (generated by sshd-keygen.service when missing).";
    };
    settings = mkOption {
      type = settingsType;
      default = { };
      description = "sshd_config entries (`Key value` lines; booleans become yes/no).";
    };
    extraConfig = mkOption {
      type = types.lines;
      default = "";
      description = "Verbatim lines appended to sshd_config.";
    };
  };

  config = mkIf cfg.enable {
    users.users.sshd = {
      isSystemUser = true;
      group = "sshd";
      description = "SSH privilege separation user";
    };
    users.groups.sshd = { };

    services.openssh.extraConfig = lib.mkOrder 0 baseConfig;

    environment.etc = {
      "ssh/sshd_config".text = settingsText + cfg.extraConfig + "\n";
    }
    // builtins.listToAttrs (
      builtins.concatLists (
        builtins.catAttrs "_nixcfgKeysFile" (builtins.catAttrs "openssh" (builtins.attrValues config.users.users))
      )
    );

    systemd.services.sshd-keygen = {
      description = "SSH Host Keys Generation";
      unitConfig.ConditionFileNotEmpty = map (k: "|!${k.path}") cfg.hostKeys;
      serviceConfig.Type = "oneshot";
      path = [ pkgs.openssh ];
      script = lib.concatMapStrings (k: ''
        if ! [ -s "${k.path}" ]; then
          mkdir -p "$(dirname '${k.path}')"
          chmod 0755 "$(dirname '${k.path}')"
          ssh-keygen -t "${k.type}" ${lib.optionalString (k ? bits) "-b ${toString k.bits}"} -f "${k.path}" -N ""
        fi
      '') cfg.hostKeys;
    };

    systemd.services.sshd = {
      description = "SSH Daemon";
      wantedBy = [ "multi-user.target" ];
      after = [ "network.target" "sshd-keygen.service" ];
      wants = [ "sshd-keygen.service" ];
      stopIfChanged = false;
      path = [ pkgs.openssh ];
      restartTriggers = [ config.environment.etc."ssh/sshd_config".text ];
      serviceConfig = {
        ExecStart = "${pkgs.openssh}/bin/sshd -D -f /etc/ssh/sshd_config";
        KillMode = "process";
        Restart = "always";
        Type = "simple";
      };
    };

    networking.firewall.allowedTCPPorts = mkIf cfg.openFirewall cfg.ports;

    assertions = [
      {
        assertion =
          let
            keys = builtins.attrNames (lib.filterAttrs (_: v: v != null) cfg.settings);
            lower = map lib.toLower keys;
          in
          builtins.length (lib.unique lower) == builtins.length lower;
        message = "Duplicate sshd config key; does your capitalization match the option's? Keys: ${toString (builtins.attrNames cfg.settings)}";
      }
    ];
  };
}
