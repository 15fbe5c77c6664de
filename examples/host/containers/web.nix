# The public web server, in its own network namespace.
{ ... }:
{
  containers.web = {
    autoStart = true;
    privateNetwork = true;
    hostAddress = "10.233.1.1";
    localAddress = "10.233.1.2";
    forwardPorts = [ { hostPort = 80; containerPort = 8080; } ];
    bindMounts."/srv/www".hostPath = "/var/www";
    config = { pkgs, ... }: {
      users.users.www = {
        isSystemUser = true;
        group = "www";
      };
      users.groups.www = { };
      systemd.services.www = {
        description = "Static Web Server";
        wantedBy = [ "multi-user.target" ];
        after = [ "network.target" ];
        serviceConfig = {
          ExecStart = "${pkgs.python3}/bin/python3 -m http.server 8080 --directory /srv/www";
          User = "www";
          Restart = "always";
        };
      };
    };
  };
}
