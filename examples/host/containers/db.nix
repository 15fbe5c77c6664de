# The database, reachable from the host only.
{ ... }:
{
  containers.db = {
    autoStart = true;
    privateNetwork = true;
    hostAddress = "10.233.2.1";
    localAddress = "10.233.2.2";
    bindMounts."/var/lib/postgresql" = {
      hostPath = "/srv/postgresql";
      isReadOnly = false;
    };
    config = { pkgs, ... }: {
      users.users.postgres = {
        isSystemUser = true;
        group = "postgres";
        uid = 71;
        home = "/var/lib/postgresql";
      };
      users.groups.postgres.gid = 71;
      systemd.services.postgresql = {
        description = "PostgreSQL Server";
        wantedBy = [ "multi-user.target" ];
        path = [ pkgs.postgresql ];
        preStart = ''
          if [ ! -e /var/lib/postgresql/PG_VERSION ]; then
            initdb -D /var/lib/postgresql
          fi
        '';
        serviceConfig = {
          ExecStart = "${pkgs.postgresql}/bin/postgres -D /var/lib/postgresql";
          User = "postgres";
        };
      };
    };
  };
}
