package pwsync

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/reconcile"
)

func TestNeverTouch(t *testing.T) {
	t.Parallel()
	d := New(Options{NeverTouch: reconcile.NeverTouch{Entries: []reconcile.Protected{
		{Match: "jcsync", Why: "adjc's own bind account"}, {Match: "Break-Glass", Why: "on the never_touch list"}}}})
	dom := "S-1-5-21-1-2-3-"
	tests := []struct {
		user ldapx.User
		want bool
	}{
		{ldapx.User{SAMAccountName: "Administrator", SID: dom + "500"}, true},
		{ldapx.User{SAMAccountName: "krbtgt", SID: dom + "502"}, true},
		{ldapx.User{SAMAccountName: "jcsync", SID: dom + "1104"}, true},
		{ldapx.User{SAMAccountName: "break-glass", SID: dom + "1200"}, true},
		{ldapx.User{SAMAccountName: "alice", SID: dom + "1105"}, false},
		{ldapx.User{SAMAccountName: "bob", SID: dom + "1000"}, false},
		{ldapx.User{SAMAccountName: "carol", SID: dom + "1106", AdminCount: 1}, true},
		{ldapx.User{SAMAccountName: "dave", SID: dom + "1107", Critical: true}, true},
	}
	for _, tt := range tests {
		if got := d.neverTouch(tt.user) != ""; got != tt.want {
			t.Errorf("neverTouch(%s, %s) = %v, want %v", tt.user.SAMAccountName, tt.user.SID, got, tt.want)
		}
	}
}

func TestTransient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want bool
	}{
		{&jcapi.APIError{Status: 503}, true},
		{&jcapi.APIError{Status: 429}, true},
		{fmt.Errorf("set: %w", &jcapi.APIError{Status: 400}), false},
		{&jcapi.APIError{Status: 401}, false},
		{&ldapx.Error{Op: "search", Kind: ldapx.ErrUnavailable}, true},
		{&ldapx.Error{Op: "search", Kind: ldapx.ErrNoSuchObject}, false},
		{errors.New("dial tcp 127.0.0.1:636: connection refused"), true},
		{context.Canceled, false},
	}
	for _, tt := range tests {
		if got := transient(tt.err); got != tt.want {
			t.Errorf("transient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestEnqueueDropsWhenFullOrClosed(t *testing.T) {
	t.Parallel()
	var got []Outcome
	d := New(Options{QueueSize: 1, OnOutcome: func(o Outcome) { got = append(got, o) }})
	pw1, pw2, pw3 := []byte("first-secret"), []byte("second-secret"), []byte("third-secret")
	if !d.Enqueue(Request{Op: OpNotify, ID: ID{RID: 1105}, Account: "alice", Password: pw1}) {
		t.Fatal("Enqueue into an empty queue = false")
	}
	if d.Enqueue(Request{Op: OpNotify, ID: ID{RID: 1106}, Account: "bob", Password: pw2}) {
		t.Fatal("Enqueue into a full queue = true")
	}
	d.Close()
	if d.Enqueue(Request{Op: OpNotify, ID: ID{RID: 1107}, Account: "carol", Password: pw3}) {
		t.Fatal("Enqueue after Close = true")
	}
	if len(got) != 2 || got[0].Result != Dropped || got[1].Result != Dropped {
		t.Fatalf("outcomes = %+v, want two drops", got)
	}
	for i, pw := range [][]byte{pw2, pw3} {
		for _, c := range pw {
			if c != 0 {
				t.Errorf("dropped password %d not cleared: %q", i+2, pw)
				break
			}
		}
	}
}
