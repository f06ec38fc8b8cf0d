package ldapx

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

func TestGUIDString(t *testing.T) {
	t.Parallel()
	// objectGUID bytes as AD sends them, and the string AD tools print
	// (Get-ADUser, ldp): the first three fields byte-swapped.
	raw := []byte{0x2b, 0x1a, 0x5f, 0x0d, 0x4d, 0x3c, 0x6f, 0x5e, 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0xf7}
	const want = "0d5f1a2b-3c4d-5e6f-8091-a2b3c4d5e6f7"
	got, err := GUIDString(raw)
	if err != nil || got != want {
		t.Fatalf("GUIDString(%x) = %q, %v, want %q", raw, got, err, want)
	}
	back, err := GUIDBytes("{" + strings.ToUpper(want) + "}")
	if err != nil || string(back) != string(raw) {
		t.Fatalf("GUIDBytes(%q) = %x, %v, want %x", want, back, err, raw)
	}
	f, err := GUIDFilter(want)
	if wantF := `(objectGUID=\2b\1a\5f\0d\4d\3c\6f\5e\80\91\a2\b3\c4\d5\e6\f7)`; err != nil || f != wantF {
		t.Fatalf("GUIDFilter(%q) = %q, %v, want %q", want, f, err, wantF)
	}
	for _, bad := range []string{"", "0d5f1a2b3c4d5e6f8091a2b3c4d5e6f7", "0d5f1a2b-3c4d-5e6f-8091-a2b3c4d5e6fz"} {
		if _, err := GUIDBytes(bad); err == nil {
			t.Errorf("GUIDBytes(%q) = nil error, want an error", bad)
		}
	}
	if _, err := GUIDString(raw[:15]); err == nil {
		t.Errorf("GUIDString(15 bytes) = nil error, want an error")
	}
}

func FuzzGUIDRoundTrip(f *testing.F) {
	f.Add([]byte("0123456789abcdef"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := GUIDString(raw)
		if len(raw) != 16 {
			if err == nil {
				t.Fatalf("GUIDString(%d bytes) = nil error", len(raw))
			}
			return
		}
		back, err := GUIDBytes(s)
		if err != nil || string(back) != string(raw) {
			t.Fatalf("GUIDBytes(GUIDString(%x)) = %x, %v", raw, back, err)
		}
	})
}

func TestSIDString(t *testing.T) {
	t.Parallel()
	// S-1-5-21-1004336348-1177238915-682003330-512 (Domain Admins of some domain).
	raw := []byte{1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 0xdc, 0xf4, 0xdc, 0x3b, 0x83, 0x3d, 0x2b, 0x46, 0x82, 0x8b, 0xa6, 0x28, 0x00, 0x02, 0, 0}
	const want = "S-1-5-21-1004336348-1177238915-682003330-512"
	if got, err := SIDString(raw); err != nil || got != want {
		t.Fatalf("SIDString = %q, %v, want %q", got, err, want)
	}
	if _, err := SIDString(raw[:10]); err == nil {
		t.Fatalf("SIDString(truncated) = nil error")
	}
}

func TestParseRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc   string
		want   valueRange
		ranged bool
	}{
		{"member", valueRange{Attr: "member"}, false},
		{"member;range=0-1499", valueRange{Attr: "member", Low: 0, High: 1499}, true},
		{"member;range=1500-*", valueRange{Attr: "member", Low: 1500, High: -1, Last: true}, true},
		{"Member;Range=3000-4499", valueRange{Attr: "Member", Low: 3000, High: 4499}, true},
		{"member;range=1-1", valueRange{Attr: "member", Low: 1, High: 1}, true},
		{"member;range=5-2", valueRange{}, false},
		{"member;range=x-*", valueRange{}, false},
		{"member;range=", valueRange{}, false},
		{"member;binary", valueRange{Attr: "member"}, false},
	}
	for _, tt := range tests {
		got, ranged := parseRange(tt.desc)
		if got != tt.want || ranged != tt.ranged {
			t.Errorf("parseRange(%q) = %+v, %v, want %+v, %v", tt.desc, got, ranged, tt.want, tt.ranged)
		}
	}
}

// TestMembersFromEntry covers both server behaviours: Windows splits a
// large member attribute (member;range=0-1499), Samba sends plain member.
func TestMembersFromEntry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		attrs map[string][]string
		vals  int
		next  int
		more  bool
	}{
		{"unsplit", map[string][]string{"member": {"a", "b"}}, 2, 0, false},
		{"split", map[string][]string{"member;range=0-1499": make([]string, 1500)}, 1500, 1500, true},
		{"last chunk", map[string][]string{"member;range=1500-*": {"x"}}, 1, 0, false},
		{"empty group", map[string][]string{"cn": {"g"}}, 0, 0, false},
	}
	for _, tt := range tests {
		vals, next, more := membersFromEntry(ldap.NewEntry("CN=g", tt.attrs))
		if len(vals) != tt.vals || next != tt.next || more != tt.more {
			t.Errorf("%s: membersFromEntry = %d values, %d, %v, want %d, %d, %v", tt.name, len(vals), next, more, tt.vals, tt.next, tt.more)
		}
	}
}

func TestWrapError(t *testing.T) {
	t.Parallel()
	samba := func(code uint16, msg string) error { return ldap.NewError(code, errors.New(msg)) }
	tests := []struct {
		name   string
		attr   string
		err    error
		kind   error
		reason string
	}{
		{"bad password", "", samba(49, "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 52e, v1db1"), ErrInvalidCredentials, "wrong user name or password"},
		{"locked", "", samba(49, "80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 775, v3839"), ErrInvalidCredentials, "the account is locked out"},
		{"too short", "unicodePwd", samba(19, "0000052D: Constraint violation - check_password_restrictions: the password is too short. It should be equal or longer than 7 characters!"), ErrPasswordTooShort, "it must be at least 7 characters"},
		{"not complex", "unicodePwd", samba(19, "0000052D: Constraint violation - check_password_restrictions: the password does not meet the complexity criteria!"), ErrPasswordNotComplex, "it needs three of: upper case, lower case, digits, symbols, and must not contain the account name"},
		{"history", "unicodePwd", samba(19, "0000052D: Constraint violation - check_password_restrictions: the password was already used (in history)!"), ErrPasswordInHistory, ""},
		{"windows policy", "unicodePwd", samba(53, "0000052D: SvcErr: DSID-031A12D2, problem 5003 (WILL_NOT_PERFORM), data 0"), ErrPasswordPolicy, ""},
		{"rights", "member", samba(50, "00002098: SecErr: DSID-03150F94, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0"), ErrInsufficientRights, ""},
		{"no object", "", samba(32, "0000208D: NameErr: DSID-03100241, problem 2001 (NO_OBJECT)"), ErrNoSuchObject, ""},
		{"exists", "", samba(68, "00002071: UpdErr: DSID-030502F1, problem 6005 (ENTRY_EXISTS)"), ErrAlreadyExists, ""},
		{"value exists", "member", samba(20, "attribute or value exists"), ErrAlreadyExists, ""},
		{"no value", "member", samba(16, "no such attribute"), ErrNoSuchValue, ""},
		{"constraint", "sAMAccountName", samba(19, "00002082: AtrErr: DSID-03151904, #1"), ErrConstraint, ""},
		{"strong auth", "", samba(8, "BindSimple: Transport encryption required."), ErrStrongAuthRequired, ""},
		{"busy", "", samba(51, "busy"), ErrUnavailable, ""},
		{"network", "", ldap.NewError(ldap.ErrorNetwork, errors.New("ldap: connection closed")), ErrUnavailable, ""},
		{"plain network", "", fmt.Errorf("read tcp: %w", errors.New("connection reset")), ErrUnavailable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := wrapError("modify", "CN=x,DC=adjc,DC=lab", tt.attr, tt.err)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("wrapError(%v) = %v, want kind %v", tt.err, err, tt.kind)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("wrapError(%v) = %T, want *Error", tt.err, err)
			}
			if e.Reason != tt.reason {
				t.Errorf("Reason = %q, want %q", e.Reason, tt.reason)
			}
			if !strings.HasPrefix(err.Error(), "ldapx: modify CN=x,DC=adjc,DC=lab") {
				t.Errorf("Error() = %q, want the op and DN first", err)
			}
		})
	}
	if !errors.Is(wrapError("modify", "", "unicodePwd", samba(19, "0000052D: check_password_restrictions: the password is too short.")), ErrConstraint) {
		t.Errorf("a password error should also be ErrConstraint")
	}
}

func TestIntervals(t *testing.T) {
	t.Parallel()
	if got := adInterval("-36288000000000"); got != 42*24*time.Hour {
		t.Errorf("adInterval(42 days) = %v", got)
	}
	if got := adInterval("-9223372036854775808"); got != 0 {
		t.Errorf("adInterval(never) = %v, want 0", got)
	}
	if got := fileTime("116444736000000000"); !got.Equal(time.Unix(0, 0)) {
		t.Errorf("fileTime(epoch) = %v", got)
	}
	if got := fileTime("0"); !got.IsZero() {
		t.Errorf("fileTime(0) = %v, want zero", got)
	}
	if got := generalizedTime("20261121235500.0Z"); !got.Equal(time.Date(2026, 11, 21, 23, 55, 0, 0, time.UTC)) {
		t.Errorf("generalizedTime = %v", got)
	}
}

// TestScopeGraph checks flattening and cycle detection without a server.
func TestScopeGraph(t *testing.T) {
	t.Parallel()
	g := newGraph()
	user := func(cn string) {
		g.users[normDN("CN="+cn)] = User{GUID: cn, DN: "CN=" + cn}
	}
	group := func(cn string, members ...string) {
		var dns []string
		for _, m := range members {
			dns = append(dns, "CN="+m)
		}
		g.groups[normDN("CN="+cn)] = Group{GUID: "g-" + cn, DN: "CN=" + cn, Name: cn, Members: dns}
	}
	for _, u := range []string{"u1", "u2", "u3", "u4", "l1", "l2", "s"} {
		user(u)
	}
	group("JumpCloud", "G1", "A", "self", "ghost")
	group("G1", "u1", "u2", "G2")
	group("G2", "u3", "u4")
	group("A", "l1", "B")
	group("B", "l2", "A", "JumpCloud") // a cycle back through the root
	group("self", "s", "self")
	g.other[normDN("CN=ghost")] = "CN=ghost"
	s := g.scope(Group{DN: "CN=JumpCloud", GUID: "g-JumpCloud"})
	check := func(guid string, want ...string) {
		t.Helper()
		if got := s.Groups[guid].Users; strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("group %s users = %v, want %v", guid, got, want)
		}
	}
	check("g-G1", "u1", "u2", "u3", "u4")
	check("g-G2", "u3", "u4")
	check("g-A", "l1", "l2", "s", "u1", "u2", "u3", "u4") // A→B→JumpCloud→everything
	check("g-self", "s")
	if _, ok := s.Groups["g-JumpCloud"]; ok {
		t.Errorf("the root is listed among Groups")
	}
	if got := strings.Join(s.Root.Users, ","); got != "l1,l2,s,u1,u2,u3,u4" {
		t.Errorf("Root.Users = %v", got)
	}
	if got := fmt.Sprint(s.Cycles); got != "[[CN=A CN=B CN=JumpCloud] [CN=self]]" {
		t.Errorf("Cycles = %v", got)
	}
	if got := fmt.Sprint(s.Other); got != "[CN=ghost]" {
		t.Errorf("Other = %v", got)
	}
	if got := fmt.Sprint(s.Groups["g-G1"].Subgroups); got != "[g-G2]" {
		t.Errorf("G1 Subgroups = %v", got)
	}
}
