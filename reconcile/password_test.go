package reconcile_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/secret"
)

func ruleNames(rs []reconcile.Rule) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Side+" "+r.Name)
	}
	return out
}

func TestCheckADPassword(t *testing.T) {
	t.Parallel()
	sambaDefault := reconcile.ADPasswordPolicy{MinLength: 7, Complex: true}
	acct := reconcile.PasswordAccount{SAMAccountName: "jsmith", DisplayName: "John Smith-Jones, Jr.", Username: "jsmith"}
	tests := []struct {
		name   string
		pw     string
		policy reconcile.ADPasswordPolicy
		acct   reconcile.PasswordAccount
		want   []string
	}{
		{name: "good", pw: "Correct-Horse-9", policy: sambaDefault, acct: acct, want: []string{}},
		{name: "too short", pw: "Ab1!", policy: sambaDefault, acct: acct, want: []string{"AD minPwdLength"}},
		{name: "two classes", pw: "alllowercase99", policy: sambaDefault, acct: acct, want: []string{"AD complexity.classes"}},
		{name: "three classes without symbols", pw: "Lower9Upper", policy: sambaDefault, acct: acct, want: []string{}},
		{name: "contains the account name", pw: "xJSMITHx9!", policy: sambaDefault,
			acct: reconcile.PasswordAccount{SAMAccountName: "jsmith", DisplayName: "John"}, want: []string{"AD complexity.account_name"}},
		{name: "contains a display name token", pw: "Jones-Rules-1", policy: sambaDefault, acct: acct, want: []string{"AD complexity.display_name"}},
		{name: "short tokens are ignored", pw: "Jr.Jr.Jr.99x", policy: sambaDefault,
			acct: reconcile.PasswordAccount{SAMAccountName: "jr", DisplayName: "Jr Al"}, want: []string{}},
		{name: "caseless letters are a class", pw: "漢字漢字ab12", policy: sambaDefault, acct: acct, want: []string{}},
		{name: "every rule at once", pw: "jsmith", policy: sambaDefault, acct: acct,
			want: []string{"AD minPwdLength", "AD complexity.classes", "AD complexity.account_name", "AD complexity.display_name"}},
		{name: "complexity off", pw: "aaaaaaaa", policy: reconcile.ADPasswordPolicy{MinLength: 7}, acct: acct, want: []string{}},
		{name: "length counts UTF-16 units", pw: "😀😀😀A", policy: reconcile.ADPasswordPolicy{MinLength: 7}, acct: acct, want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ruleNames(reconcile.CheckADPassword(secret.New(tt.pw), tt.policy, tt.acct))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CheckADPassword(%q) (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func TestCheckJumpCloudPassword(t *testing.T) {
	t.Parallel()
	strict := reconcile.JCPasswordPolicy{EnableMinLength: true, MinLength: 12, NeedsLowercase: true, NeedsUppercase: true,
		NeedsNumeric: true, NeedsSymbolic: true, DisallowCommonlyUsedPasswords: true, DisallowSequentialOrRepetitiveChars: true}
	acct := reconcile.PasswordAccount{Username: "alice"}
	tests := []struct {
		name       string
		pw         string
		compliance string
		policy     reconcile.JCPasswordPolicy
		want       []string
	}{
		{name: "no policy", pw: "x", want: []string{}},
		{name: "custom good", pw: "Tr0ub4dor&Zq", compliance: "custom", policy: strict, want: []string{}},
		{name: "custom every rule", pw: "aaa", compliance: "custom", policy: strict, want: []string{
			"JumpCloud minLength", "JumpCloud uppercase", "JumpCloud number", "JumpCloud specialCharacter", "JumpCloud sequentialOrRepetitiveChars"}},
		{name: "username substring", pw: "xxALICExx9!Q", compliance: "custom", policy: strict, want: []string{"JumpCloud usernameSubstring"}},
		{name: "username allowed", pw: "xxALICExx9!Q", compliance: "custom",
			policy: func() reconcile.JCPasswordPolicy { p := strict; p.AllowUsernameSubstring = true; return p }(), want: []string{}},
		{name: "common", pw: "Password1!", compliance: "custom", policy: reconcile.JCPasswordPolicy{DisallowCommonlyUsedPasswords: true, AllowUsernameSubstring: true},
			want: []string{"JumpCloud commonlyUsedPassword"}},
		{name: "pci3 preset ignores the custom policy", pw: "abcdefg", compliance: "pci3", policy: strict, want: []string{"JumpCloud number"}},
		{name: "windows preset", pw: "lower1234", compliance: "windows", want: []string{"JumpCloud uppercase"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ruleNames(reconcile.CheckJumpCloudPassword(secret.New(tt.pw), withCompliance(tt.policy, tt.compliance), acct))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CheckJumpCloudPassword(%q) (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func withCompliance(p reconcile.JCPasswordPolicy, c string) reconcile.JCPasswordPolicy {
	p.Compliance = c
	return p
}
