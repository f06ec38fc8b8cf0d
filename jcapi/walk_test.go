package jcapi_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/secret"
)

// TestEveryRequest calls every method of the client that talks to the API,
// once, through the validating transport: each request's parameters,
// headers and body are checked against the spec (validatingTransport,
// undeclaredInputs). It then checks that the operations reached are exactly
// those listed in the evidence table of the package doc (doc.go), so a new
// request cannot go out without its evidence.
func TestEveryRequest(t *testing.T) {
	// Not parallel: it reads walked, which every test adds to; only the
	// operations this test reaches are compared.
	f := newFixture(t, jcapi.WithOrgID(""))
	c := f.client(t, testKey, jcapi.WithOrgID(f.org)) // x-org-id where declared
	ctx := t.Context()
	mine := &opSet{m: map[string]bool{}}
	f.vt.record = mine

	must := func(err error) {
		t.Helper()
		require.NoError(t, err)
	}
	drain := func(err error) { t.Helper(); must(err) }
	u, err := c.CreateSystemUser(ctx, jcapi.SystemUser{Username: "walker", Email: "walker@example.com", Firstname: "W"})
	must(err)
	_, err = c.GetSystemUser(ctx, u.ID)
	must(err)
	_, err = c.UpdateSystemUser(ctx, u.ID, jcapi.SystemUserUpdate{Firstname: jcapi.String("V")})
	must(err)
	_, err = jcapi.Collect(c.SystemUsers(ctx, jcapi.ListOptions{Filter: []string{"username:$eq:walker"}}))
	drain(err)
	_, err = jcapi.Collect(c.SystemUsers(ctx, jcapi.ListOptions{Filter: []string{"username:$eq:walker", "firstname:$eq:V"}}))
	drain(err)
	_, err = c.SystemUserByUsername(ctx, "walker")
	must(err)
	_, err = c.SystemUserByEmail(ctx, "walker@example.com")
	must(err)
	must(c.SetPassword(ctx, u.ID, secret.New("Correct-Horse-9-battery")))
	must(c.ForceSetPassword(ctx, u.ID, secret.New("Correct-Horse-10-battery")))
	boss, err := c.CreateSystemUser(ctx, jcapi.SystemUser{Username: "boss", Email: "boss@example.com"})
	must(err)
	_, err = c.UpdateSystemUser(ctx, u.ID, jcapi.SystemUserUpdate{Department: jcapi.String("Sales"), JobTitle: jcapi.String("Rep"),
		EmployeeIdentifier: jcapi.String("E1"), Manager: jcapi.String(boss.ID),
		PhoneNumbers: &[]jcapi.PhoneNumber{{Number: "+1 555 0100", Type: jcapi.PhoneWork}}})
	must(err)
	must(c.DeleteSystemUser(ctx, boss.ID))
	must(c.SuspendSystemUser(ctx, u.ID))
	must(c.ActivateSystemUser(ctx, u.ID, false))

	g, err := c.CreateUserGroup(ctx, jcapi.UserGroup{Name: "Walkers"})
	must(err)
	_, err = c.GetUserGroup(ctx, g.ID)
	must(err)
	_, err = c.UpdateUserGroup(ctx, g.ID, jcapi.UserGroup{Name: "Walkers", Description: "d"})
	must(err)
	_, err = c.UserGroupByName(ctx, "Walkers")
	must(err)
	_, err = c.UserGroupByName(ctx, "Walkers, EMEA")
	require.ErrorIs(t, err, jcapi.ErrNotFound)
	_, err = jcapi.Collect(c.UserGroups(ctx, jcapi.ListOptions{Filter: []string{"name:ne:a", "name:ne:b"}}))
	drain(err)
	must(c.AddUserGroupMember(ctx, g.ID, u.ID))
	_, err = jcapi.Collect(c.UserGroupMembers(ctx, g.ID))
	drain(err)
	_, err = jcapi.Collect(c.UserGroupMembership(ctx, g.ID))
	drain(err)
	_, err = jcapi.Collect(c.UserMemberOf(ctx, u.ID))
	drain(err)

	ad, err := c.CreateActiveDirectory(ctx, jcapi.ActiveDirectory{Domain: "DC=walk,DC=example"})
	must(err)
	_, err = c.GetActiveDirectory(ctx, ad.ID)
	must(err)
	_, err = c.UpdateActiveDirectory(ctx, ad.ID, jcapi.ActiveDirectory{UseCase: "TWOWAYSYNC"})
	must(err)
	_, err = c.ActiveDirectoryByDomain(ctx, "DC=walk,DC=example")
	must(err)
	must(c.BindUser(ctx, ad.ID, u.ID))
	must(c.BindUserGroup(ctx, ad.ID, g.ID))
	_, err = jcapi.Collect(c.UserGroupAssociations(ctx, g.ID, "active_directory"))
	drain(err)
	_, err = jcapi.Collect(c.ActiveDirectoryAssociations(ctx, ad.ID))
	drain(err)
	_, err = jcapi.Collect(c.ActiveDirectoryUsers(ctx, ad.ID, jcapi.ADUsersOptions{SyncStatus: true}))
	drain(err)
	_, err = jcapi.Collect(c.ActiveDirectoryUserGroups(ctx, ad.ID, jcapi.ListOptions{}))
	drain(err)
	must(c.UnbindUser(ctx, ad.ID, u.ID))
	must(c.UnbindUserGroup(ctx, ad.ID, g.ID))
	must(c.UpdateUserGroupAssociation(ctx, g.ID, jcapi.GraphOperation{Op: jcapi.OpAdd, Type: "active_directory", ID: ad.ID}))
	must(c.UpdateActiveDirectoryAssociation(ctx, ad.ID, jcapi.GraphOperation{Op: jcapi.OpRemove, Type: jcapi.TypeUserGroup, ID: g.ID}))
	a, err := c.CreateAgent(ctx, ad.ID, jcapi.AgentSync)
	must(err)
	_, err = c.GetAgent(ctx, ad.ID, a.ID)
	must(err)
	_, err = jcapi.Collect(c.ActiveDirectoryAgents(ctx, ad.ID))
	drain(err)
	must(c.DeleteAgent(ctx, ad.ID, a.ID))
	_, err = c.CreateTranslationRule(ctx, ad.ID, jcapi.TranslationRule{Source: "department", Destination: "department",
		SourceType: jcapi.RulePath, Direction: jcapi.RuleImport, AppliedOn: []string{jcapi.RuleOnCreate, jcapi.RuleOnUpdate}})
	must(err)
	rules, err := jcapi.Collect(c.TranslationRules(ctx, ad.ID))
	drain(err)
	require.Len(t, rules, 1)

	_, err = jcapi.Collect(c.Organizations(ctx))
	drain(err)
	_, err = c.GetOrganization(ctx, f.org)
	must(err)
	_, err = c.CurrentOrganization(ctx)
	must(err)
	_, _, err = c.PasswordPolicy(ctx)
	must(err)

	_, _, err = c.AllEvents(ctx, jcapi.EventQuery{Service: []string{jcapi.ServiceDirectory}, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Limit: 100}, 0)
	must(err)

	must(c.RemoveUserGroupMember(ctx, g.ID, u.ID))
	must(c.DeleteUserGroup(ctx, g.ID))
	must(c.DeleteSystemUser(ctx, u.ID))
	must(c.DeleteActiveDirectory(ctx, ad.ID))

	table := docTable(t)
	got := mine.list()
	for _, op := range got {
		assert.Contains(t, table, normOp(op), "%s is sent but has no row in doc.go's evidence table", op)
	}
	reached := map[string]bool{}
	for _, op := range got {
		reached[normOp(op)] = true
	}
	for _, row := range table {
		assert.True(t, reached[row], "doc.go lists %s, which the walk did not reach", row)
	}
}

var braces = regexp.MustCompile(`\{[^}]*\}`)

// normOp writes an operation with its path parameters unnamed.
func normOp(op string) string { return braces.ReplaceAllString(op, "{}") }

// docTable reads the operations of the evidence table in doc.go.
func docTable(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	row := regexp.MustCompile(`^//\t([A-Z|]+) (/\S*)`)
	var out []string
	for _, line := range strings.Split(string(src), "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil || m[1] == "Request" {
			continue
		}
		for _, method := range strings.Split(m[1], "|") {
			out = append(out, normOp(method+" "+m[2]))
		}
	}
	require.NotEmpty(t, out, "no evidence table in doc.go")
	slices.Sort(out)
	return slices.Compact(out)
}
