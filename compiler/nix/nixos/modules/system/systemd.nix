# systemd.services, systemd.targets, systemd.timers and systemd.tmpfiles,
# rendered into systemd.units (docs/reference/systemd-units.md).
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types mkIf;
  cfg = config.systemd;
  slib = import ../../lib/systemd.nix { inherit lib pkgs; };
  unitName = types.strMatching slib.unitNameRegex // {
    description = "systemd unit name";
  };
  unitList = mkOpt: description: mkOpt (types.listOf unitName) [ ] description;
  opt =
    type: default: description:
    mkOption { inherit type default description; };

  # Options every unit kind has.
  commonOptions =
    suffix:
    { name, config, ... }:
    {
      options = {
        name = mkOption {
          type = types.str;
          default = "${name}.${suffix}";
          readOnly = true;
          description = "The unit's file name.";
        };
        enable = opt types.bool true "Whether the unit is installed; false makes it a link to /dev/null.";
        description = opt types.singleLineStr "" "A short human-readable title of the unit (`Description=`).";
        documentation = opt (types.listOf types.str) [ ] "URIs of documentation for the unit.";
        requires = unitList opt "Units that must start with this one (`Requires=`).";
        wants = unitList opt "Units started with this one if possible (`Wants=`).";
        upholds = unitList opt "Units kept running while this one runs (`Upholds=`).";
        after = unitList opt "Units that must have started before this one (`After=`).";
        before = unitList opt "Units that start after this one (`Before=`).";
        bindsTo = unitList opt "Units this one is stopped with (`BindsTo=`).";
        partOf = unitList opt "Units whose stops and restarts propagate to this one (`PartOf=`).";
        conflicts = unitList opt "Units stopped when this one starts (`Conflicts=`).";
        requisite = unitList opt "Units that must already be active (`Requisite=`).";
        onFailure = unitList opt "Units activated when this one fails (`OnFailure=`).";
        onSuccess = unitList opt "Units activated when this one succeeds (`OnSuccess=`).";
        wantedBy = unitList opt "Targets that want this unit: a link in `<target>.wants/` and `[Install] WantedBy=`.";
        requiredBy = unitList opt "Units that require this unit: a link in `<unit>.requires/`.";
        upheldBy = unitList opt "Units that uphold this unit: a link in `<unit>.upholds/`.";
        aliases = unitList opt "Other names of this unit (links to it).";
        startLimitBurst = opt (types.nullOr types.int) null "`StartLimitBurst=`.";
        startLimitIntervalSec = opt (types.nullOr types.int) null "`StartLimitIntervalSec=`.";
        unitConfig = opt (types.attrsOf slib.unitOption) { } "Extra entries of the `[Unit]` section.";
        restartTriggers = opt (types.listOf types.unspecified) [ ] "Values whose change restarts the unit on switch.";
        reloadTriggers = opt (types.listOf slib.unitOption) [ ] "Values whose change reloads the unit on switch.";
        overrideStrategy = opt (types.enum [
          "asDropinIfExists"
          "asDropin"
        ]) "asDropinIfExists" "How the unit is installed when a unit of that name already exists.";
      };
      config.unitConfig =
        slib.unitKeys config
        // lib.optionalAttrs (config.restartTriggers != [ ]) {
          X-Restart-Triggers = "${builtins.toFile "X-Restart-Triggers-${safeName name}" (
            toString config.restartTriggers
          )}";
        }
        // lib.optionalAttrs (config.reloadTriggers != [ ]) {
          X-Reload-Triggers = "${builtins.toFile "X-Reload-Triggers-${safeName name}" (toString config.reloadTriggers)}";
        };
    };

  serviceOptions =
    { name, config, ... }:
    {
      options = {
        environment = opt (
          with types;
          attrsOf (
            nullOr (oneOf [
              str
              path
              package
            ])
          )
        ) { } "Environment variables of the service's processes (`Environment=`).";
        path = opt (with types; listOf (either package str)) [ ] ''
          Packages whose `bin` and `sbin` directories are put on the service's `PATH`.
        '';
        serviceConfig = opt slib.serviceConfigType { } "Entries of the `[Service]` section.";
        script = opt types.lines "" "Shell commands run as the service's main process (`ExecStart=`).";
        scriptArgs = opt types.str "" "Arguments of the script.";
        preStart = opt types.lines "" "Shell commands run before the main process (`ExecStartPre=`).";
        postStart = opt types.lines "" "Shell commands run after the main process started (`ExecStartPost=`).";
        reload = opt types.lines "" "Shell commands run on reload (`ExecReload=`).";
        preStop = opt types.lines "" "Shell commands run to stop the service (`ExecStop=`).";
        postStop = opt types.lines "" "Shell commands run after the service stopped (`ExecStopPost=`).";
        enableStrictShellChecks = opt types.bool cfg.enableStrictShellChecks "Run the scripts with `set -o nounset -o pipefail` too.";
        restartIfChanged = opt types.bool true "Whether the service is restarted when its unit changes on switch.";
        reloadIfChanged = opt types.bool false "Whether the service is reloaded (not restarted) when its unit changes.";
        stopIfChanged = opt types.bool true "Whether a changed service is stopped before the switch and started after.";
        notSocketActivated = opt types.bool false "Whether a changed service is restarted even if its socket is.";
        startAt = mkOption {
          type = with types; either str (listOf str);
          default = [ ];
          example = "Sun 14:00:00";
          apply = lib.toList;
          description = "When to start the service (`OnCalendar=` of a generated `<name>.timer`).";
        };
      };
      config = lib.mkMerge [
        {
          path = lib.mkAfter (
            with pkgs;
            [
              coreutils
              findutils
              gnugrep
              gnused
              systemd
            ]
          );
          environment.PATH = "${lib.makeBinPath config.path}:${lib.makeSearchPathOutput "bin" "sbin" config.path}";
        }
        (mkIf (config.script != "") {
          serviceConfig.ExecStart =
            slib.makeJobScript "${name}-start" (strict config config.script) + " " + config.scriptArgs;
        })
        (mkIf (config.preStart != "") {
          serviceConfig.ExecStartPre = [ (slib.makeJobScript "${name}-pre-start" (strict config config.preStart)) ];
        })
        (mkIf (config.postStart != "") {
          serviceConfig.ExecStartPost = [ (slib.makeJobScript "${name}-post-start" (strict config config.postStart)) ];
        })
        (mkIf (config.reload != "") {
          serviceConfig.ExecReload = slib.makeJobScript "${name}-reload" (strict config config.reload);
        })
        (mkIf (config.preStop != "") {
          serviceConfig.ExecStop = slib.makeJobScript "${name}-pre-stop" (strict config config.preStop);
        })
        (mkIf (config.postStop != "") {
          serviceConfig.ExecStopPost = slib.makeJobScript "${name}-post-stop" (strict config config.postStop);
        })
      ];
    };

  # A unit name as a store path name (NixOS's systemd-lib `mkPathSafeName`).
  safeName = builtins.replaceStrings [ "@" ":" "\\" "[" "]" ] [ "-" "-" "-" "" "" ];

  strict = def: text: if def.enableStrictShellChecks then "set -o nounset\nset -o pipefail\n\n${text}" else text;

  timerOptions = {
    options.timerConfig = opt (types.attrsOf slib.unitOption) { } "Entries of the `[Timer]` section.";
  };

  mkUnit = text: def: {
    inherit text;
    inherit (def)
      enable
      wantedBy
      requiredBy
      upheldBy
      aliases
      ;
  };

  enabledServices = lib.filterAttrs (_: s: s.enable) cfg.services;

  # nixcfg only: a service's rendered unit, computed in the instance so
  # that the language server reuses it with the instance instead of
  # rendering every service again after each edit.
  serviceUnit =
    { name, config, ... }:
    {
      options._nixcfgUnit = mkOption {
        internal = true;
        readOnly = true;
        type = types.unspecified;
        description = "The service's entry in `systemd.units`.";
      };
      config._nixcfgUnit = mkUnit (
        slib.serviceText (config // { environment = cfg.globalEnvironment // config.environment; inherit name; })
      ) config;
    };
in
{
  options.systemd = {
    services = mkOption {
      # Reusable: a service reads only its definitions and host options
      # outside every instance (`builtins.nixcfgReuse`).
      type = types.attrsOf (
        types.submoduleWith {
          modules = [
            (commonOptions "service")
            serviceOptions
            serviceUnit
          ];
          shorthandOnlyDefinesConfig = true;
          nixcfgReusable = true;
        }
      );
      default = { };
      description = "systemd services (`<name>.service`).";
    };
    targets = mkOption {
      type = types.attrsOf (types.submodule (commonOptions "target"));
      default = { };
      description = "systemd targets (`<name>.target`).";
    };
    timers = mkOption {
      type = types.attrsOf (
        types.submodule [
          (commonOptions "timer")
          timerOptions
        ]
      );
      default = { };
      description = "systemd timers (`<name>.timer`).";
    };
    units = mkOption {
      internal = true;
      type = types.attrsOf types.unspecified;
      default = { };
      description = "Rendered unit files by name: text, enable, wantedBy, requiredBy, upheldBy, aliases.";
    };
    tmpfiles.rules = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "d /var/lib/foo 0750 foo foo -" ];
      description = "systemd-tmpfiles rules (`/etc/tmpfiles.d/00-nixos.conf`).";
    };
    globalEnvironment = mkOption {
      type = with types; attrsOf (nullOr (oneOf [ str path package ]));
      default = { };
      description = "Environment variables of every service (a service's own win).";
    };
    enableStrictShellChecks = opt types.bool false "Default of the services' `enableStrictShellChecks`.";
    defaultUnit = opt types.str "multi-user.target" "The unit started at boot (`default.target`).";
  };

  config = {
    systemd.units =
      lib.mapAttrs' (n: s: lib.nameValuePair s.name s._nixcfgUnit) cfg.services
      // lib.mapAttrs' (n: t: lib.nameValuePair t.name (mkUnit (slib.targetText t) (t // { wantedBy = [ ]; }))) cfg.targets
      // lib.mapAttrs' (n: t: lib.nameValuePair t.name (mkUnit (slib.timerText t) t)) cfg.timers;

    systemd.timers = lib.mapAttrs (n: s: {
      wantedBy = [ "timers.target" ];
      timerConfig.OnCalendar = s.startAt;
    }) (lib.filterAttrs (_: s: s.startAt != [ ]) enabledServices);

    environment.etc."tmpfiles.d/00-nixos.conf" = mkIf (cfg.tmpfiles.rules != [ ]) {
      text = ''
        # This file is created automatically and should not be modified.
        # Please change the option ‘systemd.tmpfiles.rules’ instead.

        ${lib.concatStringsSep "\n" cfg.tmpfiles.rules}
      '';
    };

    assertions = lib.mapAttrsToList (n: s: {
      assertion = s.serviceConfig.Type or "" != "oneshot" || !(s.serviceConfig ? Restart) || s.serviceConfig.Restart == "no" || s.serviceConfig.Restart == "on-failure";
      message = "Service ‘${n}.service’ with ‘Type=oneshot’ can only have ‘Restart=no’ or ‘Restart=on-failure’.";
    }) enabledServices;
  };
}
