package adapter

import (
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/reconcile"
)

// ADPasswordPolicy converts the domain policy ldapx reads into the engine's
// own value, so the engine checks passwords without importing ldapx.
func ADPasswordPolicy(p ldapx.PasswordPolicy) reconcile.ADPasswordPolicy {
	return reconcile.ADPasswordPolicy{MinLength: p.MinLength, Complex: p.Complex}
}

// JCPasswordPolicy converts the organization's passwordCompliance and custom
// policy jcapi reads into the engine's own value.
func JCPasswordPolicy(compliance string, p jcapi.PasswordPolicy) reconcile.JCPasswordPolicy {
	return reconcile.JCPasswordPolicy{
		Compliance:                          compliance,
		EnableMinLength:                     p.EnableMinLength,
		MinLength:                           p.MinLength,
		NeedsLowercase:                      p.NeedsLowercase,
		NeedsUppercase:                      p.NeedsUppercase,
		NeedsNumeric:                        p.NeedsNumeric,
		NeedsSymbolic:                       p.NeedsSymbolic,
		AllowUsernameSubstring:              p.AllowUsernameSubstring,
		DisallowCommonlyUsedPasswords:       p.DisallowCommonlyUsedPasswords,
		DisallowSequentialOrRepetitiveChars: p.DisallowSequentialOrRepetitiveChars,
	}
}
