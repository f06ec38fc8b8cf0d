package commands

import (
	"errors"
	"slices"
	"testing"

	"github.com/adjc/adjc/config"
)

// TestFieldMapping: without field_mapping nothing is asked of JumpCloud
// (the client is nil here: any request would panic); a name that is no
// field is a usage error (exit 2) naming it; names resolve to the table's
// JumpCloud fields, AD attributes included.
func TestFieldMapping(t *testing.T) {
	t.Parallel()
	m, err := fieldMapping(t.Context(), nil, &config.Domain{Name: "d"})
	if err != nil || m.fields != nil || m.notes != nil {
		t.Errorf("fieldMapping(none) = %+v, %v; want nothing", m, err)
	}
	m, err = fieldMapping(t.Context(), nil, &config.Domain{Name: "d", FieldMapping: []string{"manager", "title", "employeeID"}})
	if err != nil || !slices.Equal(m.fields, []string{"jobTitle", "employeeIdentifier", "manager"}) {
		t.Errorf("fieldMapping(manager,title,employeeID) = %+v, %v", m, err)
	}
	_, err = fieldMapping(t.Context(), nil, &config.Domain{Name: "d", FieldMapping: []string{"costCenter"}})
	var ue *UsageError
	if !errors.As(err, &ue) || ExitCode(err) != 2 {
		t.Errorf("fieldMapping(costCenter) = %v, want a usage error", err)
	}
}
