package reconcile_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/reconcile"
)

// fingerprintExempt are the fields a fingerprint leaves out on purpose, with
// why. Every other field of the states must change it: a field added to a
// user or group value and forgotten in the fingerprint would let a saved plan
// be applied over a state it was not made from.
var fingerprintExempt = map[string]string{
	"Directory.Skipped":           "reader skips are reports, not inputs to any decision",
	"Bound.Users[0].Admin":        "DiffToAD does not read the sudo flag: no sync decision depends on it",
	"Bound.Users[0].PasswordDate": "DiffToAD does not read password dates: passwords are never planned",
	"Domain.Users[0].PwdLastSet":  "DiffToAD does not read password dates: passwords are never planned",
	"Bound.Users[0].Markers":      "DiffToAD does not read the AD-managed markers: only import plans them",
	"Bound.Groups[0].Bound":       "DiffToAD does not read the association flag: its scope is the association itself",
	"Bound.Users[0].Attrs":        "opt-in fields are import-only: DiffToAD does not read them",
	"Domain.Users[0].Attrs":       "opt-in fields are import-only: DiffToAD does not read them",
}

// mutate changes the value v points to, field by field: each call returns
// the paths it changed, one at a time, through visit, restoring the value
// after each.
func mutate(t *testing.T, path string, v reflect.Value, visit func(path string)) {
	t.Helper()
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			old := v.Interface()
			v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Hour)))
			visit(path)
			v.Set(reflect.ValueOf(old))
			return
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			mutate(t, path+"."+f.Name, v.Field(i), visit)
		}
	case reflect.String:
		old := v.String()
		v.SetString(old + "-changed")
		visit(path)
		v.SetString(old)
	case reflect.Bool:
		v.SetBool(!v.Bool())
		visit(path)
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 1)
		visit(path)
		v.SetInt(v.Int() - 1)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.String {
			old := v.Interface()
			v.Set(reflect.Append(v, reflect.ValueOf("added-member")))
			visit(path)
			v.Set(reflect.ValueOf(old))
			return
		}
		if v.Len() == 0 {
			t.Fatalf("%s is empty in the seed: give it one element so its fields are walked", path)
		}
		mutate(t, path+"[0]", v.Index(0), visit)
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String || v.Type().Elem().Kind() != reflect.String {
			t.Fatalf("%s: no mutation for map type %s: teach mutate, then the fingerprint", path, v.Type())
		}
		old := v.Interface()
		m := reflect.MakeMap(v.Type())
		for _, k := range v.MapKeys() {
			m.SetMapIndex(k, v.MapIndex(k))
		}
		m.SetMapIndex(reflect.ValueOf("added-field"), reflect.ValueOf("x"))
		v.Set(m)
		visit(path)
		v.Set(reflect.ValueOf(old))
	default:
		t.Fatalf("%s: no mutation for kind %s: teach mutate, then the fingerprint", path, v.Kind())
	}
}

// TestFingerprintCoversEveryField walks every field of both directions'
// states and fails when changing one leaves the fingerprint as it was.
func TestFingerprintCoversEveryField(t *testing.T) {
	t.Parallel()
	dir, cloud := seedDirectory(), seedCloud()
	dir.Cycles = []reconcile.Cycle{{Path: []string{"G1", "G2", "G1"}}}
	dir.Skipped = []reconcile.Skip{{Kind: reconcile.KindUser, Key: "x", Reason: "r"}}
	dir.NeverTouch = reconcile.NeverTouch{Scope: "DC=example,DC=com", Entries: []reconcile.Protected{{Match: "svc", Why: "bind account"}}}
	dir.Authority = reconcile.Authority{ID: "ad1"}
	cloud.Users[0].Markers = markers(dir.Users[0].DN, reconcile.Authority{ID: "ad1", Password: true})
	bound := reconcile.Bound(cloud)
	domain := reconcile.Domain{Container: "CN=Users,DC=example,DC=com", Users: dir.Users,
		Groups:     []reconcile.DomainGroup{{GUID: "g", DN: "CN=g,CN=Users,DC=example,DC=com", Name: "g", Anchor: "a", Members: []string{"m"}}},
		NeverTouch: dir.NeverTouch}

	check := func(name string, root reflect.Value, fp func() string) {
		base := fp()
		mutate(t, name, root.Elem(), func(path string) {
			for k := range fingerprintExempt {
				if path == k || strings.HasPrefix(path, k+"[") || strings.HasPrefix(path, k+".") {
					return
				}
			}
			if fp() == base {
				t.Errorf("changing %s leaves the fingerprint as it was: add it to the fingerprint (or to fingerprintExempt, with why)", path)
			}
		})
	}
	check("Directory", reflect.ValueOf(&dir), func() string { return reconcile.Fingerprint(dir, cloud) })
	check("Cloud", reflect.ValueOf(&cloud), func() string { return reconcile.Fingerprint(dir, cloud) })
	check("Bound", reflect.ValueOf(&bound), func() string { return reconcile.FingerprintToAD(bound, domain) })
	check("Domain", reflect.ValueOf(&domain), func() string { return reconcile.FingerprintToAD(bound, domain) })
}

// TestFingerprintCoversEveryTableField: every opt-in field of the table
// changes the fingerprint on either side, whichever values it takes, and
// so does opting in to it.
func TestFingerprintCoversEveryTableField(t *testing.T) {
	t.Parallel()
	dir, cloud := seedDirectory(), seedCloud()
	base := reconcile.Fingerprint(dir, cloud)
	for _, f := range reconcile.Fields {
		if !f.OptIn {
			continue
		}
		d, c := seedDirectory(), seedCloud()
		d.Users[0].Attrs = map[string]string{f.Name: "v"}
		if reconcile.Fingerprint(d, c) == base {
			t.Errorf("an AD value of %s leaves the fingerprint as it was", f.Name)
		}
		d, c = seedDirectory(), seedCloud()
		c.Users[0].Attrs = map[string]string{f.Name: "v"}
		if reconcile.Fingerprint(d, c) == base {
			t.Errorf("a JumpCloud value of %s leaves the fingerprint as it was", f.Name)
		}
		d, c = seedDirectory(), seedCloud()
		d.Mapped = []string{f.Name}
		if reconcile.Fingerprint(d, c) == base {
			t.Errorf("opting in to %s leaves the fingerprint as it was", f.Name)
		}
	}
}
