#!/usr/bin/python3
"""Seed the adjc lab DC: fixture.ldif, the generated bulk users, service
account passwords, jcsync's delegation and jcimport's and jcsync's right to list deleted
objects.

Usage: seed.py LAB_DIR FIXTURE_LDIF [--admin-password]

--admin-password sets Administrator's password from LAB_DIR/Administrator.password
(right after provisioning, so it never appears on a command line).

Writes straight into LAB_DIR/private/sam.ldb through Samba's own module stack
(the same path samba-tool takes on a DC), in one transaction: about ten times
faster than ldapadd over the network, and all or nothing. Works whether samba
is running or not. Idempotent: existing entries are left alone.

With ADJC_LAB_SCALE=N,M[,SEED] in the environment it also writes the
benchmark fixture of scale.py (N users, M groups under OU=Scale), after the
transaction and not in one: inside a transaction every add commits a
sub-transaction whose index cache (objectClass=user and the like, one entry
per user) is copied entry by entry, so 10,000 adds took 190 s (quadratic);
one add per transaction, with ldb:nosync, takes about 20 s. The bench lab
is built in a fresh folder and cached only when seeding succeeded, so
all-or-nothing is not needed there.

Run with /usr/bin/python3: Samba's Python bindings live in the system Python.
"""

import os
import re
import sys
import time

import ldb
from samba.auth import system_session
from samba.dcerpc import security
from samba.ndr import ndr_unpack
from samba.param import LoadParm
from samba.samdb import SamDB
from samba.sd_utils import SDUtils

BASE = "DC=adjc,DC=lab"
USERS = "CN=Users," + BASE
BULK_OU = "OU=Bulk," + BASE
BULK_COUNT = 1600  # more than 1500, the size of one ranged `member` chunk in Windows AD

GLOBAL_SECURITY = str(-2147483646)
UAC_ENABLED_NO_PASSWORD = "544"  # NORMAL_ACCOUNT | PASSWD_NOTREQD

# Schema GUIDs: the user and group classes, and the member attribute.
USER_CLASS = "bf967aba-0de6-11d0-a285-00aa003049e2"
GROUP_CLASS = "bf967a9c-0de6-11d0-a285-00aa003049e2"
MEMBER_ATTR = "bf9679c0-0de6-11d0-a285-00aa003049e2"
RESET_PASSWORD = "00299570-246d-11d0-a768-00aa006e0529"

# What the seeds' "Delegate Control" wizard grants the AD Sync account on the
# Root User container, as ACEs for SID {sid}.
SYNC_ACES = [
    # reset password on descendant users
    "(OA;CI;CR;%s;%s;{sid})" % (RESET_PASSWORD, USER_CLASS),
    # write all properties on descendant users (givenName, sn, mail, userAccountControl, …)
    "(OA;CI;WP;;%s;{sid})" % USER_CLASS,
    # create and delete user objects
    "(OA;;CCDC;%s;;{sid})" % USER_CLASS,
    # write all properties on descendant groups, and member explicitly
    "(OA;CI;WP;;%s;{sid})" % GROUP_CLASS,
    "(OA;CI;WP;%s;%s;{sid})" % (MEMBER_ATTR, GROUP_CLASS),
    # create and delete group objects
    "(OA;;CCDC;%s;;{sid})" % GROUP_CLASS,
]


def exists(db, dn):
    try:
        db.search(base=dn, scope=ldb.SCOPE_BASE, attrs=[])
        return True
    except ldb.LdbError as e:
        if e.args[0] == ldb.ERR_NO_SUCH_OBJECT:
            return False
        raise


def unicode_pwd(password):
    return ('"%s"' % password).encode("utf-16-le")


def read_secret(lab, name):
    with open(os.path.join(lab, name + ".password"), encoding="utf-8") as f:
        return f.read().strip()


def add(db, msg, stats):
    if exists(db, msg.dn):
        stats["kept"] += 1
        return False
    db.add(msg)
    stats["added"] += 1
    return True


def seed_bulk(db, stats):
    ou = ldb.Message(ldb.Dn(db, BULK_OU))
    ou["objectClass"] = "organizationalUnit"
    ou["description"] = "bulk users, members of CN=BigGroup,CN=Users"
    add(db, ou, stats)
    members = []
    for i in range(1, BULK_COUNT + 1):
        sam = "bulk%04d" % i
        dn = "CN=Bulk %04d,%s" % (i, BULK_OU)
        members.append(dn)
        m = ldb.Message(ldb.Dn(db, dn))
        m["objectClass"] = "user"
        m["sAMAccountName"] = sam
        m["userPrincipalName"] = sam + "@adjc.lab"
        m["givenName"] = "Bulk"
        m["sn"] = "%04d" % i
        m["mail"] = sam + "@adjc.lab"
        m["userAccountControl"] = UAC_ENABLED_NO_PASSWORD
        add(db, m, stats)
    g = ldb.Message(ldb.Dn(db, "CN=BigGroup," + USERS))
    g["objectClass"] = "group"
    g["sAMAccountName"] = "BigGroup"
    g["groupType"] = GLOBAL_SECURITY
    g["member"] = ldb.MessageElement(members, ldb.FLAG_MOD_ADD, "member")
    add(db, g, stats)


def seed_fixture(db, lab, path, stats):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    passwords = {name: read_secret(lab, name) for name in ("jcimport", "jcreader", "jcsync")}
    for changetype, msg in db.parse_ldif(text):
        if changetype == ldb.CHANGETYPE_MODIFY:
            try:
                db.modify(msg)
                stats["modified"] += 1
            except ldb.LdbError as e:
                # Samba answers a duplicate member with ENTRY_ALREADY_EXISTS, as AD does.
                if e.args[0] not in (ldb.ERR_ATTRIBUTE_OR_VALUE_EXISTS, ldb.ERR_ENTRY_ALREADY_EXISTS):
                    raise
            continue
        sam = str(msg["sAMAccountName"]) if "sAMAccountName" in msg else ""
        if sam in passwords:
            msg["unicodePwd"] = ldb.MessageElement(unicode_pwd(passwords[sam]), ldb.FLAG_MOD_ADD, "unicodePwd")
        add(db, msg, stats)


def set_admin_password(db, lab):
    m = ldb.Message(ldb.Dn(db, "CN=Administrator," + USERS))
    m["unicodePwd"] = ldb.MessageElement(unicode_pwd(read_secret(lab, "Administrator")),
                                         ldb.FLAG_MOD_REPLACE, "unicodePwd")
    db.modify(m)


def delegate(db, stats):
    res = db.search(base=USERS, scope=ldb.SCOPE_SUBTREE, expression="(sAMAccountName=jcsync)", attrs=["objectSid"])
    sid = str(ndr_unpack(security.dom_sid, res[0]["objectSid"][0]))
    sd = SDUtils(db)
    # Add only what is missing: rewriting the descriptor would bump
    # uSNChanged on CN=Users at every `scripts/lab up`.
    current = sd.get_sd_as_sddl(USERS)
    for ace in SYNC_ACES:
        ace = ace.format(sid=sid)
        if ace not in current:
            sd.dacl_add_ace(USERS, ace)
            stats["aces"] += 1


def grant_deleted_objects(db, stats):
    """Let the accounts that read AD for import (jcimport, and jcsync, which
    the lab's two-way config binds as for both directions) list CN=Deleted
    Objects, as Microsoft KB 892806 does with
    `dsacls "CN=Deleted Objects,<domain>" /g <account>:LCRP`: DirSync then
    reports deletions (tombstones) to them. The container is itself
    deleted, so every read and write needs the show-deleted control, which
    `samba-tool dsacl set` does not pass. jcreader stays without it."""
    controls = ["show_deleted:1", "sd_flags:1:%d" % security.SECINFO_DACL]
    sd = SDUtils(db)
    dn = "CN=Deleted Objects," + BASE
    for account in ("jcimport", "jcsync"):
        res = db.search(base=USERS, scope=ldb.SCOPE_SUBTREE, expression="(sAMAccountName=%s)" % account, attrs=["objectSid"])
        sid = str(ndr_unpack(security.dom_sid, res[0]["objectSid"][0]))
        current = sd.read_sd_on_dn(dn, controls=controls)
        if any(str(ace.trustee) == sid for ace in current.dacl.aces):
            continue  # an unchanged re-seed must not bump uSNChanged
        sd.update_aces_in_dacl(dn, add_aces=["(A;;LCRP;;;%s)" % sid], controls=controls)
        stats["aces"] += 1


def protect_privileged(db, stats):
    """Do what Windows' SDProp does and Samba does not: give every user and
    group with adminCount=1 the AdminSDHolder descriptor with inheritance
    blocked, so delegation on CN=Users (jcsync) cannot write privileged
    accounts, as on a real DC."""
    sd = SDUtils(db)
    holder = sd.get_sd_as_sddl("CN=AdminSDHolder,CN=System," + BASE)
    # Mark the DACL protected (P) and make the holder's inherited ACEs explicit.
    holder = holder.replace("D:AI(", "D:PAI(", 1)
    holder = re.sub(r"\((O?A);([A-Z]*)", lambda m: "(%s;%s" % (m.group(1), m.group(2).replace("ID", "")), holder)
    res = db.search(base=BASE, scope=ldb.SCOPE_SUBTREE,
                    expression="(&(adminCount=1)(|(objectClass=user)(objectClass=group)))", attrs=[])
    for m in res:
        # Skip objects already protected: an unchanged re-seed must not bump
        # uSNChanged, which DirSync and change notification would report.
        if dacl(sd.get_sd_as_sddl(m.dn)) != dacl(holder):
            sd.modify_sd_on_dn(m.dn, holder)
    stats["protected"] = len(res)


def dacl(sddl):
    return sddl[sddl.index("D:"):].split("S:", 1)[0]


def main():
    lab, fixture = sys.argv[1], sys.argv[2]
    start = time.monotonic()
    lp = LoadParm()
    lp.load(os.path.join(lab, "etc", "smb.conf"))
    scale_spec = os.environ.get("ADJC_LAB_SCALE")
    if scale_spec:
        lp.set("ldb:nosync", "true")  # see the module comment
    db = SamDB(url=os.path.join(lab, "private", "sam.ldb"), session_info=system_session(), lp=lp)
    stats = {"added": 0, "kept": 0, "modified": 0, "aces": 0, "protected": 0}
    db.transaction_start()
    try:
        if "--admin-password" in sys.argv[3:]:
            set_admin_password(db, lab)
        seed_bulk(db, stats)
        seed_fixture(db, lab, fixture, stats)
        delegate(db, stats)
        grant_deleted_objects(db, stats)
        protect_privileged(db, stats)
    except BaseException:
        db.transaction_cancel()
        raise
    db.transaction_commit()
    if scale_spec:
        import scale
        scale.seed_scale(db, scale_spec, stats)
        protect_privileged(db, stats)
    print("seed: %d added, %d already there, %d modifications, %d ACEs added (CN=Users, CN=Deleted Objects), %d adminCount=1 objects protected, %.1fs"
          % (stats["added"], stats["kept"], stats["modified"], stats["aces"], stats["protected"], time.monotonic() - start))


if __name__ == "__main__":
    main()
