package pipeline

import (
	"fmt"

	"github.com/adjc/adjc/reconcile"
)

// Direction describes one way adjc moves data; [Import] and [Sync] are the
// two there are.
type Direction struct {
	// Dir is the engine's name for it, stored in every plan.
	Dir reconcile.Direction
	// From and To name the source and the directory written.
	From, To string
	// Command runs this direction ("import", "sync").
	Command string
	// SaveCommand saves a plan for it; ApplyCommand applies a saved plan.
	SaveCommand, ApplyCommand string
	// SkippedTitle heads the list of objects that cannot be synced.
	SkippedTitle string
	// Concurrency is how many writes run at once by default: JumpCloud takes
	// several; AD serialises writes on one connection anyway.
	Concurrency int
	// fieldNames renames plan fields (JumpCloud's JSON names) for display
	// in the directory written; nil keeps them.
	fieldNames map[string]string
}

// Import is Active Directory → JumpCloud, the AD Import agent's job.
var Import = Direction{
	Dir: reconcile.ToJumpCloud, From: "Active Directory", To: "JumpCloud",
	Command: "import", SaveCommand: "adjc diff --out", ApplyCommand: "adjc import --plan",
	SkippedTitle: "Not synced (skipped users, privileged accounts, cycles, password drift):",
	Concurrency:  4,
}

// Sync is JumpCloud → Active Directory, the AD Sync agent's job.
var Sync = Direction{
	Dir: reconcile.ToAD, From: "JumpCloud", To: "Active Directory",
	Command: "sync", SaveCommand: "adjc sync --out", ApplyCommand: "adjc sync --plan",
	SkippedTitle: "Not synced (privileged accounts, invalid names, objects outside the container):",
	Concurrency:  1,
	fieldNames:   adNames(),
}

// adNames are the AD names a JumpCloud → AD plan shows its fields by, from
// the one field table; suspension shows as "disabled", what it sets.
func adNames() map[string]string {
	m := map[string]string{}
	for _, f := range reconcile.Fields {
		if f.Sync {
			m[f.Name] = f.AD
		}
	}
	m[reconcile.FieldSuspended] = "disabled"
	return m
}

// For returns the direction of a plan.
func For(d reconcile.Direction) (Direction, error) {
	switch d {
	case reconcile.ToJumpCloud:
		return Import, nil
	case reconcile.ToAD:
		return Sync, nil
	}
	return Direction{}, fmt.Errorf("unknown plan direction %q", d)
}

// FieldName is how this direction shows a plan field.
func (d Direction) FieldName(name string) string {
	if n, ok := d.fieldNames[name]; ok {
		return n
	}
	return name
}

// Question asks consent for n changes on a terminal.
func (d Direction) Question(n int, domain string) string {
	if d.Dir == reconcile.ToAD {
		return fmt.Sprintf("Apply these %d changes to Active Directory %s? [y/N] ", n, domain)
	}
	return fmt.Sprintf("Apply these %d changes to %s? [y/N] ", n, d.To)
}
