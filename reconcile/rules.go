package reconcile

import (
	"fmt"
	"slices"
	"strings"
)

// TranslationRule is one translation rule JumpCloud keeps for an AD domain: the
// console's attribute mapping (v2 jumpcloud.idm.TranslationRule).
type TranslationRule struct {
	ID          string
	Source      string // the field path (SourceType PATH) or expression read
	Destination string // the field it fills
	SourceType  string // PATH, GOLANG_TEMPLATE, CONSTANT or EXPR
	Direction   string // IMPORT (AD → JumpCloud), EXPORT or UNSPECIFIED
	AppliedOn   []string
}

// Mapping returns the opt-in fields an import carries: those configured
// (field names, as [OptInField] resolves them) and those the domain's
// rules map, in table order; and a note, for the plan and preflight, on
// every rule adjc does not honour and why.
//
// A rule is honoured when it is one line of [Fields]: an IMPORT (or
// UNSPECIFIED) PATH rule from the field's AD attribute to its JumpCloud
// field, applied on UPDATE, since adjc keeps a mapped field in step on
// every run, not on create alone. An EXPORT rule is honoured when it is
// a field sync writes. A rule for a field every import carries is
// honoured already.
//
// The configuration wins over the rules: a field it names is mapped from
// the table's AD attribute whatever a rule says, and a rule that would
// fill the same field from another source is reported, not honoured.
func Mapping(configured []string, rules []TranslationRule) (mapped []string, notes []Skip) {
	want := map[string]bool{}
	for _, n := range configured {
		want[n] = true
	}
	for _, r := range rules {
		f, why := honour(r, configured)
		if why != "" {
			notes = append(notes, Skip{Kind: KindRule, Key: r.Source + " → " + r.Destination,
				Reason: fmt.Sprintf("translation rule %s not honoured: %s", r.ID, why)})
			continue
		}
		if f.OptIn {
			want[f.Name] = true
		}
	}
	for _, f := range Fields {
		if f.OptIn && want[f.Name] {
			mapped = append(mapped, f.Name)
		}
	}
	return mapped, notes
}

// honour returns the table field rule r maps, or why it cannot be
// honoured.
func honour(r TranslationRule, configured []string) (Field, string) {
	if t := strings.ToUpper(r.SourceType); t != "" && t != "PATH" {
		return Field{}, fmt.Sprintf("source type %s: adjc copies attributes as they are (PATH) and evaluates no templates, constants or expressions", t)
	}
	export := strings.EqualFold(r.Direction, "EXPORT")
	for _, f := range Fields {
		if f.Object != KindUser {
			continue
		}
		ad, jc := r.Source, r.Destination
		if export {
			ad, jc = r.Destination, r.Source
		}
		if !strings.EqualFold(f.AD, ad) || f.Name != jc {
			continue
		}
		switch {
		case export && !f.Sync:
			return Field{}, fmt.Sprintf("adjc's sync (JumpCloud → AD) does not write %s: opt-in fields are import-only (docs/fields.md)", f.AD)
		case !export && !f.Import:
			return Field{}, fmt.Sprintf("adjc does not import %s", f.Name)
		case slices.Contains(configured, f.Name) || !f.OptIn:
			return f, "" // carried anyway, on every run
		case len(r.AppliedOn) > 0 && !slices.ContainsFunc(r.AppliedOn, func(a string) bool { return strings.EqualFold(a, "UPDATE") }),
			len(r.AppliedOn) == 0:
			return Field{}, fmt.Sprintf("applied on %s only: adjc keeps a mapped field in step on every run; add UPDATE to the rule, or name %s in field_mapping", appliedText(r.AppliedOn), f.Name)
		}
		return f, ""
	}
	dir := "into JumpCloud"
	if export {
		dir = "into AD"
	}
	for _, f := range Fields {
		if f.Object == KindUser && (f.Name == r.Destination || (export && strings.EqualFold(f.AD, r.Destination))) {
			if slices.Contains(configured, f.Name) {
				return Field{}, fmt.Sprintf("field_mapping maps %s from %s, and the configuration wins over the console's rules", f.Name, f.AD)
			}
			return Field{}, fmt.Sprintf("adjc maps %s from %s only (docs/fields.md)", f.Name, f.AD)
		}
	}
	return Field{}, fmt.Sprintf("%s is not a field adjc maps %s (docs/fields.md lists them)", r.Destination, dir)
}

func appliedText(on []string) string {
	if len(on) == 0 {
		return "CREATE" // the spec's default (jumpcloud.idm.AppliedOn)
	}
	return strings.Join(on, ", ")
}
