# Fixed points and extension.
{ lib }:
rec {
  fix = f: let x = f x; in x;
  fix' = f: let x = f x // { __unfix__ = f; }; in x;
  extends = overlay: f: final: let prev = f final; in prev // overlay final prev;
  composeExtensions = f: g: final: prev:
    let fApplied = f final prev; prev' = prev // fApplied; in fApplied // g final prev';
  composeManyExtensions = builtins.foldl' (a: b: composeExtensions a b) (final: prev: { });
  makeExtensible = makeExtensibleWithCustomName "extend";
  makeExtensibleWithCustomName = extenderName: rattrs:
    fix' (self: (rattrs self) // { ${extenderName} = f: makeExtensibleWithCustomName extenderName (extends f rattrs); });
  toExtension = f: if lib.isFunction f then final: prev: let fPrev = f prev; in if lib.isFunction fPrev then f final prev else fPrev else final: prev: f;
}
