package secret

import (
	"encoding/json"
	"log/slog"
)

// Secret holds a credential (a bind password, an API key, a connect key).
// Every way of printing it — fmt verbs, slog, JSON — yields [redacted];
// only [Secret.Reveal] returns the value, and it is called only where the
// value is put on the wire (an LDAP bind, an x-api-key header).
type Secret struct {
	// value is behind a pointer so that reflection-based printing cannot
	// reach it: fmt cannot call String on a Secret held in an unexported
	// field (of a SecretRef, say) and would print its fields instead, but a
	// nested pointer prints as an address, never as the string it points to.
	value *string
}

const redacted = "[redacted]"

// New wraps v.
func New(v string) Secret {
	if v == "" {
		return Secret{}
	}
	return Secret{value: &v}
}

// Reveal returns the secret value. Call it at the last moment, never to log or print.
func (s Secret) Reveal() string {
	if s.value == nil {
		return ""
	}
	return *s.value
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.value == nil || *s.value == "" }

// String implements fmt.Stringer.
func (s Secret) String() string { return redacted }

// GoString implements fmt.GoStringer so %#v does not leak either.
func (s Secret) GoString() string { return redacted }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// MarshalText implements encoding.TextMarshaler (used by YAML and slog's JSON handler).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
