"""The benchmark fixture (issue 9): N users and M groups under OU=Scale,
generated deterministically from (N, M, seed) and written straight into
sam.ldb by seed.py, inside seed.py's transaction, before samba starts.

Shape, chosen to look like a real directory rather than a grid:

  OU=Scale,DC=adjc,DC=lab
    CN=JumpCloud         the scope group (ADJC_LAB_SCALE's Root User container
                         is OU=Scale): holds the top-level groups
    CN=JumpCloud Admins  ~0.2 % of the users, directly
    OU=Groups            M groups nested up to 5 deep under CN=JumpCloud, with
                         one two-group cycle (a real directory's mistake);
                         3 groups over 1,500 direct members (more than one
                         ranged `member` chunk on Windows), the rest
                         heavy-tailed from a handful to a few hundred
    OU=Users             N users, each in 1 to 3 groups; ~4 % disabled
                         (userAccountControl 546), ~0.5 % privileged
                         (adminCount=1), ~1 % without mail (JumpCloud email
                         falls back to userPrincipalName)
  OU=ScaleOutside,DC=adjc,DC=lab
                         N/100 users in no group: out of scope, so a subtree
                         read of OU=Scale is exactly the scope

Every entry under OU=Scale is in scope, so `ldapsearch -b OU=Scale,…`
pages exactly the entries adjc's AD read phase returns: the baseline of
scripts/bench.

Usage (from seed.py): seed_scale(db, "10000,1000,1", stats). A marker
attribute on OU=Scale (description), written last, records the parameters,
so re-seeding the same fixture is a no-op, and a different or half-built
one is refused.
"""

import random

import ldb

BASE = "DC=adjc,DC=lab"
SCALE_OU = "OU=Scale," + BASE
OUTSIDE_OU = "OU=ScaleOutside," + BASE
GROUPS_OU = "OU=Groups," + SCALE_OU
USERS_OU = "OU=Users," + SCALE_OU

GLOBAL_SECURITY = str(-2147483646)
UAC_ENABLED = "544"  # NORMAL_ACCOUNT | PASSWD_NOTREQD
UAC_DISABLED = "546"  # … | ACCOUNTDISABLE
MAX_DEPTH = 5  # levels below CN=JumpCloud
BIG_GROUPS = 3  # groups with more than 1,500 direct members
BIG_SIZE = 1600

GIVEN = ["Ada", "Alan", "Barbara", "Claude", "Dennis", "Edsger", "Frances", "Grace", "Hedy", "Ivan",
         "John", "Ken", "Leslie", "Margaret", "Niklaus", "Radia", "Shafi", "Tim", "Vint", "Whitfield",
         "Zoë", "José", "Łukasz", "Søren"]
SURNAMES = ["Lovelace", "Turing", "Liskov", "Shannon", "Ritchie", "Dijkstra", "Allen", "Hopper",
            "Lamarr", "Sutherland", "McCarthy", "Thompson", "Lamport", "Hamilton", "Wirth", "Perlman",
            "Goldwasser", "Berners-Lee", "Cerf", "Diffie", "Müller", "O'Brien", "Núñez", "Van der Berg"]
DEPARTMENTS = ["Engineering", "Sales", "Support", "Finance", "Legal", "Marketing", "Operations",
               "Research", "People", "Security", "Design", "Data"]


def parse(spec):
    """"N,M[,SEED]" → (N, M, SEED)."""
    parts = [int(p) for p in spec.split(",")]
    if len(parts) == 2:
        parts.append(1)
    n, m, seed = parts
    if n < 10 or m < 5:
        raise ValueError("ADJC_LAB_SCALE=%r: want at least 10 users and 5 groups" % spec)
    return n, m, seed


def plan(n, m, seed):
    """The fixture as plain data: (users, groups, admins, outside).

    users: list of dicts (sam, given, sn, mail, disabled, privileged).
    groups: list of (name, parent index or None for CN=JumpCloud, [user indices], [group indices]);
    every group's parent lists it among its subgroups.
    """
    rnd = random.Random(seed)
    users = []
    for i in range(n):
        given, sn = rnd.choice(GIVEN), rnd.choice(SURNAMES)
        sam = "s%06d" % (i + 1)  # sAMAccountName: at most 20 characters
        users.append({
            "sam": sam, "given": given, "sn": sn,
            "mail": None if rnd.random() < 0.01 else "%s.%s.%d@adjc.lab" % (
                given.lower(), sn.lower().replace(" ", "").replace("'", ""), i + 1),
            "disabled": rnd.random() < 0.04,
            "privileged": rnd.random() < 0.005,
        })

    # Group tree: about 2 % of the groups (at least 3) hang directly under
    # CN=JumpCloud, every other one under a random earlier group whose depth
    # is below MAX_DEPTH, so depths run 1..5 with most groups near the middle.
    top = max(3, m // 50)
    depth, parent = [], []
    for g in range(m):
        if g < top:
            parent.append(None)
            depth.append(1)
            continue
        while True:
            p = rnd.randrange(g)
            if depth[p] < MAX_DEPTH:
                break
        parent.append(p)
        depth.append(depth[p] + 1)
    # Make sure the deepest level exists.
    if m > top + MAX_DEPTH and MAX_DEPTH not in depth:
        chain = 0
        for g in range(top, top + MAX_DEPTH - 1):
            parent[g], depth[g] = chain, depth[chain] + 1
            chain = g

    # Memberships: each user is in 1 to 3 groups, drawn with heavy-tailed
    # weights (a few departments, many small project groups).
    weights = [1.0 / (1 + g) ** 0.8 for g in range(m)]
    rnd.shuffle(weights)
    members = [set() for _ in range(m)]
    for u in range(n):
        for g in rnd.choices(range(m), weights=weights, k=rnd.choice((1, 1, 2, 2, 3))):
            members[g].add(u)
    # A few groups above 1,500 direct members (when there are users enough).
    for g in range(min(BIG_GROUPS, m)):
        if n >= BIG_SIZE:
            members[g].update(rnd.sample(range(n), BIG_SIZE))

    subgroups = [[] for _ in range(m)]
    for g, p in enumerate(parent):
        if p is not None:
            subgroups[p].append(g)
    # One nesting cycle: the last group also contains its own parent's parent
    # chain start (a group that is already its ancestor).
    last = m - 1
    if parent[last] is not None:
        subgroups[last].append(parent[last])

    groups = []
    for g in range(m):
        dept = DEPARTMENTS[g % len(DEPARTMENTS)]
        name = "%s %04d" % (dept, g + 1) if depth[g] == 1 else "%s Team %04d" % (dept, g + 1)
        groups.append((name, parent[g], sorted(members[g]), subgroups[g]))

    admins = sorted(rnd.sample(range(n), max(1, n // 500)))
    outside = max(1, n // 100)
    return users, groups, admins, outside


def _user_msg(db, dn, u, upn_domain="adjc.lab"):
    msg = ldb.Message(ldb.Dn(db, dn))
    msg["objectClass"] = "user"
    msg["sAMAccountName"] = u["sam"]
    msg["userPrincipalName"] = u["sam"] + "@" + upn_domain
    msg["givenName"] = u["given"]
    msg["sn"] = u["sn"]
    msg["displayName"] = "%s %s" % (u["given"], u["sn"])
    if u["mail"]:
        msg["mail"] = u["mail"]
    msg["userAccountControl"] = UAC_DISABLED if u["disabled"] else UAC_ENABLED
    if u["privileged"]:
        msg["adminCount"] = "1"
    return msg


def _ou(db, dn, description=None):
    msg = ldb.Message(ldb.Dn(db, dn))
    msg["objectClass"] = "organizationalUnit"
    if description:
        msg["description"] = description
    db.add(msg)


def _group(db, dn, sam, member_dns):
    msg = ldb.Message(ldb.Dn(db, dn))
    msg["objectClass"] = "group"
    msg["sAMAccountName"] = sam
    msg["groupType"] = GLOBAL_SECURITY
    if member_dns:
        msg["member"] = ldb.MessageElement(member_dns, ldb.FLAG_MOD_ADD, "member")
    db.add(msg)


def seed_scale(db, spec, stats):
    n, m, seed = parse(spec)
    marker = "adjc scale fixture %d users, %d groups, seed %d" % (n, m, seed)
    try:
        res = db.search(base=SCALE_OU, scope=ldb.SCOPE_BASE, attrs=["description"])
        have = str(res[0]["description"][0]) if "description" in res[0] else ""
        if have != marker:
            raise RuntimeError("OU=Scale holds %r, not %r: start from a fresh lab dir" % (have, marker))
        stats["kept"] += 1
        return
    except ldb.LdbError as e:
        if e.args[0] != ldb.ERR_NO_SUCH_OBJECT:
            raise

    users, groups, admins, outside = plan(n, m, seed)
    _ou(db, SCALE_OU)
    _ou(db, GROUPS_OU)
    _ou(db, USERS_OU)
    _ou(db, OUTSIDE_OU, "users of the scale fixture that are in no group: out of scope")
    user_dns = []
    for u in users:
        dn = "CN=%s,%s" % (u["sam"], USERS_OU)
        db.add(_user_msg(db, dn, u))
        user_dns.append(dn)
    for i in range(outside):
        u = {"sam": "o%06d" % (i + 1), "given": "Out", "sn": "Side", "mail": None,
             "disabled": False, "privileged": False}
        db.add(_user_msg(db, "CN=%s,%s" % (u["sam"], OUTSIDE_OU), u))
    group_dns = ["CN=%s,%s" % (g[0], GROUPS_OU) for g in groups]
    # Add groups leaves first (a member must exist before it is linked);
    # the cycle's back edge is added as a modify once both exist.
    order = sorted(range(len(groups)), key=lambda g: -_depth(groups, g))
    back_edges = []
    for g in order:
        name, _, members, subs = groups[g]
        sub_dns = []
        for s in subs:
            if _is_ancestor(groups, s, g):
                back_edges.append((g, s))
            else:
                sub_dns.append(group_dns[s])
        _group(db, group_dns[g], "scale-g%05d" % (g + 1), [user_dns[u] for u in members] + sub_dns)
    for g, s in back_edges:
        msg = ldb.Message(ldb.Dn(db, group_dns[g]))
        msg["member"] = ldb.MessageElement([group_dns[s]], ldb.FLAG_MOD_ADD, "member")
        db.modify(msg)
    top = [group_dns[g] for g, grp in enumerate(groups) if grp[1] is None]
    _group(db, "CN=JumpCloud," + SCALE_OU, "scale-jumpcloud", top)
    _group(db, "CN=JumpCloud Admins," + SCALE_OU, "scale-jcadmins", [user_dns[u] for u in admins])
    # The marker goes last: seed.py adds these outside a transaction, so a
    # half-built fixture must not look finished.
    msg = ldb.Message(ldb.Dn(db, SCALE_OU))
    msg["description"] = ldb.MessageElement(marker, ldb.FLAG_MOD_REPLACE, "description")
    db.modify(msg)
    stats["added"] += 4 + len(users) + outside + len(groups) + 2


def _depth(groups, g):
    d = 1
    while groups[g][1] is not None:
        g = groups[g][1]
        d += 1
    return d


def _is_ancestor(groups, a, g):
    """Whether group a is g's parent, grandparent, …"""
    p = groups[g][1]
    while p is not None:
        if p == a:
            return True
        p = groups[p][1]
    return False
