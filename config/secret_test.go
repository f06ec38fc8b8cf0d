package config_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/secret"
	"gopkg.in/yaml.v3"
)

const plaintext = "hunter2-s3cr3t"

type holder struct {
	Exported secret.Secret
	hidden   secret.Secret
	Ref      config.SecretRef
	ptr      *secret.Secret
}

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	s := secret.New(plaintext)
	h := holder{Exported: s, hidden: s, Ref: config.SecretValue("f", s), ptr: &s}

	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("login", "key", s, "holder", h, "ptr", &s)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("login", "key", s, "holder", h, "ptr", &s)
	jsonBytes, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	yamlBytes, err := yaml.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}

	outputs := map[string]string{
		"String":        s.String(),
		"%v":            fmt.Sprintf("%v", s),
		"%s":            fmt.Sprintf("%s", s), //lint:ignore S1025 what fmt prints for %s is the point
		"%q":            fmt.Sprintf("%q", s),
		"%+v":           fmt.Sprintf("%+v", s),
		"%#v":           fmt.Sprintf("%#v", s),
		"%x":            fmt.Sprintf("%x", s),
		"pointer %v":    fmt.Sprintf("%v", &s),
		"holder %v":     fmt.Sprintf("%v", h),
		"holder %+v":    fmt.Sprintf("%+v", h),
		"holder %#v":    fmt.Sprintf("%#v", h),
		"slice %v":      fmt.Sprintf("%v", []secret.Secret{s}),
		"slog text":     text.String(),
		"slog json":     js.String(),
		"json.Marshal":  string(jsonBytes),
		"yaml.Marshal":  string(yamlBytes),
		"Println":       fmt.Sprintln(s, h),
		"error wrap %w": fmt.Errorf("bind: %v", s).Error(),
	}
	for name, out := range outputs {
		if strings.Contains(out, plaintext) {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
	}
	for _, name := range []string{"String", "%v", "%+v", "%#v", "slog text", "slog json", "json.Marshal"} {
		if !strings.Contains(outputs[name], "[redacted]") {
			t.Errorf("%s = %q, want it to say [redacted]", name, outputs[name])
		}
	}
	if got := s.Reveal(); got != plaintext {
		t.Errorf("Reveal() = %q, want %q", got, plaintext)
	}
}

func TestSecretZero(t *testing.T) {
	t.Parallel()
	var zero secret.Secret
	if !zero.IsZero() || zero.Reveal() != "" {
		t.Errorf("zero secret.Secret: IsZero() = %v, Reveal() = %q; want true, empty", zero.IsZero(), zero.Reveal())
	}
	if !secret.New("").IsZero() {
		t.Error("secret.New(\"\").IsZero() = false, want true")
	}
	if secret.New("x").IsZero() {
		t.Error("secret.New(\"x\").IsZero() = true, want false")
	}
	if got := zero.String(); got != "[redacted]" {
		t.Errorf("zero String() = %q, want [redacted]", got)
	}
}
