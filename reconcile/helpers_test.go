package reconcile_test

import (
	"fmt"
	"strings"

	"github.com/adjc/adjc/reconcile"
)

// The fixtures follow the seed example (seed 001): users user1..user4,
// Group1 = {user1, user2, Group2}, Group2 = {user3, user4}.

func adUser(name string) reconcile.ADUser {
	return reconcile.ADUser{
		GUID:      "guid-" + name,
		DN:        "CN=" + name + ",CN=Users,DC=example,DC=com",
		Username:  name,
		GivenName: "Given" + name,
		Surname:   "Sur" + name,
		Mail:      name + "@example.com",
		UPN:       name + "@example.local",
	}
}

func adGroup(name string, members ...string) reconcile.ADGroup {
	g := reconcile.ADGroup{GUID: "guid-" + name, DN: "CN=" + name + ",CN=Users,DC=example,DC=com", Name: name}
	for _, m := range members {
		g.Members = append(g.Members, "guid-"+m)
	}
	return g
}

// jcUser is the JumpCloud user a previous run made for adUser(name).
func jcUser(name string) reconcile.CloudUser {
	return reconcile.CloudUser{
		ID:        "id-" + name,
		Username:  name,
		Email:     name + "@example.com",
		Firstname: "Given" + name,
		Lastname:  "Sur" + name,
		Anchor:    "guid-" + name,
		Markers:   markers("CN="+name+",CN=Users,DC=example,DC=com", reconcile.Authority{}),
	}
}

// markers are the AD-managed markers an import under authority a leaves on
// a user whose DN is dn.
func markers(dn string, a reconcile.Authority) reconcile.Markers {
	m := reconcile.Markers{ExternalDN: dn, ExternalSourceType: reconcile.SourceActiveDirectory, ExternallyManaged: true}
	if a.ID == "" {
		return m
	}
	m.DelegatedAuthority, m.Bound = a.ID, true
	fields := []string{"email", "firstname", "lastname", "username"}
	if a.Password {
		fields = append(fields, "password")
	}
	for _, f := range fields {
		m.Restricted = append(m.Restricted, reconcile.RestrictedField{Field: f, Type: reconcile.SourceActiveDirectory, ID: a.ID})
	}
	return m
}

func jcGroup(name string, members ...string) reconcile.CloudGroup {
	g := reconcile.CloudGroup{ID: "id-" + name, Name: name, Anchor: "guid-" + name}
	for _, m := range members {
		g.Members = append(g.Members, "id-"+m)
	}
	return g
}

func seedDirectory() reconcile.Directory {
	return reconcile.Directory{
		Users: []reconcile.ADUser{adUser("user1"), adUser("user2"), adUser("user3"), adUser("user4")},
		Groups: []reconcile.ADGroup{
			adGroup("Group1", "user1", "user2", "user3", "user4"),
			adGroup("Group2", "user3", "user4"),
		},
	}
}

func seedCloud() reconcile.Cloud {
	return reconcile.Cloud{
		Users: []reconcile.CloudUser{jcUser("user1"), jcUser("user2"), jcUser("user3"), jcUser("user4")},
		Groups: []reconcile.CloudGroup{
			jcGroup("Group1", "user1", "user2", "user3", "user4"),
			jcGroup("Group2", "user3", "user4"),
		},
	}
}

// synced builds, directly from d, the Cloud a complete import of d leaves
// behind, with ids "id-<username>"; an independent construction to diff
// against.
func synced(d reconcile.Directory) reconcile.Cloud {
	var c reconcile.Cloud
	ids := make(map[string]string)
	admins := make(map[string]bool)
	for _, g := range d.Admins {
		admins[g] = true
	}
	for _, u := range d.Users {
		if u.Privileged || u.Username == "" || (u.Mail == "" && u.UPN == "") || u.Disabled {
			continue
		}
		email := u.Mail
		if email == "" {
			email = u.UPN
		}
		id := "id-" + u.Username
		ids[u.GUID] = id
		c.Users = append(c.Users, reconcile.CloudUser{
			ID: id, Username: strings.ToLower(u.Username), Email: strings.ToLower(email),
			Firstname: u.GivenName, Lastname: u.Surname, Anchor: u.GUID, Admin: admins[u.GUID],
			Markers: markers(u.DN, d.Authority),
		})
	}
	for _, g := range d.Groups {
		cg := reconcile.CloudGroup{ID: "id-" + g.Name, Name: g.Name, Anchor: g.GUID, Bound: d.Authority.ID != ""}
		for _, m := range g.Members {
			if id, ok := ids[m]; ok {
				cg.Members = append(cg.Members, id)
			}
		}
		c.Groups = append(c.Groups, cg)
	}
	return c
}

// lines renders changes compactly: "~ user alice {username:a→b}".
func lines(p reconcile.Plan) []string {
	out := make([]string, 0, len(p.Changes))
	for _, c := range p.Changes {
		s := fmt.Sprintf("%c %s %s", c.Action, c.Kind, c.Key)
		if c.Action != reconcile.Create || c.Kind == reconcile.KindAdmin {
			var fs []string
			for _, f := range c.Fields {
				fs = append(fs, f.Name+":"+f.Old+"→"+f.New)
			}
			if len(fs) > 0 {
				s += " {" + strings.Join(fs, " ") + "}"
			}
		}
		out = append(out, s)
	}
	return out
}

// skips renders skips as "kind key: reason".
func skips(p reconcile.Plan) []string {
	out := make([]string, 0, len(p.Skipped))
	for _, s := range p.Skipped {
		out = append(out, fmt.Sprintf("%s %s: %s", s.Kind, s.Key, s.Reason))
	}
	return out
}
