package adapter

import (
	"slices"
	"strings"

	"github.com/adjc/adjc/reconcile"
)

// deletedGroup returns the users of the last full read that were in the
// mirrored group guid, deleted since: they lost its membership, and those
// of the groups it was nested in, and maybe their scope, which re-reading
// them tells. It returns an error matching ErrFullRun for the JumpCloud
// group itself (everything left scope) and for a group with groups nested
// in it (the index would place their members in it still).
func deletedGroup(idx *Index, base *reconcile.Base, guid string) ([]string, error) {
	g, ok := base.Group(guid)
	switch {
	case !ok:
		return nil, fullRun("group %s in scope was deleted, but the last full read does not mirror it", guid)
	case g.Scope:
		return nil, fullRun("the JumpCloud group was deleted")
	}
	holders := 0 // group DNs whose direct members the group gathers: itself and those nested in it
	for _, gs := range idx.groups {
		if slices.ContainsFunc(gs, func(g string) bool { return strings.EqualFold(g, guid) }) {
			holders++
		}
	}
	if holders != 1 {
		return nil, fullRun("group %s in scope was deleted with groups nested in it", g.Name)
	}
	return g.Members, nil
}

// tombstoneGUID returns the objectGUID in the DN of a deleted object:
// AD renames it to CN=<name>\0ADEL:<objectGUID> (a newline, escaped, then
// "DEL:") in the Deleted Objects container.
func tombstoneGUID(dn string) (string, bool) {
	const mark = `\0ADEL:`
	i := strings.Index(strings.ToUpper(dn), mark)
	if i < 0 || len(dn) < i+len(mark)+36 {
		return "", false
	}
	guid := dn[i+len(mark) : i+len(mark)+36]
	for j, c := range guid {
		dash := j == 8 || j == 13 || j == 18 || j == 23
		if dash != (c == '-') || !dash && !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return "", false
		}
	}
	return guid, true
}

func lowerSet(l []string) map[string]bool {
	m := make(map[string]bool, len(l))
	for _, s := range l {
		m[strings.ToLower(s)] = true
	}
	return m
}
