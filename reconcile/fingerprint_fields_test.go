package reconcile_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/reconcile"
)

// fingerprintExempt are the fields a fingerprint leaves out on purpose, by
// direction, with why. Every other field of the two sides must change the
// fingerprint of a direction: a field added to a user or group value and
// forgotten in the fingerprint would let a saved plan be applied over a
// state it was not made from.
var fingerprintExempt = map[reconcile.Direction]map[string]string{
	reconcile.ToJumpCloud: {
		"Directory.Skipped": "reader skips are reports, not inputs to any decision",
	},
	reconcile.ToAD: {
		"Directory.Skipped":             "reader skips are reports, not inputs to any decision",
		"Cloud.Users[0].Admin":          "sync does not read the sudo flag (the field table: not a sync field)",
		"Cloud.Users[0].PasswordDate":   "sync does not read password dates: passwords are never planned",
		"Directory.Users[0].PwdLastSet": "sync does not read password dates: passwords are never planned",
		"Cloud.Users[0].Markers":        "sync does not read the AD-managed markers: only import plans them",
		"Cloud.Groups[0].Bound":         "sync does not read the association flag: its scope is the association itself",
		"Cloud.Users[0].Staged":         "sync does not read STAGED: only import activates users",
		"Cloud.Users[0].Attrs":          "opt-in fields are import-only: sync does not read them",
		"Directory.Users[0].Attrs":      "opt-in fields are import-only: sync does not read them",
		"Directory.Mapped":              "opt-in fields are import-only: sync does not read them",
	},
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
		if v.Len() == 0 {
			t.Fatalf("%s is empty in the seed: give it the keys that matter so each is changed", path)
		}
		old := v.Interface()
		for _, k := range v.MapKeys() {
			m := reflect.MakeMap(v.Type())
			for _, k2 := range v.MapKeys() {
				m.SetMapIndex(k2, v.MapIndex(k2))
			}
			m.SetMapIndex(k, reflect.ValueOf(v.MapIndex(k).String()+"-changed"))
			v.Set(m)
			visit(path + "[" + k.String() + "]")
			v.Set(reflect.ValueOf(old))
		}
	default:
		t.Fatalf("%s: no mutation for kind %s: teach mutate, then the fingerprint", path, v.Kind())
	}
}

// TestFingerprintCoversEveryField walks every field of both sides, in both
// directions, and fails when changing one leaves the fingerprint as it was.
func TestFingerprintCoversEveryField(t *testing.T) {
	t.Parallel()
	dir, cloud := seedDirectory(), seedCloud()
	dir.Container = "CN=Users,DC=example,DC=com"
	dir.Cycles = []reconcile.Cycle{{Path: []string{"G1", "G2", "G1"}}}
	dir.Skipped = []reconcile.Skip{{Kind: reconcile.KindUser, Key: "x", Reason: "r"}}
	dir.NeverTouch = reconcile.NeverTouch{Scope: "DC=example,DC=com", Entries: []reconcile.Protected{{Match: "svc", Why: "bind account"}}}
	dir.Authority = reconcile.Authority{ID: "ad1"}
	dir.Groups[0].Anchor = "jcg-1"
	cloud.Users[0].Markers = markers(dir.Users[0].DN, reconcile.Authority{ID: "ad1", Password: true})
	// Every opt-in field of the table, mapped and valued on both sides: a
	// value left out of the fingerprint fails below.
	dir.Mapped = reconcile.OptInFields()
	dir.Users[0].Attrs, cloud.Users[0].Attrs = map[string]string{}, map[string]string{}
	for _, f := range reconcile.OptInFields() {
		dir.Users[0].Attrs[f], cloud.Users[0].Attrs[f] = "ad-"+f, "jc-"+f
	}

	for _, d := range []reconcile.Direction{reconcile.ToJumpCloud, reconcile.ToAD} {
		check := func(name string, root reflect.Value) {
			base := reconcile.Fingerprint(d, dir, cloud)
			mutate(t, name, root.Elem(), func(path string) {
				for k := range fingerprintExempt[d] {
					if path == k || strings.HasPrefix(path, k+"[") || strings.HasPrefix(path, k+".") {
						return
					}
				}
				if reconcile.Fingerprint(d, dir, cloud) == base {
					t.Errorf("%s: changing %s leaves the fingerprint as it was: add it to the fingerprint (or to fingerprintExempt, with why)", d, path)
				}
			})
		}
		check("Directory", reflect.ValueOf(&dir))
		check("Cloud", reflect.ValueOf(&cloud))
	}
}

// TestFingerprintCoversEveryTableField: every opt-in field of the table
// changes the fingerprint on either side, whichever values it takes, and
// so does opting in to it.
func TestFingerprintCoversEveryTableField(t *testing.T) {
	t.Parallel()
	seed := func() (reconcile.Directory, reconcile.Cloud) {
		d, c := seedDirectory(), seedCloud()
		d.Mapped = reconcile.OptInFields()
		return d, c
	}
	dir, cloud := seed()
	base := reconcile.Fingerprint(reconcile.ToJumpCloud, dir, cloud)
	for _, f := range reconcile.Fields {
		if !f.OptIn {
			continue
		}
		d, c := seed()
		d.Users[0].Attrs = map[string]string{f.Name: "v"}
		if reconcile.Fingerprint(reconcile.ToJumpCloud, d, c) == base {
			t.Errorf("an AD value of %s leaves the fingerprint as it was", f.Name)
		}
		d, c = seed()
		c.Users[0].Attrs = map[string]string{f.Name: "v"}
		if reconcile.Fingerprint(reconcile.ToJumpCloud, d, c) == base {
			t.Errorf("a JumpCloud value of %s leaves the fingerprint as it was", f.Name)
		}
		d, c = seed()
		d.Mapped = slices.DeleteFunc(d.Mapped, func(n string) bool { return n == f.Name })
		if reconcile.Fingerprint(reconcile.ToJumpCloud, d, c) == base {
			t.Errorf("opting out of %s leaves the fingerprint as it was", f.Name)
		}
	}
	// Values of fields not mapped change no plan, and no fingerprint: a
	// state read without field_mapping keeps the fingerprint it had.
	d, c := seedDirectory(), seedCloud()
	plain := reconcile.Fingerprint(reconcile.ToJumpCloud, d, c)
	c.Users[0].Attrs = map[string]string{"department": "Sales"}
	if reconcile.Fingerprint(reconcile.ToJumpCloud, d, c) != plain {
		t.Errorf("an unmapped JumpCloud value changed the fingerprint")
	}
}
