# Rendering of systemd unit files, as NixOS's systemd-lib.nix renders
# them (docs/reference/systemd-units.md §2).
{ lib, pkgs }:
rec {
  # serviceConfig/unitConfig values: lists concatenate, scalars must agree.
  unitOption = lib.mkOptionType {
    name = "systemd option";
    check = x: !(builtins.isAttrs x && !lib.isDerivation x);
    merge =
      loc: defs:
      let
        values = map (d: d.value) defs;
      in
      if lib.any builtins.isList values then
        lib.concatMap lib.toList values
      else
        lib.mergeEqualOption loc defs;
  };

  checkField =
    field: allowed: attrs:
    !(attrs ? ${field})
    || builtins.elem attrs.${field} allowed
    || builtins.trace "Systemd Service field `${field}' cannot have value `${toString attrs.${field}}'." false;

  serviceConfigType = lib.types.addCheck (lib.types.attrsOf unitOption) (
    a:
    checkField "Type" [
      "exec"
      "simple"
      "forking"
      "oneshot"
      "dbus"
      "notify"
      "notify-reload"
      "idle"
    ] a
    && checkField "Restart" [
      "no"
      "on-success"
      "on-failure"
      "on-abnormal"
      "on-abort"
      "on-watchdog"
      "always"
    ] a
  );

  toOption =
    x:
    if x == true then
      "true"
    else if x == false then
      "false"
    else if x == null then
      ""
    else if builtins.isInt x || builtins.isFloat x then
      toString x
    else if builtins.isList x then
      lib.concatMapStringsSep " " toOption x
    else if lib.isDerivation x then
      x.outPath
    else if builtins.isPath x then
      # serviceConfig paths stay literal (not copied to the store).
      builtins.toString x
    else if builtins.isString x then
      x
    else
      throw "cannot render a ${builtins.typeOf x} as a systemd option value";

  attrsToSection =
    as:
    lib.concatStrings (
      lib.concatLists (
        lib.mapAttrsToList (
          name: value: map (x: "${name}=${toOption x}\n") (if builtins.isList value then value else [ value ])
        ) as
      )
    );

  installSection =
    def:
    lib.optionalString (def.wantedBy != [ ]) ''

      [Install]
      WantedBy=${lib.concatStringsSep " " def.wantedBy}
    '';

  # `[Unit]` keys made from the dependency options.
  unitKeys =
    def:
    let
      opt = key: list: lib.optionalAttrs (list != [ ]) { ${key} = toString list; };
    in
    lib.optionalAttrs (def.description != "") { Description = def.description; }
    // opt "Documentation" def.documentation
    // opt "Requires" def.requires
    // opt "Wants" def.wants
    // opt "Upholds" def.upholds
    // opt "After" def.after
    // opt "Before" def.before
    // opt "BindsTo" def.bindsTo
    // opt "PartOf" def.partOf
    // opt "Conflicts" def.conflicts
    // opt "Requisite" def.requisite
    // opt "OnFailure" def.onFailure
    // opt "OnSuccess" def.onSuccess
    // lib.optionalAttrs (def.startLimitBurst != null) { StartLimitBurst = toString def.startLimitBurst; }
    // lib.optionalAttrs (def.startLimitIntervalSec != null) {
      StartLimitIntervalSec = toString def.startLimitIntervalSec;
    };

  environmentLines =
    unitName: env:
    lib.concatStrings (
      lib.mapAttrsToList (
        n: v:
        let
          line = "Environment=${builtins.toJSON "${n}=${toString v}"}\n";
        in
        if builtins.stringLength line >= 1048576 then
          throw "The value of the environment variable ‘${n}’ in systemd service ‘${unitName}.service’ is too long."
        else
          line
      ) (lib.filterAttrs (_: v: v != null) env)
    );

  serviceText =
    def:
    "[Unit]\n"
    + attrsToSection def.unitConfig
    + "\n[Service]\n"
    + environmentLines def.name def.environment
    + (
      if def.reloadIfChanged then
        "X-ReloadIfChanged=true\n"
      else if !def.restartIfChanged then
        "X-RestartIfChanged=false\n"
      else
        ""
    )
    + lib.optionalString (!def.stopIfChanged) "X-StopIfChanged=false\n"
    + lib.optionalString def.notSocketActivated "X-NotSocketActivated=true\n"
    + attrsToSection def.serviceConfig
    + installSection def;

  timerText =
    def:
    "[Unit]\n"
    + attrsToSection def.unitConfig
    + "\n[Timer]\n"
    + attrsToSection def.timerConfig
    + "\n"
    + installSection def;

  targetText = def: "[Unit]\n" + attrsToSection def.unitConfig + "\n";

  # A unit script: a file in the store run by the shell. With the user's
  # nixpkgs it is NixOS's writeShellScriptBin; without one, a text file
  # (`builtins.toFile`) that `/bin/sh` runs.
  makeJobScript =
    name: text:
    let
      scriptName = builtins.replaceStrings [ "\\" "@" ] [ "-" "_" ] (builtins.replaceStrings [ "\\" ] [ "\\\\" ] name);
    in
    if pkgs ? writeShellScriptBin then
      "${pkgs.writeShellScriptBin scriptName text}/bin/${scriptName}"
    else
      "/bin/sh ${builtins.toFile "unit-script-${scriptName}" "set -e\n\n${text}\n"}";

  unitNameRegex = "[a-zA-Z0-9@%:_.\\-]+[.](service|socket|device|mount|automount|swap|target|path|timer|scope|slice)";
}
