# A module-system-shaped merge: 50k definitions spread over modules,
# grouped by option path, sorted by priority, and merged.
let
  defs = builtins.genList (i: {
    path = "users.users.user${toString (i / 5)}";
    prio = if i / 3 * 3 == i then 50 else 100;
    value = { uid = 1000 + i / 5; extraGroups = [ "g${toString (i / 7)}" ]; };
  }) 50000;
  grouped = builtins.groupBy (d: d.path) defs;
  merge = name: ds:
    let
      best = builtins.foldl' (m: d: if d.prio < m then d.prio else m) 1000 ds;
      winners = builtins.filter (d: d.prio == best) ds;
    in
    builtins.foldl' (acc: d: acc // d.value // { extraGroups = (acc.extraGroups or [ ]) ++ d.value.extraGroups; }) { } winners;
  merged = builtins.mapAttrs merge grouped;
in
builtins.length (builtins.concatLists (map (v: v.extraGroups) (builtins.attrValues merged)))
