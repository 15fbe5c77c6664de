# Rendering values as text (for messages and documentation).
{ lib }:
let
  inherit (builtins) isString isList isAttrs isFunction isInt isFloat isBool isPath concatStringsSep attrNames map length;
in
rec {
  withRecursion = { depthLimit, throwOnDepthLimit ? true }: v: v;

  toPretty = { allowPrettyValues ? false, multiline ? true, indent ? "" }:
    let
      go = indent: v:
        let
          introSpace = if multiline then "\n${indent}  " else " ";
          outroSpace = if multiline then "\n${indent}" else " ";
        in
        if isInt v then toString v
        else if isFloat v then lib.strings.floatToString v
        else if isString v then
          let lines = lib.splitString "\n" v; escapeSingle = s: lib.escapeNixString s; in
          if multiline && length lines > 1 then
            "''" + introSpace + concatStringsSep introSpace (map (l: builtins.replaceStrings [ "\${" "''" ] [ "''\${" "'''" ] l) lines) + outroSpace + "''"
          else escapeSingle v
        else if v == true then "true"
        else if v == false then "false"
        else if v == null then "null"
        else if isPath v then toString v
        else if isList v then
          if v == [ ] then "[ ]" else "[" + introSpace + concatStringsSep introSpace (map (go (indent + "  ")) v) + outroSpace + "]"
        else if isFunction v then
          let fna = lib.functionArgs v; showFnas = concatStringsSep ", " (lib.mapAttrsToList (name: hasDefVal: if hasDefVal then name + "?" else name) fna); in
          if fna == { } then "<function>" else "<function, args: {${showFnas}}>"
        else if isAttrs v then
          if allowPrettyValues && v ? __pretty && v ? val then v.__pretty v.val
          else if v == { } then "{ }"
          else if v ? type && v.type == "derivation" then "<derivation ${v.name or "???"}>"
          else
            "{" + introSpace
            + concatStringsSep introSpace (lib.mapAttrsToList (name: value: "${lib.strings.escapeNixIdentifier name} = ${
              let r = builtins.tryEval (go (indent + "  ") value); in if r.success then r.value else "<error>"
            };") v)
            + outroSpace + "}"
        else abort "generators.toPretty: should never happen (v = ${v})";
    in
    go indent;

  toJSON = { }: builtins.toJSON;
  toYAML = { }: builtins.toJSON;
  mkValueStringDefault = { }: v: if isString v then v else if isBool v then lib.boolToString v else toString v;
  mkKeyValueDefault = { mkValueString ? mkValueStringDefault { } }: sep: k: v: "${lib.escape [ sep ] k}${sep}${mkValueString v}";
  toKeyValue = { mkKeyValue ? mkKeyValueDefault { } "=", listsAsDuplicateKeys ? false, indent ? "" }: attrs:
    lib.concatStrings (lib.mapAttrsToList (k: v: "${indent}${mkKeyValue k v}\n") attrs);
  toINI = { mkSectionName ? (name: lib.escape [ "[" "]" ] name), mkKeyValue ? mkKeyValueDefault { } "=", listsAsDuplicateKeys ? false }: attrsOfAttrs:
    concatStringsSep "\n" (lib.mapAttrsToList (sectName: sectValues: "[${mkSectionName sectName}]\n" + toKeyValue { inherit mkKeyValue; } sectValues) attrsOfAttrs);
}
