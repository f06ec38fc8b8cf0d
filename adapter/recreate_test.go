package adapter_test

import (
	"testing"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/reconcile"
)

// TestCreateFindsItsOwnEarlierCreate: a run killed mid-apply (or whose
// response was lost after the next run had read JumpCloud) leaves a user or
// group that the next run plans to create again. A create refused because
// the name exists is then adjc's own object when it carries the same anchor,
// and the create counts as done; anyone else's object stays a conflict.
func TestCreateFindsItsOwnEarlierCreate(t *testing.T) {
	t.Parallel()
	_, _, c := emulator(t)
	target := adapter.NewJumpCloudTarget(c, reconcile.Directory{})
	ctx := t.Context()
	const guid, other = "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "3f2504e0-4f89-11d3-9a0c-0305e82c3302"

	user := reconcile.UserSpec{Anchor: guid, Username: "alice", Email: "alice@example.com", Firstname: "Alice", Lastname: "A"}
	first, err := target.CreateUser(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := target.CreateUser(ctx, user); err != nil || again != first {
		t.Errorf("CreateUser() again with the same anchor = %q, %v; want %q, nil", again, err, first)
	}
	theirs := user
	theirs.Anchor = other
	if id, err := target.CreateUser(ctx, theirs); err == nil {
		t.Errorf("CreateUser() of a taken username with another anchor = %q, nil; want the conflict", id)
	}

	group := reconcile.GroupSpec{Anchor: guid, Name: "Engineering"}
	gFirst, err := target.CreateGroup(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := target.CreateGroup(ctx, group); err != nil || again != gFirst {
		t.Errorf("CreateGroup() again with the same anchor = %q, %v; want %q, nil", again, err, gFirst)
	}
	if id, err := target.CreateGroup(ctx, reconcile.GroupSpec{Anchor: other, Name: "Engineering"}); err == nil {
		t.Errorf("CreateGroup() of a taken name with another anchor = %q, nil; want the conflict", id)
	}
}
