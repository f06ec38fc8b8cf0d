package adapter

import "testing"

func TestTombstoneGUID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dn, want string
		ok       bool
	}{
		{`CN=zz.user\0ADEL:9697156b-5234-4b29-9c06-8cbe6d1d199a,CN=Deleted Objects,DC=adjc,DC=lab`, "9697156b-5234-4b29-9c06-8cbe6d1d199a", true},
		{`CN=Ann Lee\0ADEL:9697156B-5234-4B29-9C06-8CBE6D1D199A,CN=Deleted Objects,DC=example,DC=com`, "9697156B-5234-4B29-9C06-8CBE6D1D199A", true},
		{`CN=Ann Lee,OU=Staff,DC=example,DC=com`, "", false},
		{`CN=x\0ADEL:not-a-guid,CN=Deleted Objects,DC=example,DC=com`, "", false},
		{`CN=x\0ADEL:9697156b`, "", false},
	}
	for _, tt := range tests {
		got, ok := tombstoneGUID(tt.dn)
		if got != tt.want || ok != tt.ok {
			t.Errorf("tombstoneGUID(%q) = %q, %v; want %q, %v", tt.dn, got, ok, tt.want, tt.ok)
		}
	}
}
