# nixcfg's library: the functions of nixpkgs' `lib` that configurations
# use, written for nixcfg. `import <nixcfg/lib>` gives this set; modules get
# it as their `lib` argument.
let
  lib =
    let
      call = file: import file { inherit lib; };
      trivial = call ./trivial.nix;
      lists = call ./lists.nix;
      strings = call ./strings.nix;
      attrsets = call ./attrsets.nix;
      options = call ./options.nix;
      modules = call ./modules.nix;
      debug = call ./debug.nix;
      fixedPoints = call ./fixed-points.nix;
      versions = call ./versions.nix;
      types = call ./types.nix;
      generators = call ./generators.nix;
    in
    trivial
    // lists
    // strings
    // attrsets
    // options
    // modules
    // debug
    // fixedPoints
    // {
      inherit
        trivial
        lists
        strings
        attrsets
        options
        modules
        debug
        fixedPoints
        versions
        types
        generators
        ;
      fixedPoints' = fixedPoints;
      inherit (builtins)
        toJSON
        fromJSON
        isString
        isInt
        isFloat
        isBool
        isAttrs
        isList
        isPath
        seq
        deepSeq
        genericClosure
        getAttr
        hasAttr
        tryEval
        typeOf
        ;
      isFunction = builtins.isFunction;
      inherit (types) mkOptionType;
    };
in
lib
