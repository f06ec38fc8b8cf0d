package pwsync

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestRequestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  Request
		wire string
	}{
		{"samba notify", Request{Op: OpNotify, ID: ID{GUID: "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}, Account: "alice", Password: []byte("Pä55:w,rd")},
			"6:notify,41:guid:3f2504e0-4f89-11d3-9a0c-0305e82c3301,5:alice,10:Pä55:w,rd,0:,"},
		{"windows notify", Request{Op: OpNotify, ID: ID{RID: 1105}, Account: "bob", Password: []byte("x")},
			"6:notify,8:rid:1105,3:bob,1:x,0:,"},
		{"filter without id or account", Request{Op: OpFilter, Password: []byte("pw")},
			"6:filter,1:-,1:-,2:pw,0:,"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := EncodeRequest(&b, tt.req); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.wire {
				t.Errorf("EncodeRequest = %q, want %q", b.String(), tt.wire)
			}
			got, err := DecodeRequest(bufio.NewReader(&b))
			if err != nil {
				t.Fatal(err)
			}
			if got.Op != tt.req.Op || got.ID != tt.req.ID || got.Account != tt.req.Account || string(got.Password) != string(tt.req.Password) {
				t.Errorf("DecodeRequest = %+v, want %+v", got, tt.req)
			}
		})
	}
}

func TestDecodeRequestRefuses(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"6:notify,1:-,5:alice,2:pw,0:,",              // notify needs an id
		"6:notify,8:rid:0,5:alice,2:pw,0:,",          // RID 0
		"6:delete,8:rid:9,5:alice,2:pw,0:,",          // unknown op
		"6:notify,8:rid:9,5:alice,0:,",               // three fields
		"6:notify,8:rid:9,5:alice,2:pw",              // cut short
		"06:notify,0:,",                              // leading zero
		"1025:" + strings.Repeat("x", 1025) + ",0:,", // too long
		"6:notify;", // bad terminator
		"x:,",       // not a length
	} {
		_, err := DecodeRequest(bufio.NewReader(strings.NewReader(in)))
		if !errors.Is(err, ErrFrame) {
			t.Errorf("DecodeRequest(%.40q) = %v, want ErrFrame", in, err)
		}
	}
	if _, err := DecodeRequest(bufio.NewReader(strings.NewReader(""))); err != io.EOF {
		t.Errorf("DecodeRequest(empty) = %v, want io.EOF", err)
	}
}

func TestParseSambaLDIF(t *testing.T) {
	t.Parallel()
	// As samba-tool user syncpasswords writes it for --script (folded at 78
	// columns, the password base64 because it ends in a space).
	ldif := "dn: CN=Al Ice,OU=Staff,DC=adjc,DC=lab\n" +
		"objectGUID: 3F2504E0-4F89-11D3-9A0C-0305E82C3301\n" +
		"sAMAccountName: alice\n" +
		"virtualClearTextUTF8:: TmV3LVBhc3Mtd2l0aC1hLXZlcnktbG9uZy12YWx1ZS10aGF0LWZvbGRzLWFjcm9zcy1saW5lcy\n" +
		" 0xMjM0NSA=\n\n"
	req, ok, err := ParseSambaLDIF(strings.NewReader(ldif))
	if err != nil || !ok {
		t.Fatalf("ParseSambaLDIF = %v, %v", ok, err)
	}
	if req.ID.GUID != "3f2504e0-4f89-11d3-9a0c-0305e82c3301" || req.Account != "alice" || req.Op != OpNotify {
		t.Errorf("ParseSambaLDIF = %+v", req)
	}
	if want := "New-Pass-with-a-very-long-value-that-folds-across-lines-12345 "; string(req.Password) != want {
		t.Errorf("password = %q, want %q", req.Password, want)
	}
	_, ok, err = ParseSambaLDIF(strings.NewReader("dn: CN=x\nobjectGUID: 3f2504e0-4f89-11d3-9a0c-0305e82c3301\nsAMAccountName: x\n"))
	if err != nil || ok {
		t.Errorf("ParseSambaLDIF(no cleartext) = %v, %v, want false, nil", ok, err)
	}
	if _, _, err = ParseSambaLDIF(strings.NewReader("dn: CN=x\nsAMAccountName: x\n")); err == nil {
		t.Error("ParseSambaLDIF(no objectGUID) succeeded")
	}
}
