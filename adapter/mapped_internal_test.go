package adapter

import (
	"slices"
	"testing"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/reconcile"
)

// TestJCTextCoversTable: every opt-in field of the table has a place in
// jcapi's user values, read and written, so a field added to the table
// and forgotten here fails.
func TestJCTextCoversTable(t *testing.T) {
	t.Parallel()
	for _, f := range reconcile.Fields {
		if !f.OptIn {
			continue
		}
		attrs := map[string]string{f.Name: "v-" + f.Name}
		var su jcapi.SystemUser
		if err := createAttrs(&su, attrs); err != nil {
			t.Errorf("createAttrs(%s) = %v", f.Name, err)
			continue
		}
		if got := cloudAttrs(&su)[f.Name]; got != attrs[f.Name] {
			t.Errorf("%s written on create reads back as %q", f.Name, got)
		}
		var upd jcapi.SystemUserUpdate
		if err := updateAttrs(&upd, attrs, func() (jcapi.SystemUser, error) { return jcapi.SystemUser{}, nil }); err != nil || upd == (jcapi.SystemUserUpdate{}) {
			t.Errorf("updateAttrs(%s) = %v, update %+v", f.Name, err, upd)
		}
	}
}

// TestWorkPhone: the work entry is set, replaced or removed; every other
// entry is kept in its place.
func TestWorkPhone(t *testing.T) {
	t.Parallel()
	mobile := jcapi.PhoneNumber{Number: "2", Type: "mobile"}
	tests := []struct {
		in     []jcapi.PhoneNumber
		number string
		want   []jcapi.PhoneNumber
	}{
		{nil, "1", []jcapi.PhoneNumber{{Number: "1", Type: "work"}}},
		{[]jcapi.PhoneNumber{mobile}, "1", []jcapi.PhoneNumber{mobile, {Number: "1", Type: "work"}}},
		{[]jcapi.PhoneNumber{{Number: "0", Type: "Work"}, mobile}, "1", []jcapi.PhoneNumber{{Number: "1", Type: "Work"}, mobile}},
		{[]jcapi.PhoneNumber{mobile, {Number: "0", Type: "work"}}, "", []jcapi.PhoneNumber{mobile}},
	}
	for _, tt := range tests {
		if got := withWorkPhone(tt.in, tt.number); !slices.Equal(got, tt.want) {
			t.Errorf("withWorkPhone(%v, %q) = %v, want %v", tt.in, tt.number, got, tt.want)
		}
	}
}
