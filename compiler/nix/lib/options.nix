# Declaring options, and showing them in messages.
{ lib }:
let
  inherit (builtins) head tail length filter concatMap concatStringsSep isAttrs attrNames elem all map;
  inherit (lib) types;
in
rec {
  isOption = lib.isType "option";

  # Declares an option: its `type`, `default`, `description`, `example`, and whether it is `internal`, `visible` or `readOnly`.
  mkOption =
    {
      default ? null,
      defaultText ? null,
      example ? null,
      description ? null,
      relatedPackages ? null,
      type ? null,
      apply ? null,
      internal ? null,
      visible ? null,
      readOnly ? null,
    }@attrs:
    attrs // { _type = "option"; };

  # Declares a Boolean option, false by default, described as "Whether to enable NAME."
  mkEnableOption = name: mkOption {
    default = false;
    example = true;
    description = "Whether to enable ${name}.";
    type = types.bool;
  };

  # Declares an option holding a package of `pkgs`, with `pkgs.NAME` as its default.
  mkPackageOption = pkgs: name: { nullable ? false, default ? name, example ? null, extraDescription ? "", pkgsText ? "pkgs" }:
    let
      name' = if builtins.isList name then lib.last name else name;
      default' = if builtins.isList default then default else [ default ];
      defaultText = concatStringsSep "." default';
      defaultValue = lib.attrByPath default' (throw "${defaultText} cannot be found in ${pkgsText}") pkgs;
      defaults = if default != null then { default = defaultValue; defaultText = literalExpression "${pkgsText}.${defaultText}"; } else lib.optionalAttrs nullable { default = null; };
    in
    mkOption (defaults // {
      description = "The ${name'} package to use." + (if extraDescription == "" then "" else " " + extraDescription);
      type = if nullable then types.nullOr types.package else types.package;
    } // lib.optionalAttrs (example != null) {
      example = literalExpression (if builtins.isList example then "${pkgsText}.${concatStringsSep "." example}" else example);
    });

  mkPackageOptionMD = mkPackageOption;

  mkSinkUndeclaredOptions = attrs: mkOption ({
    internal = true;
    visible = false;
    default = false;
    description = "Sink for option definitions.";
    type = mkOptionType { name = "sink"; check = x: true; merge = loc: defs: false; };
    apply = x: throw "Option value is not readable because the option is not declared.";
  } // attrs);

  mkOptionType = lib.types.mkOptionType;

  mergeDefaultOption = loc: defs:
    let list = getValues defs; in
    if length list == 1 then head list
    else if all builtins.isFunction list then x: mergeDefaultOption loc (map (f: f x) list)
    else if all builtins.isList list then builtins.concatLists list
    else if all isAttrs list then builtins.foldl' lib.mergeAttrs { } list
    else if all builtins.isBool list then builtins.foldl' lib.or false list
    else if all builtins.isString list then lib.concatStrings list
    else if all builtins.isInt list && all (x: x == head list) list then head list
    else throw "Cannot merge definitions of `${showOption loc}'. Definition values:${showDefs defs}";

  mergeOneOption = mergeUniqueOption { message = ""; };

  mergeUniqueOption = args@{ message, merge ? null }:
    let notUnique = loc: defs:
      throw "The option `${showOption loc}' is defined multiple times while it's expected to be unique.\n${message}\nDefinition values:${showDefs defs}\n${prioritySuggestion}";
    in
    if merge == null then
      (loc: defs: if length defs == 1 then (head defs).value else assert length defs > 1; notUnique loc defs)
    else
      (loc: defs: if length defs == 1 then merge loc defs else assert length defs > 1; notUnique loc defs);

  mergeEqualOption = loc: defs:
    if defs == [ ] then abort "This case should never happen."
    else if length defs == 1 then (head defs).value
    else (builtins.foldl' (first: def:
      if def.value != first.value then
        throw "The option `${showOption loc}' has conflicting definition values:${showDefs [ first def ]}\n${prioritySuggestion}"
      else first) (head defs) (tail defs)).value;

  prioritySuggestion = ''
    Use `lib.mkForce value` or `lib.mkDefault value` to change the priority on any of these definitions.
  '';

  getValues = map (x: x.value);
  getFiles = map (x: x.file);

  optionAttrSetToDocList = optionAttrSetToDocList' [ ];
  optionAttrSetToDocList' = _: options:
    concatMap (opt:
      let
        name = showOption opt.loc;
        docOption = {
          loc = opt.loc;
          inherit name;
          description = opt.description or null;
          declarations = filter (x: x != unknownModule) opt.declarations;
          internal = opt.internal or false;
          visible = if (opt ? visible && opt.visible == "shallow") then true else opt.visible or true;
          readOnly = opt.readOnly or false;
          type = opt.type.description or "unspecified";
        }
        // lib.optionalAttrs (opt ? example) { example = renderOptionValue opt.example; }
        // lib.optionalAttrs (opt ? defaultText || opt ? default) { default = renderOptionValue (opt.defaultText or opt.default); };
        subOptions = let ss = opt.type.getSubOptions opt.loc; in if ss != { } then optionAttrSetToDocList' opt.loc ss else [ ];
        subOptionsVisible = docOption.visible && opt.visible or null != "shallow";
      in
      [ docOption ] ++ lib.optionals subOptionsVisible subOptions) (collectOptions options);

  collectOptions = attrs: if isOption attrs then [ attrs ] else if isAttrs attrs then concatMap collectOptions (lib.attrValues attrs) else [ ];

  renderOptionValue = v: if v ? _type && v ? text then v else literalExpression (builtins.toJSON v);

  scrubOptionValue = x:
    if lib.isDerivation x then { type = "derivation"; drvPath = x.name; outPath = x.name; name = x.name; }
    else if builtins.isList x then map scrubOptionValue x
    else if isAttrs x then builtins.mapAttrs (n: v: scrubOptionValue v) (removeAttrs x [ "_args" ])
    else x;

  literalExpression = text:
    if !builtins.isString text then throw "literalExpression expects a string."
    else { _type = "literalExpression"; inherit text; };
  literalExample = literalExpression;
  literalMD = text:
    if !builtins.isString text then throw "literalMD expects a string."
    else { _type = "literalMD"; inherit text; };
  mdDoc = x: x;

  showOption = parts:
    let
      escapeOptionPart = part:
        if part == "*" || builtins.match "<.*>" part != null || builtins.match "[a-zA-Z0-9_'-]+" part != null then part
        else lib.strings.escapeNixString part;
    in
    concatStringsSep "." (map escapeOptionPart parts);
  showFiles = files: concatStringsSep " and " (map (f: "`${f}'") files);

  showDefs = defs: lib.concatMapStrings (def:
    let
      prettyEval = builtins.tryEval (lib.generators.toPretty { } (lib.generators.withRecursion { depthLimit = 10; throwOnDepthLimit = false; } def.value));
      lines = lib.splitString "\n" (if prettyEval.success then prettyEval.value else "<error>");
      value = concatStringsSep "\n    " (if length lines > 5 then lib.take 5 lines ++ [ "..." ] else lines);
      result = if length lines == 0 then "" else if length lines > 1 then ":\n    " + value else ": " + value;
    in
    "\n- In `${def.file}'${result}") defs;

  showOptionWithDefLocs = opt: ''
    ${showOption opt.loc}, with values defined in:
    ${lib.concatMapStrings (file: "  - ${file}\n") opt.files}
  '';

  unknownModule = "<unknown-file>";
}
