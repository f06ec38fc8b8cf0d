package preflight

import (
	"strings"
	"testing"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
)

// TestFieldMappingCheck: no check without field_mapping; a rule adjc does
// not honour is a WARN naming it and why; an unknown name is a FAIL.
func TestFieldMappingCheck(t *testing.T) {
	t.Parallel()
	org := &jcapi.Organization{ID: "o"}
	if c := find(Evaluate(Facts{Now: now}), AreaJumpCloud, "field-mapping"); c.Name != "" {
		t.Errorf("field-mapping check without field_mapping: %+v", c)
	}
	f := Facts{Now: now, Domain: config.Domain{FieldMapping: []string{"department", config.FieldMappingRules}, JumpCloudDomainID: "0123456789abcdef01234567"}}
	f.JumpCloud.Org = org
	f.JumpCloud.Rules = []jcapi.TranslationRule{
		{ID: "r1", Source: "title", Destination: "jobTitle", Direction: "IMPORT", SourceType: "PATH", AppliedOn: []string{"CREATE", "UPDATE"}},
		{ID: "r2", Source: "{{.x}}", Destination: "costCenter", Direction: "IMPORT", SourceType: "EXPR"},
	}
	c := statusOf(t, f, AreaJumpCloud, "field-mapping")
	if c.Status != Warn || !strings.Contains(c.Reason, "department, jobTitle") || len(c.Details) != 1 || !strings.Contains(c.Details[0], "r2 not honoured") {
		t.Errorf("field-mapping = %+v, want WARN carrying department, jobTitle and r2 named", c)
	}
	f.Domain.FieldMapping = []string{"costCenter"}
	if c := statusOf(t, f, AreaJumpCloud, "field-mapping"); c.Status != Fail || !strings.Contains(c.Reason, "costCenter") {
		t.Errorf("field-mapping with an unknown name = %+v, want FAIL naming it", c)
	}
}
