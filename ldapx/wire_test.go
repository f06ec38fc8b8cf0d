package ldapx

import (
	"bufio"
	"bytes"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// entryMessage encodes a SearchResultEntry message as a DC sends it, with
// asn1-ber (go-ldap's own encoder).
func entryMessage(id int64, dn string, attrs []ldap.EntryAttribute) []byte {
	env := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAPMessage")
	env.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, "MessageID"))
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchResultEntry, nil, "Entry")
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, dn, "DN"))
	list := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "Attributes")
	for _, a := range attrs {
		pa := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "Attribute")
		pa.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, a.Name, "Type"))
		set := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "Values")
		for _, v := range a.ByteValues {
			set.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, string(v), "Value"))
		}
		pa.AppendChild(set)
		list.AppendChild(pa)
	}
	op.AppendChild(list)
	env.AppendChild(op)
	return env.Bytes()
}

func decodeMessage(t testing.TB, msg []byte) (*ldap.Entry, error) {
	got, err := readMessage(bufio.NewReader(bytes.NewReader(msg)))
	if err != nil {
		return nil, err
	}
	id, tag, body, err := messageHead(got)
	if err != nil {
		return nil, err
	}
	if id != 7 || tag != 0x64 {
		t.Fatalf("messageHead() = id %d tag %#x, want 7 and 0x64", id, tag)
	}
	return decodeEntry(got[body:])
}

// TestDecodeEntry: the wire's decoder reads what asn1-ber encodes, long
// values (multi-byte lengths) and binary values included, into the entry
// go-ldap would make.
func TestDecodeEntry(t *testing.T) {
	big := bytes.Repeat([]byte("CN=member,OU=x,DC=adjc,DC=lab;"), 3000) // > 64 KiB: a 3-byte length
	attrs := []ldap.EntryAttribute{
		{Name: "objectGUID", ByteValues: [][]byte{{0x01, 0x80, 0xff, 0x00}}},
		{Name: "member", ByteValues: [][]byte{[]byte("CN=a,DC=x"), big}},
		{Name: "description", ByteValues: [][]byte{}},
		{Name: "sn", ByteValues: [][]byte{[]byte("Ümlaut")}},
	}
	got, err := decodeMessage(t, entryMessage(7, "CN=Alice,OU=Users,DC=adjc,DC=lab", attrs))
	require.NoError(t, err)
	assert.Equal(t, "CN=Alice,OU=Users,DC=adjc,DC=lab", got.DN)
	require.Len(t, got.Attributes, len(attrs))
	for i, a := range attrs {
		assert.Equal(t, a.Name, got.Attributes[i].Name)
		assert.Equal(t, len(a.ByteValues), len(got.Attributes[i].ByteValues))
		for j, v := range a.ByteValues {
			assert.Equal(t, v, got.Attributes[i].ByteValues[j])
			assert.Equal(t, string(v), got.Attributes[i].Values[j])
		}
	}
	assert.Equal(t, []byte{0x01, 0x80, 0xff, 0x00}, got.GetRawAttributeValue("objectGUID"))
}

// FuzzDecodeEntry: any bytes decode to an entry or an error, never a
// panic, and an entry asn1-ber encodes decodes to what was encoded.
func FuzzDecodeEntry(f *testing.F) {
	f.Add("CN=a,DC=x", "member", []byte("CN=b"), []byte{0, 1, 2})
	f.Add("", "", []byte{}, []byte{0x30, 0x84, 0xff})
	f.Fuzz(func(t *testing.T, dn, name string, value, junk []byte) {
		msg := entryMessage(7, dn, []ldap.EntryAttribute{{Name: name, ByteValues: [][]byte{value, junk}}})
		got, err := decodeMessage(t, msg)
		require.NoError(t, err)
		assert.Equal(t, dn, got.DN)
		require.Len(t, got.Attributes, 1)
		assert.Equal(t, name, got.Attributes[0].Name)
		assert.Equal(t, []string{string(value), string(junk)}, got.Attributes[0].Values)
		// Cut short or garbled, it must fail cleanly.
		for _, b := range [][]byte{msg[:len(msg)/2], junk, append([]byte{0x30, byte(len(junk))}, junk...)} {
			if m, err := readMessage(bufio.NewReader(bytes.NewReader(b))); err == nil {
				if _, _, body, err := messageHead(m); err == nil && body <= len(m) {
					_, _ = decodeEntry(m[body:])
				}
			}
		}
	})
}

// TestWirePage: a page answers like go-ldap's SearchAsync response:
// entries, then the final result's controls with no entry, then the end.
func TestWirePage(t *testing.T) {
	ctl := ldap.NewControlPaging(5)
	p := &wirePage{entries: []*ldap.Entry{{DN: "a"}, {DN: "b"}}, controls: []ldap.Control{ctl}}
	var dns []string
	var ctls []ldap.Control
	for p.Next() {
		if e := p.Entry(); e != nil {
			dns = append(dns, e.DN)
			assert.Nil(t, p.Controls())
			continue
		}
		ctls = p.Controls()
	}
	assert.Equal(t, []string{"a", "b"}, dns)
	assert.Equal(t, []ldap.Control{ctl}, ctls)
	assert.NoError(t, p.Err())

	failed := &wirePage{entries: []*ldap.Entry{{DN: "a"}}, err: ldap.NewError(ldap.LDAPResultSizeLimitExceeded, nil)}
	n := 0
	for failed.Next() {
		n++
	}
	assert.Equal(t, 1, n)
	assert.True(t, pagingRefused(failed.Err()))
}
