# The module system: evalModules, definitions with priorities and order,
# and the module helpers (mkIf, mkMerge, mkOverride, renames, …).
{ lib }:
let
  inherit (builtins) isAttrs isList isFunction isString isBool isPath length head tail filter map concatMap concatLists attrNames attrValues
    mapAttrs foldl' elem all any listToAttrs zipAttrsWith removeAttrs hasAttr getAttr functionArgs addErrorContext toString typeOf;
  inherit (lib) types mkOption showOption showFiles showDefs getFiles isOption optionalAttrs optional optionals last setAttrByPath
    mapAttrsRecursiveCond recursiveUpdate isDerivation filterAttrs toList;

  defaultOverridePriority = 100;
  defaultOrderPriority = 1000;

  isType = type: x: (x._type or "") == type;

  # --------------------------------------------------------- module shapes

  # Accept the shorthand `{ foo = …; }` (only config) and the full form.
  unifyModuleSyntax = file: key: m:
    let
      addMeta = config: if m ? meta then lib.mkMerge [ config { meta = m.meta; } ] else config;
      addFreeformType = config: if m ? freeformType then lib.mkMerge [ config { _module.freeformType = m.freeformType; } ] else config;
    in
    if m ? config || m ? options then
      let badAttrs = removeAttrs m [ "_class" "_file" "key" "disabledModules" "imports" "options" "config" "meta" "freeformType" ]; in
      if badAttrs != { } then
        throw "Module `${key}' has an unsupported attribute `${head (attrNames badAttrs)}'. This is caused by introducing a top-level `config' or `options' attribute. Add configuration attributes immediately on the top level instead, or move all of them (namely: ${toString (attrNames badAttrs)}) into the explicit `config' attribute."
      else {
        _file = toString m._file or file;
        _class = m._class or null;
        key = toString m.key or key;
        disabledModules = m.disabledModules or [ ];
        imports = m.imports or [ ];
        options = m.options or { };
        config = addFreeformType (addMeta (m.config or { }));
      }
    else
      lib.throwIfNot (isAttrs m) "module ${file} (${key}) does not look like a module." {
        _file = toString m._file or file;
        _class = m._class or null;
        key = toString m.key or key;
        disabledModules = m.disabledModules or [ ];
        imports = (m.require or [ ]) ++ (m.imports or [ ]);
        options = { };
        config = addFreeformType (removeAttrs m [ "_class" "_file" "key" "disabledModules" "require" "imports" "freeformType" ]);
      };

  # Calls a function module with its arguments: specialArgs first, then
  # `config._module.args`.
  applyModuleArgsIfFunction = key: f: args@{ config, ... }:
    if isFunction f then applyModuleArgs key f args else f;

  applyModuleArgs = key: f: args@{ config, ... }:
    let
      context = name: ''while evaluating the module argument `${name}' in "${key}":'';
      extraArgs = mapAttrs (name: _: addErrorContext (context name) (args.${name} or config._module.args.${name})) (lib.functionArgs f);
    in
    f (args // extraArgs);

  loadModule = args: fallbackFile: fallbackKey: m:
    if isFunction m then
      unifyModuleSyntax fallbackFile fallbackKey (applyModuleArgs fallbackKey m args)
    else if isAttrs m then
      if m._type or "module" == "module" then unifyModuleSyntax fallbackFile fallbackKey m
      else if m._type == "if" || m._type == "override" then loadModule args fallbackFile fallbackKey { config = m; }
      else throw ("Expected a module, but found a value of type ${lib.strings.escapeNixString m._type}"
        + lib.optionalString (fallbackFile != lib.unknownModule) ", while trying to load a module into ${toString fallbackFile}."
        + lib.optionalString (m._type == "configuration") " If you do intend to import this configuration, please only import the modules that make up the configuration. You may have to create a `let` binding, file or attribute to give yourself access to the relevant modules.\nWhile loading a configuration into the module system is a very sensible idea, it can not be done cleanly in practice.")
    else if isList m then
      let defs = [ { file = fallbackFile; value = m; } ]; in
      throw "Module imports can't be nested lists. Perhaps you meant to remove one level of lists? Definitions: ${showDefs defs}"
    else unifyModuleSyntax (toString m) (toString m) (applyModuleArgsIfFunction (toString m) (import m) args);

  checkModule = class: m:
    if class != null && m._class != null && m._class != class then
      throw "The module `${m._file or m.key}` (class ${lib.strings.escapeNixString m._class}) cannot be imported into a module evaluation that expects class ${lib.strings.escapeNixString class}."
    else m;

  # Every module reachable through `imports`, minus the disabled ones, in
  # the order nixpkgs lists them.
  collectModules = class: modulesPath: initialModules: args:
    let
      moduleKey = file: m:
        if isString m && !lib.hasPrefix "/" m then toString modulesPath + "/" + m
        else if isString m || isPath m then toString m
        else if isAttrs m then
          if m ? key then m.key
          else if m ? _file then m._file
          else throw "Module `${file}' contains a disabledModules item that is an attribute set, presumably a module, that does not have a `key` attribute. This means that the module system doesn't have any means to identify the module that should be disabled. Make sure that you've put the correct value in disabledModules: a string path relative to modulesPath, a path value, or an attribute set with a `key` attribute."
        else throw "Each disabledModules item must be a path, string, or a attribute set with a key attribute, or a value supported by toString. However, one of the disabledModules items in `${toString file}` is none of that, but is of type ${typeOf m}.";

      disableKeys = disabled: listToAttrs (concatMap (d: map (m: { name = moduleKey d.file m; value = null; }) d.disabled) disabled);

      collectStructuredModules =
        let
          collectResults = modules: {
            disabled = concatLists (lib.catAttrs "disabled" modules);
            inherit modules;
          };
        in
        parentFile: parentKey: initialModules: args:
        collectResults (lib.imap1 (n: x:
          let
            module = checkModule class (loadModule args parentFile "${parentKey}:anon-${toString n}" x);
            imports = addErrorContext "while evaluating the `imports` of module `${module.key}' (if you get an infinite recursion here, you probably reference `config` in `imports`; import unconditionally and use `mkIf` or `mkEnableOption` to control the effect instead)" module.imports;
            collectedImports = collectStructuredModules module._file module.key imports args;
          in
          {
            key = module.key;
            inherit module;
            modules = collectedImports.modules;
            disabled = (if module.disabledModules != [ ] then [ { file = module._file; disabled = module.disabledModules; } ] else [ ]) ++ collectedImports.disabled;
          }) initialModules);

      filterModules = modulesPath: { disabled, modules }:
        let
          disabledKeys = disableKeys disabled;
          keyFilter = filter (attrs: !(disabledKeys ? ${attrs.key}));
        in
        map (attrs: attrs.module) (builtins.genericClosure {
          startSet = keyFilter modules;
          operator = attrs: keyFilter attrs.modules;
        });
    in
    filterModules modulesPath (collectStructuredModules lib.unknownModule "" initialModules args);

  setDefaultModuleLocation = file: m: { _file = file; imports = [ m ]; };
  importApply = modulePath: staticArg: setDefaultModuleLocation modulePath (import modulePath staticArg);

  # ------------------------------------------------------------ properties

  # Defines `content` only when `condition` is true; unlike `if`, the condition may depend on `config` without infinite recursion.
  mkIf = condition: content: { _type = "if"; inherit condition content; };
  mkAssert = assertion: message: content: mkIf (if assertion then true else throw "\nFailed assertion: ${message}") content;
  # Merges a list of definitions as if each were given in its own module.
  mkMerge = contents: { _type = "merge"; inherit contents; };
  mkDefinition = args@{ file, value }: args // { _type = "definition"; };
  # Gives a definition a priority: lower numbers win (`mkForce` is 50, a plain definition 100, `mkDefault` 1000, option defaults 1500).
  mkOverride = priority: content: { _type = "override"; inherit priority content; };
  # A definition with the priority of an option default (1500).
  mkOptionDefault = mkOverride 1500;
  # A definition that any plain definition overrides (priority 1000).
  mkDefault = mkOverride 1000;
  mkImageMediaOverride = mkOverride 60;
  # A definition that overrides plain ones and `mkDefault` (priority 50).
  mkForce = mkOverride 50;
  mkVMOverride = mkOverride 10;
  mkFixStrictness = lib.warn "lib.mkFixStrictness has no effect and will be removed. It returns its argument unmodified, so you can just remove any calls." (x: x);
  # Orders a definition of a list or lines option: lower numbers come first (plain definitions are 1000).
  mkOrder = priority: content: { _type = "order"; inherit priority content; };
  # Puts a definition of a list or lines option before the plain ones (order 500).
  mkBefore = mkOrder 500;
  # Puts a definition of a list or lines option after the plain ones (order 1500).
  mkAfter = mkOrder 1500;

  # Pushes mkMerge/mkIf/mkOverride/mkOrder down into the attributes of a
  # set, so that each option sees only its own definitions.
  pushDownProperties = cfg:
    if cfg._type or "" == "merge" then concatMap pushDownProperties cfg.contents
    else if cfg._type or "" == "if" then map (mapAttrs (n: v: mkIf cfg.condition v)) (pushDownProperties cfg.content)
    else if cfg._type or "" == "override" then map (mapAttrs (n: v: mkOverride cfg.priority v)) (pushDownProperties cfg.content)
    else [ cfg ];

  # Removes mkMerge and mkIf from a definition, giving its values.
  dischargeProperties = def:
    if def._type or "" == "merge" then concatMap dischargeProperties def.contents
    else if def._type or "" == "if" then
      if isBool def.condition then (if def.condition then dischargeProperties def.content else [ ])
      else throw "‘mkIf’ called with a non-Boolean condition"
    else [ def ];

  # Keeps the definitions of the highest priority (lowest number).
  filterOverrides = defs: (filterOverrides' defs).values;
  filterOverrides' = defs:
    let
      getPrio = definitionPriority;
      highestPrio = foldl' (prio: def: lib.min (getPrio def) prio) 9999 defs;
      strip = def: if def.value._type or "" == "override" then def // { value = def.value.content; } else def;
    in
    {
      values = concatMap (def: if getPrio def == highestPrio then [ (strip def) ] else [ ]) defs;
      inherit highestPrio;
    };

  definitionPriority = def: if def.value._type or "" == "override" then def.value.priority else defaultOverridePriority;

  sortProperties = defs:
    let
      strip = def: if def.value._type or "" == "order" then def // { value = def.value.content; inherit (def.value) priority; } else def;
      defs' = map strip defs;
      compare = a: b: (a.priority or defaultOrderPriority) < (b.priority or defaultOrderPriority);
    in
    builtins.sort compare defs';

  # ------------------------------------------------------------ merging

  # A lone definition that is a plain value, or a value under a priority
  # (an option's default): its values and priority, as the general path
  # below would find them and no stricter, without its list passes. Null
  # for anything else (`mkIf`, `mkMerge`, `mkDefinition`, ...).
  singleDefinition = m:
    let
      v = addErrorContext "while evaluating definitions from `${m.file}':" m.value;
      t = v._type or null;
    in
    if t == null then { values = [ { inherit (m) file; value = v; } ]; highestPrio = defaultOverridePriority; }
    else if t == "override" && builtins.isInt v.priority && v.priority <= 9999 then
      {
        # The content is looked at only for the values, as below: the
        # priority alone must not force it.
        values =
          let def = { inherit (m) file; value = v.content; }; in
          if def.value._type or "" == "order" then sortProperties [ def ] else [ def ];
        highestPrio = v.priority;
      }
    else null;

  mergeDefinitions = loc: type: defs: rec {
    defsFinal' =
      let
        single = if length defs == 1 then singleDefinition (head defs) else null;
        defs' = concatMap (m:
          map (value: if value._type or null == "definition" then value else { inherit (m) file; inherit value; })
            (addErrorContext "while evaluating definitions from `${m.file}':" (dischargeProperties m.value))) defs;
        defs'' = filterOverrides' defs';
        # Positions and priorities of every definition, kept apart so that
        # definitions handed to types keep nixpkgs' shape { file, value }.
        all = concatMap (m: map (value: { inherit (m) file; pos = m.pos or null; priority = definitionPriority { inherit value; }; }) (dischargeProperties m.value)) defs;
        defs''' = if any (def: def.value._type or "" == "order") defs''.values then sortProperties defs''.values else defs''.values;
      in
      if single != null then single // { inherit all; }
      else { values = defs'''; inherit (defs'') highestPrio; inherit all; };
    defsFinal = defsFinal'.values;

    mergedValue =
      if isDefined then
        if all (def: type.check def.value) defsFinal then type.merge loc defsFinal
        else
          let allInvalid = filter (def: !type.check def.value) defsFinal; in
          throw "A definition for option `${showOption loc}' is not of type `${type.description}'. Definition values:${showDefs allInvalid}"
      else
        throw "The option `${showOption loc}' was accessed but has no value defined. Try setting the option.";

    isDefined = defsFinal != [ ];
    optionalValue = if isDefined then { value = mergedValue; } else { };
  };

  # An option declared once (most are) is merged without the fold below,
  # to the same set.
  mergeOptionDecls = loc: opts:
    if length opts == 1 then
      let
        opt = head opts;
        getSubModules = opt.options.type.getSubModules or null;
      in
      opt.options // {
        inherit loc;
        declarations = [ opt._file ];
        declarationPositions = if opt.pos != null then [ opt.pos ] else [ { file = opt._file; line = null; column = null; } ];
        options = if getSubModules != null then map (setDefaultModuleLocation opt._file) getSubModules else [ ];
      }
    else
    foldl' (res: opt:
      let
        t = res.type;
        t' = opt.options.type;
        mergedType = t.typeMerge t'.functor;
        typesMergeable = mergedType != null;
        typeSet = if (bothHave "type") && typesMergeable then { type = mergedType; } else { };
        bothHave = k: opt.options ? ${k} && res ? ${k};
      in
      if bothHave "default" || bothHave "example" || bothHave "description" || bothHave "apply" || (bothHave "type" && (!typesMergeable)) then
        throw "The option `${showOption loc}' in `${opt._file}' is already declared in ${showFiles res.declarations}."
      else
        let
          getSubModules = opt.options.type.getSubModules or null;
          submodules =
            if getSubModules != null then map (setDefaultModuleLocation opt._file) getSubModules ++ res.options
            else res.options;
        in
        opt.options // res // {
          declarations = res.declarations ++ [ opt._file ];
          declarationPositions = res.declarationPositions ++ (if opt.pos != null then [ opt.pos ] else [ { file = opt._file; line = null; column = null; } ]);
          options = submodules;
        } // typeSet) { inherit loc; declarations = [ ]; declarationPositions = [ ]; options = [ ]; } opts;

  # `fixupOptionType loc (mergeOptionDecls loc [ decl ])`, for an option
  # declared once, in one update.
  singleOptionDecl = loc: decl:
    let opt = decl.options; in
    if opt.type.getSubModules or null != null then fixupOptionType loc (mergeOptionDecls loc [ decl ])
    else opt // {
      inherit loc;
      declarations = [ decl._file ];
      declarationPositions = if decl.pos != null then [ decl.pos ] else [ { file = decl._file; line = null; column = null; } ];
      options = [ ];
      type = opt.type or types.unspecified;
    };

  fixupOptionType = loc: opt:
    if opt.type.getSubModules or null == null then opt // { type = opt.type or types.unspecified; }
    else opt // { type = opt.type.substSubModules opt.options; options = [ ]; };

  evalOptionValue = loc: opt: defs:
    let
      defs' = if opt ? default then [ { file = head opt.declarations; value = mkOptionDefault opt.default; } ] ++ defs else defs;
      res =
        if opt.readOnly or false && length defs' > 1 then
          let separateDefs = map (def: def // { value = (mergeDefinitions loc opt.type [ def ]).mergedValue; }) defs'; in
          throw "The option `${showOption loc}' is read-only, but it's set multiple times. Definition values:${showDefs separateDefs}"
        else mergeDefinitions loc opt.type defs';
      value = if opt ? apply then opt.apply res.mergedValue else res.mergedValue;
      checked =
        if opt.type.deprecationMessage != null then
          lib.warn "The type `types.${opt.type.name}' of option `${showOption loc}' defined in ${showFiles opt.declarations} is deprecated. ${opt.type.deprecationMessage}" opt
        else opt;
    in
    checked // {
      value = addErrorContext "while evaluating the option `${showOption loc}':" value;
      inherit (res.defsFinal') highestPrio;
      definitions = map (def: def.value) res.defsFinal;
      files = map (def: def.file) res.defsFinal;
      definitionsWithLocations = res.defsFinal;
      # Every definition, also those a higher priority overrode: where it
      # is and at which priority (for `nixcfg options` and editors).
      definitionsWithPriorities = res.defsFinal'.all;
      inherit (res) isDefined;
      __toString = _: showOption loc;
    };

  byName = prefix: attr: f: modules:
    zipAttrsWith (n: concatLists) (map (module:
      let subtree = module.${attr}; in
      if !(isAttrs subtree) then
        throw (if attr == "config" then ''
          In module `${module.file}', you're trying to define a value of type `${typeOf subtree}'
          rather than an attribute set for the option
          `${showOption prefix}'!

          This usually happens if `${showOption prefix}' has option
          definitions inside that are not matched. Please check how to properly define
          this option by e.g. referring to `man 5 configuration.nix'!
        '' else "An option declaration for `${showOption [ ]}' has type `${typeOf subtree}' rather than an attribute set.")
      else mapAttrs (n: f module subtree n) subtree) modules);

  mergeModules = prefix: modules:
    mergeModules' prefix modules (concatMap (m: map (config: { file = m._file; inherit config; }) (pushDownProperties m.config)) modules);

  mergeModules' = prefix: modules: configs:
    let
      declsByName = byName prefix "options" (module: subtree: n: option: [ { inherit (module) _file; pos = builtins.unsafeGetAttrPos n subtree; options = option; } ]) modules;
      checkedDecls = declsByName;

      # Definitions, with properties pushed down, by name.
      defnsByName = byName prefix "config" (module: subtree: n: value: map (config: { inherit (module) file; inherit config; }) (pushDownProperties value)) configs;
      # Definitions as given (for options, which push down themselves).
      # Definitions as given (for options, which push down themselves),
      # with the position of each (nixcfg's provenance; null when unknown).
      defnsByName' = byName prefix "config" (module: subtree: n: value: [ { inherit (module) file; inherit value; pos = builtins.unsafeGetAttrPos n subtree; } ]) configs;

      resultsByName = mapAttrs (name: decls:
        let
          loc = prefix ++ [ name ];
          defns = defnsByName.${name} or [ ];
          defns' = defnsByName'.${name} or [ ];
          optionDecls = filter (m:
            let tag = m.options._type or null; in
            if tag == "option" then true else if tag != null then throwDeclarationTypeError loc tag m._file else false) decls;
        in
        if length decls == 1 && (head decls).options._type or null == "option" then
          { matchedOptions = evalOptionValue loc (singleOptionDecl loc (head decls)) defns'; unmatchedDefns = [ ]; }
        else if length optionDecls == length decls then
          let opt = fixupOptionType loc (mergeOptionDecls loc decls); in
          { matchedOptions = evalOptionValue loc opt defns'; unmatchedDefns = [ ]; }
        else if optionDecls != [ ] then
          if all (x: x.options.type.name or null == "submodule") optionDecls then
            let
              opt = fixupOptionType loc (mergeOptionDecls loc (map optionTreeToOption decls));
            in
            { matchedOptions = evalOptionValue loc opt defns'; unmatchedDefns = [ ]; }
          else
            let
              nonOptions = filter (m: !isOption m.options) decls;
            in
            throw "The option `${showOption loc}' in module `${(head optionDecls)._file}' would be a parent of the following options, but its type `${(head optionDecls).options.type.description or "<no description>"}' does not support nested options.\n${showRawDeclarations loc nonOptions}"
        else
          mergeModules' loc decls defns) checkedDecls;

      matchedOptions = mapAttrs (n: v: v.matchedOptions) resultsByName;

      unmatchedDefnsByName =
        mapAttrs (n: defs: defs) (removeAttrs defnsByName' (attrNames matchedOptions))
        // mapAttrs (n: v: v.unmatchedDefns) resultsByName;
    in
    {
      inherit matchedOptions;
      unmatchedDefns =
        if configs == [ ] then [ ]
        else concatLists (lib.mapAttrsToList (name: defs:
          map (def: def // { prefix = [ name ] ++ (def.prefix or [ ]); }) defs) unmatchedDefnsByName);
    };

  throwDeclarationTypeError = loc: actualTag: file:
    let
      name = lib.strings.escapeNixIdentifier (lib.last loc);
      path = showOption loc;
      depth = length loc;
      paragraphs = [ "In module ${file}: expected an option declaration at option path `${path}` but got an attribute set with type ${actualTag}" ]
        ++ optional (actualTag == "option-type") ''
          When declaring an option, you must wrap the type in a `mkOption` call. It should look somewhat like:
              ${if depth > 1 then "options.${showOption (lib.init loc)} = {" else "options = {"}
                ${name} = lib.mkOption {
                  description = ...;
                  type = <the type you wrote for ${name}>;
                  ...
                };
              }
        '';
    in
    throw (lib.concatStringsSep "\n\n" paragraphs);

  optionTreeToOption = decl:
    if isOption decl.options then decl
    else decl // { options = mkOption { type = types.submoduleWith { modules = [ { options = decl.options; } ]; shorthandOnlyDefinesConfig = null; }; }; };

  showRawDeclarations = base: decls:
    lib.concatStringsSep "\n" (lib.sort (a: b: a < b) (concatMap (decl:
      map (subpath: " - option(s) with prefix `${showOption (base ++ [ subpath ])}' in module `${decl._file}'")
        (lib.attrNames decl.options)) decls));

  # ---------------------------------------------------------- evalModules

  # Evaluates a list of modules: collects imports, declares their options, merges their definitions and returns `{ config, options, ... }`.
  evalModules = evalModulesArgs@{ modules, prefix ? [ ], args ? { }, check ? true, specialArgs ? { }, class ? null }:
    let
      withWarnings = x: x;

      legacyModules =
        optional (evalModulesArgs ? args) { config = { _module.args = args; }; }
        ++ optional (evalModulesArgs ? check) { config = { _module.check = lib.mkDefault check; }; };
      regularModules = modules ++ legacyModules;

      internalModule = rec {
        _file = "lib/modules.nix";
        key = _file;
        options = {
          _module.args = mkOption {
            type = types.lazyAttrsOf types.raw;
            internal = true;
            description = "Additional arguments passed to each module in addition to ones like `lib`, `config`, and `pkgs`, `modulesPath`.";
          };
          _module.check = mkOption {
            type = types.bool;
            internal = true;
            default = true;
            description = "Whether to check whether all option definitions have matching declarations.";
          };
          _module.freeformType = mkOption {
            type = types.nullOr types.optionType;
            internal = true;
            default = null;
            description = "If set, merge all definitions that don't have an associated option together using this type.";
          };
          _module.specialArgs = mkOption {
            readOnly = true;
            internal = true;
            description = "Externally provided module arguments that can't be modified from within a configuration, but can be used in module imports.";
          };
        };
        config = {
          _module.args = { inherit extendModules; moduleType = type; };
          _module.specialArgs = specialArgs;
        };
      };

      merged =
        let
          collected = collectModules class (specialArgs.modulesPath or "") (regularModules ++ [ internalModule ]) ({
            inherit lib options config specialArgs;
            _class = class;
            _prefix = prefix;
          } // specialArgs);
        in
        mergeModules prefix (lib.reverseList collected);

      options = merged.matchedOptions;

      config =
        let
          declaredConfig = mapAttrsRecursiveCond (v: !isOption v) (_: v: v.value) options;
          freeformConfig =
            let defs = map (def: { file = def.file; value = setAttrByPath def.prefix def.value; }) merged.unmatchedDefns; in
            if defs == [ ] then { } else declaredConfig._module.freeformType.merge prefix defs;
        in
        if declaredConfig._module.freeformType == null then declaredConfig
        else recursiveUpdate freeformConfig declaredConfig;

      checkUnmatched =
        if config._module.check && config._module.freeformType == null && merged.unmatchedDefns != [ ] then
          let
            firstDef = head merged.unmatchedDefns;
            baseMsg =
              let
                optText = showOption (prefix ++ firstDef.prefix);
                defText = addErrorContext "while evaluating the error message for definitions for `${optText}', which is an option that does not exist"
                  (addErrorContext "while evaluating a definition from `${firstDef.file}'" (showDefs [ firstDef ]));
              in
              "The option `${optText}' does not exist. Definition values:${defText}";
          in
          if lib.attrNames options == [ "_module" ] then
            let optionName = showOption prefix; in
            if optionName == "" then
              throw ''
                ${baseMsg}

                It seems as if you're trying to declare an option by placing it into `config' rather than `options'!
              ''
            else
              throw ''
                ${baseMsg}

                However there are no options defined in `${showOption prefix}'. Are you sure you've
                declared your options properly? This can happen if you e.g. declared your options in `types.submodule'
                under `config' rather than under `options'.
              ''
          else throw (baseMsg + suggestion firstDef)
        else null;

      suggestion = def:
        let
          name = head def.prefix;
          candidates = attrNames options;
          scored = map (c: { inherit c; d = lib.strings.levenshtein c name; }) (builtins.filter (c: c != "_module") candidates);
          close = map (x: x.c) (builtins.sort (x: y: x.d < y.d) (builtins.filter (x: x.d <= lib.max 1 (builtins.stringLength name / 3)) scored));
        in
        if close == [ ] then "" else "\nDid you mean `${showOption (prefix ++ [ (head close) ])}'?";

      checked = builtins.seq checkUnmatched;

      extendModules = extendArgs@{ modules ? [ ], specialArgs ? { }, prefix ? [ ] }:
        evalModules (evalModulesArgs // {
          modules = regularModules ++ modules;
          specialArgs = evalModulesArgs.specialArgs or { } // specialArgs;
          prefix = extendArgs.prefix or evalModulesArgs.prefix or [ ];
        });

      type = types.submoduleWith { inherit modules specialArgs class; };

      result = withWarnings {
        _type = "configuration";
        options = checked options;
        config = checked (removeAttrs config [ "_module" ]);
        _module = checked config._module;
        # nixcfg: the definitions no option matched, for the checker to
        # report them all (not only the first) with their positions.
        _nixcfgUnmatched = merged.unmatchedDefns;
        inherit extendModules type class;
      };
    in
    result;

  # ---------------------------------------------------- option renaming

  doRename = { from, to, visible, warn, use, withPriority ? true, condition ? true }:
    { config, options, ... }:
    let
      fromOpt = lib.getAttrFromPath from options;
      toOf = lib.attrByPath to (abort "Renaming error: option `${showOption to}' does not exist.");
      toType = let opt = lib.attrByPath to { } options; in opt.type or (types.submodule { });
    in
    {
      options = setAttrByPath from (mkOption {
        inherit visible;
        description = "Alias of {option}`${showOption to}`.";
        apply = x: use (toOf config);
      } // optionalAttrs (toType != null) { type = toType; });
      config = lib.mkIf condition (lib.mkMerge [
        (optionalAttrs (options ? warnings) {
          warnings = optional (warn && fromOpt.isDefined) "The option `${showOption from}' defined in ${showFiles fromOpt.files} has been renamed to `${showOption to}'.";
        })
        (if withPriority then mkAliasAndWrapDefsWithPriority (setAttrByPath to) fromOpt else mkAliasAndWrapDefinitions (setAttrByPath to) fromOpt)
      ]);
    };

  # A module that makes option `from` an alias of `to`, with a warning when `from` is used.
  mkRenamedOptionModule = from: to: doRename { inherit from to; visible = false; warn = true; use = builtins.trace "Obsolete option `${showOption from}' is used. It was renamed to `${showOption to}'."; };
  mkRenamedOptionModuleWith = { from, to, sinceRelease }: doRename { inherit from to; visible = false; warn = lib.isInOldestRelease sinceRelease; use = lib.warnIf (lib.isInOldestRelease sinceRelease) "Obsolete option `${showOption from}' is used. It was renamed to `${showOption to}'."; };
  # A module that makes option `from` an alias of `to`, without a warning.
  mkAliasOptionModule = from: to: doRename { inherit from to; visible = true; warn = false; use = x: x; };
  mkAliasOptionModuleMD = mkAliasOptionModule;

  # A module that makes defining the removed option an error, with `replacementInstructions` in the message.
  mkRemovedOptionModule = optionName: replacementInstructions:
    { options, ... }:
    {
      options = setAttrByPath optionName (mkOption {
        visible = false;
        apply = x: throw "The option `${showOption optionName}' can no longer be used since it's been removed. ${replacementInstructions}";
      });
      config.assertions =
        let opt = lib.getAttrFromPath optionName options; in
        [ {
          assertion = !opt.isDefined;
          message = ''
            The option definition `${showOption optionName}' in ${showFiles opt.files} no longer has any effect; please remove it.
            ${replacementInstructions}
          '';
        } ];
    };

  mkMergedOptionModule = from: to: mergeFn:
    { config, options, ... }:
    {
      options = lib.foldl' lib.recursiveUpdate { } (map (path: setAttrByPath path (mkOption {
        visible = false;
        default = "_mkMergedOptionModule";
      })) from);
      config = {
        warnings = lib.filter (x: x != "") (map (f:
          let val = lib.getAttrFromPath f config; opt = lib.getAttrFromPath f options; in
          lib.optionalString (val != "_mkMergedOptionModule") "The option `${showOption f}' defined in ${showFiles opt.files} has been changed to `${showOption to}' that has a different type. Please read `${showOption to}' documentation and update your configuration accordingly.") from);
      } // lib.setAttrByPath to (lib.mkMerge (optional (any (f: (lib.getAttrFromPath f config) != "_mkMergedOptionModule") from) (mergeFn config)));
    };

  mkChangedOptionModule = from: to: changeFn: mkMergedOptionModule [ from ] to changeFn;

  mkDerivedConfig = opt: f: mkOverride (opt.highestPrio or defaultOverridePriority) (f opt.value);

  mkAliasDefinitions = mkAliasAndWrapDefinitions lib.id;
  mkAliasAndWrapDefinitions = wrap: option: mkAliasIfDef option (wrap (mkMerge option.definitions));
  mkAliasAndWrapDefsWithPriority = wrap: option:
    let prio = option.highestPrio or defaultOverridePriority; defsWithPrio = map (mkOverride prio) option.definitions; in
    mkAliasIfDef option (wrap (mkMerge defsWithPrio));
  mkAliasIfDef = option: mkIf (isOption option && option.isDefined);

  fixMergeModules = modules: args: evalModules { inherit modules args; check = false; };

  # The definitions of a lazyAttrsOf option, merged per attribute, with
  # the priority that won for each.
  mergeAttrDefinitionsWithPrio = opt:
    let
      defsByAttr = zipAttrsWith (k: v: v) (concatLists (map ({ value, file }:
        lib.mapAttrsToList (k: value: { ${k} = { inherit file value; }; }) value) opt.definitionsWithLocations));
    in
    assert opt.type.name == "lazyAttrsOf";
    mapAttrs (k: v:
      let merging = mergeDefinitions (opt.loc ++ [ k ]) opt.type.nestedTypes.elemType v; in
      { value = merging.mergedValue; inherit (merging.defsFinal') highestPrio; }) defsByAttr;
in
{
  inherit evalModules collectModules setDefaultModuleLocation importApply unifyModuleSyntax applyModuleArgsIfFunction mergeModules mergeModules'
    mergeOptionDecls evalOptionValue mergeDefinitions pushDownProperties dischargeProperties filterOverrides filterOverrides' sortProperties
    fixupOptionType mkIf mkAssert mkMerge mkOverride mkOptionDefault mkDefault mkImageMediaOverride mkForce mkVMOverride mkFixStrictness
    mkOrder mkBefore mkAfter mkAliasDefinitions mkAliasAndWrapDefinitions mkAliasAndWrapDefsWithPriority mkAliasIfDef
    mkRenamedOptionModule mkRenamedOptionModuleWith mkMergedOptionModule mkChangedOptionModule mkAliasOptionModule mkAliasOptionModuleMD
    mkRemovedOptionModule mkDerivedConfig doRename fixMergeModules mergeAttrDefinitionsWithPrio defaultOverridePriority defaultOrderPriority mkDefinition;
  defaultPriority = defaultOverridePriority;
  isType = isType;
  setType = typeName: value: value // { _type = typeName; };
  assertMsg = pred: msg: pred || builtins.throw msg;
  assertOneOf = name: val: xs: lib.assertMsg (lib.elem val xs) "${name} must be one of ${lib.generators.toPretty { } xs}, but is: ${lib.generators.toPretty { } val}";
}
