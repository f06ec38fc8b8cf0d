package config_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/adjc/adjc/config"
	"gopkg.in/yaml.v3"
)

const plaintext = "hunter2-s3cr3t"

type holder struct {
	Exported config.Secret
	hidden   config.Secret
	Ref      config.SecretRef
	ptr      *config.Secret
}

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	s := config.NewSecret(plaintext)
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
		"slice %v":      fmt.Sprintf("%v", []config.Secret{s}),
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
	var zero config.Secret
	if !zero.IsZero() || zero.Reveal() != "" {
		t.Errorf("zero Secret: IsZero() = %v, Reveal() = %q; want true, empty", zero.IsZero(), zero.Reveal())
	}
	if !config.NewSecret("").IsZero() {
		t.Error("NewSecret(\"\").IsZero() = false, want true")
	}
	if config.NewSecret("x").IsZero() {
		t.Error("NewSecret(\"x\").IsZero() = true, want false")
	}
	if got := zero.String(); got != "[redacted]" {
		t.Errorf("zero String() = %q, want [redacted]", got)
	}
}
