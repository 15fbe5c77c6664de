# Attribute set functions.
{ lib }:
let
  inherit (builtins) attrNames attrValues listToAttrs mapAttrs filter foldl' head tail length elemAt isAttrs concatLists concatMap;
in
rec {
  inherit (builtins) attrNames attrValues listToAttrs mapAttrs removeAttrs intersectAttrs catAttrs hasAttr getAttr zipAttrsWith;
  attrByPath = attrPath: default: set:
    let
      lenAttrPath = length attrPath;
      go = n: s: if n == lenAttrPath then s else let attr = elemAt attrPath n; in if s ? ${attr} then go (n + 1) s.${attr} else default;
    in go 0 set;
  hasAttrByPath = attrPath: e:
    let lenAttrPath = length attrPath; go = n: s: if n == lenAttrPath then true else let attr = elemAt attrPath n; in if s ? ${attr} then go (n + 1) s.${attr} else false;
    in go 0 e;
  setAttrByPath = attrPath: value:
    let len = length attrPath; go = n: if n == len then value else { ${elemAt attrPath n} = go (n + 1); }; in go 0;
  getAttrFromPath = attrPath: set:
    attrByPath attrPath (abort ("cannot find attribute `" + builtins.concatStringsSep "." attrPath + "'")) set;
  attrVals = nameList: set: map (x: set.${x}) nameList;
  # Native in nixcfg; the same in Nix.
  filterAttrs = builtins.nixcfgFilterAttrs or (pred: set: removeAttrs set (filter (name: !pred name set.${name}) (attrNames set)));
  filterAttrsRecursive = pred: set:
    listToAttrs (concatMap (name: let v = set.${name}; in
      if pred name v then [ (nameValuePair name (if isAttrs v then filterAttrsRecursive pred v else v)) ] else [ ]) (attrNames set));
  foldlAttrs = f: init: set: foldl' (acc: name: f acc name set.${name}) init (attrNames set);
  foldAttrs = op: nul: list_of_attrs:
    foldl' (a: n: foldl' (o: name: o // { ${name} = op n.${name} (a.${name} or nul); }) a (attrNames n)) { } (lib.reverseList list_of_attrs);
  collect = pred: attrs:
    if pred attrs then [ attrs ] else if isAttrs attrs then concatMap (collect pred) (attrValues attrs) else [ ];
  cartesianProduct = attrsOfLists:
    foldl' (listOfAttrs: attrName: concatMap (attrs: map (listValue: attrs // { ${attrName} = listValue; }) attrsOfLists.${attrName}) listOfAttrs) [ { } ] (attrNames attrsOfLists);
  cartesianProductOfSets = cartesianProduct;
  mapCartesianProduct = f: attrsOfLists: map f (cartesianProduct attrsOfLists);
  nameValuePair = name: value: { inherit name value; };
  mapAttrs' = f: set: listToAttrs (map (attr: f attr set.${attr}) (attrNames set));
  # Native in nixcfg; the same in Nix.
  mapAttrsToList = builtins.nixcfgMapAttrsToList or (f: attrs: map (name: f name attrs.${name}) (attrNames attrs));
  attrsToList = mapAttrsToList nameValuePair;
  mapAttrsRecursive = mapAttrsRecursiveCond (as: true);
  mapAttrsRecursiveCond = cond: f: set:
    let recurse = path: mapAttrs (name: value: if isAttrs value && cond value then recurse (path ++ [ name ]) value else f (path ++ [ name ]) value); in
    recurse [ ] set;
  concatMapAttrs = f: v: foldl' (a: b: a // b) { } (attrValues (mapAttrs f v));
  genAttrs = names: f: listToAttrs (map (n: nameValuePair n (f n)) names);
  genAttrs' = xs: f: listToAttrs (map f xs);
  isDerivation = value: value.type or null == "derivation";
  toDerivation = path: { type = "derivation"; outPath = path; name = baseNameOf path; outputs = [ "out" ]; };
  optionalAttrs = cond: as: if cond then as else { };
  zipAttrsWithNames = names: f: sets: listToAttrs (map (name: { inherit name; value = f name (catAttrs name sets); }) names);
  zipAttrs = zipAttrsWith (name: values: values);
  mergeAttrsList = list: foldl' (a: b: a // b) { } list;
  recursiveUpdateUntil = pred: lhs: rhs:
    let f = attrPath: zipAttrsWith (n: values:
      let here = attrPath ++ [ n ]; in
      if length values == 1 || pred here (elemAt values 1) (head values) then head values else f here values);
    in f [ ] [ rhs lhs ];
  recursiveUpdate = lhs: rhs: recursiveUpdateUntil (path: lhs: rhs: !(isAttrs lhs && isAttrs rhs)) lhs rhs;
  matchAttrs = pattern: attrs:
    assert isAttrs pattern;
    lib.all (attr: let lhs = pattern.${attr}; rhs = attrs.${attr}; in
      attrs ? ${attr} && (if isAttrs lhs then isAttrs rhs && matchAttrs lhs rhs else lhs == rhs)) (attrNames pattern);
  overrideExisting = old: new: mapAttrs (name: value: new.${name} or value) old;
  showAttrPath = path: if path == [ ] then "<root attribute path>" else builtins.concatStringsSep "." (map lib.strings.escapeNixIdentifier path);
  getOutput = output: pkg: if !pkg ? outputSpecified || !pkg.outputSpecified then pkg.${output} or pkg.out or pkg else pkg;
  getFirstOutput = candidates: pkg: let outputs = builtins.filter (name: hasAttr name pkg) candidates; output = builtins.head (outputs ++ [ "out" ]); in pkg.${output} or pkg;
  getBin = getOutput "bin";
  getLib = getOutput "lib";
  getDev = getOutput "dev";
  getMan = getOutput "man";
  getExe = x: getExe' x (x.meta.mainProgram or (lib.getName x));
  getExe' = x: y: "${getBin x}/bin/${y}";
  chooseDevOutputs = builtins.map getDev;
  recurseIntoAttrs = attrs: attrs // { recurseForDerivations = true; };
  dontRecurseIntoAttrs = attrs: attrs // { recurseForDerivations = false; };
  unionOfDisjoint = x: y:
    let intersection = builtins.intersectAttrs x y; collisions = lib.concatStringsSep " " (attrNames intersection); in
    if intersection == { } then x // y else throw "unionOfDisjoint: collision on ${collisions}";
  updateManyAttrsByPath = updates: value:
    foldl' (acc: u: recursiveUpdate acc (setAttrByPath u.path (u.update (attrByPath u.path null acc)))) value updates;
  longestValidPathPrefix = attrPath: v:
    let go = n: s: if n == length attrPath then attrPath else let a = elemAt attrPath n; in if isAttrs s && s ? ${a} then go (n + 1) s.${a} else lib.take n attrPath; in go 0 v;
}
