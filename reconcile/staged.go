package reconcile

// activation plans the activation of a user still STAGED in JumpCloud
// whose AD account is enabled: import creates users STAGED and activates
// them in a second request, which a failed or killed run may not have
// made. A disabled account is left STAGED (suspending it is planned apart).
func activation(fields []FieldChange, why []string, u *ADUser, cu *CloudUser) ([]FieldChange, []string) {
	if !cu.Staged || u.Disabled {
		return fields, why
	}
	return append(fields, FieldChange{FieldState, StateStaged, StateActivated}), append(why, "still STAGED in JumpCloud")
}
