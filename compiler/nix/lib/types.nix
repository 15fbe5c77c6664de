# Option types: each is a set with `_type = "option-type"`, a `check`
# predicate and a `merge` function, as nixpkgs' types are.
{ lib }:
let
  inherit (builtins) isAttrs isList isString isInt isFloat isBool isFunction length head tail filter all any map concatLists attrNames elem foldl' zipAttrsWith mapAttrs;
  inherit (lib) mergeDefinitions showOption showFiles getFiles getValues mergeOneOption mergeEqualOption mergeDefaultOption mergeUniqueOption imap1 last optionalAttrs toList isStringLike;

  isType = type: x: (x._type or "") == type;

  defaultFunctor = name: { inherit name; type = types.${name} or null; wrapped = null; payload = null; binOp = a: b: null; };

  # Types with a payload merge through `binOp`; old-style types through
  # their `wrapped` type. Newer types keep `wrapped` only to say it is gone.
  defaultTypeMerge = f: f':
    let
      hasWrapped = x: !(x ? wrappedDeprecationMessage) && x.wrapped or null != null;
      payload = f.binOp f.payload f'.payload;
      wrapped = f.wrapped.typeMerge f'.wrapped.functor;
    in
    if f.name != f'.name then null
    else if f.payload or null != null && hasWrapped f then
      throw "Type ${f.name} defines both `functor.payload` and `functor.wrapped` at the same time, which is not supported. Use either `functor.payload` or `functor.wrapped` but not both.\n\nIf your code worked before remove either `functor.wrapped` or `functor.payload` from the type definition."
    else if f.payload or null != null && f'.payload or null != null then (if payload != null then f.type payload else null)
    else if f.payload or null == null && f'.payload or null == null && !hasWrapped f && !hasWrapped f' then f.type
    else if hasWrapped f && hasWrapped f' then (if wrapped != null then f.type wrapped else null)
    else null;

  # A functor of a type with nested types: `wrapped` is deprecated in
  # favour of `nestedTypes`, and reading it is an error, as in nixpkgs.
  elemTypeFunctor = name: payload: defaultFunctor name // {
    inherit payload;
    wrappedDeprecationMessage = "The deprecated `type.functor.wrapped` attribute of the option `${name}` is accessed, use `type.nestedTypes.elemType` instead.";
    wrapped = throw "The deprecated `type.functor.wrapped` attribute of the option `${name}` is accessed, use `type.nestedTypes.elemType` instead.";
  };

  optionDescriptionPhrase = unparenthesize: t:
    if unparenthesize (t.descriptionClass or null) then t.description else "(${t.description})";

  mkOptionType =
    {
      name,
      description ? null,
      descriptionClass ? null,
      check ? (x: true),
      merge ? mergeDefaultOption,
      emptyValue ? { },
      getSubOptions ? prefix: { },
      getSubModules ? null,
      substSubModules ? m: null,
      typeMerge ? defaultTypeMerge functor,
      functor ? defaultFunctor name,
      deprecationMessage ? null,
      nestedTypes ? { },
      # nixcfg only: `merge loc [ def ]` is `def.value` for a value that
      # passes `check` (so `listOf` can skip merging each element). A type
      # made from this one with `//` and another `merge` must drop it.
      nixcfgPlainMerge ? false,
    }:
    {
      _type = "option-type";
      inherit name check merge emptyValue getSubOptions getSubModules substSubModules typeMerge functor deprecationMessage nestedTypes descriptionClass nixcfgPlainMerge;
      description = if description == null then name else description;
    };

  addCheck = elemType: check: elemType // { check = x: elemType.check x && check x; };

  intBetween = lowest: highest: description: addCheck types.int (x: x >= lowest && x <= highest) // {
    name = "intBetween";
    description = if description != null then description else "integer between ${toString lowest} and ${toString highest} (both inclusive)";
  };

  bitsInt = bits: unsigned:
    let
      lowest = if unsigned then 0 else -(pow2 (bits - 1));
      highest = if unsigned then pow2 bits - 1 else pow2 (bits - 1) - 1;
    in
    intBetween lowest highest "${toString bits} bit ${if unsigned then "unsigned" else "signed"} integer; between ${toString lowest} and ${toString highest} (both inclusive)";

  pow2 = n: if n == 0 then 1 else 2 * pow2 (n - 1);

  separatedString = sep: mkOptionType rec {
    name = "separatedString";
    description = if sep == "" then "Concatenated string" else "strings concatenated with ${builtins.toJSON sep}";
    descriptionClass = "noun";
    check = isString;
    merge = loc: defs: builtins.concatStringsSep sep (getValues defs);
    functor = (defaultFunctor name) // { payload = sep; binOp = sepLhs: sepRhs: if sepLhs == sepRhs then sepLhs else null; };
  };

  strMatching = pattern: mkOptionType {
    name = "strMatching ${builtins.toJSON pattern}";
    description = "string matching the pattern ${pattern}";
    descriptionClass = "noun";
    check = x: isString x && builtins.match pattern x != null;
    inherit (types.str) merge nixcfgPlainMerge;
    functor = defaultFunctor "strMatching" // { type = payload: strMatching payload.pattern; payload = { inherit pattern; }; binOp = lhs: rhs: if lhs == rhs then lhs else null; };
  };

  attrsWith = { elemType, lazy ? false, placeholder ? "name" }: mkOptionType {
    name = if lazy then "lazyAttrsOf" else "attrsOf";
    description = (if lazy then "lazy attribute set" else "attribute set") + " of ${optionDescriptionPhrase (class: class == "noun" || class == "composite") elemType}";
    descriptionClass = "composite";
    check = isAttrs;
    merge = loc: defs:
      let
        pushed = map (def: mapAttrs (n: v: { inherit (def) file; value = v; }) def.value) defs;
        # The merged names' values, where a name has one (natively in nixcfg).
        presentValues = builtins.nixcfgPresentValues or (s: mapAttrs (n: v: v.value) (lib.filterAttrs (n: v: v ? value) s));
        # A name defined once with a plain value (most are) is merged as
        # mergeDefinitions would, without its bookkeeping for priorities
        # and positions (an attribute's is not read).
        mergeName = name: defs:
          let
            def = head defs;
            value = builtins.addErrorContext "while evaluating definitions from `${def.file}':" def.value;
          in
          if length defs == 1 && (value._type or null) == null && elemType.check value then
            { value = elemType.merge (loc ++ [ name ]) [ { inherit (def) file; inherit value; } ]; }
          else (mergeDefinitions (loc ++ [ name ]) elemType defs).optionalValue;
      in
      if lazy then
        zipAttrsWith (name: defs:
          let merged = mergeDefinitions (loc ++ [ name ]) elemType defs; in
          merged.optionalValue.value or elemType.emptyValue.value or merged.mergedValue) pushed
      else
        presentValues (zipAttrsWith mergeName pushed);
    emptyValue = { value = { }; };
    getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "<${placeholder}>" ]);
    getSubModules = elemType.getSubModules;
    substSubModules = m: attrsWith { elemType = elemType.substSubModules m; inherit lazy placeholder; };
    functor = elemTypeFunctor "attrsWith" { inherit elemType lazy placeholder; } // {
      type = payload: attrsWith payload;
      binOp = lhs: rhs:
        let elemType = lhs.elemType.typeMerge rhs.elemType.functor; in
        if lhs.lazy != rhs.lazy || elemType == null then null
        else { inherit elemType; lazy = lhs.lazy; placeholder = if lhs.placeholder == rhs.placeholder then lhs.placeholder else "name"; };
    };
    nestedTypes.elemType = elemType;
  };

  submoduleWith =
    # nixcfgReusable (nixcfg only): an instance depends on its definitions
    # alone (and on options outside every instance), so the language
    # server may take it from the evaluation before (builtins.nixcfgReuse).
    # nixcfgReuseWith (nixcfg only): plain data an instance also reads
    # from outside (`users.groups`' members from the users' extraGroups);
    # part of the fingerprint, by content.
    { modules, specialArgs ? { }, shorthandOnlyDefinesConfig ? false, description ? null, class ? null, nixcfgReusable ? false, nixcfgReuseWith ? [ ] }@attrs:
    let
      inherit (lib.modules) evalModules;
      allModules = defs: map ({ value, file }:
        if isAttrs value && shorthandOnlyDefinesConfig then { _file = file; config = value; }
        else { _file = file; imports = [ value ]; }) defs;
      base = evalModules {
        inherit class specialArgs;
        modules = [ { _module.args.name = lib.mkOptionDefault "‹name›"; } ] ++ modules;
      };
      freeformType = base._module.freeformType;
      name = "submodule";
    in
    mkOptionType {
      inherit name;
      description = if description != null then description else freeformType.description or name;
      descriptionClass = "noun";
      check = x: isAttrs x || isFunction x || types.path.check x;
      merge = loc: defs:
        let
          instance = _: (base.extendModules {
            modules = [ { _module.args.name = last loc; } ] ++ allModules defs;
            prefix = loc;
          }).config;
        in
        if nixcfgReusable then builtins.nixcfgReuse [ loc defs modules specialArgs nixcfgReuseWith ] instance
        else instance null;
      emptyValue = { value = { }; };
      getSubOptions = prefix:
        let docsEval = base.extendModules { inherit prefix; }; in
        docsEval.options // optionalAttrs (freeformType != null) { _freeformOptions = freeformType.getSubOptions prefix; };
      getSubModules = modules;
      substSubModules = m: submoduleWith (attrs // { modules = m; });
      nestedTypes = optionalAttrs (freeformType != null) { inherit freeformType; };
      functor = defaultFunctor name // {
        type = types.submoduleWith;
        payload = { inherit modules class specialArgs shorthandOnlyDefinesConfig description nixcfgReusable nixcfgReuseWith; };
        binOp = lhs: rhs: {
          class = if lhs.class == null then rhs.class else if rhs.class == null then lhs.class else if lhs.class == rhs.class then lhs.class
            else throw "A submoduleWith option is declared multiple times with conflicting class values \"${toString lhs.class}\" and \"${toString rhs.class}\".";
          modules = lhs.modules ++ rhs.modules;
          nixcfgReusable = (lhs.nixcfgReusable or false) && (rhs.nixcfgReusable or false);
          nixcfgReuseWith = (lhs.nixcfgReuseWith or [ ]) ++ (rhs.nixcfgReuseWith or [ ]);
          specialArgs =
            let intersecting = builtins.intersectAttrs lhs.specialArgs rhs.specialArgs; in
            if intersecting == { } then lhs.specialArgs // rhs.specialArgs
            else throw "A submoduleWith option is declared multiple times with the same specialArgs \"${toString (attrNames intersecting)}\"";
          shorthandOnlyDefinesConfig = if lhs.shorthandOnlyDefinesConfig == null then rhs.shorthandOnlyDefinesConfig
            else if rhs.shorthandOnlyDefinesConfig == null then lhs.shorthandOnlyDefinesConfig
            else if lhs.shorthandOnlyDefinesConfig == rhs.shorthandOnlyDefinesConfig then lhs.shorthandOnlyDefinesConfig
            else throw "A submoduleWith option is declared multiple times with conflicting shorthandOnlyDefinesConfig values";
          description = if lhs.description == null then rhs.description else if rhs.description == null then lhs.description
            else if lhs.description == rhs.description then lhs.description
            else throw "A submoduleWith option is declared multiple times with conflicting descriptions";
        };
      };
    };

  pathWith = { inStore ? null, absolute ? null }:
    assert lib.assertMsg (inStore == true -> absolute != false) "In pathWith, inStore means the path must be absolute";
    mkOptionType {
      name = if inStore == true then "pathInStore" else if inStore == false && absolute == true then "externalPath" else "path";
      description = (if absolute == null then "" else if absolute then "absolute " else "relative ")
        + "path"
        + (if inStore == null then "" else if inStore then " in the Nix store" else " not in the Nix store");
      descriptionClass = "noun";
      merge = mergeEqualOption;
      functor = defaultFunctor "path" // { type = pathWith; payload = { inherit inStore absolute; }; binOp = lhs: rhs: if lhs == rhs then lhs else null; };
      check = x:
        let
          isInStore = builtins.match "${builtins.storeDir}/[^.].*" (toString x) != null;
          isAbsolute = builtins.substring 0 1 (toString x) == "/";
          isExpectedType = if inStore == null || inStore then isStringLike x else isString x;
        in
        isExpectedType
        && (inStore == null || inStore == isInStore)
        && (absolute == null || absolute == isAbsolute);
    };

  types = rec {
    inherit isType mkOptionType addCheck defaultFunctor defaultTypeMerge optionDescriptionPhrase;
    setType = typeName: value: value // { _type = typeName; };
    isOptionType = isType "option-type";

    raw = mkOptionType { name = "raw"; description = "raw value"; descriptionClass = "noun"; check = x: true; merge = mergeOneOption; nixcfgPlainMerge = true; };

    anything = mkOptionType {
      name = "anything";
      description = "anything";
      descriptionClass = "noun";
      check = value: true;
      merge = loc: defs:
        let
          getType = value: if isAttrs value && isStringLike value then "stringCoercibleSet" else builtins.typeOf value;
          commonType = foldl' (type: def:
            if getType def.value == type then type
            else throw "The option `${showOption loc}' has conflicting option types in ${showFiles (getFiles defs)}") (getType (head defs).value) defs;
          mergeFunction = {
            set = (attrsOf anything).merge;
            list = if length defs > 1 then mergeEqualOption else (listOf anything).merge;
            lambda = loc: defs: arg: anything.merge (loc ++ [ "<function body>" ]) (map (def: { file = def.file; value = def.value arg; }) defs);
          }.${commonType} or (loc: defs: mergeEqualOption loc defs);
        in
        mergeFunction loc defs;
    };

    unspecified = mkOptionType { name = "unspecified"; description = "unspecified value"; descriptionClass = "noun"; nixcfgPlainMerge = true; };

    # A Boolean; several definitions must be equal.
    bool = mkOptionType { name = "bool"; description = "boolean"; descriptionClass = "noun"; check = isBool; merge = mergeEqualOption; nixcfgPlainMerge = true; };
    boolByOr = mkOptionType { name = "boolByOr"; description = "boolean (merged using or)"; descriptionClass = "noun"; check = isBool; merge = loc: defs: any (d: d.value) defs; };

    # A signed integer; several definitions must be equal.
    int = mkOptionType { name = "int"; description = "signed integer"; descriptionClass = "noun"; check = isInt; merge = mergeEqualOption; nixcfgPlainMerge = true; };

    ints = rec {
      between = lowest: highest: assert lib.assertMsg (lowest <= highest) "ints.between: lowest must be smaller than highest"; intBetween lowest highest null;
      unsigned = addCheck int (x: x >= 0) // { name = "unsignedInt"; description = "unsigned integer, meaning >=0"; descriptionClass = "nonRestrictiveClause"; };
      positive = addCheck int (x: x > 0) // { name = "positiveInt"; description = "positive integer, meaning >0"; descriptionClass = "nonRestrictiveClause"; };
      u8 = bitsInt 8 true;
      u16 = bitsInt 16 true;
      u32 = bitsInt 32 true;
      u64 = bitsInt 64 true // { check = x: isInt x && x >= 0; };
      s8 = bitsInt 8 false;
      s16 = bitsInt 16 false;
      s32 = bitsInt 32 false;
      s64 = int;
    };

    # A port number: an integer from 0 to 65535.
    port = ints.u16;

    float = mkOptionType { name = "float"; description = "floating point number"; descriptionClass = "noun"; check = isFloat; merge = mergeEqualOption; nixcfgPlainMerge = true; };

    number = either int float;

    numbers = rec {
      between = lowest: highest: addCheck number (x: x >= lowest && x <= highest) // {
        name = "numberBetween";
        description = "integer or floating point number between ${toString lowest} and ${toString highest} (both inclusive)";
      };
      nonnegative = addCheck number (x: x >= 0) // { name = "numberNonnegative"; description = "nonnegative integer or floating point number, meaning >=0"; };
      positive = addCheck number (x: x > 0) // { name = "numberPositive"; description = "positive integer or floating point number, meaning >0"; };
    };

    # A string; several definitions must be equal.
    str = mkOptionType { name = "str"; description = "string"; descriptionClass = "noun"; check = isString; merge = mergeEqualOption; nixcfgPlainMerge = true; };

    nonEmptyStr = mkOptionType {
      name = "nonEmptyStr";
      description = "non-empty string";
      descriptionClass = "noun";
      check = x: str.check x && builtins.match "[ \t\n]*" x == null;
      inherit (str) merge nixcfgPlainMerge;
    };

    singleLineStr =
      let inherit (strMatching "[^\n\r]*\n?") check merge; in
      mkOptionType {
        name = "singleLineStr";
        description = "(optionally newline-terminated) single-line string";
        descriptionClass = "noun";
        inherit check;
        merge = loc: defs: lib.removeSuffix "\n" (merge loc defs);
      };

    inherit strMatching separatedString;

    # Strings joined with newlines when several are defined.
    lines = separatedString "\n";
    commas = separatedString ",";
    envVar = separatedString ":";

    string = lib.warn "The type `types.string` is deprecated. See https://github.com/NixOS/nixpkgs/pull/66346 for better alternative types." (separatedString "" // { name = "string"; });

    passwdEntry = entryType: addCheck entryType (str: !(lib.hasInfix ":" str || lib.hasInfix "\n" str)) // {
      name = "passwdEntry ${entryType.name}";
      description = "${optionDescriptionPhrase (class: class == "noun") entryType}, not containing newlines or colons";
      descriptionClass = "nonRestrictiveClause";
    };

    attrs = mkOptionType {
      name = "attrs";
      description = "attribute set";
      check = isAttrs;
      merge = loc: foldl' (res: def: res // def.value) { };
      emptyValue = { value = { }; };
    };

    # A derivation (or a store path).
    package = mkOptionType {
      name = "package";
      descriptionClass = "noun";
      check = x: lib.isDerivation x || lib.isStorePath x;
      merge = loc: defs:
        let res = mergeOneOption loc defs; in
        if builtins.isPath res || (isString res && !builtins.hasContext res) then lib.toDerivation res else res;
    };

    shellPackage = package // { check = x: lib.isDerivation x && builtins.hasAttr "shellPath" x; };

    pkgs = addCheck (unique { message = "A Nixpkgs pkgs set can not be merged with another pkgs set."; } attrs // { name = "pkgs"; descriptionClass = "noun"; description = "Nixpkgs package set"; }) (x: (x._type or null) == "pkgs");

    # An absolute path (a path value or a string starting with `/`).
    path = pathWith { absolute = true; };
    pathInStore = pathWith { inStore = true; };
    externalPath = pathWith { absolute = true; inStore = false; };
    inherit pathWith;

    # A list whose elements all have type `elemType`; definitions are concatenated.
    listOf = elemType: mkOptionType rec {
      name = "listOf";
      description = "list of ${optionDescriptionPhrase (class: class == "noun" || class == "composite") elemType}";
      descriptionClass = "composite";
      check = isList;
      merge = loc: defs:
        let
          merged = n: def: m: def': mergeDefinitions (loc ++ [ "[definition ${toString n}-entry ${toString m}]" ]) elemType [ { inherit (def) file; value = def'; } ];
          entry = n: def: m: def': (merged n def m def').optionalValue;
          # A plain element of a type whose merge of one value is the value
          # (`str`, `int`): what `entry` gives, without merging it.
          plain = n: def: m: def':
            let v = builtins.addErrorContext "while evaluating definitions from `${def.file}':" def'; in
            if v._type or null == null then { value = if elemType.check v then v else (merged n def m def').mergedValue; }
            else entry n def m def';
          each = if elemType.nixcfgPlainMerge or false then plain else entry;
        in
        map (x: x.value) (filter (x: x ? value) (concatLists (imap1 (n: def:
          imap1 (each n def) def.value) defs)));
      emptyValue = { value = [ ]; };
      getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "*" ]);
      getSubModules = elemType.getSubModules;
      substSubModules = m: listOf (elemType.substSubModules m);
      functor = elemTypeFunctor name { inherit elemType; } // { type = payload: listOf payload.elemType; binOp = a: b: let t = a.elemType.typeMerge b.elemType.functor; in if t == null then null else { elemType = t; }; };
      nestedTypes.elemType = elemType;
    };

    nonEmptyListOf = elemType:
      let list = addCheck (types.listOf elemType) (l: l != [ ]); in
      list // {
        description = "non-empty ${optionDescriptionPhrase (class: class == "noun") list}";
        emptyValue = { };
        substSubModules = m: nonEmptyListOf (elemType.substSubModules m);
      };

    inherit attrsWith;
    # An attribute set whose values all have type `elemType`; definitions are merged name by name.
    attrsOf = elemType: attrsWith { inherit elemType; };
    # Like `attrsOf`, but a value is only checked and merged when it is used.
    lazyAttrsOf = elemType: attrsWith { inherit elemType; lazy = true; };

    loaOf = lib.warn "`types.loaOf` is deprecated; use `types.attrsOf` instead." attrsOf;

    # A value of the given type that may be defined only once.
    uniq = unique { message = ""; };

    unique = { message }: type: mkOptionType rec {
      name = "unique";
      inherit (type) description descriptionClass check;
      merge = mergeUniqueOption { inherit message; inherit (type) merge; };
      emptyValue = type.emptyValue;
      getSubOptions = type.getSubOptions;
      getSubModules = type.getSubModules;
      substSubModules = m: uniq (type.substSubModules m);
      functor = elemTypeFunctor name { elemType = type; } // {
        type = payload: types.unique { inherit message; } payload.elemType;
        binOp = a: b: let t = a.elemType.typeMerge b.elemType.functor; in if t == null then null else { elemType = t; };
      };
      nestedTypes.elemType = type;
    };

    # `null` or a value of type `elemType`.
    nullOr = elemType: mkOptionType rec {
      name = "nullOr";
      description = "null or ${optionDescriptionPhrase (class: class == "noun" || class == "conjunction") elemType}";
      descriptionClass = "conjunction";
      check = x: x == null || elemType.check x;
      merge = loc: defs:
        let nrNulls = length (filter (def: def.value == null) defs); in
        if nrNulls == length defs then null
        else if nrNulls != 0 then throw "The option `${showOption loc}' is defined both null and not null, in ${showFiles (getFiles defs)}."
        else elemType.merge loc defs;
      emptyValue = { value = null; };
      getSubOptions = elemType.getSubOptions;
      getSubModules = elemType.getSubModules;
      substSubModules = m: nullOr (elemType.substSubModules m);
      functor = elemTypeFunctor name { inherit elemType; } // { type = payload: nullOr payload.elemType; binOp = a: b: let t = a.elemType.typeMerge b.elemType.functor; in if t == null then null else { elemType = t; }; };
      nestedTypes.elemType = elemType;
    };

    # A function whose results have type `elemType`.
    functionTo = elemType: mkOptionType {
      name = "functionTo";
      description = "function that evaluates to a(n) ${optionDescriptionPhrase (class: class == "noun" || class == "composite") elemType}";
      descriptionClass = "composite";
      check = isFunction;
      merge = loc: defs: fnArgs:
        (mergeDefinitions (loc ++ [ "<function body>" ]) elemType (map (fn: { inherit (fn) file; value = fn.value fnArgs; }) defs)).mergedValue;
      getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "<function body>" ]);
      getSubModules = elemType.getSubModules;
      substSubModules = m: functionTo (elemType.substSubModules m);
      functor = elemTypeFunctor "functionTo" { inherit elemType; } // { type = payload: functionTo payload.elemType; binOp = a: b: let t = a.elemType.typeMerge b.elemType.functor; in if t == null then null else { elemType = t; }; };
      nestedTypes.elemType = elemType;
    };

    # A set of options of its own, declared by `modules` (a module, or a list of them); in `attrsOf (submodule …)` each instance gets its attribute `name` as a module argument.
    submodule = modules: submoduleWith { shorthandOnlyDefinesConfig = true; modules = toList modules; };
    inherit submoduleWith;

    deferredModule = deferredModuleWith { };
    deferredModuleWith = attrs@{ staticModules ? [ ] }: mkOptionType {
      name = "deferredModule";
      description = "module";
      descriptionClass = "noun";
      check = x: isAttrs x || isFunction x || path.check x;
      merge = loc: defs: {
        imports = staticModules ++ map (def: lib.setDefaultModuleLocation "${def.file}, via option ${showOption loc}" def.value) defs;
      };
      inherit (submoduleWith { modules = staticModules; }) getSubOptions getSubModules;
      substSubModules = m: deferredModuleWith (attrs // { staticModules = m; });
      functor = defaultFunctor "deferredModuleWith" // {
        type = types.deferredModuleWith;
        payload = { inherit staticModules; };
        binOp = lhs: rhs: { staticModules = lhs.staticModules ++ rhs.staticModules; };
      };
    };

    optionType = mkOptionType {
      name = "optionType";
      description = "optionType";
      descriptionClass = "noun";
      check = value: value._type or null == "option-type";
      merge = loc: defs:
        if length defs == 1 then (head defs).value
        else
          # Merge as declarations are merged, which also gives submodules
          # the files they come from.
          let optionModules = map ({ value, file }: { _file = file; pos = null; options = lib.mkOption { type = value; }; }) defs; in
          (lib.fixupOptionType loc (lib.mergeOptionDecls loc optionModules)).type;
    };

    # One of the given `values`.
    enum = values:
      let
        show = v: if isString v then ''"${v}"'' else if isInt v then toString v else if isBool v then lib.boolToString v else ''<${builtins.typeOf v}>'';
      in
      mkOptionType rec {
        name = "enum";
        description =
          if values == [ ] then "impossible (empty enum)"
          else if length values == 1 then "value ${show (head values)} (singular enum)"
          else "one of ${lib.concatMapStringsSep ", " show values}";
        descriptionClass = if length values < 2 then "noun" else "conjunction";
        check = flip elem values;
        merge = mergeEqualOption;
        nixcfgPlainMerge = true;
        functor = (defaultFunctor name) // { payload = { inherit values; }; type = payload: enum payload.values; binOp = a: b: { values = lib.unique (a.values ++ b.values); }; };
      };

    # A value of type `t1` or of type `t2`.
    either = t1: t2: mkOptionType rec {
      name = "either";
      description =
        if t1.descriptionClass or null == "nonRestrictiveClause" then
          "${t1.description} or ${optionDescriptionPhrase (class: class == "noun" || class == "conjunction" || class == "composite") t2}"
        else
          "${optionDescriptionPhrase (class: class == "noun" || class == "conjunction") t1} or ${optionDescriptionPhrase (class: class == "noun" || class == "conjunction" || class == "composite") t2}";
      descriptionClass = "conjunction";
      check = x: t1.check x || t2.check x;
      merge = loc: defs:
        let defList = map (d: d.value) defs; in
        if all (x: t1.check x) defList then t1.merge loc defs
        else if all (x: t2.check x) defList then t2.merge loc defs
        else if all (x: t1.check x || t2.check x) defList then mergeOneOption loc defs
        else
          lib.warn "The option `${showOption loc}' has a value that matches neither `${t1.description}' nor `${t2.description}'. One or more definitions did not pass the type-check of the 'either' type. This is deprecated and will become an error; make the type match the values (for a freeform type, use for example `attrsOf (either ...)`). Definition values:${lib.showDefs defs}"
            (mergeOneOption loc defs);
      typeMerge = f':
        if name != f'.name || !(f'.payload ? left) then null
        else
          let mt1 = t1.typeMerge f'.payload.left.functor; mt2 = t2.typeMerge f'.payload.right.functor; in
          if mt1 != null && mt2 != null then either mt1 mt2 else null;
      functor = elemTypeFunctor name { left = t1; right = t2; } // { type = payload: either payload.left payload.right; };
      nestedTypes.left = t1;
      nestedTypes.right = t2;
    };

    # A value of one of the types in the list `ts`.
    oneOf = ts:
      let head' = if ts == [ ] then throw "types.oneOf needs to get at least one type in its argument" else head ts; tail' = tail ts; in
      foldl' either head' tail';

    # A value of `finalType`, or of `coercedType` converted by `coerceFunc`.
    coercedTo = coercedType: coerceFunc: finalType:
      assert lib.assertMsg (coercedType.getSubModules == null) "coercedTo: coercedType must not have submodules (it’s a ${coercedType.description})";
      mkOptionType rec {
        name = "coercedTo";
        description = "${optionDescriptionPhrase (class: class == "noun") finalType} or ${optionDescriptionPhrase (class: class == "noun") coercedType} convertible to it";
        check = x: (coercedType.check x && finalType.check (coerceFunc x)) || finalType.check x;
        merge = loc: defs:
          let coerceVal = val: if coercedType.check val then coerceFunc val else val; in
          finalType.merge loc (map (def: def // { value = coerceVal def.value; }) defs);
        emptyValue = finalType.emptyValue;
        getSubOptions = finalType.getSubOptions;
        getSubModules = finalType.getSubModules;
        substSubModules = m: coercedTo coercedType coerceFunc (finalType.substSubModules m);
        typeMerge = t: null;
        functor = (defaultFunctor name) // { wrapped = finalType; };
        nestedTypes.coercedType = coercedType;
        nestedTypes.finalType = finalType;
      };

    # An attribute set whose element type is chosen per attribute by a
    # function from the attribute name (the typed-submodule idea of the seed
    # documents): `attrsOfType (name: if name == "root" then a else b)`.
    attrsOfType = typeFor: mkOptionType {
      name = "attrsOfType";
      description = "attribute set whose element types depend on the attribute name";
      descriptionClass = "noun";
      check = isAttrs;
      merge = loc: defs:
        mapAttrs (n: v: v.value) (lib.filterAttrs (n: v: v ? value) (zipAttrsWith (name: defs: (mergeDefinitions (loc ++ [ name ]) (typeFor name) defs).optionalValue)
          (map (def: mapAttrs (n: v: { inherit (def) file; value = v; }) def.value) defs)));
      emptyValue = { value = { }; };
      getSubOptions = prefix: (typeFor "<name>").getSubOptions (prefix ++ [ "<name>" ]);
    };
  };

  flip = f: a: b: f b a;
  elemAt = builtins.elemAt;
in
types
