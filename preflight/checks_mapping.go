// This file holds the field-mapping check: the opt-in fields an import
// carries and the translation rules it does not honour.

package preflight

import (
	"fmt"
	"strings"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/reconcile"
)

// mappingChecks reports field_mapping when it is set (nothing otherwise:
// a domain without it has nothing to check): every name must be a field
// of the table, and every translation rule the console keeps is honoured
// or listed with why not, as `diff` shows it.
func mappingChecks(f Facts) []Check {
	const a = AreaJumpCloud
	names, rules := f.Domain.MappedFields()
	if len(names) == 0 && !rules {
		return nil
	}
	var configured []string
	for _, n := range names {
		fl, err := reconcile.OptInField(n)
		if err != nil {
			return []Check{check(a, "field-mapping", Fail, "field_mapping: "+err.Error(), "name fields of docs/fields.md, or "+config.FieldMappingRules)}
		}
		configured = append(configured, fl.Name)
	}
	var rs []reconcile.TranslationRule
	if rules {
		switch {
		case f.JumpCloud.RulesErr != nil:
			return []Check{check(a, "field-mapping", Fail, "could not read the domain's translation rules: "+errText(f.JumpCloud.RulesErr),
				"give the API key's administrator access to Directories, or remove "+config.FieldMappingRules+" from field_mapping")}
		case f.JumpCloud.Org == nil || f.JumpCloud.DomainsErr != nil:
			return []Check{check(a, "field-mapping", Skip, "the JumpCloud API was not read", "")}
		}
		for _, r := range f.JumpCloud.Rules {
			rs = append(rs, reconcile.TranslationRule{ID: r.ID, Source: r.Source, Destination: r.Destination,
				SourceType: r.SourceType, Direction: r.Direction, AppliedOn: r.AppliedOn})
		}
	}
	mapped, notes := reconcile.Mapping(configured, rs)
	carried := "no opt-in field"
	if len(mapped) > 0 {
		carried = strings.Join(mapped, ", ")
	}
	if len(notes) == 0 {
		return []Check{check(a, "field-mapping", Pass, "import carries "+carried, "")}
	}
	details := make([]string, 0, len(notes))
	keys := make([]string, 0, len(notes))
	for _, n := range notes {
		details = append(details, n.Key+": "+n.Reason)
		keys = append(keys, n.Key)
	}
	return []Check{check(a, "field-mapping", Warn,
		fmt.Sprintf("import carries %s; %d translation rule(s) not honoured: %s", carried, len(notes), strings.Join(keys, "; ")),
		"-v says why; change or remove those rules in the console, or map the fields in field_mapping (docs/fields.md)", details...)}
}
