# `<nix/fetchurl.nix>`: a fixed-output derivation built by Nix's built-in
# fetcher. nixcfg itself never fetches; real Nix builds this.
{
  system ? "builtin",
  url,
  name ? baseNameOf (toString url),
  hash ? "",
  sha256 ? "",
  sha1 ? "",
  sha512 ? "",
  md5 ? "",
  outputHash ? if hash != "" then hash else if sha512 != "" then sha512 else if sha1 != "" then sha1 else if md5 != "" then md5 else sha256,
  outputHashAlgo ? if hash != "" then "" else if sha512 != "" then "sha512" else if sha1 != "" then "sha1" else if md5 != "" then "md5" else "sha256",
  executable ? false,
  unpack ? false,
  impure ? false,
}:
derivation (
  {
    builder = "builtin:fetchurl";
    inherit name url executable unpack system;
    outputHashMode = if unpack || executable then "recursive" else "flat";
    preferLocalBuild = true;
    impureEnvVars = [ "http_proxy" "https_proxy" "ftp_proxy" "all_proxy" "no_proxy" ];
    urls = [ url ];
  }
  // (if impure then { __impure = true; } else { inherit outputHashAlgo outputHash; })
)
