# String functions.
{ lib }:
let
  inherit (builtins) concatStringsSep stringLength substring filter isString isList split elemAt length head replaceStrings match;
in
rec {
  inherit (builtins) stringLength substring concatStringsSep replaceStrings match split head toString hashString;
  concatStrings = concatStringsSep "";
  concatMapStrings = f: list: concatStrings (map f list);
  concatImapStrings = f: list: concatStrings (lib.imap1 f list);
  intersperse = separator: list:
    if list == [ ] || length list == 1 then list
    else builtins.tail (lib.concatMap (x: [ separator x ]) list);
  concatMapStringsSep = sep: f: list: concatStringsSep sep (map f list);
  concatImapStringsSep = sep: f: list: concatStringsSep sep (lib.imap1 f list);
  concatLines = list: concatStrings (map (s: s + "\n") list);
  concatMapAttrsStringSep = sep: f: attrs: concatStringsSep sep (lib.attrValues (builtins.mapAttrs f attrs));
  makeSearchPath = subDir: paths: concatStringsSep ":" (map (path: path + "/" + subDir) (filter (x: x != null) paths));
  makeSearchPathOutput = output: subDir: pkgs: makeSearchPath subDir (map (lib.getOutput output) pkgs);
  makeLibraryPath = makeSearchPathOutput "lib" "lib";
  makeIncludePath = makeSearchPathOutput "dev" "include";
  makeBinPath = makeSearchPathOutput "bin" "bin";
  optionalString = cond: string: if cond then string else "";
  hasPrefix = pref: str: substring 0 (stringLength pref) str == pref;
  hasSuffix = suffix: content:
    let lenContent = stringLength content; lenSuffix = stringLength suffix; in
    lenContent >= lenSuffix && substring (lenContent - lenSuffix) lenContent content == suffix;
  hasInfix = infix: content: builtins.match ".*${escapeRegex infix}.*" "${content}" != null;
  stringToCharacters = s: builtins.genList (p: substring p 1 s) (stringLength s);
  stringAsChars = f: s: concatStrings (map f (stringToCharacters s));
  charToInt = c: builtins.getAttr c asciiTable;
  asciiTable = builtins.listToAttrs (builtins.genList (i: { name = builtins.substring i 1 " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"; value = i + 32; }) 95);
  escape = list: replaceStrings list (map (c: "\\${c}") list);
  escapeC = list: replaceStrings list (map (c: "\\x${lib.toLower (lib.toHexString (charToInt c))}") list);
  escapeRegex = escape (stringToCharacters "\\[{()^$?*+|.");
  escapeShellArg = arg:
    let string = toString arg; in
    if match "[[:alnum:],._+:@%/-]+" string == null then "'${replaceStrings [ "'" ] [ "'\\''" ] string}'" else string;
  escapeShellArgs = concatMapStringsSep " " escapeShellArg;
  isValidPosixName = name: match "[a-zA-Z_][a-zA-Z0-9_]*" name != null;
  toShellVar = name: value: "${name}=${escapeShellArg value}";
  toShellVars = vars: concatStringsSep "\n" (lib.mapAttrsToList toShellVar vars);
  escapeNixString = s: escape [ "$" ] (builtins.toJSON s);
  escapeNixIdentifier = s: if match "[a-zA-Z_][a-zA-Z0-9_'-]*" s != null then s else escapeNixString s;
  escapeXML = replaceStrings [ "\"" "'" "<" ">" "&" ] [ "&quot;" "&apos;" "&lt;" "&gt;" "&amp;" ];
  lowerChars = stringToCharacters "abcdefghijklmnopqrstuvwxyz";
  upperChars = stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  toLower = replaceStrings upperChars lowerChars;
  toUpper = replaceStrings lowerChars upperChars;
  toSentenceCase = str: let first = substring 0 1 str; in toUpper first + toLower (substring 1 (stringLength str) str);
  addContextFrom = src: target: substring 0 0 src + target;
  splitString = sep: s:
    let splits = filter isString (split (escapeRegex (toString sep)) (toString s)); in
    map (addContextFrom s) splits;
  removePrefix = prefix: str:
    let preLen = stringLength prefix; in
    if substring 0 preLen str == prefix then substring preLen (stringLength str - preLen) str else str;
  removeSuffix = suffix: str:
    let sufLen = stringLength suffix; sLen = stringLength str; in
    if sufLen <= sLen && suffix == substring (sLen - sufLen) sufLen str then substring 0 (sLen - sufLen) str else str;
  versionOlder = v1: v2: builtins.compareVersions v2 v1 == 1;
  versionAtLeast = v1: v2: !versionOlder v1 v2;
  getName = x: (builtins.parseDrvName (if isString x then x else x.name)).name;
  getVersion = x: (builtins.parseDrvName (if isString x then x else x.name)).version;
  nameFromURL = url: sep: let components = splitString "/" url; filename = lib.last components; name = head (splitString sep filename); in assert name != filename; name;
  enableFeature = flag: feature: "--${if flag then "enable" else "disable"}-${feature}";
  enableFeatureAs = flag: feature: value: enableFeature flag feature + optionalString flag "=${value}";
  withFeature = flag: feature: "--${if flag then "with" else "without"}-${feature}";
  withFeatureAs = flag: feature: value: withFeature flag feature + optionalString flag "=${value}";
  fixedWidthString = width: filler: str:
    let strw = stringLength str; reqWidth = width - (stringLength filler); in
    assert lib.assertMsg (strw <= width) "fixedWidthString: requested string length (${toString width}) must not be shorter than actual length (${toString strw})";
    if strw == width then str else filler + fixedWidthString reqWidth filler str;
  fixedWidthNumber = width: n: fixedWidthString width "0" (toString n);
  floatToString = float: let result = toString float; precise = float == builtins.fromJSON result; in if precise then result else lib.warn "Imprecise conversion from float to string ${result}" result;
  isStorePath = x:
    if isStringLike x then
      let str = toString x; in
      substring 0 1 str == "/" && dirOf str == builtins.storeDir && match ".{32}-.+" (baseNameOf str) != null
    else false;
  isStringLike = x: isString x || builtins.isPath x || x ? outPath || x ? __toString;
  isConvertibleWithToString = x: isStringLike x || lib.elem (builtins.typeOf x) [ "null" "int" "float" "bool" ] || (isList x && lib.all isConvertibleWithToString x);
  toInt = str:
    let
      trimmed = trim str;
      parsed = if match "[-+]?[0-9]+" trimmed == null then null else builtins.fromJSON (lib.removePrefix "+" (builtins.replaceStrings [ "-0" ] [ "-" ] (stripZeros trimmed)));
    in
    if parsed == null || !builtins.isInt parsed then throw "Could not convert ${str} to int." else parsed;
  stripZeros = s: let m = match "([-+]?)0*([0-9]+)" s; in if m == null then s else "${elemAt m 0}${elemAt m 1}";
  toIntBase10 = toInt;
  trim = trimWith { start = true; end = true; };
  trimWith = { start ? false, end ? false }: s:
    let
      chars = " \t\r\n";
      regex = if start && end then "[${chars}]*(.*[^${chars}])[${chars}]*" else if start then "[${chars}]*(.*)" else if end then "(.*[^${chars}])[${chars}]*" else "(.*)";
      res = match regex s;
    in
    if res == null then "" else head res;
  fileContents = file: removeSuffix "\n" (builtins.readFile file);
  sanitizeDerivationName = s: builtins.replaceStrings [ " " ] [ "-" ] s;
  # Edit distance (insertions, deletions, substitutions); used for "did
  # you mean" on error paths only.
  levenshtein =
    a: b:
    let
      bs = stringToCharacters b;
      lb = builtins.length bs;
      step =
        prev: ca:
        builtins.foldl' (
          row: j:
          row
          ++ [
            (lib.min (lib.min (builtins.elemAt row (j - 1) + 1) (builtins.elemAt prev j + 1)) (
              builtins.elemAt prev (j - 1) + (if ca == builtins.elemAt bs (j - 1) then 0 else 1)
            ))
          ]
        ) [ (builtins.head prev + 1) ] (builtins.genList (j: j + 1) lb);
    in
    if a == b then 0 else lib.last (builtins.foldl' step (builtins.genList (j: j) (lb + 1)) (stringToCharacters a));
  cmakeBool = condition: flag: "-D${condition}:BOOL=${if flag then "TRUE" else "FALSE"}";
  normalizePath = s: builtins.foldl' (x: y: if y == "/" && lib.hasSuffix "/" x then x else x + y) "" (stringToCharacters s);
  replicate = n: s: concatStrings (lib.replicate n s);
  commonPrefixLength = a: b: let m = lib.min (stringLength a) (stringLength b); go = i: if i >= m || substring i 1 a != substring i 1 b then i else go (i + 1); in go 0;
  isPath = builtins.isPath;
}
